"""
A store that keeps everything in memory and forgets it at exit.

It answers at once (its Deferreds have already fired), which keeps the order
L{twisted_chat.store.IChatStore} promises trivially.  The server uses it for
C{--db :memory:}; the tests and the benchmarks use it as "the store off".
"""

from collections import defaultdict, deque
from dataclasses import replace

from twisted.internet.defer import Deferred, fail, succeed
from zope.interface import implementer

from twisted_chat.chat.events import PrivateMessage, RoomMessage, TopicInfo
from twisted_chat.chat.names import fold
from twisted_chat.store import AccountRecord, IChatStore, OutOfSequence, StoredState

DEFAULT_MEMORY_CAP = 10_000
"""Messages kept per room when no cap is given, so memory stays bounded."""


@implementer(IChatStore)
class MemoryStore:
    """
    Room messages, private messages and accounts in dictionaries.
    """

    def __init__(self, perRoomCap: int = DEFAULT_MEMORY_CAP) -> None:
        self._messages: defaultdict[str, deque[RoomMessage]] = defaultdict(
            lambda: deque(maxlen=perRoomCap)
        )
        self._pending: defaultdict[str, list[PrivateMessage]] = defaultdict(list)
        self._accounts: dict[str, AccountRecord] = {}
        self._lastKept: defaultdict[str, int] = defaultdict(int)

    def load(self) -> StoredState:
        return StoredState()

    def appendMessage(self, message: RoomMessage) -> Deferred[None]:
        room = fold(message.room)
        if message.sequence != self._lastKept[room] + 1:
            return fail(
                OutOfSequence(message.room, message.sequence, self._lastKept[room])
            )
        self._lastKept[room] = message.sequence
        self._messages[room].append(message)
        return succeed(None)

    def saveTopic(self, topic: TopicInfo) -> Deferred[None]:
        return succeed(None)

    def messagesBetween(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        found = [
            replace(message, room=room, history=True)
            for message in self._messages.get(fold(room), ())
            if after < message.sequence <= through
        ]
        return succeed(found[-limit:] if limit else [])

    def appendPrivate(self, message: PrivateMessage, delivered: bool) -> Deferred[None]:
        if not delivered:
            self._pending[fold(message.recipient)].append(
                replace(message, offline=True)
            )
        return succeed(None)

    def takePendingPrivate(self, recipient: str) -> Deferred[list[PrivateMessage]]:
        return succeed(self._pending.pop(recipient, []))

    def account(self, nick: str) -> Deferred[AccountRecord | None]:
        return succeed(self._accounts.get(nick))

    def createAccount(self, account: AccountRecord) -> Deferred[None]:
        self._accounts[fold(account.nick)] = account
        return succeed(None)

    def setPasswordHash(self, nick: str, passwordHash: str) -> Deferred[None]:
        self._accounts[nick] = replace(self._accounts[nick], passwordHash=passwordHash)
        return succeed(None)

    def prune(self, olderThan: int | None, perRoomCap: int | None) -> Deferred[int]:
        removed = 0
        for room, messages in self._messages.items():
            kept = [m for m in messages if olderThan is None or m.time >= olderThan]
            if perRoomCap is not None:
                kept = kept[-perRoomCap:] if perRoomCap else []
            removed += len(messages) - len(kept)
            self._messages[room] = deque(kept, maxlen=messages.maxlen)
        return succeed(removed)

    def close(self) -> Deferred[None]:
        return succeed(None)

    def abandon(self) -> None:
        pass
