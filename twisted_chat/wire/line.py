"""
The line protocol as pure functions: bytes in, commands out; events in, bytes out.

Client to server, a line is what a person types (see L{parseCommand}).  Server
to client, a line is C{TYPE param param ... :text}: a type word, fixed
space-free parameters, and for most types a free text after C{" :"}, ended by
CRLF.  L{formatEvent} and L{parseEvent} are exact inverses, table-driven from
L{LINE_TYPES}, so server and client cannot drift apart.  docs/PROTOCOL.md is
the prose form of this module.

Forward compatibility: a client ignores parameters after those it knows and
lines whose type it does not know, so later versions may add both.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from twisted_chat.chat.commands import (
    COMMANDS,
    Act,
    ChangePassword,
    Command,
    Help,
    History,
    Join,
    Kick,
    ListRooms,
    Login,
    Message,
    Part,
    Pong,
    QuitCommand,
    Register,
    Resume,
    Say,
    SetNick,
    Topic,
    Who,
)
from twisted_chat.chat.errors import (
    BadArguments,
    ForbiddenCharacter,
    InvalidEncoding,
    UnknownCommand,
)
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
    Welcome,
)
from twisted_chat.limits import HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX

LINE_END: Final = b"\r\n"

MAX_SEQUENCE: Final = 2**63 - 1
"""Sequence numbers are SQLite integers."""
"""What the server ends its lines with; it accepts LF or CRLF."""

QUIT_WORD: Final = "bye"
"""A line that is exactly this quits, as it did in the seed."""

DEFAULT_QUIT_REASON: Final = "Leaving"


class MalformedLine(ValueError):
    """A server line that does not follow the protocol."""


class UnknownLineType(MalformedLine):
    """A server line of a type this version does not know; ignore it."""


# Client to server


def parseCommand(line: bytes) -> Command | None:
    """
    Read one line a person typed, line ending removed.

    @return: the command, or L{None} for a blank line (which is ignored).
    @raise twisted_chat.chat.errors.ChatError: if the line is not valid UTF-8,
        holds a NUL or a CR, names an unknown command, or misuses one.
    """
    if b"\0" in line or b"\r" in line:
        raise ForbiddenCharacter("A line may not contain NUL or a bare CR.")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEncoding(
            "That line is not valid UTF-8; it was not sent."
        ) from None
    if not text.strip():
        return None
    if text == QUIT_WORD:
        return QuitCommand(QUIT_WORD)
    if not text.startswith("/"):
        return Say(text)
    if text.startswith("//"):
        return Say(text[1:])
    name, _, rest = text[1:].partition(" ")
    parser = _COMMAND_PARSERS.get(name.lower())
    if parser is None:
        raise UnknownCommand(f"Unknown command /{name}; type /help for the list.")
    return parser(name.lower(), rest.strip())


def _usage(name: str) -> BadArguments:
    return BadArguments(f"Usage: {COMMANDS[name].usage}")


def _words(name: str, rest: str, required: int, optional: int) -> list[str]:
    """
    Split C{rest} into C{required} to C{required + optional} words.
    """
    words = rest.split()
    if not required <= len(words) <= required + optional:
        raise _usage(name)
    return words


def _targetAndText(name: str, rest: str) -> tuple[str, str]:
    parts = rest.split(None, 1)
    if len(parts) != 2:
        raise _usage(name)
    return parts[0], parts[1]


def _roomWord(word: str) -> str:
    """Let C{lobby} mean C{#lobby} where only a room can be meant."""
    return word if word.startswith("#") else "#" + word


def _optionalRoomAndText(rest: str) -> tuple[str | None, str]:
    """Split C{[#room] [text]}."""
    if rest.startswith("#"):
        room, _, text = rest.partition(" ")
        return room, text.strip()
    return None, rest


def _parseNick(name: str, rest: str) -> Command:
    return SetNick(*_words(name, rest, 1, 0))


def _parseJoin(name: str, rest: str) -> Command:
    return Join(_roomWord(*_words(name, rest, 1, 0)))


def _parsePart(name: str, rest: str) -> Command:
    return Part(*_optionalRoomAndText(rest))


def _parseMessage(name: str, rest: str) -> Command:
    return Message(*_targetAndText(name, rest))


def _parseAct(name: str, rest: str) -> Command:
    if not rest:
        raise _usage(name)
    return Act(rest)


def _parseWho(name: str, rest: str) -> Command:
    words = _words(name, rest, 0, 1)
    return Who(_roomWord(words[0]) if words else None)


def _parseRooms(name: str, rest: str) -> Command:
    _words(name, rest, 0, 0)
    return ListRooms()


def _parseTopic(name: str, rest: str) -> Command:
    room, text = _optionalRoomAndText(rest)
    return Topic(room, text or None)


def _parseQuit(name: str, rest: str) -> Command:
    return QuitCommand(rest or DEFAULT_QUIT_REASON)


def _parseHelp(name: str, rest: str) -> Command:
    words = _words(name, rest, 0, 1)
    return Help(words[0] if words else None)


def _count(name: str, word: str, maximum: int) -> int:
    if not word.isascii() or not word.isdigit() or len(word) > 18:
        raise _usage(name)
    value = int(word)
    if value > maximum:
        raise BadArguments(f"/{name} takes at most {maximum}.")
    return value


def _parseHistory(name: str, rest: str) -> Command:
    words = rest.split()
    room = words.pop(0) if words and words[0].startswith("#") else None
    before = None
    if words and words[0].lower() == "before":
        if len(words) < 2:
            raise _usage(name)
        before = _count(name, words[1], MAX_SEQUENCE)
        del words[:2]
    if len(words) > 1:
        raise _usage(name)
    limit = _count(name, words[0], HISTORY_PAGE_MAX) if words else HISTORY_PAGE_DEFAULT
    return History(room, before, limit)


def _parseResume(name: str, rest: str) -> Command:
    room, after = _words(name, rest, 2, 0)
    return Resume(_roomWord(room), _count(name, after, MAX_SEQUENCE))


def _parseRegister(name: str, rest: str) -> Command:
    return Register(*_words(name, rest, 1, 0))


def _parseLogin(name: str, rest: str) -> Command:
    return Login(*_words(name, rest, 2, 0))


def _parsePassword(name: str, rest: str) -> Command:
    return ChangePassword(*_words(name, rest, 2, 0))


def _parsePong(name: str, rest: str) -> Command:
    words = _words(name, rest, 0, 1)
    return Pong(words[0] if words else None)


def _parseKick(name: str, rest: str) -> Command:
    nick, _, reason = rest.partition(" ")
    if not nick:
        raise _usage(name)
    return Kick(nick, reason.strip())


_COMMAND_PARSERS: Final[dict[str, Callable[[str, str], Command]]] = {
    "nick": _parseNick,
    "join": _parseJoin,
    "part": _parsePart,
    "msg": _parseMessage,
    "me": _parseAct,
    "who": _parseWho,
    "rooms": _parseRooms,
    "topic": _parseTopic,
    "history": _parseHistory,
    "resume": _parseResume,
    "register": _parseRegister,
    "login": _parseLogin,
    "password": _parsePassword,
    "quit": _parseQuit,
    "help": _parseHelp,
    "pong": _parsePong,
    "kick": _parseKick,
}


def encodeInput(text: str) -> bytes:
    """
    Turn one line a person typed into what the client sends.

    @raise ValueError: if C{text} holds a line ending.
    """
    if "\n" in text or "\r" in text:
        raise ValueError("input lines may not contain line endings")
    return text.encode("utf-8") + LINE_END


# Server to client: the codecs of parameters and text


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
        LineType("ACCOUNT", AccountInfo, (("nick", WORD),), ("text", TEXT)),
        LineType("ERROR", ErrorReply, (("code", WORD),), ("text", TEXT)),
        LineType("BYE", Goodbye, (("kind", WORD),), ("reason", TEXT)),
        LineType("PING", Ping, (("token", WORD),), None),
    ]
}
"""Every server line type, by its type word."""


