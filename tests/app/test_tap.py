"""
Tests for the twistd plugin: L{twisted_chat.app.tap} options and service, the
stopping of L{twisted_chat.app.service.ServerService}, and plugin discovery.
"""

import os

from twisted.application.service import IServiceMaker
from twisted.internet import reactor
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, fail
from twisted.internet.error import CannotListenError, ConnectionDone
from twisted.internet.interfaces import (
    IListeningPort,
    IProtocolFactory,
    IStreamServerEndpoint,
)
from twisted.internet.protocol import Protocol
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.plugin import getPlugins
from twisted.python.failure import Failure
from twisted.python.filepath import FilePath
from twisted.python.usage import UsageError
from twisted.scripts.twistd import ServerOptions
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface import implementer

from twisted_chat.app import options, tap
from twisted_chat.app.service import (
    RETENTION_INTERVAL,
    SHUTDOWN_GRACE,
    SHUTDOWN_REASON,
    EndpointListener,
    RetentionService,
    ServerService,
    StartFailed,
)
from twisted_chat.chat.core import Chat
from twisted_chat.chat.events import Goodbye, RoomMessage
from twisted_chat.frontends.irc import factory as ircfactory
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.frontends.stream import StreamFrontEnd
from twisted_chat.limits import (
    DEFAULT_LISTEN,
    DEFAULT_RULES,
    MAX_LINE_LENGTH,
    UNLIMITED,
)
from twisted_chat.store import StoreError
from twisted_chat.store.memory import MemoryStore
from twisted_chat.store.sqlite import SQLiteStore

from ..helpers import connectMember, makeAccounts, makeChat


def parse(*argv: str) -> tap.Options:
    options = tap.Options()
    options.parseOptions(list(argv))
    return options


def parseUnderTwistd(*argv: str) -> ServerOptions:
    """Parse a whole twistd command line, as twistd would."""
    options = ServerOptions()
    options.parseOptions(list(argv))
    return options


class OptionsTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """With no options: the seed's port on loopback, no console."""
        options = parse()
        self.assertEqual(options["listen"], [DEFAULT_LISTEN])
        self.assertEqual(DEFAULT_LISTEN, "tcp:7632:interface=127.0.0.1")
        self.assertEqual(options["max-line-length"], MAX_LINE_LENGTH)
        self.assertFalse(options["console"])

    def test_repeatedListen(self) -> None:
        """--listen may be given many times, replacing the default."""
        options = parse("--listen", "tcp:7000", "-l", "unix:/tmp/chat.sock")
        self.assertEqual(options["listen"], ["tcp:7000", "unix:/tmp/chat.sock"])

    def test_badEndpoint(self) -> None:
        """An endpoint string Twisted cannot parse is a usage error."""
        for bad in ["nonsense:1", "tcp:notaport"]:
            error = self.assertRaises(UsageError, parse, "--listen", bad)
            self.assertIn(bad, str(error))

    def test_noWeakTls(self) -> None:
        """An ssl endpoint may not choose its own (older) TLS method."""
        error = self.assertRaises(
            UsageError,
            parse,
            "--listen",
            "ssl:7633:privateKey=key.pem:sslmethod=TLSv1_METHOD",
        )
        self.assertIn("TLS 1.2", str(error))

    def test_missingCertificate(self) -> None:
        """A certificate file that cannot be read stops start-up at once."""
        error = self.assertRaises(
            UsageError, parse, "--listen", "ssl:7633:privateKey=/nonexistent.pem"
        )
        self.assertIn("/nonexistent.pem", str(error))

    def test_limitOptions(self) -> None:
        """Each limit reaches the connection rules; nonsense is refused."""
        rules = tap.connectionRules(
            parse("--flood-burst", "10", "--flood-rate", "0.5", "--send-queue", "0")
        )
        self.assertEqual((rules.floodBurst, rules.floodRate), (10, 0.5))
        self.assertEqual(rules.sendQueueBytes, 0)
        self.assertEqual(tap.connectionRules(parse()), DEFAULT_RULES)
        self.assertEqual(tap.connectionRules(parse("--no-limits")), UNLIMITED)
        for bad in [
            ("--flood-rate", "-1"),
            ("--flood-burst", "0"),
            ("--max-connections", "0"),
            ("--max-per-address", "0"),
            ("--idle-timeout", "60"),
        ]:
            self.assertRaises(UsageError, parse, *bad)

    def test_admissionOptions(self) -> None:
        """
        The connection caps: 1024 by default, or what the file-descriptor
        limit allows; lifted (to that limit) by --no-limits.
        """
        self.patch(tap, "fileDescriptorLimit", lambda: 20_000)
        rules = tap.admissionRules(parse())
        self.assertEqual((rules.maxConnections, rules.maxPerAddress), (1024, 16))
        self.assertFalse(rules.limitLoopback)
        self.patch(tap, "fileDescriptorLimit", lambda: 500)
        self.assertEqual(tap.admissionRules(parse()).maxConnections, 436)
        self.assertEqual(
            tap.admissionRules(parse("--max-connections", "5000")).maxConnections,
            5000,
        )
        lifted = tap.admissionRules(parse("--no-limits", "--limit-loopback"))
        self.assertEqual(lifted.maxConnections, 436)
        self.assertEqual(lifted.maxPerAddress, 436)
        self.assertTrue(tap.admissionRules(parse("--limit-loopback")).limitLoopback)

    def test_maxLineLength(self) -> None:
        """The line limit may be raised, but not set below what commands need."""
        self.assertEqual(parse("--max-line-length", "8192")["max-line-length"], 8192)
        self.assertRaises(UsageError, parse, "--max-line-length", "100")
        self.assertRaises(UsageError, parse, "--max-line-length", "lots")

    def test_serverName(self) -> None:
        """
        --server-name takes letters, digits, dots and dashes; anything that
        would break a message's source is refused; unset, it is L{None}.
        """
        self.assertIsNone(parse()["server-name"])
        for good in ["irc.example.org", "chat-1", "x"]:
            self.assertEqual(parse("--server-name", good)["server-name"], good)
        for bad in ["has space", "a!b", "-dash", "dot.", "a..b", "", "x" * 64]:
            error = self.assertRaises(UsageError, parse, "--server-name", bad)
            self.assertIn("--server-name", str(error))

    def test_serverNameReachesIRC(self) -> None:
        """
        The IRC factory names itself as --server-name says, or, without it,
        as the host is named when that is a full name, else twisted-chat.
        """

        def ircFactory(*argv: str) -> IRCChatFactory:
            reactor = MemoryReactorClock()
            options = parse("--db", ":memory:", "--irc", "tcp:7003", *argv)
            tap.makeService(options, reactor).privilegedStartService()
            factories = [f for _, f, _, _ in reactor.tcpServers]
            (found,) = [f for f in factories if isinstance(f, IRCChatFactory)]
            return found

        self.assertEqual(
            ircFactory("--server-name", "irc.example.org").serverName,
            "irc.example.org",
        )
        for host, expected in [
            ("chat.example.org", "chat.example.org"),
            ("bare", "twisted-chat"),
            ("under_score.example", "twisted-chat"),
        ]:
            self.patch(ircfactory.socket, "gethostname", lambda h=host: h)
            self.assertEqual(ircFactory().serverName, expected)

    def test_consoleNeedsNodaemon(self) -> None:
        """--console without -n is refused with a reason."""
        error = self.assertRaises(UsageError, parseUnderTwistd, "chat", "--console")
        self.assertIn("-n", str(error))

    def test_consoleLogsToFile(self) -> None:
        """With --console, twistd logs to a file unless told otherwise."""
        self.assertEqual(
            parseUnderTwistd("-n", "chat", "--console")["logfile"],
            options.CONSOLE_LOG_FILE,
        )
        self.assertEqual(
            parseUnderTwistd("-n", "--logfile", "x.log", "chat", "--console")[
                "logfile"
            ],
            "x.log",
        )
        self.assertIsNone(parseUnderTwistd("-n", "chat")["logfile"])


