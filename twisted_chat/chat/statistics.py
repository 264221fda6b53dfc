"""
A server operator's C{/stats}: figures about the server's running, one
event each, then the end.

The core knows only its own part of them (the members here, the rooms in
use).  Connections per front end, the store's size, its commit times,
slow readers and the messages of the last minute and hour are known to the
running server (L{twisted_chat.app.statistics}), which gives the core a
L{Figures} source in place of L{coreFigures} as it starts; the core checks
who asks and sends the answer, so every front end shows the same figures.

Each figure has a name that says its unit (C{uptime-seconds},
C{store-bytes}, C{commit-p99-ms}) and a decimal value, or C{-} while there
is nothing to measure; docs/PROTOCOL.md lists them.
"""

from collections.abc import Callable
from typing import Final

from twisted.internet.defer import Deferred, succeed

from twisted_chat.chat.model import Member
from twisted_chat.chat.orderevents import Statistic, StatisticsEnd
from twisted_chat.chat.participants import deliverTo
from twisted_chat.chat.serverops import ServerOperators

Figures = Callable[[], Deferred[list[Statistic]]]
"""What the server's figures are read from, as they are now."""

NOTHING_YET: Final = "-"
"""The value of a figure with nothing to measure yet."""

UPTIME: Final = "uptime-seconds"
"""The name of the figure that says how long the server has run."""


def membersHere(members: list[Member]) -> int:
    """How many of C{members} are connected here, not to another node."""
    return sum(member.node is None for member in members)


def roomsInUse(members: list[Member]) -> int:
    """How many rooms the C{members} are in between them."""
    return len({room for member in members for room in member.rooms})


def coreFigures(members: Callable[[], list[Member]]) -> Figures:
    """
    The figures the core knows by itself: the members connected here and
    the rooms someone is in.
    """

    def read() -> Deferred[list[Statistic]]:
        everyone = members()
        return succeed(
            [
                Statistic("members", str(membersHere(everyone))),
                Statistic("rooms", str(roomsInUse(everyone))),
            ]
        )

    return read


class ServerStatistics:
    """
    Answers C{/stats} for server operators.

    @ivar figures: where the figures are read; the app layer gives the
        running server's.
    """

    def __init__(self, operators: ServerOperators, figures: Figures) -> None:
        self._operators = operators
        self.figures = figures

    def read(self, asker: Member) -> Deferred[list[Statistic]]:
        """
        The figures, for a server operator.

        @raise twisted_chat.chat.errors.NotServerOperator: for anyone else.
        """
        self._operators.require(asker, "read the server's statistics")
        return self.figures()

    def tell(self, asker: Member) -> Deferred[None]:
        """Send a server operator every figure, then their count."""

        def send(figures: list[Statistic]) -> None:
            for figure in figures:
                deliverTo(asker, figure)
            deliverTo(asker, StatisticsEnd(len(figures)))

        return self.read(asker).addCallback(send)
