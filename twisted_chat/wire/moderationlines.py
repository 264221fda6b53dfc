"""
The line protocol's commands that keep order (issue 14), read from what a
person types: room operators' (C{/op}, C{/kick}, C{/ban}, C{/mode}, ...)
and server operators' (C{/kill}, C{/sban}, ...).  L{MODERATION_PARSERS}
joins L{twisted_chat.wire.line}'s table of parsers.

Where C{[#room]} is left out, the command's room is L{None}: the member's
current one.
"""

import re
from collections.abc import Callable
from typing import Final

from twisted_chat.chat.commands import Command, Kick
from twisted_chat.chat.errors import BadArguments
from twisted_chat.chat.moderationcommands import (
    AddBan,
    Announce,
    Audit,
    Claim,
    Handover,
    Invite,
    Kill,
    LiftBan,
    ListBans,
    Mode,
    Oper,
    ServerBan,
    ServerBans,
    ServerUnban,
    SetRank,
    Stats,
    Suspend,
    Unclaim,
)
from twisted_chat.chat.modes import BAN, MUTE, parseModes
from twisted_chat.limits import BAN_DURATION_MAX
from twisted_chat.wire.arguments import (
    MAX_SEQUENCE,
    count,
    optionalRoomAndText,
    roomWord,
    usage,
    words,
)


def _roomAnd(
    name: str, rest: str, required: int, optional: int = 0
) -> tuple[str | None, list[str]]:
    """C{[#room] WORD...}: the room (or L{None}) and the words after it."""
    room, text = optionalRoomAndText(rest)
    return room, words(name, text, required, optional)


def _roomAndReason(name: str, rest: str) -> tuple[str | None, str, str]:
    """C{[#room] WORD [reason]}."""
    room, text = optionalRoomAndText(rest)
    word, _, reason = text.partition(" ")
    if not word:
        raise usage(name)
    return room, word, reason.strip()


_DURATION = re.compile(r"([1-9][0-9]{0,6})([smhd])", re.ASCII)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LIKE_A_DURATION = re.compile(r"[-+]?[0-9][0-9.,]*[A-Za-z]*", re.ASCII)
"""A word meant as a duration, right or not: a typo must not ban for good."""


def _durationAndReason(name: str, rest: str) -> tuple[int | None, str]:
    """C{[DURATION] [reason]}: a duration is a number and s, m, h or d."""
    word, _, reason = rest.partition(" ")
    duration = _DURATION.fullmatch(word)
    if duration is None:
        if _LIKE_A_DURATION.fullmatch(word):
            raise BadArguments(
                f"{word!r} is no duration: a whole number and s, m, h or d"
                " (30s, 10m, 2h, 7d); leave it out for good."
            )
        return None, rest
    seconds = int(duration[1]) * _SECONDS[duration[2]]
    if seconds > BAN_DURATION_MAX:
        raise BadArguments(
            f"A ban is for at most {BAN_DURATION_MAX // 86400}d; leave out the"
            " duration for good."
        )
    return seconds, reason.strip()


_RANK_COMMANDS: Final = {
    "op": ("o", True),
    "deop": ("o", False),
    "voice": ("v", True),
    "devoice": ("v", False),
}


def _parseSetRank(name: str, rest: str) -> Command:
    room, (nick,) = _roomAnd(name, rest, 1)
    return SetRank(room, nick, *_RANK_COMMANDS[name])


def _parseHandover(name: str, rest: str) -> Command:
    room, (nick,) = _roomAnd(name, rest, 1)
    return Handover(room, nick)


def _parseKick(name: str, rest: str) -> Command:
    return Kick(*_roomAndReason(name, rest))


def _parseBan(name: str, rest: str) -> Command:
    room, mask, more = _roomAndReason(name, rest)
    return AddBan(
        BAN if name == "ban" else MUTE, room, mask, *_durationAndReason(name, more)
    )


def _parseUnban(name: str, rest: str) -> Command:
    room, (mask,) = _roomAnd(name, rest, 1)
    return LiftBan(BAN if name == "unban" else MUTE, room, mask)


def _parseBans(name: str, rest: str) -> Command:
    room, _ = _roomAnd(name, rest, 0)
    return ListBans(room)


def _parseInvite(name: str, rest: str) -> Command:
    nick, *room = words(name, rest, 1, 1)
    return Invite(nick, roomWord(room[0]) if room else None)


def _parseMode(name: str, rest: str) -> Command:
    room, changes = _roomAnd(name, rest, 0, len(rest))
    if not changes:
        return Mode(room, ())
    if changes[0][:1] not in ("+", "-"):
        raise usage(name)
    return Mode(room, tuple(parseModes(changes[0], changes[1:])))


def _parseClaim(name: str, rest: str) -> Command:
    room, _ = _roomAnd(name, rest, 0)
    return Claim(room) if name == "claim" else Unclaim(room)


def _parseAudit(name: str, rest: str) -> Command:
    room, before = _roomAnd(name, rest, 0, 2)
    if not before:
        return Audit(room, None)
    if len(before) != 2 or before[0].lower() != "before":
        raise usage(name)
    return Audit(room, count(name, before[1], MAX_SEQUENCE))


def _parseKill(name: str, rest: str) -> Command:
    nick, _, reason = rest.partition(" ")
    if not nick:
        raise usage(name)
    return Kill(nick, reason.strip())


def _parseSuspend(name: str, rest: str) -> Command:
    account, _, reason = rest.partition(" ")
    if not account or (name == "unsuspend" and reason.strip()):
        raise usage(name)
    return Suspend(account, name == "suspend", reason.strip())


def _parseServerBan(name: str, rest: str) -> Command:
    mask, _, more = rest.partition(" ")
    if not mask:
        raise usage(name)
    return ServerBan(mask, *_durationAndReason(name, more.strip()))


def _parseServerUnban(name: str, rest: str) -> Command:
    return ServerUnban(*words(name, rest, 1, 0))


def _parseServerBans(name: str, rest: str) -> Command:
    words(name, rest, 0, 0)
    return ServerBans()


def _parseStats(name: str, rest: str) -> Command:
    words(name, rest, 0, 0)
    return Stats()


def _parseAnnounce(name: str, rest: str) -> Command:
    if not rest:
        raise usage(name)
    return Announce(rest)


def _parseOper(name: str, rest: str) -> Command:
    (account,) = words(name, rest, 1, 0)
    return Oper(account, name == "oper")


MODERATION_PARSERS: Final[dict[str, Callable[[str, str], Command]]] = {
    **dict.fromkeys(_RANK_COMMANDS, _parseSetRank),
    "handover": _parseHandover,
    "kick": _parseKick,
    "ban": _parseBan,
    "mute": _parseBan,
    "unban": _parseUnban,
    "unmute": _parseUnban,
    "bans": _parseBans,
    "invite": _parseInvite,
    "mode": _parseMode,
    "claim": _parseClaim,
    "unclaim": _parseClaim,
    "audit": _parseAudit,
    "kill": _parseKill,
    "suspend": _parseSuspend,
    "unsuspend": _parseSuspend,
    "sban": _parseServerBan,
    "unsban": _parseServerUnban,
    "sbans": _parseServerBans,
    "stats": _parseStats,
    "announce": _parseAnnounce,
    "oper": _parseOper,
    "deoper": _parseOper,
}
"""The parser of each command that keeps order, by name."""
