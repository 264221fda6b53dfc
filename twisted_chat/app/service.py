"""
The running server: the chat core, its listeners, the operator console, the
store and its retention.

L{ServerService} is what the twistd plugin builds.  Stopping it (SIGTERM,
SIGINT, or the operator quitting) stops listening, says goodbye to every
member and closes every other connection of every front end, waits a
little for the goodbyes to be delivered, then finishes the store's queue
and closes it.
"""

from typing import Any

from twisted.application.internet import StreamServerEndpointService, TimerService
from twisted.application.service import MultiService, Service
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import (
    Deferred,
    FirstError,
    TimeoutError,
    ensureDeferred,
    gatherResults,
)
from twisted.internet.endpoints import serverFromString
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IListeningPort, IProtocolFactory, IReactorCore
from twisted.logger import Logger
from twisted.python.failure import Failure

from twisted_chat.app.clientcertificates import askForClientCertificates
from twisted_chat.app.collector import tuneCollector
from twisted_chat.app.stopsignals import installStopHandlers
from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.core import Chat
from twisted_chat.frontends.line.console import Console
from twisted_chat.frontends.stream import StreamFrontEnd

SHUTDOWN_GRACE = 3.0
"""Seconds a stopping server waits for clients to take their goodbye."""

SHUTDOWN_REASON = "Server shutting down"

RETENTION_INTERVAL = 3600.0
"""Seconds between two applications of the retention rules."""


class StartFailed(SystemExit, Exception):
    """
    The server cannot start (a port in use, a database it cannot use); the
    message is one line saying why.

    It is an L{Exception} so that twistd, which catches those while starting
    the service, removes its pid file and tells a daemon's waiting parent the
    reason; it is a L{SystemExit} so that what reaches the top is that line
    and exit status 1, not a traceback.
    """


class ServerService(MultiService):
    """
    The chat and everything that serves it; listeners are its children.

    @ivar frontEnds: the front ends whose connections a stop closes and
        waits for.
    """

    log = Logger()

    def __init__(
        self,
        chat: Chat,
        accounts: Accounts,
        clock: Any,
        console: Console | None = None,
    ) -> None:
        super().__init__()
        self.chat = chat
        self.accounts = accounts
        self.frontEnds: list[StreamFrontEnd] = []
        self.console = console
        self._clock = clock
        self._announced: list[str] = []
        self._started = False

    def addFrontEnd(self, frontEnd: StreamFrontEnd) -> None:
        """Serve C{frontEnd}'s connections: a stop closes and waits for them."""
        self.frontEnds.append(frontEnd)

    def deafListeners(self) -> list[str]:
        """The endpoints a listener of this server is not listening on now."""
        return [
            child.description
            for child in self
            if isinstance(child, EndpointListener)
            and not (child.running and child.port is not None)
        ]

    def announce(self, text: str) -> None:
        """
        Say something an operator wants to know at start-up (where the
        server listens, where it keeps its data): in the log, and on the
        console if there is one.
        """
        self.log.info("{text}", text=text)
        self._announced.append(text)
        if self._started and self.console is not None:
            self.console.show(text)

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except StartFailed:
            self.chat.store.abandon()
            raise

    def startService(self) -> None:
        super().startService()
        if IReactorCore.providedBy(self._clock):
            # A real reactor (tests pass a Clock): stop on signals our way,
            # and set the collector for a server once everything is loaded.
            self._clock.callWhenRunning(installStopHandlers, self._clock)
            self._clock.callWhenRunning(tuneCollector)
        self.accounts.start().addErrback(
            lambda failure: self.log.failure(
                "Preparing password checks failed", failure
            )
        )
        if self.console is not None:
            self.console.start()
            for text in self._announced:
                self.console.show(text)
        self._started = True

    def stopService(self) -> "Deferred[None]":
        return ensureDeferred(self._stop())

    async def _stop(self) -> None:
        await super().stopService()
        self.chat.closeAll(SHUTDOWN_REASON)
        for frontEnd in self.frontEnds:
            frontEnd.closeAll(SHUTDOWN_REASON)
        closed = gatherResults(
            [frontEnd.allClosed() for frontEnd in self.frontEnds], consumeErrors=True
        )
        try:
            await closed.addTimeout(SHUTDOWN_GRACE, self._clock)
        except (TimeoutError, FirstError):
            # Past the grace, the waits are cancelled: the first cancelled
            # one is what the gathering fails with.
            self.log.warn(
                "{count} connections still open after {grace}s; closing them",
                count=sum(frontEnd.openConnections for frontEnd in self.frontEnds),
                grace=SHUTDOWN_GRACE,
            )
        if self.console is not None:
            await self.console.stop()
        self.accounts.stop()
        await self.chat.store.close()


