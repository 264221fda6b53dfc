"""
Tests for L{twisted_chat.connection.guard}, directly, with a guarded
connection that speaks no protocol: the guard knows nothing of any.
"""

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.connection.guard import ConnectionGuard
from twisted_chat.limits import ConnectionRules


class Recording:
    """A guarded connection that records what the guard asks of it."""

    name = "tester"
    present = True
    loggedIn = False

    def __init__(self, transport: StringTransport) -> None:
        self.transport = transport
        self.carried: list[bytes | None] = []
        self.pings: list[str] = []
        self.told: list[str] = []
        self.dropped: list[tuple[str, str]] = []
        self.waitFor: Deferred[None] | None = None

    def carryOut(self, line: bytes | None) -> Deferred[None] | None:
        self.carried.append(line)
        waiting, self.waitFor = self.waitFor, None
        return waiting

    def ping(self, token: str) -> None:
        self.pings.append(token)

    def tell(self, text: str) -> None:
        self.told.append(text)

    def drop(self, reason: str, kind: str) -> None:
        self.dropped.append((reason, kind))
        self.present = False

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    def gapNotice(self, room: str, first: int, last: int) -> bytes:
        return f"missed {room} {first}-{last}\n".encode()


class GuardTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.transport = StringTransport()
        self.guarded = Recording(self.transport)
        rules = ConnectionRules(floodArrivalBurst=0, sendQueueBytes=20)
        self.guard = ConnectionGuard(self.guarded, self.transport, rules, self.clock)
        self.guard.configureTransport()
        self.guard.start(requireLogin=False)

    def test_burstThenRate(self) -> None:
        """Past the burst, lines wait, reading paused, and the client is told once."""
        self.guard.received([b"%d" % n for n in range(8)])
        self.assertEqual(len(self.guarded.carried), 5)
        self.assertEqual(self.transport.producerState, "paused")
        self.assertEqual(len(self.guarded.told), 1)
        self.clock.advance(2)
        self.assertEqual(self.guarded.carried, [b"%d" % n for n in range(8)])

    def test_waitsForALine(self) -> None:
        """A line that must finish first holds the next ones; reading goes on."""
        self.guarded.waitFor = Deferred()
        waiting = self.guarded.waitFor
        self.guard.received([b"login", b"after"])
        self.assertEqual(self.guarded.carried, [b"login"])
        self.assertEqual(self.transport.producerState, "producing")
        waiting.callback(None)
        self.assertEqual(self.guarded.carried, [b"login", b"after"])

    def test_silence(self) -> None:
        """A silent client is pinged, then dropped."""
        rules = self.guard.rules
        self.clock.advance(rules.pingAfter)
        self.assertEqual(len(self.guarded.pings), 1)
        self.clock.advance(rules.idleTimeout - rules.pingAfter)
        self.assertEqual([kind for _, kind in self.guarded.dropped], ["timeout"])

    def test_heldThenTold(self) -> None:
        """
        What a client not reading is sent waits; marked lines past the send
        queue are left out, and the gap notice the connection renders says
        which, once it reads again.
        """
        self.guard.pauseProducing()
        self.assertTrue(self.guard.holding)
        lines = [b"kept\n"] + [b"message %d\n" % n for n in range(1, 6)]
        marks = [None] + [("#a", "#a", n) for n in range(1, 6)]
        self.guard.hold([(lines, marks)])
        self.guard.resumeProducing()
        written = self.transport.value()
        self.assertTrue(written.startswith(b"kept\n"), written)
        self.assertTrue(written.endswith(b"-5\n"), written)
        self.assertIn(b"missed #a ", written)
