"""
Tests for L{twisted_chat.frontends.line.console.OperatorConsole}: the operator as a member.
"""

from datetime import UTC

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.events import CurrentRoom, Goodbye, Quit, RoomMessage
from twisted_chat.chat.orderevents import Kicked
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

    def test_serverOperatorCommands(self) -> None:
        """
        The console is a server operator: it suspends accounts, bans
        addresses, announces and reads the audit log, and sees each done.
        """
        self.console.start()
        alice, aliceSees = connectMember(self.chat, "alice", address="10.0.0.7")
        self.chat.join(alice, LOBBY)
        self.successResultOf(self.accounts.register("bob", "correct-horse"))
        for line in [
            "/announce restart at noon",
            "/suspend bob spam",
            "/unsuspend bob",
            "/sban 10.0.0.0/8 1h spam",
            "/sbans",
            "/unsban 10.0.0.0/8",
            "/audit",
        ]:
            self.console.lineTyped(line)
        self.assertTrue(aliceSees.closed)
        self.assertIn("22:13 <-- alice quit (Banned from the server: spam)", self.shown)
        self.assertEqual(
            [line for line in self.shown if "alice" not in line][-13:],
            [
                "22:13 -!- announcement from server: restart at noon",
                "-!- bob is suspended.",
                "-!- bob is unsuspended.",
                "22:13 -!- you banned *!*@10.0.0.0/8 from the server until"
                " 2023-11-14 23:13 (spam)",
                "   ban *!*@10.0.0.0/8  by server, 2023-11-14 22:13, until"
                " 2023-11-14 23:13 (spam)",
                "-- the server: 1 ban",
                "22:13 -!- you lifted the ban on *!*@10.0.0.0/8 from the server",
                "   #5 2023-11-14 22:13 server server-unban *!*@10.0.0.0/8",
                "   #4 2023-11-14 22:13 server server-ban *!*@10.0.0.0/8 (spam)",
                "   #3 2023-11-14 22:13 server unsuspend bob",
                "   #2 2023-11-14 22:13 server suspend bob (spam)",
                "   #1 2023-11-14 22:13 server announce (restart at noon)",
                "-- 5 audit entries; /audit before the last # pages back",
            ],
        )

    def test_oper(self) -> None:
        """
        The console grants an account server operator, and takes it back;
        the account's holder then may (and then may not) kill.
        """
        self.console.start()
        alice, _ = connectMember(self.chat, "alice")
        self.chat.registered("alice")
        alice.account = "alice"
        self.console.lineTyped("/oper bob")
        self.assertEqual(
            self.shown[-1],
            "!! There is no account bob; it must exist first. [no-such-account]",
        )
        self.console.lineTyped("/oper alice")
        self.assertEqual(self.shown[-1], "-!- alice is now a server operator.")
        self.assertTrue(self.chat.operators.isServerOperator(alice))
        self.console.lineTyped("/deoper alice")
        self.assertEqual(self.shown[-1], "-!- alice is no longer a server operator.")
        self.assertFalse(self.chat.operators.isServerOperator(alice))

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
