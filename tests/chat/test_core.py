"""
Tests for L{twisted_chat.chat.core.Chat}: rooms, members, nicks and fan-out,
with recording participants and a fake clock.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import (
    InvalidNick,
    InvalidRoomName,
    NickInUse,
    NoCurrentRoom,
    NoSuchNick,
    NoSuchRoom,
    NotInRoom,
    ReservedNick,
    TopicTooLong,
)
from twisted_chat.chat.events import (
    CurrentRoom,
    Goodbye,
    HistoryEnd,
    Joined,
    MemberList,
    NickChanged,
    Parted,
    PrivateMessage,
    Quit,
    RoomListEntry,
    RoomMessage,
    TopicChanged,
    TopicInfo,
)
from twisted_chat.chat.modes import Rank
from twisted_chat.limits import LOBBY, TOPIC_MAX_LENGTH

from ..helpers import (
    BrokenParticipant,
    RecordingParticipant,
    connectMember,
    joinAll,
    makeChat,
)

NOW = 1_700_000_000_000


class ConnectTests(SynchronousTestCase):
    def test_guestNicksAreUnique(self) -> None:
        """Each new member gets a guest nick no one else has."""
        chat, _ = makeChat()
        nicks = {chat.connect(RecordingParticipant()).nick for _ in range(50)}
        self.assertEqual(len(nicks), 50)
        self.assertTrue(all(nick.startswith("guest") for nick in nicks))

    def test_guestNickSkipsTakenNick(self) -> None:
        """A guest nick someone chose is not handed out again."""
        chat, _ = makeChat()
        first, _ = connectMember(chat, "guest2")
        self.assertEqual(first.nick, "guest2")
        self.assertEqual(chat.connect(RecordingParticipant()).nick, "guest3")

    def test_connectDeliversNothing(self) -> None:
        """Connecting only makes the member; greeting is the front end's policy."""
        chat, _ = makeChat()
        participant = RecordingParticipant()
        member = chat.connect(participant)
        self.assertEqual(participant.events, [])
        self.assertEqual(member.rooms, {})

    def test_operatorMayUseReservedNick(self) -> None:
        """A privileged participant may connect as server; no one else may."""
        chat, _ = makeChat()
        operator = chat.connect(RecordingParticipant(), nick="server", privileged=True)
        self.assertEqual(operator.nick, "server")
        self.assertRaises(
            ReservedNick, chat.connect, RecordingParticipant(), nick="Server"
        )


