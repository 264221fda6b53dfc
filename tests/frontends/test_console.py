"""
Tests for L{twisted_chat.frontends.line.console.OperatorConsole}: the operator as a member.
"""

from datetime import UTC

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.events import CurrentRoom, Goodbye, Kicked, Quit, RoomMessage
from twisted_chat.frontends.line.console import OperatorConsole
from twisted_chat.limits import LOBBY
from twisted_chat.terminal.view import TerminalView
from twisted_chat.terminal.whereabouts import Whereabouts

from ..helpers import connectMember, makeAccounts, makeChat

NOW = 1_700_000_000_000


class OperatorConsoleTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, clock = makeChat()
        self.accounts = makeAccounts(self.chat, clock)
        self.shown: list[str] = []
        self.stops = 0
        self.whereabouts = Whereabouts()
        view = TerminalView(
            self.shown.append, self.whereabouts, color=False, timezone=UTC
        )
        self.console = OperatorConsole(
            self.chat,
            self.accounts,
            view,
            self.whereabouts,
            self.stopServer,
            quitOnEndOfInput=True,
        )

    def stopServer(self) -> None:
        self.stops += 1

    def test_joinsAsServer(self) -> None:
        """The operator is the member server, in the lobby, and sees it."""
        self.console.start()
        self.assertEqual(self.console.member.nick, "server")
        self.assertTrue(self.console.member.privileged)
        self.assertIn(
            "-!- Welcome to twisted_chat, server! Type /help for the commands.",
            self.shown,
        )
        self.assertEqual(self.shown[-1], f"-- now talking in {LOBBY}")

    def test_followsWhereabouts(self) -> None:
        """
        The console notes who and where the operator is, so that the view
        marks the operator's own lines and the prompt follows the room.
        """
        prompts: list[str] = []
        self.console.view.onPromptChange = prompts.append
        self.console.start()
        self.assertEqual(
            (self.whereabouts.nick, self.whereabouts.currentRoom),
            ("server", LOBBY),
        )
        self.console.lineTyped("/join #ops")
        self.assertEqual(self.whereabouts.currentRoom, "#ops")
        self.assertEqual(prompts, [f"[{LOBBY}] ", "[#ops] "])
        connectMember(self.chat, "alice")
        self.console.lineTyped("/msg alice hi")
        self.assertEqual(self.shown[-1], "22:13 -> *alice* hi")

    def test_talks(self) -> None:
        """Typed lines reach clients; clients' lines are shown."""
        self.console.start()
        alice, aliceSees = connectMember(self.chat, "alice")
        self.chat.join(alice, LOBBY)
        aliceSees.take()
        self.console.lineTyped("hello class")
        self.chat.say(alice, None, "hi server")
        self.assertEqual(
            aliceSees.events,
            [
                RoomMessage(LOBBY, 1, NOW, "server", "hello class"),
                RoomMessage(LOBBY, 2, NOW, "alice", "hi server"),
            ],
        )
        self.assertEqual(
            self.shown[-2:],
            ["22:13 #lobby <server> hello class", "22:13 #lobby <alice> hi server"],
        )

    def test_mistakesShown(self) -> None:
        """The operator's mistakes are shown like a client's."""
        self.console.start()
        self.console.lineTyped("/frob")
        self.console.lineTyped("/msg ghost hi")
        self.assertEqual(
            self.shown[-2:],
            [
                "!! Unknown command /frob; type /help for the list. [unknown-command]",
                "!! Nobody is called ghost. [no-such-nick]",
            ],
        )

    def test_kill(self) -> None:
        """The operator may disconnect anyone (/kill, the old /kick)."""
        self.console.start()
        _, aliceSees = connectMember(self.chat, "alice")
        self.console.lineTyped("/kill alice flooding")
        self.assertEqual(
            aliceSees.events, [Goodbye("kicked", "Killed by server: flooding")]
        )
        self.assertTrue(aliceSees.closed)

    def test_kick(self) -> None:
        """
        The operator may put anyone out of a room it is in, as a server
        operator acts as an operator in every room; it sees the kick.
        """
        self.console.start()
        alice, aliceSees = connectMember(self.chat, "alice")
        self.chat.join(alice, LOBBY)
        aliceSees.take()
        self.console.lineTyped("/kick alice be nice")
        self.assertEqual(
            aliceSees.events,
            [Kicked(LOBBY, "alice", "server", NOW, "be nice"), CurrentRoom(None)],
        )
        self.assertFalse(aliceSees.closed)
        self.assertEqual(
            self.shown[-1], "22:13 -!- you kicked alice from #lobby (be nice)"
        )

    def test_byeStopsServer(self) -> None:
        """bye leaves the chat, telling the others, and stops the server."""
        self.console.start()
        alice, aliceSees = connectMember(self.chat, "alice")
        self.chat.join(alice, LOBBY)
        aliceSees.take()
        self.console.lineTyped("bye")
        self.assertEqual(aliceSees.events, [Quit("server", NOW, "bye")])
        self.assertEqual(self.stops, 1)
        self.console.lineTyped("anyone?")
        self.assertEqual(aliceSees.events, [Quit("server", NOW, "bye")])

    def test_endOfInputOnTerminal(self) -> None:
        """At a terminal, the end of input (Ctrl-D) stops the server too."""
        self.console.start()
        self.console.inputEnded()
        self.assertEqual(self.stops, 1)

    def test_endOfPipedInput(self) -> None:
        """When input was piped, its end only stops the typing."""
        whereabouts = Whereabouts()
        view = TerminalView(self.shown.append, whereabouts, color=False, timezone=UTC)
        console = OperatorConsole(
            self.chat,
            self.accounts,
            view,
            whereabouts,
            self.stopServer,
            quitOnEndOfInput=False,
        )
        console.start()
        console.inputEnded()
        self.assertEqual(self.stops, 0)
        self.assertTrue(console.member.present)
        self.assertIn("still showing", self.shown[-1])
