"""
The JSON subprotocol's commands (docs/PROTOCOL.md, "The web client's
JSON"): C{{"command": "Join", "room": "#dev"}} read as the core's own
command dataclass, field by field.

The commands are not listed here again: every L{Command} of
L{twisted_chat.chat.commands} and L{twisted_chat.chat.moderationcommands}
is one, named by its class, its fields checked against their annotations.
What the line protocol's parser checks beyond types (bounded numbers, the
kinds of bans, rank letters, no line breaks in text) is checked here too,
so a command reaches the interpreter no freer than a typed line would.
C{Typed} is the one command of this subprotocol's own: a line as typed in
the terminal client, parsed by the line protocol's parser and given the
page's room where the line leaves the room out (L{inRoom}).
"""

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from twisted_chat.chat import commands as core_commands
from twisted_chat.chat import moderationcommands
from twisted_chat.chat.certificates import canonicalFingerprint
from twisted_chat.chat.commands import Command, Message, Say
from twisted_chat.chat.moderationcommands import Audit
from twisted_chat.chat.modes import BAN, MUTE, RANK_LETTERS, ROOM_MODES
from twisted_chat.limits import (
    BAN_DURATION_MAX,
    HISTORY_PAGE_DEFAULT,
    HISTORY_PAGE_MAX,
)
from twisted_chat.wire.arguments import MAX_SEQUENCE
from twisted_chat.wire.line import DEFAULT_QUIT_REASON


class BadRequest(Exception):
    """A message that is not a command this subprotocol knows; says why."""


@dataclass(frozen=True, slots=True)
class Typed:
    """
    A line as typed in the terminal client, carried out in the context of
    C{room} (the page's current room), or of none.
    """

    line: str
    room: str | None = None


def _commandClasses() -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {"Typed": Typed}
    for module in (core_commands, moderationcommands):
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, Command)
                and value is not Command
            ):
                found[name] = value
    return found


COMMAND_CLASSES: Final = _commandClasses()
"""Every command a client may send, by the name it sends."""


def _bounded(low: int, high: int) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if isinstance(value, int) and not low <= value <= high:
            return f"from {low} to {high}"
        return None

    return check


def _oneOf(*allowed: str) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if value not in allowed:
            return "one of " + ", ".join(repr(word) for word in allowed)
        return None

    return check


def _fingerprint(value: object) -> str | None:
    if isinstance(value, str) and canonicalFingerprint(value) is None:
        return "a SHA-256 fingerprint"
    return None


_FIELD_RULES: Final[dict[tuple[str, str], Callable[[object], str | None]]] = {
    ("History", "limit"): _bounded(0, HISTORY_PAGE_MAX),
    ("History", "before"): _bounded(0, MAX_SEQUENCE),
    ("Resume", "after"): _bounded(0, MAX_SEQUENCE),
    ("Audit", "before"): _bounded(0, MAX_SEQUENCE),
    ("AddBan", "duration"): _bounded(0, BAN_DURATION_MAX),
    ("ServerBan", "duration"): _bounded(0, BAN_DURATION_MAX),
    ("AddBan", "kind"): _oneOf(BAN, MUTE),
    ("LiftBan", "kind"): _oneOf(BAN, MUTE),
    ("SetRank", "letter"): _oneOf(*RANK_LETTERS),
    ("ModeChange", "letter"): _oneOf(*ROOM_MODES),
    ("Certificates", "action"): _oneOf("list", "add", "del"),
    ("Certificates", "fingerprint"): _fingerprint,
}
"""What the line protocol's parser would refuse in a field, beyond its type."""


_JSON_DEFAULTS: Final[dict[tuple[str, str], object]] = {
    ("History", "limit"): HISTORY_PAGE_DEFAULT,
    ("QuitCommand", "reason"): DEFAULT_QUIT_REASON,
    ("Mode", "changes"): (),
}
"""
What a field without a default in its dataclass is when a message leaves
it out, beside L{None} for one that may be L{None} and C{""} for a reason:
what the typed command means when it leaves it out.
"""


