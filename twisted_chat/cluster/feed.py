"""
The chat core's room feed when several nodes serve the same rooms: the
database numbers each message as it commits it, the bus tells the other
nodes, and each node delivers every room's messages to its own members in
number order, without a gap and without a duplicate.

A message said on this node is committed with
L{twisted_chat.store.IChatStore.appendNumbered}, which gives it the room's
next number inside the transaction that keeps it: when it gets number S,
S - 1 is already committed, by whichever node.  The node then publishes
"room R reached S" with the message (L{RedisBus.publishRoom}) and offers
the message to the room's L{RoomCursor}, as it offers what the bus brings
from the others.  The cursor says whether to deliver it now (it is the next
one) or to read the missing range from the database first; a read delivers
in order and the cursor then goes on.  Redis carries hints only: a missed
notice is found at the next one, or when the bus is back
(L{ClusterFeed.reconnected}), or when a read that failed is tried again.

A node follows only the rooms it has members in.  When a room gets its
first member here, the node subscribes to it and asks the database where
the room stands before replaying its history to the newcomer
(L{ClusterFeed.whenCurrent}): another node may have numbered messages since
this one last knew the room.  Once subscribed it asks again, for what was
said between the question and the subscription.
"""

import json
from dataclasses import dataclass, field
from typing import Any, Final

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_chat.chat.durable import durable
from twisted_chat.chat.events import RoomMessage
from twisted_chat.chat.feed import IRoomFeed, deliver, numbered
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.names import fold
from twisted_chat.chat.textrules import cleanStored
from twisted_chat.cluster.bus import IBusListener, RedisBus
from twisted_chat.cluster.cursor import Deliver, Read, RoomCursor
from twisted_chat.meters import METERS
from twisted_chat.store import IChatStore

READ_CHUNK: Final = 500
"""Messages read from the database at once when catching a room up."""

RETRY_DELAY: Final = 1.0
"""Seconds before a failed catch-up read is tried again."""

LAST_NUMBER: Final = 2**62
"""A number after every message's: the newest below it is the room's last."""


