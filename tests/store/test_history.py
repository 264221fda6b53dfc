"""
Tests for the history both stores read on request (IRC's C{CHATHISTORY}):
a room's messages from a point on, where a time falls in a room's
numbering, the private messages between two nicks, and the conversations
active in a span of time; and the migration that indexes them.
"""

import sqlite3
from typing import TYPE_CHECKING

from twisted.internet import reactor
from twisted.python.filepath import FilePath
from twisted.trial.unittest import TestCase

from twisted_chat.chat.events import PrivateMessage, RoomMessage
from twisted_chat.store import Activity, IChatStore
from twisted_chat.store.memory import MemoryStore
from twisted_chat.store.schema import MIGRATIONS, SCHEMA_VERSION
from twisted_chat.store.sqlite import SQLiteStore

T = 1_700_000_000_000

if TYPE_CHECKING:
    _ContractBase = TestCase
else:
    _ContractBase = object


def said(sequence: int, time: int, room: str = "#Dev") -> RoomMessage:
    return RoomMessage(room, sequence, time, "ann", f"message {sequence}")


def private(sender: str, recipient: str, time: int) -> PrivateMessage:
    return PrivateMessage(sender, recipient, time, f"{sender} at {time}")


class HistoryContract(_ContractBase):
    """Tests every store must pass; mixed into a test case with makeStore."""

    def makeStore(self) -> IChatStore:
        raise NotImplementedError

    async def test_messagesFrom(self) -> None:
        """The oldest messages after a number come first, limited, as history."""
        store = self.makeStore()
        for sequence in range(1, 7):
            await store.appendMessage(said(sequence, T + sequence))
        found = await store.messagesFrom("#dev", 2, 6, 3)
        self.assertEqual([m.sequence for m in found], [3, 4, 5])
        self.assertTrue(all(m.history and m.room == "#dev" for m in found))
        self.assertEqual(
            [m.sequence for m in await store.messagesFrom("#dev", 4, 5, 10)], [5]
        )
        self.assertEqual(await store.messagesFrom("#dev", 0, 6, 0), [])
        self.assertEqual(await store.messagesFrom("#other", 0, 6, 10), [])
        await store.close()

    async def test_sequenceBefore(self) -> None:
        """A time falls after the last message said before it, or at 0."""
        store = self.makeStore()
        for sequence in range(1, 5):
            await store.appendMessage(said(sequence, T + 10 * sequence))
        self.assertEqual(await store.sequenceBefore("#DEV", T), 0)
        self.assertEqual(await store.sequenceBefore("#dev", T + 10), 0)
        self.assertEqual(await store.sequenceBefore("#dev", T + 11), 1)
        self.assertEqual(await store.sequenceBefore("#dev", T + 35), 3)
        self.assertEqual(await store.sequenceBefore("#dev", T + 1000), 4)
        self.assertEqual(await store.sequenceBefore("#none", T + 1000), 0)
        await store.close()

    async def test_privateBetween(self) -> None:
        """
        A conversation is both ways, in a span of time, the newest or the
        oldest of it, oldest first; others' conversations are left out.
        """
        store = self.makeStore()
        for message in [
            private("Ann", "bob", T + 1),
            private("Bob", "ann", T + 2),
            private("ann", "carol", T + 3),
            private("ann", "Bob", T + 4),
            private("carol", "bob", T + 5),
            private("bob", "Ann", T + 6),
        ]:
            await store.appendPrivate(message, delivered=True)
        newest = await store.privateBetween("ann", "bob", T, T + 10, 3, True)
        self.assertEqual([m.time for m in newest], [T + 2, T + 4, T + 6])
        oldest = await store.privateBetween("bob", "ann", T, T + 10, 2, False)
        self.assertEqual(
            oldest, [private("Ann", "bob", T + 1), private("Bob", "ann", T + 2)]
        )
        inside = await store.privateBetween("ann", "bob", T + 1, T + 6, 10, False)
        self.assertEqual([m.time for m in inside], [T + 2, T + 4])
        self.assertEqual(
            await store.privateBetween("ann", "bob", T, T + 10, 0, True), []
        )
        await store.close()

    async def test_privateWithOneself(self) -> None:
        """A note to oneself is a conversation with oneself, each once."""
        store = self.makeStore()
        await store.appendPrivate(private("ann", "Ann", T), delivered=True)
        found = await store.privateBetween("ann", "ann", 0, T + 1, 10, True)
        self.assertEqual(found, [private("ann", "Ann", T)])
        await store.close()

    async def test_undeliveredIsHistoryToo(self) -> None:
        """A message waiting for its recipient is in the conversation."""
        store = self.makeStore()
        await store.appendPrivate(private("ann", "bob", T), delivered=False)
        found = await store.privateBetween("bob", "ann", 0, T + 1, 10, True)
        self.assertEqual([m.text for m in found], [f"ann at {T}"])
        await store.close()

    async def test_activeConversations(self) -> None:
        """
        The rooms asked about and the nick's private conversations with a
        message in the span, each with its latest time there, the most
        recently active ones, least recent first.
        """
        store = self.makeStore()
        await store.appendMessage(said(1, T + 1, "#Dev"))
        await store.appendMessage(said(2, T + 8, "#Dev"))
        await store.appendMessage(said(3, T + 20, "#Dev"))
        await store.appendMessage(said(1, T + 3, "#quiet"))
        await store.appendMessage(said(1, T + 5, "#secret"))
        await store.appendPrivate(private("ann", "Bob", T + 2), delivered=True)
        await store.appendPrivate(private("bob", "ann", T + 6), delivered=True)
        await store.appendPrivate(private("Carol", "ann", T + 4), delivered=True)
        await store.appendPrivate(private("dan", "eve", T + 7), delivered=True)
        rooms = ["#Dev", "#quiet"]
        found = await store.activeConversations("ann", rooms, T, T + 10, 10)
        self.assertEqual(
            found,
            [
                Activity("#quiet", T + 3),
                Activity("Carol", T + 4),
                Activity("bob", T + 6),
                Activity("#Dev", T + 8),
            ],
        )
        recent = await store.activeConversations("ann", rooms, T, T + 10, 2)
        self.assertEqual([a.target for a in recent], ["bob", "#Dev"])
        anonymous = await store.activeConversations(None, rooms, T + 3, T + 30, 10)
        self.assertEqual(anonymous, [Activity("#Dev", T + 20)])
        await store.close()

    async def test_prunedPrivateGone(self) -> None:
        """Pruning by age forgets old private messages from the history too."""
        store = self.makeStore()
        await store.appendPrivate(private("ann", "bob", T), delivered=True)
        await store.appendPrivate(private("ann", "bob", T + 100), delivered=True)
        await store.prune(T + 50, None)
        found = await store.privateBetween("ann", "bob", 0, T + 1000, 10, True)
        self.assertEqual([m.time for m in found], [T + 100])
        await store.close()


