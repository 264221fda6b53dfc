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

    @ivar burst: the most tokens the bucket fills up to, and holds at first
        unless told otherwise.
    @ivar rate: tokens added per second; must be positive.
    """

    # One per client connection (its flood control): slotted.
    __slots__ = ("_arrivalEnds", "_clock", "_tokens", "_updated", "burst", "rate")

    def __init__(
        self,
        burst: int,
        rate: float,
        clock: IReactorTime,
        arrival: int = 0,
        arrivalSeconds: float = 0.0,
    ) -> None:
        """
        @param arrival: tokens held at first, if more than C{burst}: an
            allowance for arriving (a client's registration and joins),
            never refilled, and gone after C{arrivalSeconds}.
        """
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and burst")
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._tokens = float(max(burst, arrival))
        self._updated = clock.seconds()
        self._arrivalEnds = self._updated + arrivalSeconds

    def take(self) -> bool:
        """Spend one token if there is one; say whether there was."""
        self._refill()
        if self._tokens >= 1 - _EPSILON:
            self._tokens = max(0.0, self._tokens - 1)
            return True
        return False

    def charge(self, tokens: float) -> None:
        """
        Spend C{tokens} more, whether or not the bucket holds them: an action
        already carried out turned out to cost that much more (one IRC line
        naming several targets counts as one line per target).  The bucket
        may go into debt; nothing more is allowed until it is paid back.
        A negative charge gives tokens back (an action that cost less than
        a whole one), never beyond what the bucket may hold.
        """
        self._refill()
        self._tokens = min(self._tokens - tokens, max(self._tokens, self.burst))

    def delay(self) -> float:
        """Seconds until a token is next available (0 if one is now)."""
        self._refill()
        return max(0.0, (1 - self._tokens) / self.rate)

    def _refill(self) -> None:
        now = self._clock.seconds()
        if self._tokens > self.burst and now >= self._arrivalEnds:
            self._tokens = float(self.burst)
        elapsed = now - self._updated
        if elapsed > 0 and self._tokens < self.burst:
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now
