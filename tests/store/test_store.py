"""
Tests for the stores: L{twisted_chat.store.sqlite.SQLiteStore} in a temporary
directory (with its real store thread, L{twisted_chat.store.writer}), and
L{twisted_chat.store.memory.MemoryStore}.

Both must keep the promise of L{twisted_chat.store.IChatStore}: operations
are carried out in order, and a write has committed when its Deferred fires.
"""

import os
import sqlite3
from typing import Any, cast

from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import Clock
from twisted.logger import LogEvent, Logger
from twisted.python.failure import Failure
from twisted.python.filepath import FilePath
from twisted.trial.unittest import SkipTest, SynchronousTestCase, TestCase

from twisted_chat.chat.events import PrivateMessage, RoomMessage, TopicInfo
from twisted_chat.meters import METERS
from twisted_chat.store import (
    AccountRecord,
    IChatStore,
    OutOfSequence,
    StoredRoom,
    StoredState,
    StoreError,
    retention,
)
from twisted_chat.store.failures import FailureReporter
from twisted_chat.store.memory import MemoryStore
from twisted_chat.store.schema import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew, migrate
from twisted_chat.store.sqlite import DatabaseUnusable, SQLiteStore, whyUnusable
from twisted_chat.store.sqliteengine import ROWS_PER_INSERT, connect

T = 1_700_000_000_000


def message(
    sequence: int, room: str = "#Dev", text: str = "", time: int = T
) -> RoomMessage:
    return RoomMessage(room, sequence, time, "ann", text or f"message {sequence}")


class DiskFullConnection:
    """
    Opens the store thread's connection (see L{SQLiteStore}'s
    C{openConnection}) and stands in for it: its next C{failingCommits}
    commits fail with SQLite's own error for a full disk, then commits work.
    """

    def __init__(self) -> None:
        self._connection: sqlite3.Connection | None = None
        self.failingCommits = 0

    def open(self, path: str, synchronous: str) -> sqlite3.Connection:
        self._connection = connect(path, synchronous)
        return cast(sqlite3.Connection, self)

    @property
    def connection(self) -> sqlite3.Connection:
        assert self._connection is not None, "the store has not connected yet"
        return self._connection

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql == "COMMIT" and self.failingCommits:
            self.failingCommits -= 1
            raise sqlite3.OperationalError("database or disk is full")
        return self.connection.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.connection, name)


