"""
Tests for L{twisted_chat.cluster.roster}: the other nodes' members, kept as
stand-ins, in two or three chat cores in one process.
"""

from twisted.internet.task import Clock
from twisted.logger import LogEvent, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import NickInUse
from twisted_chat.chat.events import (
    Goodbye,
    Joined,
    Kicked,
    NickChanged,
    Notice,
    PrivateMessage,
    Quit,
)
from twisted_chat.cluster import announcements
from twisted_chat.cluster.roster import BEAT, SILENCE, claimRank
from twisted_chat.store.memory import MemoryStore

from ..helpers import FailureLog, RecordingParticipant
from .inprocess import START, Network, Node


def nicksIn(node: Node, room: str) -> list[str]:
    return list(node.chat.membersOf(room).nicks)


class RosterTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(START)
        self.network = Network()
        self.memory = MemoryStore()
        self.a = Node(self.network, self.memory, self.clock, "a")
        self.b = Node(self.network, self.memory, self.clock, "b")

    def member(
        self, node: Node, nick: str, *rooms: str
    ) -> tuple[object, RecordingParticipant]:
        participant = RecordingParticipant()
        member = node.chat.connect(participant, nick=nick)
        for room in rooms:
            node.chat.join(member, room)
        self.network.flush()
        participant.take()
        return member, participant


class PresenceTests(RosterTestCase):
    def test_membersOfEveryNode(self) -> None:
        """
        A room's member list names the members of every node, and a member
        joining on one node is announced to the room on the others.
        """
        self.member(self.a, "alice", "#tea")
        _, toAlice = self.a.chat.memberNamed("alice"), None
        bob = self.b.chat.connect(RecordingParticipant(), nick="bob")
        self.b.chat.join(bob, "#tea")
        alice = self.a.chat.memberNamed("alice")
        toAlice = alice.participant
        assert isinstance(toAlice, RecordingParticipant)
        toAlice.take()
        self.network.flush()
        self.assertEqual(
            [(e.room, e.nick) for e in toAlice.eventsOfType(Joined)], [("#tea", "bob")]
        )
        self.assertEqual(nicksIn(self.a, "#tea"), ["alice", "bob"])
        self.assertEqual(nicksIn(self.b, "#tea"), ["alice", "bob"])

    def test_nickTakenElsewhere(self) -> None:
        """A nick a member of another node has is refused here."""
        self.member(self.a, "alice")
        carol, _ = self.member(self.b, "carol")
        with self.assertRaises(NickInUse):
            self.b.chat.changeNick(carol, "Alice")  # type: ignore[arg-type]

    def test_renameAndQuitSeenElsewhere(self) -> None:
        """Renames and departures on one node reach the room on the other."""
        alice, _ = self.member(self.a, "alice", "#tea")
        _, toBob = self.member(self.b, "bob", "#tea")
        self.a.chat.changeNick(alice, "ally")  # type: ignore[arg-type]
        self.a.chat.quit(alice, "gone for tea")  # type: ignore[arg-type]
        self.network.flush()
        self.assertEqual(
            [(e.old, e.new) for e in toBob.eventsOfType(NickChanged)],
            [("alice", "ally")],
        )
        self.assertEqual(
            [(e.nick, e.reason) for e in toBob.eventsOfType(Quit)],
            [("ally", "gone for tea")],
        )
        self.assertEqual(nicksIn(self.b, "#tea"), ["bob"])
        self.assertIsNone(self.b.chat.memberIfPresent("ally"))

    def test_privateMessageCrossesNodes(self) -> None:
        """A private message to another node's member reaches it once."""
        alice, toAlice = self.member(self.a, "alice")
        _, toBob = self.member(self.b, "bob")
        self.successResultOf(self.a.chat.sendPrivate(alice, "bob", "psst"))  # type: ignore[arg-type]
        self.network.flush()
        self.assertEqual(
            [
                (e.sender, e.recipient, e.text)
                for e in toBob.eventsOfType(PrivateMessage)
            ],
            [("alice", "bob", "psst")],
        )
        self.assertEqual(len(toAlice.eventsOfType(PrivateMessage)), 1)

    def test_kickCrossesNodes(self) -> None:
        """
        An operator on one node kicking a member of another puts it out of
        the room on its own node too.
        """
        alice, _ = self.member(self.a, "alice", "#tea")
        bob, toBob = self.member(self.b, "bob", "#tea")
        self.a.chat.moderation.kick(alice, "#tea", "bob", "out")  # type: ignore[arg-type]
        self.network.flush()
        self.assertEqual(
            [(e.nick, e.by) for e in toBob.eventsOfType(Kicked)], [("bob", "alice")]
        )
        self.assertNotIn("#tea", bob.rooms)  # type: ignore[attr-defined]
        self.assertEqual(nicksIn(self.b, "#tea"), ["alice"])


