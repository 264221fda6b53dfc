"""
Replaying a room's history to one member: the latest messages on joining,
the missed ones on resuming, and a page of older ones on asking.

A replay reads through the store's queue, so it sees exactly the messages
said before it was asked for; those said after reach the member live
(L{twisted_chat.chat.model} explains the watermark that divides them).  A
replay ends with a L{HistoryEnd} line, after a L{HistoryGap} line where
messages the member asked for are gone, so a client knows what it has.
"""

from typing import Literal

from twisted.logger import Logger
from twisted.python.failure import Failure

from twisted_chat.chat.durable import durable
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import ErrorReply, HistoryEnd, HistoryGap, RoomMessage
from twisted_chat.chat.feed import IRoomFeed
from twisted_chat.chat.model import Member, Membership, Room
from twisted_chat.chat.participants import deliverTo
from twisted_chat.chat.textrules import cleanStored
from twisted_chat.limits import RESUME_LIMIT
from twisted_chat.store import IChatStore

log = Logger()

ReplayKind = Literal["join", "resume", "page"]


class Replays:
    """
    Replays of room history to members, read from one store.
    """

    def __init__(self, store: IChatStore, feed: IRoomFeed) -> None:
        self._store = store
        self._feed = feed

    def join(
        self, member: Member, room: Room, membership: Membership, limit: int
    ) -> None:
        """Send a newcomer to C{room} the latest C{limit} messages said there."""
        self._replay(member, room, membership, "join", 0, limit, membership.since)

    def resume(
        self, member: Member, room: Room, membership: Membership, after: int
    ) -> None:
        """
        Send C{member} exactly the messages of C{room} numbered above
        C{after} that its connection has not been sent, or say which are
        missing.
        """
        if membership.replay is None:
            # This connection has been sent everything from replayedFrom on
            # (a new membership: everything above its watermark).
            through = membership.replayedFrom - 1
        else:
            # A join replay still in flight is simply replaced by this one.
            through = membership.since
        self._replay(member, room, membership, "resume", after, RESUME_LIMIT, through)

    def page(self, member: Member, room: Room, before: int | None, limit: int) -> None:
        """
        Send C{member} up to C{limit} messages of C{room}, the newest before
        C{before} (or the newest of all), and say if older ones are gone.
        """
        through = (
            room.lastSequence if before is None else min(before - 1, room.lastSequence)
        )
        self._replay(member, room, room.members[member], "page", 0, limit, through)

    def _replay(
        self,
        member: Member,
        room: Room,
        membership: Membership,
        kind: ReplayKind,
        after: int,
        limit: int,
        through: int,
    ) -> None:
        """
        Read messages C{after < sequence <= through} through the store's
        queue and send the newest C{limit} of them, a gap line where some
        are missing, and the end.

        A join or resume replay belongs to the membership: a newer one
        supersedes it, and it is dropped if the member left the room.
        """
        token = object()
        if kind != "page":
            membership.replay = token

        def replayed(messages: list[RoomMessage]) -> None:
            if room.members.get(member) is not membership:
                return
            if kind != "page":
                if membership.replay is not token:
                    return
                membership.replay = None
                if messages:
                    membership.replayedFrom = min(
                        membership.replayedFrom, messages[0].sequence
                    )
            first = messages[0].sequence if messages else through + 1
            missing = first > after + 1 and (
                kind == "resume" or (kind == "page" and len(messages) < limit)
            )
            if missing:
                deliverTo(member, HistoryGap(room.name, after + 1, first - 1))
            for message in messages:
                deliverTo(member, cleanStored(message))
            end = membership.since if kind != "page" else through
            deliverTo(member, HistoryEnd(room.name, len(messages), end, kind))

        def ended(_: object) -> None:
            room.replaying -= 1
            if not room.replaying:
                self._feed.replayed(room)

        # Even an empty replay goes through the store's queue, so that
        # replays end in the order they were asked for.
        room.replaying += 1
        read = durable(
            self._store.messagesBetween(room.name, after, max(after, through), limit)
        )
        read.addCallback(replayed)
        read.addErrback(_reportTo, member)
        read.addCallback(ended)


def _reportTo(failure: Failure, member: Member) -> None:
    """Tell C{member} why its replay failed, or log a bug."""
    error = failure.value
    if isinstance(error, ChatError):
        deliverTo(member, ErrorReply(error.code, error.message))
    else:
        log.failure("Replaying history to {nick} failed", failure, nick=member.nick)
