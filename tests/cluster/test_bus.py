"""
Tests for L{twisted_chat.cluster.bus}: two buses, as two nodes would have,
on a real throw-away Redis (L{tests.redisserver}) and the real reactor.
Every wait is a Deferred with a timeout; nothing sleeps.
"""

import socket
from collections.abc import Callable
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred, fail, inlineCallbacks
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.task import Clock
from twisted.logger import ILogObserver, LogEvent, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface import implementer

from tests.helpers import FailureLog
from tests.redisserver import ThrowAwayRedis, redis
from twisted_chat.cluster.address import (
    BadBusAddress,
    busCredentials,
    parseBusAddress,
)
from twisted_chat.cluster.bus import FAST_PATH_LIMIT, IBusListener, RedisBus
from twisted_chat.cluster.link import MAX_RETRY_DELAY
from twisted_chat.cluster.notice import Notice, encodeNotice

WAIT = 15.0
"""Seconds any one wait may take before the test fails."""


@implementer(IBusListener)
class RecordingListener:
    """Records what the bus says, and fires Deferreds when a condition holds."""

    def __init__(self) -> None:
        self.advanced: list[tuple[str, int, bytes | None]] = []
        self.reconnects = 0
        self._waiting: list[tuple[Callable[[], bool], Deferred[None]]] = []

    def roomAdvanced(self, room: str, sequence: int, payload: bytes | None) -> None:
        self.advanced.append((room, sequence, payload))
        self._check()

    def reconnected(self) -> None:
        self.reconnects += 1
        self._check()

    def when(self, condition: Callable[[], bool]) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        self._waiting.append((condition, d))
        self._check()
        return d.addTimeout(WAIT, reactor)

    def _check(self) -> None:
        for entry in list(self._waiting):
            if entry[0]():
                self._waiting.remove(entry)
                entry[1].callback(None)


@implementer(ILogObserver)
class BusLog:
    """The log lines one bus writes."""

    def __init__(self, bus: RedisBus) -> None:
        self._bus = bus
        self.lines: list[str] = []
        self._waiting: list[tuple[str, Deferred[None]]] = []

    def __call__(self, event: LogEvent) -> None:
        if event.get("log_source") is not self._bus:
            return
        line = formatEvent(event)
        self.lines.append(line)
        for entry in list(self._waiting):
            if entry[0] in line:
                self._waiting.remove(entry)
                entry[1].callback(None)

    def when(self, words: str) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        if any(words in line for line in self.lines):
            d.callback(None)
        else:
            self._waiting.append((words, d))
        return d.addTimeout(WAIT, reactor)


class CountingEndpoint:
    """A TCP endpoint to Redis that counts the connection attempts made."""

    def __init__(self, port: int) -> None:
        self._endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port, timeout=5)
        self.attempts = 0
        self._waiting: list[tuple[int, Deferred[None]]] = []

    def connect(self, factory: Any) -> Deferred[Any]:
        self.attempts += 1
        for entry in list(self._waiting):
            if self.attempts >= entry[0]:
                self._waiting.remove(entry)
                reactor.callLater(0, entry[1].callback, None)  # type: ignore[attr-defined]
        return self._endpoint.connect(factory)

    def when(self, attempts: int) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        self._waiting.append((attempts, d))
        return d.addTimeout(WAIT, reactor)


