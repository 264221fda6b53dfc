"""
Tests for L{twisted_chat.terminal.safetext.safe}: nothing from the network may
control the terminal.
"""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.terminal.safetext import safe

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


class SafeTextTests(SynchronousTestCase):
    def test_plainTextUnchanged(self) -> None:
        """Ordinary text, accents, emoji and joiners pass as they are."""
        for text in ["hello", "café ☃", "👩‍💻 done", "日本語", ""]:
            self.assertEqual(safe(text), text)

    def test_escapeSequences(self) -> None:
        """ESC is shown, so colour, cursor, title and clear sequences are inert."""
        self.assertEqual(safe("\x1b[31mred"), "\\x1b[31mred")
        self.assertEqual(safe("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07")
        self.assertEqual(safe("\x1b[2J\x1bc"), "\\x1b[2J\\x1bc")

    def test_c0AndC1(self) -> None:
        """C0 controls, DEL and C1 controls (CSI as U+009B) are escaped."""
        self.assertEqual(safe("a\rb\x08c\td\x7f"), "a\\x0db\\x08c\\x09d\\x7f")
        self.assertEqual(safe("\x9b31m"), "\\x9b31m")

    def test_bidiOverrides(self) -> None:
        """Bidirectional controls are escaped."""
        self.assertEqual(safe("abc\u202etxt.exe"), "abc\\u202etxt.exe")
        self.assertEqual(safe("\u2066x\u2069"), "\\u2066x\\u2069")

    def test_separators(self) -> None:
        """Unicode line and paragraph separators are escaped."""
        self.assertEqual(safe("a\u2028b\u2029"), "a\\u2028b\\u2029")

    @given(st.text())
    def test_nothingControlsTheTerminal(self, text: str) -> None:
        """No control character, separator or bidi control survives."""
        for char in safe(text):
            self.assertNotIn(unicodedata.category(char), ("Cc", "Zl", "Zp"))
            self.assertNotIn(char, BIDI)
