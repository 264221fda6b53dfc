"""
End-to-end tests of C{--metrics}: a real server's C{/metrics}, scraped
before and after traffic, moves by exactly what was sent; C{/health} says
C{ok}, and 503 with the reason once the store stops answering.
"""

import re

from twisted.internet import reactor
from twisted.web.client import Agent, readBody

from tests.postgresserver import postgres

from .processes import ProcessTestCase


def samples(text: str) -> dict[str, float]:
    """Every sample of a Prometheus text page, by name and labels."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


class MetricsTests(ProcessTestCase):
    async def startWithMetrics(self, *options: str) -> tuple[int, int]:
        """A server with --metrics on a free port: its line and metrics ports."""
        server, port = await self.startServer(
            "--metrics", "tcp:0:interface=127.0.0.1", *options
        )
        match = await server.waitForOutput(
            r"Listening for metrics \(/metrics, /health\) clients on"
            r" 127\.0\.0\.1:(\d+)"
        )
        self.server = server
        return port, int(match.group(1))

    async def get(self, port: int, path: str) -> tuple[int, str]:
        agent = Agent(reactor)
        response = await agent.request(
            b"GET", f"http://127.0.0.1:{port}{path}".encode()
        )
        body = await readBody(response)
        return response.code, body.decode("utf-8")

    async def scrape(self, port: int) -> dict[str, float]:
        code, text = await self.get(port, "/metrics")
        self.assertEqual(code, 200)
        return samples(text)

    async def test_countersMoveByWhatWasSent(self) -> None:
        """
        After two members joined a room and one said five lines, the counts
        moved by exactly that: two connections, five messages stored, ten
        room deliveries, bytes sent; a login that failed and one that
        succeeded are counted; the gauges say who is here.
        """
        port, metricsPort = await self.startWithMetrics()
        before = await self.scrape(metricsPort)
        ann = await self.connect(port, "ann")
        bob = await self.connect(port, "bob")
        for client in (ann, bob):
            client.say("/join #count")
            await client.waitFor(r"^ENDHISTORY #count ")
        for n in range(5):
            ann.say(f"line {n}")
        await bob.waitFor(r"^MSG #count 5 \S+ ann :line 4$")
        ann.say("/register sesame-sesame")
        await ann.waitFor(r"^ACCOUNT ann ")
        bob.say("/login ann wrong-password")
        await bob.waitFor(r"^ERROR login-failed ")
        after = await self.scrape(metricsPort)

        def moved(name: str) -> float:
            return after.get(name, 0.0) - before.get(name, 0.0)

        self.assertEqual(
            moved('twisted_chat_connections_accepted_total{frontend="line"}'), 2
        )
        self.assertEqual(moved('twisted_chat_messages_stored_total{kind="room"}'), 5)
        self.assertEqual(moved('twisted_chat_deliveries_total{kind="room"}'), 10)
        self.assertEqual(moved('twisted_chat_logins_total{outcome="failed"}'), 1)
        self.assertGreater(moved('twisted_chat_bytes_sent_total{frontend="line"}'), 0)
        self.assertEqual(after['twisted_chat_connections_open{frontend="line"}'], 2)
        self.assertEqual(after["twisted_chat_members"], 2)
        self.assertEqual(after["twisted_chat_rooms"], 2)  # the lobby and #count
        self.assertGreaterEqual(moved("twisted_chat_store_commit_seconds_count"), 1)
        self.assertIn("process_cpu_seconds_total", after)
        self.assertIn("twisted_chat_reactor_lag_seconds_count", after)

    async def test_healthFollowsTheStore(self) -> None:
        """
        C{/health} is 200 C{ok} while the store answers, and 503 saying so
        once it does not (PostgreSQL stopped); 200 again when it is back.
        """
        database = postgres()
        if database.cluster is None:
            self.skipTest("the PostgreSQL named by TWISTED_CHAT_POSTGRES is not ours")
        _, metricsPort = await self.startWithMetrics("--db", database.emptiedDatabase())
        self.assertEqual(await self.get(metricsPort, "/health"), (200, "ok\n"))
        database.cluster.stop()
        self.addCleanup(database.cluster.ensureRunning)
        code, text = await self.get(metricsPort, "/health")
        self.assertEqual(code, 503)
        self.assertRegex(text, r"^store not answering: ")
        database.cluster.start()
        code, text = await self.get(metricsPort, "/health")
        self.assertEqual((code, text), (200, "ok\n"))

    async def test_notOnTheWebSite(self) -> None:
        """The public web site has no /metrics."""
        server, port = await self.startServer("--web", "tcp:0:interface=127.0.0.1")
        match = await server.waitForOutput(r"web clients on 127\.0\.0\.1:(\d+)")
        code, _ = await self.get(int(match.group(1)), "/metrics")
        self.assertEqual(code, 404)
        self.assertTrue(re.match(r"\d+", str(port)))
