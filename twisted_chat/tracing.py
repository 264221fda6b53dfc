"""
A bench mode: where a marked room message's milliseconds go on its way
through the server, the collector's pauses, and the store's commits.

Off unless the app layer sets L{TRACE} at start (from the environment
variable C{TWISTED_CHAT_TRACE}, see L{twisted_chat.app.trace}); every hook
in the hot path is then one module attribute read and a comparison with
L{None}, per read, per message or per flush turn, never per delivery.

A message is traced when its text starts with L{TRACE_MARK} and the digits
after it (up to a colon) are the sender's C{time.perf_counter_ns()}, as the
load generator's latency messages are (C{bench/loadgen.py}): on Linux that
is the same monotonic clock in every process, so the time the message was
sent counts too.  Its path is stamped at each of L{POINTS}:

- C{sent}: by the load generator, in the text;
- C{read}: the reactor read the bytes that held its line (the last
  C{dataReceived} before the core numbered it: lines are carried out as
  they are read);
- C{said}: numbered by the core and handed to the store, queued for commit;
- C{commitBegan}, C{committed}: its transaction, on the store's thread
  (from C{BEGIN} to the end of C{COMMIT}, checkpoint included);
- C{resumed}: its group's result back on the reactor;
- C{posted}: its line queued for the recipients' writes;
- C{firstWrite}: the start of the first flush turn after that, which
  writes to the first recipients;
- C{lastWrite}: the end of the flush turn that wrote the last connection
  queued when it was posted (all connections queued then share the room:
  the bench's case).

A memory store commits at once: C{commitBegan} to C{resumed} are missing,
and the stage is C{said} to C{posted}.  L{Trace.report} gives, for each
stage between two stamps present, its p50, p90, p99 and maximum; the same
for the whole path; and, for the slowest hundredth of the messages, the
median of each stage (where the tail's time goes).  Beside that: every
collection of the cyclic collector (C{gc.callbacks}), by generation and
thread; every commit's duration and size; and which commits ran a WAL
checkpoint, seen in the C{-wal} file's header: its checkpoint sequence
number moves when the commit after a checkpoint starts the log afresh.
And each thread's time on the CPU and waiting for it (Linux's
C{schedstat}), over the same window: the reactor's thread and the store's
share one core in the bench, and a thread woken while the other runs
waits for it.

This is a leaf module: it imports nothing of the package, so the front
ends, the connection kit, the core and the store may all call its hooks.
"""

import gc
import json
import os
import threading
from collections.abc import Callable, Iterable
from itertools import pairwise
from time import perf_counter_ns
from typing import Any, Final

TRACE_MARK: Final = "%"
"""What a traced message's text starts with, before the send time."""

POINTS: Final = (
    "sent",
    "read",
    "said",
    "commitBegan",
    "committed",
    "resumed",
    "posted",
    "firstWrite",
    "lastWrite",
)
"""The stamps of a traced message's path, in order."""

SENT, READ, SAID, COMMIT_BEGAN, COMMITTED, RESUMED, POSTED, FIRST, LAST = range(9)

Stamps = list[int | None]


def percentiles(values: list[float]) -> dict[str, float]:
    """The count, p50, p90, p99 and maximum of C{values} (none: count 0)."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return {
        "count": len(ordered),
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": ordered[-1],
    }


def sendTime(text: str) -> int | None:
    """The send time a traced message's text carries, or L{None} if none."""
    if not text.startswith(TRACE_MARK):
        return None
    stamp = text[1:].partition(":")[0]
    return int(stamp) if stamp.isdigit() else None


def walSequence(header: bytes) -> int | None:
    """The checkpoint sequence number in a WAL file's 32-byte header."""
    if len(header) < 16:
        return None
    return int.from_bytes(header[12:16], "big")


def schedulingByThread() -> dict[str, tuple[int, int, int]]:
    """
    For each of this process's Python threads, by name: its time on the
    CPU and runnable but waiting for it (ns), and its time slices, from
    Linux's C{/proc/self/task/TID/schedstat}; nothing where there is none.
    """
    found = {}
    for thread in threading.enumerate():
        try:
            with open(f"/proc/self/task/{thread.native_id}/schedstat") as stat:
                ran, waited, slices = map(int, stat.read().split())
        except (OSError, ValueError):
            continue
        found[thread.name] = (ran, waited, slices)
    return found