def _missing(cls: type[Any], name: str, hint: Any) -> object:
    """The value of field C{name} of C{cls} left out of a message."""
    default = _JSON_DEFAULTS.get((cls.__name__, name), dataclasses.MISSING)
    if default is not dataclasses.MISSING:
        return default
    if type(None) in typing.get_args(hint):
        return None
    if name == "reason":
        return ""
    raise BadRequest(f"{cls.__name__} needs {name!r}")


def decodeCommand(message: object) -> Command | Typed:
    """
    Read one client message, already parsed from JSON.

    @raise BadRequest: if it is not an object naming a known command with
        well-typed fields.
    """
    if not isinstance(message, dict):
        raise BadRequest("a message is a JSON object")
    name = message.get("command")
    if not isinstance(name, str):
        raise BadRequest('a message names its "command"')
    cls = COMMAND_CLASSES.get(name)
    if cls is None:
        raise BadRequest(f"there is no command {name!r}")
    fields = {key: value for key, value in message.items() if key != "command"}
    decoded: Command | Typed = _decodeDataclass(cls, fields)
    return decoded


_Shape = tuple[dict[str, Any], dict[str, "dataclasses.Field[Any]"]]
_shapes: dict[type[Any], _Shape] = {}


def _shapeOf(cls: type[Any]) -> _Shape:
    """
    A command class's fields and their types, read once: reading type
    hints takes longer than carrying out most commands.
    """
    shape = _shapes.get(cls)
    if shape is None:
        hints = typing.get_type_hints(cls)
        fields = {field.name: field for field in dataclasses.fields(cls)}
        shape = _shapes[cls] = (hints, fields)
    return shape


def _decodeDataclass(cls: type[Any], given: dict[str, Any]) -> Any:
    name = cls.__name__
    hints, known = _shapeOf(cls)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise BadRequest(f"{name} has no field {unknown[0]!r}")
    values = {}
    for fieldName, field in known.items():
        if fieldName not in given:
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                values[fieldName] = _missing(cls, fieldName, hints[fieldName])
            continue
        where = f"{name}.{fieldName}"
        value = _decodeValue(hints[fieldName], given[fieldName], where)
        rule = _FIELD_RULES.get((name, fieldName))
        wrong = rule(value) if rule is not None and value is not None else None
        if wrong is not None:
            raise BadRequest(f"{where} must be {wrong}")
        values[fieldName] = value
    return cls(**values)


def _decodeValue(hint: Any, value: object, where: str) -> object:
    """C{value} as the annotation C{hint} asks, or L{BadRequest}."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (hint,) = [option for option in options if option is not type(None)]
        origin = typing.get_origin(hint)
    if hint is str:
        if not isinstance(value, str):
            raise BadRequest(f"{where} must be a string")
        if "\r" in value or "\n" in value or "\0" in value:
            raise BadRequest(f"{where} may not hold CR, LF or NUL")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                # JSON's \ud800 escapes: not text, and not storable.
                raise BadRequest(f"{where} holds a lone surrogate") from None
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise BadRequest(f"{where} must be true or false")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadRequest(f"{where} must be a whole number")
        return value
    if origin is tuple:
        (item, _) = typing.get_args(hint)
        if not isinstance(value, list):
            raise BadRequest(f"{where} must be a list")
        return tuple(_decodeValue(item, each, f"{where}[]") for each in value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, dict):
            raise BadRequest(f"{where} must be an object")
        return _decodeDataclass(hint, value)
    raise BadRequest(f"{where} cannot be given in JSON")


def inRoom(command: Command, room: str | None) -> Command:
    """
    C{command}, typed as a line, carried out in C{room}: a plain line is
    said there, C{/me} acts there, and a command whose room was left out
    applies there (but C{/audit}, whose room left out means the server's
    log).  Without a C{room}, the command stands as typed.
    """
    if room is None:
        return command
    if isinstance(command, Say):
        return Message(room, command.text)
    if isinstance(command, Audit):
        return command
    if getattr(command, "room", False) is None:
        return dataclasses.replace(command, room=room)  # type: ignore[call-arg]
    return command
