"""
The keyboard and screen of a chat participant, through C{StandardIO}.

The terminal client and the operator console both read lines from the person
and show lines to them.  L{openTerminal} picks how:

- on a terminal, L{LineEditor}: a C{twisted.conch.recvline} line editor inside
  C{insults}, as the manhole uses, in raw mode.  Incoming lines are drawn above
  the input line, which is redrawn and never overwritten; the up and down
  arrows walk the input history.  It can also ask for a password
  (L{LineEditor.askSecret}) without drawing what is typed.
- otherwise, L{PlainKeyboard}: plain lines in and out.  It is half-closeable,
  so the end of piped input does not cut off the output that follows it.

Either way the person's lines go to C{onLine} and the end of input (end of
file, or Ctrl-D on an empty line, or Ctrl-C) to C{onEnd}.  C{onLine} may
refuse a line by returning C{False} (it is too long to send): the line editor
then keeps it in the input line; piped input just goes on.
"""

import codecs
import os
import signal
import termios
import tty
from collections.abc import Callable
from typing import Protocol as TypingProtocol
from typing import cast

from twisted.conch.insults.insults import ServerProtocol
from twisted.conch.recvline import HistoricRecvLine
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import (
    IHalfCloseableProtocol,
    IReactorFDSet,
    IReactorThreads,
    ITransport,
)
from twisted.internet.protocol import Protocol
from twisted.internet.stdio import StandardIO
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_chat.chat.commands import SECRET_COMMANDS
from twisted_chat.wire.framing import LineFramer

LineCallback = Callable[[str], bool | None]
EndCallback = Callable[[], None]

MAX_INPUT_LINE: int = 1 << 20
"""Longest line read from piped input; the server has its own, smaller limit."""

CTRL_A = b"\x01"
CTRL_C = b"\x03"
CTRL_D = b"\x04"
CTRL_E = b"\x05"
CTRL_U = b"\x15"


class Screen(TypingProtocol):
    """What the view and the chat need of a keyboard bridge."""

    closed: Deferred[None]

    def show(self, text: str) -> None:
        """Show one line of output."""

    def setPrompt(self, prompt: str) -> None:
        """Change the prompt, where there is one."""

    def finish(self) -> None:
        """Tidy the screen before the terminal is handed back."""


@implementer(IHalfCloseableProtocol)
class PlainKeyboard(Protocol):
    """
    Line-by-line input and output for pipes and files.

    @ivar closed: fires when standard output has been flushed and closed.
    """

    transport: ITransport

    def __init__(self, onLine: LineCallback, onEnd: EndCallback) -> None:
        self._onLine = onLine
        self._onEnd = onEnd
        self._framer = LineFramer(MAX_INPUT_LINE)
        self.closed: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            if line is not None:
                self._onLine(line.decode("utf-8", errors="replace"))

    def readConnectionLost(self) -> None:
        if self._framer.pendingLength:
            # The last line had no line ending; it is a line all the same.
            self.dataReceived(b"\n")
        self._onEnd()

    def writeConnectionLost(self) -> None:
        """Nobody reads our output any more; go on reading input."""

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.closed.callback(None)

    def show(self, text: str) -> None:
        self.transport.write(text.encode("utf-8", errors="replace") + b"\n")

    def setPrompt(self, prompt: str) -> None:
        """There is no prompt on a pipe."""

    def finish(self) -> None:
        """A pipe needs no tidying."""


