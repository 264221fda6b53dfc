"""
Tests for L{twisted_chat.cluster.feed}: two chat cores in one process, as
two nodes, sharing one memory store and a bus whose notices a test hands
over, drops or holds.
"""

from twisted.internet.defer import Deferred, fail
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import StoreFailed
from twisted_chat.chat.events import HistoryEnd, RoomMessage
from twisted_chat.cluster.feed import (
    READ_CHUNK,
    RETRY_DELAY,
    decodeMessage,
    encodeMessage,
)
from twisted_chat.store import StoreError
from twisted_chat.store.memory import MemoryStore

from ..helpers import RecordingParticipant
from .inprocess import START, Network, Node


def said(participant: RecordingParticipant) -> list[tuple[int, str, bool]]:
    """The room messages a participant got: number, text, and whether history."""
    return [
        (event.sequence, event.text, event.history)
        for event in participant.events
        if isinstance(event, RoomMessage)
    ]


class ClusterTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(START)
        self.network = Network()
        self.memory = MemoryStore()
        self.a = Node(self.network, self.memory, self.clock)
        self.b = Node(self.network, self.memory, self.clock)


class SayingTests(ClusterTestCase):
    def test_bothWays(self) -> None:
        """
        A message said on either node is numbered by the store and reaches
        the members of both, once each, in number order; the sender's copy
        is its confirmation.
        """
        alice, toAlice = self.a.member("alice", "#tea")
        bob, toBob = self.b.member("bob", "#tea")
        confirmed = self.successResultOf(self.a.chat.say(alice, "#tea", "one"))
        self.assertEqual(confirmed.sequence, 1)
        self.b.chat.say(bob, "#tea", "two")
        self.network.flush()
        expected = [(1, "one", False), (2, "two", False)]
        self.assertEqual(said(toAlice), expected)
        self.assertEqual(said(toBob), expected)
        self.assertEqual(self.a.bus.published[0][:2], ("#tea", 1))

    def test_interleavedCommitsDeliveredInOrder(self) -> None:
        """
        Messages committed on both nodes before any notice is heard reach
        every member in number order, the missing ones read from the store.
        """
        alice, toAlice = self.a.member("alice", "#tea")
        bob, toBob = self.b.member("bob", "#tea")
        for i in range(3):
            self.a.chat.say(alice, "#tea", f"a{i}")
            self.b.chat.say(bob, "#tea", f"b{i}")
        self.network.flush()
        numbers = [n for n, _, _ in said(toAlice)]
        self.assertEqual(numbers, [1, 2, 3, 4, 5, 6])
        self.assertEqual(said(toAlice), said(toBob))
        self.assertFalse(any(history for _, _, history in said(toBob)))

    def test_droppedNoticeReadFromStore(self) -> None:
        """
        A node that missed a notice reads the missing message from the
        store when the next one comes, and delivers both in order.
        """
        alice, _ = self.a.member("alice", "#tea")
        _, toBob = self.b.member("bob", "#tea")
        self.a.chat.say(alice, "#tea", "lost")
        self.network.drop()
        self.a.chat.say(alice, "#tea", "heard")
        self.network.flush()
        self.assertEqual(said(toBob), [(1, "lost", False), (2, "heard", False)])
        self.assertEqual(self.b.store.reads, [("#tea", 0, 2)])

    def test_noticeWithoutPayload(self) -> None:
        """A notice without its event (too large) is read from the store."""
        alice, _ = self.a.member("alice", "#tea")
        _, toBob = self.b.member("bob", "#tea")
        self.a.bus.publishRoom = lambda room, seq, payload: (  # type: ignore[method-assign]
            self.network.inFlight.append((self.a.bus, room, seq, None))
        )
        self.a.chat.say(alice, "#tea", "big")
        self.network.flush()
        self.assertEqual(said(toBob), [(1, "big", False)])

    def test_duplicateNoticeIgnored(self) -> None:
        """A notice heard twice delivers once."""
        alice, _ = self.a.member("alice", "#tea")
        _, toBob = self.b.member("bob", "#tea")
        self.a.chat.say(alice, "#tea", "once")
        self.network.inFlight.append(self.network.inFlight[0])
        self.network.flush()
        self.assertEqual(said(toBob), [(1, "once", False)])

    def test_storeDownFailsTheMessage(self) -> None:
        """A message the store cannot keep is refused as on one node."""
        alice, toAlice = self.a.member("alice", "#tea")

        def refuse(message: RoomMessage) -> Deferred[int]:
            return fail(StoreError("the database went away"))

        self.a.store.appendNumbered = refuse  # type: ignore[attr-defined]
        self.failureResultOf(self.a.chat.say(alice, "#tea", "lost"), StoreFailed)
        self.assertEqual(said(toAlice), [])
        self.assertEqual(self.a.bus.published, [])


