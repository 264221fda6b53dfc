"""
The client side of the line protocol: a protocol that turns server lines into
events for the session, and sends what the person typed.

L{ChatClientProtocol} never touches standard input or output: it hands each
event to a L{twisted_chat.session.ClientSession}, which shows it through the
view and decides what the next connection sends.  One protocol serves one
connection; C{ClientService} makes a new one through L{ChatClientFactory}
after an outage.
"""

from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IAddress, ITCPTransport, ITransport
from twisted.internet.protocol import ClientFactory, Protocol, connectionDone
from twisted.python.failure import Failure

from . import wire
from .framing import LineFramer
from .limits import CLIENT_MAX_LINE_LENGTH
from .session import ClientSession, Connection


class ChatClientProtocol(Protocol, Connection):
    """
    One connection to a chat server.
    """

    transport: ITransport

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self._framer = LineFramer(CLIENT_MAX_LINE_LENGTH)

    def connectionMade(self) -> None:
        if ITCPTransport.providedBy(self.transport):
            self.transport.setTcpNoDelay(True)
        self.session.connected(self)

    def dataReceived(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            if line is None:
                self.session.view.showStatus(
                    "a line from the server was too long; dropped it"
                )
            else:
                self.lineReceived(line)

    def lineReceived(self, line: bytes) -> None:
        try:
            event = wire.parseEvent(line)
        except wire.MalformedLine:
            self.session.showUnparsed(line)
        else:
            self.session.eventReceived(event)

    def sendInput(self, text: str) -> None:
        """
        Send one line the person typed; the server decides what it means.
        """
        self.transport.write(wire.encodeInput(text))

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        why = "closed" if reason.check(ConnectionDone) else reason.getErrorMessage()
        self.session.disconnected(why)


class ChatClientFactory(ClientFactory):
    """
    Makes the protocol for each connection of one session.
    """

    def __init__(self, session: ClientSession) -> None:
        self.session = session

    def buildProtocol(self, addr: IAddress | None) -> ChatClientProtocol:
        protocol = ChatClientProtocol(self.session)
        protocol.factory = self
        return protocol
