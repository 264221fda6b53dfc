"""
The durable store: SQLite in WAL mode, written by one thread, committed in groups.

Every operation is queued on the reactor thread and carried out, in order, by
a single store thread that owns the connection, so the reactor never waits on
the disk.  While one group is being committed, new operations collect in the
queue; the next group takes them all in one transaction, so a busy server
pays for one commit (one fsync with C{synchronous=FULL}) per group, not per
message.  A read in the queue ends the group before it, so it sees exactly
the writes asked for before it.

A write's Deferred fires only after its transaction has committed: the core
delivers a message only then, so nothing anyone saw can be lost in a crash.
"""

import os
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, TypeVar

from twisted.internet.defer import Deferred, fail
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool
from zope.interface import implementer

from twisted_chat.chat.events import PrivateMessage, RoomMessage, TopicInfo
from twisted_chat.chat.names import fold
from twisted_chat.store import (
    AccountRecord,
    IChatStore,
    OutOfSequence,
    StoredRoom,
    StoredState,
    StoreError,
)
from twisted_chat.store.failures import FailureReporter
from twisted_chat.store.schema import NotOurDatabase, SchemaTooNew, checkOurs, migrate

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any] | RoomMessage
"""What an operation does: a function run on the connection, or a message to insert."""

_ROWS_PER_INSERT: Final = 1000
"""Rows per INSERT statement: 6000 parameters, under SQLite's 32766."""


@lru_cache(maxsize=16)
def _insertStatement(rows: int) -> str:
    return "INSERT INTO messages VALUES " + ",".join(["(?, ?, ?, ?, ?, ?)"] * rows)


SYNCHRONOUS_MODES: Final = ("FULL", "NORMAL")
"""
C{FULL} (the default) makes a commit survive a power cut; C{NORMAL} only a
crash of the server process, for a little more speed.
"""


DATABASE_FILE_SUFFIXES: Final = ("", "-wal", "-shm", "-journal")
"""The database file and the files SQLite keeps beside it."""


