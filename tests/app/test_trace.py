"""
Tests for the bench's trace mode: L{twisted_chat.tracing}'s bookkeeping of
a marked message's path, the collector's pauses and the store's commits,
and L{twisted_chat.app.trace}, which turns it on from the environment.
"""

import gc
import json
import sys
import threading
from dataclasses import dataclass

from twisted.internet.task import Clock
from twisted.trial.unittest import SkipTest, SynchronousTestCase

from twisted_chat import tracing
from twisted_chat.app.trace import TRACE_VARIABLE, traceService
from twisted_chat.connection.batching import Batch, Batcher
from twisted_chat.tracing import Trace, sendTime, walSequence


@dataclass
class Message:
    """What the store's hooks see of a room message."""

    room: str
    sequence: int


class Ticks:
    """A clock in nanoseconds that moves only when told."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now

    def to(self, milliseconds: float) -> None:
        self.now = int(milliseconds * 1e6)


class Connection:
    """A queued connection (see L{tests.connection.test_batching})."""

    def __init__(self) -> None:
        self.pending: list[Batch] = []

    def writePending(self) -> None:
        self.pending.clear()


def walHeader(sequence: int) -> bytes:
    return b"\x37\x7f\x06\x82" + bytes(8) + sequence.to_bytes(4, "big") + bytes(16)


class TraceTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.ticks = Ticks()
        self.trace = Trace(clock=self.ticks)

    def path(self, sequence: int, offset: float = 0.0) -> None:
        """One marked message through the whole path, sent at C{offset} ms."""
        trace, ticks = self.trace, self.ticks
        ticks.to(offset + 1)
        trace.read()
        ticks.to(offset + 1.5)
        trace.said("#bench", sequence, f"%{int(offset * 1e6)}:xxx")
        trace.committed([Message("#bench", sequence)], (offset + 2) / 1e3, 0.003)
        ticks.to(offset + 6)
        trace.resumed([Message("#bench", sequence)])
        ticks.to(offset + 6.5)
        trace.posted("#bench", sequence)
        ticks.to(offset + 7)
        trace.flushing(3)
        ticks.to(offset + 8)
        trace.flushed(2)
        ticks.to(offset + 9)
        trace.flushing(1)
        ticks.to(offset + 10)
        trace.flushed(1)

    def test_sendTime(self) -> None:
        """The send time is the digits after the mark, up to a colon; else none."""
        self.assertEqual(
            [sendTime("%123:x"), sendTime("%s3:x"), sendTime("hello"), sendTime("^1:")],
            [123, None, None, None],
        )

    def test_stages(self) -> None:
        """
        Each stage of a message's path is the time between two stamps in
        order, the last write being the end of the turn that wrote the
        last connection queued when the first flush turn began.
        """
        self.path(1)
        report = self.trace.report()
        self.assertEqual((report["messages"], report["unfinished"]), (1, 0))
        p50 = {name: figures["p50"] for name, figures in report["stages"].items()}
        self.assertEqual(
            p50,
            {
                "sent→read": 1.0,
                "read→said": 0.5,
                "said→commitBegan": 0.5,
                "commitBegan→committed": 3.0,
                "committed→resumed": 1.0,
                "resumed→posted": 0.5,
                "posted→firstWrite": 0.5,
                "firstWrite→lastWrite": 3.0,
                "read→lastWrite": 9.0,
                "sent→lastWrite": 10.0,
            },
        )

    def test_unmarked(self) -> None:
        """Messages without a send time after the mark are not traced."""
        self.trace.said("#prefill", 1, "^p:xxx")
        self.trace.posted("#prefill", 1)
        self.trace.flushing(1)
        self.trace.flushed(1)
        self.assertEqual(self.trace.report()["messages"], 0)

    def test_committedAtOnce(self) -> None:
        """A store that commits at once (in memory) has a stage from said to posted."""
        self.trace.said("#bench", 1, "%0:x")
        self.ticks.to(2)
        self.trace.posted("#bench", 1)
        self.trace.flushing(1)
        self.trace.flushed(1)
        stages = self.trace.report()["stages"]
        self.assertEqual(stages["said→posted"]["max"], 2.0)
        self.assertNotIn("said→commitBegan", stages)

    def test_tail(self) -> None:
        """
        The tail is the slowest hundredth by the whole path; a collection
        during one of its messages is counted.
        """
        for n in range(99):
            self.path(n, offset=100.0 * n)
        self.trace.said("#bench", 99, "%9900000000:x")
        self.ticks.to(9950)
        self.trace.collecting("start", {"generation": 2})
        self.ticks.to(9970)
        self.trace.collecting("stop", {"generation": 2})
        self.trace.posted("#bench", 99)
        self.trace.flushing(1)
        self.trace.flushed(1)
        report = self.trace.report()
        tail = report["tail"]
        self.assertEqual((tail["count"], tail["withCollection"]), (1, 1))
        self.assertEqual(tail["medians"]["sent→lastWrite"], 70.0)
        self.assertEqual(
            report["collections"],
            {"gen2-reactor": {"count": 1, "totalMs": 20.0, "maxMs": 20.0}},
        )

    def test_checkpoint(self) -> None:
        """
        When the WAL's checkpoint sequence moves, the commit before it is
        the one that ran the checkpoint.
        """
        path = self.mktemp()
        self.trace.database = path
        self.addCleanup(self.trace.stop)
        sequences = iter([1, 1, 2, 2])

        def commit(at: float, took: float) -> None:
            with open(path + "-wal", "wb") as wal:
                wal.write(walHeader(next(sequences)))
            self.trace.committed([], at, took)

        self.trace.since = 0
        for at, took in [(1.0, 0.001), (2.0, 0.010), (3.0, 0.001), (4.0, 0.001)]:
            commit(at, took)
        commits = self.trace.report()["commits"]
        self.assertEqual(commits["count"], 4)
        self.assertEqual(commits["withCheckpoint"]["count"], 1)
        self.assertAlmostEqual(commits["withCheckpoint"]["max"], 10.0, places=3)
        self.assertEqual(commits["withoutCheckpoint"]["count"], 3)

    def test_walSequence(self) -> None:
        """The checkpoint sequence is the header's fourth big-endian word."""
        self.assertEqual(walSequence(walHeader(258)), 258)
        self.assertIsNone(walSequence(b""))

    def test_collectorCallbacks(self) -> None:
        """Starting adds the trace to C{gc.callbacks}; stopping takes it out."""
        self.trace.start()
        self.addCleanup(self.trace.stop)
        self.assertIn(self.trace.collecting, gc.callbacks)
        self.trace.stop()
        self.assertNotIn(self.trace.collecting, gc.callbacks)


