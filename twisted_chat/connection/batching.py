"""
One write per connection per reactor turn, with the bytes shared.

A protocol adapter encodes an event once (or once per way its clients see
it) and hands the bytes to a L{Batcher} with the connections they go to.
Each connection queues L{Batch}es; at the end of the turn each is written
once, however many events the turn brought.  The batches themselves are
shared: the core hands the same participants list for message after message
while a room's members stay the same, so the next line for the very same
list is one append to the batch all of them have queued, not one per
connection.

Each line carries the mark its adapter gave it (see
L{twisted_chat.connection.backlog.RoomMark}), in a list beside the lines,
made once for all the connections that share the batch: marks are read only
for a connection whose client is not reading.
"""

from typing import Protocol

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from twisted_chat import tracing
from twisted_chat.connection.backlog import RoomMark

FLUSH_BATCH = 64
"""Connections written to per reactor turn; see L{Batcher._flush}."""


class Batch:
    """
    Lines queued, in order, for one or many connections.

    Lines are added until the batch is sealed (before anything is written);
    after that its bytes are joined once, for every connection it goes to.

    @ivar lines: the lines, each the bytes of one event (one or more
        protocol lines).
    @ivar marks: for each of C{lines}, at the same index, its L{RoomMark}
        if it is a room message, else L{None}: what the send queue of a
        client that is not reading needs to know of it.
    """

    __slots__ = ("_data", "lines", "marks")

    def __init__(self, line: bytes, mark: RoomMark | None = None) -> None:
        self.lines = [line]
        self.marks: list[RoomMark | None] = [mark]
        self._data: bytes | None = None

    def data(self) -> bytes:
        if self._data is None:
            self._data = b"".join(self.lines)
        return self._data


class Queued(Protocol):
    """A connection a L{Batcher} queues for."""

    pending: list[Batch]

    def writePending(self) -> None:
        """Write (or hold) everything queued, the batcher's batch sealed."""


class Batcher:
    """
    Queues lines for connections, shared where the connections are the
    same, and writes each connection once per reactor turn.
    """

    log = Logger()

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock
        self._dirty: list[Queued] = []
        self._flushing = False
        self._batchFor: list[Queued] | None = None
        self._batch = Batch(b"")
        # Counted once per line and list of connections, not per write: the
        # writes are the hot path (twisted_chat.meters reads this).
        self.bytesQueued = 0

    def queue(
        self, line: bytes, connections: list[Queued], mark: RoomMark | None = None
    ) -> None:
        """
        Queue C{line} for each of C{connections}, which must not change
        afterwards (the core's participants lists do not), with its C{mark}:
        a L{RoomMark} if it is a room message.

        The batch is sealed (see L{seal}) as soon as anything else is queued
        or any connection is written to, so each connection still gets every
        line once, in order.
        """
        self.bytesQueued += len(line) * len(connections)
        if mark is not None and tracing.TRACE is not None:
            tracing.TRACE.posted(mark[1], mark[2])
        if connections is self._batchFor:
            batch = self._batch
            batch.lines.append(line)
            batch.marks.append(mark)
            return
        batch = Batch(line, mark)
        self._batchFor, self._batch = connections, batch
        dirty = self._dirty
        for connection in connections:
            pending = connection.pending
            if not pending:
                dirty.append(connection)
            pending.append(batch)
        if not self._flushing:
            self._flushing = True
            self._clock.callLater(0, self._flush)

    def seal(self) -> None:
        """
        Let no more lines into the batch being filled: a connection that has
        it queued is about to be written to.
        """
        self._batchFor = None

    def writeNow(self, connection: Queued) -> None:
        """
        Write what C{connection} has queued, now (a goodbye before a close).

        The batch is sealed before, since the connection may share it, and
        after, since writing may drop a client whose quit is then queued.
        """
        self.seal()
        connection.writePending()
        self.seal()

    def _flush(self) -> None:
        """
        Write to the connections with queued lines, L{FLUSH_BATCH} per
        reactor turn, the rest on the next turns.

        In between, the reactor reads and commits new messages, which join
        the queues of connections not written to yet: one big room's
        fan-out never holds everything else up, and under load it sends
        more lines per write.
        """
        dirty = self._dirty
        trace = tracing.TRACE
        if trace is not None:
            trace.flushing(len(dirty))
        now, self._dirty = dirty[:FLUSH_BATCH], dirty[FLUSH_BATCH:]
        for connection in now:
            # writeNow's seals, inlined (the fan-out's hot path): the seal
            # after one write and the seal before the next are one.
            self._batchFor = None
            try:
                connection.writePending()
            except Exception:
                # One broken connection must not silence the others.
                self.log.failure(
                    "Writing to {connection!r} failed", connection=connection
                )
        self._batchFor = None
        if trace is not None:
            trace.flushed(len(now))
        if self._dirty:
            self._clock.callLater(0, self._flush)
        else:
            self._flushing = False
