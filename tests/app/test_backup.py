"""
Tests for C{twisted-chat-admin backup}: a copy taken while another
connection, or a real server, keeps writing is whole and consistent; every
failure is one line and status 1; the target never holds half a backup.
"""

import os
import sqlite3
import stat
import threading
from io import StringIO

from twisted.internet.task import LoopingCall
from twisted.python.filepath import FilePath
from twisted.trial.unittest import SynchronousTestCase

from tests.endtoend.processes import ProcessTestCase
from twisted_chat.app import admin
from twisted_chat.app.admin import main
from twisted_chat.app.backup import BackupDone, BackupFailed, backUp, describe
from twisted_chat.store.schema import SCHEMA_VERSION, migrate
from twisted_chat.store.sqliteengine import connect


def makeChat(path: str, messages: int) -> None:
    """Make a chat database at C{path}, as the server does, with messages."""
    connection = connect(path)
    migrate(connection)
    connection.execute("INSERT INTO rooms (folded, name) VALUES ('#lobby', '#lobby')")
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO messages VALUES ('#lobby', ?, ?, 'alice', ?, 0)",
        ((n, n, f"m{n} " + "x" * 200) for n in range(1, messages + 1)),
    )
    connection.execute("COMMIT")
    connection.close()


def sequences(path: str) -> list[int]:
    """The numbers of the messages of #lobby kept in C{path}, in order."""
    connection = sqlite3.connect(path)
    try:
        return [
            n
            for (n,) in connection.execute(
                "SELECT sequence FROM messages WHERE room = '#lobby' ORDER BY sequence"
            )
        ]
    finally:
        connection.close()


def integrity(path: str) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


class Writer:
    """Another connection that commits one message of #lobby at a time."""

    def __init__(self, path: str) -> None:
        self.connection = connect(path)
        self.last = sequences(path)[-1]
        """The number of the last message committed."""

    def write(self) -> None:
        sequence = self.last + 1
        self.connection.execute(
            "INSERT INTO messages VALUES ('#lobby', ?, ?, 'bob', 'more', 0)",
            (sequence, sequence),
        )
        self.last = sequence


class BackupTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.directory = FilePath(self.mktemp())
        self.directory.makedirs()
        self.source = self.directory.child("chat.sqlite3").path
        self.target = self.directory.child("backup.sqlite3").path

    def admin(self, *argv: str) -> tuple[int, str, str]:
        stdout, stderr = StringIO(), StringIO()
        status = main(list(argv), stdout, stderr)
        return status, stdout.getvalue(), stderr.getvalue()

    def assertNoPartialFiles(self) -> None:
        self.assertEqual(
            [name for name in os.listdir(self.directory.path) if "partial" in name],
            [],
        )

    def test_copiesTheChat(self) -> None:
        """
        The backup holds every message, passes the integrity check, has the
        server's schema version and is one file the server opens as it is.
        """
        makeChat(self.source, 500)
        done = backUp(self.source, self.target, pause=lambda: None)
        self.assertEqual(sequences(self.target), list(range(1, 501)))
        self.assertEqual(integrity(self.target), ["ok"])
        self.assertEqual(done.schemaVersion, SCHEMA_VERSION)
        self.assertEqual(done.size, os.path.getsize(self.target))
        copy = sqlite3.connect(self.target)
        self.addCleanup(copy.close)
        self.assertEqual(copy.execute("PRAGMA journal_mode").fetchone(), ("delete",))
        self.assertEqual(migrate(copy), SCHEMA_VERSION)
        self.assertNoPartialFiles()

    def test_notWorldReadable(self) -> None:
        """The backup (it holds password hashes) is readable by its owner only."""
        makeChat(self.source, 1)
        backUp(self.source, self.target, pause=lambda: None)
        self.assertEqual(stat.S_IMODE(os.stat(self.target).st_mode), 0o600)

    def test_snapshotWhileWriting(self) -> None:
        """
        A backup taken a page at a time, with another connection committing a
        message between every two steps, finishes, and holds exactly what
        was committed when it began: SQLite would start a backup over after
        each such write, and never finish, without the one snapshot.
        """
        makeChat(self.source, 300)
        writer = Writer(self.source)
        self.addCleanup(writer.connection.close)
        steps = []

        def pause() -> None:
            steps.append(None)
            if len(steps) > 10_000:
                raise RuntimeError("the backup keeps starting over")
            writer.write()

        backUp(self.source, self.target, pagesPerStep=1, pause=pause)
        self.assertGreater(len(steps), 20)
        self.assertEqual(sequences(self.target), list(range(1, 301)))
        self.assertEqual(integrity(self.target), ["ok"])
        self.assertEqual(len(sequences(self.source)), 300 + len(steps))

    def test_whileAnotherThreadWrites(self) -> None:
        """
        With another thread committing as fast as it can, the backup holds
        every message committed before it began and a hole-free prefix of
        the rest.
        """
        makeChat(self.source, 2000)
        writer = Writer(self.source)
        stop = threading.Event()

        def keepWriting() -> None:
            while not stop.is_set():
                writer.write()
            writer.connection.close()

        thread = threading.Thread(target=keepWriting)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(stop.set)
        while writer.last < 2100:
            stop.wait(0.001)
        committed = writer.last
        steps = []

        def pause() -> None:
            steps.append(None)
            if len(steps) > 5_000:
                raise RuntimeError("the backup keeps starting over")
            stop.wait(0.0001)

        backUp(self.source, self.target, pagesPerStep=4, pause=pause)
        stop.set()
        kept = sequences(self.target)
        self.assertEqual(kept, list(range(1, len(kept) + 1)))
        self.assertGreaterEqual(len(kept), committed)
        self.assertEqual(integrity(self.target), ["ok"])

    def test_diskFull(self) -> None:
        """
        A disk that fills half-way through the copy is one line, leaves the
        previous backup under the target name as it was, and no partial file.
        """
        makeChat(self.source, 500)
        FilePath(self.target).setContent(b"the previous backup")

        def smallDisk(path: str) -> sqlite3.Connection:
            connection = sqlite3.connect(path)
            connection.execute("PRAGMA max_page_count = 10")
            return connection

        error = self.assertRaises(
            BackupFailed,
            backUp,
            self.source,
            self.target,
            pagesPerStep=2,
            pause=lambda: None,
            openCopy=smallDisk,
        )
        self.assertEqual(
            str(error),
            f"cannot back up {self.source} to {self.target}: database or disk is full",
        )
        self.assertEqual(FilePath(self.target).getContent(), b"the previous backup")
        self.assertNoPartialFiles()

    def test_interrupted(self) -> None:
        """
        A backup stopped half-way (Ctrl-C) leaves the previous backup as it
        was and no partial file.
        """
        makeChat(self.source, 500)
        FilePath(self.target).setContent(b"the previous backup")
        steps = []

        def pause() -> None:
            steps.append(None)
            if len(steps) == 3:
                raise KeyboardInterrupt()

        self.assertRaises(
            KeyboardInterrupt,
            backUp,
            self.source,
            self.target,
            pagesPerStep=2,
            pause=pause,
        )
        self.assertEqual(FilePath(self.target).getContent(), b"the previous backup")
        self.assertNoPartialFiles()

    def test_success(self) -> None:
        """The command says where the backup is, its size and how long it took."""
        makeChat(self.source, 10)
        status, out, err = self.admin(
            "backup", "--db", self.source, "--to", self.target
        )
        size = os.path.getsize(self.target)
        self.assertEqual((status, err), (0, ""))
        self.assertRegex(
            out,
            rf"^backed up to {self.target}: {size / 1024:.1f} KiB, schema version"
            rf" {SCHEMA_VERSION}, in \d+\.\d s\n$",
        )

    def test_interruptedCommand(self) -> None:
        """Ctrl-C (or SIGTERM) during the command is one line, not a traceback."""

        def interrupted(source: str, target: str) -> BackupDone:
            raise KeyboardInterrupt()

        self.patch(admin, "backUp", interrupted)
        status, out, err = self.admin(
            "backup", "--db", self.source, "--to", self.target
        )
        self.assertEqual(
            (status, out, err),
            (1, "", f"twisted-chat-admin: interrupted; {self.target} not written\n"),
        )

    def test_describe(self) -> None:
        """Sizes are shown in bytes, KiB, MiB or GiB as they grow."""
        self.assertEqual(
            [
                describe(BackupDone("b", size, 1.25, 5))
                for size in (812, 4096, 5 * 2**20 + 2**19, 3 * 2**40)
            ],
            [
                f"backed up to b: {shown}, schema version 5, in 1.2 s"
                for shown in ("812 bytes", "4.0 KiB", "5.5 MiB", "3072.0 GiB")
            ],
        )

    def test_noSuchSource(self) -> None:
        """A --db that is not there is not made: one line says so."""
        status, out, err = self.admin(
            "backup", "--db", self.source, "--to", self.target
        )
        self.assertEqual(
            (status, out, err),
            (1, "", f"twisted-chat-admin: no such file {self.source}\n"),
        )
        self.assertFalse(os.path.exists(self.source))
        self.assertFalse(os.path.exists(self.target))

    def test_targetIsTheSource(self) -> None:
        """
        A --to that is the database, however it is spelled, is refused and the
        database is left alone.
        """
        makeChat(self.source, 3)
        spelled = os.path.join(self.directory.path, "..", self.directory.basename())
        for target in (self.source, os.path.join(spelled, "chat.sqlite3")):
            status, out, err = self.admin("backup", "--db", self.source, "--to", target)
            self.assertEqual(
                (status, out, err),
                (
                    1,
                    "",
                    f"twisted-chat-admin: {target} is the database itself;"
                    " back it up elsewhere\n",
                ),
            )
        self.assertEqual(sequences(self.source), [1, 2, 3])

    def test_targetDirectoryMissing(self) -> None:
        """A --to in a directory that is not there is one line."""
        makeChat(self.source, 3)
        target = self.directory.child("nowhere").child("backup.sqlite3").path
        status, out, err = self.admin("backup", "--db", self.source, "--to", target)
        self.assertEqual(
            (status, out, err),
            (
                1,
                "",
                f"twisted-chat-admin: cannot write in {os.path.dirname(target)}:"
                " No such file or directory\n",
            ),
        )

    def test_targetDirectoryReadOnly(self) -> None:
        """A --to in a directory the user cannot write is one line."""
        if os.geteuid() == 0:
            raise self.skipTest("root writes in any directory")
        makeChat(self.source, 3)
        readOnly = self.directory.child("readonly")
        readOnly.makedirs()
        readOnly.chmod(0o500)
        self.addCleanup(readOnly.chmod, 0o700)
        target = readOnly.child("backup.sqlite3").path
        status, out, err = self.admin("backup", "--db", self.source, "--to", target)
        self.assertEqual(
            (status, out, err),
            (
                1,
                "",
                f"twisted-chat-admin: cannot write in {readOnly.path}: Permission denied\n",
            ),
        )

    def test_targetIsADirectory(self) -> None:
        """A --to naming a directory is one line: a backup is a file."""
        makeChat(self.source, 3)
        status, _, err = self.admin(
            "backup", "--db", self.source, "--to", self.directory.path
        )
        self.assertEqual(
            (status, err),
            (
                1,
                f"twisted-chat-admin: {self.directory.path} is a directory;"
                " name the backup file\n",
            ),
        )

    def test_notAChat(self) -> None:
        """Another program's database, or no database at all, is one line."""
        other = sqlite3.connect(self.source)
        other.execute("CREATE TABLE places (url TEXT)")
        other.commit()
        other.close()
        status, _, err = self.admin("backup", "--db", self.source, "--to", self.target)
        self.assertEqual(status, 1)
        self.assertIn("another program's database", err)
        FilePath(self.source).setContent(b"not a database at all" * 100)
        status, _, err = self.admin("backup", "--db", self.source, "--to", self.target)
        self.assertEqual(
            (status, err),
            (
                1,
                f"twisted-chat-admin: cannot back up {self.source} to {self.target}:"
                " file is not a database\n",
            ),
        )
        self.assertFalse(os.path.exists(self.target))
        self.assertNoPartialFiles()

    def test_tooNew(self) -> None:
        """A database newer than this code is refused, saying what to use."""
        makeChat(self.source, 1)
        newer = sqlite3.connect(self.source)
        newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        newer.close()
        status, _, err = self.admin("backup", "--db", self.source, "--to", self.target)
        self.assertEqual(status, 1)
        self.assertIn(f"has schema version {SCHEMA_VERSION + 1}", err)

    def test_postgres(self) -> None:
        """A PostgreSQL --db is told to use pg_dump, without showing a password."""
        status, out, err = self.admin(
            "backup", "--db", "postgresql://chat:secret@db/chat", "--to", self.target
        )
        self.assertEqual(
            (status, out, err),
            (
                1,
                "",
                "twisted-chat-admin: backup copies a SQLite file; back up PostgreSQL"
                " with pg_dump (see docs/OPERATIONS.md)\n",
            ),
        )

    def test_usage(self) -> None:
        """Both --db and --to are needed."""
        status, _, err = self.admin("backup", "--db", self.source)
        self.assertEqual(
            (status, err),
            (2, "twisted-chat-admin: both --db FILE and --to FILE are needed\n"),
        )


