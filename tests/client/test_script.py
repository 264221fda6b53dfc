"""
Tests for L{twisted_chat.client.script}: the twisted-chat command's options.

Running it for real is in L{tests.endtoend.test_endtoend}.
"""

import sys
from io import StringIO

from twisted.internet.defer import ensureDeferred
from twisted.internet.error import ConnectionRefusedError, TimeoutError
from twisted.internet.testing import MemoryReactor
from twisted.python.filepath import FilePath
from twisted.python.usage import UsageError
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.client import script
from twisted_chat.client.failures import (
    ClosedUnwelcomed,
    LoginRefused,
    NickRefused,
    NotChat,
    NotSecure,
    NoWelcome,
    Refused,
)
from twisted_chat.client.script import (
    CONNECT_TIMEOUT,
    PASSWORD_VARIABLE,
    ClientOptions,
    explain,
    findPassword,
    main,
    unreachable,
)
from twisted_chat.client.servers import Server
from twisted_chat.limits import DEFAULT_PORT


def parse(*argv: str) -> ClientOptions:
    options = ClientOptions()
    options.parseOptions(list(argv))
    return options


class ClientOptionsTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """By default: localhost, the seed's port, no nick or room, auto colour."""
        options = parse()
        self.assertEqual(
            (options["host"], options["port"], options["nick"], options["rooms"]),
            ("localhost", DEFAULT_PORT, None, []),
        )
        self.assertEqual(options["color"], "auto")

    def test_everything(self) -> None:
        """Every option is taken, short or long."""
        options = parse("-H", "chat.lan", "-p", "7000", "-n", "ann", "-r", "#dev")
        options2 = parse("--color", "never")
        self.assertEqual(
            (options["host"], options["port"], options["nick"], options["rooms"]),
            ("chat.lan", 7000, "ann", ["#dev"]),
        )
        self.assertEqual(options2["color"], "never")

    def test_rooms(self) -> None:
        """
        --room is repeatable and takes a comma list; the # may be left out,
        and a room named twice is joined once.
        """
        options = parse("--room", "#dev,ops", "-r", "#Ops", "--room", "lobby")
        self.assertEqual(options["rooms"], ["#dev", "#ops", "#lobby"])

    def test_badRoom(self) -> None:
        """A room the server would refuse is one line and status 2, offline."""
        for bad in ["#", "#a b", "dev,", "#" + "x" * 60]:
            with self.assertRaises(UsageError) as caught:
                parse("--room", bad)
            self.assertIn("--room", str(caught.exception))

    def test_badValues(self) -> None:
        """A port out of range, a non-number, or an unknown colour is refused."""
        for argv in [
            ("--port", "0"),
            ("--port", "70000"),
            ("--port", "x"),
            ("--color", "red"),
            ("--connect-timeout", "0"),
            ("--connect-timeout", "-1"),
            ("--connect-timeout", "inf"),
            ("--connect-timeout", "nan"),
        ]:
            self.assertRaises(UsageError, parse, *argv)

    def test_badNick(self) -> None:
        """A nick the server would refuse, or a reserved one, is a usage error."""
        for nick in ["9lives", "a b", "x" * 31, "", "Root", "nickserv"]:
            self.assertRaises(UsageError, parse, "--nick", nick)
        self.assertEqual(parse("--nick", "[alice]")["nick"], "[alice]")

    def test_connectTimeout(self) -> None:
        """The connect timeout is CONNECT_TIMEOUT unless told, in seconds."""
        self.assertEqual(parse()["connect-timeout"], CONNECT_TIMEOUT)
        self.assertEqual(parse("--connect-timeout", "2.5")["connect-timeout"], 2.5)


