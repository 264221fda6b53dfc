"""
The rules for nicks and room names, shared by every front end.

Names are ASCII so that IRC clients (CASEMAPPING=ascii) and line-protocol
clients agree on what is the same name: two names are the same when their
ASCII lower-case forms are equal, and L{fold} gives that form.  The rules are
written down in docs/PROTOCOL.md; change both together.
"""

import re
from typing import Final

from twisted_chat.chat.errors import InvalidNick, InvalidRoomName, ReservedNick
from twisted_chat.limits import NICK_MAX_LENGTH, ROOM_NAME_MAX_LENGTH

_NICK_SPECIALS = r"_\[\]\\`^{|}"
_NICK_PATTERN: Final = re.compile(
    rf"[A-Za-z{_NICK_SPECIALS}][A-Za-z0-9\-{_NICK_SPECIALS}]{{0,{NICK_MAX_LENGTH - 1}}}",
    re.ASCII,
)
_ROOM_PATTERN: Final = re.compile(
    rf"#[A-Za-z0-9\-_.]{{1,{ROOM_NAME_MAX_LENGTH - 1}}}", re.ASCII
)

RESERVED_NICKS: Final = frozenset(
    {
        "server",
        "system",
        "admin",
        "administrator",
        "root",
        "operator",
        "oper",
        "services",
        "nickserv",
        "chanserv",
        "memoserv",
        "everyone",
    }
)
"""Nicks that would let someone pass for the server or its staff."""

OPERATOR_NICK: Final = "server"
"""The reserved nick of the operator typing at the server's console."""

GUEST_PREFIX: Final = "guest"
"""Nicks given to new connections are this prefix and a number."""


def fold(name: str) -> str:
    """
    Return the form under which two names are the same (ASCII lower case):
    C{name} itself if it is in that form already, so that a lower-case
    nick and the key it is known by are one string, not two.
    """
    folded = name.lower()
    return name if folded == name else folded


def checkNick(nick: str, *, allowReserved: bool = False) -> str:
    """
    Return C{nick} if it may be used, or raise why it may not.

    @param allowReserved: whether the caller is the operator, who may use the
        reserved nicks.
    @raise InvalidNick: if it breaks the character or length rules.
    @raise ReservedNick: if it is reserved and C{allowReserved} is false.
    """
    if _NICK_PATTERN.fullmatch(nick) is None:
        raise InvalidNick(
            f"A nick is 1 to {NICK_MAX_LENGTH} characters: letters, digits and"
            " - _ [ ] \\ ` ^ { | }, not starting with a digit or -."
        )
    if not allowReserved and fold(nick) in RESERVED_NICKS:
        raise ReservedNick(f"The nick {nick} is reserved; choose another.")
    return nick


def checkRoomName(name: str) -> str:
    """
    Return C{name} if it is a valid room name, or raise L{InvalidRoomName}.
    """
    if _ROOM_PATTERN.fullmatch(name) is None:
        raise InvalidRoomName(
            f"A room name is # and then 1 to {ROOM_NAME_MAX_LENGTH - 1}"
            " letters, digits, -, _ or ."
        )
    return name


def isRoomName(word: str) -> bool:
    """
    Tell whether a command argument names a room rather than a nick or text.
    """
    return word.startswith("#")