class BackupWhileServingTests(ProcessTestCase):
    async def test_backupWhileServing(self) -> None:
        """
        A backup taken with the real command while a real server stores
        messages from four clients holds every message those clients saw
        come back before it began, with no hole, and passes the integrity
        check.
        """
        database = self.directory.child("chat.sqlite3").path
        # Large enough to take many steps while the clients write.
        makeChat(database, 100_000)
        _, port = await self.startServer("--db", database)
        clients = [await self.connect(port, f"user{n}") for n in range(4)]
        senders = []
        for n, client in enumerate(clients):
            sent = iter(range(1_000_000))
            sender = LoopingCall(
                lambda client=client, n=n, sent=sent: client.say(f"u{n} {next(sent)}")
            )
            sender.start(0.6)
            senders.append(sender)
        self.addCleanup(lambda: [s.stop() for s in senders if s.running])
        watcher = clients[0]
        await watcher.waitFor(r"^MSG #lobby 100010 ")
        seen = [
            int(line.split()[2])
            for line in watcher.received.splitlines()
            if line.startswith("MSG #lobby ")
        ]
        backup = self.spawn(
            "-c",
            "from twisted_chat.app.admin import run; run()",
            "backup",
            "--db",
            database,
            "--to",
            self.directory.child("backup.sqlite3").path,
        )
        self.assertEqual(await backup.exited(), 0, backup.errors)
        self.assertIn("backed up to", backup.output)
        await watcher.waitFor(rf"^MSG #lobby {max(seen) + 8} ")
        kept = sequences(self.directory.child("backup.sqlite3").path)
        self.assertEqual(kept, list(range(1, len(kept) + 1)))
        self.assertGreaterEqual(len(kept), max(seen))
        self.assertEqual(integrity(self.directory.child("backup.sqlite3").path), ["ok"])