class DatabaseUnusable(StoreError):
    """
    The database cannot be used: it cannot be made, opened or read as ours.
    The message is one line naming the file and the reason.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot open the database {path}: {reason}")
        self.path = path
        self.reason = reason


def whyUnusable(path: str, error: Exception) -> str:
    """
    Say why C{path} could not be used.  SQLite's "unable to open database
    file" does not say whether the directory is missing, the path is a
    directory or the directory cannot be written, so those are looked for.
    """
    if isinstance(error, sqlite3.OperationalError):
        directory = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            return "it is a directory"
        if not os.path.exists(directory):
            return f"no such directory {directory}"
        if not os.path.isdir(directory):
            return f"{directory} is not a directory"
        if not os.access(directory, os.W_OK | os.X_OK):
            if os.path.exists(path):
                return (
                    f"cannot write in the directory {directory}"
                    " (SQLite keeps its write-ahead log beside the file)"
                )
            return f"cannot write in the directory {directory}"
        if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
            return "permission denied"
    return str(error)


@dataclass(slots=True)
class _Operation:
    work: Work
    writes: bool
    result: Deferred[Any]


@dataclass(slots=True)
class _GroupDone:
    """
    How a group went: each operation's outcome (whether it succeeded, and its
    result or error), and in order each transaction committed (L{None}) or
    failed, with how many operations it held.
    """

    outcomes: list[tuple[bool, Any]]
    reports: list[tuple[Failure | None, int]]


def connect(path: str, synchronous: str = "FULL") -> sqlite3.Connection:
    """
    Open the database at C{path} the way the store uses it.

    Transactions are explicit (C{isolation_level=None}): the store says
    where each begins and ends.

    @raise NotOurDatabase: if the file is another program's database.
    @raise sqlite3.Error: if it cannot be opened, or is not a database.
    """
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # Before WAL mode is turned on, which rewrites the file's header.
        checkOurs(connection)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(f"PRAGMA synchronous = {synchronous}")
        connection.execute("PRAGMA busy_timeout = 5000")
    except BaseException:
        connection.close()
        raise
    return connection


@implementer(IChatStore)
class SQLiteStore:
    """
    Room messages, topics, private messages and accounts in one SQLite file.

    @ivar committedGroups: how many transactions have committed writes.
    @ivar committedWrites: how many write operations they held.
    """

    log = Logger()

    def __init__(self, path: str, reactor: Any, synchronous: str = "FULL") -> None:
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        self.path = path
        self._reactor = reactor
        self._synchronous = synchronous
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="twisted_chat-store")
        self._queue: list[_Operation] = []
        self._busy = False
        self._closed = False
        self._connection: sqlite3.Connection | None = None  # the store thread's
        self._knownRooms: set[str] = set()  # the store thread's
        self._lastKeptByRoom: dict[str, int] = {}  # the store thread's
        self._failures = FailureReporter(reactor)
        self._shutdownTrigger: Any = None
        self._madeFile = False
        self.committedGroups = 0
        self.committedWrites = 0

    # Start-up, on the main thread before the reactor runs

    def load(self) -> StoredState:
        """
        Create or migrate the schema, then read the rooms and registered nicks.

        @raise DatabaseUnusable: if the file cannot be made or opened, is not
            a database, or is not ours; a file made by this call is removed.
        """
        self._madeFile = not os.path.lexists(self.path)
        try:
            return self._load()
        except (sqlite3.Error, SchemaTooNew, NotOurDatabase) as error:
            self.abandon()
            raise DatabaseUnusable(self.path, whyUnusable(self.path, error)) from None

    def _load(self) -> StoredState:
        connection = connect(self.path, self._synchronous)
        try:
            migrate(connection)
            rooms = [
                StoredRoom(
                    name,
                    lastSequence,
                    TopicInfo(name, topicNick, topicTime, topic),
                )
                for name, lastSequence, topic, topicNick, topicTime in connection.execute(
                    """
                    SELECT name,
                           max(last_sequence, coalesce(
                               (SELECT max(sequence) FROM messages
                                WHERE messages.room = rooms.folded), 0)),
                           topic, topic_nick, topic_time
                    FROM rooms
                    """
                )
            ]
            registered = {
                row[0] for row in connection.execute("SELECT folded FROM accounts")
            }
            waiting: dict[str, dict[str, int]] = {}
            for recipient, sender, count in connection.execute(
                """
                SELECT recipient_folded, lower(sender), count(*)
                FROM private_messages WHERE NOT delivered
                GROUP BY recipient_folded, lower(sender)
                """
            ):
                waiting.setdefault(recipient, {})[sender] = count
        finally:
            connection.close()
        return StoredState(rooms, registered, waiting)

    def abandon(self) -> None:
        """
        Remove the database if this start made it: a server that failed to
        start leaves no empty database behind to puzzle its operator.
        """
        if self._madeFile:
            self._madeFile = False
            for suffix in DATABASE_FILE_SUFFIXES:
                with suppress(OSError):  # not there, or never made
                    os.remove(self.path + suffix)

    # The queue

    def _submit(self, work: Work, *, writes: bool) -> Deferred[Any]:
        if self._closed:
            return fail(StoreError("the store is closed"))
        result: Deferred[Any] = Deferred()
        self._queue.append(_Operation(work, writes, result))
        if not self._busy:
            self._startGroup()
        return result

    def _startGroup(self) -> None:
        if not self._pool.started:
            self._pool.start()
            # Whatever happens, a stopping reactor must not wait on our thread.
            self._shutdownTrigger = self._reactor.addSystemEventTrigger(
                "during", "shutdown", self._stopThread
            )
        group, self._queue = self._queue, []
        self._busy = True
        done = deferToThreadPool(
            self._reactor,
            self._pool,
            self._runGroup,
            [(op.work, op.writes) for op in group],
        )
        done.addBoth(self._groupDone, group)

    def _groupDone(self, done: "_GroupDone | Failure", group: list[_Operation]) -> None:
        self._busy = False
        if isinstance(done, Failure):
            # The thread could not even begin (the file went away, say).
            done = _GroupDone([(False, done.value)] * len(group), [(done, len(group))])
        for trouble, operations in done.reports:
            if trouble is None:
                self._failures.committed()
            else:
                self._failures.failed(trouble, operations)
        writes = sum(op.writes for op in group)
        if writes:
            self.committedGroups += 1
            self.committedWrites += writes
        if self._queue:
            # Start the next group before running callbacks, which may be slow.
            self._startGroup()
        for operation, (succeeded, value) in zip(group, done.outcomes, strict=True):
            if succeeded:
                operation.result.callback(value)
            elif isinstance(value, StoreError):
                operation.result.errback(Failure(value))
            else:
                operation.result.errback(Failure(StoreError(f"store failed: {value}")))

    # The store thread

    def _runGroup(self, operations: list[tuple[Work, bool]]) -> "_GroupDone":
        """
        Carry out a group in order: consecutive writes share one transaction;
        each read sees the writes before it committed.

        A room message whose number does not follow the last one kept in its
        room is refused, and the rest of its transaction goes on.
        """
        if self._connection is None:
            self._connection = connect(self.path, self._synchronous)
        connection = self._connection
        outcomes: list[tuple[bool, Any]] = [(False, None)] * len(operations)
        reports: list[tuple[Failure | None, int]] = []
        pending: list[int] = []

        def commitPending() -> None:
            if not pending:
                return
            lastKept: dict[str, int] = {}
            done: list[int] = []
            results: list[Any] = []
            refused: list[int] = []
            try:
                connection.execute("BEGIN IMMEDIATE")
                messages: list[RoomMessage] = []
                for index in pending:
                    work = operations[index][0]
                    if isinstance(work, RoomMessage):
                        room = fold(work.room)
                        last = lastKept.get(room)
                        if last is None:
                            last = self._lastKept(connection, room)
                        if work.sequence != last + 1:
                            refusal = OutOfSequence(work.room, work.sequence, last)
                            outcomes[index] = (False, refusal)
                            refused.append(index)
                            continue
                        lastKept[room] = work.sequence
                        messages.append(work)
                        results.append(None)
                    else:
                        results.append(work(connection))
                    done.append(index)
                if messages:
                    self._insertMessages(connection, messages)
                connection.execute("COMMIT")
            except Exception as error:
                if connection.in_transaction:
                    with suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                self._knownRooms.clear()
                for index in pending:
                    if index not in refused:
                        outcomes[index] = (False, error)
                reports.append((Failure(error), len(pending)))
            else:
                self._lastKeptByRoom.update(lastKept)
                for index, result in zip(done, results, strict=True):
                    outcomes[index] = (True, result)
                if refused:
                    reports.append((Failure(outcomes[refused[0]][1]), len(refused)))
                if done:
                    reports.append((None, len(done)))
            pending.clear()

        for index, (work, writes) in enumerate(operations):
            if writes:
                pending.append(index)
                continue
            commitPending()
            assert not isinstance(work, RoomMessage)
            try:
                outcomes[index] = (True, work(connection))
            except Exception as error:
                outcomes[index] = (False, error)
                reports.append((Failure(error), 1))
        commitPending()
        return _GroupDone(outcomes, reports)

    def _lastKept(self, connection: sqlite3.Connection, room: str) -> int:
        """The number of the last message kept in C{room} (a folded name)."""
        last = self._lastKeptByRoom.get(room)
        if last is None:
            row = connection.execute(
                """
                SELECT max(coalesce((SELECT last_sequence FROM rooms WHERE folded = ?), 0),
                           coalesce((SELECT max(sequence) FROM messages WHERE room = ?), 0))
                """,
                (room, room),
            ).fetchone()
            last = self._lastKeptByRoom[room] = row[0]
        return last

    def _ensureRoom(self, connection: sqlite3.Connection, name: str) -> str:
        folded = fold(name)
        if folded not in self._knownRooms:
            connection.execute(
                "INSERT INTO rooms (folded, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (folded, name),
            )
            self._knownRooms.add(folded)
        return folded

    # IChatStore

    def appendMessage(self, message: RoomMessage) -> Deferred[None]:
        # Carried as itself: a group inserts all its messages at once.
        return self._submit(message, writes=True)

    def _insertMessages(
        self, connection: sqlite3.Connection, messages: list[RoomMessage]
    ) -> None:
        """
        Insert a group's messages with as few statements as SQLite allows.

        One multi-row INSERT per chunk, not one per message: each statement
        lets go of the GIL and takes it back, and with the reactor thread
        busy every take-back is a switch between threads.
        """
        rooms = {
            message.room: self._ensureRoom(connection, message.room)
            for message in messages
        }
        for start in range(0, len(messages), _ROWS_PER_INSERT):
            chunk = messages[start : start + _ROWS_PER_INSERT]
            values: list[object] = []
            for message in chunk:
                values += (
                    rooms[message.room],
                    message.sequence,
                    message.time,
                    message.sender,
                    message.text,
                    message.action,
                )
            connection.execute(_insertStatement(len(chunk)), values)

    def saveTopic(self, topic: TopicInfo) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            room = self._ensureRoom(connection, topic.room)
            connection.execute(
                "UPDATE rooms SET topic = ?, topic_nick = ?, topic_time = ? WHERE folded = ?",
                (topic.text, topic.nick, topic.time, room),
            )

        return self._submit(write, writes=True)

    def messagesBetween(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        def read(connection: sqlite3.Connection) -> list[RoomMessage]:
            rows = connection.execute(
                """
                SELECT sequence, time, sender, text, action FROM messages
                WHERE room = ? AND sequence > ? AND sequence <= ?
                ORDER BY sequence DESC LIMIT ?
                """,
                (fold(room), after, through, limit),
            ).fetchall()
            return [
                RoomMessage(
                    room, sequence, time, sender, text, bool(action), history=True
                )
                for sequence, time, sender, text, action in reversed(rows)
            ]

        return self._submit(read, writes=False)

    def appendPrivate(self, message: PrivateMessage, delivered: bool) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            connection.execute(
                """
                INSERT INTO private_messages
                    (time, sender, recipient, recipient_folded, text, delivered)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                (
                    message.time,
                    message.sender,
                    message.recipient,
                    fold(message.recipient),
                    message.text,
                    delivered,
                ),
            )

        return self._submit(write, writes=True)

    def takePendingPrivate(self, recipient: str) -> Deferred[list[PrivateMessage]]:
        def write(connection: sqlite3.Connection) -> list[PrivateMessage]:
            rows = connection.execute(
                """
                SELECT id, sender, recipient, time, text FROM private_messages
                WHERE recipient_folded = ? AND NOT delivered ORDER BY id
                """,
                (recipient,),
            ).fetchall()
            connection.executemany(
                "UPDATE private_messages SET delivered = 1 WHERE id = ?",
                [(row[0],) for row in rows],
            )
            return [
                PrivateMessage(sender, to, time, text, offline=True)
                for _, sender, to, time, text in rows
            ]

        return self._submit(write, writes=True)

    def account(self, nick: str) -> Deferred[AccountRecord | None]:
        def read(connection: sqlite3.Connection) -> AccountRecord | None:
            row = connection.execute(
                "SELECT nick, password_hash, created FROM accounts WHERE folded = ?",
                (nick,),
            ).fetchone()
            return AccountRecord(*row) if row else None

        return self._submit(read, writes=False)

    def createAccount(self, account: AccountRecord) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            # The core checks first; a clash here would be a bug, and must
            # not roll back the other writes of the group.
            connection.execute(
                "INSERT INTO accounts VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    fold(account.nick),
                    account.nick,
                    account.passwordHash,
                    account.created,
                ),
            )

        return self._submit(write, writes=True)

    def setPasswordHash(self, nick: str, passwordHash: str) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            connection.execute(
                "UPDATE accounts SET password_hash = ? WHERE folded = ?",
                (passwordHash, nick),
            )

        return self._submit(write, writes=True)

    def prune(self, olderThan: int | None, perRoomCap: int | None) -> Deferred[int]:
        def write(connection: sqlite3.Connection) -> int:
            # Remember how far each room's numbers went before deleting any.
            connection.execute(
                """
                UPDATE rooms SET last_sequence = max(last_sequence, coalesce(
                    (SELECT max(sequence) FROM messages WHERE room = rooms.folded), 0))
                """
            )
            removed = 0
            if olderThan is not None:
                removed += connection.execute(
                    "DELETE FROM messages WHERE time < ?", (olderThan,)
                ).rowcount
                connection.execute(
                    "DELETE FROM private_messages WHERE time < ?", (olderThan,)
                )
            if perRoomCap is not None:
                removed += connection.execute(
                    """
                    DELETE FROM messages WHERE sequence <=
                        (SELECT last_sequence FROM rooms WHERE folded = messages.room) - ?
                    """,
                    (perRoomCap,),
                ).rowcount
            return removed

        return self._submit(write, writes=True)

    def close(self) -> Deferred[None]:
        """
        Finish every queued operation, close the file, stop the thread.
        """

        def closeConnection(connection: sqlite3.Connection) -> None:
            connection.close()
            self._connection = None

        closed = self._submit(closeConnection, writes=False)
        self._closed = True

        def stopThread(result: object) -> object:
            if self._shutdownTrigger is not None:
                self._reactor.removeSystemEventTrigger(self._shutdownTrigger)
            self._stopThread()
            return result

        return closed.addBoth(stopThread)

    def _stopThread(self) -> None:
        self._failures.stop()
        self._shutdownTrigger = None
        if self._pool.started and not self._pool.joined:
            self._pool.stop()
