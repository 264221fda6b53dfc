"""
Tests for L{twisted_chat.cluster.roster}: the other nodes' members, kept as
stand-ins, in two or three chat cores in one process.
"""

from twisted.internet.task import Clock
from twisted.logger import LogEvent, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import Banned, Moderated, Muted, NickInUse
from twisted_chat.chat.events import (
    Goodbye,
    Joined,
    NickChanged,
    Notice,
    PrivateMessage,
    Quit,
    RoomMessage,
    TopicChanged,
)
from twisted_chat.chat.modes import BAN, MUTE, Rank, parseModes
from twisted_chat.chat.orderevents import Announcement, BanChanged, Invited, Kicked
from twisted_chat.cluster import announcements
from twisted_chat.cluster.roster import BEAT, SILENCE
from twisted_chat.cluster.standins import claimRank
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


class AnnouncementTests(RosterTestCase):
    def test_toEveryNode(self) -> None:
        """A server operator's announcement reaches the members of every node."""
        self.member(self.a, "alice")
        _, toBob = self.member(self.b, "bob")
        console = self.a.chat.connect(RecordingParticipant(), privileged=True)
        self.network.flush()
        self.a.chat.operators.announce(console, "closing at five")
        self.network.flush()
        self.assertEqual(
            [e.text for e in toBob.eventsOfType(Announcement)], ["closing at five"]
        )


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


class RoomSyncTests(RosterTestCase):
    def test_topic(self) -> None:
        """A topic set on one node is the room's, and shown, on the other."""
        alice, _ = self.member(self.a, "alice", "#tea")
        _, toBob = self.member(self.b, "bob", "#tea")
        self.successResultOf(self.a.chat.setTopic(alice, "#tea", "oolong"))  # type: ignore[arg-type]
        self.network.flush()
        self.assertEqual([e.text for e in toBob.eventsOfType(TopicChanged)], ["oolong"])
        self.assertEqual(self.b.chat.topicOf("#tea").text, "oolong")

    def test_muteHoldsOnTheMutedNode(self) -> None:
        """
        An operator on one node muting a member of another keeps it from
        speaking there; the mute is shown to that node's members.
        """
        alice, _ = self.member(self.a, "alice", "#tea")
        bob, toBob = self.member(self.b, "bob", "#tea")
        self.a.chat.moderation.ban(alice, "#tea", MUTE, "bob")  # type: ignore[arg-type]
        self.network.flush()
        self.assertEqual(len(toBob.eventsOfType(BanChanged)), 1)
        with self.assertRaises(Muted):
            self.b.chat.say(bob, "#tea", "let me speak")  # type: ignore[arg-type]

    def test_banHoldsOnAnotherNode(self) -> None:
        """A ban set on one node keeps its mask out of the room on another."""
        alice, _ = self.member(self.a, "alice", "#tea")
        self.member(self.b, "bob", "#tea")
        self.a.chat.moderation.ban(alice, "#tea", BAN, "carol")  # type: ignore[arg-type]
        self.network.flush()
        carol, _ = self.member(self.b, "carol")
        with self.assertRaises(Banned):
            self.b.chat.join(carol, "#tea")  # type: ignore[arg-type]

    def test_modesAndRanks(self) -> None:
        """
        Settings and ranks given on one node hold on the other: a moderated
        room silences a plain member there, and one given voice speaks.
        """
        alice, _ = self.member(self.a, "alice", "#tea")
        bob, _ = self.member(self.b, "bob", "#tea")
        self.a.chat.moderation.setModes(alice, "#tea", parseModes("+m", []))  # type: ignore[arg-type]
        self.network.flush()
        with self.assertRaises(Moderated):
            self.b.chat.say(bob, "#tea", "hello?")  # type: ignore[arg-type]
        self.a.chat.moderation.setRank(alice, "#tea", "bob", Rank.VOICE)  # type: ignore[arg-type]
        self.network.flush()
        self.successResultOf(self.b.chat.say(bob, "#tea", "thanks"))  # type: ignore[arg-type]

    def test_lateNodeAsksForTheRoom(self) -> None:
        """
        A node that first hears of a room when a member there is announced
        asks for its whole state: topic, settings and bans.
        """
        self.b.bus.connected = False
        alice, _ = self.member(self.a, "alice", "#tea")
        self.successResultOf(self.a.chat.setTopic(alice, "#tea", "oolong"))  # type: ignore[arg-type]
        self.a.chat.moderation.setModes(alice, "#tea", parseModes("+mk-t", ["sesame"]))  # type: ignore[arg-type]
        self.a.chat.moderation.ban(alice, "#tea", BAN, "carol")  # type: ignore[arg-type]
        self.network.flush()
        self.b.bus.connected = True
        self.b.roster.reconnected()
        self.network.flush()
        self.network.flush()
        self.assertEqual(self.b.chat.topicOf("#tea").text, "oolong")
        room = self.b.chat.remote.rooms._directory.rooms["#tea"]
        self.assertEqual(
            (room.settings.moderated, room.settings.key, room.settings.topicLock),
            (True, "sesame", False),
        )
        self.assertEqual([ban.mask for ban in room.bans.values()], ["carol!*@*"])


