"""
Tests for the client certificates accounts register for SASL EXTERNAL, on
both stores, and for their table's migration.
"""

import sqlite3

from twisted.internet import reactor
from twisted.python.filepath import FilePath
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_chat.store import AccountRecord, IChatStore
from twisted_chat.store.memory import MemoryStore
from twisted_chat.store.schema import MIGRATIONS, migrate
from twisted_chat.store.sqlite import SQLiteStore

T = 1_700_000_000_000
ONE = "a" * 64
TWO = "b" * 64


class CertificateContract:
    """Tests every store must pass; mixed into a test case with makeStore."""

    def makeStore(self) -> IChatStore:
        raise NotImplementedError

    async def withAccounts(self) -> IChatStore:
        store = self.makeStore()
        await store.createAccount(AccountRecord("Ann", "hash", T))
        await store.createAccount(AccountRecord("Bob", "hash", T))
        return store

    async def test_findAccount(self) -> None:
        """A registered fingerprint finds its account; another finds none."""
        store = await self.withAccounts()
        await store.addCertificate("ann", ONE)
        self.assertEqual(  # type: ignore[attr-defined]
            await store.accountOfCertificate(ONE), AccountRecord("Ann", "hash", T)
        )
        self.assertIsNone(await store.accountOfCertificate(TWO))  # type: ignore[attr-defined]
        await store.close()

    async def test_listInOrder(self) -> None:
        """An account's fingerprints are listed in the order added, its own only."""
        store = await self.withAccounts()
        await store.addCertificate("ann", TWO)
        await store.addCertificate("ann", ONE)
        await store.addCertificate("bob", "c" * 64)
        self.assertEqual(await store.certificates("ann"), [TWO, ONE])  # type: ignore[attr-defined]
        self.assertEqual(await store.certificates("cy"), [])  # type: ignore[attr-defined]
        await store.close()

    async def test_oneAccountEach(self) -> None:
        """A fingerprint another account registered stays that account's."""
        store = await self.withAccounts()
        await store.addCertificate("ann", ONE)
        await store.addCertificate("bob", ONE)
        self.assertEqual((await store.accountOfCertificate(ONE)).nick, "Ann")  # type: ignore[attr-defined,union-attr]
        self.assertEqual(await store.certificates("bob"), [])  # type: ignore[attr-defined]
        await store.close()

    async def test_remove(self) -> None:
        """Removing forgets the fingerprint, but only its own account may."""
        store = await self.withAccounts()
        await store.addCertificate("ann", ONE)
        await store.removeCertificate("bob", ONE)
        self.assertEqual(await store.certificates("ann"), [ONE])  # type: ignore[attr-defined]
        await store.removeCertificate("ann", ONE)
        self.assertEqual(await store.certificates("ann"), [])  # type: ignore[attr-defined]
        self.assertIsNone(await store.accountOfCertificate(ONE))  # type: ignore[attr-defined]
        await store.close()


class MemoryCertificateTests(CertificateContract, TestCase):
    def makeStore(self) -> IChatStore:
        return MemoryStore()


class SQLiteCertificateTests(CertificateContract, TestCase):
    def setUp(self) -> None:
        self.path = FilePath(self.mktemp())
        self.path.parent().makedirs(ignoreExistingDirectory=True)

    def makeStore(self) -> IChatStore:
        store = SQLiteStore(self.path.path, reactor)
        store.load()
        self.addCleanup(lambda: store.close() if not store.writer.closed else None)
        return store

    async def test_survivesRestart(self) -> None:
        """Fingerprints are kept across a restart."""
        store = await self.withAccounts()
        await store.addCertificate("ann", ONE)
        await store.close()
        again = self.makeStore()
        self.assertEqual(await again.certificates("ann"), [ONE])
        await again.close()


class CertificateMigrationTests(SynchronousTestCase):
    def test_fromVersionTwo(self) -> None:
        """A version 2 file gets the certificates table, its accounts kept."""
        connection = sqlite3.connect(":memory:", isolation_level=None)
        for version in range(2):
            connection.executescript(
                f"BEGIN; {MIGRATIONS[version]} PRAGMA user_version = {version + 1};"
                " COMMIT;"
            )
        connection.execute(
            "INSERT INTO accounts (folded, nick, password_hash, created)"
            " VALUES ('ann', 'Ann', 'h', 1)"
        )
        self.assertEqual(migrate(connection), 2)
        connection.execute("INSERT INTO certificates VALUES (?, 'ann')", (ONE,))
        self.assertEqual(
            connection.execute(
                "SELECT nick FROM certificates JOIN accounts ON folded = account"
            ).fetchall(),
            [("Ann",)],
        )