class StoreContract:
    """Tests every store must pass; mixed into a test case with makeStore."""

    def makeStore(self) -> IChatStore:
        raise NotImplementedError

    def reopen(self) -> tuple[IChatStore, StoredState]:
        """
        The store opened again, and what it loaded, once the one made by
        L{makeStore} is closed: a restart.  Only a durable store can.
        """
        raise NotImplementedError

    async def test_numberedFollowKept(self) -> None:
        """
        Messages the store numbers get their room's next numbers, in the
        order asked for, after those the core numbered, and mixed with them;
        both kinds come back from history alike.
        """
        store = self.makeStore()
        await store.appendMessage(message(1))
        await store.appendMessage(message(2))
        numbers = await gatherResults(
            [store.appendNumbered(message(0, text=f"n{n}")) for n in (3, 4, 5)]
        )
        self.assertEqual(numbers, [3, 4, 5])  # type: ignore[attr-defined]
        together: list[Deferred[Any]] = [
            store.appendMessage(message(6, text="c6")),
            store.appendNumbered(message(99, text="n7")),
            store.appendNumbered(message(0, room="#Other", text="o1")),
            store.appendMessage(message(8, text="c8")),
            store.appendNumbered(message(1, text="n9")),
        ]
        mixed = await gatherResults(together)
        self.assertEqual(mixed, [None, 7, 1, None, 9])  # type: ignore[attr-defined]
        found = await store.messagesFrom("#dev", 0, 100, 100)
        expected = [(1, "message 1"), (2, "message 2"), (3, "n3"), (4, "n4")]
        expected += [(5, "n5"), (6, "c6"), (7, "n7"), (8, "c8"), (9, "n9")]
        self.assertEqual([(m.sequence, m.text) for m in found], expected)  # type: ignore[attr-defined]
        self.assertEqual(  # type: ignore[attr-defined]
            await store.messagesBetween("#dev", 2, 9, 3),
            [
                RoomMessage("#dev", 7, T, "ann", "n7", history=True),
                RoomMessage("#dev", 8, T, "ann", "c8", history=True),
                RoomMessage("#dev", 9, T, "ann", "n9", history=True),
            ],
        )
        self.assertEqual(  # type: ignore[attr-defined]
            await store.messagesFrom("#other", 0, 100, 100),
            [RoomMessage("#other", 1, T, "ann", "o1", history=True)],
        )
        await store.close()

    async def test_numberedTakesTheNextNumber(self) -> None:
        """
        A message the core numbered after one the store numbers, queued
        together, must follow the number the store gave: one that counted on
        the same number is refused, saying the number taken.
        """
        store = self.makeStore()
        await store.appendMessage(message(1))
        numbered = store.appendNumbered(message(0, text="numbered"))
        late = store.appendMessage(message(2, text="late"))
        self.assertEqual(await numbered, 2)  # type: ignore[attr-defined]
        refused = await self.assertFailure(late, OutOfSequence)  # type: ignore[attr-defined]
        self.assertEqual(refused.lastKept, 2)  # type: ignore[attr-defined]
        found = await store.messagesFrom("#dev", 0, 10, 10)
        self.assertEqual([m.text for m in found], ["message 1", "numbered"])  # type: ignore[attr-defined]
        self.flushLoggedErrors(OutOfSequence)  # type: ignore[attr-defined]
        await store.close()

    async def test_numbersSurviveReopen(self) -> None:
        """
        The numbers the store gave are kept: after a restart the room goes
        on from the last of them, numbered by either side.
        """
        store = self.makeStore()
        for n in (1, 2, 3):
            self.assertEqual(  # type: ignore[attr-defined]
                await store.appendNumbered(message(0, text=f"n{n}")), n
            )
        await store.close()
        again, state = self.reopen()
        (room,) = state.rooms
        self.assertEqual((room.name, room.lastSequence), ("#Dev", 3))  # type: ignore[attr-defined]
        self.assertEqual(await again.appendNumbered(message(0, text="n4")), 4)  # type: ignore[attr-defined]
        await again.appendMessage(message(5, text="c5"))
        found = await again.messagesFrom("#dev", 0, 10, 10)
        self.assertEqual(  # type: ignore[attr-defined]
            [(m.sequence, m.text) for m in found],
            [(1, "n1"), (2, "n2"), (3, "n3"), (4, "n4"), (5, "c5")],
        )
        await again.close()

    async def test_messagesRoundTrip(self) -> None:
        """Messages come back newest-limited, oldest first, marked as history."""
        store = self.makeStore()
        for sequence in range(1, 6):
            await store.appendMessage(message(sequence))
        await store.appendMessage(
            RoomMessage("#Dev", 6, T, "bob", "waves", action=True)
        )
        found = await store.messagesBetween("#dev", 1, 6, 3)
        self.assertEqual(  # type: ignore[attr-defined]
            found,
            [
                RoomMessage("#dev", 4, T, "ann", "message 4", history=True),
                RoomMessage("#dev", 5, T, "ann", "message 5", history=True),
                RoomMessage("#dev", 6, T, "bob", "waves", action=True, history=True),
            ],
        )
        self.assertEqual(
            await store.messagesBetween("#dev", 0, 2, 10),
            [  # type: ignore[attr-defined]
                RoomMessage("#dev", 1, T, "ann", "message 1", history=True),
                RoomMessage("#dev", 2, T, "ann", "message 2", history=True),
            ],
        )
        self.assertEqual(await store.messagesBetween("#other", 0, 10, 10), [])  # type: ignore[attr-defined]
        await store.close()

    async def test_readSeesEarlierWrites(self) -> None:
        """A read asked for after writes sees them, even before they are awaited."""
        store = self.makeStore()
        writes = [store.appendMessage(message(n)) for n in range(1, 51)]
        read = store.messagesBetween("#dev", 0, 100, 100)
        later = store.appendMessage(message(51))
        found = await read
        self.assertEqual([m.sequence for m in found], list(range(1, 51)))  # type: ignore[attr-defined]
        await gatherResults([*writes, later])
        await store.close()

    async def test_resultsInOrder(self) -> None:
        """Operations complete in the order they were asked for."""
        store = self.makeStore()
        done: list[int] = []
        operations: list[Deferred[object]] = []
        numbers = iter(range(1, 31))
        for n in range(1, 31):
            operation: Deferred[object] = (
                store.appendMessage(message(next(numbers)))
                if n % 3
                else store.messagesBetween("#dev", 0, n, 1)
            )
            operations.append(operation.addCallback(lambda _, n=n: done.append(n)))
        await gatherResults(operations)
        self.assertEqual(done, list(range(1, 31)))  # type: ignore[attr-defined]
        await store.close()

    async def test_privateMessages(self) -> None:
        """Undelivered private messages wait for their recipient, once."""
        store = self.makeStore()
        await store.appendPrivate(PrivateMessage("ann", "Bob", T, "seen"), True)
        await store.appendPrivate(PrivateMessage("ann", "Bob", T, "first"), False)
        await store.appendPrivate(PrivateMessage("cy", "bob", T + 1, "second"), False)
        pending = await store.takePendingPrivate("bob")
        self.assertEqual(  # type: ignore[attr-defined]
            pending,
            [
                PrivateMessage("ann", "Bob", T, "first", offline=True),
                PrivateMessage("cy", "bob", T + 1, "second", offline=True),
            ],
        )
        self.assertEqual(await store.takePendingPrivate("bob"), [])  # type: ignore[attr-defined]
        await store.close()

    async def test_accounts(self) -> None:
        """Accounts are found by folded nick, and their hash can change."""
        store = self.makeStore()
        self.assertIsNone(await store.account("ann"))  # type: ignore[attr-defined]
        await store.createAccount(AccountRecord("Ann", "hash1", T))
        self.assertEqual(await store.account("ann"), AccountRecord("Ann", "hash1", T))  # type: ignore[attr-defined]
        await store.setPasswordHash("ann", "hash2")
        self.assertEqual((await store.account("ann")).passwordHash, "hash2")  # type: ignore[attr-defined,union-attr]
        await store.close()

    async def test_outOfSequenceRefused(self) -> None:
        """
        A message whose number does not follow its room's last kept one is
        refused, saying which that is, so history never has a hole.
        """
        store = self.makeStore()
        await store.appendMessage(message(1))
        refused = await self.assertFailure(  # type: ignore[attr-defined]
            store.appendMessage(message(3)), OutOfSequence
        )
        self.assertEqual(refused.lastKept, 1)  # type: ignore[attr-defined]
        await store.appendMessage(message(2))
        await store.appendMessage(message(1, room="#other"))
        found = await store.messagesBetween("#dev", 0, 10, 10)
        self.assertEqual([m.sequence for m in found], [1, 2])  # type: ignore[attr-defined]
        self.flushLoggedErrors(OutOfSequence)  # type: ignore[attr-defined]
        await store.close()

    async def test_pruneByAge(self) -> None:
        """Pruning by age removes older messages only."""
        store = self.makeStore()
        for sequence in range(1, 5):
            await store.appendMessage(message(sequence, time=T + sequence))
        self.assertEqual(await store.prune(T + 3, None), 2)  # type: ignore[attr-defined]
        found = await store.messagesBetween("#dev", 0, 10, 10)
        self.assertEqual([m.sequence for m in found], [3, 4])  # type: ignore[attr-defined]
        await store.close()

    async def test_pruneByCount(self) -> None:
        """Pruning by count keeps the newest of each room."""
        store = self.makeStore()
        for sequence in range(1, 6):
            await store.appendMessage(message(sequence))
            await store.appendMessage(message(sequence, room="#b"))
        self.assertEqual(await store.prune(None, 2), 6)  # type: ignore[attr-defined]
        for room in ("#dev", "#b"):
            found = await store.messagesBetween(room, 0, 10, 10)
            self.assertEqual([m.sequence for m in found], [4, 5])  # type: ignore[attr-defined]
        await store.close()

    async def test_size(self) -> None:
        """
        A store on disk says how many bytes it takes, and takes more once
        it holds more; one in memory says 0.
        """
        store = self.makeStore()
        empty = await store.size()  # type: ignore[attr-defined]
        for sequence in range(1, 201):
            await store.appendMessage(message(sequence, text="x" * 500))
        full = await store.size()  # type: ignore[attr-defined]
        if isinstance(store, MemoryStore):
            self.assertEqual((empty, full), (0, 0))  # type: ignore[attr-defined]
        else:
            self.assertGreater(full, empty)  # type: ignore[attr-defined]
            self.assertGreater(full - empty, 100_000)  # type: ignore[attr-defined]
        await store.close()


