"""
The codecs of a server line's values: how one value (or a few written
together) is written in a line, and read back.

A server line (L{twisted_chat.wire.linetypes}) is a type word, space-free
parameters and a free text; each parameter and the text is written by one
of these: L{WORD}, L{COUNT}, L{TIME}, L{TEXT}, an optional value
(L{OrNone}, C{*} for none), and two that write several attributes as one
text, a room's nicks with their ranks (L{RANKED_NICKS}) and an audit
entry's target and reason (L{TARGET_AND_REASON}).  Each refuses, with
L{MalformedLine}, a value it cannot write so that it reads back the same.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from twisted_chat.chat.modes import Rank


class MalformedLine(ValueError):
    """A server line that does not follow the protocol."""


class UnknownLineType(MalformedLine):
    """A server line of a type this version does not know; ignore it."""


# The codecs of parameters and text


class Codec:
    """
    How one value is written in a server line, and read back.
    """

    def encode(self, value: Any) -> str:
        raise NotImplementedError

    def decode(self, text: str) -> Any:
        raise NotImplementedError


class _Word(Codec):
    """A name or other space-free word (a nick, a room, an error code)."""

    def encode(self, value: str) -> str:
        return self.decode(value)

    _forbidden = re.compile("[ \r\n\0]")

    def decode(self, text: str) -> str:
        if not text or text[0] == ":" or self._forbidden.search(text):
            raise MalformedLine(f"not a word: {text!r}")
        return text


class _Count(Codec):
    """A non-negative decimal integer."""

    _pattern = re.compile(r"[0-9]{1,19}", re.ASCII)

    def encode(self, value: int) -> str:
        if value < 0:
            raise MalformedLine(f"negative count: {value}")
        return str(value)

    def decode(self, text: str) -> int:
        if self._pattern.fullmatch(text) is None:
            raise MalformedLine(f"not a count: {text!r}")
        return int(text)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)


class _Time(Codec):
    """
    A UTC time in milliseconds, written ISO 8601 (C{2026-11-25T18:20:03.456Z}).
    """

    _pattern = re.compile(
        r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3})Z",
        re.ASCII,
    )

    def __init__(self) -> None:
        self._second = -1
        self._secondText = ""

    def encode(self, value: int) -> str:
        second, milliseconds = divmod(value, 1000)
        if second != self._second:
            # Messages come many to a second: format each second once.
            moment = _EPOCH + second * timedelta(seconds=1)
            self._secondText = f"{moment:%Y-%m-%dT%H:%M:%S}"
            self._second = second
        return f"{self._secondText}.{milliseconds:03d}Z"

    def decode(self, text: str) -> int:
        match = self._pattern.fullmatch(text)
        if match is None:
            raise MalformedLine(f"not a time: {text!r}")
        year, month, day, hour, minute, second, milliseconds = map(int, match.groups())
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError as error:
            raise MalformedLine(f"not a time: {text!r}") from error
        return (moment - _EPOCH) // _MILLISECOND + milliseconds


class OrNone(Codec):
    """A value or its absence, written C{*}."""

    def __init__(self, codec: Codec) -> None:
        self._codec = codec

    def encode(self, value: object) -> str:
        return "*" if value is None else self._codec.encode(value)

    def decode(self, text: str) -> object:
        return None if text == "*" else self._codec.decode(text)


class _Text(Codec):
    """Free text, after the parameters; anything but a line ending or NUL."""

    def encode(self, value: str) -> str:
        return self.decode(value)

    _forbidden = re.compile("[\r\n\0]")

    def decode(self, text: str) -> str:
        if self._forbidden.search(text):
            raise MalformedLine("text holds a line ending or NUL")
        return text


class _RankedNicks(Codec):
    """
    A room's nicks with their ranks, as the text: each nick after its
    rank's prefix (L{RANK_PREFIXES}), none for a plain member.  Nicks never
    start with a prefix, so the two cannot be confused.
    """

    def encode(self, value: tuple[tuple[str, ...], tuple[int, ...]]) -> str:
        nicks, ranks = value
        if len(nicks) != len(ranks):
            raise MalformedLine(f"{len(nicks)} nicks but {len(ranks)} ranks")
        words = []
        for nick, rank in zip(nicks, ranks, strict=True):
            if nick[:1] in _RANK_OF_PREFIX:
                raise MalformedLine(f"a nick starting with a rank prefix: {nick!r}")
            try:
                prefix = RANK_PREFIXES[Rank(rank)]
            except ValueError:
                raise MalformedLine(f"no such rank: {rank!r}") from None
            words.append(prefix + WORD.encode(nick))
        return " ".join(words)

    def decode(self, text: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        nicks: list[str] = []
        ranks: list[int] = []
        for word in text.split(" ") if text else ():
            rank = _RANK_OF_PREFIX.get(word[:1], Rank.MEMBER)
            nick = WORD.decode(word[1:] if rank else word)
            if nick[0] in _RANK_OF_PREFIX:
                raise MalformedLine(f"not a ranked nick: {word!r}")
            nicks.append(nick)
            ranks.append(int(rank))
        return tuple(nicks), tuple(ranks)


RANK_PREFIXES: Final = {
    Rank.FOUNDER: "~",
    Rank.OPERATOR: "@",
    Rank.VOICE: "+",
    Rank.MEMBER: "",
}
"""How a member list marks each rank before a nick (IRC's C{PREFIX})."""

_RANK_OF_PREFIX: Final = {
    prefix: rank for rank, prefix in RANK_PREFIXES.items() if prefix
}


class _TargetAndReason(Codec):
    """
    An audit entry's target and reason, as the text C{target :reason}: a
    target may hold spaces (a mode change with its key), never C{" :"}.
    """

    def encode(self, value: tuple[str, str]) -> str:
        target, reason = value
        if " :" in target:
            raise MalformedLine(f"a target holding ' :': {target!r}")
        return TEXT.encode(f"{target} :{reason}")

    def decode(self, text: str) -> tuple[str, str]:
        target, colon, reason = TEXT.decode(text).partition(" :")
        if not colon:
            raise MalformedLine("an audit line's text needs ' :' after its target")
        return target, reason


WORD: Final = _Word()
COUNT: Final = _Count()
TIME: Final = _Time()
TEXT: Final = _Text()
RANKED_NICKS: Final = _RankedNicks()
TARGET_AND_REASON: Final = _TargetAndReason()
