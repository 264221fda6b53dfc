"""
The server's running counts: connections accepted and refused, deliveries,
messages stored, bytes sent, flood control, slow readers, logins, and the
store's commit times, as plain numbers every layer adds to.

What is counted is the process's, as its CPU time is, so there is one
L{Meters}, L{METERS}, for the process; a test reads how much a count moved.
Adding to a count is an attribute or dictionary update, cheap enough for
the fan-out's hot path; nothing here knows Prometheus.  The app layer
(L{twisted_chat.app.metrics}) reads these at each scrape and shows them in
Prometheus's format, with the gauges it can read off the running server
(connections open, members, rooms).

This is a leaf module: it imports nothing of the package, so the core, the
connection kit, the front ends and the store may all count.
"""

from bisect import bisect_left
from collections import Counter, deque
from typing import Final

LATENCY_BUCKETS: Final = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
"""Upper bounds, in seconds, of the latency histograms' buckets."""

RECENT_COMMITS: Final = 1000
"""How many of the latest commits' times are kept whole, for quantiles."""

SIZE_BUCKETS: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Upper bounds of the commit group size histogram's buckets."""


class Histogram:
    """
    How many observations fell at or below each bucket's bound, their sum
    and their count, as Prometheus keeps a histogram.
    """

    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """Each bound (and infinity last) with the observations at or below it."""
        total = 0
        buckets = []
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            total += count
            buckets.append((bound, total))
        return buckets

    def quantile(self, q: float) -> float | None:
        """
        The bound of the bucket holding the C{q} quantile (an upper bound
        of it), or L{None} before any observation.
        """
        if not self.count:
            return None
        wanted = q * self.count
        for bound, total in self.cumulative():
            if total >= wanted:
                return bound
        return float("inf")  # pragma: no cover


class Meters:
    """
    Every count of the process.  Labelled counts are L{Counter}s keyed by
    their label (a front end: C{line}, C{irc}, C{web}) or by a tuple of
    labels.

    @ivar accepted: connections admitted, by front end.
    @ivar refused: connections refused, by front end and reason.
    @ivar deliveries: events handed to recipients, by kind (C{room} for
        room messages, C{private}, C{other}): the fan-out.
    @ivar stored: messages committed, by kind (C{room}, C{private}).
    @ivar gaps: messages a slow reader's send queue dropped (told as a gap),
        by front end.
    @ivar slowReaders: clients disconnected for not reading, by front end.
    @ivar floodDelays: times a client's reading was slowed by flood control,
        by front end.
    @ivar floodDisconnects: clients disconnected for flooding, by front end.
    @ivar logins: logins, by outcome (C{succeeded}, C{failed}, C{throttled}).
    @ivar storeErrors: store operations that failed.
    @ivar commitSeconds: how long each commit of a group of writes took.
    @ivar recentCommits: how long each of the latest L{RECENT_COMMITS}
        commits took, oldest first: exact quantiles of the commits of late,
        where the histogram's are bucket bounds over the whole run.
    @ivar commitSize: how many writes each commit held.
    @ivar reactorLag: how late a timer due every second fired.
    """

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.refused: Counter[tuple[str, str]] = Counter()
        self.deliveries: Counter[str] = Counter()
        self.stored: Counter[str] = Counter()
        self.gaps: Counter[str] = Counter()
        self.slowReaders: Counter[str] = Counter()
        self.floodDelays: Counter[str] = Counter()
        self.floodDisconnects: Counter[str] = Counter()
        self.logins: Counter[str] = Counter()
        self.storeErrors = 0
        self.commitSeconds = Histogram(LATENCY_BUCKETS)
        self.recentCommits: deque[float] = deque(maxlen=RECENT_COMMITS)
        self.commitSize = Histogram(SIZE_BUCKETS)
        self.reactorLag = Histogram(LATENCY_BUCKETS)

    def commitTook(self, seconds: float) -> None:
        """
        Count a commit that took C{seconds}; called on the store's thread,
        where a deque's append is atomic.
        """
        self.commitSeconds.observe(seconds)
        self.recentCommits.append(seconds)


METERS: Final = Meters()
"""The process's counts."""