class MemoryStoreTests(StoreContract, TestCase):
    def makeStore(self) -> IChatStore:
        return MemoryStore()

    def reopen(self) -> tuple[IChatStore, StoredState]:
        raise SkipTest("a memory store forgets everything when closed")

    def test_bounded(self) -> None:
        """Without a cap asked for, memory still holds a bounded number."""
        store = MemoryStore(perRoomCap=3)
        for sequence in range(1, 10):
            store.appendMessage(message(sequence))
        found = self.successResultOf(store.messagesBetween("#dev", 0, 100, 100))
        self.assertEqual([m.sequence for m in found], [7, 8, 9])


class SQLiteStoreTests(StoreContract, TestCase):
    def setUp(self) -> None:
        self.path = FilePath(self.mktemp())
        self.path.parent().makedirs(ignoreExistingDirectory=True)

    def makeStore(
        self, disk: DiskFullConnection | None = None, clock: Clock | None = None
    ) -> SQLiteStore:
        """
        A store in the test's directory; if C{disk} is given, it opens the
        store's connection; if C{clock} is, it times the failure reports.
        """
        store = SQLiteStore(
            self.path.path,
            reactor,
            clock=clock,
            openConnection=connect if disk is None else disk.open,
        )
        store.load()
        self.addCleanup(lambda: store.close() if not store.writer.closed else None)
        return store

    def reopen(self) -> tuple[IChatStore, StoredState]:
        store = SQLiteStore(self.path.path, reactor)
        state = store.load()
        self.addCleanup(lambda: store.close() if not store.writer.closed else None)
        return store, state

    async def test_failedCommitGivesNoNumber(self) -> None:
        """
        A message the store numbers in a commit that fails (a full disk)
        fails, and its number goes to the next one kept: no hole.  Those
        queued behind it do not depend on it, and are kept.
        """
        disk = DiskFullConnection()
        store = self.makeStore(disk)
        self.assertEqual(await store.appendNumbered(message(0)), 1)
        disk.failingCommits = 1
        lost = store.appendNumbered(message(0, text="lost"))
        behind = [store.appendNumbered(message(0, text=t)) for t in ("b", "c")]
        await self.assertFailure(lost, StoreError)
        self.assertEqual(await gatherResults(behind), [2, 3])
        found = await store.messagesBetween("#dev", 0, 10, 10)
        self.assertEqual(
            [(m.sequence, m.text) for m in found],
            [(1, "message 0"), (2, "b"), (3, "c")],
        )
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)
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
        state = SQLiteStore(self.path.path, reactor).load()
        rooms = {room.name: room for room in state.rooms}
        self.assertEqual(rooms["#Dev"].lastSequence, 3)
        self.assertEqual(rooms["#Dev"].topic, TopicInfo("#Dev", "ann", T, "plans"))
        self.assertEqual(rooms["#quiet"].lastSequence, 0)
        self.assertEqual(state.registeredNicks, {"ann"})

    async def test_waitingPrivateCounted(self) -> None:
        """
        After a restart the store says how many private messages wait for
        each recipient from each sender, so the bounds on them hold across
        restarts; delivered ones do not count.
        """
        store = self.makeStore()
        for sender in ["Mallory", "mallory", "eve"]:
            await store.appendPrivate(PrivateMessage(sender, "Bob", T, "x"), False)
        await store.appendPrivate(PrivateMessage("eve", "carol", T, "x"), True)
        await store.close()
        state = SQLiteStore(self.path.path, reactor).load()
        self.assertEqual(state.waitingPrivate, {"bob": {"mallory": 2, "eve": 1}})

    async def test_numbersOutlivePruning(self) -> None:
        """A room whose messages were all pruned still goes on from its last number."""
        store = self.makeStore()
        for sequence in range(1, 4):
            await store.appendMessage(message(sequence, time=1))
        await store.prune(2, None)
        await store.close()
        (room,) = SQLiteStore(self.path.path, reactor).load().rooms
        self.assertEqual(room.lastSequence, 3)

    async def test_groupCommit(self) -> None:
        """Writes asked for while a group commits go together into the next."""
        store = self.makeStore()
        await gatherResults([store.appendMessage(message(n)) for n in range(1, 201)])
        self.assertEqual(store.writer.committedWrites, 200)
        self.assertLess(store.writer.committedGroups, 10)
        await store.close()

    async def test_groupLargerThanOneInsert(self) -> None:
        """
        A group with more messages than one INSERT statement carries is
        split over several statements in the same transaction, all stored.
        """
        store = self.makeStore()
        count = 2 * ROWS_PER_INSERT + 7
        await gatherResults(
            [store.appendMessage(message(n)) for n in range(1, count + 1)]
        )
        self.assertLess(store.writer.committedGroups, 3, "most in one group")
        other = sqlite3.connect(self.path.path)
        self.addCleanup(other.close)
        self.assertEqual(
            other.execute(
                "SELECT count(*), min(sequence), max(sequence) FROM messages"
            ).fetchone(),
            (count, 1, count),
        )
        await store.close()

    async def test_committedWhenFired(self) -> None:
        """When a write's Deferred fires, another connection can read it."""
        store = self.makeStore()
        await store.appendMessage(message(1))
        other = sqlite3.connect(self.path.path)
        self.addCleanup(other.close)
        self.assertEqual(
            other.execute("SELECT count(*) FROM messages").fetchone(), (1,)
        )
        await store.close()

    async def test_failedWriteFailsItsGroupOnly(self) -> None:
        """A write that fails fails its own group; later operations go on."""
        disk = DiskFullConnection()
        store = self.makeStore(disk)
        await store.appendMessage(message(1))
        disk.failingCommits = 1
        await self.assertFailure(store.appendMessage(message(2)), StoreError)
        await store.appendMessage(message(2))
        found = await store.messagesBetween("#dev", 0, 10, 10)
        self.assertEqual([m.sequence for m in found], [1, 2])
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)
        await store.close()

    async def test_failedCommitNotTimed(self) -> None:
        """
        A commit that fails is counted as a store error, not as a commit's
        time or size: the figures say how long writes take that succeed.
        """
        disk = DiskFullConnection()
        store = self.makeStore(disk)
        await store.appendMessage(message(1))
        commits, errors = METERS.commitSeconds.count, METERS.storeErrors
        disk.failingCommits = 1
        await self.assertFailure(store.appendMessage(message(2)), StoreError)
        self.assertEqual(METERS.commitSeconds.count, commits)
        self.assertEqual(METERS.storeErrors, errors + 1)
        await store.appendMessage(message(2))
        self.assertEqual(METERS.commitSeconds.count, commits + 1)
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)
        await store.close()

    async def test_failedCommitNumbersReused(self) -> None:
        """
        After a commit fails (a full disk), the messages queued behind it
        fail too, and the next messages kept take the failed numbers: the
        stored sequence has no hole.  Only the first failure is logged.
        """
        disk = DiskFullConnection()
        store = self.makeStore(disk)
        await store.appendMessage(message(1))
        disk.failingCommits = 1
        failed = [store.appendMessage(message(n)) for n in (2, 3, 4)]
        for result in failed:
            await self.assertFailure(result, StoreError)
        await store.appendMessage(message(2))
        await store.appendMessage(message(3))
        found = await store.messagesBetween("#dev", 0, 10, 10)
        self.assertEqual([m.sequence for m in found], [1, 2, 3])
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)
        await store.close()

    async def test_failuresReported(self) -> None:
        """
        A full disk failing commit after commit is logged once with its
        traceback, counted once the interval is over, and its end is told.
        """
        events: list[LogEvent] = []
        self.patch(FailureReporter, "log", Logger(observer=events.append))
        clock = Clock()
        disk = DiskFullConnection()
        store = self.makeStore(disk, clock)
        await store.appendMessage(message(1))
        disk.failingCommits = 20
        for _ in range(20):
            await self.assertFailure(store.appendMessage(message(2)), StoreError)
        self.assertEqual([e["log_level"].name for e in events], ["critical"])
        self.assertEqual(
            events[0]["log_failure"].value.args, ("database or disk is full",)
        )
        clock.advance(60)
        self.assertEqual(events[1]["count"], 19)
        await store.appendMessage(message(2))
        self.assertEqual(
            [e["log_level"].name for e in events], ["critical", "error", "warn"]
        )
        self.assertEqual(events[2]["total"], 20)
        await store.close()
        self.assertEqual(clock.getDelayedCalls(), [])

    async def test_closed(self) -> None:
        """After close, operations fail rather than vanish."""
        store = self.makeStore()
        await store.close()
        await self.assertFailure(store.appendMessage(message(1)), StoreError)

    def test_walMode(self) -> None:
        """The file is in WAL mode, at the current schema version."""
        store = self.makeStore()
        self.addCleanup(store.close)
        connection = sqlite3.connect(self.path.path)
        self.addCleanup(connection.close)
        self.assertEqual(connection.execute("PRAGMA journal_mode").fetchone(), ("wal",))
        self.assertEqual(
            connection.execute("PRAGMA user_version").fetchone(), (SCHEMA_VERSION,)
        )