class LineEditor(HistoricRecvLine):
    """
    A line editor whose input line incoming text does not clobber.

    Typed lines are taken off the screen once entered: the server echoes what
    was said, so the conversation shows each line once.
    """

    def __init__(self, onLine: LineCallback, onEnd: EndCallback, prompt: str) -> None:
        super().__init__()
        self._onLine = onLine
        self._onEnd = onEnd
        self.ps = (prompt.encode("utf-8"), b"")
        self.closed: Deferred[None] = Deferred()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._secret: Deferred[str] | None = None
        self._beforeSecret: tuple[bytes, list[bytes], int] = (b"", [], 0)

    def connectionMade(self) -> None:
        super().connectionMade()
        self.keyHandlers.update(
            {
                CTRL_A: self.handle_HOME,
                CTRL_E: self.handle_END,
                CTRL_U: self.handle_KILL_LINE,
                CTRL_C: self._onEnd,
                CTRL_D: self.handle_EOF,
            }
        )

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.closed.callback(None)

    def initializeScreen(self) -> None:
        # RecvLine would reset (clear) the whole terminal; draw only our line.
        self.setInsertMode()
        self._drawInput()

    def terminalSize(self, width: int, height: int) -> None:
        self.width = width
        self.height = height

    def askSecret(self, prompt: str) -> Deferred[str]:
        """
        Ask for a password in the input line: C{prompt}, and nothing of
        what is typed drawn or remembered.  The line being typed before is
        put back afterwards.

        @return: fires with the line entered.
        """
        self._eraseInput()
        self._beforeSecret = (self.ps[0], self.lineBuffer, self.lineBufferIndex)
        self.ps = (prompt.encode("utf-8"), b"")
        self.lineBuffer = []
        self.lineBufferIndex = 0
        self._secret = Deferred()
        self._drawInput()
        return self._secret

    def keystrokeReceived(self, keyID: object, modifier: object) -> None:
        if (
            self._secret is not None
            and keyID in self.keyHandlers
            and keyID not in _SECRET_KEYS
        ):
            # Moving about, or into the history, in a line not drawn.
            return
        handler = self.keyHandlers.get(keyID)
        if handler is not None:
            handler()
        elif type(keyID) is not bytes or len(keyID) != 1:
            # A function key without a handler (insults' key names are not
            # plain bytes): it means nothing here.
            return
        elif keyID >= b"\x80":
            # insults hands us UTF-8 one byte at a time: put characters together.
            char = self._decoder.decode(keyID)
            if char:
                self.characterReceived(char.encode("utf-8"), False)
        elif b" " <= keyID <= b"~":
            self.characterReceived(keyID, False)
        # Other control characters mean nothing here either.

    def characterReceived(self, ch: bytes, moreCharactersComing: bool) -> None:
        if self._secret is None:
            super().characterReceived(ch, moreCharactersComing)
            return
        self.lineBuffer.insert(self.lineBufferIndex, ch)
        self.lineBufferIndex += 1

    def handle_BACKSPACE(self) -> None:
        if self._secret is None:
            super().handle_BACKSPACE()
        elif self.lineBufferIndex > 0:
            self.lineBufferIndex -= 1
            del self.lineBuffer[self.lineBufferIndex]

    def handle_RETURN(self) -> None:
        if self._secret is not None:
            self._endSecret()
            return
        line = b"".join(self.lineBuffer)
        if line and not _isSecret(line):
            self.historyLines.append(line)
        self.historyPosition = len(self.historyLines)
        self._eraseInput()
        self.lineBuffer = []
        self.lineBufferIndex = 0
        self._drawInput()
        if line.strip():
            text = line.decode("utf-8", errors="replace")
            if self._onLine(text) is False:
                # Refused: the person may shorten it rather than lose it.
                self._eraseInput()
                self.lineBuffer = [char.encode("utf-8") for char in text]
                self.lineBufferIndex = len(self.lineBuffer)
                self._drawInput()

    def _endSecret(self) -> None:
        secret, self._secret = self._secret, None
        assert secret is not None
        typed = b"".join(self.lineBuffer).decode("utf-8", errors="replace")
        self.lineBufferIndex = 0
        self._eraseInput()
        prompt, self.lineBuffer, self.lineBufferIndex = self._beforeSecret
        self.ps = (prompt, b"")
        self._beforeSecret = (b"", [], 0)
        self._drawInput()
        secret.callback(typed)

    def handle_EOF(self) -> None:
        if self.lineBuffer:
            self.handle_DELETE()
        else:
            self._onEnd()

    def handle_KILL_LINE(self) -> None:
        self._eraseInput()
        self.lineBuffer = []
        self.lineBufferIndex = 0
        self._drawInput()

    def show(self, text: str) -> None:
        """Write a line above the input line, then redraw the input line."""
        self._eraseInput()
        self.terminal.write(text.encode("utf-8", errors="replace") + b"\r\n")
        self._drawInput()

    def setPrompt(self, prompt: str) -> None:
        self._eraseInput()
        self.ps = (prompt.encode("utf-8"), b"")
        self._drawInput()

    def finish(self) -> None:
        """Take the input line off the screen before the terminal is handed back."""
        self._eraseInput()

    def _eraseInput(self) -> None:
        shown = 0 if self._secret is not None else self.lineBufferIndex
        row = (len(self.ps[0]) + shown) // max(self.width, 1)
        if row:
            self.terminal.cursorUp(row)
        self.terminal.write(b"\r")
        self.terminal.eraseToDisplayEnd()

    def _drawInput(self) -> None:
        if self._secret is not None:
            self.terminal.write(self.ps[0])
            return
        self.terminal.write(self.ps[0] + b"".join(self.lineBuffer))
        back = len(self.lineBuffer) - self.lineBufferIndex
        if back:
            self.terminal.cursorBackward(back)


