"""
Tests for copying a SQLite chat into PostgreSQL (L{twisted_chat.store.pgimport})
and for the command that does it, C{twisted-chat-admin migrate}: what the
SQLite store kept, the PostgreSQL store reads back the same.
"""

import io
import sqlite3

from twisted.internet import reactor
from twisted.python.filepath import FilePath
from twisted.trial.unittest import TestCase

from tests.postgresserver import postgres
from twisted_chat.app.admin import main
from twisted_chat.chat.events import PrivateMessage, RoomMessage, TopicInfo
from twisted_chat.chat.modes import AuditEntry, Ban, Rank, RoomSettings
from twisted_chat.store import AccountRecord
from twisted_chat.store.pgaddress import parseAddress
from twisted_chat.store.sqlite import SQLiteStore

T = 1_700_000_000_000


class CopyTests(TestCase):
    def setUp(self) -> None:
        self.server = postgres()
        self.url = self.server.emptiedDatabase()
        directory = FilePath(self.mktemp())
        directory.makedirs()
        self.file = directory.child("chat.sqlite3").path

    async def fill(self) -> None:
        """A SQLite chat with something of everything it keeps."""
        store = SQLiteStore(self.file, reactor)
        store.load()
        for n in range(1, 6):
            await store.appendMessage(RoomMessage("#Dev", n, T + n, "ann", f"m{n}"))
        await store.appendMessage(RoomMessage("#Dev", 6, T + 6, "bob", "waves", True))
        await store.appendMessage(RoomMessage("#old", 1, T - 10**9, "ann", "gone"))
        await store.prune(T, None)
        await store.saveTopic(TopicInfo("#Dev", "ann", T, "plans"))
        await store.createAccount(AccountRecord("Ann", "hash-a", T))
        await store.createAccount(AccountRecord("Bob", "hash-b", T, suspended=True))
        await store.addCertificate("ann", "b" * 64)
        await store.addCertificate("ann", "a" * 64)
        await store.saveRoomSettings("#Dev", RoomSettings(moderated=True, limit=5))
        await store.saveRank("#Dev", "ann", Rank.FOUNDER)
        await store.saveBan("#Dev", Ban("eve!*@*", "ban", "ann", T, T + 99, "spam"))
        await store.saveBan(None, Ban("*@bad.host", "ban", "server", T, None, ""))
        await store.setServerOperator("ann", True)
        await store.appendAudit(AuditEntry(T, "ann", "ban", "#Dev", "eve", "spam"))
        await store.appendAudit(AuditEntry(T + 1, "server", "kill", None, "eve", ""))
        await store.appendPrivate(PrivateMessage("bob", "Ann", T, "psst"), False)
        await store.appendPrivate(PrivateMessage("ann", "bob", T + 1, "hi"), True)
        await store.close()

    def migrate(self, *argv: str) -> tuple[int, str, str]:
        stdout, stderr = io.StringIO(), io.StringIO()
        status = main(["migrate", *argv], stdout, stderr)
        return status, stdout.getvalue(), stderr.getvalue()

    async def test_everythingCopied(self) -> None:
        """
        The PostgreSQL store loads what the SQLite store loads, and reads
        back the messages, accounts, certificates, audit log and waiting
        private messages; numbers go on from where they were.
        """
        from twisted_chat.store.postgres import PostgresStore

        await self.fill()
        sqliteStore = SQLiteStore(self.file, reactor)
        expected = sqliteStore.load()
        status, out, err = self.migrate("--from", self.file, "--to", self.url)
        self.assertEqual((status, err), (0, ""))
        self.assertIn("6 messages", out)
        store = PostgresStore(self.url, reactor)
        state = store.load()
        self.addCleanup(lambda: store.close() if not store.writer.closed else None)
        self.assertEqual(
            sorted(state.rooms, key=lambda room: room.name),
            sorted(expected.rooms, key=lambda room: room.name),
        )
        self.assertEqual(
            {room.name: room.lastSequence for room in state.rooms},
            {"#Dev": 6, "#old": 1},
        )
        self.assertEqual(
            state,
            expected.__class__(
                state.rooms,
                *[
                    getattr(expected, name)
                    for name in (
                        "registeredNicks",
                        "waitingPrivate",
                        "serverBans",
                        "serverOperators",
                    )
                ],
            ),
        )
        found = await store.messagesBetween("#dev", 0, 10, 10)
        self.assertEqual(
            [m.text for m in found], [f"m{n}" for n in range(1, 6)] + ["waves"]
        )
        self.assertTrue(found[-1].action)
        self.assertEqual(
            await store.account("bob"), AccountRecord("Bob", "hash-b", T, True)
        )
        self.assertEqual(await store.certificates("ann"), ["b" * 64, "a" * 64])
        audit = await store.auditLog(None, None, 10)
        self.assertEqual([(e.action, e.id) for e in audit], [("kill", 2), ("ban", 1)])
        self.assertEqual(
            await store.takePendingPrivate("ann"),
            [PrivateMessage("bob", "Ann", T, "psst", offline=True)],
        )
        await store.appendMessage(RoomMessage("#Dev", 7, T + 7, "ann", "next"))
        await store.appendAudit(AuditEntry(T + 2, "ann", "kick", "#Dev", "x", ""))
        self.assertEqual((await store.auditLog(None, None, 1))[0].id, 3)
        await store.close()

    async def test_refusesAChatAlreadyThere(self) -> None:
        """A database holding a chat already is left alone, saying why."""
        await self.fill()
        self.assertEqual(self.migrate("--from", self.file, "--to", self.url)[0], 0)
        status, _, err = self.migrate("--from", self.file, "--to", self.url)
        self.assertEqual(status, 1)
        self.assertEqual(
            err,
            f"twisted-chat-admin: PostgreSQL at {parseAddress(self.url)} already"
            " holds a chat (its rooms); copy into an empty database\n",
        )

    def test_noSuchFile(self) -> None:
        """A --from that does not exist is not made: one line says so."""
        status, _, err = self.migrate("--from", self.file, "--to", self.url)
        self.assertEqual(
            (status, err), (1, f"twisted-chat-admin: no such file {self.file}\n")
        )
        self.assertFalse(FilePath(self.file).exists())

    def test_anotherProgramsFile(self) -> None:
        """Another program's SQLite file is refused and left as it was."""
        connection = sqlite3.connect(self.file)
        connection.execute("CREATE TABLE places (url TEXT)")
        connection.commit()
        connection.close()
        status, _, err = self.migrate("--from", self.file, "--to", self.url)
        self.assertEqual(status, 1)
        self.assertIn("another program's database", err)

    def test_usage(self) -> None:
        """Missing or bad options are usage errors, status 2."""
        self.assertEqual(self.migrate("--from", self.file)[0], 2)
        status, _, err = self.migrate("--from", self.file, "--to", "postgresql://h")
        self.assertEqual(status, 2)
        self.assertIn("--to: a bad PostgreSQL URL: no database name", err)
