"""
End-to-end tests: a real C{twistd -n chat} process on loopback TCP, with
raw line clients (what C{nc} does) and the real C{twisted-chat} client with
piped standard input, as a person would use them.

The children run this checkout's code: the repository root is put first on
their C{PYTHONPATH}, so C{twisted/plugins/} here is where twistd finds the
plugin.
"""

import os
import re
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import ProcessProtocol
from twisted.protocols.basic import LineOnlyReceiver
from twisted.python.failure import Failure
from twisted.python.filepath import FilePath
from twisted.trial.unittest import TestCase

REPOSITORY = FilePath(__file__).parent().parent()
WAIT = 15.0
"""Seconds to wait for any one expected output before failing."""


def freePort() -> int:
    """A loopback port free now, for a server that must restart on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def childEnvironment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [REPOSITORY.path, environment.get("PYTHONPATH")])
    )
    environment.pop("NO_COLOR", None)
    return environment


class Waiters:
    """Deferreds waiting for a pattern to appear in some growing text."""

    def __init__(self, describe: Callable[[], str]) -> None:
        self._waiting: list[tuple[re.Pattern[str], Deferred[re.Match[str]]]] = []
        self._describe = describe

    def waitFor(self, text: str, pattern: str) -> "Deferred[re.Match[str]]":
        compiled = re.compile(pattern, re.MULTILINE)
        match = compiled.search(text)
        if match is not None:
            return Deferred.fromCoroutine(_value(match))
        waiter: Deferred[re.Match[str]] = Deferred()
        self._waiting.append((compiled, waiter))
        return waiter.addTimeout(WAIT, reactor, onTimeoutCancel=self._timedOut(pattern))

    def check(self, text: str) -> None:
        for compiled, waiter in list(self._waiting):
            match = compiled.search(text)
            if match is not None:
                self._waiting.remove((compiled, waiter))
                waiter.callback(match)

    def _timedOut(self, pattern: str) -> Callable[[Any, float], Any]:
        def timedOut(result: Any, timeout: float) -> Any:
            raise AssertionError(
                f"no {pattern!r} within {timeout}s in:\n{self._describe()}"
            )

        return timedOut


async def _value(match: re.Match[str]) -> re.Match[str]:
    return match


class Child(ProcessProtocol):
    """A child process whose output the test waits on."""

    def __init__(self) -> None:
        self.output = ""
        self.errors = ""
        self.ended: Deferred[int | None] = Deferred()
        self.exitCode: int | None = None
        self.signal: int | None = None
        self._waiters = Waiters(
            lambda: f"stdout:\n{self.output}\nstderr:\n{self.errors}"
        )

    def outReceived(self, data: bytes) -> None:
        self.output += data.decode("utf-8", errors="replace")
        self._waiters.check(self.output)

    def errReceived(self, data: bytes) -> None:
        self.errors += data.decode("utf-8", errors="replace")

    def processEnded(self, reason: Failure) -> None:
        self.exitCode = reason.value.exitCode
        self.signal = reason.value.signal
        self.ended.callback(self.exitCode)

    def waitForOutput(self, pattern: str) -> "Deferred[re.Match[str]]":
        return self._waiters.waitFor(self.output, pattern)

    def type(self, text: str) -> None:
        self.transport.write(text.encode("utf-8"))

    def endInput(self) -> None:
        self.transport.closeStdin()

    async def exited(self) -> int | None:
        await self.ended.addTimeout(WAIT, reactor)
        return self.exitCode


class LineClient(LineOnlyReceiver):
    """A raw line-protocol client: what nc or telnet does."""

    delimiter = b"\r\n"

    def __init__(self) -> None:
        self.received = ""
        self.closed: Deferred[None] = Deferred()
        self._waiters = Waiters(lambda: self.received)

    def lineReceived(self, line: bytes) -> None:
        self.received += line.decode("utf-8") + "\n"
        self._waiters.check(self.received)

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.closed.callback(None)

    def waitFor(self, pattern: str) -> "Deferred[re.Match[str]]":
        return self._waiters.waitFor(self.received, pattern)

    def say(self, text: str) -> None:
        self.transport.write(text.encode("utf-8") + b"\n")


class EndToEndTests(TestCase):
    timeout = 60

    def setUp(self) -> None:
        self.directory = FilePath(self.mktemp())
        self.directory.makedirs()

    def spawn(self, *arguments: str) -> Child:
        child = Child()
        reactor.spawnProcess(
            child,
            sys.executable,
            [sys.executable, *arguments],
            env=childEnvironment(),
            path=self.directory.path,
        )

        def stop() -> Deferred[int | None]:
            if not child.ended.called:
                child.transport.signalProcess("KILL")
            return child.ended

        self.addCleanup(stop)
        return child

    async def startServer(self, *options: str, port: int = 0) -> tuple[Child, int]:
        """
        Start twistd -n chat on loopback (a free port unless given), with its
        database in the test's directory; return it and the port.
        """
        server = self.spawn(
            "-c",
            "from twisted.scripts.twistd import run; run()",
            "-n",
            "--pidfile=",
            "--logfile=-",
            "chat",
            "--listen",
            f"tcp:{port}:interface=127.0.0.1",
            *options,
        )
        match = await server.waitForOutput(r"LineChatFactory starting on (\d+)")
        return server, int(match.group(1))

    def startClient(self, port: int, *options: str) -> Child:
        """Start the real twisted-chat client with piped standard input."""
        return self.spawn("-m", "twisted_chat", "--port", str(port), *options)

    async def connect(self, port: int, nick: str) -> LineClient:
        client = LineClient()
        await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), client)
        self.addCleanup(lambda: client.transport.abortConnection())
        client.say(f"/nick {nick}")
        await client.waitFor(rf"^NICK guest\d+ {nick} ")
        return client

    async def test_conversation(self) -> None:
        """
        A raw client and two twisted-chat clients talk in the lobby and in a
        second room, exchange a private message, rename, and leave with bye.
        """
        _, port = await self.startServer()
        alice = await self.connect(port, "alice")
        alice.say("/join #two")
        alice.say("/join #lobby")
        bob = self.startClient(port, "--nick", "bob")
        carol = self.startClient(port, "--nick", "carol", "--room", "#two")
        await bob.waitForOutput(r"you are now bob")
        await carol.waitForOutput(r"now talking in #two")

        bob.type("hello everyone\n")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ bob :hello everyone$")
        alice.say("hi bob")
        await bob.waitForOutput(r"#lobby <alice> hi bob")
        carol.type("anyone in two?\n")
        await alice.waitFor(r"^MSG #two \d+ \S+ carol :anyone in two\?$")
        alice.say("/msg carol psst")
        await carol.waitForOutput(r"\*alice\* psst")
        carol.type("/msg alice got it\n/nick caroline\n")
        await alice.waitFor(r"^PRIVMSG carol alice \S+ :got it$")
        await alice.waitFor(r"^NICK carol caroline ")

        bob.type("/join #two\nbye from bob\nbye\n")
        await carol.waitForOutput(r"#two <bob> bye from bob")
        carol.type("bye\n")
        await alice.waitFor(r"^MSG #two \d+ \S+ bob :bye from bob$")
        await alice.waitFor(r"^QUIT bob \S+ :bye$")
        await alice.waitFor(r"^QUIT caroline \S+ :bye$")
        self.assertEqual(await bob.exited(), 0)
        self.assertEqual(await carol.exited(), 0)
        self.assertIn("-!- disconnected: bye", bob.output)
        self.assertEqual(bob.errors + carol.errors, "")

    async def test_pipedInputEnds(self) -> None:
        """
        printf 'hello' | twisted-chat: the line is sent, the end of input
        quits cleanly, and the client exits 0 once the server has closed.
        """
        _, port = await self.startServer()
        alice = await self.connect(port, "alice")
        bob = self.startClient(port, "--nick", "bob")
        bob.type("hello\nlast line without newline")
        bob.endInput()
        self.assertEqual(await bob.exited(), 0)
        await alice.waitFor(r"^MSG #lobby \d+ \S+ bob :hello$")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ bob :last line without newline$")
        await alice.waitFor(r"^QUIT bob \S+ :Leaving$")
        self.assertIn("<bob> last line without newline", bob.output)

    async def test_connectionRefused(self) -> None:
        """With no server, the client says so in one line and exits 1."""
        port = freePort()
        client = self.startClient(port)
        self.assertEqual(await client.exited(), 1)
        self.assertEqual(client.errors.count("\n"), 1)
        self.assertIn(
            f"twisted-chat: cannot connect to localhost:{port}", client.errors
        )
        self.assertIn("refused", client.errors)

    async def test_killedServerRestarted(self) -> None:
        """
        kill -9 the server and start it again with the same command: the
        real client reconnects by itself and misses nothing, history and
        accounts are still there, and a newcomer sees the history.
        """
        port = freePort()
        server, _ = await self.startServer(port=port)
        alice = await self.connect(port, "alice")
        alice.say("/register alice-password")
        await alice.waitFor(r"^ACCOUNT alice ")
        bob = self.startClient(port, "--nick", "bob", "--room", "#dev")
        await bob.waitForOutput(r"now talking in #dev")
        bob.type("before the crash\n")
        await bob.waitForOutput(r"#dev <bob> before the crash")
        server.transport.signalProcess("KILL")
        await server.exited()
        await bob.waitForOutput(r"connection lost .*; reconnecting")
        await self.startServer(port=port)
        carol = await self.connect(port, "carol")
        carol.say("/join #dev")
        await carol.waitFor(r"^HISTORY #dev 1 \S+ bob :before the crash$")
        carol.say("while bob was away")
        carol.say("/nick alice")
        await carol.waitFor(r"^ERROR nick-registered ")
        await bob.waitForOutput(r"reconnected after [0-9.]+ s; caught up")
        await bob.waitForOutput(r"#dev <carol> while bob was away")
        bob.type("bye\n")
        self.assertEqual(await bob.exited(), 0)
        self.assertEqual(bob.output.count("<carol> while bob was away"), 1)
        self.assertEqual(bob.output.count("<bob> before the crash"), 1)
        self.assertEqual(bob.errors, "")

    async def test_portInUse(self) -> None:
        """A second server on a port in use stops at once, saying why."""
        _, port = await self.startServer()
        second = self.spawn(
            "-c",
            "from twisted.scripts.twistd import run; run()",
            "-n",
            "--pidfile=",
            "chat",
            "--listen",
            f"tcp:{port}:interface=127.0.0.1",
        )
        self.assertEqual(await second.exited(), 1)
        self.assertIn(
            f"cannot listen on tcp:{port}:interface=127.0.0.1: Address already in use",
            second.output + second.errors,
        )
        self.assertNotIn("Traceback", second.output + second.errors)

    async def test_badInputOverTcp(self) -> None:
        """
        Over real TCP, a 1 MiB line, invalid UTF-8, an unknown command and a
        client vanishing mid-line each get their answer; others see nothing
        of it but the departure.
        """
        _, port = await self.startServer()
        alice = await self.connect(port, "alice")
        mallory = await self.connect(port, "mallory")
        mallory.transport.write(b"x" * (1 << 20) + b"\n\xff\xfe\n/frob\nstill here\n")
        await mallory.waitFor(r"^ERROR line-too-long ")
        await mallory.waitFor(r"^ERROR invalid-utf8 ")
        await mallory.waitFor(r"^ERROR unknown-command ")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ mallory :still here$")
        mallory.transport.write(b"half a li")
        mallory.transport.abortConnection()
        await alice.waitFor(r"^QUIT mallory \S+ :Connection lost$")
        alice.say("/who")
        await alice.waitFor(r"^MEMBERS #lobby :alice$")
        self.assertNotIn("half a li", alice.received)
        self.assertNotIn("ERROR", alice.received)

    async def test_operatorConsole(self) -> None:
        """
        twistd -n chat --console: the operator talks as server, sees the
        clients, and bye stops the server cleanly, clients told why.
        """
        server, port = await self.startServer("--console")
        await server.waitForOutput(r"now talking in #lobby")
        alice = await self.connect(port, "alice")
        server.type("hello from the operator\n")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ server :hello from the operator$")
        alice.say("hi operator")
        await server.waitForOutput(r"#lobby <alice> hi operator")
        server.type("bye\n")
        await alice.waitFor(r"^QUIT server \S+ :bye$")
        await alice.waitFor(r"^BYE shutdown :Server shutting down$")
        self.assertEqual(await server.exited(), 0)

    async def test_sigterm(self) -> None:
        """
        SIGTERM: every client is told the server is going before it stops,
        and the real client waits to reconnect rather than exit.

        twistd then ends itself with the signal that stopped it, as daemons
        conventionally report it.
        """
        server, port = await self.startServer()
        alice = await self.connect(port, "alice")
        client = self.startClient(port)
        await client.waitForOutput(r"now talking in #lobby")
        server.transport.signalProcess(signal.SIGTERM)
        await alice.waitFor(r"^BYE shutdown :Server shutting down$")
        await server.exited()
        self.assertEqual(server.signal, signal.SIGTERM)
        self.assertIn("Server Shut Down", server.output)
        await client.waitForOutput(r"connection lost \(the server is restarting\)")
        client.endInput()
        self.assertEqual(await client.exited(), 0)
