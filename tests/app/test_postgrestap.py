"""
Tests for choosing the PostgreSQL store with C{--db postgresql://...}: the
URL checked with the options, the store made by the tap, and a start-up
that cannot use PostgreSQL stopped with one line.
"""

import sys

from twisted.internet.testing import MemoryReactorClock
from twisted.python.usage import UsageError
from twisted.trial.unittest import SynchronousTestCase

from tests.postgresserver import freePort, postgres
from twisted_chat.app import tap
from twisted_chat.app.service import ServerService, StartFailed


def parse(*argv: str) -> tap.Options:
    options = tap.Options()
    options.parseOptions(list(argv))
    return options


class PostgresOptionsTests(SynchronousTestCase):
    def test_accepted(self) -> None:
        """A whole URL is taken as it is."""
        url = "postgresql://chat:secret@db.lan:6543/chat?sslmode=require"
        self.assertEqual(parse("--db", url)["db"], url)

    def test_badURL(self) -> None:
        """A URL missing a part is refused in one line, without the password."""
        error = self.assertRaises(
            UsageError, parse, "--db", "postgresql://chat:secret@db.lan"
        )
        self.assertEqual(
            str(error),
            "--db: a bad PostgreSQL URL: no database name"
            " (postgresql://USER@HOST:PORT/DBNAME)",
        )


class PostgresServiceTests(SynchronousTestCase):
    def test_unreachable(self) -> None:
        """Nothing listening where --db points stops start-up with one line."""
        port = freePort()
        error = self.assertRaises(
            StartFailed,
            tap.makeService,
            parse("--db", f"postgresql://ann:secret@127.0.0.1:{port}/chat"),
            MemoryReactorClock(),
        )
        self.assertTrue(
            str(error).startswith(
                f"twistd chat: cannot reach PostgreSQL at 127.0.0.1:{port}/chat:"
                " Connection refused"
            ),
            str(error),
        )
        self.assertNotIn("secret", str(error))

    def test_notInstalled(self) -> None:
        """Without psycopg, --db postgresql://... says how to install it."""
        name = "twisted_chat.store.postgres"
        before = sys.modules.get(name)
        sys.modules[name] = None  # type: ignore[assignment]  # import fails
        self.addCleanup(
            lambda: (
                sys.modules.__setitem__(name, before)
                if before is not None
                else sys.modules.pop(name, None)
            )
        )
        error = self.assertRaises(
            StartFailed,
            tap.makeService,
            parse("--db", "postgresql://ann@db.lan/chat"),
            MemoryReactorClock(),
        )
        self.assertIn(
            "twistd chat: --db db.lan:5432/chat: PostgreSQL support", str(error)
        )
        self.assertIn("pip install 'twisted_chat[postgresql]'", str(error))

    def test_postgresStore(self) -> None:
        """--db postgresql://... makes a PostgreSQL store, and says where."""
        from twisted_chat.store.postgres import PostgresStore

        url = postgres().emptiedDatabase()
        service = tap.makeService(parse("--db", url), MemoryReactorClock())
        assert isinstance(service, ServerService)
        self.assertIsInstance(service.chat.store, PostgresStore)