class UnusableDatabaseTests(SynchronousTestCase):
    """
    A database the store cannot use is refused at load with one line naming
    the file and the reason, and nothing is made or changed.
    """

    def setUp(self) -> None:
        self.directory = FilePath(self.mktemp())
        self.directory.makedirs()

    def refusal(self, path: str) -> str:
        error = self.assertRaises(DatabaseUnusable, SQLiteStore(path, reactor).load)
        return str(error)

    def test_missingDirectory(self) -> None:
        """A file in a directory that does not exist: the directory is named."""
        missing = self.directory.child("gone")
        path = missing.child("x.sqlite3").path
        self.assertEqual(
            self.refusal(path),
            f"cannot open the database {path}: no such directory {missing.path}",
        )
        self.assertFalse(missing.exists())

    def test_directory(self) -> None:
        """A path that is a directory."""
        self.assertEqual(
            self.refusal(self.directory.path),
            f"cannot open the database {self.directory.path}: it is a directory",
        )
        self.assertEqual(self.directory.listdir(), [])

    def test_notADatabase(self) -> None:
        """A file that is not a database is refused and left as it was."""
        notes = self.directory.child("notes.txt")
        notes.setContent(b"hello\n" * 100)
        self.assertEqual(
            self.refusal(notes.path),
            f"cannot open the database {notes.path}: file is not a database",
        )
        self.assertEqual(notes.getContent(), b"hello\n" * 100)
        self.assertEqual(self.directory.listdir(), ["notes.txt"])

    def test_anotherProgramsDatabase(self) -> None:
        """Another program's database is refused, not given our tables."""
        other = self.directory.child("places.sqlite3")
        connection = sqlite3.connect(other.path)
        connection.execute("CREATE TABLE places (url TEXT)")
        connection.commit()
        connection.close()
        before = other.getContent()
        self.assertEqual(
            self.refusal(other.path),
            f"cannot open the database {other.path}:"
            " it is another program's database (its tables: places)",
        )
        self.assertEqual(other.getContent(), before)

    def test_tooNew(self) -> None:
        """A database from a newer twisted_chat says so."""
        newer = self.directory.child("chat.sqlite3")
        connection = sqlite3.connect(newer.path)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        connection.close()
        self.assertIn(f"schema version {SCHEMA_VERSION + 1}", self.refusal(newer.path))

    def test_unwritableDirectory(self) -> None:
        """
        SQLite's "unable to open database file" in a directory that cannot
        be written is told as that (faked here: root may write anywhere).
        """
        path = self.directory.child("chat.sqlite3").path
        realAccess = os.access
        self.patch(
            os,
            "access",
            lambda name, mode: name != self.directory.path and realAccess(name, mode),
        )
        unable = sqlite3.OperationalError("unable to open database file")
        self.assertEqual(
            whyUnusable(path, unable),
            f"cannot write in the directory {self.directory.path}",
        )
        FilePath(path).touch()
        self.assertIn(
            "write-ahead log",
            whyUnusable(path, unable),
        )

    def test_abandonRemovesWhatLoadMade(self) -> None:
        """Abandoning a store whose load made the file removes the file."""
        path = self.directory.child("chat.sqlite3").path
        store = SQLiteStore(path, reactor)
        store.load()
        self.assertEqual(self.directory.listdir(), ["chat.sqlite3"])
        store.abandon()
        self.assertEqual(self.directory.listdir(), [])

    def test_abandonKeepsAnExistingFile(self) -> None:
        """Abandoning a store on a file that was there before keeps it."""
        path = self.directory.child("chat.sqlite3").path
        SQLiteStore(path, reactor).load()
        store = SQLiteStore(path, reactor)
        store.load()
        store.abandon()
        self.assertEqual(self.directory.listdir(), ["chat.sqlite3"])


