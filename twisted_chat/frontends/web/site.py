"""
The web site: the page's files, and the WebSocket at C{/socket}.

It serves the files of one directory (by default the package's
C{static/}, which holds the page) and nothing else: no directory listings
(a directory without C{index.html} is not found), no file whose name
starts with a dot, no guessing of types from the system's tables.  Every
response says how it may be used (L{SECURITY_HEADERS}: a strict Content
Security Policy, so that a message that slipped past the page's escaping
still could not run script) and that it must be revalidated before it is
used again, so that an upgraded page is seen at once.
"""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from autobahn.twisted.resource import WebSocketResource
from twisted.internet.interfaces import IReactorTime
from twisted.web.resource import IResource
from twisted.web.server import NOT_DONE_YET, Request
from twisted.web.static import File

from twisted_chat.connection.admission import Admission
from twisted_chat.frontends.web.httpstage import GuardedChannel, GuardedSite
from twisted_chat.frontends.web.peers import Network

STATIC_DIRECTORY: Final = Path(__file__).parent / "static"
"""The page's files, shipped with the package."""

SOCKET_PATH: Final = b"socket"
"""Where the WebSocket is: C{/socket}."""

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self';"
    " img-src 'self' data:; connect-src 'self'; font-src 'self';"
    " manifest-src 'self'; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'"
)

SECURITY_HEADERS: Final = {
    b"Content-Security-Policy": CONTENT_SECURITY_POLICY.encode("ascii"),
    b"X-Content-Type-Options": b"nosniff",
    b"Referrer-Policy": b"no-referrer",
    b"Cache-Control": b"no-cache",
}
"""The headers of every response."""

CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
}
"""The types of the files served, whatever the system's tables say."""


class StaticFiles(File):
    """
    The files of one directory and its sub-folders, and nothing else.
    """

    contentTypes = CONTENT_TYPES

    def directoryListing(self) -> IResource:
        """A directory without an index is not found: nothing is listed."""
        return self.childNotFound

    def getChild(self, path: bytes, request: Request) -> IResource:
        """
        No file or folder whose name starts with a dot is served, nor a
        symbolic link (it may lead out of the directory), nor a name with a
        NUL (no file has one).
        """
        if path.startswith(b".") or b"\0" in path:
            return self.childNotFound
        if os.path.islink(os.path.join(self.path, os.fsdecode(path))):
            return self.childNotFound
        child: IResource = super().getChild(path, request)
        return child


class SocketResource(WebSocketResource):
    """
    The WebSocket at C{/socket}: the HTTP connection it takes over is no
    longer counted as one (L{GuardedChannel.upgraded}).
    """

    def render(self, request: Request) -> int | bytes:
        channel = request.channel
        result: int | bytes = super().render(request)
        if result == NOT_DONE_YET and isinstance(channel, GuardedChannel):
            channel.upgraded()
        return result


class ChatSite(GuardedSite):
    """
    The site: every response carries L{SECURITY_HEADERS}; its connections
    are held to the rules of L{twisted_chat.frontends.web.httpstage}.
    """

    def getResourceFor(self, request: Request) -> IResource:
        for name, value in SECURITY_HEADERS.items():
            request.setHeader(name, value)
        resource: IResource = super().getResourceFor(request)
        return resource


def makeSite(
    socket: IResource,
    clock: IReactorTime,
    staticDirectory: Path = STATIC_DIRECTORY,
    *,
    admission: Admission | None = None,
    proxies: Sequence[Network] = (),
) -> ChatSite:
    """
    The site serving C{staticDirectory}'s files, with C{socket} (the
    WebSocket's resource) at C{/socket}.

    @param admission: what counts its HTTP connections (not the
        WebSockets, which their front ends count), L{None} for no limit.
    @param proxies: the trusted proxies, whose connections are not limited.
    """
    root = StaticFiles(str(staticDirectory), defaultType="application/octet-stream")
    root.putChild(SOCKET_PATH, socket)
    site = ChatSite(root, reactor=clock)
    site.displayTracebacks = False
    site.httpAdmission = admission
    site.proxies = tuple(proxies)
    return site