class EndpointListener(StreamServerEndpointService):
    """
    Listens on one endpoint string.  If it cannot (the port is in use, the
    socket's directory is missing), start-up stops at once with one line
    saying so (L{StartFailed}), where twistd would otherwise log the error
    and run on deaf, or print a traceback.  Once listening, it says where.
    """

    log = Logger()

    def __init__(
        self,
        reactor: Any,
        description: str,
        factory: IProtocolFactory,
        clients: str = "line-protocol",
    ):
        """
        @param clients: what clients it is for, as its announcement says.
        """
        endpoint = serverFromString(reactor, description)
        askForClientCertificates(endpoint)
        super().__init__(endpoint, factory)
        self.description = description
        self.clients = clients
        self.port: IListeningPort | None = None
        self._raiseSynchronously = True

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except CannotListenError as error:
            reason = getattr(error.socketError, "strerror", None) or error.socketError
            raise StartFailed(
                f"twistd chat: cannot listen on {self.description}: {reason}"
            ) from None
        assert self._waitingForPort is not None
        self._waitingForPort.addCallback(self._listening)

    def _listening(self, port: IListeningPort) -> IListeningPort:
        """Say where it listens: the real port, where port 0 was asked for."""
        self.port = port
        host = port.getHost()
        if isinstance(host, IPv4Address | IPv6Address):
            where = f"{host.host}:{host.port}"
            if isinstance(host, IPv6Address):
                where = f"[{host.host}]:{host.port}"
        else:
            where = str(getattr(host, "name", host))
        announce = getattr(self.parent, "announce", self.log.info)
        announce(
            f"Listening for {self.clients} clients on {where} ({self.description})"
        )
        return port


class BusService(Service):
    """
    Keeps a node's bus to the other nodes (L{twisted_chat.cluster.bus})
    connected while the server runs, and closes it when it stops.
    """

    def __init__(self, bus: Any, roster: Any) -> None:
        self._bus = bus
        self._roster = roster

    def startService(self) -> None:
        super().startService()
        self._bus.start()
        self._roster.start()

    def stopService(self) -> "Deferred[None]":
        super().stopService()
        self._roster.stop()
        stopped: Deferred[None] = self._bus.stop()
        return stopped


class RetentionService(TimerService):
    """
    Applies the retention rules every L{RETENTION_INTERVAL} seconds, and at
    start-up: messages older than C{days} go, and all but the newest
    C{perRoomCap} of each room.  A failed step is logged; the next one runs.
    """

    log = Logger()

    def __init__(
        self, chat: Chat, clock: Any, days: float | None, perRoomCap: int | None
    ) -> None:
        super().__init__(RETENTION_INTERVAL, self.applyRetention)
        self.clock = clock
        self._chat = chat
        self._days = days
        self._perRoomCap = perRoomCap

    def applyRetention(self) -> "Deferred[None]":
        olderThan = None
        if self._days is not None:
            olderThan = self._chat.now() - int(self._days * 86_400_000)
        pruned = self._chat.store.prune(olderThan, self._perRoomCap)

        def report(removed: int) -> None:
            if removed:
                self.log.info("Retention removed {count} messages", count=removed)

        def failed(failure: Failure) -> None:
            self.log.failure("Applying retention failed", failure)

        return pruned.addCallbacks(report, failed)
