"""
When connections are next due to be checked (for silence, for a login not
made in time), for all of them on one periodic call.

Each connection used to hold two reactor timers for this, a PING timer and
a login timer: with their bound methods and their place on the reactor's
heap, 750 bytes of each idle connection, and ten thousand idle connections
meant twenty thousand timers.  The checks need no precision finer than a
second in timeouts of half a minute or more, so a L{Deadlines} keeps each
connection due in the bucket of the second it is due in, and one
C{LoopingCall}, on the clock it is given, takes each second's bucket and
calls the check of each connection in it: one timer for all, and a
dictionary entry per connection.  A check comes at its time, or up to one
tick (L{TICK}) after it; a connection whose times all fall on ticks (as
they do when it starts on one, and its timeouts are whole seconds) is
checked at exactly its time.
"""

import math
from typing import Final, Protocol

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

TICK: Final = 1.0
"""Seconds between the checks: how late a check may come, at most."""

_EPSILON: Final = 1e-9
"""In ticks: a time this close to a tick is on it, not after it."""


class Watched(Protocol):
    """What a L{Deadlines} calls when it is due."""

    def due(self, now: float) -> None:
        """The time it asked to be checked at has come (C{now})."""


Bucket = dict[Watched, None]
"""The connections due in one tick, in the order they asked."""


class Deadlines:
    """
    Calls each connection's check when it is due, all of them from one
    C{LoopingCall}, which runs only while some connection is waiting.

    A connection asks to be checked at a time (L{at}) and keeps the bucket
    it is given, to L{cancel} with; it is in at most one bucket at a time.
    """

    log = Logger()

    def __init__(self, clock: IReactorTime, tick: float = TICK) -> None:
        self._clock = clock
        self._tick = tick
        self._buckets: dict[int, Bucket] = {}
        self._waiting = 0
        self._loop: LoopingCall | None = None
        self._start = 0.0
        self._ticks = 0
        """The number of the latest tick taken since the loop started."""

    @property
    def waiting(self) -> int:
        """How many connections are waiting to be checked."""
        return self._waiting

    def at(self, when: float, watched: Watched) -> Bucket:
        """
        Call C{watched.due} at C{when}, or at the first tick after it (and
        never in the ticks being taken: asked from a check, at the tick
        after the last of them at the earliest).

        @return: the bucket C{watched} is in, for L{cancel}.
        """
        if self._loop is None:
            self._startLoop()
        index = math.ceil((when - self._start) / self._tick - _EPSILON)
        index = max(index, self._ticks + 1)
        bucket = self._buckets.get(index)
        if bucket is None:
            bucket = self._buckets[index] = {}
        bucket[watched] = None
        self._waiting += 1
        return bucket

    def cancel(self, watched: Watched, bucket: Bucket) -> None:
        """C{watched} is no longer to be checked (it was in C{bucket})."""
        if bucket.pop(watched, 0) is None:
            self._waiting -= 1
            if not self._waiting:
                self._stopLoop()

    def _startLoop(self) -> None:
        self._ticks = 0
        loop = self._loop = LoopingCall.withCount(self._takeTicks)
        loop.clock = self._clock
        loop.start(self._tick, now=False).addErrback(
            lambda failure: self.log.failure("Checking connections stopped", failure)
        )
        # Ticks are counted from here, as the loop counts them.
        assert loop.starttime is not None
        self._start = loop.starttime

    def _stopLoop(self) -> None:
        loop, self._loop = self._loop, None
        self._buckets.clear()
        if loop is not None and loop.running:
            loop.stop()

    def _takeTicks(self, count: int) -> None:
        """
        C{count} ticks have passed (more than one if the reactor was held
        up): check every connection due in them, in order.  One whose check
        fails is logged, and the others are checked all the same.
        """
        loop = self._loop
        now = self._clock.seconds()
        buckets = self._buckets
        # Every tick up to the last one is taken now: a connection checked
        # here that asks to be checked again is due at the next tick at the
        # earliest (see at), even if what it asks for was in the ticks taken.
        first, self._ticks = self._ticks + 1, self._ticks + count
        if count <= len(buckets):
            due = [index for index in range(first, self._ticks + 1) if index in buckets]
        else:
            # A long hold-up (a machine resumed after hours, the clock set
            # forward): the buckets there are, not every second it missed.
            due = sorted(index for index in buckets if index <= self._ticks)
        for index in due:
            bucket = buckets.pop(index, None)
            if bucket is None:
                continue
            # Checking one may cancel others in the bucket: they are skipped.
            for watched in list(bucket):
                if bucket.pop(watched, 0) is not None:
                    continue
                self._waiting -= 1
                try:
                    watched.due(now)
                except Exception:
                    self.log.failure("Checking {watched!r} failed", watched=watched)
            if self._loop is not loop:
                # Every connection was cancelled while checking: the loop
                # stopped (and another may have started).
                return
        if not self._waiting:
            self._stopLoop()
