"""
Real processes for the end-to-end tests: a C{twistd -n chat} child and the
real C{twisted-chat} client, both run from this checkout, and a raw line
client (what C{nc} does).

The children run this checkout's code: the repository root is put first on
their C{PYTHONPATH}, so C{twisted/plugins/} here is where twistd finds the
plugin.
"""

import os
import re
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

from twisted_chat.wire import line as wire
from twisted_chat.wire.linetypes import MalformedLine

REPOSITORY = FilePath(__file__).parent().parent().parent()
WAIT = 15.0
"""Seconds to wait for any one expected output before failing."""


def freePort() -> int:
    """
    A loopback port free now, for a client to find nothing listening on.
    Servers are started on port 0 instead, and say which port they got
    (L{ProcessTestCase.startServer}): a port found free and then given to a
    server may be taken in between.
    """
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
        self.ports: dict[str, int] = {}
        self.ircPorts: dict[str, int] = {}
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


class ProcessTestCase(TestCase):
    """Starts servers and clients as child processes, and cleans them up."""

    timeout = 60

    def setUp(self) -> None:
        self.directory = FilePath(self.mktemp())
        self.directory.makedirs()

    def spawn(self, *arguments: str, directory: FilePath[str] | None = None) -> Child:
        """
        Run this Python with C{arguments} in C{directory} (the test's own by
        default); it is killed at the end of the test if still running.
        """
        child = Child()
        reactor.spawnProcess(
            child,
            sys.executable,
            [sys.executable, *arguments],
            # The client's pins go in the test's directory, not the user's.
            env={
                **childEnvironment(),
                "XDG_CONFIG_HOME": self.directory.child("config").path,
            },
            path=(directory or self.directory).path,
        )

        def stop() -> Deferred[int | None]:
            if not child.ended.called:
                child.transport.signalProcess("KILL")
            return child.ended

        self.addCleanup(stop)
        return child

    async def startServer(self, *options: str, port: int = 0) -> tuple[Child, int]:
        """
        Start twistd -n chat on loopback (on a port of the system's choosing
        unless given), with its database in the test's directory; return it
        and the line-protocol port.  It has started when it has said where
        each of its listeners (C{--listen}, C{--irc}) listens, as it says to
        its operator; the ports it got are in the child's C{ports} (and
        C{ircPorts}), by endpoint description.
        """
        main = f"tcp:{port}:interface=127.0.0.1"
        server = self.spawn(
            "-c",
            "from twisted.scripts.twistd import run; run()",
            "-n",
            "--pidfile=",
            "--logfile=-",
            "chat",
            "--listen",
            main,
            *options,
        )
        listeners = [("line-protocol", main, server.ports)] + [
            (
                "IRC" if option == "--irc" else "line-protocol",
                options[n + 1],
                server.ircPorts if option == "--irc" else server.ports,
            )
            for n, option in enumerate(options[:-1])
            if option in ("--listen", "--irc")
        ]
        for clients, description, ports in listeners:
            match = await server.waitForOutput(
                rf"Listening for {clients} clients on 127\.0\.0\.1:(\d+)"
                rf" \({re.escape(description)}\)"
            )
            ports[description] = int(match.group(1))
        return server, server.ports[main]

    def startClient(self, port: int, *options: str) -> Child:
        """Start the real twisted-chat client with piped standard input."""
        return self.spawn("-m", "twisted_chat", "--port", str(port), *options)

    async def connect(self, port: int, nick: str) -> LineClient:
        """Connect over the line protocol as C{nick}, in the lobby."""
        client = LineClient()
        await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), client)
        self.addCleanup(lambda: client.transport.abortConnection())
        client.say(f"/nick {nick}")
        client.say("/join #lobby")
        await client.waitFor(r"^CURRENT #lobby$")
        return client


class EventLine(LineOnlyReceiver):
    """
    A test client's line-protocol connection: each line the server sends is
    parsed into an event and handed to the client, which is told when the
    connection is made and lost.
    """

    delimiter = b"\r\n"
    MAX_LENGTH = 1 << 16

    def __init__(self, client: Any) -> None:
        self.client = client

    def connectionMade(self) -> None:
        self.client.connected(self)

    def lineReceived(self, line: bytes) -> None:
        self.heard(line)
        try:
            event = wire.parseEvent(line)
        except MalformedLine:
            return
        self.client.eventReceived(event)

    def heard(self, line: bytes) -> None:
        """Every line as it came, before it is parsed (here: nothing)."""

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.client.disconnected()

    def say(self, text: str) -> None:
        self.sendLine(text.encode("utf-8"))
