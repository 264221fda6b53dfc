"""
What moderation keeps: ranks in a room, a room's settings, bans and mutes,
and the audit log's entries.

These are plain records: the store keeps them
(L{twisted_chat.store.IChatStore}) and the core's rules
(L{twisted_chat.chat.moderation}) read and replace them.  A room's settings
are one frozen value, replaced whole, so a change is one store write and
never half-applied.
"""

from dataclasses import dataclass
from enum import IntEnum
from typing import Final


class Rank(IntEnum):
    """
    A member's standing in one room, each including the powers below it
    (as ergo's and InspIRCd's C{~ @ +}).

    A founder owns the room for good (stored with the account); an operator
    keeps order; voice may speak in a moderated room.
    """

    MEMBER = 0
    VOICE = 1
    OPERATOR = 2
    FOUNDER = 3


RANK_NAMES: Final = {
    Rank.MEMBER: "member",
    Rank.VOICE: "voice",
    Rank.OPERATOR: "operator",
    Rank.FOUNDER: "founder",
}
"""The words for ranks on the line protocol."""


@dataclass(frozen=True, slots=True)
class RoomSettings:
    """
    How a room is run (IRC's channel modes C{t m i k l s n} and C{R}).

    @ivar topicLock: only operators set the topic (C{+t}).
    @ivar moderated: only voice and above speak (C{+m}).
    @ivar inviteOnly: only those invited join (C{+i}).
    @ivar key: the password to join (C{+k}), or L{None}.
    @ivar limit: the most members the room takes (C{+l}), or L{None}.
    @ivar secret: left out of the room list for non-members (C{+s}).
    @ivar noOutside: only members may speak in it (C{+n}).
    @ivar registeredOnly: only logged-in users join (C{+R}).
    """

    topicLock: bool = True
    moderated: bool = False
    inviteOnly: bool = False
    key: str | None = None
    limit: int | None = None
    secret: bool = False
    noOutside: bool = True
    registeredOnly: bool = False


BAN: Final = "ban"
MUTE: Final = "mute"


@dataclass(frozen=True, slots=True)
class Ban:
    """
    A ban (may not join; removed if present) or a mute (may read, not speak),
    in one room or, for address bans by server operators, server-wide.

    @ivar mask: whom it matches, as L{twisted_chat.chat.masks.parseMask}
        reads it: a nick pattern, C{account:NAME}, an address or CIDR range,
        or IRC's C{nick!user@host}.
    @ivar kind: L{BAN} or L{MUTE}.
    @ivar setBy: the nick of who set it.
    @ivar setAt: when, in milliseconds since the epoch.
    @ivar expires: when it lapses, in milliseconds since the epoch, or
        L{None} for never.
    """

    mask: str
    kind: str
    setBy: str
    setAt: int
    expires: int | None = None
    reason: str = ""

    def activeAt(self, now: int) -> bool:
        """Whether the ban still holds at C{now}."""
        return self.expires is None or now < self.expires


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """
    One moderation action, as the audit log keeps it.

    @ivar id: the store's number for it, rising; 0 until stored.
    @ivar time: when, in milliseconds since the epoch.
    @ivar actor: the nick of who did it (C{server} for the console).
    @ivar action: what, one word (C{kick}, C{ban}, C{op}, C{mode}, ...).
    @ivar room: the room it was done in, or L{None} for server-wide actions.
    @ivar target: on whom or what (a nick, a mask, a mode change).
    """

    time: int
    actor: str
    action: str
    room: str | None
    target: str
    reason: str = ""
    id: int = 0
