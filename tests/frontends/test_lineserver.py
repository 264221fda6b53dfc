"""
Tests for L{twisted_chat.frontends.line.protocol}: the line protocol over StringTransport.
"""

from twisted.logger import LogEvent, globalLogPublisher
from twisted.python.failure import Failure

from twisted_chat.chat.accounts import Accounts, PasswordHasher
from twisted_chat.chat.events import Event
from twisted_chat.connection.batching import FLUSH_BATCH
from twisted_chat.frontends.line.protocol import LineChatFactory, LineChatProtocol
from twisted_chat.limits import ARRIVAL_GRACE, MAX_LINE_LENGTH
from twisted_chat.wire import line as wire

from ..clients import JOINED, Client, LineServerTestCase
from ..helpers import FAST_ARGON2, HeldRunner


class ConnectionTests(LineServerTestCase):
    def test_greeting(self) -> None:
        """
        A new connection is told its guest nick, and joins the lobby once it
        has had L{ARRIVAL_GRACE} to name its rooms (L{twisted_chat.frontends.commands.arrival}).
        """
        client = Client(self.factory, self.clock)
        self.assertEqual(
            client.lines(),
            [
                "WELCOME guest1 :Welcome to twisted_chat, guest1! Type /help for the"
                " commands.",
            ],
        )
        self.clock.advance(ARRIVAL_GRACE)
        self.assertEqual(
            client.lines(),
            [
                "JOIN #lobby guest1 2023-11-14T22:13:20.500Z",
                "TOPICINFO #lobby * * :",
                "MEMBERS #lobby :guest1",
                "CURRENT #lobby",
                "ENDHISTORY #lobby 0 0 join",
            ],
        )

    def test_noDelay(self) -> None:
        """Nagle is turned off on TCP connections."""
        self.assertTrue(self.connect().transport.noDelay)

    def test_conversation(self) -> None:
        """Two clients see each other's messages, CRLF or LF, in order."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()
        alice.send(b"hello\r\nhow are you?\n")
        bob.send(b"fine\n")
        stamp = "2023-11-14T22:13:20.000Z"
        expected = [
            f"MSG #lobby 1 {stamp} alice :hello",
            f"MSG #lobby 2 {stamp} alice :how are you?",
            f"MSG #lobby 3 {stamp} bob :fine",
        ]
        self.assertEqual(alice.lines(), expected)
        self.assertEqual(bob.lines(), expected)

    def test_encodedOnce(self) -> None:
        """A message to many members is formatted once and the same bytes sent."""
        clients = [self.connect() for _ in range(20)]
        for client in clients:
            client.lines()
        formatted: list[Event] = []
        original = wire.formatEvent

        def counting(event: Event) -> bytes:
            formatted.append(event)
            return original(event)

        self.patch(wire, "formatEvent", counting)
        clients[0].send(b"to all\n")
        self.assertEqual(len(formatted), 1)
        self.assertEqual(len({client.transport.value() for client in clients}), 1)

    def test_oneWritePerTurn(self) -> None:
        """However many lines a reactor turn brings, each connection gets one write."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()
        bob.lines()
        bob.transport.writes = 0
        alice.send(b"one\ntwo\nthree\n/me four\n")
        self.assertEqual(bob.transport.writes, 0)
        self.assertEqual(len(bob.lines()), 4)
        self.assertEqual(bob.transport.writes, 1)

    def test_flushSpreadOverTurns(self) -> None:
        """
        A fan-out to more than FLUSH_BATCH connections is written over
        several turns; lines arriving meanwhile join the waiting queues.
        """
        clients = [self.connect() for _ in range(FLUSH_BATCH + 10)]
        for client in clients:
            client.lines()
            client.transport.writes = 0
        clients[0].send(b"one\n")
        written: list[int] = []

        def betweenTurns() -> None:
            written.extend(client.transport.writes for client in clients)
            clients[0].send(b"two\n")

        # A fake clock runs every turn at once: a call queued behind the
        # first turn's flush runs before the next turn's, as what the
        # reactor reads in between would.
        self.clock.callLater(0, betweenTurns)
        self.clock.advance(0)
        self.assertEqual(written.count(1), FLUSH_BATCH)
        for client in clients:
            self.assertEqual(
                [line.split(":")[-1] for line in client.lines()][-1], "two"
            )
        self.assertEqual(max(client.transport.writes for client in clients), 2)
        self.assertEqual(clients[-1].transport.writes, 1, "one and two in one write")

    def test_sharedBatchKeepsOrder(self) -> None:
        """
        Room lines queued as one shared batch still reach each member in
        order with what was queued for it alone in between.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        carol = self.connect("carol")
        alice.lines()
        bob.lines()
        alice.send(b"one\n/msg bob psst\ntwo\nthree\n")
        texts = [line.split(" :", 1)[1] for line in bob.lines()]
        self.assertEqual(texts, ["one", "psst", "two", "three"])
        self.assertEqual(
            [line.split(" :", 1)[1] for line in carol.lines()], ["one", "two", "three"]
        )

    def test_sharedBatchSealedByWrite(self) -> None:
        """
        Once any connection has been written to, later lines go into a new
        batch: none is lost for the connection already written to, and none
        doubled for the others.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()
        alice.send(b"one\n")
        bob.protocol.flush()
        alice.send(b"two\n")
        self.assertEqual(
            [line.split(" :", 1)[1] for line in bob.lines()], ["one", "two"]
        )
        self.assertEqual(
            [line.split(" :", 1)[1] for line in alice.lines()], ["one", "two"]
        )

    def test_brokenWriteIsolated(self) -> None:
        """
        A connection whose write fails unexpectedly is logged; the others
        get the same lines, and later lines still flow.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        carol = self.connect("carol")
        alice.lines()
        bob.lines()
        bob.transport.broken = RuntimeError("broken transport")
        alice.send(b"one\n")
        self.clock.advance(0)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        alice.send(b"two\n")
        self.assertEqual(
            [line.split(" :", 1)[1] for line in carol.lines()], ["one", "two"]
        )
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_bye(self) -> None:
        """A line bye says goodbye, closes, and tells the others."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()
        alice.send(b"bye\n")
        self.assertEqual(alice.lines(), ["BYE quit :bye"])
        self.assertTrue(alice.transport.disconnecting)
        self.assertEqual(bob.lastLine(), "QUIT alice 2023-11-14T22:13:20.000Z :bye")

    def test_linesAfterQuitIgnored(self) -> None:
        """Lines in the same packet after a quit are not carried out."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.send(b"/quit\nstill here?\n")
        self.assertNotIn("still here?", "".join(bob.lines()))

    def test_vanishMidLine(self) -> None:
        """
        A client that vanishes mid-line is removed from every room and its
        departure announced; its half line is never said; no ghost remains.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.send(b"/join #a\n")
        bob.send(b"/join #a\n")
        bob.lines()
        alice.send(b"half a line")
        alice.vanish(Failure(ConnectionResetError("reset")))
        self.assertEqual(
            bob.lines(), ["QUIT alice 2023-11-14T22:13:20.000Z :Connection lost"]
        )
        bob.send(b"/who #a\n/who #lobby\n/msg alice hello?\n")
        self.assertEqual(
            bob.lines(),
            [
                "MEMBERS #a :bob",
                "MEMBERS #lobby :bob",
                "ERROR no-such-nick :Nobody is called alice.",
            ],
        )
        self.assertEqual(self.factory.openConnections, 1)

    def test_cleanClose(self) -> None:
        """A client that closes without quitting leaves with a reason."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.vanish()
        self.assertEqual(
            bob.lastLine(), "QUIT alice 2023-11-14T22:13:20.000Z :Connection closed"
        )

    def test_closeAfterQuit(self) -> None:
        """The connection closing after a quit announces nothing more."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.send(b"bye\n")
        bob.lines()
        alice.vanish()
        self.assertEqual(bob.lines(), [])

    def test_unexpectedError(self) -> None:
        """A bug handling one line is logged and drops that connection only."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()

        def broken(line: bytes) -> None:
            raise ZeroDivisionError("bug")

        self.patch(alice.protocol, "decode", broken)
        alice.send(b"hello\n")
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        self.assertEqual(alice.lines(), ["BYE error :Internal server error"])
        self.assertTrue(alice.transport.disconnecting)
        bob.send(b"still fine\n")
        self.assertIn(":still fine", bob.lastLine())

    def test_allClosed(self) -> None:
        """allClosed fires once the last connection has gone."""
        alice = self.connect()
        bob = self.connect()
        waiting = self.factory.allClosed()
        alice.vanish()
        self.assertNoResult(waiting)
        bob.vanish()
        self.successResultOf(waiting)
        self.successResultOf(self.factory.allClosed())


class BadInputTests(LineServerTestCase):
    def test_overLongLine(self) -> None:
        """
        A line over the limit gets an error and is discarded; the connection
        works from the next line, and other members see nothing of it.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()
        alice.send(b"x" * (MAX_LINE_LENGTH + 1) + b"\nshort\n")
        self.assertEqual(
            alice.lines(),
            [
                f"ERROR line-too-long :Lines are limited to {MAX_LINE_LENGTH} bytes;"
                " that one was discarded.",
                "MSG #lobby 1 2023-11-14T22:13:20.000Z alice :short",
            ],
        )
        self.assertEqual(
            bob.lines(), ["MSG #lobby 1 2023-11-14T22:13:20.000Z alice :short"]
        )

    def test_endlessLine(self) -> None:
        """A stream with no newline is refused once and never held in memory."""
        alice = self.connect()
        for _ in range(1000):
            alice.send(b"y" * 1000)
        self.assertEqual([line.split()[1] for line in alice.lines()], ["line-too-long"])
        self.assertLessEqual(alice.protocol.unfinishedLineBytes, MAX_LINE_LENGTH + 1)
        alice.send(b"\nafter\n")
        self.assertIn(":after", alice.lastLine())

    def test_limitIsConfigurable(self) -> None:
        """The factory's maxLineLength is the limit."""
        factory = LineChatFactory(
            self.chat, self.accounts, self.clock, maxLineLength=600
        )
        client = Client(factory, self.clock)
        self.clock.advance(ARRIVAL_GRACE)
        client.lines()
        client.send(b"z" * 601 + b"\n" + b"z" * 600 + b"\n")
        self.assertEqual([line.split()[0] for line in client.lines()], ["ERROR", "MSG"])

    def test_invalidUtf8(self) -> None:
        """Invalid UTF-8 is refused; the connection goes on."""
        alice = self.connect()
        alice.send(b"caf\xe9\nok\n")
        first, second = alice.lines()
        self.assertTrue(first.startswith("ERROR invalid-utf8 :"))
        self.assertTrue(second.endswith(":ok"))

    def test_nulAndBareCr(self) -> None:
        """NUL or a bare CR inside a line is refused."""
        alice = self.connect()
        alice.send(b"a\0b\na\rb\n")
        self.assertEqual(
            [line.split()[1] for line in alice.lines()],
            ["control-character", "control-character"],
        )

    def test_emptyLines(self) -> None:
        """Empty and blank lines are ignored without a reply."""
        alice = self.connect()
        alice.send(b"\n\r\n   \n")
        self.assertEqual(alice.lines(), [])

    def test_unknownCommand(self) -> None:
        """An unknown command's error names /help."""
        alice = self.connect()
        alice.send(b"/dance\n")
        self.assertEqual(
            alice.lines(),
            ["ERROR unknown-command :Unknown command /dance; type /help for the list."],
        )

    def test_outgoingTextIsOneLine(self) -> None:
        """Whatever a client sends, others receive whole single lines."""
        alice = self.connect()
        bob = self.connect()
        bob.lines()
        alice.send(b"a\x1b[2Jb \x00 c\r\n\xff\n\r\r\n" + "é\u202e".encode() + b"\n")
        for line in bob.lines():
            self.assertTrue(line.startswith("MSG "), line)

    def test_protocolClass(self) -> None:
        """The factory builds line protocols bound to itself."""
        protocol = self.factory.buildProtocol(None)
        self.assertIsInstance(protocol, LineChatProtocol)
        self.assertIs(protocol.factory, self.factory)