class JoiningTests(ClusterTestCase):
    def test_newcomerGetsHistoryNumberedElsewhere(self) -> None:
        """
        Joining a room whose messages another node numbered replays them as
        history, and what follows comes live, nothing twice.
        """
        alice, _ = self.a.member("alice", "#tea")
        for text in ("one", "two"):
            self.a.chat.say(alice, "#tea", text)
        self.network.flush()
        _, toBob = self.b.member("bob")
        self.b.chat.join(self.b.chat.memberNamed("bob"), "#tea")
        self.a.chat.say(alice, "#tea", "three")
        self.network.flush()
        self.assertEqual(
            said(toBob), [(1, "one", True), (2, "two", True), (3, "three", False)]
        )

    def test_replayWaitsUntilCurrent(self) -> None:
        """
        While the store has not said where a room stands, a newcomer's
        replay waits; then it runs through the room's last number.
        """
        alice, _ = self.a.member("alice", "#tea")
        self.a.chat.say(alice, "#tea", "one")
        self.b.store.down = True
        bob, toBob = self.b.member("bob")
        self.b.chat.join(bob, "#tea")
        # The store is away: the node serves from what it knows, and
        # catches up once it is back.
        self.assertEqual(said(toBob), [])
        self.b.store.down = False
        self.a.chat.say(alice, "#tea", "two")
        self.clock.advance(RETRY_DELAY)
        self.network.flush()
        self.assertEqual(said(toBob), [(1, "one", False), (2, "two", False)])

    def test_leavingUnsubscribes(self) -> None:
        """The last member leaving stops the node following the room."""
        bob, _ = self.b.member("bob", "#tea")
        self.assertIn("#tea", self.b.bus.rooms)
        self.b.chat.part(bob, "#tea", "bye")
        self.assertNotIn("#tea", self.b.bus.rooms)


class CatchingUpTests(ClusterTestCase):
    def test_reconnectedCatchesUp(self) -> None:
        """
        When the bus is back, the node reads what it missed meanwhile, in
        order, for every room it follows.
        """
        alice, _ = self.a.member("alice", "#tea", "#cake")
        _, toBob = self.b.member("bob", "#tea", "#cake")
        self.b.bus.connected = False
        self.a.chat.say(alice, "#tea", "t1")
        self.a.chat.say(alice, "#cake", "c1")
        self.a.chat.say(alice, "#tea", "t2")
        self.network.flush()
        self.assertEqual(said(toBob), [])
        self.b.bus.connected = True
        self.b.feed.reconnected()
        self.assertEqual(
            sorted(said(toBob)), [(1, "c1", False), (1, "t1", False), (2, "t2", False)]
        )

    def test_failedReadRetried(self) -> None:
        """
        A read that fails is tried again after L{RETRY_DELAY}, and then
        delivers what was missed.
        """
        alice, _ = self.a.member("alice", "#tea")
        _, toBob = self.b.member("bob", "#tea")
        self.a.chat.say(alice, "#tea", "lost")
        self.network.drop()
        self.a.chat.say(alice, "#tea", "heard")
        self.b.store.down = True
        self.network.flush()
        self.assertEqual(said(toBob), [])
        self.b.store.down = False
        self.clock.advance(RETRY_DELAY)
        self.assertEqual(said(toBob), [(1, "lost", False), (2, "heard", False)])

    def test_longGapReadInChunks(self) -> None:
        """A node far behind reads the gap a chunk at a time, all in order."""
        alice, _ = self.a.member("alice", "#tea")
        _, toBob = self.b.member("bob", "#tea")
        count = READ_CHUNK * 2 + 3
        for i in range(count):
            self.a.chat.say(alice, "#tea", str(i))
        self.network.drop()
        self.a.chat.say(alice, "#tea", "last")
        self.network.flush()
        numbers = [n for n, _, _ in said(toBob)]
        self.assertEqual(numbers, list(range(1, count + 2)))
        self.assertTrue(all(after == n * READ_CHUNK for n, (_, after, _) in
                            enumerate(self.b.store.reads)))  # fmt: skip


