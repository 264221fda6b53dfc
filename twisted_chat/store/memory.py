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
from twisted_chat.chat.modes import AuditEntry, Ban, Rank, RoomSettings
from twisted_chat.chat.names import fold
from twisted_chat.store import (
    AccountRecord,
    Activity,
    IChatStore,
    OutOfSequence,
    StoredState,
)

DEFAULT_MEMORY_CAP = 10_000
"""Messages kept per room when no cap is given, so memory stays bounded."""


@implementer(IChatStore)
class MemoryStore:
    """
    Room messages, private messages, accounts and moderation in
    dictionaries.  What moderation writes is kept only for L{auditLog} (and
    tests) to read back: the core holds the rest itself while it runs.
    """

    def __init__(self, perRoomCap: int = DEFAULT_MEMORY_CAP) -> None:
        self._messages: defaultdict[str, deque[RoomMessage]] = defaultdict(
            lambda: deque(maxlen=perRoomCap)
        )
        self._pending: defaultdict[str, list[PrivateMessage]] = defaultdict(list)
        # Every private message kept, by conversation (its two folded nicks,
        # sorted), as many per conversation as per room.
        self._private: defaultdict[tuple[str, str], deque[PrivateMessage]] = (
            defaultdict(lambda: deque(maxlen=perRoomCap))
        )
        self._accounts: dict[str, AccountRecord] = {}
        self._certificates: dict[str, str] = {}  # fingerprint -> folded nick
        self._lastKept: defaultdict[str, int] = defaultdict(int)
        self.settings: dict[str, RoomSettings] = {}
        self.ranks: defaultdict[str, dict[str, Rank]] = defaultdict(dict)
        self.bans: defaultdict[str | None, dict[tuple[str, str], Ban]] = defaultdict(
            dict
        )
        self.serverOperators: set[str] = set()
        self._audit: list[AuditEntry] = []
        self._lastAuditId = 0  # not len(_audit): pruning must not reuse ids

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

    def appendNumbered(self, message: RoomMessage) -> Deferred[int]:
        room = fold(message.room)
        sequence = self._lastKept[room] = self._lastKept[room] + 1
        self._messages[room].append(replace(message, sequence=sequence))
        return succeed(sequence)

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

    def messagesFrom(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        found = [
            replace(message, room=room, history=True)
            for message in self._messages.get(fold(room), ())
            if after < message.sequence <= through
        ]
        return succeed(found[:limit])

    def sequenceBefore(self, room: str, time: int) -> Deferred[int]:
        earlier = [
            m.sequence for m in self._messages.get(fold(room), ()) if m.time < time
        ]
        return succeed(earlier[-1] if earlier else 0)

    def privateBetween(
        self, nick: str, other: str, after: int, before: int, limit: int, newest: bool
    ) -> Deferred[list[PrivateMessage]]:
        found = [
            message
            for message in self._private.get(_conversation(nick, other), ())
            if after < message.time < before
        ]
        if not limit:
            return succeed([])
        return succeed(found[-limit:] if newest else found[:limit])

    def activeConversations(
        self, nick: str | None, rooms: list[str], after: int, before: int, limit: int
    ) -> Deferred[list[Activity]]:
        latest: dict[str, Activity] = {}
        for room in rooms:
            times = [
                m.time
                for m in self._messages.get(fold(room), ())
                if after < m.time < before
            ]
            if times:
                latest[fold(room)] = Activity(room, max(times))
        for pair, messages in self._private.items() if nick is not None else ():
            if nick not in pair:
                continue
            for message in messages:
                other = (
                    message.recipient
                    if fold(message.sender) == nick
                    else message.sender
                )
                if after < message.time < before:
                    latest[fold(other)] = Activity(other, message.time)
        found = sorted(latest.values(), key=lambda activity: activity.latest)
        return succeed(found[-limit:] if limit else [])

    def appendPrivate(self, message: PrivateMessage, delivered: bool) -> Deferred[None]:
        pair = _conversation(fold(message.sender), fold(message.recipient))
        self._private[pair].append(message)
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

    def setSuspended(self, nick: str, suspended: bool) -> Deferred[None]:
        self._accounts[nick] = replace(self._accounts[nick], suspended=suspended)
        return succeed(None)

    def accountOfCertificate(self, fingerprint: str) -> Deferred[AccountRecord | None]:
        nick = self._certificates.get(fingerprint)
        return succeed(None if nick is None else self._accounts.get(nick))

    def certificates(self, nick: str) -> Deferred[list[str]]:
        return succeed(
            [fp for fp, owner in self._certificates.items() if owner == nick]
        )

    def addCertificate(self, nick: str, fingerprint: str) -> Deferred[None]:
        self._certificates.setdefault(fingerprint, nick)
        return succeed(None)

    def removeCertificate(self, nick: str, fingerprint: str) -> Deferred[None]:
        if self._certificates.get(fingerprint) == nick:
            del self._certificates[fingerprint]
        return succeed(None)

    def saveRoomSettings(self, room: str, settings: RoomSettings) -> Deferred[None]:
        self.settings[fold(room)] = settings
        return succeed(None)

    def saveRank(self, room: str, account: str, rank: Rank) -> Deferred[None]:
        if rank is Rank.MEMBER:
            self.ranks[fold(room)].pop(account, None)
        else:
            self.ranks[fold(room)][account] = rank
        return succeed(None)

    def saveBan(self, room: str | None, ban: Ban) -> Deferred[None]:
        self.bans[room and fold(room)][ban.kind, ban.mask] = ban
        return succeed(None)

    def removeBan(self, room: str | None, kind: str, mask: str) -> Deferred[None]:
        self.bans[room and fold(room)].pop((kind, mask), None)
        return succeed(None)

    def setServerOperator(self, account: str, granted: bool) -> Deferred[None]:
        if granted:
            self.serverOperators.add(account)
        else:
            self.serverOperators.discard(account)
        return succeed(None)

    def forgetRoomModeration(self, room: str) -> Deferred[None]:
        folded = fold(room)
        self.settings.pop(folded, None)
        self.ranks.pop(folded, None)
        self.bans.pop(folded, None)
        return succeed(None)

    def appendAudit(self, entry: AuditEntry) -> Deferred[None]:
        self._lastAuditId += 1
        self._audit.append(replace(entry, id=self._lastAuditId))
        return succeed(None)

    def auditLog(
        self, room: str | None, before: int | None, limit: int
    ) -> Deferred[list[AuditEntry]]:
        found = [
            entry
            for entry in reversed(self._audit)
            if (before is None or entry.id < before)
            and (
                room is None
                or (entry.room is not None and fold(entry.room) == fold(room))
            )
        ]
        return succeed(found[:limit])

    def prune(self, olderThan: int | None, perRoomCap: int | None) -> Deferred[int]:
        if olderThan is not None:
            self._audit = [entry for entry in self._audit if entry.time >= olderThan]
        removed = 0
        for room, messages in self._messages.items():
            kept = [m for m in messages if olderThan is None or m.time >= olderThan]
            if perRoomCap is not None:
                kept = kept[-perRoomCap:] if perRoomCap else []
            removed += len(messages) - len(kept)
            self._messages[room] = deque(kept, maxlen=messages.maxlen)
        for pair, said in self._private.items():
            keptPrivate = [m for m in said if olderThan is None or m.time >= olderThan]
            self._private[pair] = deque(keptPrivate, maxlen=said.maxlen)
        return succeed(removed)

    def size(self) -> Deferred[int]:
        return succeed(0)

    def close(self) -> Deferred[None]:
        return succeed(None)

    def abandon(self) -> None:
        pass


def _conversation(nick: str, other: str) -> tuple[str, str]:
    """The key of the private conversation between two folded nicks."""
    return (nick, other) if nick <= other else (other, nick)
