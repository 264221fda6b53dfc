"""
End-to-end tests of a real C{twistd -n chat --db postgresql://...}: history
kept in PostgreSQL outlives the server, PostgreSQL going down while it runs
fails only the lines said meanwhile (and the server says so to their
speaker), and PostgreSQL unreachable at start-up is one line and status 1.
"""

from tests.postgresserver import freePort, postgres

from .processes import ProcessTestCase


class PostgresServerTests(ProcessTestCase):
    async def test_historyOutlivesTheServer(self) -> None:
        """
        Lines said on a server on PostgreSQL are replayed by the next server
        on the same database; while PostgreSQL is down a line is refused
        with an error, the server stays up, and once it is back lines are
        kept again.
        """
        database = postgres()
        url = database.emptiedDatabase()
        server, port = await self.startServer("--db", url)
        await server.waitForOutput(r"History and accounts are kept in PostgreSQL at")
        ann = await self.connect(port, "ann")
        ann.say("/join #a")
        ann.say("before the restart")
        await ann.waitFor(r"^MSG #a 1 \S+ ann :before the restart$")
        server.transport.signalProcess("TERM")
        await server.exited()
        server, port = await self.startServer("--db", url)
        bob = await self.connect(port, "bob")
        bob.say("/join #a")
        await bob.waitFor(r"^HISTORY #a 1 \S+ ann :before the restart$")
        if database.cluster is None:
            return  # the server named by TWISTED_CHAT_POSTGRES is not ours to stop
        database.cluster.stop()
        self.addCleanup(database.cluster.ensureRunning)
        bob.say("while the database is down")
        await bob.waitFor(r"^ERROR \S+ ")
        database.cluster.start()
        bob.say("after it is back")
        await bob.waitFor(r"^MSG #a 2 \S+ bob :after it is back$")

    async def test_unreachableAtStart(self) -> None:
        """Nothing listening where --db points: one line, status 1."""
        port = freePort()
        server = self.spawn(
            "-c",
            "from twisted.scripts.twistd import run; run()",
            "-n",
            "--pidfile=",
            "chat",
            "--listen",
            "tcp:0:interface=127.0.0.1",
            "--db",
            f"postgresql://postgres@127.0.0.1:{port}/chat",
        )
        self.assertEqual(await server.exited(), 1)
        self.assertRegex(
            server.output + server.errors,
            rf"\Atwistd chat: cannot reach PostgreSQL at 127\.0\.0\.1:{port}/chat:"
            r" Connection refused[^\n]*\n\Z",
        )
