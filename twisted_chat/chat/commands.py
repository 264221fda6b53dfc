"""
What a participant may ask of the server: the commands of the line protocol.

L{twisted_chat.wire.line.parseCommand} turns a typed line into one of these;
L{twisted_chat.frontends.commands.interpreter.CommandInterpreter} carries it out.  L{COMMANDS}
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
    """Join C{room}, with its C{key} if it has one."""

    room: str
    key: str | None = None


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
    """
    C{/me}: say an action in C{room}, or in the current room when it is
    L{None} (as the line protocol always has it).
    """

    text: str
    room: str | None = None


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
    """Put C{nick} out of C{room} (the current one if L{None})."""

    room: str | None
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
    """
    Join C{room} again (with its C{key}, if it has one) and get every
    message after C{after}.
    """

    room: str
    after: int
    key: str | None = None


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


@dataclass(frozen=True, slots=True)
class Certificates(Command):
    """
    C{/cert}: list (C{list}), add (C{add}: the connection's own client
    certificate) or remove (C{del}) the certificates of one's account.

    @ivar fingerprint: the one to remove, canonical; L{None} for the
        connection's own.
    """

    action: str
    fingerprint: str | None = None


SECRET_COMMANDS: Final = frozenset({"register", "login", "password"})
"""Commands whose arguments are secret: never echo, log or remember them."""


EVERYONE: Final = "everyone"
ROOM_OPERATORS: Final = "room operators"
SERVER_OPERATORS: Final = "server operators"
CONSOLE: Final = "console"
AUDIENCES: Final = (EVERYONE, ROOM_OPERATORS, SERVER_OPERATORS, CONSOLE)
"""
Whom a command is for, in the order C{/help} lists them.  Anyone may come
to operate a room (by making it), so everyone is shown the room operators'
commands; only server operators are shown theirs, and only the console's
operator the console's.
"""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """
    How a command is typed and what it does, for people.

    @ivar audience: whom it is for, one of L{AUDIENCES}.
    @ivar forPrograms: whether clients send it by themselves (a person has
        no use for it): C{/help} leaves it out of its list, and explains it
        only when asked by name.
    """

    name: str
    usage: str
    summary: str
    audience: str = EVERYONE
    forPrograms: bool = False


_ROOM = "a room (the current one)"

_ROOM_OPERATORS_COMMANDS: Final = [
    CommandSpec(name, f"/{name} [#room] NICK", f"{summary} {_ROOM}.", ROOM_OPERATORS)
    for name, summary in [
        ("op", "Make a member an operator of"),
        ("deop", "Take a member's operator rank in"),
        ("voice", "Give a member voice (to speak when moderated) in"),
        ("devoice", "Take a member's voice in"),
    ]
] + [
    CommandSpec(
        "kick",
        "/kick [#room] NICK [reason]",
        f"Put a member out of {_ROOM}.",
        ROOM_OPERATORS,
    ),
    CommandSpec(
        "ban",
        "/ban [#room] MASK [DURATION] [reason]",
        f"Keep whom MASK names out of {_ROOM}, for DURATION (30s, 10m, 2h, 7d)"
        " or for good. MASK: a nick or nick pattern (troll*), account:NAME, an"
        " address or range (10.0.0.0/8), or nick!user@host.",
        ROOM_OPERATORS,
    ),
    CommandSpec(
        "mute",
        "/mute [#room] MASK [DURATION] [reason]",
        f"Let whom MASK names read but not speak in {_ROOM}.",
        ROOM_OPERATORS,
    ),
    CommandSpec("unban", "/unban [#room] MASK", "Lift a ban.", ROOM_OPERATORS),
    CommandSpec("unmute", "/unmute [#room] MASK", "Lift a mute.", ROOM_OPERATORS),
    CommandSpec(
        "bans",
        "/bans [#room]",
        f"List the bans, then the mutes, of {_ROOM}.",
        ROOM_OPERATORS,
    ),
    CommandSpec(
        "mode",
        "/mode [#room] [CHANGES ARGS...]",
        "Show a room's modes (anyone may), or change them: +t topic lock,"
        " +m moderated, +i invite-only, +k KEY, +l LIMIT, +s secret,"
        " +n no outside messages, +R registered only; +o/+v NICK ranks,"
        " +b MASK bans (+b m:MASK mutes); - takes off.",
        ROOM_OPERATORS,
    ),
    CommandSpec(
        "claim",
        "/claim [#room]",
        "Found a room you operate (logged in): you own it for good, and its"
        " ranks, modes and bans are kept.",
        ROOM_OPERATORS,
    ),
    CommandSpec(
        "unclaim",
        "/unclaim [#room]",
        "Give up founding a room.",
        ROOM_OPERATORS,
    ),
    CommandSpec(
        "handover",
        "/handover [#room] NICK",
        "Make a logged-in member the founder of a room you founded.",
        ROOM_OPERATORS,
    ),
    CommandSpec(
        "audit",
        "/audit [#room] [before ID]",
        "Read the audit log, newest first: a room's (its founder may), or the"
        " server's; before ID pages back.",
        ROOM_OPERATORS,
    ),
]

_SERVER_OPERATORS_COMMANDS: Final = [
    CommandSpec("kill", "/kill NICK [reason]", "Disconnect a nick.", SERVER_OPERATORS),
    CommandSpec(
        "suspend",
        "/suspend ACCOUNT [reason]",
        "Suspend an account: it may not log in, and its session ends.",
        SERVER_OPERATORS,
    ),
    CommandSpec(
        "unsuspend",
        "/unsuspend ACCOUNT",
        "Lift an account's suspension.",
        SERVER_OPERATORS,
    ),
    CommandSpec(
        "sban",
        "/sban ADDRESS-OR-RANGE [DURATION] [reason]",
        "Ban an address or range from the server, for DURATION or for good:"
        " those connected from it are disconnected.",
        SERVER_OPERATORS,
    ),
    CommandSpec("unsban", "/unsban MASK", "Lift a server ban.", SERVER_OPERATORS),
    CommandSpec("sbans", "/sbans", "List the server bans.", SERVER_OPERATORS),
    CommandSpec(
        "stats",
        "/stats",
        "Show how the server runs: uptime, connections, members, rooms,"
        " messages of the last minute and hour, store size, commit times,"
        " slow readers.",
        SERVER_OPERATORS,
    ),
    CommandSpec(
        "announce",
        "/announce TEXT",
        "Send a notice to everyone on the server.",
        SERVER_OPERATORS,
    ),
]

COMMANDS: Final = {
    spec.name: spec
    for spec in [
        CommandSpec("nick", "/nick NAME", "Change your nick."),
        CommandSpec(
            "join",
            "/join #room [KEY]",
            "Join a room, creating it if needed (you operate a room you make);"
            " it becomes your current room. KEY is the room's key, if it has one.",
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
            "Show a room's topic, or set it when TEXT is given (its operators"
            " only, while it is locked: +t, as at first).",
        ),
        CommandSpec(
            "history",
            "/history [#room] [before SEQ] [N]",
            "Show a room's last N messages (50), or the N before message SEQ.",
        ),
        CommandSpec(
            "resume",
            "/resume #room SEQ [KEY]",
            "Join a room and get every message after SEQ (after reconnecting).",
            forPrograms=True,
        ),
        CommandSpec("register", "/register PASSWORD", "Register your nick."),
        CommandSpec("login", "/login NICK PASSWORD", "Log in to a registered nick."),
        CommandSpec("password", "/password OLD NEW", "Change your password."),
        CommandSpec(
            "cert",
            "/cert [list|add|del [FINGERPRINT]]",
            "List your account's client certificates (for IRC's SASL EXTERNAL),"
            " add the one this TLS connection presents, or remove one (this"
            " connection's, or FINGERPRINT).",
        ),
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
            "invite",
            "/invite NICK [#room]",
            "Invite a nick to a room (the current one), past its key, limit and"
            " invite-only mode; in an invite-only room only operators invite.",
        ),
        *_ROOM_OPERATORS_COMMANDS,
        *_SERVER_OPERATORS_COMMANDS,
        CommandSpec(
            "oper",
            "/oper ACCOUNT",
            "Make an account a server operator.",
            CONSOLE,
        ),
        CommandSpec(
            "deoper",
            "/deoper ACCOUNT",
            "Make an account no longer a server operator.",
            CONSOLE,
        ),
    ]
}
"""Every slash command, by name, in the order /help lists them."""