class Trace:
    """
    The stamps of the messages in flight and of those done, the
    collector's pauses and the store's commits.

    The reactor's hooks and the store thread's (L{committed}) touch
    different stamps of a message; a message is in L{_inFlight} before it
    is handed to the store, so the store thread only reads that dict.

    @ivar database: the SQLite file whose C{-wal} is watched, if any.
    """

    def __init__(
        self,
        database: str | None = None,
        clock: Callable[[], int] = perf_counter_ns,
    ) -> None:
        self.database = database
        self._clock = clock
        self._lastRead = 0
        self.since: int | None = None
        """When the first traced message was sent: what came before is left out."""
        self._inFlight: dict[tuple[str, int], Stamps] = {}
        self._writing: list[tuple[Stamps, list[int | None]]] = []
        self.done: list[Stamps] = []
        self.commits: list[tuple[int, int, int, bool]] = []
        """Each commit's start and duration (ns), messages, and checkpoint."""
        self.collections: list[tuple[int, int, int, bool]] = []
        """Each collection's start and duration (ns), generation, on the reactor."""
        self._walFile: int | None = None
        self._walSequence: int | None = None
        self._collecting: tuple[int, int] | None = None
        self._reactorThread = threading.get_ident()
        self._schedulingAtStart: dict[str, tuple[int, int, int]] = {}

    # The reactor's hooks

    def read(self) -> None:
        """Bytes from a client are being read."""
        self._lastRead = self._clock()

    def said(self, room: str, sequence: int, text: str) -> None:
        """A room message was numbered and is handed to the store."""
        sent = sendTime(text)
        if sent is None:
            return
        stamps: Stamps = [None] * len(POINTS)
        stamps[SENT], stamps[READ], stamps[SAID] = sent, self._lastRead, self._clock()
        if self.since is None:
            self.since = sent
            self._schedulingAtStart = schedulingByThread()
        self._inFlight[room, sequence] = stamps

    def resumed(self, works: Iterable[object]) -> None:
        """A group's result is back on the reactor: C{works} were its operations."""
        now = self._clock()
        for work in works:
            stamps = self._stampsOf(work)
            if stamps is not None:
                stamps[RESUMED] = now

    def posted(self, room: str, sequence: int) -> None:
        """A room message's line is queued for its recipients' writes."""
        stamps = self._inFlight.pop((room, sequence), None)
        if stamps is not None:
            stamps[POSTED] = self._clock()
            # Connections to write before the last of its recipients: known
            # at the next flush turn, when all of them are queued.
            self._writing.append((stamps, [None]))

    def flushing(self, queued: int) -> None:
        """A flush turn begins, with C{queued} connections waiting to be written."""
        now = self._clock()
        for stamps, left in self._writing:
            if left[0] is None:
                left[0] = queued
                stamps[FIRST] = now

    def flushed(self, written: int) -> None:
        """A flush turn wrote C{written} connections."""
        if not self._writing:
            return
        now = self._clock()
        still = []
        for stamps, left in self._writing:
            if left[0] is not None:
                left[0] -= written
                if left[0] <= 0:
                    stamps[LAST] = now
                    self.done.append(stamps)
                    continue
            still.append((stamps, left))
        self._writing = still

    def _stampsOf(self, work: object) -> Stamps | None:
        room = getattr(work, "room", None)
        sequence = getattr(work, "sequence", None)
        if isinstance(room, str) and isinstance(sequence, int):
            return self._inFlight.get((room, sequence))
        return None

    # The store thread's hook

    def committed(self, works: Iterable[object], began: float, seconds: float) -> None:
        """
        A transaction of C{works} began at C{began} (C{perf_counter()}) and
        took C{seconds}, on the store's thread.
        """
        start = int(began * 1e9)
        end = start + int(seconds * 1e9)
        size = 0
        for work in works:
            size += 1
            stamps = self._stampsOf(work)
            if stamps is not None:
                stamps[COMMIT_BEGAN], stamps[COMMITTED] = start, end
        if self._checkpointedBefore() and self.commits:
            # The commit before this one ran the checkpoint: this one
            # started the log afresh.
            previous = self.commits[-1]
            self.commits[-1] = (previous[0], previous[1], previous[2], True)
        self.commits.append((start, end - start, size, False))

    def _checkpointedBefore(self) -> bool:
        """Whether the WAL's checkpoint sequence moved since the last look."""
        if self.database is None:
            return False
        try:
            if self._walFile is None:
                self._walFile = os.open(self.database + "-wal", os.O_RDONLY)
            sequence = walSequence(os.pread(self._walFile, 32, 0))
        except OSError:
            return False
        moved = self._walSequence is not None and sequence != self._walSequence
        self._walSequence = sequence
        return moved

    # The collector

    def collecting(self, phase: str, info: dict[str, Any]) -> None:
        """C{gc.callbacks}: time each collection."""
        if phase == "start":
            self._collecting = (self._clock(), int(info["generation"]))
        elif self._collecting is not None:
            began, generation = self._collecting
            self._collecting = None
            onReactor = threading.get_ident() == self._reactorThread
            self.collections.append(
                (began, self._clock() - began, generation, onReactor)
            )

    def start(self) -> None:
        """Time the collector's collections from now."""
        self._reactorThread = threading.get_ident()
        gc.callbacks.append(self.collecting)

    def stop(self) -> None:
        """Stop timing collections; close the WAL file."""
        if self.collecting in gc.callbacks:
            gc.callbacks.remove(self.collecting)
        if self._walFile is not None:
            os.close(self._walFile)
            self._walFile = None

    # The report

    def report(self) -> dict[str, Any]:
        """Percentiles of every stage, in milliseconds, and the rest."""
        stages: dict[str, list[float]] = {}
        perMessage: list[dict[str, float]] = []
        for stamps in self.done:
            present = [(POINTS[i], t) for i, t in enumerate(stamps) if t is not None]
            mine = {
                f"{a}→{b}": (tb - ta) / 1e6 for (a, ta), (b, tb) in pairwise(present)
            }
            sent, read, last = stamps[SENT], stamps[READ], stamps[LAST]
            assert sent is not None and read is not None and last is not None
            mine["read→lastWrite"] = (last - read) / 1e6
            mine["sent→lastWrite"] = (last - sent) / 1e6
            perMessage.append(mine)
            for name, value in mine.items():
                stages.setdefault(name, []).append(value)
        return {
            "messages": len(self.done),
            "unfinished": len(self._inFlight) + len(self._writing),
            "stages": {name: percentiles(v) for name, v in stages.items()},
            "tail": self._tail(perMessage),
            "collections": self._collectionsReport(),
            "commits": self._commitsReport(),
            "scheduling": self._schedulingReport(),
        }

    def _tail(self, perMessage: list[dict[str, float]]) -> dict[str, Any]:
        """
        The slowest hundredth of the messages, by the whole path: how many
        a collection overlapped, and each stage's median among them.
        """
        if not perMessage:
            return {"count": 0}
        ordered = sorted(
            zip(perMessage, self.done, strict=True),
            key=lambda pair: pair[0]["sent→lastWrite"],
        )
        tail = ordered[int(0.99 * len(ordered)) :]
        medians: dict[str, list[float]] = {}
        for mine, _ in tail:
            for name, value in mine.items():
                medians.setdefault(name, []).append(value)
        collections = self.collections
        overlapped = 0
        for _mine, stamps in tail:
            sent, last = stamps[SENT], stamps[LAST]
            assert sent is not None and last is not None
            if any(b < last and b + took > sent for b, took, _g, _r in collections):
                overlapped += 1
        return {
            "count": len(tail),
            "from": tail[0][0]["sent→lastWrite"],
            "withCollection": overlapped,
            "medians": {
                name: sorted(values)[len(values) // 2]
                for name, values in medians.items()
            },
        }

    def _collectionsReport(self) -> dict[str, Any]:
        """Count, total and longest pause (ms) per generation and thread."""
        found: dict[str, dict[str, float]] = {}
        for _, took, generation, onReactor in self._measured(self.collections):
            where = f"gen{generation}-{'reactor' if onReactor else 'other'}"
            entry = found.setdefault(where, {"count": 0, "totalMs": 0.0, "maxMs": 0.0})
            entry["count"] += 1
            entry["totalMs"] += took / 1e6
            entry["maxMs"] = max(entry["maxMs"], took / 1e6)
        return found

    def _commitsReport(self) -> dict[str, Any]:
        """Commit durations (ms), with and without a checkpoint, and sizes."""
        commits = self._measured(self.commits)
        plain = [took / 1e6 for _, took, _, ran in commits if not ran]
        ran = [took / 1e6 for _, took, _, ran in commits if ran]
        sizes = [size for _, _, size, _ in commits]
        return {
            "count": len(commits),
            "messagesPerCommit": sum(sizes) / len(sizes) if sizes else 0,
            "withoutCheckpoint": percentiles(plain),
            "withCheckpoint": percentiles(ran),
        }

    def _schedulingReport(self) -> dict[str, dict[str, float]]:
        """
        Each thread's time on the CPU and waiting for it (runnable, on the
        run queue), in ms, and its time slices, since the first traced
        message: a thread woken while another holds its core waits there.
        """
        now = schedulingByThread()
        return {
            name: {
                "cpuMs": (ran - before[0]) / 1e6,
                "waitingMs": (waited - before[1]) / 1e6,
                "slices": slices - before[2],
            }
            for name, (ran, waited, slices) in now.items()
            if (before := self._schedulingAtStart.get(name)) is not None
        }

    def _measured(
        self, timed: list[tuple[int, int, int, bool]]
    ) -> list[tuple[int, int, int, bool]]:
        """Those of C{timed} that began once the first traced message was sent."""
        if self.since is None:
            return []
        since = self.since
        return [entry for entry in timed if entry[0] >= since]

    def write(self, path: str) -> None:
        """Write L{report} to C{path} as JSON."""
        with open(path, "w") as out:
            json.dump(self.report(), out, indent=2)


TRACE: Trace | None = None
"""The trace being kept, if the server runs in the bench's trace mode."""
