"""
The line protocol as pure functions: bytes in, commands out; events in, bytes out.

Client to server, a line is what a person types (see L{parseCommand}).  Server
to client, a line is C{TYPE param param ... :text} (see
L{twisted_chat.wire.linetypes}, which lays out each type).  L{formatEvent} and
L{parseEvent} are exact inverses, table-driven from
L{twisted_chat.wire.linetypes.LINE_TYPES}, so server and client cannot drift
apart.  docs/PROTOCOL.md is the prose form of this module and that one.

Forward compatibility: a client ignores parameters after those it knows and
lines whose type it does not know, so later versions may add both.
"""

from collections.abc import Callable
from typing import Final

from twisted_chat.chat.certificates import canonicalFingerprint
from twisted_chat.chat.commands import (
    Act,
    Certificates,
    ChangePassword,
    Command,
    Help,
    History,
    Join,
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
    ForbiddenCharacter,
    InvalidEncoding,
    UnknownCommand,
)
from twisted_chat.chat.events import Event, RoomMessage
from twisted_chat.limits import HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX
from twisted_chat.wire.arguments import (
    MAX_SEQUENCE,
    count,
    optionalRoomAndText,
    roomWord,
    usage,
    words,
)
from twisted_chat.wire.codecs import TEXT, TIME, WORD
from twisted_chat.wire.linetypes import (
    LINE_TYPES,
    ROOM_MESSAGE_TYPES,
    UnknownLineType,
    lineTypeOf,
)
from twisted_chat.wire.moderationlines import MODERATION_PARSERS

LINE_END: Final = b"\r\n"
"""What the server ends its lines with; it accepts LF or CRLF."""

QUIT_WORD: Final = "bye"
"""A line that is exactly this quits, as it did in the seed."""

DEFAULT_QUIT_REASON: Final = "Leaving"


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


def _targetAndText(name: str, rest: str) -> tuple[str, str]:
    parts = rest.split(None, 1)
    if len(parts) != 2:
        raise usage(name)
    return parts[0], parts[1]


def _parseNick(name: str, rest: str) -> Command:
    return SetNick(*words(name, rest, 1, 0))


def _parseJoin(name: str, rest: str) -> Command:
    room, *key = words(name, rest, 1, 1)
    return Join(roomWord(room), *key)


def _parsePart(name: str, rest: str) -> Command:
    return Part(*optionalRoomAndText(rest))


def _parseMessage(name: str, rest: str) -> Command:
    return Message(*_targetAndText(name, rest))


def _parseAct(name: str, rest: str) -> Command:
    if not rest:
        raise usage(name)
    return Act(rest)


def _parseWho(name: str, rest: str) -> Command:
    given = words(name, rest, 0, 1)
    return Who(roomWord(given[0]) if given else None)


def _parseRooms(name: str, rest: str) -> Command:
    words(name, rest, 0, 0)
    return ListRooms()


def _parseTopic(name: str, rest: str) -> Command:
    room, text = optionalRoomAndText(rest)
    return Topic(room, text or None)


def _parseQuit(name: str, rest: str) -> Command:
    return QuitCommand(rest or DEFAULT_QUIT_REASON)


def _parseHelp(name: str, rest: str) -> Command:
    given = words(name, rest, 0, 1)
    return Help(given[0] if given else None)


def _parseHistory(name: str, rest: str) -> Command:
    given = rest.split()
    room = given.pop(0) if given and given[0].startswith("#") else None
    before = None
    if given and given[0].lower() == "before":
        if len(given) < 2:
            raise usage(name)
        before = count(name, given[1], MAX_SEQUENCE)
        del given[:2]
    if len(given) > 1:
        raise usage(name)
    limit = count(name, given[0], HISTORY_PAGE_MAX) if given else HISTORY_PAGE_DEFAULT
    return History(room, before, limit)


def _parseResume(name: str, rest: str) -> Command:
    room, after, *key = words(name, rest, 2, 1)
    return Resume(roomWord(room), count(name, after, MAX_SEQUENCE), *key)


def _parseRegister(name: str, rest: str) -> Command:
    return Register(*words(name, rest, 1, 0))


def _parseLogin(name: str, rest: str) -> Command:
    return Login(*words(name, rest, 2, 0))


def _parsePassword(name: str, rest: str) -> Command:
    return ChangePassword(*words(name, rest, 2, 0))


def _parseCertificates(name: str, rest: str) -> Command:
    action, *given = words(name, rest, 0, 2) or ["list"]
    action = action.lower()
    if action in ("list", "add") and not given:
        return Certificates(action)
    if action == "del":
        if not given:
            return Certificates(action)
        fingerprint = canonicalFingerprint(given[0])
        if fingerprint is not None:
            return Certificates(action, fingerprint)
    raise usage(name)


def _parsePong(name: str, rest: str) -> Command:
    given = words(name, rest, 0, 1)
    return Pong(given[0] if given else None)


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
    "cert": _parseCertificates,
    "quit": _parseQuit,
    "help": _parseHelp,
    "pong": _parsePong,
    **MODERATION_PARSERS,
}


def encodeInput(text: str) -> bytes:
    """
    Turn one line a person typed into what the client sends.

    @raise ValueError: if C{text} holds a line ending.
    """
    if "\n" in text or "\r" in text:
        raise ValueError("input lines may not contain line endings")
    return text.encode("utf-8") + LINE_END


# Server to client


def formatEvent(event: Event) -> bytes:
    """
    Return the server line for C{event}, CRLF included.

    @raise twisted_chat.wire.linetypes.MalformedLine: if a value cannot be
        written (a name with a space, text with a line ending): a bug
        upstream, never sent half-formed.
    """
    if type(event) is RoomMessage:
        return _formatRoomMessage(event)
    return lineTypeOf(event).format(event)


def _formatRoomMessage(message: RoomMessage) -> bytes:
    """
    The same line as C{LINE_TYPES["MSG"].format} and its kin, written out
    by hand: room messages are most of what a server sends, and the general
    table walk costs several times as much.  The tests compare the two.
    """
    room = WORD.encode(message.room)
    sender = WORD.encode(message.sender)
    text = TEXT.encode(message.text)
    name = ROOM_MESSAGE_TYPES[message.action, message.history].name
    time = TIME.encode(message.time)
    return f"{name} {room} {message.sequence} {time} {sender} :{text}\r\n".encode()


def parseEvent(line: bytes) -> Event:
    """
    Read one server line, line ending removed.

    Invalid UTF-8 is replaced rather than refused, so that a person still
    sees what arrived.

    @raise twisted_chat.wire.linetypes.UnknownLineType: for a type this
        version does not know.
    @raise twisted_chat.wire.linetypes.MalformedLine: for a line that breaks
        the known type's layout.
    """
    text = line.decode("utf-8", errors="replace")
    head, colon, trailing = text.partition(" :")
    words = head.split(" ")
    lineType = LINE_TYPES.get(words[0])
    if lineType is None:
        raise UnknownLineType(f"unknown line type {words[0]!r}")
    return lineType.parse(words[1:], trailing if colon else None)
