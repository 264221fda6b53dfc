"""
Tests for L{twisted_chat.store.postgres.PostgresStore} against a real
PostgreSQL (L{tests.postgresserver}): the same contract suites the SQLite
and memory stores pass, each test on a fresh database, and what is
PostgreSQL's own: start-up failures, the database's guard on room numbers,
reconnecting after the server restarts, and the schema's migrations; and
two stores on one database, as two servers of a cluster use it, numbering
messages in the same rooms.
"""

import os
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import deferLater
from twisted.trial.unittest import SkipTest, SynchronousTestCase, TestCase

from tests.postgresserver import PostgresForTests, postgres, withDatabase
from tests.store.test_certificates import CertificateContract
from tests.store.test_history import HistoryContract
from tests.store.test_moderation import Kept, ModerationContract
from tests.store.test_store import StoreContract, message
from twisted_chat.chat.events import PrivateMessage, TopicInfo
from twisted_chat.store import AccountRecord, IChatStore, StoredState, StoreError
from twisted_chat.store.pgaddress import PostgresUnusable, parseAddress

T = 1_700_000_000_000


class PostgresCase(TestCase):
    """
    A test with a fresh PostgreSQL database of its own, and a way to open
    stores on it (closed at the end of the test if still open).  Listed
    first among a test's bases, its C{makeStore} is the contracts' one.
    """

    def setUp(self) -> None:
        self.server: PostgresForTests = postgres()
        self.url = self.server.emptiedDatabase()

    def opened(self, url: str | None = None) -> tuple[Any, StoredState]:
        from twisted_chat.store.postgres import PostgresStore

        store = PostgresStore(url or self.url, reactor)
        state = store.load()
        self.addCleanup(lambda: store.close() if not store.writer.closed else None)
        return store, state

    def makeStore(self) -> Any:
        return self.opened()[0]

    def sql(self, query: str, *parameters: object) -> list[tuple[Any, ...]]:
        """Run C{query} on the test's database from another connection."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            cursor = connection.execute(query, parameters or None)
            return cursor.fetchall() if cursor.description else []


class PostgresStoreTests(PostgresCase, StoreContract):
    def reopen(self) -> tuple[IChatStore, StoredState]:
        store, state = self.opened()
        return store, state

    async def test_failedGroupGivesNoNumber(self) -> None:
        """
        A group that fails (here a write in it raises) is rolled back with
        the numbers it gave: its numbered messages fail, and the next ones
        kept take those numbers.
        """
        store = self.makeStore()
        first = store.appendNumbered(message(0, text="first"))
        # Queued while the first commits: these make the next group.
        lost = store.appendNumbered(message(0, text="lost"))
        broken = store.writer.submit(
            lambda connection: connection.execute("SELECT 1 / 0"), writes=True
        )
        self.assertEqual(await first, 1)
        await self.assertFailure(lost, StoreError)
        await self.assertFailure(broken, StoreError)
        self.assertEqual(await store.appendNumbered(message(0, text="kept")), 2)
        self.assertEqual(
            self.sql("SELECT sequence, text FROM messages ORDER BY sequence"),
            [(1, "first"), (2, "kept")],
        )
        self.assertEqual(self.sql("SELECT last_sequence FROM rooms"), [(2,)])
        self.flushLoggedErrors()
        await store.close()

    async def test_survivesRestart(self) -> None:
        """Rooms, their numbering, topics and accounts come back after a restart."""
        store = self.makeStore()
        for sequence in range(1, 4):
            await store.appendMessage(message(sequence))
        await store.saveTopic(TopicInfo("#Dev", "ann", T, "plans"))
        await store.saveTopic(TopicInfo("#quiet", "bob", T, "shh"))
        await store.createAccount(AccountRecord("Ann", "hash", T))
        await store.close()
        _, state = self.opened()
        rooms = {room.name: room for room in state.rooms}
        self.assertEqual(rooms["#Dev"].lastSequence, 3)
        self.assertEqual(rooms["#Dev"].topic, TopicInfo("#Dev", "ann", T, "plans"))
        self.assertEqual(rooms["#quiet"].lastSequence, 0)
        self.assertEqual(state.registeredNicks, {"ann"})

    async def test_waitingPrivateCounted(self) -> None:
        """Waiting private messages are counted per recipient and sender."""
        store = self.makeStore()
        for sender in ["Mallory", "mallory", "eve"]:
            await store.appendPrivate(PrivateMessage(sender, "Bob", T, "x"), False)
        await store.appendPrivate(PrivateMessage("eve", "carol", T, "x"), True)
        await store.close()
        _, state = self.opened()
        self.assertEqual(state.waitingPrivate, {"bob": {"mallory": 2, "eve": 1}})

    async def test_numbersOutlivePruning(self) -> None:
        """A room whose messages were all pruned still goes on from its last number."""
        store = self.makeStore()
        for sequence in range(1, 4):
            await store.appendMessage(message(sequence, time=1))
        await store.prune(2, None)
        await store.close()
        again, state = self.opened()
        (room,) = state.rooms
        self.assertEqual(room.lastSequence, 3)
        await self.assertFailure(again.appendMessage(message(1, time=5)), StoreError)
        await again.appendMessage(message(4, time=5))
        self.flushLoggedErrors(StoreError)

    async def test_groupCommit(self) -> None:
        """
        Writes asked for while a group commits go together into the next,
        and each has committed when its Deferred fires.
        """
        store = self.makeStore()
        await gatherResults([store.appendMessage(message(n)) for n in range(1, 2001)])
        self.assertEqual(store.writer.committedWrites, 2000)
        self.assertLess(store.writer.committedGroups, 20)
        self.assertEqual(
            self.sql("SELECT count(*), min(sequence), max(sequence) FROM messages"),
            [(2000, 1, 2000)],
        )
        self.assertEqual(self.sql("SELECT last_sequence FROM rooms"), [(2000,)])
        await store.close()

    async def test_databaseRefusesAHole(self) -> None:
        """
        The database itself refuses a message that does not follow its
        room's last kept number, even one the writer's own check lets
        through (another writer moved the room on): the group is rolled
        back, and the writer reads the number again.
        """
        store = self.makeStore()
        await store.appendMessage(message(1))
        self.sql("UPDATE rooms SET last_sequence = 5")
        await self.assertFailure(store.appendMessage(message(2)), StoreError)
        refused = await self.assertFailure(store.appendMessage(message(2)), StoreError)
        self.assertEqual(refused.lastKept, 5)
        await store.appendMessage(message(6))
        self.assertEqual(
            self.sql("SELECT sequence FROM messages ORDER BY sequence"), [(1,), (6,)]
        )
        self.flushLoggedErrors(StoreError)
        await store.close()

    async def test_databaseRefusesANumberTwice(self) -> None:
        """A room's number is kept once: the key on room and number says so."""
        store = self.makeStore()
        await store.appendMessage(message(1))
        await store.close()
        self.sql("UPDATE rooms SET last_sequence = 0")
        again, _ = self.opened()
        await self.assertFailure(again.appendMessage(message(1)), StoreError)
        self.flushLoggedErrors()

    async def test_outOfOrderReadsNothingHeld(self) -> None:
        """A read outside a transaction leaves no transaction open on the server."""
        store = self.makeStore()
        await store.appendMessage(message(1))
        await store.messagesBetween("#dev", 0, 5, 5)
        states = self.sql(
            "SELECT state FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'twisted_chat'"
        )
        self.assertEqual(states, [("idle",)])
        await store.close()


