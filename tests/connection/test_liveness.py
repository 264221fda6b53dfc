"""
Tests for L{twisted_chat.connection.liveness}: when connections are checked,
all of them on one periodic call of a C{Clock}.
"""

from collections.abc import Callable

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.connection.liveness import TICK, Bucket, Deadlines


class Recorded:
    """A connection that notes when it was checked, and may do more then."""

    def __init__(self, name: str, log: list[tuple[str, float]]) -> None:
        self.name = name
        self.log = log
        self.then: list[Callable[[], object]] = []

    def due(self, now: float) -> None:
        self.log.append((self.name, now))
        for action in self.then:
            action()


class DeadlinesTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(1000)
        self.deadlines = Deadlines(self.clock)
        self.log: list[tuple[str, float]] = []

    def watched(self, name: str, after: float) -> tuple[Recorded, Bucket]:
        watched = Recorded(name, self.log)
        bucket = self.deadlines.at(self.clock.seconds() + after, watched)
        return watched, bucket

    def test_dueAtItsTime(self) -> None:
        """A time on a tick is checked at that time, not before."""
        self.watched("a", 5)
        self.clock.advance(4.9)
        self.assertEqual(self.log, [])
        self.clock.advance(0.1)
        self.assertEqual(self.log, [("a", 1005.0)])

    def test_betweenTicks(self) -> None:
        """A time between ticks is checked at the next tick: less than one late."""
        self.watched("a", 2.5)
        self.clock.advance(2.5)
        self.assertEqual(self.log, [])
        self.clock.advance(TICK / 2)
        self.assertEqual(self.log, [("a", 1003.0)])

    def test_oneTimerForAll(self) -> None:
        """A thousand connections waiting hold one timer on the clock."""
        for number in range(1000):
            self.watched(f"c{number}", 30 + number % 90)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.assertEqual(self.deadlines.waiting, 1000)

    def test_noTimerWhenNoneWaits(self) -> None:
        """Once nothing waits, checked or cancelled, no timer is left."""
        self.watched("a", 1)
        second, bucket = self.watched("b", 3)
        self.clock.advance(1)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.deadlines.cancel(second, bucket)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(self.deadlines.waiting, 0)
        self.watched("c", 1)
        self.clock.advance(1)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual([name for name, _ in self.log], ["a", "c"])

    def test_cancelled(self) -> None:
        """A cancelled connection is not checked."""
        watched, bucket = self.watched("a", 2)
        self.watched("b", 2)
        self.deadlines.cancel(watched, bucket)
        self.clock.advance(2)
        self.assertEqual(self.log, [("b", 1002.0)])

    def test_cancelledByAnother(self) -> None:
        """One cancelled by the check of another in the same tick is skipped."""
        first, _ = self.watched("a", 2)
        second, bucket = self.watched("b", 2)
        first.then.append(lambda: self.deadlines.cancel(second, bucket))
        self.clock.advance(2)
        self.assertEqual(self.log, [("a", 1002.0)])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_againFromItsCheck(self) -> None:
        """One that asks again for now, from its check, is checked at the next tick."""
        watched, _ = self.watched("a", 1)
        watched.then.append(
            lambda: (
                self.deadlines.at(self.clock.seconds(), watched)
                if len(self.log) < 3
                else None
            )
        )
        self.clock.advance(1)
        self.assertEqual(self.log, [("a", 1001.0)])
        self.clock.advance(1)
        self.clock.advance(1)
        self.assertEqual([when for _, when in self.log], [1001.0, 1002.0, 1003.0])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_heldUp(self) -> None:
        """After the clock jumps, everything due in between is checked, in order."""
        self.watched("late", 7)
        self.watched("early", 2)
        self.watched("after", 12)
        self.clock.advance(10)
        self.assertEqual([name for name, _ in self.log], ["early", "late"])
        self.clock.advance(2)
        self.assertEqual([name for name, _ in self.log], ["early", "late", "after"])

    def test_failedCheck(self) -> None:
        """A check that fails is logged, and the others are still made."""
        broken, _ = self.watched("broken", 1)
        broken.then.append(lambda: 1 / 0)
        self.watched("fine", 1)
        self.clock.advance(1)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        self.assertEqual([name for name, _ in self.log], ["broken", "fine"])

    def test_heldUpSeveralBuckets(self) -> None:
        """
        A hold-up of a few ticks, with more buckets waiting than ticks
        missed, checks those due in the missed ticks in order and leaves the
        others to their time.
        """
        for name, after in [("c", 3), ("a", 1), ("later", 9), ("b", 2), ("last", 20)]:
            self.watched(name, after)
        self.clock.advance(3)
        self.assertEqual([name for name, _ in self.log], ["a", "b", "c"])
        self.assertEqual(self.deadlines.waiting, 2)
        self.clock.advance(6)
        self.assertEqual([name for name, _ in self.log], ["a", "b", "c", "later"])

    def test_againWithinHoldUp(self) -> None:
        """
        One that asks, from its check after a hold-up, for a time in the
        ticks missed is checked once in that pass, and again at the next
        tick: not twice with the same time.
        """
        start = self.clock.seconds()
        watched, _ = self.watched("a", 2)
        watched.then.append(
            lambda: self.deadlines.at(start + 5, watched) if len(self.log) < 2 else None
        )
        self.clock.advance(10)
        self.assertEqual(self.log, [("a", 1010.0)])
        self.clock.advance(1)
        self.assertEqual(self.log, [("a", 1010.0), ("a", 1011.0)])

    def test_longJump(self) -> None:
        """
        After a jump of months (a machine resumed, the clock set forward),
        only the buckets there are are looked up, not every second jumped.
        """
        looked = CountingBuckets()
        self.deadlines._buckets = looked
        self.watched("late", 90_000)
        self.watched("early", 2)
        self.watched("after", 10_000_001)
        self.clock.advance(10_000_000)
        self.assertEqual([name for name, _ in self.log], ["early", "late"])
        self.assertLess(looked.lookups, 20)
        self.clock.advance(1)
        self.assertEqual([name for name, _ in self.log], ["early", "late", "after"])


class CountingBuckets(dict[int, Bucket]):
    """The buckets of a L{Deadlines}, counting how often one is looked up."""

    lookups = 0

    def __contains__(self, key: object) -> bool:
        self.lookups += 1
        return super().__contains__(key)

    def pop(self, key: int, *default: Bucket | None) -> Bucket | None:  # type: ignore[override]
        self.lookups += 1
        return super().pop(key, *default)