class JoinPartTests(SynchronousTestCase):
    def test_joinCreatesRoomAndTellsEveryone(self) -> None:
        """
        Joining announces the newcomer to the room, and tells the newcomer the
        topic, the members and that the room is now current.
        """
        chat, _ = makeChat()
        alice, aliceSees = connectMember(chat, "alice")
        bob, bobSees = connectMember(chat, "bob")
        chat.join(alice, "#Dev")
        chat.join(bob, "#dev")
        self.assertEqual(
            bobSees.events,
            [
                Joined("#Dev", "bob", NOW),
                TopicInfo("#Dev", None, None, ""),
                MemberList("#Dev", ("alice", "bob"), (Rank.OPERATOR, Rank.MEMBER)),
                CurrentRoom("#Dev"),
                HistoryEnd("#Dev", 0, 0, "join"),
            ],
        )
        self.assertEqual(aliceSees.events[-1], Joined("#Dev", "bob", NOW))
        self.assertIs(bob.currentRoom, alice.currentRoom)

    def test_joinAgainSwitchesOnly(self) -> None:
        """Joining a room one is in only makes it current again."""
        chat, _ = makeChat()
        alice, sees = connectMember(chat, "alice")
        chat.join(alice, "#a")
        chat.join(alice, "#b")
        sees.take()
        chat.join(alice, "#A")
        self.assertEqual(sees.events, [CurrentRoom("#a")])

    def test_roomsInJoinOrder(self) -> None:
        """A member's rooms are kept by folded name, in join order, until it parts."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat, "alice")
        self.assertEqual(dict(alice.rooms), {})
        chat.join(alice, "#B")
        chat.join(alice, "#a")
        self.assertEqual(list(alice.rooms), ["#b", "#a"])
        chat.part(alice, "#b", "")
        chat.part(alice, "#a", "")
        self.assertEqual(dict(alice.rooms), {})

    def test_noRoomsReadOnly(self) -> None:
        """
        The rooms of a member in none are read-only (they are shared by every
        such member): only joining changes them.
        """
        chat, _ = makeChat()
        alice, _ = connectMember(chat, "alice")
        bob, _ = connectMember(chat, "bob")
        chat.join(bob, "#a")
        chat.part(bob, "#a", "")
        with self.assertRaises(TypeError):
            alice.rooms["#a"] = bob.currentRoom
        self.assertEqual(dict(bob.rooms), {})

    def test_badRoomName(self) -> None:
        """A badly named room is refused."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat)
        self.assertRaises(InvalidRoomName, chat.join, alice, "#bad name")

    def test_part(self) -> None:
        """Leaving a room tells the room, the leaver included."""
        chat, _ = makeChat()
        alice, aliceSees = connectMember(chat, "alice")
        bob, bobSees = connectMember(chat, "bob")
        joinAll(chat, ["#a"], (alice, aliceSees), (bob, bobSees))
        chat.part(alice, "#a", "later")
        self.assertEqual(bobSees.events, [Parted("#a", "alice", NOW, "later")])
        self.assertEqual(aliceSees.events[0], Parted("#a", "alice", NOW, "later"))
        self.assertEqual(
            chat.membersOf("#a"), MemberList("#a", ("bob",), (Rank.MEMBER,))
        )

    def test_partCurrentRoomFallsBack(self) -> None:
        """Leaving the current room makes the last joined remaining room current."""
        chat, _ = makeChat()
        alice, sees = connectMember(chat, "alice")
        chat.join(alice, "#a")
        chat.join(alice, "#b")
        chat.join(alice, "#c")
        chat.join(alice, "#b")
        sees.take()
        chat.part(alice, None, "")
        self.assertEqual(sees.events[-1], CurrentRoom("#c"))

    def test_partLastRoom(self) -> None:
        """Leaving one's only room leaves one in no room."""
        chat, _ = makeChat()
        alice, sees = connectMember(chat, "alice")
        chat.join(alice, "#a")
        chat.part(alice, "#a", "")
        self.assertEqual(sees.events[-1], CurrentRoom(None))
        self.assertIsNone(alice.currentRoom)
        self.assertRaises(NoCurrentRoom, chat.say, alice, None, "hello?")

    def test_partRoomNotIn(self) -> None:
        """Leaving a room one is not in is refused."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat)
        chat.join(alice, "#a")
        self.assertRaises(NotInRoom, chat.part, alice, "#b", "")

    def test_emptyRoomGoesButLobbyStays(self) -> None:
        """A room is forgotten when its last member leaves; the lobby never is."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat)
        chat.join(alice, "#a")
        chat.join(alice, LOBBY)
        chat.part(alice, "#a", "")
        chat.part(alice, LOBBY, "")
        self.assertEqual(chat.listRooms(), [RoomListEntry(LOBBY, 0, "")])
        self.assertRaises(NoSuchRoom, chat.membersOf, "#a")