class PostgresHistoryTests(PostgresCase, HistoryContract):
    pass


class PostgresCertificateTests(PostgresCase, CertificateContract):
    async def test_survivesRestart(self) -> None:
        """Fingerprints are kept across a restart."""
        store = await self.withAccounts()
        await store.addCertificate("ann", "a" * 64)
        await store.close()
        again = self.makeStore()
        self.assertEqual(await again.certificates("ann"), ["a" * 64])
        await again.close()


class PostgresModerationTests(PostgresCase, ModerationContract):
    async def restarted(self, store: IChatStore) -> tuple[IChatStore, Kept]:
        await store.close()
        again, state = self.opened()
        return again, Kept.loaded(state)


class AddressTests(SynchronousTestCase):
    """A --db URL is read into where it points, never showing its password."""

    def test_parts(self) -> None:
        """Host, port (5432 unless given) and database name are read."""
        address = parseAddress("postgresql://ann:secret@db.lan/chat")
        self.assertEqual(str(address), "db.lan:5432/chat")
        self.assertEqual(
            str(parseAddress("postgres://h:6000/x?sslmode=require")), "h:6000/x"
        )

    def test_refused(self) -> None:
        """A URL without host or database, or with a bad port, is refused."""
        for url, why in [
            ("postgresql:///chat", "no host"),
            ("postgresql://db.lan", "no database name"),
            ("postgresql://db.lan/", "no database name"),
            ("postgresql://db.lan:port/chat", "bad URL"),
            ("chat.sqlite3", "not a postgresql:// URL"),
        ]:
            error = self.assertRaises(ValueError, parseAddress, url)
            self.assertIn(why, str(error), url)