class AttackedTests(RosterTestCase):
    """What an outside attack on a cluster found, each mended."""

    def test_closedStandInForgotten(self) -> None:
        """
        A stand-in closed here by a newer login is forgotten here: what its
        node says of it afterwards (a rename it made before hearing) does
        not bring it back or take another's nick.
        """
        old, _ = self.member(self.a, "visitor")
        self.a.chat.bindAccount(old, "zoe")  # type: ignore[arg-type]
        self.network.flush()
        new, _ = self.member(self.b, "guest")
        self.b.chat.bindAccount(new, "zoe")  # type: ignore[arg-type]
        self.a.chat.changeNick(old, "ghostnick")  # type: ignore[arg-type]
        self.network.flush()
        self.network.flush()
        self.assertIs(self.b.chat.memberNamed("zoe"), new)
        self.assertIsNone(self.b.chat.memberIfPresent("ghostnick"))
        self.b.chat.quit(new, "bye")  # type: ignore[arg-type]
        self.assertIsNone(self.b.chat.memberIfPresent("zoe"))

    def test_loserKeepsItsLogin(self) -> None:
        """A member losing a nick clash is renamed, still logged in."""
        member, _ = self.member(self.a, "acct")
        self.a.chat.bindAccount(member, "acct")  # type: ignore[arg-type]
        self.network.flush()
        guest = self.b.chat.connect(RecordingParticipant(), nick="clz")
        self.clock.advance(1)
        self.a.chat.changeNick(member, "clz")  # type: ignore[arg-type]
        self.network.flush()
        self.network.flush()
        self.assertEqual(guest.nick, "clz")
        self.assertNotEqual(member.nick, "clz")  # type: ignore[attr-defined]
        self.assertEqual(member.account, "acct")  # type: ignore[attr-defined]

    def test_registeredWhileApart(self) -> None:
        """A nick registered while a node could not hear reaches it later."""
        self.b.bus.connected = False
        self.a.chat.registered("regsplit")
        self.network.flush()
        self.assertFalse(self.b.chat.isRegistered("regsplit"))
        self.b.bus.connected = True
        self.b.roster.reconnected()
        self.network.flush()
        self.assertTrue(self.b.chat.isRegistered("regsplit"))

    def test_kickByNonOperatorRefused(self) -> None:
        """
        A kick of this node's member said to come from another node is
        carried out only if the kicker is an operator of the room here.
        """
        self.member(self.a, "op", "#tea")
        self.member(self.a, "mallory", "#tea")
        bob, _ = self.member(self.b, "bob", "#tea")
        ident = self.b.roster._local[bob][0]  # type: ignore[index]
        for by in ("mallory", "op"):
            kick = Kicked("#tea", "bob", by, 1, "out")
            self.b.roster.heard(
                announcements.encode(
                    "a",
                    "deliver",
                    to="b",
                    id=ident,
                    event=announcements.encodeEvent(kick),
                    operator=False,
                )
            )
            if by == "mallory":
                self.assertIn("#tea", bob.rooms)  # type: ignore[attr-defined]
        self.assertNotIn("#tea", bob.rooms)  # type: ignore[attr-defined]

    def test_badNickOrRoomRefusedWhole(self) -> None:
        """
        An announced member with a nick or a room that cannot be is not
        admitted, and none of its rooms is entered.
        """
        for nick, rooms in [("bad\r\nnick", {}), ("fine", {"#ok": 0, "no room": 0})]:
            self.b.roster.heard(
                announcements.encode(
                    "a",
                    "member",
                    id=9,
                    nick=nick,
                    account=None,
                    claimed=1,
                    rooms=rooms,
                )
            )
        self.assertIsNone(self.b.chat.memberIfPresent("fine"))
        self.assertNotIn("#ok", self.b.chat.remote.rooms._directory.rooms)

    def test_goneNodesMessagesCaughtUp(self) -> None:
        """
        A message a node committed but did not live to announce reaches the
        others once it is taken for gone.
        """
        self.a.roster.start()
        self.b.roster.start()
        self.addCleanup(self.b.roster.stop)
        alice, _ = self.member(self.a, "alice", "#tea")
        _, toBob = self.member(self.b, "bob", "#tea")
        self.a.chat.say(alice, "#tea", "last words")  # type: ignore[arg-type]
        self.network.drop()
        self.a.roster._beating.stop()
        self.a.bus.connected = False
        self.clock.advance(SILENCE + BEAT)
        self.network.flush()
        self.assertIn(
            "last words",
            [e.text for e in toBob.events if isinstance(e, RoomMessage)],
        )