_SECRET_KEYS = frozenset({b"\r", b"\n", b"\x7f", CTRL_C, CTRL_D, CTRL_U})
"""The keys with a meaning while a password is typed; the others do nothing."""


def _isSecret(line: bytes) -> bool:
    """Whether a typed line carries a password, to be kept out of history."""
    name = line.split(None, 1)[0] if line.strip() else b""
    return name.startswith(b"/") and name[1:].decode("ascii", "replace").lower() in (
        SECRET_COMMANDS
    )


class RawMode:
    """
    A terminal put in raw mode, and the way back to how it was.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._saved = termios.tcgetattr(fd)
        tty.setraw(fd)

    def restore(self) -> None:
        termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)


class Terminal:
    """
    One person's keyboard and screen, bridged into the reactor by
    C{StandardIO}; made by L{openTerminal}.
    """

    def __init__(
        self,
        stdio: StandardIO,
        screen: Screen,
        rawMode: RawMode | None = None,
        restoreResizeHandler: Callable[[], None] | None = None,
    ) -> None:
        self.stdio = stdio
        self.screen = screen
        self._rawMode = rawMode
        self._restoreResizeHandler = restoreResizeHandler

    def show(self, text: str) -> None:
        self.screen.show(text)

    def setPrompt(self, prompt: str) -> None:
        self.screen.setPrompt(prompt)

    def columns(self) -> int | None:
        """The terminal's width now, or L{None} when output is not a terminal."""
        if isinstance(self.screen, LineEditor):
            return self.screen.width
        return None

    def askSecret(self, prompt: str) -> Deferred[str]:
        """Ask for a password in the line editor (a terminal only)."""
        assert isinstance(self.screen, LineEditor)
        return self.screen.askSecret(prompt)

    def pauseReading(self) -> None:
        self.stdio.pauseProducing()

    def resumeReading(self) -> None:
        self.stdio.resumeProducing()

    async def close(self) -> None:
        """
        Flush what is still to be shown, then give the terminal back as it was.
        """
        self.screen.finish()
        if not self.stdio.disconnected:
            self.stdio.loseConnection()
            await self.screen.closed
        if self._restoreResizeHandler is not None:
            self._restoreResizeHandler()
            self._restoreResizeHandler = None
        if self._rawMode is not None:
            self._rawMode.restore()
            self._rawMode = None


STDIN = 0
STDOUT = 1


def isInteractive() -> bool:
    """
    Tell whether standard input and output are both a terminal, so that the
    line editor can be used.

    The file descriptors are asked, not C{sys.stdout}: under twistd that is a
    logging object, whatever the process's output really is.
    """
    return os.isatty(STDIN) and os.isatty(STDOUT)


def openTerminal(
    reactor: IReactorFDSet,
    onLine: LineCallback,
    onEnd: EndCallback,
    *,
    interactive: bool,
    prompt: str = "> ",
) -> Terminal:
    """
    Start reading the person's lines and showing them output.

    @param interactive: use the line editor (the caller has checked that
        both ends are a terminal, see L{isInteractive}).
    """
    if not interactive:
        keyboard = PlainKeyboard(onLine, onEnd)
        return Terminal(StandardIO(keyboard, reactor=reactor), keyboard)
    rawMode = RawMode(STDIN)
    try:
        columns, rows = os.get_terminal_size(STDOUT)
        terminal = ServerProtocol(LineEditor, onLine, onEnd, prompt)
        stdio = StandardIO(terminal, reactor=reactor)
    except BaseException:
        rawMode.restore()
        raise
    editor = terminal.terminalProtocol
    assert isinstance(editor, LineEditor)
    editor.terminalSize(columns, rows)
    return Terminal(stdio, editor, rawMode, _followResizes(reactor, editor))


def _followResizes(reactor: IReactorFDSet, editor: LineEditor) -> Callable[[], None]:
    """
    Tell the editor the terminal's new size whenever it changes (SIGWINCH),
    so that it keeps redrawing wrapped input lines correctly.

    @return: a function that puts the previous SIGWINCH handler back.
    """

    def resized(signalNumber: int, frame: object) -> None:
        # A signal handler may not touch the reactor's state directly.
        size = os.get_terminal_size(STDOUT)
        cast(IReactorThreads, reactor).callFromThread(
            editor.terminalSize, size.columns, size.lines
        )

    previous = signal.signal(signal.SIGWINCH, resized)

    def restore() -> None:
        signal.signal(signal.SIGWINCH, previous)

    return restore