class StartFailureTests(PostgresCase):
    """PostgreSQL that cannot be used at start-up is said in one line."""

    def setUp(self) -> None:
        self.server = postgres()
        self.url = self.server.newDatabase()
        self.addCleanup(self.server.dropDatabase, self.url)

    def test_unreachable(self) -> None:
        """Nothing listening: where, and libpq's reason, on one line."""
        from tests.postgresserver import freePort
        from twisted_chat.store.postgres import PostgresStore

        port = freePort()
        store = PostgresStore(f"postgresql://postgres@127.0.0.1:{port}/chat", reactor)
        error = self.assertRaises(PostgresUnusable, store.load)
        self.assertEqual(
            str(error),
            f"cannot reach PostgreSQL at 127.0.0.1:{port}/chat: Connection refused"
            " Is the server running on that host and accepting TCP/IP connections?",
        )

    def test_noSuchDatabase(self) -> None:
        """A database that does not exist is named by PostgreSQL's reason."""
        from twisted_chat.store.postgres import PostgresStore

        url = withDatabase(self.url, "nonesuch")
        error = self.assertRaises(PostgresUnusable, PostgresStore(url, reactor).load)
        self.assertIn('database "nonesuch" does not exist', str(error))
        self.assertNotIn("\n", str(error))

    def test_anotherProgramsDatabase(self) -> None:
        """Another program's tables are refused and left alone."""
        from twisted_chat.store.postgres import PostgresStore

        self.sql("CREATE TABLE places (url TEXT)")
        error = self.assertRaises(
            PostgresUnusable, PostgresStore(self.url, reactor).load
        )
        address = parseAddress(self.url)
        self.assertEqual(
            str(error),
            f"cannot use PostgreSQL at {address}:"
            " it is another program's database (its tables: places)",
        )
        self.assertEqual(
            self.sql(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public'"
            ),
            [("places",)],
        )

    def test_tooNew(self) -> None:
        """A database from a newer twisted_chat says so, and is left alone."""
        from twisted_chat.store.pgschema import SCHEMA_VERSION

        self.opened()
        self.sql("UPDATE twisted_chat_schema SET version = %s", SCHEMA_VERSION + 1)
        from twisted_chat.store.postgres import PostgresStore

        error = self.assertRaises(
            PostgresUnusable, PostgresStore(self.url, reactor).load
        )
        self.assertIn(f"schema version {SCHEMA_VERSION + 1}", str(error))

    def test_abandonDropsWhatLoadMade(self) -> None:
        """A failed start on an empty database leaves it empty."""
        store, _ = self.opened()
        store.abandon()
        self.assertEqual(
            self.sql(
                "SELECT count(*) FROM information_schema.tables"
                " WHERE table_schema = 'public'"
            ),
            [(0,)],
        )

    async def test_abandonKeepsAnExistingSchema(self) -> None:
        """A failed start on a database in use keeps everything in it."""
        store, _ = self.opened()
        await store.createAccount(AccountRecord("Ann", "hash", T))
        await store.close()
        again, _ = self.opened()
        again.abandon()
        self.assertEqual(self.sql("SELECT nick FROM accounts"), [("Ann",)])


