"""
The line-protocol server: an adapter between TCP (or any stream) and the core.

L{LineChatProtocol} turns bytes into lines (L{twisted_chat.framing}), lines
into commands (L{twisted_chat.wire}) and hands them to its member's
L{twisted_chat.interpreter.CommandInterpreter}; in the other direction it
writes each event it is given as one line.  It decides nothing about the chat.

L{LineChatFactory} holds the chat core, not a list of transports; it is the
outbox the core fans events out through: each event is encoded once, queued
for every connection it goes to, and each connection gets one write per
reactor turn.
"""

from collections import deque
from collections.abc import Callable
from typing import cast

from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IAddress,
    IConsumer,
    IDelayedCall,
    IHandshakeListener,
    INegotiated,
    IPushProducer,
    IReactorTime,
    ITCPTransport,
    ITransport,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from . import wire
from .accounts import Accounts
from .admission import Admission
from .backlog import Backlog
from .core import ChatServer, IOutbox, IParticipant, Member
from .errors import ChatError, LineTooLong
from .events import Event, Goodbye, Ping
from .framing import LineFramer
from .interpreter import CommandInterpreter
from .limits import DEFAULT_RULES, MAX_LINE_LENGTH, ConnectionRules
from .throttle import TokenBucket
from .writenow import writerFor


