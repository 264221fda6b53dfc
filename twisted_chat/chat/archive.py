"""
History read on request (IRC's C{CHATHISTORY}): a room's or a private
conversation's messages before, after, around or between two marks, and the
conversations active in a span of time.

A room's history is read by number, a mark at a time standing where that
time falls in the room's numbering; a private conversation's by time.
Reads go through the store's queue, on its thread, so the reactor never
waits for them and each sees the messages said before it was asked for.

Who may read what is decided here, not by the front end: a room's members
(and server operators) read its history; others only that of a room anyone
may walk into (not secret, invite-only, keyed, or closed to them by a ban
or by wanting an account).  A private conversation is read as the account
the member is logged in to, since a nick without one may have been
someone else's: a member without an account has no private history.
"""

from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from twisted.internet.defer import Deferred

from twisted_chat.chat.durable import durable
from twisted_chat.chat.errors import NoSuchRoom
from twisted_chat.chat.events import PrivateMessage, RoomMessage
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.moderation import RoomModeration
from twisted_chat.chat.modes import BAN
from twisted_chat.chat.names import checkNick, fold, isRoomName
from twisted_chat.chat.textrules import cleanStored
from twisted_chat.store import Activity, IChatStore

__all__ = ["Activity", "Archive", "Mark", "Said", "UnknownMark"]

FOREVER: Final = 2**62
"""A time after every message, in milliseconds since the epoch."""

Said = RoomMessage | PrivateMessage
"""A message read from history: a room's, or a private one."""

T = TypeVar("T")


class UnknownMark(ValueError):
    """
    A room message's number given to mark a private conversation: a front
    end's mistake, which its parsing of references rules out.
    """


@dataclass(frozen=True, slots=True)
class Mark:
    """
    A point in a conversation's history that a read counts from: a room
    message's number, or a time in milliseconds since the epoch (a private
    message is marked by its time).  Exactly one is given.
    """

    sequence: int | None = None
    time: int | None = None


