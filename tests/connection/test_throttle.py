"""
Tests for L{twisted_chat.throttle}: the token bucket behind flood control.
"""

from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.throttle import TokenBucket


class TokenBucketTests(SynchronousTestCase):
    def test_burstThenRate(self) -> None:
        """Five at once, then two a second, to the token."""
        clock = Clock()
        bucket = TokenBucket(5, 2.0, clock)
        self.assertEqual([bucket.take() for _ in range(6)], [True] * 5 + [False])
        self.assertEqual(bucket.delay(), 0.5)
        clock.advance(0.5)
        self.assertEqual([bucket.take(), bucket.take()], [True, False])
        clock.advance(10)
        self.assertEqual(sum(bucket.take() for _ in range(10)), 5)

    def test_idleTimeDoesNotSaveUp(self) -> None:
        """A long silence refills the burst, not more."""
        clock = Clock()
        bucket = TokenBucket(5, 2.0, clock)
        clock.advance(3600)
        self.assertEqual(sum(bucket.take() for _ in range(100)), 5)

    def test_refusesNonsense(self) -> None:
        """A bucket that never fills cannot be made."""
        self.assertRaises(ValueError, TokenBucket, 5, 0, Clock())
        self.assertRaises(ValueError, TokenBucket, 0, 1.0, Clock())

    @given(
        st.integers(1, 20),
        st.floats(0.1, 50),
        st.lists(st.floats(0, 5), min_size=1, max_size=50),
    )
    def test_neverMoreThanAllowed(
        self, burst: int, rate: float, steps: list[float]
    ) -> None:
        """
        However time passes, no more is taken than the burst plus the rate
        times the time elapsed.
        """
        clock = Clock()
        bucket = TokenBucket(burst, rate, clock)
        taken = 0
        for step in steps:
            clock.advance(step)
            while bucket.take():
                taken += 1
            self.assertGreater(bucket.delay(), 0)
        self.assertLessEqual(taken, burst + rate * clock.seconds() + 1e-6)

    def test_arrivalAllowance(self) -> None:
        """
        An arrival allowance is taken at once, never refilled, and what is
        left of it is gone after its seconds.
        """
        clock = Clock()
        bucket = TokenBucket(5, 2.0, clock, arrival=20, arrivalSeconds=10)
        self.assertEqual(sum(bucket.take() for _ in range(12)), 12)
        clock.advance(9)
        self.assertEqual(sum(bucket.take() for _ in range(100)), 8)
        clock.advance(10)
        self.assertEqual(sum(bucket.take() for _ in range(100)), 5)
        unused = TokenBucket(5, 2.0, clock, arrival=20, arrivalSeconds=10)
        clock.advance(10)
        self.assertEqual(sum(unused.take() for _ in range(100)), 5)

    def test_chargeAndRefund(self) -> None:
        """
        A charge may put the bucket in debt, to be paid back at the rate; a
        refund never fills it beyond its burst.
        """
        clock = Clock()
        bucket = TokenBucket(5, 2.0, clock)
        bucket.take()
        bucket.charge(7)
        self.assertFalse(bucket.take())
        self.assertEqual(bucket.delay(), 2.0)
        clock.advance(2)
        self.assertTrue(bucket.take())
        bucket.charge(-100)
        self.assertEqual(sum(bucket.take() for _ in range(100)), 5)

    @given(
        st.integers(1, 20),
        st.integers(0, 40),
        st.lists(st.tuples(st.floats(0, 5), st.integers(0, 3)), max_size=50),
    )
    def test_chargesNeverMoreThanAllowed(
        self, burst: int, arrival: int, steps: list[tuple[float, int]]
    ) -> None:
        """
        With charges for extra cost, what is spent never exceeds the arrival
        allowance (or the burst), plus the rate times the time, plus the
        last charge (a debt paid later).
        """
        clock = Clock()
        bucket = TokenBucket(burst, 2.0, clock, arrival=arrival, arrivalSeconds=10)
        spent = 0
        for step, extra in steps:
            clock.advance(step)
            while bucket.take():
                bucket.charge(extra)
                spent += 1 + extra
        allowed = max(burst, arrival) + 2.0 * clock.seconds()
        self.assertLessEqual(spent, allowed + 3 + 1e-6)
