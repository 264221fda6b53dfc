"""
A token bucket: how fast one sender may go.

It knows no connections and reads time only from the clock it is given, so
flood control can be tested with C{task.Clock} to the exact line.
"""

from twisted.internet.interfaces import IReactorTime

_EPSILON = 1e-9
"""Slack for the float sums of a clock advanced in steps."""


class TokenBucket:
    """
    Allow C{burst} actions at once, then C{rate} per second.

    @ivar burst: the most tokens the bucket holds, and holds at first.
    @ivar rate: tokens added per second; must be positive.
    """

    def __init__(self, burst: int, rate: float, clock: IReactorTime) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and burst")
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock.seconds()

    def take(self) -> bool:
        """Spend one token if there is one; say whether there was."""
        self._refill()
        if self._tokens >= 1 - _EPSILON:
            self._tokens = max(0.0, self._tokens - 1)
            return True
        return False

    def charge(self, tokens: int) -> None:
        """
        Spend C{tokens} more, whether or not the bucket holds them: an action
        already carried out turned out to cost that much more (one IRC line
        naming several targets counts as one line per target).  The bucket
        may go into debt; nothing more is allowed until it is paid back.
        """
        self._refill()
        self._tokens -= tokens

    def delay(self) -> float:
        """Seconds until a token is next available (0 if one is now)."""
        self._refill()
        return max(0.0, (1 - self._tokens) / self.rate)

    def _refill(self) -> None:
        now = self._clock.seconds()
        elapsed = now - self._updated
        if elapsed > 0:
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now