@implementer(IParticipant, IPushProducer, IHandshakeListener)
class LineChatProtocol(Protocol):
    """
    One client connection speaking the line protocol.

    It holds the connection to the factory's L{ConnectionRules}: lines beyond
    the flood rate wait (the connection is not read meanwhile), too much
    waiting input closes it, a client that does not read is held to a send
    queue (L{twisted_chat.backlog}), and a silent one is pinged, then
    dropped.

    @ivar member: the chat member this connection speaks for, from
        C{connectionMade} on.
    @ivar outbox: the factory, which delivers to all its connections at once.
    @ivar pending: batches of lines queued for the next write, in order;
        a batch may be shared with other connections (see
        L{LineChatFactory.post}).
    """

    log = Logger()
    transport: ITransport
    member: Member
    interpreter: CommandInterpreter

    def __init__(self, factory: "LineChatFactory") -> None:
        self.factory = factory
        self.outbox = factory
        self.rules = factory.rules
        self.pending: list[Batch] = []
        self._backlog: Backlog | None = None
        self._pausedFor: set[str] = set()
        self._timers: dict[str, IDelayedCall] = {}
        self._aborting = False
        self.admittedAs: str | None = None

    def connectionMade(self) -> None:
        transport = self.transport
        if ITCPTransport.providedBy(transport):
            # Chat lines are small and wanted now: do not wait for Nagle.
            transport.setTcpNoDelay(True)
            transport.setTcpKeepAlive(True)
        self._clock = self.factory.clock
        if INegotiated.providedBy(transport):
            # TLS: someone who cannot complete the handshake (a scanner, a
            # client refusing the certificate) never becomes a member.
            timeout = self.rules.handshakeTimeout
            if timeout > 0:
                self._startTimer("handshake", timeout, self._handshakeTooSlow)
            return
        self._begin()

    def handshakeCompleted(self) -> None:
        """The TLS handshake is done: now the client joins the chat."""
        timer = self._timers.pop("handshake", None)
        if timer is not None and timer.active():
            timer.cancel()
        self._begin()

    def _handshakeTooSlow(self) -> None:
        del self._timers["handshake"]
        self.transport.abortConnection()  # type: ignore[attr-defined]

    def _begin(self) -> None:
        """Make the member and greet it."""
        transport = self.transport
        rules, clock = self.rules, self._clock
        self._write = writerFor(transport)
        self._framer = LineFramer(self.factory.maxLineLength)
        self._lines: deque[bytes | None] = deque()
        self._waiting = False
        self._bucket = (
            TokenBucket(rules.floodBurst, rules.floodRate, clock)
            if rules.floodRate > 0
            else None
        )
        self._toldSlowed = False
        if rules.sendQueueBytes > 0:
            # The transport says when its buffer is full and when it drains.
            cast(IConsumer, transport).registerProducer(self, True)
        self.factory.connectionOpened()
        chat = self.factory.chat
        peer = transport.getPeer()
        self.member = chat.connect(self, address=getattr(peer, "host", str(peer)))
        self.interpreter = CommandInterpreter(
            chat,
            self.member,
            self.factory.accounts,
            requireLogin=self.factory.requireLogin,
        )
        self.log.info("{nick} connected from {peer}", nick=self.member.nick, peer=peer)
        self._lastHeard = clock.seconds()
        if rules.pingAfter > 0:
            self._startTimer("idle", rules.pingAfter, self._checkIdle)
        if self.factory.requireLogin and rules.loginTimeout > 0:
            self._startTimer("login", rules.loginTimeout, self._checkLoggedIn)
        self.interpreter.start()

    def dataReceived(self, data: bytes) -> None:
        self._lastHeard = self._clock.seconds()
        self._lines.extend(self._framer.feed(data))
        self._handleLines()
        if self._lines:
            self._checkQueuedInput()

    def _handleLines(self) -> None:
        """
        Carry out the lines received so far, in order, as fast as the flood
        rate allows, stopping while a command that changes who the member is
        (a login) is in progress.
        """
        bucket = self._bucket
        while self._lines and not self._waiting:
            if not self.member.present:
                # Lines after a quit are not carried out.
                self._lines.clear()
                return
            if bucket is not None and not bucket.take():
                self._slowDown(bucket.delay())
                return
            line = self._lines.popleft()
            if line is None:
                self.lineLengthExceeded()
            else:
                self.lineReceived(line)

    def _slowDown(self, delay: float) -> None:
        """
        Stop reading until the flood rate allows the next line; say so once.
        """
        if "flood" in self._timers:
            return
        self._pauseReading("flood")
        self._startTimer("flood", delay, self._speedUp)
        if not self._toldSlowed:
            self._toldSlowed = True
            rate = self.rules.floodRate
            self.interpreter.tell(
                f"You are sending lines faster than {rate:g} a second;"
                " they are being delayed, not lost."
            )

    def _speedUp(self) -> None:
        del self._timers["flood"]
        self._resumeReading("flood")
        self._handleLines()

    def _checkQueuedInput(self) -> None:
        """
        Close a connection that has more input waiting than the rules allow.
        """
        rules = self.rules
        tooMany = 0 < rules.maxQueuedLines < len(self._lines)
        queuedBytes = sum(len(line) for line in self._lines if line is not None)
        if tooMany or 0 < rules.maxQueuedBytes < queuedBytes:
            self._lines.clear()
            self.log.info("{nick} flooded; closing", nick=self.member.nick)
            self.factory.chat.quit(
                self.member,
                f"Excess flood (more than {rules.maxQueuedLines} lines or"
                f" {rules.maxQueuedBytes} bytes waiting)",
                "flood",
            )

    def lineReceived(self, line: bytes) -> None:
        """
        Carry out one line; a mistake is answered, a bug drops this
        connection only.
        """
        try:
            command = wire.parseCommand(line)
            waitFor = self.interpreter.execute(command) if command else None
        except ChatError as error:
            self.interpreter.reportError(error)
        except Exception:
            self.log.failure(
                "Unexpected error handling a line from {nick}", nick=self.member.nick
            )
            self.factory.chat.quit(self.member, "Internal server error", "error")
        else:
            if waitFor is not None and not waitFor.called:
                self._waitFor(waitFor)

    def _waitFor(self, outcome: Deferred[None]) -> None:
        self._waiting = True
        self._pauseReading("command")

        def finished(result: object) -> None:
            self._waiting = False
            if self.member.present:
                self._resumeReading("command")
                self._handleLines()

        outcome.addBoth(finished)

    def _pauseReading(self, reason: str) -> None:
        if not self._pausedFor:
            # Stream transports are push producers of what they read.
            cast(IPushProducer, self.transport).pauseProducing()
        self._pausedFor.add(reason)

    def _resumeReading(self, reason: str) -> None:
        if reason in self._pausedFor:
            self._pausedFor.discard(reason)
            if not self._pausedFor and self.member.present:
                cast(IPushProducer, self.transport).resumeProducing()

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

    # Timers

    def _startTimer(self, name: str, delay: float, action: Callable[[], None]) -> None:
        self._timers[name] = self._clock.callLater(delay, action)

    def _checkIdle(self) -> None:
        """
        Ping a client silent for C{pingAfter} seconds; drop one silent for
        C{idleTimeout}.
        """
        del self._timers["idle"]
        if not self.member.present:
            return
        rules = self.rules
        silence = self._clock.seconds() - self._lastHeard
        if silence < rules.pingAfter:
            self._startTimer("idle", rules.pingAfter - silence, self._checkIdle)
        elif rules.idleTimeout > 0 and silence >= rules.idleTimeout:
            self._dropFor(f"No reply to PING for {silence:.0f} seconds", "timeout")
        else:
            self.deliver(Ping(str(int(self._clock.seconds()))))
            if rules.idleTimeout > 0:
                self._startTimer("idle", rules.idleTimeout - silence, self._checkIdle)

    def _checkLoggedIn(self) -> None:
        del self._timers["login"]
        if self.member.present and self.member.account is None:
            self.factory.chat.quit(
                self.member,
                f"Not logged in within {self.rules.loginTimeout:g} seconds",
                "timeout",
            )

    def _dropFor(self, reason: str, kind: str) -> None:
        """
        Remove a member whose client cannot be reached, without waiting for
        it to read its goodbye.
        """
        self.log.info(
            "{nick}: {reason}; dropping", nick=self.member.nick, reason=reason
        )
        self._aborting = True
        self.factory.chat.quit(self.member, reason, kind)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        member = getattr(self, "member", None)
        for timer in self._timers.values():
            if timer.active():
                timer.cancel()
        self._timers.clear()
        if member is None:
            # It never joined: a TLS handshake that did not finish.
            self.factory.admissionEnded(self.admittedAs)
            return
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
        self._lines.clear()

    # IPushProducer: the transport's buffer is full (pause) or empty (resume).

    def pauseProducing(self) -> None:
        """
        The client is not reading as fast as it is written to (or, over
        TLS, the handshake is not done yet): hold its lines until it is.

        Its own lines are still read: a TLS handshake needs that, and they
        are bounded by flood control anyway.
        """
        if self._backlog is None:
            self._backlog = Backlog(self.rules.sendQueueBytes)

    def resumeProducing(self) -> None:
        """
        The client has read everything written: send what was held, with a
        C{GAP} for any room messages left out.
        """
        backlog, self._backlog = self._backlog, None
        if backlog is None:
            return
        timer = self._timers.pop("behind", None)
        if timer is not None and timer.active():
            timer.cancel()
        data = backlog.release()
        if data:
            self._write(data)

    def stopProducing(self) -> None:
        """The connection is going; connectionLost does the rest."""

    # IParticipant

    def deliver(self, event: Event) -> None:
        self.factory.post(event, [self])

    def close(self) -> None:
        self.flush()
        transport = self.transport
        if self._aborting or self._backlog is not None:
            # A client that is not reading would never let a close finish.
            transport.abortConnection()  # type: ignore[attr-defined]
            return
        if self.rules.sendQueueBytes > 0:
            cast(IConsumer, transport).unregisterProducer()
        transport.loseConnection()

    def flush(self) -> None:
        """Write everything queued for this connection, in one write."""
        self.factory.sealBatch()
        self.writePending()

    def writePending(self) -> None:
        """
        Write everything queued for this connection, in one write, or hold
        it while the client is behind; the factory's batch must have been
        sealed first.
        """
        pending = self.pending
        if not pending:
            return
        backlog = self._backlog
        if backlog is not None:
            whole = all([backlog.hold(batch.lines) for batch in pending])
            pending.clear()
            self._fellBehind(backlog, whole)
            # Dropping the client posts its quit: seal that batch too.
            self.factory.sealBatch()
            return
        if len(pending) == 1:
            data = pending[0].data()
        else:
            data = b"".join([batch.data() for batch in pending])
        pending.clear()
        self._write(data)

    def _fellBehind(self, backlog: Backlog, saveable: bool) -> None:
        """
        React to the backlog: drop a client beyond saving, and give one that
        has fallen behind the send-queue timeout to catch up.
        """
        if not self.member.present:
            return
        if not saveable:
            self._dropFor(
                f"Send queue over {backlog.cap} bytes even without room messages",
                "slow",
            )
        elif backlog.behind and "behind" not in self._timers:
            timeout = self.rules.sendQueueTimeout
            self.log.info(
                "{nick} fell behind; room messages are left out",
                nick=self.member.nick,
            )
            if timeout > 0:
                self._startTimer("behind", timeout, self._tooSlow)

    def _tooSlow(self) -> None:
        del self._timers["behind"]
        if self.member.present:
            self._dropFor(
                f"Did not read for {self.rules.sendQueueTimeout:g} seconds", "slow"
            )