class MainTests(SynchronousTestCase):
    def test_usageError(self) -> None:
        """Bad options: one explanation on stderr, exit status 2, no terminal touched."""
        stderr = StringIO()
        failure = self.failureResultOf(
            ensureDeferred(main(MemoryReactor(), ["--color", "red"], stderr)),
            SystemExit,
        )
        self.assertEqual(failure.value.code, 2)
        self.assertEqual(
            stderr.getvalue(),
            "twisted-chat: --color must be one of auto, always, never, not red\n"
            "Try twisted-chat --help.\n",
        )

    def test_badNickBeforeNetwork(self) -> None:
        """A bad --nick: one line, exit status 2, and no connection attempted."""
        stderr = StringIO()
        reactor = MemoryReactor()
        failure = self.failureResultOf(
            ensureDeferred(main(reactor, ["--nick", "admin"], stderr)), SystemExit
        )
        self.assertEqual(failure.value.code, 2)
        self.assertEqual(
            stderr.getvalue(),
            "twisted-chat: --nick admin: The nick admin is reserved; choose another.\n"
            "Try twisted-chat --help.\n",
        )
        self.assertEqual(reactor.tcpClients, [])


class PasswordTests(SynchronousTestCase):
    def test_noLogin(self) -> None:
        """Without --login, a file or the variable, there is no password."""
        self.assertIsNone(findPassword(parse("--nick", "ann"), {}))

    def test_fromFile(self) -> None:
        """--password-file: the first line, without its line ending."""
        path = FilePath(self.mktemp())
        path.setContent(b"file-secret\nignored\n")
        options = parse("--nick", "ann", "--password-file", path.path)
        self.assertEqual(
            findPassword(options, {PASSWORD_VARIABLE: "env-secret"}), "file-secret"
        )

    def test_unreadableFile(self) -> None:
        """A missing password file is a usage error, named."""
        options = parse("--nick", "ann", "--password-file", "/nonexistent/pw")
        error = self.assertRaises(UsageError, findPassword, options, {})
        self.assertIn("--password-file", str(error))

    def test_fromEnvironment(self) -> None:
        """TWISTED_CHAT_PASSWORD logs in without --login."""
        self.assertEqual(
            findPassword(parse("--nick", "ann"), {PASSWORD_VARIABLE: "env-secret"}),
            "env-secret",
        )

    def test_promptNeedsTerminal(self) -> None:
        """--login with nothing else asks; without a terminal that is an error."""
        self.patch(sys.stdin, "isatty", lambda: False)
        error = self.assertRaises(
            UsageError, findPassword, parse("--nick", "ann", "--login"), {}
        )
        self.assertIn(PASSWORD_VARIABLE, str(error))

    def test_prompt(self) -> None:
        """On a terminal, --login prompts with echo off (getpass)."""
        self.patch(sys.stdin, "isatty", lambda: True)
        asked: list[str] = []

        def getpass(prompt: str) -> str:
            asked.append(prompt)
            return "typed-secret"

        self.patch(script.getpass, "getpass", getpass)
        self.assertEqual(
            findPassword(parse("--nick", "ann", "--login"), {}), "typed-secret"
        )
        self.assertEqual(asked, ["Password for ann: "])

    def test_needsNick(self) -> None:
        """Logging in needs a nick to log in as."""
        self.assertRaises(UsageError, findPassword, parse(), {PASSWORD_VARIABLE: "x"})

    def test_noPasswordOption(self) -> None:
        """There is no option that takes a password itself."""
        self.assertNotIn("password", parse())


