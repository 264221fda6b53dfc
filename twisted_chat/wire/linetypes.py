"""
The server lines' layouts: each type word, the event it carries, and how
that event's attributes are written in the line.

A server line is C{TYPE param param ... :text}: a type word, fixed
space-free parameters, and for most types a free text after C{" :"}, ended by
CRLF.  L{LINE_TYPES} holds every type, built from the codecs of one value
each (L{WORD}, L{COUNT}, L{TIME}, L{TEXT}, L{WORDS}), so that writing a line
and reading it back are one table and cannot drift apart.
L{twisted_chat.wire.line} formats and parses whole lines with it.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from twisted_chat.chat.events import (
    AccountInfo,
    CurrentRoom,
    ErrorReply,
    Event,
    Goodbye,
    HelpText,
    HistoryEnd,
    HistoryGap,
    Joined,
    MemberList,
    NickChanged,
    Notice,
    Parted,
    Ping,
    PrivateMessage,
    Quit,
    RoomListEnd,
    RoomListEntry,
    RoomMessage,
    TopicChanged,
    TopicInfo,
    UserNotice,
    Welcome,
)


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


class _Optional(Codec):
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


class _Words(Codec):
    """A list of words as the text (the nicks of a room)."""

    def encode(self, value: tuple[str, ...]) -> str:
        return " ".join(WORD.encode(word) for word in value)

    def decode(self, text: str) -> tuple[str, ...]:
        return tuple(WORD.decode(word) for word in text.split(" ")) if text else ()


WORD: Final = _Word()
COUNT: Final = _Count()
TIME: Final = _Time()
TEXT: Final = _Text()
WORDS: Final = _Words()


@dataclass(frozen=True)
class LineType:
    """
    One kind of server line: its type word, the event it carries, and how
    that event's attributes are laid out in the line.

    @ivar constants: attributes that the type word itself fixes (C{ACTION}
        is a L{RoomMessage} with C{action=True}).
    """

    name: str
    event: type[Event]
    params: tuple[tuple[str, Codec], ...]
    text: tuple[str, Codec] | None
    constants: Mapping[str, object] = field(default_factory=dict)

    def format(self, event: Event) -> bytes:
        parts = [self.name]
        for name, codec in self.params:
            parts.append(codec.encode(getattr(event, name)))
        if self.text is not None:
            name, codec = self.text
            parts.append(":" + codec.encode(getattr(event, name)))
        return (" ".join(parts) + "\r\n").encode("utf-8")

    def parse(self, params: list[str], text: str | None) -> Event:
        if len(params) < len(self.params):
            raise MalformedLine(f"{self.name} needs {len(self.params)} parameters")
        # Parameters after the known ones are a later version's; ignore them.
        values = {
            name: codec.decode(p)
            for (name, codec), p in zip(self.params, params, strict=False)
        }
        if self.text is not None:
            if text is None:
                raise MalformedLine(f"{self.name} needs a text")
            name, codec = self.text
            values[name] = codec.decode(text)
        return self.event(**values, **self.constants)


_ROOM_MESSAGE: Final = (
    ("room", WORD),
    ("sequence", COUNT),
    ("time", TIME),
    ("sender", WORD),
)
_PRIVATE_MESSAGE: Final = (("sender", WORD), ("recipient", WORD), ("time", TIME))

LINE_TYPES: Final = {
    lineType.name: lineType
    for lineType in [
        LineType("WELCOME", Welcome, (("nick", WORD),), ("text", TEXT)),
        LineType(
            "NICK", NickChanged, (("old", WORD), ("new", WORD), ("time", TIME)), None
        ),
        LineType(
            "JOIN", Joined, (("room", WORD), ("nick", WORD), ("time", TIME)), None
        ),
        LineType(
            "PART",
            Parted,
            (("room", WORD), ("nick", WORD), ("time", TIME)),
            ("reason", TEXT),
        ),
        LineType("QUIT", Quit, (("nick", WORD), ("time", TIME)), ("reason", TEXT)),
        *(
            LineType(name, RoomMessage, _ROOM_MESSAGE, ("text", TEXT), variant)
            for name, variant in [
                ("MSG", {"action": False, "history": False}),
                ("ACTION", {"action": True, "history": False}),
                ("HISTORY", {"action": False, "history": True}),
                ("HISTORYACTION", {"action": True, "history": True}),
            ]
        ),
        LineType(
            "GAP", HistoryGap, (("room", WORD), ("first", COUNT), ("last", COUNT)), None
        ),
        LineType(
            "ENDHISTORY",
            HistoryEnd,
            (("room", WORD), ("count", COUNT), ("through", COUNT), ("kind", WORD)),
            None,
        ),
        *(
            LineType(name, PrivateMessage, _PRIVATE_MESSAGE, ("text", TEXT), variant)
            for name, variant in [
                ("PRIVMSG", {"offline": False}),
                ("OFFLINEMSG", {"offline": True}),
            ]
        ),
        LineType(
            "TOPIC",
            TopicChanged,
            (("room", WORD), ("time", TIME), ("nick", WORD)),
            ("text", TEXT),
        ),
        LineType(
            "TOPICINFO",
            TopicInfo,
            (("room", WORD), ("time", _Optional(TIME)), ("nick", _Optional(WORD))),
            ("text", TEXT),
        ),
        LineType("MEMBERS", MemberList, (("room", WORD),), ("nicks", WORDS)),
        LineType(
            "ROOM",
            RoomListEntry,
            (("room", WORD), ("memberCount", COUNT)),
            ("topic", TEXT),
        ),
        LineType("ENDROOMS", RoomListEnd, (("count", COUNT),), None),
        LineType("CURRENT", CurrentRoom, (("room", _Optional(WORD)),), None),
        LineType("HELP", HelpText, (), ("text", TEXT)),
        LineType("NOTICE", Notice, (), ("text", TEXT)),
        LineType(
            "USERNOTICE",
            UserNotice,
            (("target", WORD), ("time", TIME), ("sender", WORD)),
            ("text", TEXT),
        ),
        LineType("ACCOUNT", AccountInfo, (("nick", WORD),), ("text", TEXT)),
        LineType("ERROR", ErrorReply, (("code", WORD),), ("text", TEXT)),
        LineType("BYE", Goodbye, (("kind", WORD),), ("reason", TEXT)),
        LineType("PING", Ping, (("token", WORD),), None),
    ]
}
"""Every server line type, by its type word."""


def lineTypeOf(event: Event) -> LineType:
    """Return the line type that carries C{event}."""
    if isinstance(event, RoomMessage):
        return ROOM_MESSAGE_TYPES[event.action, event.history]
    if isinstance(event, PrivateMessage):
        return LINE_TYPES["OFFLINEMSG" if event.offline else "PRIVMSG"]
    return _LINE_TYPE_BY_EVENT[type(event)]


ROOM_MESSAGE_TYPES: Final = {
    (False, False): LINE_TYPES["MSG"],
    (True, False): LINE_TYPES["ACTION"],
    (False, True): LINE_TYPES["HISTORY"],
    (True, True): LINE_TYPES["HISTORYACTION"],
}
"""The line type of a room message, by its C{(action, history)}."""

_LINE_TYPE_BY_EVENT: Final = {
    lineType.event: lineType
    for lineType in LINE_TYPES.values()
    if lineType.event not in (RoomMessage, PrivateMessage)
}