def encodeMessage(message: RoomMessage) -> bytes:
    """The fast path's payload: the message, as JSON."""
    return json.dumps(
        [
            message.room,
            message.sequence,
            message.time,
            message.sender,
            message.text,
            message.action,
            message.account,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def decodeMessage(payload: bytes, room: str, sequence: int) -> RoomMessage | None:
    """
    The message a notice for C{room} and C{sequence} carries, or L{None} if
    its payload is not one (then it is read from the database instead).
    """
    try:
        fields: Any = json.loads(payload)
        name, number, time, sender, text, action, account = fields
    except (ValueError, TypeError):
        return None
    if (
        not isinstance(name, str)
        or fold(name) != room
        or number != sequence
        or type(time) is not int
        or not isinstance(sender, str)
        or not isinstance(text, str)
        or not isinstance(action, bool)
        or not (account is None or isinstance(account, str))
    ):
        return None
    return RoomMessage(name, sequence, time, sender, text, action, False, account)


@dataclass
class _Following:
    """
    One room this node has members in.

    @ivar cursor: where delivery stands, once the room is current.
    @ivar ready: fired once the room is current, for the replays waiting.
    @ivar heard: the highest number heard of before the room was current.
    @ivar waiting: this node's own messages not yet delivered, by number,
        with the Deferred their sender waits on.
    @ivar held: messages to deliver once no replay of the room is read.
    """

    room: Room
    cursor: RoomCursor | None = None
    ready: list[Deferred[None]] = field(default_factory=list)
    heard: int = 0
    waiting: dict[int, tuple[RoomMessage, Member, Deferred[RoomMessage]]] = field(
        default_factory=dict
    )
    retry: IDelayedCall | None = None
    held: list[RoomMessage] = field(default_factory=list)


@implementer(IRoomFeed, IBusListener)
class ClusterFeed:
    """
    Room messages numbered by the shared database and spread by the bus.

    @ivar bus: where notices are published and subscribed; set before the
        first message (the bus is made with this feed as its listener).
    """

    log = Logger()
    bus: RedisBus

    def __init__(self, clock: IReactorTime, store: IChatStore) -> None:
        self._clock = clock
        self._store = store
        self._following: dict[str, _Following] = {}
        self._readFailures = 0

    # Saying

    def say(
        self, room: Room, message: RoomMessage, sender: Member
    ) -> Deferred[RoomMessage]:
        def committed(sequence: int) -> Deferred[RoomMessage]:
            METERS.stored["room"] += 1
            said = numbered(message, sequence)
            folded = fold(room.name)
            self.bus.publishRoom(folded, sequence, encodeMessage(said))
            following = self._following.get(folded)
            if following is None:
                # Said from outside a room nobody here is in: only the
                # sender is here to see it.
                deliver(room, said, sender)
                return succeed(said)
            done: Deferred[RoomMessage] = Deferred()
            following.waiting[sequence] = (said, sender, done)
            self._offer(following, sequence, said)
            return done

        return durable(self._store.appendNumbered(message)).addCallback(committed)

    # Following rooms

    def occupied(self, room: Room) -> None:
        folded = fold(room.name)
        if folded in self._following:
            return
        following = self._following[folded] = _Following(room)
        self._locate(following, first=True)
        self.bus.subscribe(folded).addCallback(
            lambda _: self._locateIfFollowed(following)
        )

    def vacated(self, room: Room) -> None:
        folded = fold(room.name)
        following = self._following.pop(folded, None)
        if following is None:
            return
        if following.retry is not None and following.retry.active():
            following.retry.cancel()
        self.bus.unsubscribe(folded)
        for ready in following.ready:
            ready.callback(None)
        for said, _, done in following.waiting.values():
            done.callback(said)

    def whenCurrent(self, room: Room) -> Deferred[None] | None:
        following = self._following.get(fold(room.name))
        if following is None or following.cursor is not None:
            return None
        ready: Deferred[None] = Deferred()
        following.ready.append(ready)
        return ready

    # What the bus says

    def roomAdvanced(self, room: str, sequence: int, payload: bytes | None) -> None:
        following = self._following.get(room)
        if following is None:
            return
        message = None if payload is None else decodeMessage(payload, room, sequence)
        self._offer(following, sequence, message)

    def reconnected(self) -> None:
        for following in list(self._following.values()):
            self._locate(following)

    # Delivering in order

    def _offer(
        self, following: _Following, sequence: int, message: RoomMessage | None
    ) -> None:
        cursor = following.cursor
        if cursor is None:
            following.heard = max(following.heard, sequence)
            return
        action = cursor.offer(sequence, message is not None)
        if isinstance(action, Deliver):
            assert message is not None
            self._deliver(following, message)
        elif isinstance(action, Read):
            self._read(following, action)

    def _deliver(self, following: _Following, message: RoomMessage) -> None:
        """
        Deliver the room's next message, or hold it while a replay of the
        room is read: a newcomer's (or resumer's) history comes before what
        follows it, as the store's one queue keeps it on one server.
        """
        if following.room.replaying or following.held:
            following.held.append(message)
            return
        self._deliverNow(following, message)

    def replayed(self, room: Room) -> None:
        following = self._following.get(fold(room.name))
        if following is None:
            return
        while following.held and not room.replaying:
            self._deliverNow(following, following.held.pop(0))

    def _deliverNow(self, following: _Following, message: RoomMessage) -> None:
        mine = following.waiting.pop(message.sequence, None)
        if mine is None:
            deliver(following.room, message, None)
            return
        said, sender, done = mine
        deliver(following.room, said, sender)
        done.callback(said)

    def _read(self, following: _Following, wanted: Read) -> None:
        """Read C{wanted} from the database and deliver it, in chunks."""
        room = following.room

        def got(messages: list[RoomMessage]) -> None:
            if self._following.get(fold(room.name)) is not following:
                return
            self._readFailures = 0
            cursor = following.cursor
            assert cursor is not None
            last = wanted.first - 1
            for message in messages:
                last = message.sequence
                # Read back as history: delivered as said just now.
                self._deliver(
                    following, numbered(cleanStored(message), message.sequence)
                )
            if len(messages) == READ_CHUNK and last < wanted.last:
                cursor.delivered = last
                self._read(following, Read(last + 1, wanted.last))
                return
            # Numbers the database no longer has (retention) are skipped.
            after = cursor.readFinished(wanted.last)
            self._settle(following)
            if after is not None:
                self._read(following, after)

        self._store.messagesFrom(
            room.name, wanted.first - 1, wanted.last, READ_CHUNK
        ).addCallbacks(got, self._readFailed, errbackArgs=(following,))

    def _settle(self, following: _Following) -> None:
        """Confirm this node's messages the cursor has gone past."""
        cursor = following.cursor
        assert cursor is not None
        held = {message.sequence for message in following.held}
        for sequence in [
            s for s in following.waiting if s <= cursor.delivered and s not in held
        ]:
            said, _, done = following.waiting.pop(sequence)
            done.callback(said)

    def _readFailed(self, failure: Failure, following: _Following) -> None:
        self._readFailures += 1
        if self._readFailures == 1:
            self.log.warn(
                "Catching {room} up from the database failed ({why}); trying"
                " again every {delay} s without a line each time",
                room=following.room.name,
                why=failure.getErrorMessage(),
                delay=RETRY_DELAY,
            )
        if following.cursor is not None:
            following.cursor.readFailed()
        self._retryLater(following)

    def _retryLater(self, following: _Following) -> None:
        if following.retry is None or not following.retry.active():
            following.retry = self._clock.callLater(
                RETRY_DELAY, self._locateIfFollowed, following
            )

    # Where a room stands

    def _locateIfFollowed(self, following: _Following) -> None:
        if self._following.get(fold(following.room.name)) is following:
            self._locate(following)

    def _locate(self, following: _Following, first: bool = False) -> None:
        """
        Ask the database for the room's last number and catch up to it; the
        first time, make the room current for the newcomers' replays.
        """
        room = following.room

        def located(last: int) -> None:
            if self._following.get(fold(room.name)) is not following:
                return
            if following.cursor is None:
                self._becomeCurrent(following, last)
            else:
                action = following.cursor.catchUp(last)
                if isinstance(action, Read):
                    self._read(following, action)

        def failed(failure: Failure) -> None:
            if (
                following.cursor is None
                and self._following.get(fold(room.name)) is following
            ):
                # Serve the newcomers from what this node knows; the retry
                # catches the room up.
                self._becomeCurrent(following, room.lastSequence)
            self._readFailed(failure, following)

        # By number, not by time: nodes stamp a message's time before the
        # database numbers it, so a later number may carry an earlier time.
        newest = self._store.messagesBetween(room.name, 0, LAST_NUMBER, 1)
        newest.addCallback(lambda found: found[-1].sequence if found else 0)
        newest.addCallbacks(located, failed)

    def _becomeCurrent(self, following: _Following, last: int) -> None:
        """
        The room stands at C{last}: its members (all newcomers, whose
        replays wait) get history through C{last} and live messages after.
        """
        room = following.room
        last = max(last, room.lastSequence)
        room.lastSequence = last
        for place in room.members.values():
            place.since = last
            place.replayedFrom = last + 1
        room.membershipChanged()
        following.cursor = RoomCursor(last)
        ready, following.ready = following.ready, []
        for waiting in ready:
            waiting.callback(None)
        self._settle(following)
        if following.heard > last:
            self._offer(following, following.heard, None)
