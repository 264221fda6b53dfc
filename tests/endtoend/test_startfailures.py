"""
End-to-end tests of a server that cannot start: a real C{twistd -n chat}
given a database it cannot use, or a port already in use, says why in one
line, exits with status 1, and leaves no C{twistd.pid} or C{chat.sqlite3}
behind.
"""

import os
import sqlite3

from twisted.internet import reactor
from twisted.python.filepath import FilePath

from twisted_chat.store.sqlite import SQLiteStore

from .processes import Child, ProcessTestCase


class StartFailureTests(ProcessTestCase):
    def startIn(self, directory: FilePath[str], *options: str) -> Child:
        """
        Start twistd -n chat in C{directory} with twistd's own defaults (a
        pid file, and the log on standard output) and the given options.
        """
        return self.spawn(
            "-c",
            "from twisted.scripts.twistd import run; run()",
            "-n",
            "chat",
            *options,
            directory=directory,
        )

    async def assertRefused(
        self, database: str, reason: str, before: dict[str, bytes]
    ) -> None:
        """
        A server started on C{database} in a directory holding C{before}
        (file names and contents) exits 1 with only the line naming the
        database and C{reason}, and the directory is as it was.
        """
        directory = self.directory.child(str(len(os.listdir(self.directory.path))))
        directory.makedirs()
        for name, content in before.items():
            directory.child(name).setContent(content)
        server = self.startIn(
            directory, "--listen", "tcp:0:interface=127.0.0.1", "--db", database
        )
        self.assertEqual(await server.exited(), 1)
        self.assertEqual(
            server.output + server.errors,
            f"twistd chat: cannot open the database {database}: {reason}\n",
        )
        self.assertEqual(
            {child.basename(): child.getContent() for child in directory.children()},
            before,
        )

    async def test_missingDirectory(self) -> None:
        """A database in a directory that does not exist."""
        await self.assertRefused(
            "/nonexistent/dir/x.sqlite3", "no such directory /nonexistent/dir", {}
        )

    async def test_directory(self) -> None:
        """--db naming a directory."""
        await self.assertRefused(self.directory.path, "it is a directory", {})

    async def test_notADatabase(self) -> None:
        """A file that is not a database is refused and left as it was."""
        await self.assertRefused(
            "notes.txt", "file is not a database", {"notes.txt": b"hello\n" * 100}
        )

    async def test_anotherProgramsDatabase(self) -> None:
        """Another program's SQLite file is refused, not given our tables."""
        other = self.directory.child("other.sqlite3")
        connection = sqlite3.connect(other.path)
        connection.execute("CREATE TABLE places (url TEXT)")
        connection.commit()
        connection.close()
        await self.assertRefused(
            "places.sqlite3",
            "it is another program's database (its tables: places)",
            {"places.sqlite3": other.getContent()},
        )

    async def test_unwritableDirectory(self) -> None:
        """A new database in a directory the server may not write in."""
        if os.geteuid() == 0:
            raise self.skipTest("root may write in any directory")
        locked = self.directory.child("locked")
        locked.makedirs()
        locked.chmod(0o555)
        self.addCleanup(locked.chmod, 0o755)
        database = locked.child("chat.sqlite3").path
        await self.assertRefused(
            database, f"cannot write in the directory {locked.path}", {}
        )

    async def test_portInUse(self) -> None:
        """
        A port in use stops start-up with one line, and neither the pid file
        nor the database that start made is left behind.
        """
        _, port = await self.startServer()
        directory = self.directory.child("second")
        directory.makedirs()
        second = self.startIn(directory, "--listen", f"tcp:{port}:interface=127.0.0.1")
        self.assertEqual(await second.exited(), 1)
        self.assertIn(
            f"twistd chat: cannot listen on tcp:{port}:interface=127.0.0.1:"
            " Address already in use",
            second.output + second.errors,
        )
        self.assertNotIn("Traceback", second.output + second.errors)
        self.assertEqual(directory.listdir(), [])

    async def test_portInUseKeepsExistingDatabase(self) -> None:
        """A failed start removes only what it made: an existing database stays."""
        _, port = await self.startServer()
        directory = self.directory.child("second")
        directory.makedirs()
        database = directory.child("chat.sqlite3")
        SQLiteStore(database.path, reactor).load()
        kept = database.getContent()
        second = self.startIn(directory, "--listen", f"tcp:{port}:interface=127.0.0.1")
        self.assertEqual(await second.exited(), 1)
        self.assertEqual(directory.listdir(), ["chat.sqlite3"])
        self.assertEqual(database.getContent(), kept)