class OrderTests(ClusterTestCase):
    def test_newestByNumberNotTime(self) -> None:
        """
        Catching up finds the room's newest message by its number, though
        another node stamped it with an earlier time than the one before.
        """
        alice, _ = self.a.member("alice", "#tea")
        _, toBob = self.b.member("bob", "#tea")
        self.a.chat.say(alice, "#tea", "late stamp")
        self.network.flush()
        # As another node commits after stamping, with nobody told.
        early = RoomMessage("#tea", 0, int(START * 1000) - 5000, "zed", "early")
        self.successResultOf(self.memory.appendNumbered(early))
        self.b.feed.reconnected()
        self.assertEqual(said(toBob), [(1, "late stamp", False), (2, "early", False)])

    def test_liveHeldBehindAReplay(self) -> None:
        """
        While a newcomer's replay is read, the room's live messages from
        other nodes wait, so its history comes before them, for everyone
        in the same order.
        """
        alice, _ = self.a.member("alice", "#tea")
        _, toBob = self.b.member("bob", "#tea")
        self.a.chat.say(alice, "#tea", "before")
        self.network.flush()
        toBob.take()
        carol, toCarol = self.b.member("carol")
        self.b.store.hold()
        self.b.chat.join(carol, "#tea")
        self.a.chat.say(alice, "#tea", "during")
        self.network.flush()
        self.assertEqual(said(toBob), [])
        self.b.store.release()
        self.assertEqual(said(toCarol), [(1, "before", True), (2, "during", False)])
        self.assertEqual(said(toBob), [(2, "during", False)])


class PayloadTests(SynchronousTestCase):
    def test_roundTrip(self) -> None:
        """A message comes back as itself, said live."""
        message = RoomMessage("#Tea", 7, 1, "ann", "h\u00e9 \u2603", True, False, "ann")
        self.assertEqual(decodeMessage(encodeMessage(message), "#tea", 7), message)

    def test_refused(self) -> None:
        """A payload that is not this notice's message is not believed."""
        good = encodeMessage(RoomMessage("#tea", 7, 1, "ann", "hi"))
        for payload, room, sequence in [
            (b"not json", "#tea", 7),
            (b"[1,2]", "#tea", 7),
            (good, "#cake", 7),
            (good, "#tea", 8),
            (b'["#tea",7,1,"ann",5,false,null]', "#tea", 7),
            (b'["#tea",7,"1","ann","hi",false,null]', "#tea", 7),
        ]:
            self.assertIsNone(decodeMessage(payload, room, sequence), payload)


class HistoryEndTests(ClusterTestCase):
    def test_joinReplayEndsAtTheRoomsLastNumber(self) -> None:
        """The newcomer's replay says it ends at the room's last number."""
        alice, _ = self.a.member("alice", "#tea")
        self.a.chat.say(alice, "#tea", "one")
        bob, toBob = self.b.member("bob")
        self.b.chat.join(bob, "#tea")
        ends = [e for e in toBob.events if isinstance(e, HistoryEnd)]
        self.assertEqual([(e.count, e.through) for e in ends], [(1, 1)])
