"""
What the server tells about order being kept: ranks given, modes changed,
kicks, bans and mutes and their lists, invitations, and what only server
operators send or are told (announcements, the audit log, the server's
figures).  They are events like those of L{twisted_chat.chat.events}, kept
apart so that each module holds one part of the vocabulary.
"""

from dataclasses import dataclass

from twisted_chat.chat.events import Event


@dataclass(frozen=True, slots=True)
class RankChanged(Event):
    """
    C{by} gave C{nick} a rank in a room (C{founder}, C{operator},
    C{voice} or C{member}: see L{twisted_chat.chat.modes.RANK_NAMES}).

    @ivar previous: the rank C{nick} held until now, in the same words: IRC
        tells a change of rank as the modes taken away and given
        (C{-v+o}), which the new rank alone does not say.
    """

    room: str
    nick: str
    rank: str
    by: str
    time: int
    previous: str = "member"


@dataclass(frozen=True, slots=True)
class ModesChanged(Event):
    """
    C{by} changed how a room is run: C{modes} as IRC writes them
    (C{+mk-i secret}; see L{twisted_chat.chat.modes.SETTING_LETTERS}).
    """

    room: str
    by: str
    time: int
    modes: str


@dataclass(frozen=True, slots=True)
class RoomModes(Event):
    """
    How a room is run, when asked: C{modes} as IRC's 324 writes them, and
    when the room was made.
    """

    room: str
    modes: str
    created: int


@dataclass(frozen=True, slots=True)
class Kicked(Event):
    """C{by} put C{nick} (maybe you) out of a room."""

    room: str
    nick: str
    by: str
    time: int
    reason: str


@dataclass(frozen=True, slots=True)
class BanChanged(Event):
    """
    C{by} set (C{added}) or lifted a ban or mute (C{kind}) on C{mask}, in a
    room or, with C{room} C{*}, server-wide.

    @ivar expires: when it lapses, in milliseconds since the epoch, or
        L{None} for never.
    """

    room: str
    by: str
    time: int
    kind: str
    mask: str
    added: bool
    expires: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class BanListEntry(Event):
    """One ban or mute of a room (or C{*}, the server), when asked."""

    room: str
    kind: str
    mask: str
    setBy: str
    setAt: int
    expires: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class BanListEnd(Event):
    """The end of a room's bans or mutes."""

    room: str
    kind: str
    count: int


@dataclass(frozen=True, slots=True)
class Invited(Event):
    """C{by} invited C{nick} (maybe you) to a room."""

    room: str
    nick: str
    by: str
    time: int


@dataclass(frozen=True, slots=True)
class Announcement(Event):
    """A server operator's notice to everyone on the server."""

    by: str
    time: int
    text: str


@dataclass(frozen=True, slots=True)
class AuditLine(Event):
    """
    One entry of the audit log, when a server operator or a founder asks;
    C{room} is C{*} for server-wide actions.
    """

    id: int
    time: int
    actor: str
    action: str
    room: str
    target: str
    reason: str


@dataclass(frozen=True, slots=True)
class AuditEnd(Event):
    """
    The end of a page of the audit log; C{/audit ... before ID} with the
    lowest C{id} shown pages back.
    """

    count: int


@dataclass(frozen=True, slots=True)
class Statistic(Event):
    """
    One figure about the server's running, when a server operator asks
    (C{/stats}): its name says its unit, its value is a decimal number, or
    C{-} while there is nothing to measure.
    """

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class StatisticsEnd(Event):
    """The end of the figures C{/stats} sent, with their count."""

    count: int
