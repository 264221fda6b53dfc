"""
The store's thread: one thread owns the connection and carries out the
queued operations in order, committing consecutive writes in one transaction.

Every operation is queued on the reactor thread and carried out, in order, by
a single store thread that owns the connection, so the reactor never waits on
the database.  While one group is being committed, new operations collect in
the queue; the next group takes them all in one transaction, so a busy server
pays for one commit (one fsync) per group, not per message.  A read in the
queue ends the group before it, so it sees exactly the writes asked for
before it.

A write's Deferred fires only after its transaction has committed: the core
delivers a message only then, so nothing anyone saw can be lost in a crash.
Room messages are carried as themselves, not as functions: a group checks
each one's number against the last kept in its room and inserts them all at
once.  A message the store numbers (L{Numbered}, for several servers writing
to one room) gets its number inside the transaction: the group first locks
the rows of the rooms it numbers in, always in the same order (sorted by
folded name), reads their last numbers there, and numbers on from them in
queue order, so two writers take turns per room and never wait on each other
in a circle.  The row stays locked until COMMIT, so when a writer reads S - 1
as a room's last number, the message S - 1 is committed; a group rolled back
gives its numbers back.  These numbers come from the database each time,
never from what this writer remembers: another writer may have moved on.

The writer is the same for every database: an L{Engine} says how to talk to
one (L{twisted_chat.store.sqliteengine} for SQLite,
L{twisted_chat.store.pgengine} for PostgreSQL), and the store modules say
what each operation reads or writes.  A connection the engine finds broken
(a database server restarted or went away) is dropped, and the next
operation opens a new one: a transaction is begun, and a read run, once
more on a new connection when the old one turns out broken, since neither
has done anything yet; a write that failed is never tried again, so nothing
is confirmed that was not committed.
"""

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from time import perf_counter
from typing import Any, Generic, Protocol, TypeVar

from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IReactorTime
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from twisted_chat import tracing
from twisted_chat.chat.events import RoomMessage
from twisted_chat.chat.names import fold
from twisted_chat.meters import METERS
from twisted_chat.store import OutOfSequence, StoreError
from twisted_chat.store.failures import FailureReporter

C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class Numbered:
    """
    A room message for the store to number: its own C{sequence} is ignored,
    and its operation's result is the number it was given.
    """

    message: RoomMessage


Work = Callable[[C], Any] | RoomMessage | Numbered
"""
What an operation does: a function run on the connection, or a message to
insert (numbered already, or to be numbered).
"""


class Engine(Protocol[C]):
    """
    What the store thread needs of a database; every method runs on the
    store thread.
    """

    def open(self) -> C:
        """Open a connection."""

    def begin(self, connection: C) -> None:
        """Begin a transaction."""

    def commit(self, connection: C) -> None:
        """Commit the transaction."""

    def rollback(self, connection: C) -> None:
        """Roll back the transaction, if one is open; never raise."""

    def close(self, connection: C) -> None:
        """Close the connection."""

    def broken(self, connection: C) -> bool:
        """Whether the connection is lost and must be opened again."""

    def lastKept(self, connection: C, room: str) -> int:
        """The number of the last message kept in C{room} (a folded name)."""

    def ensureRoom(self, connection: C, folded: str, name: str, now: int) -> None:
        """Make the room's row unless it has one, within the transaction."""

    def lockRooms(self, connection: C, rooms: list[str]) -> dict[str, int]:
        """
        Lock the rows of C{rooms} (folded names, sorted, each with a row)
        until the transaction ends, one after the other in that order, and
        return each one's last kept number as it stands once locked: no
        other writer can keep a message in them until then.
        """

    def insertMessages(
        self, connection: C, messages: list[tuple[str, RoomMessage]]
    ) -> None:
        """
        Insert a group's messages, each with its room's folded name: for
        each room, numbered on from its last kept, without a hole.
        """


class _Close:
    """The last operation: close the connection (if one is open)."""


CLOSE = _Close()


@dataclass(slots=True)
class _Operation(Generic[C]):
    work: "Work[C] | _Close"
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


