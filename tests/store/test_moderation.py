"""
Tests for what the stores keep of moderation: rooms' settings, ranks, bans
and mutes, server operators, suspended accounts and the audit log.

The same tests run against L{twisted_chat.store.memory.MemoryStore} and
L{twisted_chat.store.sqlite.SQLiteStore}; for the durable one, what was kept
is read back by L{twisted_chat.store.IChatStore.load} after a restart.
"""

import time
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import TYPE_CHECKING

from twisted.internet import reactor
from twisted.python.filepath import FilePath
from twisted.trial.unittest import TestCase

from twisted_chat.chat.events import RoomMessage, TopicInfo
from twisted_chat.chat.modes import BAN, MUTE, AuditEntry, Ban, Rank, RoomSettings
from twisted_chat.chat.names import fold
from twisted_chat.store import AccountRecord, IChatStore, StoredState
from twisted_chat.store.memory import MemoryStore
from twisted_chat.store.sqlite import SQLiteStore

T = 1_700_000_000_000

STRICT = RoomSettings(
    topicLock=False,
    moderated=True,
    inviteOnly=True,
    key="sesame",
    limit=12,
    secret=True,
    noOutside=False,
    registeredOnly=True,
)
"""Settings unlike the defaults in every field."""


def ban(
    mask: str, kind: str = BAN, reason: str = "", expires: int | None = None
) -> Ban:
    return Ban(mask, kind, "op", T, expires, reason)


def audit(action: str, room: str | None, time: int = T) -> AuditEntry:
    return AuditEntry(time, "op", action, room, "target", f"why {action}")


def isRising(numbers: list[int]) -> bool:
    return all(a < b for a, b in pairwise(numbers))


@dataclass
class Kept:
    """
    What a store keeps of moderation, in one shape for both stores: only
    what differs from a room never moderated.

    @ivar bans: by folded room name, and L{None} for server-wide ones.
    """

    settings: dict[str, RoomSettings] = field(default_factory=dict)
    ranks: dict[str, dict[str, Rank]] = field(default_factory=dict)
    bans: dict[str | None, set[Ban]] = field(default_factory=dict)
    serverOperators: set[str] = field(default_factory=set)

    @classmethod
    def loaded(cls, state: StoredState) -> "Kept":
        kept = cls(serverOperators=state.serverOperators)
        if state.serverBans:
            kept.bans[None] = set(state.serverBans)
        for room in state.rooms:
            folded = fold(room.name)
            if room.settings != RoomSettings():
                kept.settings[folded] = room.settings
            if room.ranks:
                kept.ranks[folded] = room.ranks
            if room.bans:
                kept.bans[folded] = set(room.bans)
        return kept

    @classmethod
    def inMemory(cls, store: MemoryStore) -> "Kept":
        return cls(
            {room: s for room, s in store.settings.items() if s != RoomSettings()},
            {room: dict(ranks) for room, ranks in store.ranks.items() if ranks},
            {room: set(bans.values()) for room, bans in store.bans.items() if bans},
            set(store.serverOperators),
        )


if TYPE_CHECKING:
    _ContractBase = TestCase
else:
    _ContractBase = object