class MakeServiceTests(SynchronousTestCase):
    def test_listeners(self) -> None:
        """Each endpoint gets a listener for one shared line factory."""
        reactor = MemoryReactorClock()
        options = parse(
            "--db",
            ":memory:",
            "--listen",
            "tcp:7001",
            "--listen",
            r"tcp:7002:interface=\:\:1",
        )
        service = tap.makeService(options, reactor)
        service.privilegedStartService()
        self.assertEqual(
            [(port, interface) for port, _, _, interface in reactor.tcpServers],
            [(7001, ""), (7002, "::1")],
        )
        factories = {factory for _, factory, _, _ in reactor.tcpServers}
        self.assertEqual(len(factories), 1)
        (factory,) = factories
        self.assertIsInstance(factory, LineChatFactory)
        self.assertEqual(factory.maxLineLength, MAX_LINE_LENGTH)

    def test_portInUseFailsAtOnce(self) -> None:
        """A port that cannot be listened on stops start-up with one line."""
        reactor = MemoryReactorClock()

        def refuse(*args: object, **kwargs: object) -> None:
            raise CannotListenError(
                "127.0.0.1", 7632, OSError(98, "Address already in use")
            )

        self.patch(reactor, "listenTCP", refuse)
        service = tap.makeService(parse("--db", ":memory:"), reactor)
        error = self.assertRaises(SystemExit, service.privilegedStartService)
        self.assertEqual(
            str(error),
            "twistd chat: cannot listen on tcp:7632:interface=127.0.0.1:"
            " Address already in use",
        )

    def test_portInUseRemovesNewDatabase(self) -> None:
        """
        A start that fails on a port in use removes the database it made,
        with an exception twistd treats as an error (removing its pid file)
        that still exits with one line.
        """
        reactor = MemoryReactorClock()

        def refuse(*args: object, **kwargs: object) -> None:
            raise CannotListenError(
                "127.0.0.1", 7632, OSError(98, "Address already in use")
            )

        self.patch(reactor, "listenTCP", refuse)
        directory = FilePath(self.mktemp())
        directory.makedirs()
        database = directory.child("chat.sqlite3")
        service = tap.makeService(parse("--db", database.path), reactor)
        self.assertTrue(database.exists())
        error = self.assertRaises(StartFailed, service.privilegedStartService)
        self.assertIsInstance(error, Exception)
        self.assertIsInstance(error, SystemExit)
        self.assertFalse(os.path.exists(database.path))

    def test_unusableDatabaseFailsAtOnce(self) -> None:
        """A database that cannot be used stops start-up with one line."""
        directory = FilePath(self.mktemp())
        directory.makedirs()
        error = self.assertRaises(
            StartFailed,
            tap.makeService,
            parse("--db", directory.path),
            MemoryReactorClock(),
        )
        self.assertEqual(
            str(error),
            f"twistd chat: cannot open the database {directory.path}:"
            " it is a directory",
        )

    def test_operWithoutAccountFailsAtOnce(self) -> None:
        """
        --oper naming no account stops start-up with one line (else whoever
        registered the name first would run the server), and a database
        made for the start is removed.
        """
        directory = FilePath(self.mktemp())
        directory.makedirs()
        database = directory.child("chat.sqlite3")
        error = self.assertRaises(
            StartFailed,
            tap.makeService,
            parse("--db", database.path, "--oper", "olga"),
            MemoryReactorClock(),
        )
        self.assertEqual(
            str(error),
            "twistd chat: --oper olga: there is no account olga; start without"
            " it, /register olga, then restart with --oper olga (or grant it"
            " from the console: /oper olga)",
        )
        self.assertFalse(database.exists())

    def test_noConsoleByDefault(self) -> None:
        """The console is made only when asked for."""
        service = tap.makeService(parse("--db", ":memory:"), MemoryReactorClock())
        assert isinstance(service, ServerService)
        self.assertIsNone(service.console)
        withConsole = tap.makeService(
            parse("--db", ":memory:", "--console"), MemoryReactorClock()
        )
        assert isinstance(withConsole, ServerService)
        self.assertIsNotNone(withConsole.console)


@implementer(IStreamServerEndpoint)
class ListeningEndpoint:
    """
    Takes the place of a listener's endpoint (its public C{endpoint}) and
    listens through it, keeping the port, so that a test can see where the
    listener really listens.

    @ivar ports: the ports listened on.
    """

    def __init__(self, listener: EndpointListener) -> None:
        self._endpoint: IStreamServerEndpoint = listener.endpoint
        self.ports: list[IListeningPort] = []
        listener.endpoint = self

    def listen(self, factory: IProtocolFactory) -> "Deferred[IListeningPort]":
        def listening(port: IListeningPort) -> IListeningPort:
            self.ports.append(port)
            return port

        return self._endpoint.listen(factory).addCallback(listening)