FLUSH_BATCH = 64
"""Connections written to per reactor turn; see L{LineChatFactory._flush}."""


class Batch:
    """
    Lines queued, in order, for one or many connections.

    Lines are added until the batch is sealed (before anything is written);
    after that its bytes are joined once, for every connection it goes to.
    """

    __slots__ = ("_data", "lines")

    def __init__(self, line: bytes) -> None:
        self.lines = [line]
        self._data: bytes | None = None

    def data(self) -> bytes:
        if self._data is None:
            self._data = b"".join(self.lines)
        return self._data


@implementer(IOutbox)
class LineChatFactory(Factory):
    """
    Makes a L{LineChatProtocol} for each connection to one chat.

    It is the connections' L{twisted_chat.core.IOutbox}: an event for many
    of them is encoded once, queued for each, and written once per
    connection per reactor turn, however many events the turn brought.

    @ivar chat: the chat core every connection joins.
    @ivar accounts: what checks logins.
    @ivar clock: the reactor's time, for writes and every connection's timers.
    @ivar rules: the limits every connection is held to.
    @ivar admission: who may connect, shared with the other front ends;
        L{None} admits everyone.
    @ivar maxLineLength: the longest client line accepted, in bytes.
    @ivar requireLogin: whether connections must log in before chatting.
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
    ) -> None:
        self.chat = chat
        self.accounts = accounts
        self.clock = clock
        self.rules = rules
        self.admission = admission
        self.maxLineLength = maxLineLength
        self.requireLogin = requireLogin
        self._clock = clock
        self._dirty: list[LineChatProtocol] = []
        self._flushing = False
        self._batchFor: list[IParticipant] | None = None
        self._batch = Batch(b"")
        self.openConnections = 0
        self._whenAllClosed: list[Deferred[None]] = []

    def buildProtocol(self, addr: IAddress | None) -> Protocol:
        """
        Make the protocol for a new connection, or, past the connection
        limits, one that says why it is refused and closes.
        """
        if self.admission is None:
            return LineChatProtocol(self)
        host = hostOf(addr)
        refusal = self.admission.admit(host)
        if refusal is not None:
            self.log.info(
                "Refused a connection from {host}: {why}", host=host, why=refusal
            )
            return Refusal(refusal)
        protocol = LineChatProtocol(self)
        protocol.admittedAs = host
        return protocol

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
        (see L{sealBatch}) as soon as anything else is queued or any
        connection is written to, so each connection still gets every line
        once, in order.
        """
        line = wire.formatEvent(event)
        if participants is self._batchFor:
            self._batch.lines.append(line)
            return
        batch = Batch(line)
        self._batchFor, self._batch = participants, batch
        dirty = self._dirty
        for protocol in cast(list[LineChatProtocol], participants):
            pending = protocol.pending
            if not pending:
                dirty.append(protocol)
            pending.append(batch)
        if not self._flushing:
            self._flushing = True
            self._clock.callLater(0, self._flush)

    def sealBatch(self) -> None:
        """
        Let no more lines into the batch being filled: a connection that has
        it queued is about to be written to.
        """
        self._batchFor = None

    def _flush(self) -> None:
        """
        Write to the connections with queued lines, L{FLUSH_BATCH} per
        reactor turn, the rest on the next turns.

        In between, the reactor reads and commits new messages, which join
        the queues of connections not written to yet: one big room's
        fan-out never holds everything else up, and under load it sends
        more lines per write.
        """
        self.sealBatch()
        dirty = self._dirty
        now, self._dirty = dirty[:FLUSH_BATCH], dirty[FLUSH_BATCH:]
        for protocol in now:
            try:
                protocol.writePending()
            except Exception:
                # One broken connection must not silence the others.
                self.log.failure("Writing to {protocol!r} failed", protocol=protocol)
        if self._dirty:
            self._clock.callLater(0, self._flush)
        else:
            self._flushing = False

    def connectionOpened(self) -> None:
        self.openConnections += 1

    def admissionEnded(self, admittedAs: str | None) -> None:
        """A connection admitted as from C{admittedAs} is gone."""
        if admittedAs is not None and self.admission is not None:
            self.admission.release(admittedAs)

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


def hostOf(address: IAddress | None) -> str:
    """The host a connection comes from, for the per-address limits."""
    return str(getattr(address, "host", None) or "local")


class Refusal(Protocol):
    """
    Tell a connection over the limits why, in one C{BYE refused} line, and
    close it.
    """

    transport: ITransport

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def connectionMade(self) -> None:
        self.transport.write(wire.formatEvent(Goodbye("refused", self.reason)))
        self.transport.loseConnection()