class SchemaTests(SynchronousTestCase):
    def test_migrateIsIdempotent(self) -> None:
        """Migrating a current file does nothing."""
        connection = sqlite3.connect(":memory:", isolation_level=None)
        self.assertEqual(migrate(connection), 0)
        self.assertEqual(migrate(connection), SCHEMA_VERSION)

    def test_messageIndexes(self) -> None:
        """
        A stored room message is written to its table and one index only
        (by room and time, for CHATHISTORY and pruning by age): each index
        costs every message a write.
        """
        connection = sqlite3.connect(":memory:", isolation_level=None)
        migrate(connection)
        indexes = [
            row[1]
            for row in connection.execute("PRAGMA index_list(messages)")
            if row[3] == "c"
        ]
        self.assertEqual(indexes, ["messages_by_room_time"])

    def test_pruningReadsByIndex(self) -> None:
        """
        Pruning, by age and by count, reads each room's old messages by
        index, never the whole table: it runs on the store's only thread,
        with every message waiting behind it.
        """
        connection = sqlite3.connect(":memory:", isolation_level=None)
        migrate(connection)
        connection.execute("INSERT INTO rooms (folded, name) VALUES ('#a', '#a')")
        deletes: list[str] = []
        connection.set_trace_callback(
            lambda sql: deletes.append(sql) if "DELETE FROM messages" in sql else None
        )
        retention.prune(connection, T, 10)
        connection.set_trace_callback(None)
        self.assertEqual(len(deletes), 2)
        for sql in deletes:
            plan = " ".join(
                row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql)
            )
            self.assertIn("USING", plan)
            self.assertNotIn("SCAN messages", plan)

    def test_tooNew(self) -> None:
        """A file from a newer version is refused, untouched."""
        connection = sqlite3.connect(":memory:", isolation_level=None)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        self.assertRaises(SchemaTooNew, migrate, connection)


