"""
The running server's figures, for a server operator's C{/stats}
(L{twisted_chat.chat.statistics}): how long it has run, its connections per
front end, members and rooms, the messages stored in the last minute and
hour, the store's size, how long its latest commits took, and how many
clients are not reading now.

The counts come from L{twisted_chat.meters}, as C{/metrics}' do, so
C{/stats} works with or without C{--metrics}.  A count over the last
minute or hour needs the count as it was then: it is sampled every
L{SAMPLE_INTERVAL} seconds, an hour's worth kept.
"""

from collections import deque
from math import ceil
from typing import TYPE_CHECKING, Final

from twisted.application.internet import TimerService
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from twisted_chat.chat.orderevents import Statistic
from twisted_chat.chat.statistics import (
    NOTHING_YET,
    UPTIME,
    membersHere,
    roomsInUse,
)
from twisted_chat.meters import METERS

if TYPE_CHECKING:
    from twisted_chat.app.service import ServerService

SAMPLE_INTERVAL: Final = 5.0
"""Seconds between two samples of the messages stored so far."""

MINUTE: Final = 60.0
HOUR: Final = 3600.0

STORE_TIMEOUT: Final = 2.0
"""Seconds the store has to say its size before C{/stats} answers without it."""


def messagesStored() -> int:
    """Every message the store has committed since the server started."""
    return sum(METERS.stored.values())


def quantile(values: list[float], q: float) -> float:
    """The C{q} quantile of C{values} (not empty), by nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, ceil(q * len(ordered)) - 1)]


class ServerFigures(TimerService):
    """
    Reads the figures of C{/stats} off the running server, and samples the
    messages stored for the counts over the last minute and hour.

    @ivar started: when the server started, in seconds since the epoch.
    """

    def __init__(self, service: "ServerService", clock: IReactorTime) -> None:
        super().__init__(SAMPLE_INTERVAL, self._sample)
        self.clock = clock
        # TimerService's clock may be None; this one never is.
        self._time = clock
        self._service = service
        # Read again as the service starts; until then, from its making.
        self.started = clock.seconds()
        self._samples: deque[tuple[float, int]] = deque(
            maxlen=int(HOUR / SAMPLE_INTERVAL) + 2
        )

    def startService(self) -> None:
        self.started = self._time.seconds()
        super().startService()

    def _sample(self) -> None:
        self._samples.append((self._time.seconds(), messagesStored()))

    def messagesSince(self, seconds: float) -> int:
        """
        The messages stored in the last C{seconds} (up to L{SAMPLE_INTERVAL}
        more), or since the server started if that was later.
        """
        now, total = self._time.seconds(), messagesStored()
        before = total
        for at, counted in reversed(self._samples):
            before = counted
            if at <= now - seconds:
                break
        return total - before

    def read(self) -> Deferred[list[Statistic]]:
        """Every figure, once the store has said its size (or not in time)."""
        service = self._service
        connections: dict[str, int] = {}
        for frontEnd in service.frontEnds:
            connections[frontEnd.kind] = (
                connections.get(frontEnd.kind, 0) + frontEnd.openConnections
            )
        everyone = service.chat.presentMembers()
        figures = [
            # Never below 0, should the system's clock be set back.
            Statistic(UPTIME, str(max(0, int(self._time.seconds() - self.started)))),
            *[
                Statistic(f"connections-{kind}", str(count))
                for kind, count in sorted(connections.items())
            ],
            Statistic("members", str(membersHere(everyone))),
            Statistic("rooms", str(roomsInUse(everyone))),
            Statistic("messages-last-minute", str(self.messagesSince(MINUTE))),
            Statistic("messages-last-hour", str(self.messagesSince(HOUR))),
        ]
        # One C call copies the deque whole, the GIL held: the store's
        # thread cannot append half-way through.
        commits = list(METERS.recentCommits)
        after = [
            Statistic(
                name,
                f"{quantile(commits, q) * 1000:.2f}" if commits else NOTHING_YET,
            )
            for name, q in (("commit-p50-ms", 0.5), ("commit-p99-ms", 0.99))
        ]
        after.append(
            Statistic(
                "slow-readers",
                str(sum(frontEnd.slowReaders for frontEnd in service.frontEnds)),
            )
        )

        def withSize(size: str) -> list[Statistic]:
            return [*figures, Statistic("store-bytes", size), *after]

        return self._storeSize().addCallback(withSize)

    def _storeSize(self) -> Deferred[str]:
        """
        The store's size in bytes, or L{NOTHING_YET} if it fails or does not
        answer within L{STORE_TIMEOUT}.  The store's own Deferred is left to
        fire in order with its others, never cancelled.
        """
        answer: Deferred[str] = Deferred()

        def settle(value: str) -> None:
            if timer.active():
                timer.cancel()
            if not answer.called:
                answer.callback(value)

        timer = self._time.callLater(STORE_TIMEOUT, settle, NOTHING_YET)
        self._service.chat.store.size().addCallbacks(
            lambda size: settle(str(size)), lambda failure: settle(NOTHING_YET)
        )
        return answer
