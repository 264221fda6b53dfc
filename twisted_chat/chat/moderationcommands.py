"""
The commands that keep order (issue 14): room operators' and server
operators', as L{twisted_chat.wire.line.parseCommand} reads them from the
line protocol; L{twisted_chat.frontends.commands.moderation} carries them out.
Their usage and summaries are with the others' in
L{twisted_chat.chat.commands.COMMANDS}.

Where a room is L{None}, the member's current room is meant.
"""

from dataclasses import dataclass
from typing import Final

from twisted_chat.chat.commands import Command, Kick
from twisted_chat.chat.modes import ModeChange


@dataclass(frozen=True, slots=True)
class SetRank(Command):
    """C{/op}, C{/deop}, C{/voice}, C{/devoice}: a rank's mode letter, on or off."""

    room: str | None
    nick: str
    letter: str
    on: bool


@dataclass(frozen=True, slots=True)
class Handover(Command):
    """Make C{nick} the room's founder."""

    room: str | None
    nick: str


@dataclass(frozen=True, slots=True)
class AddBan(Command):
    """
    Ban or mute (C{kind}, L{twisted_chat.chat.modes.BAN} or C{MUTE}) whom
    C{mask} names, for C{duration} seconds or, with L{None}, for good.
    """

    kind: str
    room: str | None
    mask: str
    duration: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class LiftBan(Command):
    kind: str
    room: str | None
    mask: str


@dataclass(frozen=True, slots=True)
class ListBans(Command):
    """A room's bans, then its mutes."""

    room: str | None


@dataclass(frozen=True, slots=True)
class Invite(Command):
    nick: str
    room: str | None


@dataclass(frozen=True, slots=True)
class Mode(Command):
    """Change a room's modes, or, with no C{changes}, ask them."""

    room: str | None
    changes: tuple[ModeChange, ...]


@dataclass(frozen=True, slots=True)
class Claim(Command):
    room: str | None


@dataclass(frozen=True, slots=True)
class Unclaim(Command):
    room: str | None


@dataclass(frozen=True, slots=True)
class Audit(Command):
    """A page of the audit log (a room's, or the server's), before entry C{before}."""

    room: str | None
    before: int | None


@dataclass(frozen=True, slots=True)
class Kill(Command):
    """Disconnect C{nick} from the server."""

    nick: str
    reason: str


@dataclass(frozen=True, slots=True)
class Suspend(Command):
    """Suspend an account (C{suspended}), or lift its suspension."""

    account: str
    suspended: bool
    reason: str


@dataclass(frozen=True, slots=True)
class ServerBan(Command):
    """Ban an address or range from the server, for C{duration} seconds or for good."""

    mask: str
    duration: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class ServerUnban(Command):
    mask: str


@dataclass(frozen=True, slots=True)
class ServerBans(Command):
    pass


@dataclass(frozen=True, slots=True)
class Stats(Command):
    """The server's figures (C{/stats}), for a server operator."""


@dataclass(frozen=True, slots=True)
class Announce(Command):
    text: str


@dataclass(frozen=True, slots=True)
class Oper(Command):
    """Make an account a server operator (C{granted}), or no longer."""

    account: str
    granted: bool


MODERATION_COMMANDS: Final = (
    SetRank,
    Handover,
    Kick,
    AddBan,
    LiftBan,
    ListBans,
    Invite,
    Mode,
    Claim,
    Unclaim,
    Audit,
    Kill,
    Suspend,
    ServerBan,
    ServerUnban,
    ServerBans,
    Stats,
    Announce,
    Oper,
)
"""The commands that keep order, carried out apart from the others."""