def _lineTypeOf(event: Event) -> LineType:
    if isinstance(event, RoomMessage):
        return _ROOM_MESSAGE_TYPES[event.action, event.history]
    if isinstance(event, PrivateMessage):
        return LINE_TYPES["OFFLINEMSG" if event.offline else "PRIVMSG"]
    return _LINE_TYPE_BY_EVENT[type(event)]


_ROOM_MESSAGE_TYPES: Final = {
    (False, False): LINE_TYPES["MSG"],
    (True, False): LINE_TYPES["ACTION"],
    (False, True): LINE_TYPES["HISTORY"],
    (True, True): LINE_TYPES["HISTORYACTION"],
}

_LINE_TYPE_BY_EVENT: Final = {
    lineType.event: lineType
    for lineType in LINE_TYPES.values()
    if lineType.event not in (RoomMessage, PrivateMessage)
}


def formatEvent(event: Event) -> bytes:
    """
    Return the server line for C{event}, CRLF included.

    @raise MalformedLine: if a value cannot be written (a name with a space,
        text with a line ending): a bug upstream, never sent half-formed.
    """
    if type(event) is RoomMessage:
        return _formatRoomMessage(event)
    return _lineTypeOf(event).format(event)


def _formatRoomMessage(message: RoomMessage) -> bytes:
    """
    The same line as C{LINE_TYPES["MSG"].format} and its kin, written out
    by hand: room messages are most of what a server sends, and the general
    table walk costs several times as much.  The tests compare the two.
    """
    room = WORD.encode(message.room)
    sender = WORD.encode(message.sender)
    text = TEXT.encode(message.text)
    name = _ROOM_MESSAGE_TYPES[message.action, message.history].name
    time = TIME.encode(message.time)
    return f"{name} {room} {message.sequence} {time} {sender} :{text}\r\n".encode()


def parseEvent(line: bytes) -> Event:
    """
    Read one server line, line ending removed.

    Invalid UTF-8 is replaced rather than refused, so that a person still
    sees what arrived.

    @raise UnknownLineType: for a type this version does not know.
    @raise MalformedLine: for a line that breaks the known type's layout.
    """
    text = line.decode("utf-8", errors="replace")
    head, colon, trailing = text.partition(" :")
    words = head.split(" ")
    lineType = LINE_TYPES.get(words[0])
    if lineType is None:
        raise UnknownLineType(f"unknown line type {words[0]!r}")
    return lineType.parse(words[1:], trailing if colon else None)
