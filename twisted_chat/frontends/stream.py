"""
What every stream front end does, written once: a connection held to the
server's rules, and the factory that admits, counts and writes to them.

A front end over a byte stream (the line protocol, IRC, a test's JSON lines)
subclasses L{StreamConnection} and L{StreamFrontEnd} and supplies only what
is its own: what begins and ends a member (C{begin}, C{lost}); the rest of
what the guard asks of a connection (L{twisted_chat.connection.guarded.Guarded}):
how a line becomes calls on the chat core (C{carryOut}), how the client is
named, pinged, told something or dropped, how a gap in a slow reader's room
messages is told (C{gapNotice}); and, on the factory, how an event becomes
bytes for many connections at once (C{post}) and how a refused connection
is told why (C{refusal}).  The rest is here: TLS
handshakes, framing, the L{ConnectionGuard}'s rules, admission and its
release, batched writes, closing, and being counted, so that a stopping
server can say goodbye to every connection of every front end and wait for
them (L{StreamFrontEnd.closeAll}, L{StreamFrontEnd.allClosed}).
"""

from typing import ClassVar, cast

from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IAddress,
    IHandshakeListener,
    INegotiated,
    IReactorTime,
    ISSLTransport,
    ITransport,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_chat import tracing
from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.certificates import canonicalFingerprint
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import Event, RoomMessage
from twisted_chat.chat.names import fold
from twisted_chat.chat.participants import IOutbox, IParticipant
from twisted_chat.connection.admission import (
    Admission,
    Refusal,
    admitOrRefuse,
    hostOf,
    release,
)
from twisted_chat.connection.backlog import RoomMark
from twisted_chat.connection.batching import Batch, Batcher
from twisted_chat.connection.guard import ConnectionGuard
from twisted_chat.connection.guarded import Guarded
from twisted_chat.connection.liveness import Deadlines
from twisted_chat.connection.writenow import immediateWriter
from twisted_chat.limits import DEFAULT_RULES, ConnectionRules
from twisted_chat.meters import METERS
from twisted_chat.wire.framing import LineFramer


def roomMarkOf(event: Event) -> RoomMark | None:
    """
    What marks C{event}'s line in a send queue, whatever the front end's
    wire: a room message is one a client that is not reading may be left
    without, noted under its room's folded name; L{None} for any other
    event, which is always kept.  Made once per event, for all recipients.
    """
    if isinstance(event, RoomMessage):
        return (fold(event.room), event.room, event.sequence)
    return None


def clientCertificateOf(transport: ITransport) -> str | None:
    """
    The fingerprint (see L{twisted_chat.chat.certificates}) of the client
    certificate C{transport} presented, if it is TLS and the client sent
    one (the server asks for one without requiring it).
    """
    if not ISSLTransport.providedBy(transport):
        return None
    certificate = transport.getPeerCertificate()
    digest = getattr(certificate, "digest", None)
    if digest is None:
        return None
    return canonicalFingerprint(digest("sha256").decode("ascii"))