class SecretTests(LineServerTestCase):
    def test_passwordsNeverLogged(self) -> None:
        """
        Over a whole session of registering, failing to log in, logging in
        and changing password, no log event carries a password.
        """
        logged: list[LogEvent] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        alice = self.connect("alice")
        alice.send(b"/register first-secret\n/password first-secret second-secret\n")
        mallory = self.connect()
        mallory.send(b"/login alice wrong-secret\n/login alice second-secret\n")
        alice.vanish()
        mallory.vanish()
        self.assertIn("ACCOUNT alice", "".join(mallory.lines()))
        text = repr(logged)
        self.assertIn("connected", text)
        for secret in ("first-secret", "second-secret", "wrong-secret"):
            self.assertNotIn(secret, text)


class LoginOrderTests(LineServerTestCase):
    def test_linesWaitForLogin(self) -> None:
        """
        Lines after /login wait until it is done, so a reconnecting
        client's next lines run as the logged-in member.  Reading goes on
        meanwhile (the waiting lines are bounded as any are), so that a
        client going away is seen at once.
        """
        runner = HeldRunner()
        accounts = Accounts(
            self.chat, PasswordHasher(self.clock, FAST_ARGON2, runner), self.clock
        )
        factory = LineChatFactory(self.chat, accounts, self.clock)
        alice = Client(factory, self.clock)
        alice.send(b"/nick alice\n/register long-enough\n")
        runner.runAll()
        alice.send(b"bye\n")
        client = Client(factory, self.clock)
        client.lines()
        client.send(b"/login alice long-enough\nhello\n")
        self.assertEqual(client.transport.producerState, "producing")
        self.assertEqual(client.lines(), [])
        while runner.held:
            runner.runAll()
        self.assertEqual(
            [line.split()[0] for line in client.lines()],
            ["NICK", "ACCOUNT", *JOINED, "MSG"],
        )

    def test_goneDuringLogin(self) -> None:
        """
        A connection that goes away while its login is being checked binds
        nothing: the account's live session is not replaced by a ghost.
        """
        runner = HeldRunner()
        accounts = Accounts(
            self.chat, PasswordHasher(self.clock, FAST_ARGON2, runner), self.clock
        )
        factory = LineChatFactory(self.chat, accounts, self.clock)
        alice = Client(factory, self.clock)
        alice.send(b"/nick alice\n/register long-enough\n/join #lobby\n")
        runner.runAll()
        alice.lines()
        ghost = Client(factory, self.clock)
        ghost.send(b"/login alice long-enough\n")
        ghost.vanish()
        while runner.held:
            runner.runAll()
        self.assertTrue(self.chat.memberNamed("alice").present)
        self.assertNotIn("BYE replaced", " ".join(alice.lines()))