class ModerationContract(_ContractBase):
    """Tests every store must pass; mixed into a test case."""

    def makeStore(self) -> IChatStore:
        raise NotImplementedError

    async def restarted(self, store: IChatStore) -> tuple[IChatStore, Kept]:
        """
        The store after a restart (a durable one), or as it is (one in
        memory), and what it keeps of moderation.
        """
        raise NotImplementedError

    async def test_roomSettings(self) -> None:
        """A room's settings are kept whole, the last saved replacing the others."""
        store = self.makeStore()
        await store.saveRoomSettings("#Dev", RoomSettings(moderated=True))
        await store.saveRoomSettings("#dev", STRICT)
        await store.saveRoomSettings("#Other", RoomSettings(limit=3))
        store, kept = await self.restarted(store)
        self.assertEqual(
            kept.settings, {"#dev": STRICT, "#other": RoomSettings(limit=3)}
        )
        await store.saveRoomSettings("#other", RoomSettings())
        store, kept = await self.restarted(store)
        self.assertEqual(kept.settings, {"#dev": STRICT})
        await store.close()

    async def test_ranks(self) -> None:
        """Ranks are kept by room and account; saving L{Rank.MEMBER} forgets one."""
        store = self.makeStore()
        await store.saveRank("#Dev", "ann", Rank.FOUNDER)
        await store.saveRank("#dev", "bob", Rank.VOICE)
        await store.saveRank("#dev", "bob", Rank.OPERATOR)
        await store.saveRank("#dev", "cy", Rank.VOICE)
        await store.saveRank("#dev", "cy", Rank.MEMBER)
        await store.saveRank("#other", "ann", Rank.VOICE)
        await store.saveRank("#nowhere", "ann", Rank.MEMBER)
        store, kept = await self.restarted(store)
        self.assertEqual(
            kept.ranks,
            {
                "#dev": {"ann": Rank.FOUNDER, "bob": Rank.OPERATOR},
                "#other": {"ann": Rank.VOICE},
            },
        )
        self.assertIs(kept.ranks["#dev"]["ann"], Rank.FOUNDER)
        await store.close()

    async def test_banReplacesSameMask(self) -> None:
        """
        A ban replaces the one of the same kind and mask; a mute of the same
        mask is another entry.
        """
        store = self.makeStore()
        await store.saveBan("#Dev", ban("*!*@bad", reason="spam"))
        await store.saveBan("#dev", ban("*!*@bad", reason="flood", expires=T + 60_000))
        await store.saveBan("#dev", ban("*!*@bad", kind=MUTE))
        await store.saveBan("#dev", ban("account:eve"))
        store, kept = await self.restarted(store)
        self.assertEqual(
            kept.bans,
            {
                "#dev": {
                    ban("*!*@bad", reason="flood", expires=T + 60_000),
                    ban("*!*@bad", kind=MUTE),
                    ban("account:eve"),
                }
            },
        )
        await store.close()

    async def test_removeBan(self) -> None:
        """
        Removing a ban forgets only that kind and mask; removing one that
        is not there does nothing.
        """
        store = self.makeStore()
        await store.saveBan("#dev", ban("*!*@bad"))
        await store.saveBan("#dev", ban("*!*@bad", kind=MUTE))
        await store.removeBan("#DEV", BAN, "*!*@bad")
        await store.removeBan("#dev", BAN, "*!*@bad")
        await store.removeBan("#dev", BAN, "nobody")
        await store.removeBan("#nowhere", MUTE, "*!*@bad")
        await store.removeBan(None, BAN, "*!*@bad")
        store, kept = await self.restarted(store)
        self.assertEqual(kept.bans, {"#dev": {ban("*!*@bad", kind=MUTE)}})
        await store.close()

    async def test_serverBansApart(self) -> None:
        """
        Server-wide bans and a room's bans of the same mask are kept apart:
        each is replaced and removed without touching the other.
        """
        store = self.makeStore()
        await store.saveBan(None, ban("192.0.2.0/24", reason="server"))
        await store.saveBan("#dev", ban("192.0.2.0/24", reason="room"))
        await store.saveBan(None, ban("198.51.100.7"))
        store, kept = await self.restarted(store)
        self.assertEqual(
            kept.bans,
            {
                None: {ban("192.0.2.0/24", reason="server"), ban("198.51.100.7")},
                "#dev": {ban("192.0.2.0/24", reason="room")},
            },
        )
        await store.removeBan(None, BAN, "192.0.2.0/24")
        await store.removeBan("#dev", BAN, "198.51.100.7")
        store, kept = await self.restarted(store)
        self.assertEqual(
            kept.bans,
            {
                None: {ban("198.51.100.7")},
                "#dev": {ban("192.0.2.0/24", reason="room")},
            },
        )
        await store.close()

    async def test_serverOperators(self) -> None:
        """Server operators are granted and taken back; taking back none is no harm."""
        store = self.makeStore()
        await store.setServerOperator("ann", True)
        await store.setServerOperator("ann", True)
        await store.setServerOperator("bob", True)
        await store.setServerOperator("bob", False)
        await store.setServerOperator("cy", False)
        store, kept = await self.restarted(store)
        self.assertEqual(kept.serverOperators, {"ann"})
        await store.close()

    async def test_forgetRoomModeration(self) -> None:
        """
        Forgetting a room's moderation puts its settings back to the
        defaults and forgets its ranks and bans, and nothing of other rooms
        or the server.
        """
        store = self.makeStore()
        for room in ("#Dev", "#other"):
            await store.saveRoomSettings(room, STRICT)
            await store.saveRank(room, "ann", Rank.FOUNDER)
            await store.saveBan(room, ban("eve"))
        await store.saveBan(None, ban("eve"))
        await store.setServerOperator("ann", True)
        await store.forgetRoomModeration("#DEV")
        await store.forgetRoomModeration("#nowhere")
        store, kept = await self.restarted(store)
        self.assertEqual(
            kept,
            Kept(
                {"#other": STRICT},
                {"#other": {"ann": Rank.FOUNDER}},
                {"#other": {ban("eve")}, None: {ban("eve")}},
                {"ann"},
            ),
        )
        await store.close()

    async def test_suspended(self) -> None:
        """An account is suspended and let back in; a new one is not suspended."""
        store = self.makeStore()
        await store.createAccount(AccountRecord("Ann", "hash", T))
        await store.createAccount(AccountRecord("Bob", "hash", T))
        await store.setSuspended("ann", True)
        store, _ = await self.restarted(store)
        self.assertEqual(
            await store.account("ann"), AccountRecord("Ann", "hash", T, suspended=True)
        )
        self.assertFalse((await store.account("bob")).suspended)  # type: ignore[union-attr]
        await store.setSuspended("ann", False)
        store, _ = await self.restarted(store)
        self.assertFalse((await store.account("ann")).suspended)  # type: ignore[union-attr]
        await store.close()

    async def test_auditLog(self) -> None:
        """
        The audit log gives entries newest first, numbered rising, below a
        number if asked, at most as many as asked, of one room in any case
        or of the whole server.
        """
        store = self.makeStore()
        entries = [
            audit("ban", "#Dev"),
            audit("kline", None),
            audit("op", "#other"),
            audit("kick", "#dev"),
            audit("mode", "#Dev"),
        ]
        for entry in entries:
            await store.appendAudit(entry)
        store, _ = await self.restarted(store)
        everything = await store.auditLog(None, None, 100)
        self.assertEqual([replace(e, id=0) for e in reversed(everything)], entries)
        self.assertTrue(isRising([e.id for e in reversed(everything)]))
        self.assertEqual(await store.auditLog(None, None, 2), everything[:2])
        self.assertEqual(
            await store.auditLog(None, everything[1].id, 2), everything[2:4]
        )
        self.assertEqual(await store.auditLog(None, everything[-1].id, 10), [])
        self.assertEqual(await store.auditLog(None, None, 0), [])
        dev = await store.auditLog("#DEV", None, 10)
        self.assertEqual([e.action for e in dev], ["mode", "kick", "ban"])
        self.assertEqual([e.room for e in dev], ["#Dev", "#dev", "#Dev"])
        self.assertEqual(
            [e.action for e in await store.auditLog("#dev", dev[0].id, 1)], ["kick"]
        )
        self.assertEqual(await store.auditLog("#nowhere", None, 10), [])
        await store.close()

    async def test_pruneAudit(self) -> None:
        """
        Pruning by age drops audit entries older than asked, and the entries
        kept after it are numbered above every one before, even when all
        the newest were pruned.
        """
        store = self.makeStore()
        for offset in range(4):
            await store.appendAudit(audit("kick", "#dev", time=T + offset))
        await store.prune(T + 2, None)
        kept = await store.auditLog(None, None, 10)
        self.assertEqual([e.time for e in kept], [T + 3, T + 2])
        await store.prune(None, 0)
        self.assertEqual(len(await store.auditLog(None, None, 10)), 2, "by age only")
        await store.prune(T + 10, None)
        self.assertEqual(await store.auditLog(None, None, 10), [])
        await store.appendAudit(audit("ban", "#dev", time=T + 20))
        await store.appendAudit(audit("op", None, time=T + 20))
        store, _ = await self.restarted(store)
        await store.appendAudit(audit("mode", None, time=T + 20))
        newest = await store.auditLog(None, None, 10)
        self.assertEqual([e.action for e in newest], ["mode", "op", "ban"])
        self.assertTrue(isRising([kept[0].id] + [e.id for e in reversed(newest)]))
        await store.close()