class MigrationTests(TestCase):
    """A file written by an older twisted_chat is brought up to date, keeping all."""

    def setUp(self) -> None:
        self.path = FilePath(self.mktemp())
        self.path.parent().makedirs(ignoreExistingDirectory=True)

    def makeVersion1(self) -> None:
        """
        A file as schema version 1 left it: a room with messages and a
        topic, one with a topic only, one whose messages were all pruned,
        an account and a waiting private message.
        """
        connection = sqlite3.connect(self.path.path, isolation_level=None)
        self.addCleanup(connection.close)
        connection.executescript(
            f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;"
        )
        connection.executemany(
            "INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("#dev", "#Dev", 0, "plans", "ann", T + 50),
                ("#quiet", "#Quiet", 0, "shh", "bob", T + 7),
                ("#pruned", "#Pruned", 9, "", None, None),
            ],
        )
        connection.executemany(
            "INSERT INTO messages VALUES ('#dev', ?, ?, 'ann', ?, 0)",
            [(n, T + 10 * n, f"message {n}") for n in (1, 2, 3)],
        )
        connection.execute(
            "INSERT INTO accounts VALUES ('ann', 'Ann', 'hash', ?)", (T,)
        )
        connection.execute(
            """
            INSERT INTO private_messages
                (time, sender, recipient, recipient_folded, text, delivered)
            VALUES (?, 'bob', 'Ann', 'ann', 'psst', 0)
            """,
            (T,),
        )

    async def test_fromVersion1(self) -> None:
        """
        A version 1 file migrates to the current version with its rooms,
        messages, topics, accounts and private messages, each room made when
        the first thing it still keeps was, and nothing suspended.
        """
        self.makeVersion1()
        store = SQLiteStore(self.path.path, reactor)
        state = store.load()
        self.addCleanup(lambda: store.close() if not store.writer._closed else None)
        connection = sqlite3.connect(self.path.path)
        self.addCleanup(connection.close)
        self.assertEqual(
            connection.execute("PRAGMA user_version").fetchone(), (SCHEMA_VERSION,)
        )
        rooms = {room.name: room for room in state.rooms}
        self.assertEqual(
            rooms,
            {
                "#Dev": StoredRoom(
                    "#Dev", 3, TopicInfo("#Dev", "ann", T + 50, "plans"), created=T + 10
                ),
                "#Quiet": StoredRoom(
                    "#Quiet", 0, TopicInfo("#Quiet", "bob", T + 7, "shh"), created=T + 7
                ),
                "#Pruned": StoredRoom(
                    "#Pruned", 9, TopicInfo("#Pruned", None, None, ""), created=0
                ),
            },
        )
        self.assertEqual(state.registeredNicks, {"ann"})
        self.assertEqual(state.waitingPrivate, {"ann": {"bob": 1}})
        self.assertEqual(await store.account("ann"), AccountRecord("Ann", "hash", T))
        found = await store.messagesBetween("#dev", 0, 10, 10)
        self.assertEqual([m.text for m in found], [f"message {n}" for n in (1, 2, 3)])
        await store.appendMessage(message(4))
        await store.createAccount(AccountRecord("Bob", "hash", T))
        await store.setSuspended("bob", True)
        self.assertTrue((await store.account("bob")).suspended)  # type: ignore[union-attr]
        await store.close()