@implementer(IParticipant, IHandshakeListener)
class StreamConnection(Protocol):
    """
    One client connection of a stream front end.

    @ivar factory: the front end that made it.
    @ivar outbox: the same front end, which delivers to all its connections
        at once (L{twisted_chat.chat.core.IOutbox}).
    @ivar pending: batches of lines queued for this reactor turn's write, in
        order; a batch may be shared with other connections.
    @ivar guard: the rules this connection is held to.
    @ivar admittedAs: the address admission counted it under, if any.
    @ivar closing: whether it has been closed (or is being).
    """

    log = Logger()
    transport: ITransport
    guard: ConnectionGuard

    def __init__(self, factory: "StreamFrontEnd") -> None:
        self.factory = factory
        self.outbox = factory
        self.pending: list[Batch] = []
        self.admittedAs: str | None = None
        self.closing = False

    # To be supplied by each front end

    def begin(self) -> None:
        """The client may talk now (over TLS, its handshake is done)."""
        raise NotImplementedError

    def lost(self, cleanly: bool) -> None:
        """
        The connection is gone (C{cleanly} if closed, not broken): take its
        member, if any, out of the chat.
        """
        raise NotImplementedError

    # The connection

    def connectionMade(self) -> None:
        transport = self.transport
        self._writer = immediateWriter(transport)
        self._framer = LineFramer(self.factory.maxLineLength)
        # The front end supplies the rest of what the guard asks of it.
        guarded = cast(Guarded, self)
        self.guard = ConnectionGuard(
            guarded,
            transport,
            self.factory.rules,
            self.factory.clock,
            frontEnd=self.factory.kind,
            deadlines=self.factory.deadlines,
        )
        self.guard.configureTransport()
        if INegotiated.providedBy(transport):
            # TLS: someone who cannot complete the handshake (a scanner, a
            # client refusing the certificate) never becomes a member.
            self.guard.expectHandshake()
            return
        self.handshakeCompleted()

    def handshakeCompleted(self) -> None:
        """The TLS handshake is done (or there is none): the client begins."""
        self.factory.connectionOpened(self)
        self.begin()

    @property
    def peerHost(self) -> str:
        """The client's address, as admission and the logs name it."""
        peer = self.transport.getPeer()
        return str(getattr(peer, "host", peer))

    @property
    def isTLS(self) -> bool:
        """Whether the client talks over TLS."""
        return ISSLTransport.providedBy(self.transport)

    @property
    def clientCertificate(self) -> str | None:
        """
        The fingerprint of the client certificate presented over TLS, if
        any: known once the handshake is done, before L{begin}.
        """
        return clientCertificateOf(self.transport)

    @property
    def unfinishedLineBytes(self) -> int:
        """
        How many bytes of the client's unfinished line are held: never more
        than the line limit and one (a CR), however long the client talks
        without a newline, so what its input costs in memory is bounded.
        """
        return self._framer.pendingLength

    def dataReceived(self, data: bytes) -> None:
        if tracing.TRACE is not None:
            tracing.TRACE.read()
        self.guard.received(self._framer.feed(data))

    def lineReceived(self, line: bytes) -> None:
        """
        One whole line, from a transport that frames messages itself (a
        WebSocket, L{twisted_chat.frontends.web}): held to the line limit
        and the guard's rules as a framed line is, a line break inside it
        left for the front end to refuse as malformed.
        """
        if not self.closing:
            if tracing.TRACE is not None:
                tracing.TRACE.read()
            tooLong = len(line) > self.factory.maxLineLength
            self.guard.received([None if tooLong else line])

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.guard.stop()
        self.closing = True
        self.factory.connectionEnded(self)
        self.lost(reason.check(ConnectionDone) is not None)

    def write(self, data: bytes) -> None:
        """Write C{data} now (the guard's, for what it held)."""
        self._writer.write(data)

    # IParticipant

    def deliver(self, event: Event) -> None:
        self.factory.post(event, [self])

    def close(self) -> None:
        """Write what is queued, then close, as the guard's rules say."""
        self.closing = True
        self.flush()
        self.guard.closeTransport()

    def flush(self) -> None:
        """Write everything queued for this connection, in one write."""
        self.factory.batcher.writeNow(self)

    def shutDown(self, reason: str) -> None:
        """
        The server is stopping and this connection is still open without a
        member to say goodbye to (the chat core does that for members):
        close it.  A front end may say why first.
        """
        if not self.closing:
            self.close()

    def writePending(self) -> None:
        """
        Write everything queued for this connection, in one write, or hand
        it to the guard to hold while the client is not reading; the
        batcher has sealed the batch being filled (see L{Batcher.writeNow}).
        """
        pending = self.pending
        if not pending:
            return
        if self.guard.holding:
            self.guard.hold([(batch.lines, batch.marks) for batch in pending])
            pending.clear()
            return
        if len(pending) == 1:
            data = pending[0].data()
        else:
            data = b"".join([batch.data() for batch in pending])
        pending.clear()
        self._writer.write(data)


