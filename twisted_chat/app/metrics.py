"""
What an operator's monitoring reads: C{/metrics} in Prometheus's text
format, and C{/health} for load balancers and orchestrators, served on
C{--metrics ENDPOINT} (off by default, and never on the public web site).

C{/metrics} is C{prometheus_client}'s Twisted resource over a registry of
our own: the process's own collectors (CPU, memory, file descriptors,
garbage collection) and L{ChatCollector}, which reads, at each scrape, the
counts every layer keeps (L{twisted_chat.meters}) and what can be read off
the running server (connections open per front end, members, rooms).  So
the hot path only adds to plain numbers, and Prometheus's work is done
when it asks.

C{/health} answers 200 while the store answers a read within
L{HEALTH_TIMEOUT} seconds and every listener is listening, and 503 with
the reason otherwise.
"""

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.twisted import MetricsResource
from twisted.application.internet import TimerService
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request, Site

from twisted_chat.chat.statistics import membersHere, roomsInUse
from twisted_chat.meters import METERS, Histogram

if TYPE_CHECKING:
    from twisted_chat.app.service import ServerService

PREFIX: Final = "twisted_chat_"

HEALTH_TIMEOUT: Final = 2.0
"""Seconds the store has to answer C{/health}'s read."""

LAG_INTERVAL: Final = 1.0
"""Seconds between two measures of the reactor's lag."""


def _histogram(name: str, text: str, histogram: Histogram) -> HistogramMetricFamily:
    buckets = [
        ("+Inf" if bound == float("inf") else repr(float(bound)), count)
        for bound, count in histogram.cumulative()
    ]
    family = HistogramMetricFamily(PREFIX + name, text)
    family.add_metric([], buckets, histogram.sum)
    return family


def _counter(
    name: str, text: str, labels: list[str], values: Iterable[tuple[Any, int]]
) -> CounterMetricFamily:
    family = CounterMetricFamily(PREFIX + name, text, labels=labels)
    for key, value in values:
        family.add_metric(list(key) if isinstance(key, tuple) else [key], value)
    return family


class ChatCollector:
    """The chat's counts and gauges, read at each scrape."""

    def __init__(self, service: "ServerService") -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        m = METERS
        frontEnds = ["frontend"]
        open = GaugeMetricFamily(
            PREFIX + "connections_open", "Connections open now.", labels=frontEnds
        )
        byKind: dict[str, int] = {}
        sent: dict[str, int] = {}
        for frontEnd in self._service.frontEnds:
            kind = frontEnd.kind
            byKind[kind] = byKind.get(kind, 0) + len(frontEnd.connections)
            sent[kind] = sent.get(kind, 0) + frontEnd.bytesSent
        for kind, count in sorted(byKind.items()):
            open.add_metric([kind], count)
        yield open
        yield _counter("bytes_sent", "Bytes queued to be written to clients.", frontEnds,
                       sorted(sent.items()))  # fmt: skip
        everyone = self._service.chat.presentMembers()
        yield GaugeMetricFamily(
            PREFIX + "members", "Members connected to this server.",
            value=membersHere(everyone),
        )  # fmt: skip
        yield GaugeMetricFamily(
            PREFIX + "rooms", "Rooms someone is in (here or, in a cluster, anywhere).",
            value=roomsInUse(everyone),
        )  # fmt: skip
        yield _counter(
            "connections_accepted", "Connections admitted.", frontEnds,
            m.accepted.items(),
        )  # fmt: skip
        yield _counter(
            "connections_refused",
            "Connections refused, by the limit that refused them.",
            ["frontend", "reason"],
            m.refused.items(),
        )
        yield _counter(
            "deliveries", "Events handed to recipients (the fan-out).", ["kind"],
            m.deliveries.items(),
        )  # fmt: skip
        yield _counter(
            "messages_stored", "Messages committed to the store.", ["kind"],
            m.stored.items(),
        )  # fmt: skip
        yield _counter(
            "send_queue_gaps",
            "Times a client that did not read fell behind (room messages left out).",
            frontEnds,
            m.gaps.items(),
        )
        yield _counter(
            "slow_reader_disconnects",
            "Clients disconnected for not reading.",
            frontEnds,
            m.slowReaders.items(),
        )
        yield _counter(
            "flood_delays", "Times flood control slowed a client.", frontEnds,
            m.floodDelays.items(),
        )  # fmt: skip
        yield _counter(
            "flood_disconnects", "Clients disconnected for flooding.", frontEnds,
            m.floodDisconnects.items(),
        )  # fmt: skip
        yield _counter(
            "logins", "Password logins, by outcome.", ["outcome"], m.logins.items()
        )
        yield _counter("store_errors", "Store operations that failed.", [],
                       [((), m.storeErrors)])  # fmt: skip
        yield _histogram(
            "store_commit_seconds",
            "How long each commit that went through took.",
            m.commitSeconds,
        )
        yield _histogram(
            "store_commit_writes", "How many writes each commit held.", m.commitSize
        )
        yield _histogram(
            "reactor_lag_seconds",
            f"How late a timer due every {LAG_INTERVAL:g} s fired.",
            m.reactorLag,
        )


