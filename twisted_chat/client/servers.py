"""
The servers a client may connect to, and moving on from one to the next.

Several server processes (nodes) may serve the same rooms.  The person
names them all (C{--host a,b:7700,[::1]:7632}); the client connects to the
first that accepts, and whenever a connection is lost or an attempt fails,
the next attempt goes to the next server in the list, round and round.  A
L{FailoverEndpoint} does that behind C{ClientService}, which knows nothing
of it: each C{connect} is one attempt, at one server (its endpoint made by
L{Endpoints}: over TLS, each server trusted on its own terms, by its own
pin); L{stayConnected} runs the service for one session.  L{retryPolicy} paces
the attempts: each server of the list is tried once at the first pause, the
pause growing only after a whole round has failed, so that a live node is
reached soon after one is lost, however many others are down.
"""

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from twisted.application.internet import ClientService, backoffPolicy
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.error import TimeoutError as ConnectTimedOut
from twisted.internet.interfaces import (
    IOpenSSLClientConnectionCreator,
    IProtocol,
    IProtocolFactory,
    IReactorTime,
    IStreamClientEndpoint,
)
from twisted.internet.task import deferLater
from zope.interface import implementer

from twisted_chat.client.protocol import ChatClientFactory
from twisted_chat.client.session import ClientSession
from twisted_chat.client.tlstrust import (
    REFUSED,
    KnownServers,
    TrustFailure,
    chooseTrust,
    knownServersPath,
)
from twisted_chat.terminal.view import TerminalView

RECONNECT_FIRST_DELAY: Final = 0.5
RECONNECT_MAX_DELAY: Final = 30.0
"""
Seconds before the first reconnection attempt, and at most between two
(before a jitter of up to a second).
"""


class BadServer(ValueError):
    """A server named on the command line cannot be; the message says why."""


@dataclass(frozen=True)
class Server:
    """One server process the client may connect to."""

    host: str
    port: int

    @property
    def pinName(self) -> str:
        """The server's name in the known-servers file: C{host:port}."""
        return f"{self.host}:{self.port}"

    def __str__(self) -> str:
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return self.pinName


def parseServers(entries: Sequence[str], defaultPort: int) -> list[Server]:
    """
    Read the servers named by C{--host}: each entry a comma list of C{HOST},
    C{HOST:PORT}, C{[IPV6]} or C{[IPV6]:PORT}; a bare IPv6 address has no
    port.  A server named twice is kept once, where first named.

    @param defaultPort: the port of a server named without one.
    @raise BadServer: for the first entry that names no server.
    """
    servers: list[Server] = []
    for entry in entries:
        for piece in entry.split(","):
            server = _parseServer(piece.strip(), defaultPort)
            if server not in servers:
                servers.append(server)
    return servers


def _parseServer(text: str, defaultPort: int) -> Server:
    port: str | None = None
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or ":" not in host or rest[:1] not in ("", ":"):
            raise BadServer(f"{text!r}: write an IPv6 address as [ADDRESS]:PORT")
        port = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        # A name, an IPv4 address, or a bare IPv6 address (no port).
        host = text
    if not host:
        raise BadServer(f"{text!r}: no host named" if text else "an empty server name")
    if any(character.isspace() or character in "[]" for character in host):
        raise BadServer(f"{text!r}: not a host name or address")
    if port is None:
        return Server(host, defaultPort)
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise BadServer(f"{text!r}: the port must be 1 to 65535")
    return Server(host, int(port))