@implementer(IOutbox)
class StreamFrontEnd(Factory):
    """
    Makes a connection for each client of one stream front end, admits it
    or refuses it, counts it, and is its connections' outbox.

    @ivar chat: the chat core every connection joins.
    @ivar accounts: what checks logins.
    @ivar clock: the reactor's time, for writes and every connection's timers.
    @ivar rules: the limits every connection is held to.
    @ivar admission: who may connect, shared with the other front ends;
        L{None} admits everyone.
    @ivar requireLogin: whether connections must log in before chatting.
    @ivar maxLineLength: the longest client line accepted, in bytes.
    @ivar batcher: what queues each connection's lines and writes them once
        per reactor turn.
    @ivar deadlines: what checks every connection for silence and for its
        login, on one timer for all.
    @ivar connections: the connections open and begun (past any TLS
        handshake), for a stopping server to close and wait for.
    """

    log = Logger()
    connectionClass: ClassVar[type[StreamConnection]]
    maxLineLength: int
    kind = "line"
    """Which front end this is, in the counts (L{twisted_chat.meters})."""

    def __init__(
        self,
        chat: Chat,
        accounts: Accounts,
        clock: IReactorTime,
        *,
        rules: ConnectionRules = DEFAULT_RULES,
        admission: Admission | None = None,
        requireLogin: bool = False,
    ) -> None:
        self.chat = chat
        self.accounts = accounts
        self.clock = clock
        self.rules = rules
        self.admission = admission
        self.requireLogin = requireLogin
        self.batcher = Batcher(clock)
        self.deadlines = Deadlines(clock)
        self.connections: set[StreamConnection] = set()
        self._whenAllClosed: list[Deferred[None]] = []

    # To be supplied by each front end

    def refusal(self, why: str) -> bytes:
        """The one line that tells a refused client why, in its protocol."""
        raise NotImplementedError

    def post(
        self,
        event: Event,
        participants: list[IParticipant],
        sender: IParticipant | None = None,
    ) -> None:
        """Encode C{event} and queue it for each of C{participants}."""
        raise NotImplementedError

    # Connections

    def buildProtocol(self, addr: IAddress | None) -> Protocol:
        """
        Make the connection for a new client, or, from an address a server
        operator banned or past the connection limits, one that says why it
        is refused and closes.
        """
        host = hostOf(addr)
        try:
            self.chat.operators.checkAddress(host)
        except ChatError as error:
            self.log.info("Refused a connection from {host}: banned", host=host)
            METERS.refused[self.kind, "banned"] += 1
            return Refusal(self.refusal(error.message))
        return admitOrRefuse(
            self.admission,
            addr,
            lambda: self.connectionClass(self),
            self.refusal,
            self.kind,
        )

    @property
    def bytesSent(self) -> int:
        """Bytes queued to be written to this front end's clients."""
        return self.batcher.bytesQueued

    @property
    def openConnections(self) -> int:
        return len(self.connections)

    @property
    def slowReaders(self) -> int:
        """Connections whose output is held now: their clients do not read."""
        return sum(connection.guard.holding for connection in self.connections)

    def connectionOpened(self, connection: StreamConnection) -> None:
        self.connections.add(connection)
        METERS.accepted[self.kind] += 1

    def connectionEnded(self, connection: StreamConnection) -> None:
        """C{connection} is gone: free its place."""
        release(self.admission, connection.admittedAs)
        if connection in self.connections:
            self.connections.remove(connection)
            if not self.connections:
                waiting, self._whenAllClosed = self._whenAllClosed, []
                for waiter in waiting:
                    waiter.callback(None)

    def closeAll(self, reason: str) -> None:
        """
        Close every connection still open, as the server stops; those of
        members have been said goodbye to by the chat core already.
        """
        for connection in list(self.connections):
            connection.shutDown(reason)

    def allClosed(self) -> "Deferred[None]":
        """
        Return a Deferred that fires once no connection is open, so that a
        stopping server can let its goodbyes reach the clients.
        """
        if not self.connections:
            return succeed(None)
        waiter: Deferred[None] = Deferred()
        self._whenAllClosed.append(waiter)
        return waiter
