"""
The SQLite store's thread: one thread owns the connection and carries out the
queued operations in order, committing consecutive writes in one transaction.

Every operation is queued on the reactor thread and carried out, in order, by
a single store thread that owns the connection, so the reactor never waits on
the disk.  While one group is being committed, new operations collect in the
queue; the next group takes them all in one transaction, so a busy server
pays for one commit (one fsync with C{synchronous=FULL}) per group, not per
message.  A read in the queue ends the group before it, so it sees exactly
the writes asked for before it.

A write's Deferred fires only after its transaction has committed: the core
delivers a message only then, so nothing anyone saw can be lost in a crash.
Room messages are carried as themselves, not as functions: a group checks
each one's number against the last kept in its room and inserts them all at
once.  What each operation reads or writes is L{twisted_chat.store.sqlite}'s.
"""

import sqlite3
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IReactorTime
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from twisted_chat.chat.events import RoomMessage
from twisted_chat.chat.names import fold
from twisted_chat.store import OutOfSequence, StoreError
from twisted_chat.store.failures import FailureReporter
from twisted_chat.store.schema import checkOurs

Work = Callable[[sqlite3.Connection], Any] | RoomMessage
"""What an operation does: a function run on the connection, or a message to insert."""

Connector = Callable[[str, str], sqlite3.Connection]
"""What opens the database, given its path and synchronous mode: L{connect}."""

ROWS_PER_INSERT: Final = 1000
"""Rows per INSERT statement: 6000 parameters, under SQLite's 32766."""


@lru_cache(maxsize=16)
def _insertStatement(rows: int) -> str:
    return "INSERT INTO messages VALUES " + ",".join(["(?, ?, ?, ?, ?, ?)"] * rows)


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


class StoreWriter:
    """
    The store thread and the queue that feeds it.

    L{_runGroup} and what it calls (L{ensureRoom} among them) run on the
    store thread, and only they touch the connection; the rest runs on the
    reactor's thread.

    @ivar committedGroups: how many transactions have committed writes.
    @ivar committedWrites: how many write operations they held.
    """

    def __init__(
        self,
        path: str,
        reactor: Any,
        synchronous: str,
        *,
        clock: IReactorTime | None = None,
        openConnection: Connector = connect,
    ) -> None:
        """
        @param clock: what times the reports of failing commits; the
            reactor by default.
        @param openConnection: what opens the store thread's connection,
            the first time it needs one.
        """
        self.path = path
        self._reactor = reactor
        self._synchronous = synchronous
        self._openConnection = openConnection
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="twisted_chat-store")
        self._queue: list[_Operation] = []
        self._busy = False
        self._closed = False
        self._connection: sqlite3.Connection | None = None  # the store thread's
        self._knownRooms: set[str] = set()  # the store thread's
        self._lastKeptByRoom: dict[str, int] = {}  # the store thread's
        self._failures = FailureReporter(clock if clock is not None else reactor)
        self._shutdownTrigger: Any = None
        self.committedGroups = 0
        self.committedWrites = 0

    @property
    def closed(self) -> bool:
        """Whether the store is closed (or closing): new operations fail."""
        return self._closed

    # The queue

    def submit(self, work: Work, *, writes: bool) -> Deferred[Any]:
        """
        Queue C{work} to run on the store thread after everything queued
        before it; the result fires once it is done (a write: committed).
        """
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
            self._connection = self._openConnection(self.path, self._synchronous)
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

    def ensureRoom(self, connection: sqlite3.Connection, name: str, now: int) -> str:
        """
        Make sure C{name} has a row in C{rooms}, within the transaction on
        the store thread, and return its folded name.  The rooms known to
        exist are remembered until a transaction rolls back.

        @param now: when the operation making the row was asked for, in
            milliseconds since the epoch: a new row was created then.
        """
        folded = fold(name)
        if folded not in self._knownRooms:
            connection.execute(
                """
                INSERT INTO rooms (folded, name, created) VALUES (?, ?, ?)
                ON CONFLICT DO NOTHING
                """,
                (folded, name, now),
            )
            self._knownRooms.add(folded)
        return folded

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
            message.room: self.ensureRoom(connection, message.room, message.time)
            for message in messages
        }
        for start in range(0, len(messages), ROWS_PER_INSERT):
            chunk = messages[start : start + ROWS_PER_INSERT]
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

    # Closing

    def close(self) -> Deferred[None]:
        """
        Finish every queued operation, close the file, stop the thread.
        """

        def closeConnection(connection: sqlite3.Connection) -> None:
            connection.close()
            self._connection = None

        closed = self.submit(closeConnection, writes=False)
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
