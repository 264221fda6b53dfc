"""
Tests for the RFC 1459/2812 commands and replies of the IRC front end
(L{twisted_chat.frontends.irc}): the server's name, PING, the questions
about the server and its users, WHO and WHOX, LIST's conditions, long text
and lines that are answered rather than dropped.
"""

from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.limits import UNLIMITED

from ..clients import IRCClient, IRCTestCase


class ServerNameTests(IRCTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.factory = IRCChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED,
            serverName="irc.example.org",
        )  # fmt: skip

    def test_everySourceIsTheName(self) -> None:
        """The welcome's numerics, notices and PONG come from the server's name."""
        client = IRCClient(self.factory, self.clock)
        client.send("NICK alice", "USER alice 0 * :Alice")
        messages = client.messages()
        self.assertEqual({m.source for m in messages}, {"irc.example.org"})
        self.assertIn("irc.example.org", messages[1].params[1])
        self.assertEqual(messages[3].params[1], "irc.example.org")
        client.send("PING :a token", "WHOIS alice")
        pong, *whois = client.messages()
        self.assertEqual(pong.source, "irc.example.org")
        self.assertEqual(pong.params, ("irc.example.org", "a token"))
        (server,) = [m for m in whois if m.command == "312"]
        self.assertEqual(server.params[2], "irc.example.org")


class PingTests(IRCTestCase):
    def test_pingWithoutToken(self) -> None:
        """PING without a token is 409 (no origin), registered or not."""
        client = IRCClient(self.factory, self.clock)
        client.send("PING", "PING :")
        self.assertEqual(client.commands(), ["409", "409"])
        alice = self.register("alice")
        alice.send("PING")
        (noOrigin,) = alice.messages()
        self.assertEqual(noOrigin.command, "409")
        self.assertEqual(noOrigin.params[0], "alice")
