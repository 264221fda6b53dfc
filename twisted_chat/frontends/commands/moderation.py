"""
The line protocol's commands that keep order, carried out on the core.

A member's L{twisted_chat.frontends.commands.interpreter.CommandInterpreter}
hands these commands (L{twisted_chat.chat.moderationcommands}) to its
L{ModerationCommands}.  Whether the member may do what it asks is the
core's to decide (L{twisted_chat.chat.moderation.RoomModeration} for
rooms, L{twisted_chat.chat.serverops.ServerOperators} for the server): a
refusal is one of its typed errors, which the interpreter answers with an
C{ERROR} line.  Here a room left out becomes the member's current one, and
nothing is passed over in silence: a rank that was already so is said, and
a server operator acting on a room it is not in (so is not told what the
room is told) is told what it did.
"""

from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred

from twisted_chat.chat.commands import Command, Kick
from twisted_chat.chat.core import Chat
from twisted_chat.chat.events import Event, Notice
from twisted_chat.chat.model import Member
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
from twisted_chat.chat.modes import BAN, MUTE, ModeChange, Rank
from twisted_chat.chat.names import fold
from twisted_chat.limits import AUDIT_PAGE_MAX

RANK_PHRASES = {
    Rank.FOUNDER: "the founder",
    Rank.OPERATOR: "an operator",
    Rank.VOICE: "a voiced member",
    Rank.MEMBER: "a plain member",
}
"""How a member's rank in a room is said to a person."""


class ModerationCommands:
    """
    Carries out one member's commands that keep order.

    @param reply: tells the member something (an answer, a notice).
    """

    def __init__(
        self, chat: Chat, member: Member, reply: Callable[[Event], None]
    ) -> None:
        self.chat = chat
        self.member = member
        self._reply = reply

    def execute(self, command: Command) -> Deferred[Any] | None:
        """
        Carry out C{command}.

        @return: a Deferred for what waits on the store (an account to
            suspend, a page of the audit log), else L{None}.
        @raise twisted_chat.chat.errors.ChatError: the core's refusal.
        """
        member = self.member
        rooms = self.chat.moderation
        server = self.chat.operators
        match command:
            case SetRank(room, nick, letter, on):
                roomName = self._roomName(room)
                self._setRank(roomName, nick, ModeChange(letter, on, nick))
            case Handover(room, nick):
                roomName = self._roomName(room)
                rooms.setRank(member, roomName, nick, Rank.FOUNDER)
                self._toldOutside(roomName, f"{nick} is now the founder of {roomName}.")
            case Kick(room, nick, reason):
                roomName = self._roomName(room)
                rooms.kick(member, roomName, nick, reason)
                self._toldOutside(roomName, f"{nick} is out of {roomName}.")
            case AddBan(kind, room, mask, duration, reason):
                roomName = self._roomName(room)
                rooms.ban(member, roomName, kind, mask, duration, reason)
                self._toldOutside(
                    roomName, f"The {kind} on {mask} in {roomName} is set."
                )
            case LiftBan(kind, room, mask):
                roomName = self._roomName(room)
                rooms.unban(member, roomName, kind, mask)
                self._toldOutside(
                    roomName, f"The {kind} on {mask} in {roomName} is lifted."
                )
            case ListBans(room):
                roomName = self._roomName(room)
                rooms.listBans(member, roomName, BAN)
                rooms.listBans(member, roomName, MUTE)
            case Invite(nick, room):
                rooms.invite(member, room, self.chat.memberNamed(nick))
            case Mode(room, ()):
                self._reply(rooms.modesOf(member, self._roomName(room)))
            case Mode(room, changes):
                roomName = self._roomName(room)
                rooms.setModes(member, roomName, list(changes))
                if not self._isIn(roomName):
                    self._reply(rooms.modesOf(member, roomName))
            case Claim(room):
                rooms.claim(member, self._roomName(room))
            case Unclaim(room):
                roomName = self._roomName(room)
                rooms.unclaim(member, roomName)
                self._toldOutside(roomName, f"Nobody founds {roomName} now.")
            case Audit(room, before):
                return server.auditLog(member, room, before, AUDIT_PAGE_MAX)
            case Kill(nick, reason):
                server.kill(member, nick, reason)
            case Suspend(account, suspended, reason):
                return server.suspend(member, account, suspended, reason)
            case ServerBan(mask, duration, reason):
                server.ban(member, mask, duration, reason)
            case ServerUnban(mask):
                server.unban(member, mask)
            case ServerBans():
                server.listBans(member)
            case Stats():
                return self.chat.statistics.tell(member)
            case Announce(text):
                server.announce(member, text)
            case Oper(account, granted):
                server.grant(member, account, granted)
            case _:
                raise TypeError(f"no handler for {command!r}")
        return None

    def _setRank(self, roomName: str, nick: str, change: ModeChange) -> None:
        """
        Give or take a rank as C{MODE +o nick} does; if the member's rank
        was already what it asks (a voice for an operator gives nothing),
        say so rather than nothing.
        """
        before = self._rankOf(roomName, nick)
        self.chat.moderation.setModes(self.member, roomName, [change])
        after = self._rankOf(roomName, nick)
        if before is None or after is None:
            return
        if after == before:
            self._reply(
                Notice(
                    f"Nothing changed: {nick} is {RANK_PHRASES[after]} of {roomName}."
                )
            )
        else:
            self._toldOutside(
                roomName, f"{nick} is now {RANK_PHRASES[after]} of {roomName}."
            )

    def _rankOf(self, roomName: str, nick: str) -> Rank | None:
        members = self.chat.membersOf(roomName)
        for other, rank in zip(members.nicks, members.ranks, strict=True):
            if fold(other) == fold(nick):
                return Rank(rank)
        return None

    def _isIn(self, roomName: str) -> bool:
        return fold(roomName) in self.member.rooms

    def _toldOutside(self, roomName: str, text: str) -> None:
        """Tell the member C{text}, what it did, if it is not in the room."""
        if not self._isIn(roomName):
            self._reply(Notice(text))

    def _roomName(self, room: str | None) -> str:
        """The named room, or the member's current one."""
        return room if room is not None else self.chat.roomOf(self.member, None).name