class FailureReporterTests(SynchronousTestCase):
    """
    A store's failures are logged without flooding: the first with its
    traceback, then at most one count per interval, then one line when the
    store works again.
    """

    def setUp(self) -> None:
        self.events: list[LogEvent] = []
        self.patch(FailureReporter, "log", Logger(observer=self.events.append))
        self.clock = Clock()
        self.reporter = FailureReporter(self.clock, interval=60)
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError:
            self.failure = Failure()

    def levels(self) -> list[str]:
        return [event["log_level"].name for event in self.events]

    def test_firstFailureWithTraceback(self) -> None:
        """The first failure is logged with its traceback; the next ones are not."""
        for _ in range(1000):
            self.reporter.failed(self.failure, 3)
        self.assertEqual(self.levels(), ["critical"])
        self.assertIs(self.events[0]["log_failure"], self.failure)
        self.assertEqual(self.events[0]["operations"], 3)
        self.assertTrue(self.reporter.failing)

    def test_countedOncePerInterval(self) -> None:
        """While failures go on, one line per interval counts them."""
        self.reporter.failed(self.failure, 1)
        for _ in range(59):
            self.clock.advance(1)
            self.reporter.failed(self.failure, 2)
        self.assertEqual(self.levels(), ["critical"])
        self.clock.advance(1)
        self.assertEqual(self.levels(), ["critical", "error"])
        self.assertEqual(self.events[1]["count"], 118)
        self.assertEqual(self.events[1]["total"], 119)
        self.assertEqual(self.events[1]["error"], "database or disk is full")
        self.clock.advance(30)
        self.reporter.failed(self.failure, 5)
        self.clock.advance(29)
        self.assertEqual(len(self.events), 2)
        self.clock.advance(1)
        self.assertEqual(self.events[2]["count"], 5)
        self.clock.advance(600)
        self.assertEqual(len(self.events), 3, "nothing new, nothing said")

    def test_refusalsDoNotHideTheCause(self) -> None:
        """
        The count names the failure that caused the trouble, not the
        refusals of the messages numbered behind it.
        """
        self.reporter.failed(self.failure, 1)
        self.reporter.failed(Failure(OutOfSequence("#a", 3, 1)), 5)
        self.clock.advance(60)
        self.assertEqual(self.events[1]["error"], "database or disk is full")

    def test_recovery(self) -> None:
        """Working again is one line, with how long and how many failed."""
        self.reporter.failed(self.failure, 4)
        self.clock.advance(30)
        self.reporter.failed(self.failure, 6)
        self.clock.advance(45)
        self.reporter.committed()
        self.reporter.committed()
        self.assertEqual(self.levels(), ["critical", "error", "warn"])
        self.assertEqual(self.events[2]["total"], 10)
        self.assertEqual(self.events[2]["seconds"], 75)
        self.assertFalse(self.reporter.failing)

    def test_onAndOff(self) -> None:
        """
        A store failing and working by turns (a disk nearly full) is not a
        new trouble each time: one traceback, one recovery line, then one
        line per interval while it still fails sometimes.
        """
        for _ in range(100):
            self.reporter.failed(self.failure, 2)
            self.reporter.committed()
        self.assertEqual(self.levels(), ["critical", "warn"])
        self.clock.advance(60)
        self.assertEqual(self.levels(), ["critical", "warn", "warn"])
        self.assertEqual(self.events[2]["count"], 198)
        self.assertIn("it works now", self.events[2]["log_format"])
        self.clock.advance(60)
        self.assertEqual(len(self.events), 3, "an interval without a failure")
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.reporter.failed(self.failure, 1)
        self.assertEqual(self.levels()[-1], "critical", "the trouble was over")

    def test_quietWhileWorking(self) -> None:
        """Commits that work say nothing."""
        self.reporter.committed()
        self.assertEqual(self.events, [])

    def test_stopCountsTheRest(self) -> None:
        """Closing the store counts what was not counted yet, and stops the timer."""
        self.reporter.failed(self.failure, 1)
        self.reporter.failed(self.failure, 7)
        self.reporter.stop()
        self.assertEqual(self.levels(), ["critical", "error"])
        self.assertEqual(self.events[1]["count"], 7)
        self.assertEqual(self.clock.getDelayedCalls(), [])
