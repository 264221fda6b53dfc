"""
Tests of L{twisted_chat.frontends.web.httpstage}: the site's HTTP
connections admitted per address, with a lifetime however they trickle,
no request bodies read, no access log; and the static site's refusals of
what an attacker asks for.
"""

import ipaddress
from pathlib import Path

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.static import Data

from twisted_chat.connection.admission import Admission, AdmissionRules
from twisted_chat.frontends.web.httpstage import HTTP_LIFETIME, GuardedChannel
from twisted_chat.frontends.web.site import ChatSite, makeSite


def address(host: str) -> IPv4Address:
    return IPv4Address("TCP", host, 40000)


class HTTPStageTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.directory = Path(self.mktemp())
        self.directory.mkdir()
        (self.directory / "index.html").write_text("<!doctype html>")
        self.admission = Admission(self.clock, AdmissionRules(maxPerAddress=2))
        # At /socket, a resource that answers at once (a file's answer
        # would go through the global reactor's cooperator).
        self.site = makeSite(
            Data(b"<!doctype html>", "text/html"),
            self.clock,
            self.directory,
            admission=self.admission,
            proxies=[ipaddress.ip_network("10.0.0.9/32")],
        )

    def connect(
        self, host: str = "192.0.2.1", site: ChatSite | None = None
    ) -> tuple[object, StringTransport]:
        protocol = (site or self.site).buildProtocol(address(host))
        transport = StringTransport(peerAddress=address(host))
        protocol.makeConnection(transport)
        return protocol, transport

    def test_perAddress(self) -> None:
        """
        One address holds no more HTTP connections than the per-address
        limit; the next is told why (503) and closed.
        """
        for _ in range(2):
            _, transport = self.connect()
            self.assertFalse(transport.disconnecting)
        _, refused = self.connect()
        self.assertTrue(refused.value().startswith(b"HTTP/1.1 503 "))
        self.assertIn(b"Too many connections from your address", refused.value())
        self.assertTrue(refused.disconnecting)

    def test_closedReleases(self) -> None:
        """A closed connection frees its place."""
        channels = [self.connect()[0] for _ in range(2)]
        assert isinstance(channels[0], GuardedChannel)
        channels[0].connectionLost()
        _, transport = self.connect()
        self.assertFalse(transport.disconnecting)

    def test_upgradedReleases(self) -> None:
        """A connection that became a WebSocket no longer counts as HTTP."""
        channels = [self.connect()[0] for _ in range(2)]
        assert isinstance(channels[1], GuardedChannel)
        channels[1].upgraded()
        _, transport = self.connect()
        self.assertFalse(transport.disconnecting)
        channels[1].connectionLost()  # its WebSocket ends: nothing more freed
        _, refused = self.connect()
        self.assertTrue(refused.disconnecting)

    def test_proxyNotLimited(self) -> None:
        """A trusted proxy's connections are not limited per address."""
        for _ in range(5):
            _, transport = self.connect("10.0.0.9")
            self.assertFalse(transport.disconnecting)

    def test_lifetime(self) -> None:
        """
        A connection that trickles its request a byte at a time is closed
        all the same after L{HTTP_LIFETIME} seconds, and its place freed.
        """
        channel, transport = self.connect()
        assert isinstance(channel, GuardedChannel)
        for byte in b"GET / HTTP/1.1\r\nX-Slow: ":
            self.clock.advance(HTTP_LIFETIME / 40)
            channel.dataReceived(bytes([byte]))
        self.assertFalse(transport.disconnecting)
        self.clock.advance(HTTP_LIFETIME)
        self.assertTrue(transport.disconnected)
        channel.connectionLost()
        self.assertEqual(self.admission.openConnections, 0)

    def test_upgradedOutlives(self) -> None:
        """A WebSocket is not cut at the HTTP stage's lifetime."""
        channel, transport = self.connect()
        assert isinstance(channel, GuardedChannel)
        channel.upgraded()
        self.clock.advance(HTTP_LIFETIME * 2)
        self.assertFalse(transport.disconnected)

    def test_noBody(self) -> None:
        """
        A request with a body is refused (413) before any of it is read,
        whether its length is given or it comes in chunks.
        """
        for headers, body in [
            (b"Content-Length: 1000000000", b""),
            (b"Transfer-Encoding: chunked", b""),
            # The body in the same packet as the headers is not read either.
            (b"Content-Length: 10", b"0123456789GET / HTTP/1.1\r\n\r\n"),
            (b"Transfer-Encoding: chunked", b"5\r\nhello\r\n0\r\n\r\n"),
        ]:
            with self.subTest(headers=headers, body=body):
                channel, transport = self.connect()
                assert isinstance(channel, GuardedChannel)
                channel.dataReceived(
                    b"POST / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n\r\n" + body
                )
                self.assertTrue(transport.value().startswith(b"HTTP/1.1 413 "))
                self.assertTrue(transport.disconnecting)
                channel.connectionLost()

    def test_getServed(self) -> None:
        """A plain GET is served as before."""
        channel, transport = self.connect()
        assert isinstance(channel, GuardedChannel)
        channel.dataReceived(b"GET /socket HTTP/1.1\r\nHost: x\r\n\r\n")
        response = transport.value()
        self.assertTrue(response.startswith(b"HTTP/1.1 200 "), response[:60])
        self.assertIn(b"<!doctype html>", response)

    def test_noAccessLog(self) -> None:
        """
        Requests are not written to the access log (which twisted.web
        would otherwise make of twistd's log), whatever their headers.
        """
        written: list[str] = []

        class Log:
            def write(self, line: str) -> None:
                written.append(line)

        self.site._logFile = Log()
        channel, transport = self.connect()
        assert isinstance(channel, GuardedChannel)
        channel.dataReceived(
            b"GET /socket HTTP/1.1\r\nHost: x\r\nUser-Agent: "
            + b"U" * 5000
            + b"\r\n\r\n"
        )
        self.assertTrue(transport.value().startswith(b"HTTP/1.1 200 "))
        self.assertEqual(written, [])

    def test_unlimitedWithoutAdmission(self) -> None:
        """Without limits (--no-limits), nothing is counted or refused."""
        site = makeSite(Resource(), self.clock, self.directory)
        for _ in range(5):
            _, transport = self.connect(site=site)
            self.assertFalse(transport.disconnecting)


class StaticRefusalsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.directory = Path(self.mktemp())
        self.directory.mkdir()
        (self.directory / "index.html").write_text("<!doctype html>")
        outside = Path(self.mktemp())
        outside.write_text("secret")
        (self.directory / "link.txt").symlink_to(outside.resolve())
        self.site = makeSite(Resource(), Clock(), self.directory)

    def get(self, path: bytes) -> bytes:
        channel = self.site.buildProtocol(address("192.0.2.1"))
        transport = StringTransport()
        channel.makeConnection(transport)
        channel.dataReceived(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        return transport.value()

    def test_symlinkNotFollowed(self) -> None:
        """A symbolic link in the directory is not served: it may lead out."""
        response = self.get(b"/link.txt")
        self.assertTrue(response.startswith(b"HTTP/1.1 404 "))
        self.assertNotIn(b"secret", response)

    def test_nulNotFound(self) -> None:
        """A path with a NUL is not found, without an error logged."""
        response = self.get(b"/index.html%00.js")
        self.assertTrue(response.startswith(b"HTTP/1.1 404 "), response[:40])
        self.assertEqual(self.flushLoggedErrors(), [])