class MessageTests(SynchronousTestCase):
    def test_fanOutIncludesSender(self) -> None:
        """A room message reaches every member, the sender's copy confirming it."""
        chat, _ = makeChat()
        alice, aliceSees = connectMember(chat, "alice")
        bob, bobSees = connectMember(chat, "bob")
        carol, carolSees = connectMember(chat, "carol")
        joinAll(chat, ["#a"], (alice, aliceSees), (bob, bobSees))
        joinAll(chat, ["#b"], (carol, carolSees))
        chat.say(alice, None, "hi")
        expected = RoomMessage("#a", 1, NOW, "alice", "hi")
        self.assertEqual(aliceSees.events, [expected])
        self.assertEqual(bobSees.events, [expected])
        self.assertIs(aliceSees.events[0], bobSees.events[0])
        self.assertEqual(carolSees.events, [])

    def test_sequenceAndTime(self) -> None:
        """Sequence numbers go up by one per room; the time is the clock's."""
        chat, clock = makeChat()
        alice, sees = connectMember(chat, "alice")
        chat.join(alice, "#a")
        chat.join(alice, "#b")
        sees.take()
        chat.say(alice, "#a", "1")
        clock.advance(1.5)
        chat.say(alice, "#a", "2", action=True)
        chat.say(alice, "#b", "3")
        self.assertEqual(
            sees.events,
            [
                RoomMessage("#a", 1, NOW, "alice", "1"),
                RoomMessage("#a", 2, NOW + 1500, "alice", "2", action=True),
                RoomMessage("#b", 1, NOW + 1500, "alice", "3"),
            ],
        )

    def test_sequenceSurvivesEmptyRoom(self) -> None:
        """A room made again goes on from its last sequence number."""
        chat, _ = makeChat()
        alice, sees = connectMember(chat)
        chat.join(alice, "#a")
        chat.say(alice, None, "one")
        chat.part(alice, None, "")
        chat.join(alice, "#A")
        sees.take()
        said = self.successResultOf(chat.say(alice, None, "two"))
        self.assertEqual(said.sequence, 2)

    def test_sayToRoomNotIn(self) -> None:
        """Messages go only to rooms one is in."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat)
        bob, _ = connectMember(chat)
        chat.join(bob, "#b")
        self.assertRaises(NotInRoom, chat.say, alice, "#b", "let me in")

    def test_private(self) -> None:
        """A private message reaches its recipient and the sender only."""
        chat, _ = makeChat()
        alice, aliceSees = connectMember(chat, "alice")
        _, bobSees = connectMember(chat, "bob")
        _, carolSees = connectMember(chat, "carol")
        chat.sendPrivate(alice, "BOB", "psst")
        expected = PrivateMessage("alice", "bob", NOW, "psst")
        self.assertEqual(bobSees.events, [expected])
        self.assertEqual(aliceSees.events, [expected])
        self.assertEqual(carolSees.events, [])

    def test_privateToSelf(self) -> None:
        """A message to oneself arrives once."""
        chat, _ = makeChat()
        alice, sees = connectMember(chat, "alice")
        chat.sendPrivate(alice, "alice", "note")
        self.assertEqual(len(sees.events), 1)

    def test_privateToNobody(self) -> None:
        """A message to an unknown nick is refused."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat)
        self.assertRaises(NoSuchNick, chat.sendPrivate, alice, "ghost", "boo")

    def test_brokenParticipantIsolated(self) -> None:
        """One failing delivery is logged and does not stop the others."""
        chat, _ = makeChat()
        broken = chat.connect(BrokenParticipant())
        alice, sees = connectMember(chat)
        chat.join(broken, "#a")
        chat.join(alice, "#a")
        sees.take()
        chat.say(alice, None, "still works")
        self.assertEqual(
            [e.text for e in sees.eventsOfType(RoomMessage)], ["still works"]
        )
        self.assertTrue(self.flushLoggedErrors(RuntimeError))


