"""
Tests for L{twisted_chat.client.servers}: several servers named (the
C{--host} option of L{twisted_chat.client.script}), the next one tried after
a loss, with backoff, and every room resumed where it was left.
"""

from io import StringIO

from twisted.internet.defer import Deferred, ensureDeferred, fail, succeed
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
)
from twisted.internet.interfaces import (
    IOpenSSLClientConnectionCreator,
    IProtocol,
    IProtocolFactory,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactor, StringTransport
from twisted.python.failure import Failure
from twisted.python.usage import UsageError
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_chat.chat.events import (
    CurrentRoom,
    Event,
    Goodbye,
    HistoryEnd,
    Joined,
    RoomMessage,
    Welcome,
)
from twisted_chat.client.script import ClientOptions, main
from twisted_chat.client.servers import (
    RECONNECT_MAX_DELAY,
    Endpoints,
    FailoverEndpoint,
    Server,
    parseServers,
    retryPolicy,
    stayConnected,
    unreachable,
)
from twisted_chat.client.session import ClientSession
from twisted_chat.limits import DEFAULT_PORT
from twisted_chat.wire.line import formatEvent

from .test_client import makeSession

T = 1_764_094_803_456

A = Server("a.lan", 7632)
B = Server("b.lan", 7700)


def parse(*argv: str) -> ClientOptions:
    options = ClientOptions()
    options.parseOptions(list(argv))
    return options


class ServerListTests(SynchronousTestCase):
    def test_default(self) -> None:
        """No --host: localhost on the default port, as before."""
        options = parse()
        self.assertEqual(options["servers"], [Server("localhost", DEFAULT_PORT)])
        self.assertEqual(options["host"], "localhost")

    def test_oneHostAndPort(self) -> None:
        """--host H --port P is one server, H on P, as it always was."""
        options = parse("--host", "chat.lan", "--port", "7000")
        self.assertEqual(options["servers"], [Server("chat.lan", 7000)])
        self.assertEqual((options["host"], options["port"]), ("chat.lan", 7000))

    def test_severalServers(self) -> None:
        """
        --host takes a comma list and may be repeated; --port (given before
        or after) is the port of those named without one; IPv6 in brackets.
        """
        options = parse(
            "--host",
            "a.lan, b.lan:7700",
            "-H",
            "[::1]:7632,[fe80::1]",
            "--host",
            "10.0.0.5:1",
            "--port",
            "7000",
        )
        self.assertEqual(
            options["servers"],
            [
                Server("a.lan", 7000),
                Server("b.lan", 7700),
                Server("::1", 7632),
                Server("fe80::1", 7000),
                Server("10.0.0.5", 1),
            ],
        )

    def test_bareIPv6(self) -> None:
        """A bare IPv6 address is a host, on the default port."""
        self.assertEqual(parseServers(["::1"], 7632), [Server("::1", 7632)])

    def test_namedTwice(self) -> None:
        """A server named twice is tried once, where first named."""
        self.assertEqual(
            parseServers(["a:1,b:2", "a:1"], 7632), [Server("a", 1), Server("b", 2)]
        )

    def test_names(self) -> None:
        """A server is shown as host:port, an IPv6 one in brackets; pins omit them."""
        self.assertEqual(str(Server("a", 1)), "a:1")
        self.assertEqual(str(Server("::1", 7632)), "[::1]:7632")
        self.assertEqual(Server("::1", 7632).pinName, "::1:7632")

    def test_errors(self) -> None:
        """Each entry that names no server is one line of usage error."""
        for entry, said in [
            ("a,,b", "--host an empty server name"),
            ("a:", "--host 'a:': the port must be 1 to 65535"),
            (":7632", "--host ':7632': no host named"),
            ("a:0", "--host 'a:0': the port must be 1 to 65535"),
            ("a:70000", "--host 'a:70000': the port must be 1 to 65535"),
            ("a:http", "--host 'a:http': the port must be 1 to 65535"),
            ("[::1", "--host '[::1': write an IPv6 address as [ADDRESS]:PORT"),
            ("[::1]7", "--host '[::1]7': write an IPv6 address as [ADDRESS]:PORT"),
            (
                "[a.lan]:1",
                "--host '[a.lan]:1': write an IPv6 address as [ADDRESS]:PORT",
            ),
            ("a b", "--host 'a b': not a host name or address"),
        ]:
            with self.assertRaises(UsageError) as caught:
                parse("--host", entry)
            self.assertEqual(str(caught.exception), said)

    def test_errorBeforeNetwork(self) -> None:
        """A bad --host: one line, exit status 2, and no connection attempted."""
        stderr = StringIO()
        reactor = MemoryReactor()
        failure = self.failureResultOf(
            ensureDeferred(main(reactor, ["--host", "a:1,b:x"], stderr)), SystemExit
        )
        self.assertEqual(failure.value.code, 2)
        self.assertEqual(
            stderr.getvalue(),
            "twisted-chat: --host 'b:x': the port must be 1 to 65535\n"
            "Try twisted-chat --help.\n",
        )
        self.assertEqual(reactor.tcpClients, [])


class RetryPolicyTests(SynchronousTestCase):
    def test_roundsBackOff(self) -> None:
        """
        Every server of a round is tried after the same pause; the pause
        grows by half after each whole round that failed, up to the most.
        """
        policy = retryPolicy(2, jitter=lambda: 0)
        self.assertEqual(
            [policy(attempt) for attempt in range(1, 7)],
            [0.75, 0.75, 1.125, 1.125, 1.6875, 1.6875],
        )
        self.assertEqual(policy(1000), RECONNECT_MAX_DELAY)

    def test_bounds(self) -> None:
        """With its jitter, a pause is at least 0.75 s and at most 31 s."""
        for servers in (1, 3):
            policy = retryPolicy(servers)
            for attempt in range(1, 300):
                self.assertTrue(0.75 <= policy(attempt) <= RECONNECT_MAX_DELAY + 1)

    def test_oneServerAsBefore(self) -> None:
        """With one server, the pauses are the plain backoff of before."""
        policy = retryPolicy(1, jitter=lambda: 0)
        self.assertEqual(
            [policy(attempt) for attempt in (1, 2, 3)], [0.75, 1.125, 1.6875]
        )


@implementer(IStreamClientEndpoint)
class FakeServer:
    """
    One server's endpoint: each attempt gets a connection over a
    StringTransport, or is refused while the server is down.
    """

    def __init__(self, clock: Clock, *, up: bool = True) -> None:
        self.clock = clock
        self.up = up
        self.attempts: list[float] = []
        self.protocol: IProtocol | None = None
        self.transport = StringTransport()

    def connect(self, protocolFactory: IProtocolFactory) -> "Deferred[IProtocol]":
        self.attempts.append(self.clock.seconds())
        if not self.up:
            return fail(ConnectionRefusedError())
        protocol = protocolFactory.buildProtocol(None)
        assert protocol is not None
        self.transport = StringTransport()
        protocol.makeConnection(self.transport)
        self.protocol = protocol
        return succeed(protocol)

    def say(self, *events: Event) -> None:
        assert self.protocol is not None
        self.protocol.dataReceived(b"".join(map(formatEvent, events)))

    def sent(self) -> list[str]:
        return self.transport.value().decode("utf-8").splitlines()

    def close(self) -> None:
        """The server closes the connection (after a goodbye)."""
        assert self.protocol is not None
        self.protocol.connectionLost(Failure(ConnectionDone()))

    def kill(self) -> None:
        """The server process dies (kill -9): the connection is lost."""
        assert self.protocol is not None
        self.up = False
        self.protocol.connectionLost(Failure(ConnectionLost("gone")))


def history(sequence: int) -> RoomMessage:
    return RoomMessage("#dev", sequence, T, "bob", f"m{sequence}", history=True)


class FailoverTests(SynchronousTestCase):
    """
    A session kept connected by L{stayConnected} through a
    L{FailoverEndpoint} over two fake servers, on a clock.
    """

    def setUp(self) -> None:
        self.session, self.shown, self.clock = makeSession("alice")
        self.servers = {A: FakeServer(self.clock), B: FakeServer(self.clock)}
        self.a, self.b = self.servers[A], self.servers[B]

    def start(self) -> "Deferred[None]":
        session: ClientSession = self.session

        async def endpointFor(server: Server) -> IStreamClientEndpoint:
            return self.servers[server]

        self.endpoint = FailoverEndpoint(
            [A, B],
            endpointFor,
            connecting=lambda server: session.connectingTo(str(server)),
        )
        self.welcomed: list[bool] = []
        done = ensureDeferred(
            stayConnected(
                self.clock, self.endpoint, session, lambda: self.welcomed.append(True)
            )
        )
        self.addCleanup(self.stop, done)
        return done

    def stop(self, done: "Deferred[None]") -> None:
        """Stop the client if the test left it running."""
        done.cancel()
        self.clock.advance(0)
        self.assertTrue(done.called)
        done.addErrback(lambda failure: None)

    def greet(self, server: FakeServer) -> None:
        """The first connection: alice joins #dev and sees messages 1 to 5."""
        server.say(
            Welcome("alice", "hi"),
            Joined("#dev", "alice", T),
            CurrentRoom("#dev"),
            *map(history, range(1, 5)),
            HistoryEnd("#dev", 4, 4, "join"),
            RoomMessage("#dev", 5, T, "bob", "m5"),
        )

    def test_firstThatAnswers(self) -> None:
        """The first server down: the client lands on the next, and says so."""
        self.a.up = False
        done = self.start()
        self.assertEqual((len(self.a.attempts), len(self.b.attempts)), (1, 0))
        self.clock.advance(RECONNECT_MAX_DELAY + 1)
        self.assertEqual((len(self.a.attempts), len(self.b.attempts)), (1, 1))
        self.greet(self.b)
        self.assertEqual(self.welcomed, [True])
        self.assertEqual(self.shown[0], "-- connected to b.lan:7700")
        self.assertNoResult(done)

    def test_noneAnswers(self) -> None:
        """
        No server answers: after one round the client gives up, with why
        each failed, and tries no more.
        """
        self.a.up = self.b.up = False
        done = self.start()
        self.clock.advance(RECONNECT_MAX_DELAY + 1)
        self.clock.advance(0)
        self.failureResultOf(done, ConnectionRefusedError)
        self.assertEqual(
            unreachable(self.endpoint.failures, 15),
            "cannot connect to any of 2 servers:"
            " a.lan:7632 (Connection was refused by other side);"
            " b.lan:7700 (Connection was refused by other side)",
        )
        self.clock.advance(100)
        self.assertEqual((len(self.a.attempts), len(self.b.attempts)), (1, 1))

    def test_failoverResumes(self) -> None:
        """
        The server killed, the client reconnects to the next one, says so,
        resumes #dev after the last message it saw there, and shows only
        what it had not seen.
        """
        done = self.start()
        self.greet(self.a)
        self.assertEqual(self.shown[0], "-- connected to a.lan:7632")
        self.shown.clear()
        self.a.kill()
        (lost,) = self.shown
        self.assertIn("connection lost", lost)
        self.assertTrue(lost.endswith("reconnecting..."))
        self.assertEqual(self.b.attempts, [])
        self.clock.advance(RECONNECT_MAX_DELAY + 1)
        self.assertEqual(len(self.b.attempts), 1)
        self.assertEqual(self.b.sent(), ["/nick alice", "/resume #dev 5"])
        self.b.say(
            Welcome("alice", "hi"),
            Joined("#dev", "alice", T),
            CurrentRoom("#dev"),
            history(5),
            history(6),
            history(7),
            HistoryEnd("#dev", 3, 7, "resume"),
        )
        self.assertEqual(
            self.shown[1:],
            [
                "-- connected to b.lan:7700",
                "11-25 18:20 #dev <bob> m6",
                "11-25 18:20 #dev <bob> m7",
                "-- reconnected after 31.0 s; caught up 2 messages in 1 room",
            ],
        )
        # Only one attempt at the dead server: the first connection.
        self.assertEqual(len(self.a.attempts), 1)
        self.assertNoResult(done)

    def test_failoverAgainResumesFromTheLatest(self) -> None:
        """
        Lost again on the second server, the client goes back round to the
        first and resumes from the last message the second one sent.
        """
        self.start()
        self.greet(self.a)
        self.a.kill()
        self.clock.advance(RECONNECT_MAX_DELAY + 1)
        self.b.say(
            Welcome("alice", "hi"),
            Joined("#dev", "alice", T),
            history(6),
            HistoryEnd("#dev", 1, 6, "resume"),
            RoomMessage("#dev", 7, T, "bob", "m7"),
        )
        self.a.up = True
        self.b.kill()
        self.shown.clear()
        self.clock.advance(RECONNECT_MAX_DELAY + 1)
        self.assertEqual(self.a.sent(), ["/nick alice", "/resume #dev 7"])
        self.a.say(Welcome("alice", "hi"))
        self.assertIn("-- connected to a.lan:7632", self.shown)

    def test_bothDownBacksOff(self) -> None:
        """
        With every server down after a loss, the attempts go round the list,
        each a pause of 0.75 s to 31 s after the one before, and go on.
        """
        self.start()
        self.greet(self.a)
        self.a.kill()
        self.b.up = False
        lost = self.clock.seconds()
        self.clock.pump([0.25] * 4 * 600)
        attempts = sorted(self.a.attempts[1:] + self.b.attempts)
        self.assertGreater(len(attempts), 20)
        pauses = [
            later - earlier
            for earlier, later in zip([lost, *attempts[:-1]], attempts, strict=True)
        ]
        # Seen on a clock that moves a quarter of a second at a time.
        for pause in pauses:
            self.assertTrue(0.5 <= pause <= RECONNECT_MAX_DELAY + 1.25, pause)
        self.assertIn(attempts[0], self.b.attempts)
        self.assertIn(attempts[1], self.a.attempts)

    def test_shutdownMovesOn(self) -> None:
        """A server saying goodbye as it shuts down: the client moves to the next."""
        done = self.start()
        self.greet(self.a)
        self.a.say(Goodbye("shutdown", "Server shutting down"))
        self.a.close()
        self.clock.advance(RECONNECT_MAX_DELAY + 1)
        self.assertEqual(self.b.sent(), ["/nick alice", "/resume #dev 5"])
        self.assertNoResult(done)

    def test_noReconnectAfterQuit(self) -> None:
        """The person leaving ends it all: no server is tried again."""
        done = self.start()
        self.greet(self.a)
        self.session.inputEnded()
        self.assertEqual(self.a.sent()[-1], "/quit")
        self.a.say(Goodbye("quit", "bye"))
        self.a.close()
        self.clock.advance(0)
        self.successResultOf(done)
        self.clock.advance(100)
        self.assertEqual((len(self.a.attempts), len(self.b.attempts)), (1, 0))

    def test_noReconnectAfterKick(self) -> None:
        """Put out by an operator (or a ban): the next server is not tried."""
        done = self.start()
        self.greet(self.a)
        self.a.say(Goodbye("kicked", "Killed by root: spam"))
        self.a.close()
        self.clock.advance(0)
        self.successResultOf(done)
        self.clock.advance(100)
        self.assertEqual(self.b.attempts, [])

    def test_noReconnectAfterRefusal(self) -> None:
        """
        The next server refusing the client (a server ban on its address):
        trying again would be refused again, so the session ends there.
        """
        done = self.start()
        self.greet(self.a)
        self.a.kill()
        self.clock.advance(RECONNECT_MAX_DELAY + 1)
        self.b.say(Goodbye("refused", "Your address is banned"))
        self.b.close()
        self.clock.advance(0)
        self.successResultOf(done)
        self.a.up = True
        self.clock.advance(100)
        self.assertEqual((len(self.a.attempts), len(self.b.attempts)), (1, 1))


class FailoverEndpointTests(SynchronousTestCase):
    def test_nextEachAttempt(self) -> None:
        """Each attempt is at the next server, round the list, from the first."""
        clock = Clock()
        servers = {A: FakeServer(clock), B: FakeServer(clock)}
        told: list[Server] = []
        endpoint = FailoverEndpoint(
            [A, B],
            lambda server: succeed(servers[server]),
            first=1,
            connecting=told.append,
        )
        factory = _NullFactory()
        for _ in range(3):
            endpoint.connect(factory)
        self.assertEqual(told, [B, A, B])
        self.assertEqual(endpoint.current, B)

    def test_failedEndpoint(self) -> None:
        """An endpoint that cannot be made (a server not trusted) fails the attempt."""
        endpoint = FailoverEndpoint([A], lambda server: fail(ValueError("not trusted")))
        self.failureResultOf(endpoint.connect(_NullFactory()), ValueError)
        self.assertEqual(list(endpoint.failures), [A])


class _NullFactory(Factory):
    protocol = Protocol


@implementer(IOpenSSLClientConnectionCreator)
class FakeTrust:
    def __init__(self, server: Server) -> None:
        self.server = server

    def clientConnectionForTLS(self, tlsProtocol: object) -> object:
        raise NotImplementedError


class EndpointsTests(SynchronousTestCase):
    def test_eachServerTrustedOnItsOwn(self) -> None:
        """
        Over TLS, how to trust each server is decided for that server alone
        (its own pin), once, and kept for its later connections.
        """
        asked: list[Server] = []

        async def choose(server: Server) -> IOpenSSLClientConnectionCreator:
            asked.append(server)
            return FakeTrust(server)

        pinnedA = FakeTrust(A)
        endpoints = Endpoints(
            MemoryReactor(),
            timeout=15,
            creators={A: pinnedA},
            view=makeSession()[0].view,
            choose=choose,
        )
        for server in [B, A, B]:
            self.successResultOf(ensureDeferred(endpoints.secure(server)))
        self.assertEqual(asked, [B])
        self.assertIs(endpoints.creators[A], pinnedA)
        creatorB = endpoints.creators[B]
        assert isinstance(creatorB, FakeTrust)
        self.assertEqual(creatorB.server, B)