class ClashTests(RosterTestCase):
    def test_sameNickAtOnce(self) -> None:
        """
        Two nodes giving one nick before hearing of each other end with one
        holder, the same on both; the other is renamed and told.
        """
        first = self.a.chat.connect(RecordingParticipant(), nick="sam")
        self.clock.advance(1)
        second = self.b.chat.connect(RecordingParticipant(), nick="sam")
        self.network.flush()
        self.assertEqual(first.nick, "sam")
        self.assertNotEqual(second.nick, "sam")
        self.assertIs(self.a.chat.memberNamed("sam"), first)
        self.assertEqual(self.b.chat.memberNamed("sam").node, "a")
        told = second.participant
        assert isinstance(told, RecordingParticipant)
        self.assertEqual(len(told.eventsOfType(Notice)), 1)
        # Each node knows the renamed one under its new nick.
        self.assertIsNotNone(self.a.chat.memberIfPresent(second.nick))

    def test_laterLoginWins(self) -> None:
        """
        Logging in to an account on one node closes its older session on
        another, as on one server.
        """
        old, toOld = self.member(self.a, "guest")
        self.a.chat.bindAccount(old, "zoe")  # type: ignore[arg-type]
        self.network.flush()
        new, _ = self.member(self.b, "visitor")
        self.b.chat.bindAccount(new, "zoe")  # type: ignore[arg-type]
        self.network.flush()
        self.assertEqual(new.nick, "zoe")  # type: ignore[attr-defined]
        self.assertEqual([e.kind for e in toOld.eventsOfType(Goodbye)], ["replaced"])
        self.assertEqual(self.a.chat.memberNamed("zoe").node, "b")

    def test_rankOrder(self) -> None:
        """An account's holder beats a guest; of two holders, the later."""
        self.assertLess(claimRank("zoe", "zoe", 5, "b"), claimRank("zoe", None, 1, "a"))
        self.assertLess(
            claimRank("zoe", "zoe", 5, "b"), claimRank("zoe", "zoe", 1, "a")
        )
        self.assertLess(claimRank("sam", None, 1, "b"), claimRank("sam", None, 5, "a"))


class SilenceTests(RosterTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.a.roster.start()
        self.b.roster.start()

    def tearDown(self) -> None:
        self.a.roster.stop()
        self.b.roster.stop()

    def test_silentNodeGoesAndComesBack(self) -> None:
        """
        A node not heard for L{SILENCE} seconds is taken for gone, its
        members quitting; when it is heard again they come back, rooms and
        all.
        """
        _, toAlice = self.member(self.a, "alice", "#tea")
        self.member(self.b, "bob", "#tea")
        self.b.bus.connected = False
        self.clock.advance(SILENCE + BEAT)
        self.network.flush()
        self.assertEqual([e.nick for e in toAlice.eventsOfType(Quit)], ["bob"])
        self.assertEqual(nicksIn(self.a, "#tea"), ["alice"])
        self.b.bus.connected = True
        self.clock.advance(BEAT)
        self.network.flush()
        self.network.flush()
        self.assertEqual(nicksIn(self.a, "#tea"), ["alice", "bob"])

    def test_burstAfterReconnect(self) -> None:
        """
        What was announced while a node could not hear is made whole when
        its bus is back.
        """
        self.member(self.a, "alice", "#tea")
        self.b.bus.connected = False
        carol = self.a.chat.connect(RecordingParticipant(), nick="carol")
        self.a.chat.join(carol, "#tea")
        self.network.flush()
        self.b.bus.connected = True
        self.b.roster.reconnected()
        self.network.flush()
        self.assertEqual(nicksIn(self.b, "#tea"), ["alice", "carol"])

    def test_stoppingNodeSaysBye(self) -> None:
        """A node stopping says so: its members go at once elsewhere."""
        self.member(self.a, "alice", "#tea")
        self.b.roster.stop()
        self.network.flush()
        self.assertEqual(nicksIn(self.b, "#tea"), ["alice"])
        self.a.roster.stop()
        self.network.flush()
        self.assertIsNone(self.b.chat.memberIfPresent("alice"))


class MalformedTests(RosterTestCase):
    def test_ignoredOnce(self) -> None:
        """
        Malformed announcements (and one naming a room that cannot be) are
        ignored, with one line in the log for them all and no failure.
        """
        lines: list[LogEvent] = []
        globalLogPublisher.addObserver(lines.append)
        self.addCleanup(globalLogPublisher.removeObserver, lines.append)
        failures = FailureLog()
        self.addCleanup(failures.stop)
        self.member(self.a, "alice", "#tea")
        self.network.flush()
        self.a.roster.heard(announcements.encode("x", "member", id=1, nick="xy",
                            account=None, claimed=1, rooms={}))  # fmt: skip
        for data in [
            b"nope",
            announcements.encode("x", "join", id="1", room="#tea", rank=0),
            announcements.encode("x", "join", id=1, room="no spaces", rank=0),
            announcements.encode("x", "shout"),
        ]:
            self.a.roster.heard(data)
        warned = [e for e in lines if "malformed announcement" in formatEvent(e)]
        self.assertEqual(len(warned), 1)
        self.assertEqual(failures.failures, [])
        self.assertEqual(nicksIn(self.a, "#tea"), ["alice"])