class AnnouncementTests(TestCase):
    def test_whereItListensAndKeeps(self) -> None:
        """
        Start-up says where each listener listens (the real port, where port
        0 was asked for) and where history and accounts are kept.
        """
        from twisted.internet import reactor
        from twisted.logger import formatEvent, globalLogPublisher

        events: list[dict[str, object]] = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        database = self.mktemp()
        options = parse(
            "--db", database,
            "--listen", "tcp:0:interface=127.0.0.1",
            "--irc", "tcp:0:interface=127.0.0.1",
        )  # fmt: skip
        service = tap.makeService(options, reactor)
        endpoints = [
            ListeningEndpoint(child)
            for child in service
            if isinstance(child, EndpointListener)
        ]
        service.privilegedStartService()
        ports = [port for endpoint in endpoints for port in endpoint.ports]
        for listening in ports:
            self.addCleanup(listening.stopListening)
        said = [formatEvent(event) for event in events]
        self.assertIn(
            f"History and accounts are kept in {os.path.abspath(database)}", said
        )
        for listening, clients in zip(ports, ["line-protocol", "IRC"], strict=True):
            host = listening.getHost()
            assert isinstance(host, IPv4Address)
            port = host.port
            self.assertNotEqual(port, 0)
            self.assertIn(
                f"Listening for {clients} clients on 127.0.0.1:{port}"
                " (tcp:0:interface=127.0.0.1)",
                said,
            )


class ShutdownTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat: Chat
        self.chat, _ = makeChat()
        clock = Clock()
        accounts = makeAccounts(self.chat, clock)
        self.factory = LineChatFactory(self.chat, accounts, clock)
        self.irc = IRCChatFactory(self.chat, accounts, clock)
        self.clock = Clock()
        self.service = ServerService(self.chat, accounts, self.clock)
        self.service.addFrontEnd(self.factory)
        self.service.addFrontEnd(self.irc)
        self.service.startService()

    def connect(self, frontEnd: StreamFrontEnd) -> tuple[Protocol, StringTransport]:
        protocol = frontEnd.buildProtocol(None)
        transport = StringTransport()
        protocol.makeConnection(transport)
        return protocol, transport

    def test_goodbyeToEveryone(self) -> None:
        """Stopping tells every member the server is going down."""
        _, aliceSees = connectMember(self.chat)
        _, bobSees = connectMember(self.chat)
        self.successResultOf(self.service.stopService())
        self.assertEqual(aliceSees.events, [Goodbye("shutdown", SHUTDOWN_REASON)])
        self.assertEqual(bobSees.events, [Goodbye("shutdown", SHUTDOWN_REASON)])

    def test_waitsForConnections(self) -> None:
        """
        Stopping closes the connections of every front end, members or not
        (an IRC client still registering), and waits for them to close, up
        to the grace time.
        """
        line, lineTransport = self.connect(self.factory)
        irc, ircTransport = self.connect(self.irc)
        stopping = self.service.stopService()
        self.assertTrue(lineTransport.disconnecting)
        self.assertTrue(ircTransport.disconnecting)
        self.assertIn(b"BYE shutdown", lineTransport.value())
        self.assertIn(
            b"ERROR :Closing Link: " + SHUTDOWN_REASON.encode(), ircTransport.value()
        )
        line.connectionLost(Failure(ConnectionDone()))
        self.assertNoResult(stopping)
        irc.connectionLost(Failure(ConnectionDone()))
        self.successResultOf(stopping)

    def test_graceRunsOut(self) -> None:
        """A connection that will not close does not hold the server up."""
        protocol, _ = self.connect(self.irc)
        stopping = self.service.stopService()
        self.clock.advance(SHUTDOWN_GRACE)
        self.successResultOf(stopping)
        protocol.connectionLost(Failure(ConnectionDone()))


class PluginTests(SynchronousTestCase):
    def test_discovered(self) -> None:
        """twistd finds the chat plugin, and it makes our service."""
        import twisted.plugins

        makers = {
            maker.tapname: maker for maker in getPlugins(IServiceMaker, twisted.plugins)
        }
        self.assertIn("chat", makers)
        self.assertIs(makers["chat"].options, tap.Options)
        self.assertIs(makers["chat"].makeService, tap.makeService)


class StoreOptionsTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """History in chat.sqlite3, 50 on join, all of it kept forever."""
        options = parse()
        self.assertEqual(options["db"], "chat.sqlite3")
        self.assertEqual(options["history-on-join"], 50)
        self.assertEqual(options["retention-days"], 0)
        self.assertEqual(options["room-history-cap"], 0)
        self.assertFalse(options["require-login"])

    def test_badValues(self) -> None:
        """Negative settings and too much history on join are refused."""
        for argv in [
            ("--history-on-join", "-1"),
            ("--history-on-join", "5000"),
            ("--retention-days", "-2"),
            ("--room-history-cap", "-5"),
        ]:
            self.assertRaises(UsageError, parse, *argv)

    def test_sqliteStore(self) -> None:
        """--db PATH makes a SQLite store there; :memory: a memory store."""
        path = FilePath(self.mktemp())
        path.makedirs()
        database = path.child("chat.sqlite3").path
        service = tap.makeService(parse("--db", database), MemoryReactorClock())
        assert isinstance(service, ServerService)
        self.assertIsInstance(service.chat.store, SQLiteStore)
        self.assertTrue(FilePath(database).exists())
        memory = tap.makeService(parse("--db", ":memory:"), MemoryReactorClock())
        assert isinstance(memory, ServerService)
        self.assertIsInstance(memory.chat.store, MemoryStore)

    def test_settingsReachTheChat(self) -> None:
        """History on join and login policy reach the core and the factory."""
        service = tap.makeService(
            parse("--db", ":memory:", "--history-on-join", "7", "--require-login"),
            MemoryReactorClock(),
        )
        assert isinstance(service, ServerService)
        self.assertEqual(service.chat.historyOnJoin, 7)
        self.assertTrue(all(frontEnd.requireLogin for frontEnd in service.frontEnds))