class ReattackedTests(RosterTestCase):
    """What a second outside attack found, each mended."""

    def test_changeWithNoStandInThereCrosses(self) -> None:
        """
        A ban set in a room whose only members are on this node still holds
        on the others: changes of how a room is run reach every node.
        """
        op, _ = self.member(self.a, "op", "#ban3")
        self.a.chat.moderation.ban(op, "#ban3", BAN, "mallory")  # type: ignore[arg-type]
        self.network.flush()
        mallory, _ = self.member(self.b, "mallory")
        with self.assertRaises(Banned):
            self.b.chat.join(mallory, "#ban3")  # type: ignore[arg-type]

    def test_latestStateWinsAfterASplit(self) -> None:
        """
        A node that could not hear takes, when it hears again, a room's
        state changed meanwhile; its own older state undoes nothing.
        """
        op, _ = self.member(self.a, "op", "#lab")
        self.member(self.b, "bob", "#lab")
        self.b.bus.connected = False
        self.clock.advance(1)
        self.a.chat.moderation.setModes(op, "#lab", parseModes("+m", []))  # type: ignore[arg-type]
        self.network.flush()
        self.b.bus.connected = True
        self.b.roster.reconnected()
        self.network.flush()
        self.network.flush()
        for node in (self.a, self.b):
            room = node.chat.remote.rooms._directory.rooms["#lab"]
            self.assertTrue(room.settings.moderated, node.name)

    def test_invitationCrossesNodes(self) -> None:
        """
        An invitation to an invite-only room, made on one node for a member
        of another, lets it in there, and it is told.
        """
        op, _ = self.member(self.a, "op", "#inv")
        self.a.chat.moderation.setModes(op, "#inv", parseModes("+i", []))  # type: ignore[arg-type]
        bob, toBob = self.member(self.b, "bob")
        self.a.chat.moderation.invite(op, "#inv", self.a.chat.memberNamed("bob"))  # type: ignore[arg-type]
        self.network.flush()
        self.assertEqual(len(toBob.eventsOfType(Invited)), 1)
        self.b.chat.join(bob, "#inv")  # type: ignore[arg-type]
        self.assertEqual(nicksIn(self.b, "#inv"), ["op", "bob"])


class OperatorKickTests(RosterTestCase):
    def test_serverOperatorKicksAcrossNodes(self) -> None:
        """
        A server operator, who needs no rank in a room, kicks a member of
        another node out of it there too.
        """
        bob, toBob = self.member(self.b, "bob", "#sop")
        console = self.a.chat.connect(RecordingParticipant(), privileged=True)
        self.a.chat.join(console, "#sop")
        self.network.flush()
        self.a.chat.moderation.kick(console, "#sop", "bob", "out")
        self.network.flush()
        self.assertNotIn("#sop", bob.rooms)  # type: ignore[attr-defined]
        self.assertEqual(len(toBob.eventsOfType(Kicked)), 1)

    def test_accountMadeInPlaceIsKnown(self) -> None:
        """A member registering its own nick is known elsewhere as logged in."""
        ann, _ = self.member(self.a, "ann")
        self.a.chat.registered("ann")
        self.a.chat.bindAccount(ann, "ann")  # type: ignore[arg-type]
        self.network.flush()
        self.assertEqual(self.b.chat.memberNamed("ann").account, "ann")