class ReconnectTests(PostgresCase):
    """
    PostgreSQL going away while the server runs fails the operations asked
    for meanwhile, as a full disk does with SQLite; the store connects
    again on its own once it is back.
    """

    def setUp(self) -> None:
        super().setUp()
        if self.server.cluster is None:
            raise SkipTest(
                "restarts PostgreSQL: needs the throw-away cluster, not"
                " TWISTED_CHAT_POSTGRES"
            )
        self.cluster = self.server.cluster

    def restart(self) -> None:
        """Stop PostgreSQL at once (dropping connections) and start it again."""
        self.cluster.stop()
        self.cluster.start()

    async def test_restartBetweenOperations(self) -> None:
        """
        A restart between two operations goes unnoticed: the lost connection
        is found when a transaction begins (nothing done yet), and replaced.
        """
        store = self.makeStore()
        await store.appendMessage(message(1))
        self.restart()
        await store.appendMessage(message(2))
        self.restart()
        found = await store.messagesBetween("#dev", 0, 5, 5)
        self.assertEqual([m.sequence for m in found], [1, 2])
        self.assertEqual(self.flushLoggedErrors(), [])
        await store.close()

    async def test_downThenBack(self) -> None:
        """
        While PostgreSQL is down, writes and reads fail with a StoreError
        and are logged once; once it is back, the same numbers are kept, and
        what failed was never kept.
        """
        import psycopg

        store = self.makeStore()
        await store.appendMessage(message(1))
        self.cluster.stop()
        self.addCleanup(self.cluster.ensureRunning)
        for _ in range(3):
            await self.assertFailure(store.appendMessage(message(2)), StoreError)
        await self.assertFailure(store.messagesBetween("#dev", 0, 5, 5), StoreError)
        self.assertEqual(len(self.flushLoggedErrors(psycopg.OperationalError)), 1)
        self.cluster.start()
        await store.appendMessage(message(2, text="after"))
        found = await store.messagesBetween("#dev", 0, 5, 5)
        self.assertEqual([m.text for m in found], ["message 1", "after"])
        await store.close()

    async def test_numberedWhileDown(self) -> None:
        """
        A message the store numbers while PostgreSQL is down fails, with no
        number given; once it is back, the next one kept takes that number.
        """
        store = self.makeStore()
        self.assertEqual(await store.appendNumbered(message(0, text="before")), 1)
        self.cluster.stop()
        self.addCleanup(self.cluster.ensureRunning)
        await self.assertFailure(store.appendNumbered(message(0)), StoreError)
        self.flushLoggedErrors()
        self.cluster.start()
        self.assertEqual(await store.appendNumbered(message(0, text="after")), 2)
        self.assertEqual(
            self.sql("SELECT sequence, text FROM messages ORDER BY sequence"),
            [(1, "before"), (2, "after")],
        )
        await store.close()

    async def test_closeWhileDown(self) -> None:
        """A store closes even while PostgreSQL is down."""
        store = self.makeStore()
        await store.appendMessage(message(1))
        self.cluster.stop()
        self.addCleanup(self.cluster.ensureRunning)
        await store.close()
        self.assertTrue(store.writer.closed)


