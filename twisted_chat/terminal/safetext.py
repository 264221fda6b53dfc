"""
Make text from the network safe to put on a terminal.

Anything a terminal would obey rather than show is escaped to visible
C{\\xNN}/C{\\uNNNN} form: C0 and C1 control characters (ESC among them, so no
colour, cursor movement, title or clear-screen sequence gets through), DEL,
line and paragraph separators, and the bidirectional overrides that can make
text read differently from what was sent.  The client adds its own colours
after this step, never before.
"""

import unicodedata
from typing import Final

_BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Zl", "Zp"})


def safe(text: str) -> str:
    """
    Return C{text} with every terminal-controlling character escaped.
    """
    if text.isprintable():
        # No control, format or separator characters at all: the common case.
        return text
    return "".join(_escape(char) if _isUnsafe(char) else char for char in text)


def _isUnsafe(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) in _UNSAFE_CATEGORIES


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
