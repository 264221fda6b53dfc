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

from pathlib import Path
from typing import Final

from twisted.internet.interfaces import IReactorTime
from twisted.web.resource import IResource
from twisted.web.server import Request, Site
from twisted.web.static import File

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
        """No file or folder whose name starts with a dot is served."""
        if path.startswith(b"."):
            return self.childNotFound
        child: IResource = super().getChild(path, request)
        return child


class ChatSite(Site):
    """The site: every response carries L{SECURITY_HEADERS}."""

    def getResourceFor(self, request: Request) -> IResource:
        for name, value in SECURITY_HEADERS.items():
            request.setHeader(name, value)
        resource: IResource = super().getResourceFor(request)
        return resource


def makeSite(
    socket: IResource,
    clock: IReactorTime,
    staticDirectory: Path = STATIC_DIRECTORY,
) -> ChatSite:
    """
    The site serving C{staticDirectory}'s files, with C{socket} (the
    WebSocket's resource) at C{/socket}.
    """
    root = StaticFiles(str(staticDirectory), defaultType="application/octet-stream")
    root.putChild(SOCKET_PATH, socket)
    site = ChatSite(root, reactor=clock)
    site.displayTracebacks = False
    return site
