"""
Tests of the web site: the page's files with their types and headers,
nothing else served, and the WebSocket reached through it over a real
loopback socket, as a browser would.
"""

import json
from pathlib import Path

from autobahn.twisted.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
)
from twisted.internet import reactor
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.protocol import Protocol
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.resource import Resource
from twisted.web.test.requesthelper import DummyRequest

from twisted_chat.frontends.web.jsonchat import JSONChatFrontEnd
from twisted_chat.frontends.web.site import (
    CONTENT_SECURITY_POLICY,
    SocketResource,
    makeSite,
)
from twisted_chat.frontends.web.websocket import WebSocketFrontEnd
from twisted_chat.limits import ConnectionRules

from ..helpers import makeAccounts, makeChat


class StaticFilesTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.directory = Path(self.mktemp())
        (self.directory / "sub").mkdir(parents=True)
        (self.directory / "empty").mkdir()
        for name, text in [
            ("index.html", "<!doctype html>"),
            ("app.js", "export {}"),
            ("module.mjs", "export {}"),
            ("favicon.svg", "<svg/>"),
            ("style.css", "body {}"),
            ("manifest.webmanifest", "{}"),
            ("data.json", "{}"),
            (".secret", "key"),
            ("sub/page.js", "1"),
        ]:
            (self.directory / name).write_text(text)
        self.site = makeSite(Resource(), reactor, self.directory)

    def get(self, path: bytes) -> DummyRequest:
        """Render C{path} as the site would, headers and all."""
        request = DummyRequest(path[1:].split(b"/"))
        request.uri = request.path = path
        resource = self.site.getResourceFor(request)
        body = resource.render(request)
        if isinstance(body, bytes):
            request.write(body)
        return request

    def header(self, request: DummyRequest, name: str) -> str:
        (value,) = request.responseHeaders.getRawHeaders(name)
        return str(value)

    def test_securityHeaders(self) -> None:
        """Every response, found or not, carries the CSP and its kin."""
        for path in [b"/", b"/app.js", b"/missing"]:
            with self.subTest(path=path):
                request = self.get(path)
                self.assertEqual(
                    self.header(request, "content-security-policy"),
                    CONTENT_SECURITY_POLICY,
                )
                self.assertEqual(
                    self.header(request, "x-content-type-options"), "nosniff"
                )
                self.assertEqual(self.header(request, "referrer-policy"), "no-referrer")
                self.assertEqual(self.header(request, "cache-control"), "no-cache")

    def test_contentTypes(self) -> None:
        """Each kind of file is served with its type."""
        for path, kind in [
            (b"/app.js", "text/javascript"),
            (b"/module.mjs", "text/javascript"),
            (b"/favicon.svg", "image/svg+xml"),
            (b"/style.css", "text/css"),
            (b"/manifest.webmanifest", "application/manifest+json"),
            (b"/data.json", "application/json"),
            (b"/sub/page.js", "text/javascript"),
        ]:
            with self.subTest(path=path):
                header = self.header(self.get(path), "content-type")
                self.assertEqual(header.split(";")[0], kind)

    def test_index(self) -> None:
        """C{/} is the index page."""
        request = self.get(b"/")
        self.assertEqual(b"".join(request.written), b"<!doctype html>")
        self.assertEqual(
            self.header(request, "content-type").split(";")[0], "text/html"
        )

    def test_nothingElse(self) -> None:
        """No listing, no dotfile, no missing file: 404."""
        for path in [b"/empty/", b"/.secret", b"/missing.js", b"/sub/"]:
            with self.subTest(path=path):
                self.assertEqual(self.get(path).responseCode, 404)


class Collector(WebSocketClientProtocol):
    """A browser's socket, keeping what it is sent."""

    def onOpen(self) -> None:
        self.factory.opened.callback(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.factory.received.append(json.loads(payload))


class LoopbackTests(TestCase):
    """Through the site over a real socket, as a browser connects."""

    async def start(self) -> int:
        chat, clock = makeChat()
        accounts = makeAccounts(chat, clock)
        frontEnd = JSONChatFrontEnd(
            chat, accounts, reactor, rules=ConnectionRules(sendBufferBytes=0)
        )
        sockets = WebSocketFrontEnd(reactor, {"twisted-chat.json": frontEnd})
        directory = Path(self.mktemp())
        directory.mkdir()
        site = makeSite(SocketResource(sockets), reactor, directory)
        port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(site)
        self.addCleanup(port.stopListening)
        self.frontEnd = frontEnd
        return int(port.getHost().port)

    def test_jsonOverTheSite(self) -> Deferred[None]:
        """A browser's socket at /socket is greeted and carries commands."""

        async def run() -> None:
            portNumber = await self.start()
            url = f"ws://127.0.0.1:{portNumber}/socket"
            factory = WebSocketClientFactory(
                url,
                protocols=["twisted-chat.json"],
                headers={"Origin": f"http://127.0.0.1:{portNumber}"},
            )
            factory.protocol = Collector
            factory.opened = Deferred()
            factory.received = []
            endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", portNumber)
            await endpoint.connect(factory)
            client: Protocol = await factory.opened
            self.addCleanup(client.transport.abortConnection)
            client.sendMessage(b'{"command": "Join", "room": "#dev"}')
            while "CurrentRoom" not in [e["event"] for e in factory.received]:
                waiting: Deferred[None] = Deferred()
                reactor.callLater(0.01, waiting.callback, None)
                await waiting
            kinds = [event["event"] for event in factory.received]
            self.assertEqual(kinds[:2], ["Hello", "Welcome"])
            self.assertEqual(self.frontEnd.openConnections, 1)

        return ensureDeferred(run())
