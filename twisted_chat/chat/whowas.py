"""
Who used a nick before: a bounded history of the nicks members left behind,
by quitting or by changing nick, newest first, for IRC's C{WHOWAS}.

It keeps at most L{WHOWAS_MAX} departures, forgetting the oldest first, so
a stream of guests coming and going costs a fixed amount of memory.  It
keeps no address: only what C{WHOIS} showed of the member while it was
here.
"""

from collections import deque
from dataclasses import dataclass

from twisted_chat.chat.names import fold
from twisted_chat.limits import WHOWAS_MAX


@dataclass(frozen=True, slots=True)
class Departure:
    """
    One nick a member left behind.

    @ivar nick: the nick, as it was spelt.
    @ivar userName: the user name an IRC client gave, or L{None}.
    @ivar realName: the real name an IRC client gave, or L{None}.
    @ivar time: when it was left, in milliseconds since the epoch.
    """

    nick: str
    userName: str | None
    realName: str | None
    time: int


class WhoWas:
    """
    The most recent departures, at most C{maximum} of them.
    """

    def __init__(self, maximum: int = WHOWAS_MAX) -> None:
        self._departures: deque[Departure] = deque(maxlen=maximum)

    def __len__(self) -> int:
        return len(self._departures)

    def record(self, departure: Departure) -> None:
        """Remember C{departure}, forgetting the oldest if full."""
        self._departures.append(departure)

    def lookup(self, nick: str, count: int | None = None) -> list[Departure]:
        """
        The departures of C{nick} (compared as names are), newest first, at
        most C{count} of them if given.
        """
        folded = fold(nick)
        found = []
        for departure in reversed(self._departures):
            if fold(departure.nick) == folded:
                found.append(departure)
                if count is not None and len(found) >= count:
                    break
        return found