def retryPolicy(
    servers: int,
    jitter: Callable[[], float] | None = None,
) -> Callable[[int], float]:
    """
    Seconds to wait before the C{attempt}th attempt in a row to connect,
    for a list of C{servers}: the backoff of the round it is in, so every
    server of a round is tried as soon as the first.
    """
    backoff = (
        backoffPolicy(RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY)
        if jitter is None
        else backoffPolicy(RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY, jitter=jitter)
    )

    def policy(attempt: int) -> float:
        return backoff((attempt - 1) // servers + 1)

    return policy


@implementer(IStreamClientEndpoint)
class FailoverEndpoint:
    """
    Connect to one server of a list at each attempt, the next one each time.

    @ivar current: the server of the latest attempt.
    @ivar failures: why each server failed since the last connection made,
        in the order tried.
    """

    def __init__(
        self,
        servers: Sequence[Server],
        endpointFor: Callable[[Server], Awaitable[IStreamClientEndpoint]],
        *,
        first: int = 0,
        connecting: Callable[[Server], None] | None = None,
    ) -> None:
        """
        @param endpointFor: makes the endpoint for one server (deciding, for
            TLS, how to trust it); it may fail, failing that attempt.
        @param first: the index of the server to try first.
        @param connecting: told which server each attempt is for.
        """
        if not servers:
            raise ValueError("no server to connect to")
        self.servers = list(servers)
        self._endpointFor = endpointFor
        self._next = first % len(self.servers)
        self._connecting = connecting
        self.current = self.servers[self._next]
        self.failures: dict[Server, BaseException] = {}

    def connect(self, protocolFactory: IProtocolFactory) -> "Deferred[IProtocol]":
        self.current = server = self.servers[self._next]
        self._next = (self._next + 1) % len(self.servers)
        if self._connecting is not None:
            self._connecting(server)
        return Deferred.fromCoroutine(self._connect(server, protocolFactory))

    async def _connect(self, server: Server, factory: IProtocolFactory) -> IProtocol:
        try:
            endpoint = await self._endpointFor(server)
            protocol: IProtocol = await endpoint.connect(factory)
        except BaseException as error:
            self.failures.pop(server, None)
            self.failures[server] = error
            raise
        self.failures.clear()
        return protocol


async def stayConnected(
    clock: IReactorTime,
    endpoint: FailoverEndpoint,
    session: ClientSession,
    welcomed: Callable[[], None],
) -> None:
    """
    Keep C{session} connected through C{endpoint}, reconnecting after each
    outage, until the session is over; then stop.

    @param welcomed: called once the first server has greeted the session.
    @raise ConnectError: (or whatever the endpoint failed with) if no
        server of the list could be connected to at first.
    @raise ConnectFailure: if the session ended because a server could not
        be talked to.
    """
    connections = ClientService(
        endpoint,
        ChatClientFactory(session),
        retryPolicy=retryPolicy(len(endpoint.servers)),
        clock=clock,
    )
    # One round of the list: the first server that answers.  (Asked before
    # starting, so that an attempt failing at once is counted too.)
    connected = connections.whenConnected(failAfterFailures=len(endpoint.servers))
    connections.startService()
    try:
        await connected
        if await session.welcomed:
            welcomed()
        await session.finished
    finally:
        # We may be inside the connection service's own state change (a
        # failed attempt, a closed connection): stop it from a fresh turn.
        await deferLater(clock, 0, lambda: None)
        await connections.stopService()


class Endpoints:
    """
    Make the endpoint for each server, for L{FailoverEndpoint}.

    @ivar creators: how each server is trusted over TLS, once decided: each
        server is checked on its own terms (its own pin, by C{host:port}).
    """

    def __init__(
        self,
        reactor: Any,
        *,
        timeout: float,
        creators: dict[Server, IOpenSSLClientConnectionCreator],
        caFile: str | None = None,
        view: TerminalView,
        choose: Callable[[Server], Awaitable[IOpenSSLClientConnectionCreator]]
        | None = None,
    ) -> None:
        """
        @param choose: decides how to trust a server first needed after the
            session began; by default L{trustLater}.
        """
        self.reactor = reactor
        self.timeout = timeout
        self.creators = creators
        self.caFile = caFile
        self.view = view
        self._choose = choose or self._trustLater

    async def plain(self, server: Server) -> IStreamClientEndpoint:
        """A plain TCP endpoint for C{server}."""
        endpoint: IStreamClientEndpoint = HostnameEndpoint(
            self.reactor, server.host, server.port, timeout=self.timeout
        )
        return endpoint

    async def secure(self, server: Server) -> IStreamClientEndpoint:
        """A TLS endpoint for C{server}, trusted as decided for it alone."""
        if server not in self.creators:
            self.creators[server] = await self._choose(server)
        return wrapClientTLS(self.creators[server], await self.plain(server))

    def _trustLater(self, server: Server) -> Awaitable[IOpenSSLClientConnectionCreator]:
        return trustLater(
            self.reactor,
            server,
            caFile=self.caFile,
            timeout=self.timeout,
            view=self.view,
        )


def unreachable(failures: Mapping[Server, BaseException], timeout: float) -> str:
    """
    Say in one line why none of the servers could be connected to, given
    why each failed.
    """

    def why(error: BaseException) -> str:
        if isinstance(error, ConnectTimedOut):
            return f"no answer within {timeout:g} s"
        if isinstance(error, TrustFailure):
            return str(error).splitlines()[0]
        return str(error) or type(error).__name__

    if len(failures) == 1:
        ((server, error),) = failures.items()
        return f"cannot connect to {server}: {why(error)}"
    return f"cannot connect to any of {len(failures)} servers: " + "; ".join(
        f"{server} ({why(error).rstrip('.')})" for server, error in failures.items()
    )


async def trustLater(
    reactor: Any,
    server: Server,
    *,
    caFile: str | None,
    timeout: float,
    view: TerminalView,
) -> IOpenSSLClientConnectionCreator:
    """
    Decide how to trust a server first needed after the session began
    (moving on from a lost one): with nobody to ask, only a pin, C{--ca} or
    the system's authorities will do.  A server that cannot be trusted is
    named on the view, and the attempt fails: the next server is tried.
    """
    try:
        return await chooseTrust(
            reactor,
            server.host,
            server.port,
            caFile=caFile,
            known=KnownServers(knownServersPath(os.environ)),
            ask=None,
            timeout=timeout,
        )
    except TrustFailure as error:
        view.showStatus(f"not connecting to {server}:")
        for line in str(error).splitlines():
            view.showStatus(line)
        raise
    except REFUSED as error:
        view.showStatus(f"not connecting to {server}: TLS failed: {error}")
        raise