class SchedulingTests(SynchronousTestCase):
    def test_thisThread(self) -> None:
        """
        Each thread's CPU time, wait for the CPU and time slices are read by
        its name, where Linux gives them.
        """
        if not sys.platform.startswith("linux"):
            raise SkipTest("schedstat is Linux's")
        found = tracing.schedulingByThread()
        ran, waited, slices = found[threading.current_thread().name]
        self.assertGreater(ran, 0)
        self.assertGreaterEqual(waited, 0)
        self.assertGreater(slices, 0)


class BatcherHookTests(SynchronousTestCase):
    def setUp(self) -> None:
        ticks = iter(range(0, 10**9, 10**6))
        self.trace = Trace(clock=lambda: next(ticks))
        self.addCleanup(setattr, tracing, "TRACE", None)
        tracing.TRACE = self.trace

    def test_fanOutSpread(self) -> None:
        """
        A line for a room of 100 is written over two flush turns: the first
        write is the first turn's start, the last write the end of the
        second (the trace's clock moves a millisecond each time it is read).
        """
        clock = Clock()
        batcher = Batcher(clock)
        room = [Connection() for _ in range(100)]
        self.trace.said("#bench", 7, "%0:x")
        batcher.queue(b"line\r\n", room, ("#bench", "#bench", 7))
        clock.advance(0)
        stages = self.trace.report()["stages"]
        self.assertEqual(
            (stages["posted→firstWrite"]["max"], stages["firstWrite→lastWrite"]["max"]),
            (1.0, 3.0),
        )


class TraceServiceTests(SynchronousTestCase):
    def test_offByDefault(self) -> None:
        """Without the variable there is no trace."""
        self.assertIsNone(traceService({}, "chat.sqlite3"))

    def test_walOfSQLiteOnly(self) -> None:
        """The WAL is watched for a SQLite file, not for a memory store."""
        onFile = traceService({TRACE_VARIABLE: "t.json"}, "chat.sqlite3")
        inMemory = traceService({TRACE_VARIABLE: "t.json"}, ":memory:")
        assert onFile is not None and inMemory is not None
        self.assertEqual(
            (onFile.trace.database, inMemory.trace.database), ("chat.sqlite3", None)
        )

    def test_writtenWhenStopped(self) -> None:
        """
        The service sets the hooks' trace while it runs, and writes the
        report when it stops.
        """
        path = self.mktemp()
        service = traceService({TRACE_VARIABLE: path}, ":memory:")
        assert service is not None
        self.addCleanup(setattr, tracing, "TRACE", None)
        service.startService()
        self.assertIs(tracing.TRACE, service.trace)
        service.stopService()
        self.assertIsNone(tracing.TRACE)
        with open(path) as written:
            self.assertEqual(json.load(written)["messages"], 0)