class MemoryHistoryTests(HistoryContract, TestCase):
    def makeStore(self) -> IChatStore:
        return MemoryStore()

    def test_privateBounded(self) -> None:
        """Memory keeps as many private messages per conversation as per room."""
        store = MemoryStore(perRoomCap=2)
        for time in range(5):
            store.appendPrivate(private("ann", "bob", T + time), delivered=True)
        found = self.successResultOf(
            store.privateBetween("ann", "bob", 0, T + 10, 10, False)
        )
        self.assertEqual([m.time for m in found], [T + 3, T + 4])


class SQLiteHistoryTests(HistoryContract, TestCase):
    def setUp(self) -> None:
        self.path = FilePath(self.mktemp())
        self.path.parent().makedirs(ignoreExistingDirectory=True)

    def makeStore(self) -> SQLiteStore:
        store = SQLiteStore(self.path.path, reactor)
        store.load()
        self.addCleanup(lambda: store.close() if not store.writer.closed else None)
        return store

    def test_readsUseIndexes(self) -> None:
        """Each history query is served by an index, not a scan of a table."""
        self.makeStore()
        connection = sqlite3.connect(self.path.path)
        self.addCleanup(connection.close)
        queries = [
            "SELECT sequence FROM messages WHERE room = 'a' AND time < 5"
            " ORDER BY time DESC, sequence DESC LIMIT 1",
            "SELECT time FROM private_messages WHERE sender_folded = 'a'"
            " AND recipient_folded = 'b' AND time > 1 AND time < 5"
            " ORDER BY time, id LIMIT 5",
            "SELECT time FROM private_messages WHERE recipient_folded = 'a'"
            " AND time > 1 AND time < 5",
            "SELECT time FROM private_messages WHERE sender_folded = 'a'"
            " AND time > 1 AND time < 5",
        ]
        for query in queries:
            plan = " ".join(
                row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + query)
            )
            self.assertIn("USING", plan, query)
            self.assertNotIn("SCAN", plan.replace("SCAN USING", ""), query)


class HistoryMigrationTests(TestCase):
    """A version 2 file gains what history needs, its private messages kept."""

    def setUp(self) -> None:
        self.path = FilePath(self.mktemp())
        self.path.parent().makedirs(ignoreExistingDirectory=True)

    async def test_fromVersion2(self) -> None:
        """
        The private messages a version 2 file kept are found by
        conversation, their senders folded; new ones join them.
        """
        connection = sqlite3.connect(self.path.path, isolation_level=None)
        connection.executescript(
            f"BEGIN; {MIGRATIONS[0]} {MIGRATIONS[1]} PRAGMA user_version = 2; COMMIT;"
        )
        connection.execute(
            """
            INSERT INTO private_messages
                (time, sender, recipient, recipient_folded, text, delivered)
            VALUES (?, 'Bob', 'Ann', 'ann', 'kept', 1)
            """,
            (T,),
        )
        connection.close()
        store = SQLiteStore(self.path.path, reactor)
        store.load()
        self.addCleanup(lambda: store.close() if not store.writer.closed else None)
        await store.appendPrivate(private("ann", "bob", T + 1), delivered=True)
        found = await store.privateBetween("ann", "bob", 0, T + 10, 10, True)
        self.assertEqual([m.text for m in found], ["kept", f"ann at {T + 1}"])
        self.assertEqual(
            await store.activeConversations("bob", [], 0, T + 10, 10),
            [Activity("ann", T + 1)],
        )
        await store.close()
        check = sqlite3.connect(self.path.path)
        self.addCleanup(check.close)
        self.assertEqual(
            check.execute("PRAGMA user_version").fetchone(), (SCHEMA_VERSION,)
        )
