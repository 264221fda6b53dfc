"""
The client side of the line protocol: a protocol that turns server lines into
events for a view, and sends what the person typed.

L{ChatClientProtocol} never touches standard input or output: it shows events
through a L{twisted_chat.view.TerminalView} and takes typed lines from
whoever calls L{ChatClientProtocol.sendInput}.
"""

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress, ITCPTransport, ITransport
from twisted.internet.protocol import ClientFactory, Protocol, connectionDone
from twisted.python.failure import Failure

from . import wire
from .events import Goodbye
from .framing import LineFramer
from .limits import CLIENT_MAX_LINE_LENGTH
from .view import TerminalView


class ConnectionLostError(Exception):
    """The server went away without saying goodbye."""


class ChatClientProtocol(Protocol):
    """
    One connection to a chat server.

    @ivar finished: fires with L{None} when the server closes the connection
        after saying goodbye (C{BYE}), or fails with L{ConnectionLostError}
        when the connection ends any other way.
    """

    transport: ITransport

    def __init__(
        self, view: TerminalView, nick: str | None = None, room: str | None = None
    ) -> None:
        self.view = view
        self._nick = nick
        self._room = room
        self._framer = LineFramer(CLIENT_MAX_LINE_LENGTH)
        self._saidGoodbye = False
        self.finished: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        if ITCPTransport.providedBy(self.transport):
            self.transport.setTcpNoDelay(True)
        if self._nick is not None:
            self.sendInput(f"/nick {self._nick}")
        if self._room is not None:
            self.sendInput(f"/join {self._room}")

    def dataReceived(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            if line is None:
                self.view.showStatus("a line from the server was too long; dropped it")
            else:
                self.lineReceived(line)

    def lineReceived(self, line: bytes) -> None:
        try:
            event = wire.parseEvent(line)
        except wire.MalformedLine:
            self.view.showUnparsed(line)
            return
        if isinstance(event, Goodbye):
            self._saidGoodbye = True
        self.view.show(event)

    def sendInput(self, text: str) -> None:
        """
        Send one line the person typed; the server decides what it means.
        """
        self.transport.write(wire.encodeInput(text))

    def quit(self) -> None:
        """
        Ask the server to end the session (it answers C{BYE} and closes).
        """
        self.sendInput("/quit")

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if self._saidGoodbye:
            self.finished.callback(None)
        else:
            self.finished.errback(ConnectionLostError(reason.getErrorMessage()))


class ChatClientFactory(ClientFactory):
    """
    Makes the protocol for a connection, with the person's view and wishes.
    """

    def __init__(
        self, view: TerminalView, nick: str | None = None, room: str | None = None
    ) -> None:
        self.view = view
        self.nick = nick
        self.room = room

    def buildProtocol(self, addr: IAddress | None) -> ChatClientProtocol:
        protocol = ChatClientProtocol(self.view, self.nick, self.room)
        protocol.factory = self
        return protocol
