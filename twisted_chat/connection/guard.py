"""
The limits one client connection is held to, whatever protocol it speaks.

A protocol adapter frames lines and carries them out; a L{ConnectionGuard}
decides when: no faster than the flood rate (reading stops meanwhile, so
excess lines wait in the socket, not in memory), not while a login is in
progress, and not at all past the bound on waiting input.  It pings a
silent client and drops one that stays silent, drops one that does not log
in in time or does not finish its TLS handshake, and, as the transport's
streaming producer, holds what a client that does not read is sent in a
L{twisted_chat.connection.backlog.Backlog}, dropping it if it stays behind.

It knows nothing of the chat or the wire: the adapter is a
L{twisted_chat.connection.guarded.Guarded}.
"""

from collections import deque
from collections.abc import Callable, Iterable
from typing import Final, cast

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import (
    IConsumer,
    IDelayedCall,
    INegotiated,
    IPushProducer,
    IReactorTime,
    ITCPTransport,
    ITransport,
)
from twisted.logger import Logger
from zope.interface import implementer

from twisted_chat.connection.backlog import Backlog, RoomMark
from twisted_chat.connection.guarded import Guarded
from twisted_chat.connection.liveness import Bucket, Deadlines
from twisted_chat.connection.sockets import configureForChat
from twisted_chat.limits import FLOOD_ARRIVAL_SECONDS, ConnectionRules
from twisted_chat.meters import METERS
from twisted_chat.throttle import TokenBucket

NOT_PAUSED: Final[frozenset[str]] = frozenset()
"""The reasons a connection that reads is paused for: none, shared by all."""

CLOSE_LINGER: Final = 2.0
"""
Seconds a closed TCP connection waits for its client to close its side
before it is ended for both (see L{ConnectionGuard.closeTransport}).
"""


