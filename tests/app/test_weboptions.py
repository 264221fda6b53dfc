"""
Tests of the web client's options: --web, --web-origin and --web-proxy,
parsed, checked and wired into the service.
"""

import ipaddress

from twisted.internet.testing import MemoryReactorClock
from twisted.python.usage import UsageError
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.app import tap
from twisted_chat.app.service import ServerService
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.web.jsonchat import JSONChatFrontEnd
from twisted_chat.frontends.web.site import ChatSite


def parse(*argv: str) -> tap.Options:
    options = tap.Options()
    options.parseOptions(list(argv))
    return options


class WebOptionsTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """Without --web, no web client is served."""
        options = parse()
        self.assertEqual(
            (options["web"], options["web-origin"], options["web-proxy"]), ([], [], [])
        )

    def test_repeatable(self) -> None:
        """Each web option may be given many times."""
        options = parse(
            "--web", "tcp:8080:interface=127.0.0.1",
            "--web", "tcp:8443",
            "--web-origin", "https://App.Example:443",
            "--web-origin", "http://localhost:3000",
            "--web-proxy", "10.0.0.1",
            "--web-proxy", "fd00::/8",
        )  # fmt: skip
        self.assertEqual(options["web"], ["tcp:8080:interface=127.0.0.1", "tcp:8443"])
        self.assertEqual(
            options["web-origin"], ["https://app.example", "http://localhost:3000"]
        )
        self.assertEqual(
            options["web-proxy"],
            [ipaddress.ip_network("10.0.0.1"), ipaddress.ip_network("fd00::/8")],
        )

    def test_badValues(self) -> None:
        """A bad endpoint, origin or proxy address is a usage error naming it."""
        for argv in [
            ("--web", "nonsense:1"),
            ("--web", "tcp:8080", "--web-origin", "app.example"),
            ("--web", "tcp:8080", "--web-origin", "https://app.example/page"),
            ("--web", "tcp:8080", "--web-origin", "ftp://app.example"),
            ("--web", "tcp:8080", "--web-proxy", "proxy.example"),
        ]:
            with self.subTest(argv=argv):
                error = self.assertRaises(UsageError, parse, *argv)
                self.assertIn(argv[-1], str(error))

    def test_needsWeb(self) -> None:
        """--web-origin and --web-proxy mean nothing without --web."""
        for argv in [
            ("--web-origin", "https://a.example"),
            ("--web-proxy", "10.0.0.1"),
        ]:
            with self.subTest(argv=argv):
                error = self.assertRaises(UsageError, parse, *argv)
                self.assertIn("needs --web", str(error))

    def test_wired(self) -> None:
        """
        --web listens with the site, and the web's front ends are stopped
        with the server like the others.
        """
        reactor = MemoryReactorClock()
        options = parse("--db", ":memory:", "--web", "tcp:8080:interface=127.0.0.1")
        service = tap.makeService(options, reactor)
        service.privilegedStartService()
        sites = [
            (port, factory)
            for port, factory, _, interface in reactor.tcpServers
            if isinstance(factory, ChatSite)
        ]
        self.assertEqual([port for port, _ in sites], [8080])
        assert isinstance(service, ServerService)
        kinds = {type(frontEnd) for frontEnd in service.frontEnds}
        self.assertIn(JSONChatFrontEnd, kinds)
        self.assertIn(IRCChatFactory, kinds)
