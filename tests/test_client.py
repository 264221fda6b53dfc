"""
Tests for L{twisted_chat.client}: the client protocol over StringTransport,
and paired in memory with the real server protocol.
"""

from datetime import UTC

from twisted.internet.error import ConnectionLost
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.test.iosim import connectedServerAndClient
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.client import (
    ChatClientFactory,
    ChatClientProtocol,
    ConnectionLostError,
)
from twisted_chat.limits import CLIENT_MAX_LINE_LENGTH
from twisted_chat.lineserver import LineChatFactory
from twisted_chat.view import TerminalView

from .helpers import makeAccounts, makeChat


def makeView() -> tuple[TerminalView, list[str]]:
    shown: list[str] = []
    return TerminalView(shown.append, color=False, timezone=UTC), shown


class ClientProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.view, self.shown = makeView()
        self.transport = StringTransport()

    def connect(
        self, nick: str | None = None, room: str | None = None
    ) -> ChatClientProtocol:
        protocol = ChatClientFactory(self.view, nick, room).buildProtocol(None)
        protocol.makeConnection(self.transport)
        return protocol

    def test_nickAndRoomOnConnect(self) -> None:
        """The wished-for nick and room are asked for as soon as connected."""
        self.connect("alice", "#dev")
        self.assertEqual(self.transport.value(), b"/nick alice\r\n/join #dev\r\n")

    def test_nothingToAsk(self) -> None:
        """Without wishes, nothing is sent."""
        self.connect()
        self.assertEqual(self.transport.value(), b"")

    def test_sendInput(self) -> None:
        """Typed lines are sent as typed, UTF-8, CRLF."""
        protocol = self.connect()
        protocol.sendInput("/me waves ☃")
        protocol.quit()
        self.assertEqual(self.transport.value(), "/me waves ☃\r\n/quit\r\n".encode())

    def test_linesShown(self) -> None:
        """Server lines, split anywhere, are shown as events."""
        protocol = self.connect()
        data = (
            b"WELCOME bob :Hi bob\r\nMSG #lobby 1 2025-11-25T18:20:03.456Z ann :yo\r\n"
        )
        for byte in data:
            protocol.dataReceived(bytes([byte]))
        self.assertEqual(self.shown, ["-!- Hi bob", "18:20 #lobby <ann> yo"])
        self.assertEqual(self.view.nick, "bob")

    def test_unparsedShown(self) -> None:
        """A line the client cannot read is shown raw, made safe."""
        protocol = self.connect()
        protocol.dataReceived(b"FUTURE \x1b[31mthing\nJOIN #x\n")
        self.assertEqual(self.shown, ["?? FUTURE \\x1b[31mthing", "?? JOIN #x"])

    def test_overLongServerLine(self) -> None:
        """A server line over the client's limit is dropped with a note."""
        protocol = self.connect()
        protocol.dataReceived(
            b"NOTICE :" + b"x" * CLIENT_MAX_LINE_LENGTH + b"\nNOTICE :ok\n"
        )
        self.assertEqual(len(self.shown), 2)
        self.assertIn("too long", self.shown[0])
        self.assertEqual(self.shown[1], "-!- ok")

    def test_goodbyeThenClose(self) -> None:
        """After BYE, the connection closing is the session's normal end."""
        protocol = self.connect()
        protocol.dataReceived(b"BYE quit :bye\r\n")
        protocol.connectionLost(Failure(ConnectionLost()))
        self.assertIsNone(self.successResultOf(protocol.finished))

    def test_closeWithoutGoodbye(self) -> None:
        """A connection that ends without BYE is a lost connection."""
        protocol = self.connect()
        protocol.connectionLost(Failure(ConnectionLost("gone")))
        failure = self.failureResultOf(protocol.finished, ConnectionLostError)
        self.assertIn("gone", str(failure.value))


class InMemoryChatTests(SynchronousTestCase):
    """The client and the real server protocol, paired with iosim."""

    def test_sessionEndToEnd(self) -> None:
        """A client joins, talks, and leaves with bye; its view shows it all."""
        chat, _clock = makeChat()
        serverFactory = LineChatFactory(chat, makeAccounts(chat, _clock))
        view, shown = makeView()
        clientFactory = ChatClientFactory(view, "alice", "#dev")
        client, _server, pump = connectedServerAndClient(
            lambda: serverFactory.buildProtocol(None),
            lambda: clientFactory.buildProtocol(None),
        )
        client.sendInput("hello")
        pump.flush()
        client.sendInput("bye")
        pump.flush()
        self.assertEqual(
            shown,
            [
                "-!- Welcome to twisted_chat, guest1! Type /help for the commands.",
                "22:13 --> guest1 joined #lobby",
                "-- #lobby has no topic",
                "-- #lobby (1): guest1",
                "-- now talking in #lobby",
                "22:13 -- you are now alice",
                "22:13 --> alice joined #dev",
                "-- #dev has no topic",
                "-- #dev (1): alice",
                "-- now talking in #dev",
                "22:13 #dev <alice> hello",
                "-!- disconnected: bye",
            ],
        )
        self.assertIsNone(self.successResultOf(client.finished))
        self.assertEqual(serverFactory.openConnections, 0)
