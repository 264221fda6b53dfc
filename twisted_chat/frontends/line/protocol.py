"""
The line-protocol server: an adapter between TCP (or any stream) and the core.

L{LineChatProtocol} turns bytes into lines (L{twisted_chat.wire.framing}), lines
into commands (L{twisted_chat.wire.line}) and hands them to its member's
L{twisted_chat.frontends.line.interpreter.CommandInterpreter}; in the other direction it
writes each event it is given as one line.  It decides nothing about the chat.

L{LineChatFactory} holds the chat core, not a list of transports; it is the
outbox the core fans events out through: each event is encoded once, queued
for every connection it goes to, and each connection gets one write per
reactor turn.
"""

from typing import cast

from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IAddress,
    IHandshakeListener,
    INegotiated,
    IReactorTime,
    ITransport,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.core import ChatServer
from twisted_chat.chat.errors import ChatError, LineTooLong
from twisted_chat.chat.events import Event, Goodbye, Ping
from twisted_chat.chat.model import Member
from twisted_chat.chat.participants import IOutbox, IParticipant
from twisted_chat.connection.admission import Admission, admitOrRefuse, release
from twisted_chat.connection.batching import Batch, Batcher, Queued
from twisted_chat.connection.guard import ConnectionGuard
from twisted_chat.connection.writenow import writerFor
from twisted_chat.frontends.line.interpreter import CommandInterpreter
from twisted_chat.limits import (
    ARRIVAL_GRACE,
    DEFAULT_RULES,
    MAX_LINE_LENGTH,
    ConnectionRules,
)
from twisted_chat.wire import line as wire
from twisted_chat.wire.framing import LineFramer


@implementer(IParticipant, IHandshakeListener)
class LineChatProtocol(Protocol):
    """
    One client connection speaking the line protocol.

    Its L{ConnectionGuard} holds it to the factory's L{ConnectionRules}
    (flood control, waiting input, silence, login and handshake time, the
    send queue) and says when each line is carried out.

    @ivar member: the chat member this connection speaks for, from
        C{connectionMade} on (over TLS, once the handshake is done).
    @ivar outbox: the factory, which delivers to all its connections at once.
    @ivar pending: batches of lines queued for the next write, in order;
        a batch may be shared with other connections (see
        L{LineChatFactory.post}).
    @ivar guard: the limits of this connection.
    """

    log = Logger()
    transport: ITransport
    member: Member
    interpreter: CommandInterpreter
    guard: ConnectionGuard

    def __init__(self, factory: "LineChatFactory") -> None:
        self.factory = factory
        self.outbox = factory
        self.pending: list[Batch] = []
        self.admittedAs: str | None = None

    def connectionMade(self) -> None:
        transport = self.transport
        factory = self.factory
        self.guard = ConnectionGuard(self, transport, factory.rules, factory.clock)
        self.guard.configureTransport()
        if INegotiated.providedBy(transport):
            # TLS: someone who cannot complete the handshake (a scanner, a
            # client refusing the certificate) never becomes a member.
            self.guard.expectHandshake()
            return
        self._begin()

    def handshakeCompleted(self) -> None:
        """The TLS handshake is done: now the client joins the chat."""
        self._begin()

    def _begin(self) -> None:
        """Make the member and greet it."""
        factory, transport = self.factory, self.transport
        self._write = writerFor(transport)
        self._framer = LineFramer(factory.maxLineLength)
        factory.connectionOpened()
        peer = transport.getPeer()
        self.member = factory.chat.connect(
            self, address=getattr(peer, "host", str(peer))
        )
        self.interpreter = CommandInterpreter(
            factory.chat,
            self.member,
            factory.accounts,
            clock=factory.clock,
            arrivalGrace=factory.arrivalGrace,
            requireLogin=factory.requireLogin,
        )
        self.log.info("{nick} connected from {peer}", nick=self.member.nick, peer=peer)
        self.guard.start(requireLogin=factory.requireLogin)
        self.interpreter.start()

    def dataReceived(self, data: bytes) -> None:
        self.guard.received(self._framer.feed(data))

    # Guarded

    @property
    def name(self) -> str:
        return self.member.nick

    @property
    def present(self) -> bool:
        return self.member.present

    @property
    def loggedIn(self) -> bool:
        return self.member.account is not None

    def carryOut(self, line: bytes | None) -> Deferred[None] | None:
        """
        Carry out one line; a mistake is answered, a bug drops this
        connection only.
        """
        if line is None:
            self.lineLengthExceeded()
            return None
        try:
            command = wire.parseCommand(line)
            return self.interpreter.execute(command) if command else None
        except ChatError as error:
            self.interpreter.reportError(error)
        except Exception:
            self.log.failure(
                "Unexpected error handling a line from {nick}", nick=self.member.nick
            )
            self.factory.chat.quit(self.member, "Internal server error", "error")
        return None

    def ping(self, token: str) -> None:
        self.deliver(Ping(token))

    def tell(self, text: str) -> None:
        self.interpreter.tell(text)

    def drop(self, reason: str, kind: str) -> None:
        self.log.info(
            "{nick}: {reason}; dropping", nick=self.member.nick, reason=reason
        )
        self.factory.chat.quit(self.member, reason, kind)

    def write(self, data: bytes) -> None:
        self._write(data)

    def lineLengthExceeded(self) -> None:
        """
        Refuse a line longer than the limit; the framer has discarded it.
        """
        self.interpreter.reportError(
            LineTooLong(
                f"Lines are limited to {self._framer.maxLength} bytes;"
                " that one was discarded."
            )
        )

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.guard.stop()
        member = getattr(self, "member", None)
        if member is None:
            # It never joined: a TLS handshake that did not finish.
            self.factory.admissionEnded(self.admittedAs)
            return
        self.interpreter.stop()
        self.factory.connectionClosed(self.admittedAs)
        cleanly = reason.check(ConnectionDone) is not None
        self.log.info(
            "{nick} disconnected ({how})",
            nick=member.nick,
            how="closed" if cleanly else reason.getErrorMessage(),
        )
        self.factory.chat.quit(
            member, "Connection closed" if cleanly else "Connection lost"
        )

    # IParticipant

    def deliver(self, event: Event) -> None:
        self.factory.post(event, [self])

    def close(self) -> None:
        self.flush()
        self.guard.closeTransport()

    def flush(self) -> None:
        """Write everything queued for this connection, in one write."""
        self.factory.batcher.writeNow(self)

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
            self.guard.hold([batch.lines for batch in pending])
            pending.clear()
            return
        if len(pending) == 1:
            data = pending[0].data()
        else:
            data = b"".join([batch.data() for batch in pending])
        pending.clear()
        self._write(data)


