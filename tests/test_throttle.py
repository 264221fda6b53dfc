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
