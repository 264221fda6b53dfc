"""
Tests for L{twisted_chat.frontends.commands.interpreter.CommandInterpreter}: what each command
does to the chat and what the member is told.
"""

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.commands import (
    COMMANDS,
    CONSOLE,
    EVERYONE,
    ROOM_OPERATORS,
    SERVER_OPERATORS,
    Act,
    Help,
    Join,
    Kick,
    ListRooms,
    Message,
    Part,
    QuitCommand,
    Say,
    SetNick,
    Topic,
    Who,
)
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import UnknownCommand
from twisted_chat.chat.events import (
    CurrentRoom,
    ErrorReply,
    Goodbye,
    HelpText,
    HistoryEnd,
    Joined,
    MemberList,
    PrivateMessage,
    RoomListEnd,
    RoomListEntry,
    RoomMessage,
    TopicInfo,
    Welcome,
)
from twisted_chat.chat.model import Member
from twisted_chat.chat.moderationcommands import Kill
from twisted_chat.frontends.commands.interpreter import (
    HELP_HEADINGS,
    CommandInterpreter,
)
from twisted_chat.limits import LOBBY

from ..helpers import RecordingParticipant, makeAccounts, makeChat

NOW = 1_700_000_000_000


def startMember(
    chat: Chat, nick: str | None = None, privileged: bool = False
) -> tuple[CommandInterpreter, RecordingParticipant]:
    participant = RecordingParticipant()
    member = chat.connect(participant, privileged=privileged)
    interpreter = CommandInterpreter(chat, member, makeAccounts(chat, Clock()))
    interpreter.start()
    if nick is not None:
        interpreter.execute(SetNick(nick))
    participant.take()
    return interpreter, participant


class StartTests(SynchronousTestCase):
    def test_welcomeAndLobby(self) -> None:
        """A new member is told its nick, then put in the lobby."""
        chat, clock = makeChat()
        participant = RecordingParticipant()
        member = chat.connect(participant)
        interpreter = CommandInterpreter(chat, member, makeAccounts(chat, clock))
        interpreter.start()
        welcome, joined, topic, members, current, end = participant.events
        self.assertIsInstance(welcome, Welcome)
        assert isinstance(welcome, Welcome)
        self.assertEqual(welcome.nick, "guest1")
        self.assertIn("/help", welcome.text)
        self.assertEqual(joined, Joined(LOBBY, "guest1", NOW))
        self.assertEqual(topic, TopicInfo(LOBBY, None, None, ""))
        self.assertEqual(members, MemberList(LOBBY, ("guest1",), (0,)))
        self.assertEqual(end, HistoryEnd(LOBBY, 0, 0, "join"))
        self.assertEqual(current, CurrentRoom(LOBBY))


class CommandTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, _ = makeChat()
        self.alice, self.aliceSees = startMember(self.chat, "alice")
        self.bob, self.bobSees = startMember(self.chat, "bob")
        self.aliceSees.take()

    def aliceMember(self) -> Member:
        return self.alice.member

    def test_say(self) -> None:
        """Say goes to the current room."""
        self.alice.execute(Say("hi"))
        self.assertEqual(
            self.bobSees.events, [RoomMessage(LOBBY, 1, NOW, "alice", "hi")]
        )

    def test_act(self) -> None:
        """/me is an action in the current room."""
        self.alice.execute(Act("waves"))
        self.assertEqual(
            self.bobSees.events,
            [RoomMessage(LOBBY, 1, NOW, "alice", "waves", action=True)],
        )

    def test_messageToRoomAndNick(self) -> None:
        """/msg #room says in that room; /msg nick is private."""
        self.alice.execute(Join("#a"))
        self.bob.execute(Join("#a"))
        self.bob.execute(Join(LOBBY))
        self.bobSees.take()
        self.alice.execute(Message("#a", "in a"))
        self.alice.execute(Message("bob", "psst"))
        self.assertEqual(
            self.bobSees.events,
            [
                RoomMessage("#a", 1, NOW, "alice", "in a"),
                PrivateMessage("alice", "bob", NOW, "psst"),
            ],
        )
        self.assertEqual(
            self.bob.member.currentRoom, self.chat.roomOf(self.bob.member, LOBBY)
        )

    def test_who(self) -> None:
        """/who lists the current or named room."""
        self.alice.execute(Who(None))
        self.alice.execute(Who("#nowhere"))
        self.assertEqual(
            self.aliceSees.events,
            [
                MemberList(LOBBY, ("alice", "bob"), (0, 0)),
                ErrorReply(
                    "no-such-room", "There is no room #nowhere; /rooms lists them."
                ),
            ],
        )

    def test_rooms(self) -> None:
        """/rooms lists each room, then the count."""
        self.bob.execute(Join("#b"))
        self.alice.execute(ListRooms())
        self.assertEqual(
            self.aliceSees.events,
            [RoomListEntry("#b", 1, ""), RoomListEntry(LOBBY, 2, ""), RoomListEnd(2)],
        )

    def test_topic(self) -> None:
        """
        /topic TEXT sets (here in a room alice made, so operates); /topic
        asks.
        """
        self.alice.execute(Join("#a"))
        self.bob.execute(Join("#a"))
        self.alice.execute(Topic(None, "plans"))
        self.aliceSees.take()
        self.bob.execute(Topic("#a", None))
        self.assertEqual(
            self.bobSees.events[-1], TopicInfo("#a", "alice", NOW, "plans")
        )

    def test_topicLocked(self) -> None:
        """
        The topic is locked to operators by default: nobody operates the
        lobby, so only server operators set its topic.
        """
        self.alice.execute(Topic(None, "plans"))
        self.assertEqual(
            self.aliceSees.events,
            [ErrorReply("not-operator", "Only operators of #lobby may set its topic.")],
        )

    def test_part(self) -> None:
        """/part leaves the room."""
        self.alice.execute(Part(None, "brb"))
        self.assertEqual(self.aliceSees.events[-1], CurrentRoom(None))

    def test_quit(self) -> None:
        """/quit and bye end the session."""
        self.alice.execute(QuitCommand("bye"))
        self.assertEqual(self.aliceSees.events, [Goodbye("quit", "bye")])
        self.assertTrue(self.aliceSees.closed)

    def test_errorsAreReplies(self) -> None:
        """A refused command is answered with its code; nothing is raised."""
        self.alice.execute(SetNick("bob"))
        self.alice.execute(Kick(None, "bob", ""))
        self.alice.execute(Kill("bob", ""))
        self.assertEqual(
            [event.code for event in self.aliceSees.eventsOfType(ErrorReply)],  # type: ignore[attr-defined]
            ["nick-in-use", "not-operator", "not-server-operator"],
        )

    def test_help(self) -> None:
        """
        /help lists every command but the server operators', the console's
        and those clients send by themselves (/resume, /pong), usage and
        summary, under a heading for everyone and one for room operators.
        """
        self.alice.execute(Help(None))
        text = "\n".join(e.text for e in self.aliceSees.eventsOfType(HelpText))  # type: ignore[attr-defined]
        self.assertNotIn("/resume", text)
        self.assertNotIn("/pong", text)
        for spec in COMMANDS.values():
            if spec.audience in (SERVER_OPERATORS, CONSOLE) or spec.forPrograms:
                self.assertNotIn(spec.usage, text)
            else:
                self.assertIn(spec.usage, text)
                self.assertIn(spec.summary, text)
        self.assertIn(HELP_HEADINGS[EVERYONE], text)
        self.assertIn(HELP_HEADINGS[ROOM_OPERATORS], text)
        self.assertNotIn(HELP_HEADINGS[SERVER_OPERATORS], text)

    def test_helpForServerOperators(self) -> None:
        """
        A server operator's /help lists the server operators' commands too,
        but not the console's; the console's lists them all.
        """
        self.chat.operators.granted.add("alice")
        self.alice.member.account = "alice"
        self.alice.execute(Help(None))
        text = "\n".join(e.text for e in self.aliceSees.eventsOfType(HelpText))  # type: ignore[attr-defined]
        self.assertIn(HELP_HEADINGS[SERVER_OPERATORS], text)
        self.assertIn(COMMANDS["kill"].usage, text)
        self.assertNotIn(COMMANDS["oper"].usage, text)
        console, sees = startMember(self.chat, privileged=True)
        console.execute(Help(None))
        text = "\n".join(e.text for e in sees.eventsOfType(HelpText))  # type: ignore[attr-defined]
        self.assertIn(HELP_HEADINGS[CONSOLE], text)
        self.assertIn(COMMANDS["oper"].usage, text)

    def test_helpOneCommand(self) -> None:
        """/help join explains /join alone; /help /join too."""
        self.alice.execute(Help("join"))
        self.alice.execute(Help("/JOIN"))
        lines = self.aliceSees.eventsOfType(HelpText)
        self.assertEqual(len(lines), 2)
        self.assertIn(COMMANDS["join"].usage, lines[0].text)  # type: ignore[attr-defined]

    def test_helpForPrograms(self) -> None:
        """/help resume still explains /resume, though the list leaves it out."""
        self.alice.execute(Help("resume"))
        lines = self.aliceSees.eventsOfType(HelpText)
        self.assertEqual(len(lines), 1)
        self.assertIn(COMMANDS["resume"].usage, lines[0].text)  # type: ignore[attr-defined]

    def test_helpUnknown(self) -> None:
        """/help of an unknown (or server operators') command is an error."""
        self.alice.execute(Help("frob"))
        self.alice.execute(Help("kill"))
        self.assertEqual(
            [e.code for e in self.aliceSees.events],  # type: ignore[attr-defined]
            [UnknownCommand.code, UnknownCommand.code],
        )

    def test_operatorHelpAndKill(self) -> None:
        """The console's help explains /kill, and /kill works for it."""
        operator, sees = startMember(self.chat, privileged=True)
        operator.execute(Help("kill"))
        self.assertIn("/kill", sees.events[0].text)  # type: ignore[attr-defined]
        operator.execute(Kill("bob", "enough"))
        self.assertTrue(self.bobSees.closed)