class ExplainTests(SynchronousTestCase):
    """The one line that says why a server cannot be talked to."""

    def test_notSecure(self) -> None:
        """A refused handshake names the server, the authority used and why."""
        self.assertEqual(
            explain(
                NotSecure("certificate verify failed"),
                "127.0.0.1:7633",
                tls=True,
                caFile="ca.pem",
            ),
            "cannot connect securely to 127.0.0.1:7633 with --ca ca.pem:"
            " certificate verify failed",
        )
        self.assertEqual(
            explain(
                NotSecure("its certificate is not for chat.lan"),
                "chat.lan:7633",
                tls=True,
                caFile=None,
            ),
            "cannot connect securely to chat.lan:7633:"
            " its certificate is not for chat.lan",
        )

    def test_silentPlain(self) -> None:
        """A plain client left waiting is told it may have found a TLS port."""
        self.assertEqual(
            explain(NoWelcome(15), "localhost:7633", tls=False, caFile=None),
            "no twisted_chat welcome from localhost:7633 within 15 s"
            " (is it a TLS port? try --tls)",
        )
        self.assertEqual(
            explain(NoWelcome(2.5), "localhost:7633", tls=True, caFile=None),
            "no twisted_chat welcome from localhost:7633 within 2.5 s",
        )

    def test_nickRefused(self) -> None:
        """A nick the server would not give says so, in one line."""
        self.assertEqual(
            explain(
                NickRefused("dave", "The nick dave is registered."),
                "h:1",
                tls=False,
                caFile=None,
            ),
            "cannot take the nick dave: The nick dave is registered.",
        )

    def test_guestNick(self) -> None:
        """--nick guest5 is refused before connecting: guest nicks are given."""
        with self.assertRaises(UsageError) as caught:
            parse("--nick", "Guest5")
        self.assertIn("guest nicks", str(caught.exception))
        self.assertEqual(parse("--nick", "guesthouse")["nick"], "guesthouse")

    def test_refused(self) -> None:
        """A server refusing the connection (it is full) says so, in one line."""
        self.assertEqual(
            explain(
                Refused("The server is full (2 connections)"),
                "h:1",
                tls=False,
                caFile=None,
            ),
            "h:1 refused the connection: The server is full (2 connections)",
        )

    def test_closed(self) -> None:
        """A first connection closed unwelcomed says how it ended."""
        self.assertEqual(
            explain(ClosedUnwelcomed("closed"), "h:1", tls=False, caFile=None),
            "h:1 closed the connection before the twisted_chat welcome"
            " (is it a TLS port? try --tls)",
        )
        self.assertEqual(
            explain(
                ClosedUnwelcomed("Connection was reset"), "h:1", tls=True, caFile=None
            ),
            "the connection to h:1 ended before the twisted_chat welcome"
            " (Connection was reset)",
        )

    def test_notChat(self) -> None:
        """
        Another protocol is quoted, shortened and made safe for the terminal.
        """
        self.assertEqual(
            explain(NotChat(b"SSH-2.0-OpenSSH_9.6"), "h:22", tls=False, caFile=None),
            'h:22 does not speak the twisted_chat protocol: it sent "SSH-2.0-OpenSSH_9.6"',
        )
        self.assertEqual(
            explain(NotChat(b"\x1b[2J" + b"x" * 99), "h:1", tls=False, caFile=None),
            'h:1 does not speak the twisted_chat protocol: it sent "\\x1b[2J'
            + "x" * 56
            + '..."',
        )
        self.assertEqual(
            explain(NotChat(None), "h:1", tls=False, caFile=None),
            "h:1 does not speak the twisted_chat protocol: it sent a line over"
            " 65536 bytes",
        )

    def test_loginRefused(self) -> None:
        """A refused login says as whom, and the server's words."""
        self.assertEqual(
            explain(
                LoginRefused("alice", "Wrong nick or password."),
                "h:1",
                tls=False,
                caFile=None,
            ),
            "login as alice failed: Wrong nick or password.",
        )

    def test_unreachable(self) -> None:
        """Nothing at the address: the error, or how long it was waited for."""
        self.assertEqual(
            unreachable({Server("h", 1): ConnectionRefusedError()}, 15),
            "cannot connect to h:1: Connection was refused by other side.",
        )
        self.assertEqual(
            unreachable({Server("h", 1): TimeoutError()}, 15),
            "cannot connect to h:1: no answer within 15 s",
        )

    def test_noneReachable(self) -> None:
        """Several servers, none reachable: one line saying why for each."""
        self.assertEqual(
            unreachable(
                {
                    Server("a", 1): ConnectionRefusedError(),
                    Server("::1", 2): TimeoutError(),
                },
                15,
            ),
            "cannot connect to any of 2 servers:"
            " a:1 (Connection was refused by other side);"
            " [::1]:2 (no answer within 15 s)",
        )