def makeRegistry(service: "ServerService") -> CollectorRegistry:
    """The registry C{/metrics} shows: the process's and the chat's."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    registry.register(ChatCollector(service))
    return registry


class ReactorLag(TimerService):
    """
    Measures how late a timer due every L{LAG_INTERVAL} seconds fires: the
    time the reactor was busy with something else (Synapse's
    C{python_twisted_reactor_tick_time}).
    """

    def __init__(self, clock: IReactorTime) -> None:
        super().__init__(LAG_INTERVAL, self._tick)
        self.clock = clock
        self._time = clock
        self._due: float | None = None

    def _tick(self) -> None:
        now = self._time.seconds()
        if self._due is not None:
            METERS.reactorLag.observe(max(0.0, now - self._due))
        self._due = now + LAG_INTERVAL


class HealthResource(Resource):
    """C{/health}: 200 with C{ok}, or 503 with what is wrong."""

    isLeaf = True

    def __init__(self, service: "ServerService", clock: IReactorTime) -> None:
        super().__init__()
        self._service = service
        self._clock = clock

    def render_GET(self, request: Request) -> Any:
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        deaf = self._service.deafListeners()
        if deaf:
            request.setResponseCode(503)
            return f"not listening: {', '.join(deaf)}\n".encode()
        gone: list[bool] = []
        request.notifyFinish().addErrback(lambda _: gone.append(True))

        def answer(code: int, text: str) -> None:
            if timer.active():
                timer.cancel()
            if not request.finished and not gone:
                request.setResponseCode(code)
                request.write(f"{text}\n".encode())
                request.finish()

        # The store's own Deferred is never cancelled (the store fires it,
        # in order with the others): a timer answers for a slow store.
        timer = self._clock.callLater(
            HEALTH_TIMEOUT,
            answer,
            503,
            f"store not answering: no answer within {HEALTH_TIMEOUT:g} s",
        )
        read: Deferred[Any] = self._service.chat.store.messagesBetween(
            self._service.chat.lobbyName, 0, 0, 0
        )
        read.addCallbacks(
            lambda _: answer(200, "ok"),
            lambda failure: answer(
                503,
                "store not answering: "
                + (failure.getErrorMessage() or type(failure.value).__name__),
            ),
        )
        return NOT_DONE_YET


def makeMetricsSite(service: "ServerService", clock: IReactorTime) -> Site:
    """The site C{--metrics} serves: C{/metrics} and C{/health}, no log."""
    root = Resource()
    root.putChild(b"metrics", MetricsResource(registry=makeRegistry(service)))
    root.putChild(b"health", HealthResource(service, clock))
    site = Site(root)
    site.log = lambda request: None  # type: ignore[method-assign]
    return site
