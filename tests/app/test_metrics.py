"""
Tests for L{twisted_chat.meters} and L{twisted_chat.app.metrics}: the
counts, the histograms, what a scrape shows, the reactor's lag and health.
"""

from typing import Any

from prometheus_client import generate_latest
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.app.metrics import ReactorLag, makeRegistry
from twisted_chat.chat.events import Notice, RoomMessage
from twisted_chat.chat.participants import fanOut
from twisted_chat.connection.admission import Admission, AdmissionRules
from twisted_chat.meters import METERS, Histogram

from ..helpers import connectMember, makeChat


class HistogramTests(SynchronousTestCase):
    def test_bucketsAndQuantiles(self) -> None:
        """Observations fall in the first bucket bounding them; quantiles too."""
        histogram = Histogram((1.0, 2.0, 5.0))
        self.assertIsNone(histogram.quantile(0.5))
        for value in (0.5, 1.0, 1.5, 3.0, 9.0):
            histogram.observe(value)
        self.assertEqual(
            histogram.cumulative(), [(1.0, 2), (2.0, 3), (5.0, 4), (float("inf"), 5)]
        )
        self.assertEqual((histogram.count, histogram.sum), (5, 15.0))
        self.assertEqual(histogram.quantile(0.5), 2.0)
        self.assertEqual(histogram.quantile(0.99), float("inf"))


class CountTests(SynchronousTestCase):
    def test_deliveriesByKind(self) -> None:
        """Fan-out counts each recipient once, by the kind of event."""
        room, other = METERS.deliveries["room"], METERS.deliveries["other"]
        recipients = [connectMember(makeChat()[0])[0] for _ in range(3)]
        fanOut(RoomMessage("#a", 1, 0, "ann", "hi"), recipients)
        fanOut(Notice("hello"), recipients[:2])
        self.assertEqual(METERS.deliveries["room"] - room, 3)
        self.assertEqual(METERS.deliveries["other"] - other, 2)

    def test_refusalsHaveACode(self) -> None:
        """Each limit refuses with a code the counts use."""
        clock = Clock()
        admission = Admission(
            clock,
            AdmissionRules(maxConnections=2, maxPerAddress=1, newPerAddress=2),
        )
        self.assertIsNone(admission.admit("192.0.2.1"))
        self.assertEqual(admission.admit("192.0.2.1").code, "per-address")  # type: ignore[union-attr]
        self.assertIsNone(admission.admit("192.0.2.2"))
        self.assertEqual(admission.admit("192.0.2.3").code, "server-full")  # type: ignore[union-attr]


class ScrapeTests(SynchronousTestCase):
    def test_pageNamesTheCounts(self) -> None:
        """A scrape shows the chat's counts, gauges and the process's."""
        chat, _ = makeChat()
        connectMember(chat, "ann")
        service: Any = type("Service", (), {"frontEnds": [], "chat": chat})()
        page = generate_latest(makeRegistry(service)).decode()
        for name in (
            "twisted_chat_members 1.0",
            "twisted_chat_store_commit_seconds_bucket",
            "twisted_chat_reactor_lag_seconds_count",
            "twisted_chat_deliveries_total",
            "process_cpu_seconds_total",
        ):
            self.assertIn(name, page)


class ReactorLagTests(SynchronousTestCase):
    def test_lateTimerObserved(self) -> None:
        """A tick that comes late is observed by how late it came."""
        clock = Clock()
        lag = ReactorLag(clock)
        count, total = METERS.reactorLag.count, METERS.reactorLag.sum
        lag.startService()
        self.addCleanup(lag.stopService)
        clock.advance(1.0)
        clock.advance(1.25)
        self.assertEqual(METERS.reactorLag.count - count, 2)
        self.assertAlmostEqual(METERS.reactorLag.sum - total, 0.25)


class HealthTests(SynchronousTestCase):
    def test_slowStoreAnsweredByTheTimer(self) -> None:
        """
        A store slower than the timeout is answered 503 by a timer; its own
        Deferred is not cancelled, and answers later without harm.
        """
        from twisted.internet.defer import Deferred
        from twisted.web.test.requesthelper import DummyRequest

        from twisted_chat.app.metrics import HEALTH_TIMEOUT, HealthResource

        pending: Deferred[list[object]] = Deferred()
        store = type("Store", (), {"messagesBetween": lambda *a: pending})()
        chat = type("Chat", (), {"store": store, "lobbyName": "#lobby"})()
        service: Any = type(
            "Service", (), {"chat": chat, "deafListeners": lambda s: []}
        )()
        clock = Clock()
        request = DummyRequest([b"health"])
        HealthResource(service, clock).render_GET(request)  # type: ignore[arg-type]
        clock.advance(HEALTH_TIMEOUT)
        self.assertEqual(request.responseCode, 503)
        self.assertIn(b"no answer within", b"".join(request.written))
        self.assertFalse(pending.called)
        pending.callback([])
        self.assertEqual(request.finished, 1)
