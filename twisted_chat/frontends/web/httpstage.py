"""
The web site's HTTP connections held to the server's rules until they
become WebSockets (or close).

Before its upgrade a connection is twisted.web's: it would take any number
of them from one address, keep each as long as it trickles a byte a
minute, read a request body of any size into a temporary file, and log
every request with its headers.  So here, for the HTTP stage only:

- each connection is admitted under the per-address and total limits
  (L{twisted_chat.connection.admission}), with its own count, so that
  loading the page does not use the places of the WebSockets it opens;
  a proxy named by C{--web-proxy} is not limited (its clients are, once
  their WebSockets say who they are);
- it lives at most L{HTTP_LIFETIME} seconds, however it trickles, unless
  it becomes a WebSocket, which is then held to the front ends' rules;
- a request with a body is refused (413) before any of it is read: the
  site answers C{GET} and C{HEAD} only;
- nothing is written to an access log: what a client sends in its headers
  is not the server's to keep, and a log must not grow at a client's will.
"""

from typing import Any, Final, cast

from twisted.internet.interfaces import (
    IAddress,
    IDelayedCall,
    IReactorTime,
    ITCPTransport,
)
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel, Request
from twisted.web.server import Site

from twisted_chat.connection.admission import (
    Admission,
    admitOrRefuse,
    hostOf,
    release,
)
from twisted_chat.frontends.web.peers import Network, within

HTTP_LIFETIME: Final = 30.0
"""Seconds an HTTP connection may stay open without becoming a WebSocket."""


def httpRefusal(status: bytes, why: str) -> bytes:
    """A whole HTTP response refusing a request, that closes the connection."""
    body = why.encode("utf-8") + b"\n"
    return (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
    )


class GuardedChannel(HTTPChannel):
    """
    One HTTP connection of the site, with a lifetime, no request bodies,
    and its admission released when it closes or becomes a WebSocket.

    @ivar admittedAs: the address admission counted it under, if any.
    """

    admittedAs: str | None = None
    _deadline: IDelayedCall | None = None

    @property
    def _site(self) -> "GuardedSite":
        site: GuardedSite = getattr(self, "site")  # noqa: B009 - set by the site
        return site

    @property
    def _transport(self) -> ITCPTransport:
        return cast(ITCPTransport, self.transport)

    def connectionMade(self) -> None:
        super().connectionMade()
        clock: IReactorTime = self._site.reactor
        self._deadline = clock.callLater(HTTP_LIFETIME, self._expired)

    def allHeadersReceived(self) -> None:
        """Refuse a request with a body (a length, or chunks) unread."""
        if self.length != 0:
            self._transport.write(
                httpRefusal(b"413 Content Too Large", "This site takes no uploads.")
            )
            self._transport.loseConnection()
            return
        super().allHeadersReceived()

    def upgraded(self) -> None:
        """The connection is a WebSocket now: the front ends' rules hold it."""
        self._done()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._done()
        super().connectionLost(reason)

    def _expired(self) -> None:
        self._deadline = None
        self._transport.abortConnection()

    def _done(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None
        release(self._site.httpAdmission, self.admittedAs)
        self.admittedAs = None


class GuardedSite(Site):
    """
    A site held to the rules of L{GuardedChannel}: its connections
    admitted, and no access log.

    @ivar httpAdmission: the count of HTTP connections not yet WebSockets.
    @ivar proxies: the trusted proxies, not limited per address.
    """

    # Plain HTTP/1.1 (twisted.web's default would also negotiate HTTP/2,
    # which the site has no use for).
    protocol = GuardedChannel  # type: ignore[assignment]
    httpAdmission: Admission | None = None
    proxies: tuple[Network, ...] = ()

    def buildProtocol(self, addr: IAddress | None) -> Any:
        build = super().buildProtocol
        if self.httpAdmission is None or within(hostOf(addr), self.proxies):
            return build(addr)
        return admitOrRefuse(
            self.httpAdmission,
            addr,
            lambda: cast(GuardedChannel, build(addr)),
            lambda why: httpRefusal(b"503 Service Unavailable", why),
            "web",
        )

    def log(self, request: Request) -> None:
        """No access log (see the module's docstring)."""