class MemoryModerationTests(ModerationContract, TestCase):
    def makeStore(self) -> IChatStore:
        return MemoryStore()

    async def restarted(self, store: IChatStore) -> tuple[IChatStore, Kept]:
        assert isinstance(store, MemoryStore)
        return store, Kept.inMemory(store)


class SQLiteModerationTests(ModerationContract, TestCase):
    def setUp(self) -> None:
        self.path = FilePath(self.mktemp())
        self.path.parent().makedirs(ignoreExistingDirectory=True)

    def makeStore(self) -> SQLiteStore:
        return self.opened()[0]

    def opened(self) -> tuple[SQLiteStore, StoredState]:
        store = SQLiteStore(self.path.path, reactor)
        state = store.load()
        self.addCleanup(lambda: store.close() if not store.writer._closed else None)
        return store, state

    async def restarted(self, store: IChatStore) -> tuple[IChatStore, Kept]:
        await store.close()
        again, state = self.opened()
        return again, Kept.loaded(state)

    async def test_roomsListed(self) -> None:
        """
        A room is listed at start-up when it has a history, a topic,
        settings other than the defaults, ranks or bans, with what it has;
        one whose moderation was forgotten and that has nothing else is not.
        """
        store = self.makeStore()
        await store.appendMessage(RoomMessage("#History", 1, T, "ann", "hi"))
        await store.saveTopic(TopicInfo("#Topic", "ann", T, "plans"))
        await store.saveRoomSettings("#Settings", STRICT)
        await store.saveRoomSettings("#Defaults", RoomSettings())
        await store.saveRank("#Ranks", "ann", Rank.VOICE)
        await store.saveBan("#Bans", ban("eve"))
        await store.saveBan("#Forgotten", ban("eve"))
        await store.saveRank("#Forgotten", "ann", Rank.OPERATOR)
        await store.forgetRoomModeration("#forgotten")
        await store.saveRank("#Demoted", "ann", Rank.OPERATOR)
        await store.saveRank("#demoted", "ann", Rank.MEMBER)
        await store.saveBan("#Unbanned", ban("eve"))
        await store.removeBan("#Unbanned", BAN, "eve")
        await store.saveBan(None, ban("eve"))
        await store.appendMessage(RoomMessage("#History", 2, T, "ann", "hi"))
        await store.saveRoomSettings("#History", STRICT)
        await store.forgetRoomModeration("#History")
        await store.close()
        _, state = self.opened()
        rooms = {room.name: room for room in state.rooms}
        self.assertEqual(
            sorted(rooms), ["#Bans", "#History", "#Ranks", "#Settings", "#Topic"]
        )
        self.assertEqual(rooms["#History"].lastSequence, 2)
        self.assertEqual(rooms["#History"].settings, RoomSettings())
        self.assertEqual(rooms["#Settings"].settings, STRICT)
        self.assertEqual(rooms["#Settings"].lastSequence, 0)
        self.assertEqual(rooms["#Ranks"].ranks, {"ann": Rank.VOICE})
        self.assertEqual(rooms["#Bans"].bans, (ban("eve"),))
        self.assertEqual(state.serverBans, (ban("eve"),))

    async def test_created(self) -> None:
        """
        A room's row says when it was first made, from its first message or
        the moment something else of it was first kept, and keeps that.
        """
        store = self.makeStore()
        before = int(time.time() * 1000)
        await store.saveRoomSettings("#Settings", STRICT)
        after = int(time.time() * 1000)
        await store.appendMessage(RoomMessage("#Dev", 1, T, "ann", "hi"))
        await store.appendMessage(RoomMessage("#Dev", 2, T + 5, "ann", "hi"))
        await store.saveRank("#Dev", "ann", Rank.FOUNDER)
        await store.saveRoomSettings("#settings", RoomSettings(limit=3))
        store, _ = await self.restarted(store)
        await store.close()
        _, state = self.opened()
        rooms = {room.name: room for room in state.rooms}
        self.assertEqual(rooms["#Dev"].created, T)
        self.assertTrue(before <= rooms["#Settings"].created <= after)
