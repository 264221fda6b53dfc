"""
One connection to Redis that the bus keeps up: re-established with a delay
doubling from L{INITIAL_RETRY_DELAY} to L{MAX_RETRY_DELAY} while it is
wanted, saying when it becomes usable and when it is lost, and building
C{txredisapi}'s protocols without its connection pools (which use the
global reactor and log every attempt).
"""

from collections.abc import Callable
from typing import Any, Final

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import (
    IDelayedCall,
    IReactorTime,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory
from twisted.python.failure import Failure

INITIAL_RETRY_DELAY: Final = 0.5
"""Seconds before the first attempt to reach Redis again."""

MAX_RETRY_DELAY: Final = 10.0
"""The longest wait between two attempts to reach Redis, in seconds."""


class Link:
    """
    One connection to Redis, re-established with a growing delay while it
    is wanted; says when it becomes usable and when it is lost.
    """

    def __init__(
        self,
        clock: IReactorTime,
        endpoint: IStreamClientEndpoint,
        factory: "LinkFactory",
        ready: Callable[[Any], None],
        down: Callable[[], None],
    ) -> None:
        self._clock = clock
        self._endpoint = endpoint
        self._factory = factory
        factory.link = self
        self._ready = ready
        self._down = down
        self._wanted = False
        self._delay = INITIAL_RETRY_DELAY
        self._retry: IDelayedCall | None = None
        self._connecting: Deferred[Any] | None = None
        self.protocol: Any = None
        self._latest: Any = None
        self._whenLost: list[Deferred[None]] = []

    def start(self) -> None:
        self._wanted = True
        self._attempt()

    def _attempt(self) -> None:
        self._retry = None
        attempt: Deferred[Any] = self._endpoint.connect(self._factory)
        self._connecting = attempt
        attempt.addCallback(lambda protocol: protocol.whenConnected())
        attempt.addCallbacks(self._connected, self._failed)

    def _connected(self, protocol: Any) -> None:
        self._connecting = None
        self.protocol = protocol
        self._delay = INITIAL_RETRY_DELAY
        self._ready(protocol)

    def _failed(self, reason: Failure) -> None:
        self._connecting = None
        if self._wanted:
            self._down()
            self._scheduleRetry()

    def built(self, protocol: Any) -> None:
        """Called by the factory: C{protocol} is this link's connection now."""
        self._latest = protocol

    def lost(self, protocol: Any) -> None:
        """Called by the protocol when its connection is closed."""
        waiting, self._whenLost = self._whenLost, []
        for d in waiting:
            d.callback(None)
        if protocol is not self._latest:
            return
        self._latest = self.protocol = None
        if self._connecting is not None:
            # Closed before it was usable (Redis refused the database): the
            # attempt has failed, and _failed sees to the retry.
            self._connecting.cancel()
        elif self._wanted:
            self._down()
            self._scheduleRetry()

    def _scheduleRetry(self) -> None:
        if self._retry is None:
            self._retry = self._clock.callLater(self._delay, self._attempt)
            self._delay = min(self._delay * 2, MAX_RETRY_DELAY)

    def stop(self) -> Deferred[None]:
        """Stop reconnecting and close the connection; fires once closed."""
        self._wanted = False
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._connecting is not None:
            self._connecting.cancel()
        protocol = self._latest
        if protocol is None:
            return succeed(None)
        closed: Deferred[None] = Deferred()
        self._whenLost.append(closed)
        protocol.transport.loseConnection()
        return closed


class LinkFactory(Factory):
    """
    Builds one of txredisapi's protocols for a L{_Link}, and answers the
    few calls its protocols make on their factory.
    """

    noisy = False
    isLazy = False

    def __init__(
        self,
        clock: IReactorTime,
        makeProtocol: Callable[[], Any],
        refused: Callable[[str], None],
    ) -> None:
        self._clock = clock
        self._makeProtocol = makeProtocol
        self._refused = refused
        self.link: Link | None = None

    def buildProtocol(self, addr: object) -> Any:
        protocol = self._makeProtocol()
        protocol.factory = self
        protocol.callLater = self._clock.callLater  # not txredisapi's global reactor
        lost = protocol.connectionLost
        if self.link is not None:
            self.link.built(protocol)

        def connectionLost(reason: Failure) -> None:
            try:
                lost(reason)
            finally:
                if self.link is not None:
                    self.link.lost(protocol)

        protocol.connectionLost = connectionLost
        return protocol

    def stopTrying(self) -> None:
        """txredisapi: selecting the database failed; the link retries."""

    def connectionError(self, why: str) -> None:
        """txredisapi: selecting the database failed, say why."""
        self._refused(why)
