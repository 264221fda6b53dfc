"""
What members say beside their messages: that they are away, the name they
give themselves, the account they logged in to, client-only tags (a
typing notice, a reaction) and messages to a room's ranks only; and who
watches which nick (L{twisted_chat.chat.watch}).

Each is told to those who share a room with the member and to those who
watch its nick and asked to hear of its changes; none is stored.  A front
end shows what it can: IRC as IRCv3's C{away-notify}, C{setname},
C{account-notify}, C{TAGMSG}, C{STATUSMSG} and C{MONITOR}.
"""

from collections.abc import Callable

from twisted_chat.chat.events import (
    AccountChanged,
    AwayChanged,
    Event,
    RealnameChanged,
    StatusMessage,
    TagMessage,
)
from twisted_chat.chat.members import NickRegistry
from twisted_chat.chat.model import Member, Room, audienceOf
from twisted_chat.chat.modes import RANK_NAMES, Rank
from twisted_chat.chat.names import fold, isRoomName
from twisted_chat.chat.participants import fanOut
from twisted_chat.chat.rooms import roomOf
from twisted_chat.chat.textrules import checkText
from twisted_chat.chat.watch import Watchers


class Asides:
    """
    Away, real names, accounts, tags and rank messages, for one chat.

    @ivar watchers: who watches which nick.
    """

    def __init__(
        self,
        nicks: NickRegistry,
        now: Callable[[], int],
        roomToSpeakIn: Callable[[Member, str], Room],
    ) -> None:
        self._nicks = nicks
        self._now = now
        self._roomToSpeakIn = roomToSpeakIn
        self.watchers: Watchers = nicks.watchers

    def _tell(self, member: Member, event: Event, itself: bool = False) -> None:
        """
        Tell C{event}, a change of C{member}'s, to those who share a room
        with it (and to itself, if C{itself}) and to the watchers of its
        nick that asked to hear of its changes.
        """
        audience = audienceOf(member)
        if not itself:
            audience.pop(member, None)
        audience.update(
            dict.fromkeys(self.watchers.watchersOf(member.nick, extendedOnly=True))
        )
        fanOut(event, list(audience))

    def setAway(self, member: Member, reason: str | None) -> None:
        """
        Mark C{member} away, with why, or back (C{reason} L{None} or empty),
        and tell the others if that changed.

        @raise twisted_chat.chat.errors.ChatError: if C{reason} holds a
            character text may not.
        """
        away = checkText(reason, "An away message") if reason else None
        if away == member.away:
            return
        member.away = away
        self._tell(member, AwayChanged(member.nick, self._now(), away or ""))

    def setRealname(self, member: Member, realname: str, tell: bool = True) -> None:
        """
        Give C{member} the real name C{realname}, and tell it and the others
        if that changed and C{tell} (not as it arrives: nobody knew the old).
        """
        checkText(realname, "A real name")
        if realname == member.realname:
            return
        member.realname = realname
        if not tell:
            return
        event = RealnameChanged(member.nick, self._now(), realname)
        self._tell(member, event, itself=True)

    def loggedIn(self, member: Member) -> None:
        """Tell the others that C{member} is now logged in to its account."""
        if member.account is not None:
            event = AccountChanged(member.nick, member.account, self._now())
            self._tell(member, event)

    def tagMessage(self, member: Member, target: str, tags: str) -> None:
        """
        Deliver client-only C{tags} from C{member} to one of its rooms
        (everyone in it, the sender included) or to the member called
        C{target} and a copy to the sender; a nick not here gets nothing.

        @raise twisted_chat.chat.errors.ChatError: if C{member} may not
            speak in the room.
        """
        if isRoomName(target):
            room = self._roomToSpeakIn(member, target)
            event = TagMessage(
                room.name, self._now(), member.nick, tags, member.account
            )
            fanOut(event, list(dict.fromkeys([*room.members, member])))
            return
        recipient = self._nicks.named(target)
        event = TagMessage(
            recipient.nick, self._now(), member.nick, tags, member.account
        )
        fanOut(event, list(dict.fromkeys([recipient, member])))

    def statusMessage(
        self, member: Member, roomName: str, rank: Rank, text: str, notice: bool
    ) -> None:
        """
        Deliver C{text} from C{member} to those of its room who hold C{rank}
        or higher, and a copy to the sender.

        @raise twisted_chat.chat.errors.ChatError: if C{member} is not in
            the room (a message to a room's ranks is from one of its own),
            or may not speak there.
        """
        checkText(text)
        room = roomOf(member, roomName)
        if room.restricted:
            self._roomToSpeakIn(member, roomName)  # mutes and moderation
        event = StatusMessage(
            room.name, RANK_NAMES[rank], self._now(), member.nick, text, notice,
            member.account,
        )  # fmt: skip
        reached = [m for m, place in room.members.items() if place.rank >= rank]
        fanOut(event, list(dict.fromkeys([*reached, member])))

    def watch(self, member: Member, nicks: list[str]) -> list[Member | str]:
        """
        Add C{nicks} to what C{member} watches, and return, for each, the
        member present under it or the nick itself.  The front end bounds
        how many one watches (IRC's C{MONITOR=}).
        """
        found: list[Member | str] = []
        for nick in nicks:
            self.watchers.watch(member, nick)
            present = self._nicks.members.get(fold(nick))
            found.append(present if present is not None else nick)
        return found

    def watching(self, member: Member, extended: bool) -> None:
        """Say whether C{member} hears of the changes of those it watches."""
        if extended:
            self.watchers.extended.add(member)
        else:
            self.watchers.extended.discard(member)
