"""
Tests for L{twisted_chat.frontends.commands.arrival}: a new line-protocol member takes its
nick and names its rooms before anyone sees it, and is put in the lobby
only if it names none.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.accounts import Accounts, PasswordHasher
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.limits import ARRIVAL_AFTER_LOGIN, ARRIVAL_GRACE

from ..clients import JOINED, Client
from ..helpers import FAST_ARGON2, HeldRunner, makeChat


class ArrivalTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.runner = HeldRunner()
        self.accounts = Accounts(
            self.chat,
            PasswordHasher(self.clock, FAST_ARGON2, self.runner),
            self.clock,
        )
        self.factory = LineChatFactory(self.chat, self.accounts, self.clock)
        self.bob = self.connect(b"/nick bob\n/join #lobby\n/join #dev\n")

    def connect(self, lines: bytes = b"") -> Client:
        client = Client(self.factory, self.clock)
        client.send(lines)
        while self.runner.held:
            self.runner.runAll()
        client.lines()
        return client

    def kinds(self, client: Client) -> list[str]:
        return [line.split()[0] for line in client.lines()]

    def lobbyMembers(self) -> list[str]:
        return list(self.chat.membersOf("#lobby").nicks)

    def registerAlice(self) -> None:
        alice = self.connect(b"/nick alice\n/register long-enough\n/quit\n")
        alice.vanish()
        self.bob.lines()

    def test_nickBeforeLobby(self) -> None:
        """
        A client that takes its nick at once is seen joining the lobby under
        that nick, after the grace; nobody sees its guest nick.
        """
        alice = Client(self.factory, self.clock)
        alice.send(b"/nick alice\n")
        self.clock.advance(ARRIVAL_GRACE - 0.01)
        self.assertEqual(self.bob.lines(), [])
        self.assertEqual(self.kinds(alice), ["WELCOME", "NICK"])
        self.clock.advance(0.01)
        seen = self.bob.lines()
        self.assertEqual(len(seen), 1)
        self.assertRegex(seen[0], r"^JOIN #lobby alice ")
        self.assertEqual(
            self.kinds(alice),
            JOINED,
        )

    def test_silentClientJoinsLobby(self) -> None:
        """Someone at nc, saying nothing, is in the lobby after the grace."""
        guest = Client(self.factory, self.clock)
        self.clock.advance(ARRIVAL_GRACE)
        self.assertRegex(self.bob.lastLine(), r"^JOIN #lobby guest2 ")
        self.assertIn("CURRENT #lobby", guest.lines())

    def test_joinReplacesLobby(self) -> None:
        """A client that names a room is never put in the lobby."""
        alice = Client(self.factory, self.clock)
        alice.send(b"/nick alice\n/join #dev\n")
        self.clock.advance(10)
        joined = [line for line in alice.lines() if line.startswith("JOIN")]
        self.assertEqual([line.split()[1] for line in joined], ["#dev"])
        self.assertNotIn("alice", self.lobbyMembers())
        seen = self.bob.lines()
        self.assertEqual(len(seen), 1)
        self.assertRegex(seen[0], r"^JOIN #dev alice ")

    def test_resumeReplacesLobby(self) -> None:
        """A reconnection's /resume lines name its rooms: no lobby."""
        self.bob.send(b"/msg #dev one\n")
        alice = Client(self.factory, self.clock)
        alice.send(b"/nick alice\n/resume #dev 0\n")
        self.clock.advance(10)
        self.assertNotIn("alice", self.lobbyMembers())
        self.assertIn("HISTORY #dev 1", " ".join(alice.lines()))

    def test_partLobbyWhileArriving(self) -> None:
        """
        C{/part #lobby} before the grace is over keeps the member out of the
        lobby, without an error: a reconnecting client that was in no room.
        """
        alice = Client(self.factory, self.clock)
        alice.send(b"/nick alice\n/part #lobby\n")
        self.clock.advance(10)
        self.assertEqual(self.kinds(alice), ["WELCOME", "NICK"])
        self.assertEqual(self.bob.lines(), [])

    def test_textNeedsTheLobby(self) -> None:
        """A line said before the grace is over is said in the lobby."""
        alice = Client(self.factory, self.clock)
        alice.send(b"/nick alice\nhello\n")
        self.assertEqual(
            self.kinds(alice),
            ["WELCOME", "NICK", *JOINED, "MSG"],
        )
        self.assertRegex(self.bob.lines()[-1], r"^MSG #lobby 1 \S+ alice :hello$")

    def test_questionsLeaveItArriving(self) -> None:
        """Set-up and questions naming a room do not end the arrival."""
        alice = Client(self.factory, self.clock)
        alice.send(b"/help\n/rooms\n/who #dev\n/topic #dev\n/join #dev\n")
        self.clock.advance(10)
        self.assertNotIn("guest2", self.lobbyMembers())

    def test_loginBeforeLobby(self) -> None:
        """
        The grace waits for a login being checked, so the rooms a client
        names after its login (as twisted-chat does) keep it out of the
        lobby; nobody sees the guest.
        """
        self.registerAlice()
        alice = Client(self.factory, self.clock)
        alice.send(b"/login alice long-enough\n")
        self.clock.advance(ARRIVAL_GRACE * 10)
        self.assertTrue(self.runner.held)
        self.runner.runAll()
        self.clock.advance(ARRIVAL_GRACE - 0.01)
        alice.send(b"/join #dev\n")
        self.clock.advance(10)
        self.assertNotIn("alice", self.lobbyMembers())
        seen = self.bob.lines()
        self.assertEqual(len(seen), 1)
        self.assertRegex(seen[0], r"^JOIN #dev alice ")

    def test_loginThenLobby(self) -> None:
        """
        A logged-in member naming no room is put in the lobby
        L{ARRIVAL_AFTER_LOGIN} seconds after its login (its client's rooms
        come a round trip after it sees the login accepted), under its
        account's nick.
        """
        self.registerAlice()
        alice = Client(self.factory, self.clock)
        alice.send(b"/login alice long-enough\n")
        self.runner.runAll()
        self.clock.advance(ARRIVAL_AFTER_LOGIN - 0.01)
        self.assertNotIn("alice", self.lobbyMembers())
        self.clock.advance(0.01)
        self.assertIn("alice", self.lobbyMembers())
        seen = self.bob.lines()
        self.assertEqual(len(seen), 1)
        self.assertRegex(seen[0], r"^JOIN #lobby alice ")

    def test_refusedLoginWaitsForNextLine(self) -> None:
        """
        A login refused while arriving was sent by a program: the member
        waits for its next line (another try, say) before the grace goes on.
        """
        self.registerAlice()
        alice = Client(self.factory, self.clock)
        alice.send(b"/login alice wrong-password\n")
        self.runner.runAll()
        self.clock.advance(10)
        self.assertEqual(self.kinds(alice), ["WELCOME", "ERROR"])
        alice.send(b"/login alice long-enough\n")
        self.runner.runAll()
        alice.send(b"/join #dev\n")
        self.clock.advance(10)
        self.assertNotIn("alice", self.lobbyMembers())
        self.assertRegex(self.bob.lines()[-1], r"^JOIN #dev alice ")
        self.assertNotIn("guest", " ".join(self.bob.lines()))

    def test_nextLineRestartsTheGrace(self) -> None:
        """After a refused login, any set-up line starts the grace again."""
        alice = Client(self.factory, self.clock)
        alice.send(b"/login nobody wrong-password\n")
        self.runner.runAll()
        self.clock.advance(10)
        alice.send(b"/nick alice\n")
        self.clock.advance(ARRIVAL_GRACE)
        self.assertIn("alice", self.lobbyMembers())

    def test_requireLogin(self) -> None:
        """
        Where login is required, the grace starts at the login: a member is
        put in the lobby once logged in, not before.
        """
        self.registerAlice()
        self.factory.requireLogin = True
        alice = Client(self.factory, self.clock)
        self.clock.advance(10)
        alice.send(b"/login alice long-enough\n")
        self.runner.runAll()
        self.assertNotIn("alice", self.lobbyMembers())
        self.clock.advance(ARRIVAL_AFTER_LOGIN)
        self.assertIn("alice", self.lobbyMembers())

    def test_roomsAfterLoginOnASlowLink(self) -> None:
        """
        A client's rooms sent on seeing its login accepted keep it out of
        the lobby even when they arrive more than half a second later.
        """
        self.registerAlice()
        alice = Client(self.factory, self.clock)
        alice.send(b"/login alice long-enough\n")
        self.runner.runAll()
        self.clock.advance(ARRIVAL_GRACE * 3)
        alice.send(b"/join #dev\n")
        self.clock.advance(10)
        self.assertNotIn("alice", self.lobbyMembers())

    def test_pongIsNoNextLine(self) -> None:
        """
        After a refused login, the client's answer to a PING (sent while its
        person retypes the password) does not put it in the lobby as a guest.
        """
        self.registerAlice()
        alice = Client(self.factory, self.clock)
        alice.send(b"/login alice wrong-password\n")
        self.runner.runAll()
        alice.send(b"/pong 1700000090\n")
        self.clock.advance(10)
        self.assertNotIn("guest2", self.lobbyMembers())
        alice.send(b"/login alice long-enough\n/join #dev\n")
        self.runner.runAll()
        self.clock.advance(10)
        self.assertEqual(self.lobbyMembers(), ["bob"])
        self.assertNotIn("guest", " ".join(self.bob.lines()))

    def test_partWithoutRoomWhileArriving(self) -> None:
        """C{/part} naming no room while arriving keeps the member out too."""
        alice = Client(self.factory, self.clock)
        alice.send(b"/nick alice\n/part\n")
        self.clock.advance(10)
        self.assertEqual(self.kinds(alice), ["WELCOME", "NICK"])
        self.assertEqual(self.bob.lines(), [])

    def test_goneWhileArriving(self) -> None:
        """A connection lost while arriving leaves no timer behind."""
        alice = Client(self.factory, self.clock)
        arrival = alice.protocol.interpreter.arrival

        def arrivalTimers() -> list[object]:
            return [
                call
                for call in self.clock.getDelayedCalls()
                if getattr(call.func, "__self__", None) is arrival
            ]

        self.assertEqual(len(arrivalTimers()), 1)
        alice.vanish()
        self.assertEqual(arrivalTimers(), [])
        self.clock.advance(10)
        self.assertEqual(self.bob.lines(), [])