class RetentionByDefaultTests(TestCase):
    """
    Nothing said is deleted unless the operator turns retention on: a
    restart with the default options keeps a busy room whole.
    """

    async def restart(self, database: str, *options: str) -> int:
        """
        Build the server on C{database} and apply its retention as start-up
        does; return how many messages of #a are left.
        """
        service = tap.makeService(parse("--db", database, *options), reactor)
        assert isinstance(service, ServerService)
        for child in service:
            if isinstance(child, RetentionService):
                await child.applyRetention()
        kept = await service.chat.store.messagesBetween("#a", 0, 10_000, 10_000)
        await service.chat.store.close()
        return len(kept)

    async def test_nothingTrimmedByDefault(self) -> None:
        """
        With the default options there is no retention at all, and every
        message survives restarts; an explicit cap still trims.
        """
        directory = FilePath(self.mktemp())
        directory.makedirs()
        database = directory.child("chat.sqlite3").path
        store = SQLiteStore(database, reactor)
        store.load()
        for sequence in range(1, 151):
            await store.appendMessage(RoomMessage("#a", sequence, 0, "ann", "hi"))
        await store.close()
        service = tap.makeService(parse("--db", ":memory:"), MemoryReactorClock())
        self.assertFalse([c for c in service if isinstance(c, RetentionService)])
        self.assertEqual(await self.restart(database), 150)
        self.assertEqual(await self.restart(database), 150)
        self.assertEqual(await self.restart(database, "--room-history-cap", "100"), 100)
        self.assertEqual(await self.restart(database, "--retention-days", "1"), 0)


class FailingStore(MemoryStore):
    def prune(self, olderThan: int | None, perRoomCap: int | None) -> Deferred[int]:
        return fail(StoreError("disk on fire"))


class RetentionTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(100 * 86_400)

    def test_appliedAtStartAndHourly(self) -> None:
        """Retention runs when the service starts, then every hour."""
        store = MemoryStore()
        chat = Chat(self.clock, store)
        calls: list[tuple[int | None, int | None]] = []
        original = store.prune

        def prune(olderThan: int | None, perRoomCap: int | None) -> Deferred[int]:
            calls.append((olderThan, perRoomCap))
            return original(olderThan, perRoomCap)

        self.patch(store, "prune", prune)
        service = RetentionService(chat, self.clock, 30, 1000)
        service.startService()
        self.addCleanup(service.stopService)
        day = 86_400_000
        self.assertEqual(calls, [(70 * day, 1000)])
        self.clock.advance(RETENTION_INTERVAL)
        self.assertEqual(len(calls), 2)

    def test_deletesOldMessages(self) -> None:
        """Messages older than the retention are gone after a step."""
        store = MemoryStore()
        chat = Chat(self.clock, store)
        member, _ = connectMember(chat)
        chat.join(member, "#a")
        chat.say(member, None, "old")
        self.clock.advance(2 * 86_400)
        chat.say(member, None, "new")
        self.successResultOf(
            RetentionService(chat, self.clock, 1, None).applyRetention()
        )
        kept = self.successResultOf(store.messagesBetween("#a", 0, 10, 10))
        self.assertEqual([m.text for m in kept], ["new"])

    def test_failureLoggedAndLoopGoesOn(self) -> None:
        """A failed step is logged; the next one still runs."""
        chat = Chat(self.clock, FailingStore())
        service = RetentionService(chat, self.clock, 1, None)
        service.startService()
        self.addCleanup(service.stopService)
        self.assertEqual(len(self.flushLoggedErrors(StoreError)), 1)
        self.clock.advance(RETENTION_INTERVAL)
        self.assertEqual(len(self.flushLoggedErrors(StoreError)), 1)
