"""
What moderation keeps: ranks in a room, a room's settings, bans and mutes,
and the audit log's entries.

These are plain records: the store keeps them
(L{twisted_chat.store.IChatStore}) and the core's rules
(L{twisted_chat.chat.moderation}) read and replace them.  A room's settings
are one frozen value, replaced whole, so a change is one store write and
never half-applied.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any, Final

from twisted_chat.chat.errors import BadArguments, UnknownMode
from twisted_chat.chat.textrules import forbiddenCharacter


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

    @classmethod
    def made(
        cls,
        mask: str,
        kind: str,
        setBy: str,
        now: int,
        duration: float | None,
        reason: str,
    ) -> "Ban":
        """
        A ban set by C{setBy} at C{now} for C{duration} seconds, or for good
        if L{None}; C{reason} as given (cleaned by the caller).
        """
        expires = None if duration is None else now + int(duration * 1000)
        return cls(mask, kind, setBy, now, expires, reason)

    def activeAt(self, now: int) -> bool:
        """Whether the ban still holds at C{now}."""
        return self.expires is None or now < self.expires


def activeBans(
    bans: Iterable[Ban], kind: str, now: int, lapse: Callable[[Ban], None]
) -> list[Ban]:
    """
    The bans of C{kind} among C{bans} that still hold at C{now}; each one
    that has lapsed, of any kind, is handed to C{lapse} to be forgotten.
    """
    active = []
    for ban in list(bans):
        if not ban.activeAt(now):
            lapse(ban)
        elif ban.kind == kind:
            active.append(ban)
    return active


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


SETTING_LETTERS: Final = {
    "t": "topicLock",
    "m": "moderated",
    "i": "inviteOnly",
    "k": "key",
    "l": "limit",
    "s": "secret",
    "n": "noOutside",
    "R": "registeredOnly",
}
"""A room setting for each mode letter, as IRC's channel modes name them."""

RANK_LETTERS: Final = {"q": Rank.FOUNDER, "o": Rank.OPERATOR, "v": Rank.VOICE}
"""Ranks given or taken with a mode letter and a nick."""

LIST_LETTERS: Final = {"b": BAN}
"""List modes: C{+b mask} bans; IRC's C{+b m:mask} mutes (an extban)."""

MUTE_PREFIX: Final = "m:"
"""The prefix of a mute in a C{b} list change, as InspIRCd's extban."""

KEY_MAX_LENGTH: Final = 23
"""Room keys are at most this long, without spaces or commas (IRC's)."""

LIMIT_MAX: Final = 100_000


@dataclass(frozen=True, slots=True)
class ModeChange:
    """
    One change of a C{MODE}-style string: a letter, on or off, and its
    argument (a nick for ranks, a mask for lists, the key, the limit).
    A list letter with no argument asks for the list.
    """

    letter: str
    on: bool
    argument: str | None = None


def parseModes(modes: str, arguments: list[str]) -> list[ModeChange]:
    """
    Read C{+mk-i key}-style changes, taking arguments in order as IRC does:
    ranks, lists and C{k} take one each way, C{l} only when set.

    @raise UnknownMode: for a letter this server has no mode for.
    @raise BadArguments: for a change whose argument is missing.
    """
    changes: list[ModeChange] = []
    waiting = list(arguments)
    on = True
    for letter in modes:
        if letter in "+-":
            on = letter == "+"
            continue
        if letter in LIST_LETTERS:
            changes.append(ModeChange(letter, on, waiting.pop(0) if waiting else None))
        elif letter in RANK_LETTERS or letter == "k" or (letter == "l" and on):
            if not waiting:
                if letter == "k" and not on:
                    changes.append(ModeChange(letter, on))
                    continue
                raise BadArguments(f"Mode {'+-'[not on]}{letter} needs an argument.")
            changes.append(ModeChange(letter, on, waiting.pop(0)))
        elif letter in SETTING_LETTERS:
            changes.append(ModeChange(letter, on))
        else:
            raise UnknownMode(f"There is no mode {letter}; modes are {ROOM_MODES}.")
    return changes


ROOM_MODES: Final = "".join(SETTING_LETTERS) + "".join(RANK_LETTERS) + "b"
"""Every mode letter a room has."""


def describeSettings(settings: RoomSettings, *, showKey: bool) -> str:
    """
    C{settings} as one C{+tnk key}-style string (IRC's 324): the key only
    for those who may see it, C{*} otherwise.
    """
    # Modes without arguments first, then the key and the limit, as IRC
    # servers write them.
    order = sorted(SETTING_LETTERS, key=lambda letter: letter in "kl")
    letters = []
    arguments = []
    for letter in order:
        value = getattr(settings, SETTING_LETTERS[letter])
        if value is None or value is False:
            continue
        letters.append(letter)
        if letter == "k":
            arguments.append(value if showKey else "*")
        elif letter == "l":
            arguments.append(str(value))
    return " ".join(["+" + "".join(letters), *arguments])


def changeSetting(settings: RoomSettings, change: ModeChange) -> RoomSettings:
    """C{settings} with one setting C{change} made, or why it cannot be."""
    name = SETTING_LETTERS[change.letter]
    if change.letter == "k":
        key = change.argument if change.on else None
        if key is not None and (
            not key
            or len(key) > KEY_MAX_LENGTH
            or any(c in key for c in " ,:")
            # Told to every member in MODE lines: no control may ride in it.
            or forbiddenCharacter(key) is not None
        ):
            raise BadArguments(
                f"A key is 1 to {KEY_MAX_LENGTH} characters, without spaces,"
                " commas, colons or control characters."
            )
        return replace(settings, key=key)
    if change.letter == "l":
        if not change.on:
            return replace(settings, limit=None)
        argument = change.argument or ""
        if not (argument.isascii() and argument.isdigit()) or not (
            1 <= int(argument) <= LIMIT_MAX
        ):
            raise BadArguments(f"A member limit is a number from 1 to {LIMIT_MAX}.")
        return replace(settings, limit=int(argument))
    flag: dict[str, Any] = {name: change.on}
    return replace(settings, **flag)


def banKindOf(argument: str) -> tuple[str, str]:
    """IRC's C{m:mask} extban mutes; anything else bans."""
    if argument[:2].lower() == "m:":
        return MUTE, argument[2:]
    return BAN, argument


def modeString(applied: list[str], arguments: list[str]) -> str:
    """C{['+m', '+k', '-i'], ['key']} as C{+mk-i key}."""
    text = ""
    sign = ""
    for change in applied:
        if change[0] != sign:
            sign = change[0]
            text += sign
        text += change[1]
    return " ".join([text, *arguments])
