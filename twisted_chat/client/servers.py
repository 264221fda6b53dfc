"""
The servers a client may connect to, and moving on from one to the next.

Several server processes (nodes) may serve the same rooms.  The person
names them all (C{--host a,b:7700,[::1]:7632}); the client connects to the
first that accepts, and whenever a connection is lost or an attempt fails,
the next attempt goes to the next server in the list, round and round.  A
L{FailoverEndpoint} does that behind C{ClientService}, which knows nothing
of it: each C{connect} is one attempt, at one server.  L{retryPolicy} paces
the attempts: each server of the list is tried once at the first pause, the
pause growing only after a whole round has failed, so that a live node is
reached soon after one is lost, however many others are down.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final

from twisted.application.internet import backoffPolicy
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import (
    IProtocol,
    IProtocolFactory,
    IStreamClientEndpoint,
)
from zope.interface import implementer

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