class TwoWritersTests(PostgresCase):
    """
    Two stores on one database, each with its own writer and connection, as
    two servers of a cluster use it, with the database numbering the
    messages they keep in the same rooms.
    """

    rooms = ("#a", "#b", "#c")

    async def test_interleaved(self) -> None:
        """
        Many messages numbered by both writers at once, in groups that
        touch the same rooms in opposite orders, take turns without a
        deadlock: each room's numbers run from 1 with each given once, each
        message is stored under the number its writer was told, and when a
        writer is told S, message S - 1 of the room is already committed
        (seen from a third connection).
        """
        import psycopg

        writers = {"one": self.rooms, "two": self.rooms[::-1]}
        stores = {name: self.makeStore() for name in writers}
        observer = psycopg.connect(self.url, autocommit=True)
        self.addCleanup(observer.close)
        told: dict[str, tuple[str, int]] = {}
        unseen: list[tuple[str, int]] = []

        def numbered(number: int, room: str, text: str) -> None:
            told[text] = (room, number)
            before = observer.execute(
                "SELECT 1 FROM messages WHERE room = %s AND sequence = %s",
                (room, number - 1),
            ).fetchone()
            if number > 1 and before is None:
                unseen.append((room, number - 1))

        rounds, each = 20, 4
        for round in range(rounds):
            asked: list[Deferred[Any]] = []
            for name, order in writers.items():
                # A read goes first, in a group of its own: the messages
                # asked for while it runs make the next group, all of them,
                # with the rooms in this writer's order.
                asked.append(stores[name].messagesFrom("#a", 0, 0, 1))
                for n in range(each):
                    for room in order:
                        text = f"{name} {round}.{n} {room}"
                        asked.append(
                            stores[name]
                            .appendNumbered(message(0, room=room, text=text))
                            .addCallback(numbered, room, text)
                        )
            await gatherResults(asked)
        perRoom = rounds * len(writers) * each
        for room in self.rooms:
            self.assertEqual(
                sorted(number for (r, number) in told.values() if r == room),
                list(range(1, perRoom + 1)),
            )
        self.assertEqual(
            {
                (room, sequence): text
                for room, sequence, text in self.sql(
                    "SELECT room, sequence, text FROM messages"
                )
            },
            {where: text for text, where in told.items()},
        )
        self.assertEqual(
            self.sql("SELECT folded, last_sequence FROM rooms ORDER BY folded"),
            [(room, perRoom) for room in self.rooms],
        )
        self.assertEqual(unseen, [])
        self.assertEqual(self.flushLoggedErrors(), [])
        for name in writers:
            self.assertGreater(stores[name].writer.committedWrites, 0)
            await stores[name].close()

    def otherWriter(self) -> tuple[Any, Any]:
        """
        Another server's writer in the middle of a transaction: it has
        locked C{#dev} as the store does and inserted its message 2, and
        has not committed.  Returns its engine and connection.
        """
        from twisted_chat.store.pgengine import PostgresEngine

        engine = PostgresEngine(parseAddress(self.url))
        connection = engine.open()
        self.addCleanup(connection.close)
        engine.begin(connection)
        engine.ensureRoom(connection, "#dev", "#Dev", T)
        self.assertEqual(engine.lockRooms(connection, ["#dev"]), {"#dev": 1})
        engine.insertMessages(connection, [("#dev", message(2, text="other's"))])
        return engine, connection

    async def test_waitsForTheOtherToCommit(self) -> None:
        """
        While another writer holds a room's row, a message to be numbered
        in the room waits; once the other commits, it gets the number after
        the other's, whose message is then visible.
        """
        store = self.makeStore()
        self.assertEqual(await store.appendNumbered(message(0, text="first")), 1)
        engine, other = self.otherWriter()
        mine = store.appendNumbered(message(0, text="mine"))
        await deferLater(reactor, 0.3, lambda: None)
        self.assertNoResult(mine)
        before: list[list[tuple[Any, ...]]] = []

        def told(number: int) -> int:
            before.append(
                self.sql("SELECT text FROM messages WHERE sequence = %s", number - 1)
            )
            return number

        mine.addCallback(told)
        engine.commit(other)
        self.assertEqual(await mine, 3)
        self.assertEqual(before, [[("other's",)]])
        self.assertEqual(
            self.sql("SELECT sequence, text FROM messages ORDER BY sequence"),
            [(1, "first"), (2, "other's"), (3, "mine")],
        )
        await store.close()

    async def test_rolledBackNumberGivenBack(self) -> None:
        """
        A number another writer gave in a transaction it rolls back is given
        again: the message waiting for the room's row gets it.
        """
        store = self.makeStore()
        self.assertEqual(await store.appendNumbered(message(0, text="first")), 1)
        engine, other = self.otherWriter()
        mine = store.appendNumbered(message(0, text="mine"))
        await deferLater(reactor, 0.3, lambda: None)
        self.assertNoResult(mine)
        engine.rollback(other)
        self.assertEqual(await mine, 2)
        self.assertEqual(
            self.sql("SELECT sequence, text FROM messages ORDER BY sequence"),
            [(1, "first"), (2, "mine")],
        )
        await store.close()


class FixtureTests(SynchronousTestCase):
    """Without PostgreSQL, its tests are skipped, unless on CI, where they fail."""

    def setUp(self) -> None:
        from tests import postgresserver

        self.module = postgresserver
        self.patch(postgresserver, "_shared", None)
        self.patch(postgresserver, "binaries", lambda: None)
        self.patch(os, "environ", {})

    def test_skippedOffCI(self) -> None:
        """Off CI, a missing PostgreSQL skips, saying why."""
        error = self.assertRaises(SkipTest, self.module.postgres)
        self.assertIn("PostgreSQL is not installed", str(error))

    def test_failsOnCI(self) -> None:
        """On CI, a missing PostgreSQL is an error."""
        os.environ["CI"] = "true"
        self.assertRaises(self.module.PostgresMissing, self.module.postgres)

    def test_namedServer(self) -> None:
        """TWISTED_CHAT_POSTGRES names the server to use, started by no one."""
        os.environ["TWISTED_CHAT_POSTGRES"] = "postgresql://u@h/db"
        server = self.module.postgres()
        self.assertEqual((server.url, server.cluster), ("postgresql://u@h/db", None))