class Archive:
    """The history of rooms and private conversations, read on request."""

    def __init__(self, store: IChatStore, moderation: RoomModeration) -> None:
        self._store = store
        self._moderation = moderation

    def read(
        self,
        member: Member,
        target: str,
        after: Mark | None,
        before: Mark | None,
        limit: int,
        newest: bool,
    ) -> Deferred[list[Said]]:
        """
        The messages of C{target} (a room, or a nick for the private
        conversation with it) strictly between C{after} and C{before} (no
        bound where L{None}): the newest C{limit} of them if C{newest},
        else the oldest; oldest first.

        @raise twisted_chat.chat.errors.ChatError: if C{member} may not read
            C{target}'s history, or C{target} is no room or nick.
        """
        if isRoomName(target):
            room = self._readableRoom(member, target)
            return _run(self._readRoom(room, after, before, limit, newest))
        pair = self._conversation(member, target)
        if pair is None:
            return _run(_nothing())
        start, end = _time(after, -1), _time(before, FOREVER)
        return _run(self._readPrivate(pair, start, end, limit, newest))

    def around(
        self, member: Member, target: str, mark: Mark, limit: int
    ) -> Deferred[list[Said]]:
        """
        Up to C{limit} messages of C{target} around C{mark}: half of them
        up to it (a marked message included), the rest after it.
        """
        earlier = (limit + 1) // 2
        if isRoomName(target):
            room = self._readableRoom(member, target)
            return _run(self._roomAround(room, mark, earlier, limit))
        pair = self._conversation(member, target)
        if pair is None:
            return _run(_nothing())
        return _run(self._privateAround(pair, _time(mark, 0), earlier, limit))

    def between(
        self, member: Member, target: str, start: Mark, end: Mark, limit: int
    ) -> Deferred[list[Said]]:
        """
        Up to C{limit} messages of C{target} strictly between two marks,
        counted from C{start}, which may be before or after C{end}; oldest
        first.
        """
        if isRoomName(target):
            room = self._readableRoom(member, target)
            return _run(self._roomBetween(room, start, end, limit))
        pair = self._conversation(member, target)
        if pair is None:
            return _run(_nothing())
        first, last = _time(start, 0), _time(end, 0)
        if first <= last:
            return _run(self._readPrivate(pair, first, last, limit, False))
        return _run(self._readPrivate(pair, last, first, limit, True))

    def conversations(
        self, member: Member, start: int, end: int, limit: int
    ) -> Deferred[list[Activity]]:
        """
        The rooms C{member} is in and its private conversations with a
        message said strictly between two times (in either order), the
        C{limit} most recently active, least recent first.
        """
        rooms = [room.name for room in member.rooms.values()]
        after, before = min(start, end), max(start, end)
        read = self._store.activeConversations(
            member.account, rooms, after, before, limit
        )
        return durable(read)

    # Who may read what

    def _readableRoom(self, member: Member, roomName: str) -> Room:
        """
        The room C{member} asks for, if it may read its history.

        @raise NoSuchRoom: if it may not, as if there were no such room.
        """
        moderation = self._moderation
        room = moderation.visibleRoom(roomName, member)
        if member in room.members or moderation.isServerOperator(member):
            return room
        settings = room.settings
        if (
            settings.secret
            or settings.inviteOnly
            or settings.key is not None
            or (settings.registeredOnly and member.account is None)
            or moderation.bans.matching(room, member, BAN) is not None
        ):
            raise NoSuchRoom(f"You may not read the history of {room.name}.")
        return room

    def _conversation(self, member: Member, nick: str) -> tuple[str, str] | None:
        """
        The account C{member} reads as and the folded nick of the other
        party, or L{None} if it has no account to read private history as.

        @raise twisted_chat.chat.errors.InvalidNick: if C{nick} is no nick.
        """
        checkNick(nick, allowReserved=True)
        if member.account is None:
            return None
        return member.account, fold(nick)

    # Rooms, by number

    async def _readRoom(
        self,
        room: Room,
        after: Mark | None,
        before: Mark | None,
        limit: int,
        newest: bool,
    ) -> list[Said]:
        lower = 0 if after is None else await self._lower(room, after)
        upper = room.lastSequence if before is None else await self._upper(room, before)
        return await self._roomSpan(room, lower, upper, limit, newest)

    async def _roomAround(
        self, room: Room, mark: Mark, earlier: int, limit: int
    ) -> list[Said]:
        pivot = mark.sequence
        if pivot is None:
            pivot = await self._lower(room, mark)
        before = await self._roomSpan(room, 0, pivot, earlier, True)
        after = await self._roomSpan(
            room, pivot, room.lastSequence, limit - len(before), False
        )
        return before + after

    async def _roomBetween(
        self, room: Room, start: Mark, end: Mark, limit: int
    ) -> list[Said]:
        lower, upper = await self._lower(room, start), await self._upper(room, end)
        if lower <= upper:
            return await self._roomSpan(room, lower, upper, limit, False)
        lower, upper = await self._lower(room, end), await self._upper(room, start)
        return await self._roomSpan(room, lower, upper, limit, True)

    async def _roomSpan(
        self, room: Room, after: int, through: int, limit: int, newest: bool
    ) -> list[Said]:
        """The newest (or oldest) C{limit} messages numbered in a span."""
        if through <= after or limit <= 0:
            return []
        store = self._store
        read = store.messagesBetween if newest else store.messagesFrom
        found = await durable(read(room.name, after, through, limit))
        return [cleanStored(message) for message in found]

    async def _lower(self, room: Room, mark: Mark) -> int:
        """The number after which the messages after C{mark} begin."""
        if mark.sequence is not None:
            return mark.sequence
        time = _time(mark, 0)
        return await durable(self._store.sequenceBefore(room.name, time + 1))

    async def _upper(self, room: Room, mark: Mark) -> int:
        """The number of the last message before C{mark}."""
        if mark.sequence is not None:
            return mark.sequence - 1
        time = _time(mark, 0)
        return await durable(self._store.sequenceBefore(room.name, time))

    # Private conversations, by time

    async def _readPrivate(
        self,
        pair: tuple[str, str],
        after: int,
        before: int,
        limit: int,
        newest: bool,
    ) -> list[Said]:
        """The newest (or oldest) C{limit} messages of a conversation in a span."""
        if before <= after + 1 or limit <= 0:
            return []
        read = self._store.privateBetween(*pair, after, before, limit, newest)
        return [cleanStored(message) for message in await durable(read)]

    async def _privateAround(
        self, pair: tuple[str, str], pivot: int, earlier: int, limit: int
    ) -> list[Said]:
        before = await self._readPrivate(pair, -1, pivot + 1, earlier, True)
        after = await self._readPrivate(
            pair, pivot, FOREVER, limit - len(before), False
        )
        return before + after


def _time(mark: Mark | None, default: int) -> int:
    """
    The time of C{mark}, or C{default} without one.

    @raise UnknownMark: if it is a room message's number.
    """
    if mark is None:
        return default
    if mark.time is None:
        raise UnknownMark("A private conversation is marked by time.")
    return mark.time


def _run(coroutine: Coroutine[Any, Any, T]) -> Deferred[T]:
    return Deferred.fromCoroutine(coroutine)


async def _nothing() -> list[Said]:
    return []
