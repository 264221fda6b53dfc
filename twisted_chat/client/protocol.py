"""
The client side of the line protocol: a protocol that turns server lines into
events for the session, and sends what the person typed.

L{ChatClientProtocol} never touches standard input or output: it hands each
event to a L{twisted_chat.client.session.ClientSession}, which shows it through the
view and decides what the next connection sends.  One protocol serves one
connection; C{ClientService} makes a new one through L{ChatClientFactory}
after an outage.  When a connection ends it says whether a TLS handshake
was refused, and what was refused (L{twisted_chat.client.tlstrust.refusal}), so
that the session can tell a certificate it must not trust from an outage.

It sends no faster than the server's default flood control allows (a burst
of 5 lines, then 2 a second): a pasted page, or the resumes of many rooms
after a reconnection, go out paced instead of being held up, or cut off,
by the server.
"""

from collections import deque

from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IAddress,
    IDelayedCall,
    IReactorTime,
    ITCPTransport,
    ITransport,
)
from twisted.internet.protocol import ClientFactory, Protocol, connectionDone
from twisted.python.failure import Failure

from twisted_chat.client.session import ClientSession, Connection
from twisted_chat.client.tlstrust import refusal
from twisted_chat.limits import CLIENT_MAX_LINE_LENGTH, FLOOD_BURST, FLOOD_RATE
from twisted_chat.throttle import TokenBucket
from twisted_chat.wire import line as wire
from twisted_chat.wire.framing import LineFramer
from twisted_chat.wire.linetypes import MalformedLine


class ChatClientProtocol(Protocol, Connection):
    """
    One connection to a chat server.
    """

    transport: ITransport

    def __init__(self, session: ClientSession, clock: IReactorTime) -> None:
        self.session = session
        self._clock = clock
        self._framer = LineFramer(CLIENT_MAX_LINE_LENGTH)
        self._outgoing: deque[bytes] = deque()
        self._bucket = TokenBucket(FLOOD_BURST, FLOOD_RATE, clock)
        self._nextSend: IDelayedCall | None = None
        self._aborted = False

    def connectionMade(self) -> None:
        if ITCPTransport.providedBy(self.transport):
            self.transport.setTcpNoDelay(True)
        self.session.connected(self)

    def dataReceived(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            if self._aborted:
                # The session gave up on this connection: nothing more of it.
                return
            if line is None:
                self.session.lineTooLong()
            else:
                self.lineReceived(line)

    def lineReceived(self, line: bytes) -> None:
        try:
            event = wire.parseEvent(line)
        except MalformedLine:
            self.session.showUnparsed(line)
        else:
            self.session.eventReceived(event)

    def sendInput(self, text: str) -> None:
        """
        Send one line the person typed, as soon as the pace allows; the
        server decides what it means.
        """
        self._outgoing.append(wire.encodeInput(text))
        self._sendPaced()

    def _sendPaced(self) -> None:
        self._nextSend = None
        while self._outgoing and self._bucket.take():
            self.transport.write(self._outgoing.popleft())
        if self._outgoing:
            self._nextSend = self._clock.callLater(
                self._bucket.delay(), self._sendPaced
            )

    def abort(self) -> None:
        """
        Drop the connection at once: the server never greeted it, or is not
        a chat server.
        """
        self._aborted = True
        self.transport.abortConnection()  # type: ignore[attr-defined]

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if self._nextSend is not None:
            self._nextSend.cancel()
            self._nextSend = None
        unsent = len(self._outgoing)
        self._outgoing.clear()
        refused = refusal(reason.value)
        if refused is not None:
            why = refused
        elif reason.check(ConnectionDone):
            why = "closed"
        else:
            why = reason.getErrorMessage()
        self.session.disconnected(why, unsent=unsent, refused=refused)


class ChatClientFactory(ClientFactory):
    """
    Makes the protocol for each connection of one session.
    """

    def __init__(self, session: ClientSession) -> None:
        self.session = session

    def buildProtocol(self, addr: IAddress | None) -> ChatClientProtocol:
        protocol = ChatClientProtocol(self.session, self.session.clock)
        protocol.factory = self
        return protocol