class NickTests(SynchronousTestCase):
    def test_changeTellsRoomsOnce(self) -> None:
        """
        A new nick is announced once to everyone sharing a room, and to the
        member, but not to strangers.
        """
        chat, _ = makeChat()
        alice, aliceSees = connectMember(chat, "alice")
        bob, bobSees = connectMember(chat, "bob")
        _, carolSees = connectMember(chat, "carol")
        joinAll(chat, ["#a", "#b"], (alice, aliceSees), (bob, bobSees))
        chat.changeNick(alice, "alicia")
        self.assertEqual(bobSees.events, [NickChanged("alice", "alicia", NOW)])
        self.assertEqual(aliceSees.events, [NickChanged("alice", "alicia", NOW)])
        self.assertEqual(carolSees.events, [])
        self.assertIs(chat.memberNamed("ALICIA"), alice)
        self.assertRaises(NoSuchNick, chat.memberNamed, "alice")

    def test_nickInUseIgnoresCase(self) -> None:
        """A nick differing only in case from another's is taken."""
        chat, _ = makeChat()
        connectMember(chat, "alice")
        bob, _ = connectMember(chat, "bob")
        self.assertRaises(NickInUse, chat.changeNick, bob, "ALICE")

    def test_ownCaseChange(self) -> None:
        """One may change the case of one's own nick."""
        chat, _ = makeChat()
        alice, sees = connectMember(chat, "alice")
        chat.changeNick(alice, "Alice")
        self.assertEqual(sees.events, [NickChanged("alice", "Alice", NOW)])

    def test_sameNick(self) -> None:
        """Asking for the nick one has does nothing."""
        chat, _ = makeChat()
        alice, sees = connectMember(chat, "alice")
        chat.changeNick(alice, "alice")
        self.assertEqual(sees.events, [])

    def test_rules(self) -> None:
        """Invalid and reserved nicks are refused; the operator may be server."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat)
        self.assertRaises(InvalidNick, chat.changeNick, alice, "no spaces")
        self.assertRaises(ReservedNick, chat.changeNick, alice, "admin")
        operator, _ = connectMember(chat, privileged=True)
        chat.changeNick(operator, "admin")
        self.assertEqual(operator.nick, "admin")


class TopicTests(SynchronousTestCase):
    def test_setAndQuery(self) -> None:
        """A topic is announced to the room and remembered with who and when."""
        chat, _ = makeChat()
        alice, aliceSees = connectMember(chat, "alice")
        bob, bobSees = connectMember(chat, "bob")
        joinAll(chat, ["#a"], (alice, aliceSees), (bob, bobSees))
        chat.setTopic(alice, None, "plans")
        self.assertEqual(bobSees.events, [TopicChanged("#a", NOW, "alice", "plans")])
        self.assertEqual(chat.topicOf("#A"), TopicInfo("#a", "alice", NOW, "plans"))
        self.assertEqual(chat.listRooms()[0], RoomListEntry("#a", 2, "plans"))

    def test_tooLong(self) -> None:
        """A topic over the limit is refused; one at the limit is not."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat)
        chat.join(alice, "#a")
        chat.setTopic(alice, None, "x" * TOPIC_MAX_LENGTH)
        self.assertRaises(
            TopicTooLong, chat.setTopic, alice, None, "x" * (TOPIC_MAX_LENGTH + 1)
        )

    def test_onlyMembersSet(self) -> None:
        """Only a room's members may set its topic; anyone may read it."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat)
        bob, _ = connectMember(chat)
        chat.join(bob, "#b")
        self.assertRaises(NotInRoom, chat.setTopic, alice, "#b", "mine now")
        self.assertEqual(chat.topicOf("#b").text, "")


class QuitTests(SynchronousTestCase):
    def test_quit(self) -> None:
        """
        Quitting tells those who shared a room, once; says goodbye; closes the
        participant; and leaves no trace of the member.
        """
        chat, _ = makeChat()
        alice, aliceSees = connectMember(chat, "alice")
        bob, bobSees = connectMember(chat, "bob")
        _, carolSees = connectMember(chat, "carol")
        joinAll(chat, ["#a", "#b"], (alice, aliceSees), (bob, bobSees))
        chat.quit(alice, "bye")
        self.assertEqual(bobSees.events, [Quit("alice", NOW, "bye")])
        self.assertEqual(aliceSees.events, [Goodbye("quit", "bye")])
        self.assertTrue(aliceSees.closed)
        self.assertEqual(carolSees.events, [])
        self.assertEqual(
            chat.membersOf("#a"), MemberList("#a", ("bob",), (Rank.MEMBER,))
        )
        self.assertRaises(NoSuchNick, chat.memberNamed, "alice")
        self.assertFalse(alice.present)

    def test_quitTwice(self) -> None:
        """Quitting again does nothing, so front ends may call it freely."""
        chat, _ = makeChat()
        alice, sees = connectMember(chat)
        chat.quit(alice, "one")
        chat.quit(alice, "two")
        self.assertEqual(sees.events, [Goodbye("quit", "one")])

    def test_nickFreedOnQuit(self) -> None:
        """A nick is free again once its member has quit."""
        chat, _ = makeChat()
        alice, _ = connectMember(chat, "alice")
        chat.quit(alice, "")
        connectMember(chat, "alice")

    def test_closeAll(self) -> None:
        """Stopping says goodbye to everyone, without quit announcements."""
        chat, _ = makeChat()
        alice, aliceSees = connectMember(chat)
        bob, bobSees = connectMember(chat)
        joinAll(chat, ["#a"], (alice, aliceSees), (bob, bobSees))
        chat.closeAll("stopping")
        self.assertEqual(aliceSees.events, [Goodbye("shutdown", "stopping")])
        self.assertEqual(bobSees.events, [Goodbye("shutdown", "stopping")])
        self.assertTrue(aliceSees.closed and bobSees.closed)
        self.assertEqual(chat.listRooms(), [RoomListEntry(LOBBY, 0, "")])
