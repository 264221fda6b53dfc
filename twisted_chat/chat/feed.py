"""
The way a room message goes from being said to its members: who numbers it,
where it is committed, and how it reaches the room.

The chat core builds a L{RoomMessage} and hands it to its L{IRoomFeed}.  On
one server that is a L{LocalFeed}: the core's own count numbers the message,
the store commits it, and it is delivered to the room's members at once
(durable before visible, see L{twisted_chat.chat.model}).  When several
server processes serve the same rooms, the feed is the cluster's
(L{twisted_chat.cluster.feed}): the database numbers the message inside the
transaction that keeps it, the other nodes are told, and every node delivers
each room's messages in number order, reading from the database what it was
not told.  The core does not know which it has.
"""

from typing import NoReturn

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from zope.interface import Interface, implementer

from twisted_chat import tracing
from twisted_chat.chat.durable import storeFailed
from twisted_chat.chat.events import RoomMessage
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.participants import deliverTo, post
from twisted_chat.meters import METERS
from twisted_chat.store import IChatStore, OutOfSequence, StoreError


class IRoomFeed(Interface):
    """Numbers, commits and delivers a chat's room messages."""

    def say(room: Room, message: RoomMessage, sender: Member) -> Deferred[RoomMessage]:
        """
        Number C{message} (its own sequence is a placeholder), commit it,
        and deliver it to the members of C{room} who were there when it was
        said, and to C{sender} if it spoke from outside the room.

        @return: fires with the numbered message once it has been delivered,
            or fails with L{twisted_chat.chat.errors.StoreFailed}.
        """

    def occupied(room: Room) -> None:
        """C{room} has its first member on this server."""

    def vacated(room: Room) -> None:
        """The last member on this server left C{room}."""

    def replayed(room: Room) -> None:
        """
        No replay of C{room}'s history is being read any more: what was held
        back for one may go.
        """

    def whenCurrent(room: Room) -> Deferred[None] | None:
        """
        L{None} if C{room}'s numbering is known to be current, so a
        newcomer's replay may be read now; otherwise a Deferred that fires
        once it is (other servers may have numbered messages meanwhile).
        """


def deliver(room: Room, message: RoomMessage, sender: Member | None) -> None:
    """
    Give C{message} to the members of C{room} who get it live: those who
    were there before it was numbered; and to its C{sender} if that is here
    and spoke from outside the room (its copy is its confirmation).
    """
    room.lastSequence = max(room.lastSequence, message.sequence)
    if sender is None:
        post(message, room.recipientsOf(message.sequence))
        return
    post(message, room.recipientsOf(message.sequence), sender.participant)
    if sender not in room.members and sender.present:
        deliverTo(sender, message)


def numbered(message: RoomMessage, sequence: int) -> RoomMessage:
    """C{message}, said live, with its number C{sequence}."""
    return RoomMessage(
        message.room, sequence, message.time, message.sender, message.text,
        message.action, False, message.account,
    )  # fmt: skip


@implementer(IRoomFeed)
class LocalFeed:
    """
    One server owns its rooms: the room's count numbers each message, and
    the store refuses one that does not follow the last it kept; a number
    given to a message the store did not keep is given out again
    (L{Room.takeBackNumbers}), so a room's history has no hole.
    """

    def __init__(self, store: IChatStore) -> None:
        self._store = store

    def say(
        self, room: Room, message: RoomMessage, sender: Member
    ) -> Deferred[RoomMessage]:
        room.lastSequence += 1
        numbering = room.numbering
        message = numbered(message, room.lastSequence)
        if tracing.TRACE is not None:
            tracing.TRACE.said(message.room, message.sequence, message.text)

        def committed(_: object) -> RoomMessage:
            METERS.stored["room"] += 1
            deliver(room, message, sender)
            return message

        def notKept(failure: Failure) -> NoReturn:
            if isinstance(failure.value, StoreError):
                lastKept = (
                    failure.value.lastKept
                    if isinstance(failure.value, OutOfSequence)
                    else message.sequence - 1
                )
                room.takeBackNumbers(numbering, lastKept)
            storeFailed(failure)

        return self._store.appendMessage(message).addCallbacks(committed, notKept)

    def occupied(self, room: Room) -> None:
        pass

    def vacated(self, room: Room) -> None:
        pass

    def replayed(self, room: Room) -> None:
        # One server reads replays and commits through one queue, in order.
        pass

    def whenCurrent(self, room: Room) -> Deferred[None] | None:
        return None