def subscribers(server: ThrowAwayRedis, channel: str) -> int:
    """How many connections Redis has subscribed to C{channel}, asked directly."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(f"PUBSUB NUMSUB {channel}\r\n".encode())
        reply = b""
        while not reply.endswith(b"\r\n") or reply.count(b"\r\n") < 4:
            reply += s.recv(1024)
    return int(reply.split(b"\r\n")[3].lstrip(b":"))


class BusAddressTests(SynchronousTestCase):
    def test_parse(self) -> None:
        """C{redis://HOST:PORT[/DB]} gives its host, port and database."""
        self.assertEqual(
            parseBusAddress("redis://r.example:7000/3"), ("r.example", 7000, 3)
        )
        self.assertEqual(parseBusAddress("redis://10.0.0.1"), ("10.0.0.1", 6379, 0))

    def test_bad(self) -> None:
        """Anything else is refused with L{BadBusAddress}."""
        for url in ["http://r:1", "redis://", "redis://r:x", "redis://r:1/db", "r:1"]:
            with self.assertRaises(BadBusAddress, msg=url):
                parseBusAddress(url)


class RedisBusTests(TestCase):
    """Two nodes' buses on one real Redis."""

    def setUp(self) -> None:
        self.redis = redis()
        self.addCleanup(self.redis.ensureRunning)

    def node(self, name: str, **options: Any) -> tuple[RedisBus, RecordingListener]:
        """A started bus for node C{name}, stopped after the test."""
        listener = RecordingListener()
        bus = RedisBus.fromAddress(reactor, self.redis.url, name, listener)
        if options:
            endpoint = options.pop("endpoint")
            bus = RedisBus(reactor, endpoint, name, listener, **options)
        log = BusLog(bus)
        globalLogPublisher.addObserver(log)
        self.addCleanup(globalLogPublisher.removeObserver, log)
        bus.start()
        self.addCleanup(bus.stop)
        bus.log_ = log  # type: ignore[attr-defined]
        return bus, listener

    @inlineCallbacks
    def connectedPair(self, *rooms: str) -> Any:
        a, heardA = self.node("a")
        b, heardB = self.node("b")
        for room in rooms:
            yield a.subscribe(room).addTimeout(WAIT, reactor)
            yield b.subscribe(room).addTimeout(WAIT, reactor)
        yield heardA.when(lambda: heardA.reconnects >= 1)
        yield heardB.when(lambda: heardB.reconnects >= 1)
        return a, heardA, b, heardB

    @inlineCallbacks
    def test_publishReachesOthersOnce(self) -> Any:
        """
        A notice reaches the other node's listener once, with its event, and
        not the publisher's own.
        """
        a, heardA, b, heardB = yield self.connectedPair("#tea")
        a.publishRoom("#tea", 1, b"one")
        yield heardB.when(lambda: len(heardB.advanced) >= 1)
        b.publishRoom("#tea", 2, b"two")
        yield heardA.when(lambda: len(heardA.advanced) >= 1)
        # A third notice, so that a second copy of the first would be heard.
        a.publishRoom("#tea", 3, b"three")
        yield heardB.when(lambda: len(heardB.advanced) >= 2)
        self.assertEqual(heardA.advanced, [("#tea", 2, b"two")])
        self.assertEqual(heardB.advanced, [("#tea", 1, b"one"), ("#tea", 3, b"three")])
        self.assertEqual(b.rooms, {"#tea"})

    @inlineCallbacks
    def test_subscribeUnsubscribe(self) -> Any:
        """
        A node hears only the rooms it is subscribed to; after unsubscribing
        a room, Redis no longer sends it that room's notices.
        """
        a, _, b, heardB = yield self.connectedPair("#tea", "#cake")
        channel = "twisted_chat:0:room:#tea"
        self.assertEqual(subscribers(self.redis, channel), 2)
        yield b.unsubscribe("#tea").addTimeout(WAIT, reactor)
        self.assertEqual(subscribers(self.redis, channel), 1)
        self.assertEqual(b.rooms, {"#cake"})
        a.publishRoom("#tea", 1, b"tea")
        a.publishRoom("#elsewhere", 1, b"no one")
        a.publishRoom("#cake", 1, b"cake")
        yield heardB.when(lambda: len(heardB.advanced) >= 1)
        self.assertEqual(heardB.advanced, [("#cake", 1, b"cake")])

    @inlineCallbacks
    def test_fastPath(self) -> Any:
        """
        An event up to the fast-path limit travels with its notice; a larger
        one does not, and the receiver is told to read it from the database.
        """
        a, _, _, heardB = yield self.connectedPair("#tea")
        small, large = b"s" * FAST_PATH_LIMIT, b"l" * (FAST_PATH_LIMIT + 1)
        a.publishRoom("#tea", 1, small)
        a.publishRoom("#tea", 2, large)
        a.publishRoom("#tea", 3, None)
        yield heardB.when(lambda: len(heardB.advanced) >= 3)
        self.assertEqual(
            heardB.advanced, [("#tea", 1, small), ("#tea", 2, None), ("#tea", 3, None)]
        )

    @inlineCallbacks
    def test_redisRestarted(self) -> Any:
        """
        When Redis goes away and comes back, the bus logs one line each way
        (not one per attempt), tells its listener C{reconnected()} once the
        subscriptions are back, and notices flow again.
        """
        endpointA = CountingEndpoint(self.redis.port)
        a, heardA = self.node("a", endpoint=endpointA)
        b, heardB = self.node("b")
        yield a.subscribe("#tea").addTimeout(WAIT, reactor)
        yield b.subscribe("#tea").addTimeout(WAIT, reactor)
        yield heardB.when(lambda: heardB.reconnects == 1)
        yield heardA.when(lambda: heardA.reconnects == 1)
        self.assertEqual(len(a.log_.lines), 1)  # type: ignore[attr-defined]

        self.redis.stop()
        yield a.log_.when("cannot reach")  # type: ignore[attr-defined]
        yield b.log_.when("cannot reach")  # type: ignore[attr-defined]
        self.assertFalse(a.connected)
        # Two more failed attempts per connection, while Redis is away.
        yield endpointA.when(endpointA.attempts + 4)
        self.redis.start()
        yield heardA.when(lambda: heardA.reconnects == 2)
        yield heardB.when(lambda: heardB.reconnects == 2)
        self.assertTrue(a.connected)

        b.publishRoom("#tea", 7, b"again")
        yield heardA.when(lambda: len(heardA.advanced) >= 1)
        self.assertEqual(heardA.advanced, [("#tea", 7, b"again")])
        downs = [line for line in a.log_.lines if "cannot reach" in line]  # type: ignore[attr-defined]
        self.assertEqual((len(downs), len(a.log_.lines)), (1, 3))  # type: ignore[attr-defined]
        self.assertIn("back", a.log_.lines[-1])  # type: ignore[attr-defined]

    @inlineCallbacks
    def test_publishedWhileAway(self) -> Any:
        """
        A node cut off from Redis publishes, once back, the last sequence of
        each room it could not announce, without the event, so the others
        read it from the database.
        """
        a, _, _, heardB = yield self.connectedPair("#tea")
        a._publisher.protocol.transport.abortConnection()  # cut off A alone
        yield a.log_.when("cannot reach")  # type: ignore[attr-defined]
        a.publishRoom("#tea", 1, b"one")
        a.publishRoom("#tea", 2, b"two")
        yield heardB.when(lambda: len(heardB.advanced) >= 1)
        self.assertEqual(heardB.advanced, [("#tea", 2, None)])
        self.assertEqual(heardB.reconnects, 1)

    @inlineCallbacks
    def test_publisherBackResynchronises(self) -> Any:
        """
        When only the publishing connection was lost, what the node
        announced meanwhile is lost: once it is back, the roster is told to
        say everything again.
        """
        a, _, _, _ = yield self.connectedPair()
        roster = RecordingListener()
        a.presence = roster  # type: ignore[assignment]
        a._publisher.protocol.transport.abortConnection()
        yield a.log_.when("is back")  # type: ignore[attr-defined]
        yield roster.when(lambda: roster.reconnects >= 1)
        self.assertEqual(roster.reconnects, 1)

    @inlineCallbacks
    def test_listenerBugKeepsTheBus(self) -> Any:
        """
        A listener failing on a notice is logged; the subscription stays,
        and the next notice is heard.
        """
        a, _, b, heardB = yield self.connectedPair("#tea")
        calls: list[int] = []

        def broken(room: str, sequence: int, payload: bytes | None) -> None:
            calls.append(sequence)
            if sequence == 1:
                raise RuntimeError("a bug")
            heardB.roomAdvanced(room, sequence, payload)

        b.listener = type("Broken", (), {"roomAdvanced": staticmethod(broken)})()
        failures = FailureLog()
        self.addCleanup(failures.stop)
        a.publishRoom("#tea", 1, b"one")
        a.publishRoom("#tea", 2, b"two")
        yield heardB.when(lambda: len(heardB.advanced) >= 1)
        self.assertEqual(calls, [1, 2])
        self.assertEqual(len(failures.failures), 1)
        self.flushLoggedErrors(RuntimeError)

    def test_credentials(self) -> None:
        """A user name and password in the address are given to Redis."""
        self.assertEqual(
            busCredentials("redis://:s3cret@r.example:7000/1"), (None, "s3cret")
        )
        self.assertEqual(
            busCredentials("redis://chat:s3cret@r.example"), ("chat", "s3cret")
        )
        self.assertEqual(busCredentials("redis://r.example"), (None, None))

    @inlineCallbacks
    def test_databaseRefused(self) -> Any:
        """
        A database number Redis refuses is said, and the bus tries again
        later rather than hanging; it stops cleanly.
        """
        endpoint = CountingEndpoint(self.redis.port)
        bus, _ = self.node("a", endpoint=endpoint, database=99999)
        yield bus.log_.when("refused")  # type: ignore[attr-defined]
        yield endpoint.when(4)
        self.assertFalse(bus.connected)
        self.assertEqual(len(bus.log_.lines), 2)  # type: ignore[attr-defined]


class RefusingEndpoint:
    """An endpoint whose every connection attempt is refused, as with Redis down."""

    def __init__(self) -> None:
        self.attempts = 0

    def connect(self, factory: Any) -> Deferred[Any]:
        self.attempts += 1
        return fail(ConnectionRefusedError())


class RetryTests(SynchronousTestCase):
    """The bus's attempts to reach Redis, on a fake clock and endpoint."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.endpoint = RefusingEndpoint()
        self.bus = RedisBus(self.clock, self.endpoint, "a", RecordingListener())
        self.lines: list[str] = []

        def observe(event: LogEvent) -> None:
            if event.get("log_source") is self.bus:
                self.lines.append(formatEvent(event))

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)

    def test_backoff(self) -> None:
        """
        Each connection is tried again after a delay that doubles up to the
        maximum; the bus says once that Redis is away, not once per attempt.
        """
        self.bus.start()
        self.assertEqual(self.endpoint.attempts, 2)
        delays = []
        for _ in range(7):
            calls = self.clock.getDelayedCalls()
            self.assertEqual(len(calls), 2)
            delay = calls[0].getTime() - self.clock.seconds()
            delays.append(delay)
            self.clock.advance(delay)
        self.assertEqual(delays, [0.5, 1, 2, 4, 8, MAX_RETRY_DELAY, MAX_RETRY_DELAY])
        self.assertEqual(self.endpoint.attempts, 16)
        self.assertEqual(len(self.lines), 1)
        self.assertIn("cannot reach", self.lines[0])

    def test_stop(self) -> None:
        """Stopping the bus stops the attempts."""
        self.bus.start()
        self.successResultOf(self.bus.stop())
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_publishWhileAway(self) -> None:
        """A publish while Redis is away is kept, the room's latest only."""
        self.bus.publishRoom("#tea", 3, b"x")
        self.bus.publishRoom("#tea", 2, b"x")
        self.bus.publishRoom("#cake", 1, None)
        self.assertEqual(self.bus._unsent, {"#tea": 3, "#cake": 1})

    def test_malformed(self) -> None:
        """Malformed notices are ignored, and said so once only."""
        listener = RecordingListener()
        self.bus.listener = listener
        self.bus.subscribe("#tea")  # not confirmed: Redis is away
        self.bus._received("room", b"junk")
        self.bus._received("room", b"{}")
        self.bus._received("room", encodeNotice(Notice("a", "#tea", 1, None)))
        self.bus._received("room", encodeNotice(Notice("b", "#cake", 1, None)))
        self.bus._received("room", encodeNotice(Notice("b", "#tea", 1, None)))
        self.assertEqual(listener.advanced, [("#tea", 1, None)])
        self.assertEqual(len(self.lines), 1)
        self.assertIn("malformed", self.lines[0])
