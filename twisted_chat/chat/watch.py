"""
Who watches which nicks: a member may ask to be told when a nick comes and
goes (IRC's C{MONITOR}), and, if it asks for more, when that nick's away
message, account or real name changes (C{extended-monitor}).

The registry is the core's, so that a front end learns of a nick's coming
and going from an event delivered to it (L{Presence}) rather than by
reading the chat while it fans out.  Each watcher's list is bounded by
the caller.
"""

from dataclasses import dataclass

from twisted_chat.chat.events import Event
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.chat.participants import fanOut


@dataclass(frozen=True, slots=True)
class Presence(Event):
    """
    A nick you watch came (C{here}) or went.  Only IRC watches nicks: the
    line protocol has no way to ask, so this event has no line of its own.

    @ivar account: the account the member called C{nick} is logged in to.
    """

    nick: str
    here: bool
    account: str | None = None


class Watchers:
    """
    The nicks each member watches, and the watchers of each nick.

    @ivar extended: the members that also want to hear of the changes of
        the nicks they watch (away, account, real name), not only their
        coming and going.
    """

    def __init__(self) -> None:
        self._watchers: dict[str, dict[Member, None]] = {}
        self._watched: dict[Member, dict[str, str]] = {}
        self.extended: set[Member] = set()

    def watch(self, member: Member, nick: str) -> None:
        """Add C{nick} to what C{member} watches."""
        folded = fold(nick)
        self._watched.setdefault(member, {})[folded] = nick
        self._watchers.setdefault(folded, {})[member] = None

    def unwatch(self, member: Member, nick: str) -> None:
        """Take C{nick} off what C{member} watches."""
        folded = fold(nick)
        self._watched.get(member, {}).pop(folded, None)
        watchers = self._watchers.get(folded)
        if watchers is not None:
            watchers.pop(member, None)
            if not watchers:
                del self._watchers[folded]

    def clear(self, member: Member) -> None:
        """Forget all C{member} watches: it asked, or it has left."""
        for folded in list(self._watched.get(member, {})):
            self.unwatch(member, folded)
        self._watched.pop(member, None)
        self.extended.discard(member)

    def watchedBy(self, member: Member) -> list[str]:
        """The nicks C{member} watches, as it spelt them."""
        return list(self._watched.get(member, {}).values())

    def count(self, member: Member) -> int:
        """How many nicks C{member} watches."""
        return len(self._watched.get(member, {}))

    def watchersOf(self, nick: str, extendedOnly: bool = False) -> list[Member]:
        """
        The members watching C{nick}; with C{extendedOnly}, those of them
        that want to hear of its changes too.
        """
        watchers = self._watchers.get(fold(nick))
        if not watchers:
            return []
        if extendedOnly:
            return [member for member in watchers if member in self.extended]
        return list(watchers)

    def tell(self, nick: str, here: bool, account: str | None = None) -> None:
        """Tell the watchers of C{nick} that it came or went."""
        watchers = self._watchers.get(fold(nick))
        if watchers:
            fanOut(Presence(nick, here, account), list(watchers))