class StoreWriter(Generic[C]):
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
        engine: Engine[C],
        reactor: Any,
        *,
        clock: IReactorTime | None = None,
    ) -> None:
        """
        @param engine: how to talk to the database.
        @param clock: what times the reports of failing commits; the
            reactor by default.
        """
        self._engine = engine
        self._reactor = reactor
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="twisted_chat-store")
        self._queue: list[_Operation[C]] = []
        self._busy = False
        self._closed = False
        self._connection: C | None = None  # the store thread's
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

    def submit(self, work: Work[C], *, writes: bool) -> Deferred[Any]:
        """
        Queue C{work} to run on the store thread after everything queued
        before it; the result fires once it is done (a write: committed).
        """
        if self._closed:
            return fail(StoreError("the store is closed"))
        return self._enqueue(work, writes)

    def _enqueue(self, work: "Work[C] | _Close", writes: bool) -> Deferred[Any]:
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

    def _groupDone(
        self, done: "_GroupDone | Failure", group: list[_Operation[C]]
    ) -> None:
        self._busy = False
        if tracing.TRACE is not None:
            tracing.TRACE.resumed(op.work for op in group)
        if isinstance(done, Failure):
            # The thread could not even begin.
            done = _GroupDone([(False, done.value)] * len(group), [(done, len(group))])
        for trouble, operations in done.reports:
            if trouble is None:
                self._failures.committed()
            else:
                METERS.storeErrors += operations
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

    def _connected(self) -> C:
        """The open connection, opened if there is none."""
        if self._connection is None:
            self._connection = self._engine.open()
        return self._connection

    def _dropIfBroken(self) -> bool:
        """Forget the connection if it is lost; say whether it was."""
        connection = self._connection
        if connection is None or not self._engine.broken(connection):
            return False
        self._connection = None
        self._knownRooms.clear()
        with suppress(Exception):  # lost already
            self._engine.close(connection)
        return True

    def _onceMore(self, step: Callable[[C], Any]) -> Any:
        """
        Run C{step} on the connection; if it fails because the connection
        was lost (the server restarted since the last operation), once more
        on a new one.  Only for steps that change nothing, so are safe to
        repeat: beginning a transaction, a read.
        """
        try:
            return step(self._connected())
        except Exception:
            if not self._dropIfBroken():
                raise
        return step(self._connected())

    def _runGroup(
        self, operations: list[tuple["Work[C] | _Close", bool]]
    ) -> _GroupDone:
        """
        Carry out a group in order: consecutive writes share one transaction;
        each read sees the writes before it committed.

        A room message whose number does not follow the last one kept in its
        room is refused, and the rest of its transaction goes on.  A message
        to be numbered gets its room's next number, read under the room's
        lock (see L{_lockRooms}).
        """
        outcomes: list[tuple[bool, Any]] = [(False, None)] * len(operations)
        reports: list[tuple[Failure | None, int]] = []
        pending: list[int] = []

        def commitPending() -> None:
            if pending:
                started = perf_counter()
                committed = self._commit(operations, pending, outcomes, reports)
                took = perf_counter() - started
                if committed:  # a failed one is a store error, not a time
                    METERS.commitTook(took)
                    METERS.commitSize.observe(len(pending))
                if tracing.TRACE is not None:
                    works = (operations[i][0] for i in pending)
                    tracing.TRACE.committed(works, started, took)
                pending.clear()

        for index, (work, writes) in enumerate(operations):
            if writes:
                pending.append(index)
                continue
            commitPending()
            assert not isinstance(work, RoomMessage | Numbered)
            try:
                if isinstance(work, _Close):
                    self._close()
                    outcomes[index] = (True, None)
                else:
                    outcomes[index] = (True, self._onceMore(work))
            except Exception as error:
                self._dropIfBroken()
                outcomes[index] = (False, error)
                reports.append((Failure(error), 1))
        commitPending()
        return _GroupDone(outcomes, reports)

    def _commit(
        self,
        operations: list[tuple["Work[C] | _Close", bool]],
        pending: list[int],
        outcomes: list[tuple[bool, Any]],
        reports: list[tuple[Failure | None, int]],
    ) -> bool:
        """
        Carry out the writes at C{pending} in one transaction.

        @return: whether it was committed.
        """
        lastKept: dict[str, int] = {}
        done: list[int] = []
        results: list[Any] = []
        refused: list[int] = []
        connection: C | None = None
        try:
            connection = self._onceMore(self._begin)
            # Before anything else in the transaction locks a room's row.
            lastKept.update(
                self._lockRooms(connection, (operations[i][0] for i in pending))
            )
            messages: list[tuple[str, RoomMessage]] = []
            for index in pending:
                work = operations[index][0]
                assert not isinstance(work, _Close)
                if isinstance(work, Numbered):
                    room = fold(work.message.room)
                    sequence = lastKept[room] = lastKept[room] + 1
                    messages.append((room, replace(work.message, sequence=sequence)))
                    results.append(sequence)
                elif isinstance(work, RoomMessage):
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
                    messages.append((room, work))
                    results.append(None)
                else:
                    results.append(work(connection))
                done.append(index)
            if messages:
                firstOfRoom: dict[str, RoomMessage] = {}
                for room, message in messages:
                    firstOfRoom.setdefault(room, message)
                for message in firstOfRoom.values():
                    self.ensureRoom(connection, message.room, message.time)
                self._engine.insertMessages(connection, messages)
            self._engine.commit(connection)
        except Exception as error:
            if connection is not None:
                self._engine.rollback(connection)
            self._dropIfBroken()
            # What the database keeps is read again: another connection (a
            # commit that did go through before it was lost, another server
            # sharing the database) may have moved it on.
            self._knownRooms.clear()
            self._lastKeptByRoom.clear()
            for index in pending:
                if index not in refused:
                    outcomes[index] = (False, error)
            reports.append((Failure(error), len(pending)))
            return False
        else:
            self._lastKeptByRoom.update(lastKept)
            for index, result in zip(done, results, strict=True):
                outcomes[index] = (True, result)
            if refused:
                reports.append((Failure(outcomes[refused[0]][1]), len(refused)))
            if done:
                reports.append((None, len(done)))
            return True

    def _begin(self, connection: C) -> C:
        self._engine.begin(connection)
        return connection

    def _lockRooms(
        self, connection: C, works: "Iterable[Work[C] | _Close]"
    ) -> dict[str, int]:
        """
        Lock the rows of the rooms that C{works} number messages in, and
        return their last kept numbers, read under the lock.

        Each row is made first if missing, and both are done in the order of
        the rooms' folded names, whichever order the messages came in: every
        writer waits for rows in the same order, so none waits for another
        that waits for it (a deadlock, which would fail both groups).
        """
        first: dict[str, RoomMessage] = {}
        for work in works:
            if isinstance(work, Numbered):
                first.setdefault(fold(work.message.room), work.message)
        if not first:
            return {}
        rooms = sorted(first)
        for room in rooms:
            self.ensureRoom(connection, first[room].room, first[room].time)
        locked = self._engine.lockRooms(connection, rooms)
        if locked.keys() != first.keys():
            raise StoreError(
                f"rooms without a row: {sorted(first.keys() - locked.keys())}"
            )
        return locked

    def _lastKept(self, connection: C, room: str) -> int:
        """The number of the last message kept in C{room} (a folded name)."""
        last = self._lastKeptByRoom.get(room)
        if last is None:
            last = self._lastKeptByRoom[room] = self._engine.lastKept(connection, room)
        return last

    def ensureRoom(self, connection: C, name: str, now: int) -> str:
        """
        Make sure C{name} has a row in C{rooms}, within the transaction on
        the store thread, and return its folded name.  The rooms known to
        exist are remembered until a transaction rolls back.

        @param now: when the operation making the row was asked for, in
            milliseconds since the epoch: a new row was created then.
        """
        folded = fold(name)
        if folded not in self._knownRooms:
            self._engine.ensureRoom(connection, folded, name, now)
            self._knownRooms.add(folded)
        return folded

    def _close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            self._engine.close(connection)

    # Closing

    def close(self) -> Deferred[None]:
        """
        Finish every queued operation, close the connection, stop the thread.
        """
        closed = self._enqueue(CLOSE, writes=False)
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