@implementer(IOutbox)
class LineChatFactory(Factory):
    """
    Makes a L{LineChatProtocol} for each connection to one chat.

    It is the connections' L{twisted_chat.chat.core.IOutbox}: an event for many
    of them is encoded once, queued for each, and written once per
    connection per reactor turn, however many events the turn brought.

    @ivar chat: the chat core every connection joins.
    @ivar accounts: what checks logins.
    @ivar clock: the reactor's time, for writes and every connection's timers.
    @ivar rules: the limits every connection is held to.
    @ivar batcher: what queues each connection's lines and writes them once
        per reactor turn.
    @ivar admission: who may connect, shared with the other front ends;
        L{None} admits everyone.
    @ivar maxLineLength: the longest client line accepted, in bytes.
    @ivar requireLogin: whether connections must log in before chatting.
    @ivar arrivalGrace: seconds a new connection has to take its nick and
        name its rooms before it is put in the lobby.
    """

    log = Logger()

    def __init__(
        self,
        chat: ChatServer,
        accounts: Accounts,
        clock: IReactorTime,
        *,
        rules: ConnectionRules = DEFAULT_RULES,
        admission: Admission | None = None,
        maxLineLength: int = MAX_LINE_LENGTH,
        requireLogin: bool = False,
        arrivalGrace: float = ARRIVAL_GRACE,
    ) -> None:
        self.chat = chat
        self.accounts = accounts
        self.clock = clock
        self.arrivalGrace = arrivalGrace
        self.rules = rules
        self.admission = admission
        self.maxLineLength = maxLineLength
        self.requireLogin = requireLogin
        self.batcher = Batcher(clock)
        self.openConnections = 0
        self._whenAllClosed: list[Deferred[None]] = []

    def buildProtocol(self, addr: IAddress | None) -> Protocol:
        """
        Make the protocol for a new connection, or, past the connection
        limits, one that says why it is refused and closes.
        """
        return admitOrRefuse(
            self.admission,
            addr,
            lambda: LineChatProtocol(self),
            lambda why: wire.formatEvent(Goodbye("refused", why)),
        )

    # IOutbox

    def post(self, event: Event, participants: list[IParticipant]) -> None:
        """
        Encode C{event} once and queue the same bytes for each connection;
        each gets one write of all its queued lines at the end of this
        reactor turn.

        A room hands the same participants list for each message while its
        members stay the same, and a committed group of messages arrives in
        one turn.  So the lines go into a batch that every one of the
        participants has queued: the next event for the very same list is
        one append to that batch, not one per member.  The batch is sealed
        (see L{Batcher.seal}) as soon as anything else is queued or any
        connection is written to, so each connection still gets every line
        once, in order.
        """
        self.batcher.queue(wire.formatEvent(event), cast(list[Queued], participants))

    def connectionOpened(self) -> None:
        self.openConnections += 1

    def admissionEnded(self, admittedAs: str | None) -> None:
        """A connection admitted as from C{admittedAs} is gone."""
        release(self.admission, admittedAs)

    def connectionClosed(self, admittedAs: str | None = None) -> None:
        """A member's connection has closed."""
        self.admissionEnded(admittedAs)
        self.openConnections -= 1
        if not self.openConnections:
            waiting, self._whenAllClosed = self._whenAllClosed, []
            for waiter in waiting:
                waiter.callback(None)

    def allClosed(self) -> "Deferred[None]":
        """
        Return a Deferred that fires once no connection is open, so that a
        stopping server can let its goodbyes reach the clients.
        """
        if not self.openConnections:
            return succeed(None)
        waiter: Deferred[None] = Deferred()
        self._whenAllClosed.append(waiter)
        return waiter
