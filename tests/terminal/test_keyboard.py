"""
Tests for L{twisted_chat.terminal.keyboard}: plain and line-editing keyboard bridges.

The line editor is driven through C{insults}' server protocol, and what it
draws is fed to C{insults}' client protocol and an in-memory terminal
(L{TerminalBuffer}), so the tests look at the screen a person would see.
"""

import os
import termios
from collections.abc import Callable

from twisted.conch.insults.helper import TerminalBuffer
from twisted.conch.insults.insults import ClientProtocol, ServerProtocol
from twisted.internet.defer import ensureDeferred
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.terminal.keyboard import LineEditor, PlainKeyboard, RawMode, Terminal

UP = b"\x1b[A"
DOWN = b"\x1b[B"
LEFT = b"\x1b[D"


class Typist:
    """Collects what a keyboard bridge hands on."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ended = 0

    def line(self, text: str) -> None:
        self.lines.append(text)

    def end(self) -> None:
        self.ended += 1


class PlainKeyboardTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.typist = Typist()
        self.keyboard = PlainKeyboard(self.typist.line, self.typist.end)
        self.transport = StringTransport()
        self.keyboard.makeConnection(self.transport)

    def test_halfCloseable(self) -> None:
        """The end of input is not the end of output."""
        self.assertTrue(IHalfCloseableProtocol.providedBy(self.keyboard))

    def test_lines(self) -> None:
        """Lines arrive without endings, UTF-8 decoded, bad bytes replaced."""
        self.keyboard.dataReceived("héllo\r\nwor".encode())
        self.keyboard.dataReceived(b"ld\n\xff\n")
        self.assertEqual(self.typist.lines, ["héllo", "world", "\ufffd"])

    def test_endOfInput(self) -> None:
        """End of input hands on an unfinished last line, then the end."""
        self.keyboard.dataReceived(b"one\ntwo")
        self.keyboard.readConnectionLost()
        self.assertEqual(self.typist.lines, ["one", "two"])
        self.assertEqual(self.typist.ended, 1)

    def test_show(self) -> None:
        """Output is written line by line."""
        self.keyboard.show("a ☃")
        self.keyboard.setPrompt("[#x] ")
        self.assertEqual(self.transport.value(), "a ☃\n".encode())

    def test_closed(self) -> None:
        """closed fires when the stdio connection is gone."""
        self.keyboard.connectionLost(None)
        self.successResultOf(self.keyboard.closed)


class Screen:
    """A line editor wired to an emulated 40-column terminal."""

    def __init__(
        self,
        prompt: str = "[#lobby] ",
        onLine: Callable[[str], bool | None] | None = None,
    ) -> None:
        self.typist = Typist()
        self.buffer = TerminalBuffer()
        self.buffer.width = 40
        self.emulator = ClientProtocol(lambda: self.buffer)
        self.emulator.makeConnection(StringTransport())
        self.output = StringTransport()
        self.server = ServerProtocol(
            LineEditor, onLine or self.typist.line, self.typist.end, prompt
        )
        self.server.makeConnection(self.output)
        self.editor: LineEditor = self.server.terminalProtocol
        self.editor.terminalSize(40, 10)

    def type(self, keys: bytes) -> None:
        self.server.dataReceived(keys)

    def rows(self) -> list[str]:
        self.emulator.dataReceived(self.output.value())
        self.output.clear()
        return bytes(self.buffer).decode("ascii").rstrip("\n").split("\n")


class LineEditorTests(SynchronousTestCase):
    def test_promptOnly(self) -> None:
        """The editor draws its prompt and does not clear the screen."""
        screen = Screen()
        self.assertEqual(screen.rows(), ["[#lobby] "])
        self.assertNotIn(b"\x1bc", screen.output.value())

    def test_enter(self) -> None:
        """Enter hands the line on and takes it off the screen."""
        screen = Screen()
        screen.type(b"hello\r")
        self.assertEqual(screen.typist.lines, ["hello"])
        self.assertEqual(screen.rows(), ["[#lobby] "])

    def test_blankLinesNotSent(self) -> None:
        """Enter on an empty or blank line sends nothing."""
        screen = Screen()
        screen.type(b"\r   \r")
        self.assertEqual(screen.typist.lines, [])

    def test_incomingTextDoesNotClobberInput(self) -> None:
        """Lines shown while typing go above; the half-typed line stays."""
        screen = Screen()
        screen.type(b"half typ")
        screen.editor.show("12:00 #lobby <ann> hi")
        screen.editor.show("12:01 #lobby <ann> there")
        self.assertEqual(
            screen.rows(),
            ["12:00 #lobby <ann> hi", "12:01 #lobby <ann> there", "[#lobby] half typ"],
        )
        screen.type(b"ed\r")
        self.assertEqual(screen.typist.lines, ["half typed"])

    def test_wrappedInput(self) -> None:
        """An input line wider than the terminal is redrawn whole."""
        screen = Screen()
        screen.type(b"x" * 50)
        screen.editor.show("news")
        self.assertEqual(screen.rows(), ["news", "[#lobby] " + "x" * 31, "x" * 19])

    def test_cursorKeptInPlace(self) -> None:
        """After a redraw the cursor is where it was in the line."""
        screen = Screen()
        screen.type(b"abcd" + LEFT + LEFT)
        screen.editor.show("news")
        screen.type(b"X\r")
        self.assertEqual(screen.typist.lines, ["abXcd"])

    def test_utf8(self) -> None:
        """Multi-byte characters, arriving byte by byte, are one character."""
        screen = Screen()
        screen.type("é☃".encode())
        screen.type(b"\x7f")  # backspace removes the whole snowman
        screen.type(b"\r")
        self.assertEqual(screen.typist.lines, ["é"])

    def test_history(self) -> None:
        """Up and down walk the lines already entered."""
        screen = Screen()
        screen.type(b"first\rsecond\r" + UP + UP + b"\r" + UP + DOWN + DOWN + b"new\r")
        self.assertEqual(screen.typist.lines, ["first", "second", "first", "new"])

    def test_passwordsNotRemembered(self) -> None:
        """Lines that carry a password are not kept in the history."""
        screen = Screen()
        screen.type(b"hello\r/login ann secret-pass\r/PASSWORD a b\r" + UP + b"\r")
        self.assertEqual(
            screen.typist.lines,
            ["hello", "/login ann secret-pass", "/PASSWORD a b", "hello"],
        )

    def test_controlKeys(self) -> None:
        """Ctrl-U clears the line; Ctrl-A and Ctrl-E go to its ends."""
        screen = Screen()
        screen.type(b"junk\x15mid\x01<\x05>\r")
        self.assertEqual(screen.typist.lines, ["<mid>"])

    def test_unknownKeysIgnored(self) -> None:
        """Function keys and stray control characters insert nothing."""
        screen = Screen()
        screen.type(b"a\x1bOP\x1b[15~\x07\x0bb\r")
        self.assertEqual(screen.typist.lines, ["ab"])

    def test_ctrlDOnEmptyLineEnds(self) -> None:
        """Ctrl-D ends input on an empty line, and deletes otherwise."""
        screen = Screen()
        screen.type(b"ab" + LEFT + b"\x04")
        self.assertEqual(screen.typist.ended, 0)
        screen.type(b"\r\x04")
        self.assertEqual(screen.typist.lines, ["a"])
        self.assertEqual(screen.typist.ended, 1)

    def test_ctrlCEnds(self) -> None:
        """Ctrl-C ends input (raw mode: there is no SIGINT)."""
        screen = Screen()
        screen.type(b"typing\x03")
        self.assertEqual(screen.typist.ended, 1)

    def test_setPrompt(self) -> None:
        """A new prompt replaces the old, the typed text kept."""
        screen = Screen()
        screen.type(b"hi")
        screen.editor.setPrompt("[#dev] ")
        self.assertEqual(screen.rows(), ["[#dev] hi"])

    def test_finish(self) -> None:
        """Finishing takes the input line off the screen."""
        screen = Screen()
        screen.type(b"unsent")
        screen.editor.finish()
        self.assertEqual(screen.rows(), [""])


class RefusedLineTests(SynchronousTestCase):
    def test_keptInInputLine(self) -> None:
        """A line the chat refuses stays in the input line, to be shortened."""
        refused: list[str] = []

        def onLine(text: str) -> bool:
            refused.append(text)
            return False

        screen = Screen("> ", onLine)
        screen.type("too lông\r".encode())
        screen.type(b"\x7f" * 4 + b"\r")
        self.assertEqual(refused, ["too lông", "too "])
        screen.type(b"!")
        self.assertEqual(screen.rows(), ["> too !"])

    def test_pipedGoesOn(self) -> None:
        """Piped, a refused line is gone and the next ones are read."""
        lines: list[str] = []
        keyboard = PlainKeyboard(lambda text: lines.append(text) or False, lambda: None)
        keyboard.makeConnection(StringTransport())
        keyboard.dataReceived(b"long\nnext\n")
        self.assertEqual(lines, ["long", "next"])


class SecretTests(SynchronousTestCase):
    """Asking for a password in the line editor."""

    def test_notDrawnNorRemembered(self) -> None:
        """
        The prompt is drawn, not what is typed; Enter gives it, puts the
        half-typed line back, and leaves nothing in the history.
        """
        screen = Screen()
        screen.type(b"half")
        asked = screen.editor.askSecret("Password for ann: ")
        screen.type(b"s3cret-px\x7f\r")
        screen.type(UP)
        self.assertEqual(screen.rows(), ["[#lobby] half"])
        self.assertEqual(self.successResultOf(asked), "s3cret-p")
        self.assertEqual(screen.typist.lines, [])

    def test_promptShown(self) -> None:
        """While asking, the prompt stands alone, and stays below incoming lines."""
        screen = Screen()
        screen.editor.askSecret("Password for ann: ")
        screen.type(b"abc" + LEFT + UP)
        screen.editor.show("news")
        self.assertEqual(screen.rows(), ["news", "Password for ann: "])


class FakeStdio:
    """Just enough of StandardIO for Terminal.close."""

    def __init__(self, screen: PlainKeyboard) -> None:
        self.disconnected = False
        self.paused = False
        self._screen = screen

    def loseConnection(self) -> None:
        self.disconnected = True
        self._screen.connectionLost(None)

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False


class TerminalTests(SynchronousTestCase):
    def test_closeFlushesAndRestores(self) -> None:
        """Closing waits for output to be flushed, then restores the terminal."""
        keyboard = PlainKeyboard(lambda line: None, lambda: None)
        stdio = FakeStdio(keyboard)
        restored: list[bool] = []

        class FakeRawMode:
            def restore(self) -> None:
                restored.append(True)

        terminal = Terminal(stdio, keyboard, FakeRawMode())  # type: ignore[arg-type]
        terminal.pauseReading()
        self.assertTrue(stdio.paused)
        terminal.resumeReading()
        self.assertFalse(stdio.paused)
        self.successResultOf(ensureDeferred(terminal.close()))
        self.assertTrue(stdio.disconnected)
        self.assertEqual(restored, [True])
        self.successResultOf(ensureDeferred(terminal.close()))
        self.assertEqual(restored, [True])

    def test_columns(self) -> None:
        """The width to wrap to is the line editor's; a pipe has none."""
        screen = Screen()
        editor = Terminal(
            FakeStdio(PlainKeyboard(Typist().line, Typist().end)), screen.editor
        )  # type: ignore[arg-type]
        self.assertEqual(editor.columns(), 40)
        screen.editor.terminalSize(100, 10)
        self.assertEqual(editor.columns(), 100)
        keyboard = PlainKeyboard(Typist().line, Typist().end)
        self.assertIsNone(Terminal(FakeStdio(keyboard), keyboard).columns())  # type: ignore[arg-type]

    def test_rawModeOnPty(self) -> None:
        """Raw mode turns off echo and line editing; restore brings them back."""
        controller, terminal = os.openpty()
        self.addCleanup(os.close, controller)
        self.addCleanup(os.close, terminal)
        before = termios.tcgetattr(terminal)
        raw = RawMode(terminal)
        during = termios.tcgetattr(terminal)
        self.assertFalse(during[3] & (termios.ECHO | termios.ICANON | termios.ISIG))
        raw.restore()
        self.assertEqual(termios.tcgetattr(terminal), before)