@implementer(IPushProducer)
class ConnectionGuard:
    """
    One connection's limits: flood control, waiting input, silence, login
    and handshake time, and the send queue.

    One per connection, most of them idle: slotted, and what holds waiting
    lines and timers is made only when there is something to hold.

    @ivar rules: the limits.
    @ivar aborting: whether the connection must be aborted rather than
        closed: its client is not reading, or not there.
    """

    __slots__ = (
        "_backlog",
        "_bucket",
        "_clock",
        "_deadlines",
        "_dueIn",
        "_frontEnd",
        "_guarded",
        "_idleCheck",
        "_lastHeard",
        "_lines",
        "_loginBy",
        "_pausedFor",
        "_timers",
        "_toldSlowed",
        "_transport",
        "_unfinished",
        "_waiting",
        "aborting",
        "rules",
    )

    log = Logger()

    def __init__(
        self,
        guarded: Guarded,
        transport: ITransport,
        rules: ConnectionRules,
        clock: IReactorTime,
        *,
        frontEnd: str = "line",
        deadlines: Deadlines | None = None,
    ) -> None:
        """@param deadlines: what checks for silence and login (L{Deadlines})."""
        self.rules = rules
        self._frontEnd = frontEnd
        self.aborting = False
        self._guarded = guarded
        self._transport = transport
        self._clock = clock
        self._lines: deque[bytes | None] | None = None
        self._pausedFor: frozenset[str] = NOT_PAUSED
        # A line that must finish before the next (a login) is running: the
        # lines after it wait, still read, so that a client going away is
        # seen at once, and bounded as any waiting input is.
        self._waiting = False
        self._timers: dict[str, IDelayedCall] | None = None
        self._backlog: Backlog | None = None
        self._toldSlowed = False
        self._lastHeard = clock.seconds()
        self._deadlines = deadlines if deadlines is not None else Deadlines(clock)
        self._dueIn: Bucket | None = None
        # When to check next for silence, and the login deadline.
        self._idleCheck: float | None = None
        self._loginBy: float | None = None
        self._unfinished = "Not logged in"
        self._bucket = (
            TokenBucket(
                rules.floodBurst,
                rules.floodRate,
                clock,
                arrival=rules.floodArrivalBurst,
                arrivalSeconds=FLOOD_ARRIVAL_SECONDS,
            )
            if rules.floodRate > 0
            else None
        )

    # Life

    def configureTransport(self) -> None:
        """Set up a TCP connection for chat (see L{configureForChat})."""
        configureForChat(self._transport, self.rules.sendBufferBytes)

    def expectHandshake(self) -> None:
        """A TLS handshake comes first; drop the connection if it never does."""
        if self.rules.handshakeTimeout > 0:
            self._startTimer(
                "handshake", self.rules.handshakeTimeout, self._noHandshake
            )

    def start(self, *, requireLogin: bool, unfinished: str = "Not logged in") -> None:
        """
        The client has joined the chat: start its clocks and send queue.

        @param unfinished: what a client that must log in (or register, as
            IRC calls it) and does not is told it failed to do.
        """
        self._cancel("handshake")
        self._unfinished = unfinished
        rules = self.rules
        if rules.sendQueueBytes > 0:
            cast(IConsumer, self._transport).registerProducer(self, True)
        now = self._lastHeard = self._clock.seconds()
        if rules.pingAfter > 0:
            self._idleCheck = now + rules.pingAfter
        if requireLogin and rules.loginTimeout > 0:
            self._loginBy = now + rules.loginTimeout
        self._watch()

    def stop(self) -> None:
        """The connection is gone: stop every clock, forget waiting input."""
        self._idleCheck = self._loginBy = None
        self._watch()
        timers, self._timers = self._timers, None
        for timer in (timers or {}).values():
            if timer.active():
                timer.cancel()
        lines, self._lines = self._lines, None
        if lines is not None:
            # Also ends a carrying out in progress (see _carryOut).
            lines.clear()

    def closeTransport(self) -> None:
        """
        Close the connection: abort it if its client is not reading (a
        graceful close would wait for it forever), else close it cleanly.
        Nothing more is carried out from then on.

        A plain TCP connection is closed the way web servers do it: the
        server's side first, once everything written has gone (the client
        reads the goodbye, then the end), then the whole connection once
        the client has closed its side too, or after L{CLOSE_LINGER}
        seconds.  That last step tells a client that only watches its
        keyboard (C{nc}) that the connection is gone, so it exits instead
        of waiting for one more line typed in vain.
        """
        self.stop()
        transport = self._transport
        if self.aborting or self._backlog is not None:
            transport.abortConnection()  # type: ignore[attr-defined]
            return
        if self._pausedFor:
            # Read on: a TLS close waits for the client's own close_notify,
            # and a paused connection would never see it.
            self._pausedFor = NOT_PAUSED
            cast(IPushProducer, transport).resumeProducing()
        if self.rules.sendQueueBytes > 0:
            cast(IConsumer, transport).unregisterProducer()
        if (
            ITCPTransport.providedBy(transport)
            and not INegotiated.providedBy(transport)
            # Not one already gone (a quit as the connection is lost):
            # half-closing that would ask the reactor to watch no socket.
            and getattr(transport, "connected", False)
            and not getattr(transport, "disconnecting", True)
        ):
            transport.loseWriteConnection()
        else:
            transport.loseConnection()
        if getattr(transport, "connected", False):
            # A client that does not close its side (nor, over TLS, send its
            # close_notify) is not waited for beyond the linger.
            self._startTimer(
                "linger",
                CLOSE_LINGER,
                transport.abortConnection,  # type: ignore[attr-defined]
            )

    # Input

    def received(self, lines: list[bytes | None]) -> None:
        """
        Lines have arrived (L{None} for one too long): carry out as many as
        the rules allow now, and the rest later.

        Only a whole line shows the client is there: bytes of a line never
        finished (one a minute, say) would otherwise keep a connection alive
        for ever without it ever saying anything.
        """
        if not lines:
            return
        self._lastHeard = self._clock.seconds()
        if self._lines is None:
            self._lines = deque(lines)
        else:
            self._lines.extend(lines)
        self._carryOut()
        if self._lines:
            self._checkWaitingInput()

    def heard(self) -> None:
        """
        The client showed it is there without a line (it answered a
        WebSocket ping): silence is counted from now.
        """
        self._lastHeard = self._clock.seconds()

    def _carryOut(self) -> None:
        """
        Carry out the lines received so far, in order, as fast as the flood
        rate allows, stopping while one that changes who the client is (a
        login) is in progress.
        """
        lines, bucket, guarded = self._lines, self._bucket, self._guarded
        if lines is None:
            return
        while lines and not self._waiting:
            if not guarded.present:
                # Lines after a quit are not carried out.
                lines.clear()
                break
            if bucket is not None and not bucket.take():
                self._slowDown(bucket.delay())
                return
            waitFor = guarded.carryOut(lines.popleft())
            if waitFor is not None and not waitFor.called:
                self._waitFor(waitFor)
        if not lines and self._lines is lines:
            self._lines = None

    def charge(self, lines: float) -> None:
        """
        Count the line being carried out as C{lines} more: it asks for as
        much as that many lines would (one IRC message to several targets),
        and the lines after it wait until the flood rate has paid for it; or,
        with a negative C{lines}, as less than a whole line (a query that
        costs the server little).
        """
        if self._bucket is not None:
            self._bucket.charge(lines)

    def _slowDown(self, delay: float) -> None:
        """Stop reading until the flood rate allows the next line; say so once."""
        if self._timing("flood"):
            return
        METERS.floodDelays[self._frontEnd] += 1
        self._pauseReading("flood")
        self._startTimer("flood", delay, self._speedUp)
        if not self._toldSlowed:
            self._toldSlowed = True
            self._guarded.tell(
                f"You are sending lines faster than {self.rules.floodRate:g} a"
                " second; they are being delayed, not lost."
            )

    def _speedUp(self) -> None:
        self._cancel("flood")
        self._resumeReading("flood")
        self._carryOut()

    def _waitFor(self, outcome: Deferred[None]) -> None:
        self._waiting = True

        def finished(result: object) -> None:
            self._waiting = False
            if self._guarded.present:
                self._carryOut()

        outcome.addBoth(finished)

    def _checkWaitingInput(self) -> None:
        """Drop a client with more input waiting than the rules allow."""
        rules, lines = self.rules, self._lines
        if lines is None:
            return
        tooMany = 0 < rules.maxQueuedLines < len(lines)
        waitingBytes = sum(len(line) for line in lines if line is not None)
        if tooMany or 0 < rules.maxQueuedBytes < waitingBytes:
            lines.clear()
            METERS.floodDisconnects[self._frontEnd] += 1
            self._guarded.drop(
                f"Excess flood (more than {rules.maxQueuedLines} lines or"
                f" {rules.maxQueuedBytes} bytes waiting)",
                "flood",
            )

    def _pauseReading(self, reason: str) -> None:
        if not self._pausedFor:
            # Stream transports are push producers of what they read.
            cast(IPushProducer, self._transport).pauseProducing()
        self._pausedFor |= {reason}

    def _resumeReading(self, reason: str) -> None:
        if reason in self._pausedFor:
            self._pausedFor = (self._pausedFor - {reason}) or NOT_PAUSED
            if not self._pausedFor and self._guarded.present:
                cast(IPushProducer, self._transport).resumeProducing()

    # Clocks

    def _startTimer(self, name: str, delay: float, action: Callable[[], None]) -> None:
        if self._timers is None:
            self._timers = {}
        self._timers[name] = self._clock.callLater(delay, action)

    def _timing(self, name: str) -> bool:
        """Whether the timer C{name} is running."""
        return self._timers is not None and name in self._timers

    def _cancel(self, name: str) -> None:
        """Stop the timer C{name}, or forget it if it has fired."""
        timers = self._timers
        if timers is None:
            return
        timer = timers.pop(name, None)
        if timer is not None and timer.active():
            timer.cancel()
        if not timers:
            self._timers = None

    def _noHandshake(self) -> None:
        self._cancel("handshake")
        self._transport.abortConnection()  # type: ignore[attr-defined]

    def _watch(self) -> None:
        """Be checked at the earlier of the next silence check and the login deadline."""
        if self._dueIn is not None:
            self._deadlines.cancel(self, self._dueIn)
            self._dueIn = None
        times = [t for t in (self._idleCheck, self._loginBy) if t is not None]
        if times:
            self._dueIn = self._deadlines.at(min(times), self)

    def due(self, now: float) -> None:
        """
        The time to check for silence, or the login deadline, has come (at
        most a tick late: see L{Deadlines}); then wait for the next.
        """
        self._dueIn = None
        if self._idleCheck is not None and now >= self._idleCheck:
            self._idleCheck = None
            self._checkIdle(now)
        if self._loginBy is not None and now >= self._loginBy:
            self._loginBy = None
            self._checkLoggedIn()
        self._watch()

    def _checkIdle(self, now: float) -> None:
        """
        Ping a client silent for C{pingAfter} seconds; drop one silent for
        C{idleTimeout}.
        """
        if not self._guarded.present:
            return
        rules = self.rules
        silence = now - self._lastHeard
        if silence < rules.pingAfter:
            self._idleCheck = now + (rules.pingAfter - silence)
        elif rules.idleTimeout > 0 and silence >= rules.idleTimeout:
            self._dropUnreachable(
                f"No reply to PING for {silence:.0f} seconds", "timeout"
            )
        else:
            self._guarded.ping(str(int(now)))
            if rules.idleTimeout > 0:
                self._idleCheck = now + (rules.idleTimeout - silence)

    def _checkLoggedIn(self) -> None:
        if self._guarded.present and not self._guarded.loggedIn:
            self._guarded.drop(
                f"{self._unfinished} within {self.rules.loginTimeout:g} seconds",
                "timeout",
            )

    def _dropUnreachable(self, reason: str, kind: str) -> None:
        """Drop a client that cannot be reached: its goodbye is not waited for."""
        if kind == "slow":
            METERS.slowReaders[self._frontEnd] += 1
        self.aborting = True
        self._guarded.drop(reason, kind)

    # Output: the transport's streaming producer.

    @property
    def holding(self) -> bool:
        """Whether output is being held (the transport's buffer is full)."""
        return self._backlog is not None

    def hold(
        self, batches: Iterable[tuple[list[bytes], list[RoomMark | None]]]
    ) -> None:
        """
        Hold lines for a client whose transport is full: batches of them,
        each with the lines' marks (L{None}, or a L{RoomMark} for a room
        message, which a client behind is not sent), both lists unchanged
        from now on.  Drop a client that is beyond saving, and give one that
        has fallen behind the send-queue timeout to catch up.
        """
        backlog = self._backlog
        assert backlog is not None
        saveable = all([backlog.hold(lines, marks) for lines, marks in batches])
        if not self._guarded.present:
            return
        if not saveable:
            self._dropUnreachable(
                f"Send queue over {backlog.cap} bytes even without room messages",
                "slow",
            )
        elif backlog.behind and not self._timing("behind"):
            METERS.gaps[self._frontEnd] += 1
            self.log.info(
                "{client} fell behind; room messages are left out",
                client=self._guarded.name,
            )
            if self.rules.sendQueueTimeout > 0:
                self._startTimer("behind", self.rules.sendQueueTimeout, self._tooSlow)

    def _tooSlow(self) -> None:
        self._cancel("behind")
        if self._guarded.present:
            self._dropUnreachable(
                f"Did not read for {self.rules.sendQueueTimeout:g} seconds", "slow"
            )

    def pauseProducing(self) -> None:
        """
        The client is not reading as fast as it is written to: hold what it
        is sent until it is.

        Its own lines are still read: a TLS handshake needs that, and they
        are bounded by flood control anyway.
        """
        if self._backlog is None:
            self._backlog = Backlog(self.rules.sendQueueBytes, self._guarded.gapNotice)

    def resumeProducing(self) -> None:
        """
        The client has read everything written: send what was held, with a
        gap notice (the adapter's) for each room whose messages were left
        out.
        """
        backlog, self._backlog = self._backlog, None
        if backlog is None:
            return
        self._cancel("behind")
        data = backlog.release()
        if data:
            self._guarded.write(data)

    def stopProducing(self) -> None:
        """The connection is going; the adapter's connectionLost stops us."""
