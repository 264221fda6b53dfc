"""
What a participant may ask of the server: the commands of the line protocol.

L{twisted_chat.wire.line.parseCommand} turns a typed line into one of these;
L{twisted_chat.frontends.line.interpreter.CommandInterpreter} carries it out.  L{COMMANDS}
holds each command's usage and summary once, for C{/help} and for the
documentation test that keeps docs/PROTOCOL.md complete.
"""

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Command:
    """Base of everything a participant may ask."""


@dataclass(frozen=True, slots=True)
class Say(Command):
    """Say C{text} in the current room (a line not starting with C{/})."""

    text: str


@dataclass(frozen=True, slots=True)
class SetNick(Command):
    nick: str


@dataclass(frozen=True, slots=True)
class Join(Command):
    room: str


@dataclass(frozen=True, slots=True)
class Part(Command):
    """Leave C{room}, or the current room when it is L{None}."""

    room: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Message(Command):
    """Send C{text} to a nick, or to a room one is in (C{target} starts with #)."""

    target: str
    text: str


@dataclass(frozen=True, slots=True)
class Act(Command):
    """C{/me}: say an action in the current room."""

    text: str


@dataclass(frozen=True, slots=True)
class Who(Command):
    room: str | None


@dataclass(frozen=True, slots=True)
class ListRooms(Command):
    pass


@dataclass(frozen=True, slots=True)
class Topic(Command):
    """Ask a room's topic (C{text} is L{None}) or set it."""

    room: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class QuitCommand(Command):
    reason: str


@dataclass(frozen=True, slots=True)
class Help(Command):
    command: str | None


@dataclass(frozen=True, slots=True)
class Pong(Command):
    """The answer to a C{PING}: proof the client is there; it does nothing."""

    token: str | None


@dataclass(frozen=True, slots=True)
class Kick(Command):
    """Disconnect a nick; only the operator may."""

    nick: str
    reason: str


@dataclass(frozen=True, slots=True)
class History(Command):
    """Ask for up to C{limit} messages of a room, the newest before C{before}."""

    room: str | None
    before: int | None
    limit: int


@dataclass(frozen=True, slots=True)
class Resume(Command):
    """Join C{room} again and get every message after C{after}."""

    room: str
    after: int


@dataclass(frozen=True, slots=True)
class Register(Command):
    password: str


@dataclass(frozen=True, slots=True)
class Login(Command):
    nick: str
    password: str


@dataclass(frozen=True, slots=True)
class ChangePassword(Command):
    old: str
    new: str


SECRET_COMMANDS: Final = frozenset({"register", "login", "password"})
"""Commands whose arguments are secret: never echo, log or remember them."""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """
    How a command is typed and what it does, for people.

    @ivar operatorOnly: whether only the operator console may use it.
    @ivar forPrograms: whether clients send it by themselves (a person has
        no use for it): C{/help} leaves it out of its list, and explains it
        only when asked by name.
    """

    name: str
    usage: str
    summary: str
    operatorOnly: bool = False
    forPrograms: bool = False


COMMANDS: Final = {
    spec.name: spec
    for spec in [
        CommandSpec("nick", "/nick NAME", "Change your nick."),
        CommandSpec(
            "join",
            "/join #room",
            "Join a room, creating it if needed; it becomes your current room.",
        ),
        CommandSpec(
            "part",
            "/part [#room] [reason]",
            "Leave a room (the current one if none is named).",
        ),
        CommandSpec(
            "msg",
            "/msg NICK|#room TEXT",
            "Send a private message to a nick, or a message to one of your rooms.",
        ),
        CommandSpec("me", "/me TEXT", "Describe an action in the current room."),
        CommandSpec(
            "who", "/who [#room]", "List the members of a room (the current one)."
        ),
        CommandSpec("rooms", "/rooms", "List the rooms with member counts and topics."),
        CommandSpec(
            "topic",
            "/topic [#room] [TEXT]",
            "Show a room's topic, or set it when TEXT is given.",
        ),
        CommandSpec(
            "history",
            "/history [#room] [before SEQ] [N]",
            "Show a room's last N messages (50), or the N before message SEQ.",
        ),
        CommandSpec(
            "resume",
            "/resume #room SEQ",
            "Join a room and get every message after SEQ (after reconnecting).",
            forPrograms=True,
        ),
        CommandSpec("register", "/register PASSWORD", "Register your nick."),
        CommandSpec("login", "/login NICK PASSWORD", "Log in to a registered nick."),
        CommandSpec("password", "/password OLD NEW", "Change your password."),
        CommandSpec(
            "quit", "/quit [reason]", "Leave the server (so does a line 'bye')."
        ),
        CommandSpec("help", "/help [command]", "List the commands, or explain one."),
        CommandSpec(
            "pong",
            "/pong [token]",
            "Answer the server's PING (any line would do).",
            forPrograms=True,
        ),
        CommandSpec(
            "kick",
            "/kick NICK [reason]",
            "Disconnect a nick from the server.",
            operatorOnly=True,
        ),
    ]
}
"""Every slash command, by name, in the order /help lists them."""
