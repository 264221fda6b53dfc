"""
End-to-end test of a server operator's C{/stats} on a real server: the
figures are those of the traffic sent, and the store's size is the file's.
"""

import os

from .processes import ProcessTestCase


class StatsTests(ProcessTestCase):
    async def test_figuresOfTheTraffic(self) -> None:
        """
        A server operator's /stats, after a line member said three lines,
        counts the two line connections (and none over IRC), the two
        members and their room, the three messages of the last minute and
        hour, and the database's bytes; a member who is no operator is
        refused.
        """
        server, port = await self.startServer()
        olga = await self.connect(port, "olga")
        olga.say("/register sesame-sesame")
        await olga.waitFor(r"^ACCOUNT olga ")
        server.transport.signalProcess("TERM")
        await server.ended
        server, port = await self.startServer(
            "--oper", "olga", "--irc", "tcp:0:interface=127.0.0.1"
        )
        olga = await self.connect(port, "olga")
        olga.say("/login olga sesame-sesame")
        await olga.waitFor(r"^ACCOUNT olga ")
        bob = await self.connect(port, "bob")
        for n in range(3):
            bob.say(f"line {n}")
        await olga.waitFor(r"^MSG #lobby \d+ \S+ bob :line 2$")
        bob.say("/stats")
        await bob.waitFor(r"^ERROR not-server-operator ")
        olga.say("/stats")
        end = await olga.waitFor(r"^ENDSTATS (\d+)$")
        figures = dict(
            line.split(" ")[1:]
            for line in olga.received.splitlines()
            if line.startswith("STATS ")
        )
        self.assertEqual(len(figures), int(end.group(1)))
        self.assertEqual(
            [figures[name] for name in ("connections-line", "connections-irc",
             "members", "rooms", "messages-last-minute", "messages-last-hour",
             "slow-readers")],
            ["2", "0", "2", "1", "3", "3", "0"],
        )  # fmt: skip
        self.assertLess(int(figures["uptime-seconds"]), 60)
        database = self.directory.child("chat.sqlite3").path
        size = os.path.getsize(database) + os.path.getsize(database + "-wal")
        self.assertAlmostEqual(int(figures["store-bytes"]), size, delta=8192)
        self.assertLess(float(figures["commit-p50-ms"]), 1000)
