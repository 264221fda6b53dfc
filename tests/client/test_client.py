"""
Tests for L{twisted_chat.client.protocol} and L{twisted_chat.client.session}: the client
protocol over StringTransport, the session across connections, and both
paired in memory with the real server protocol.
"""

from datetime import UTC

from OpenSSL import SSL
from service_identity import VerificationError
from service_identity.hazmat import DNS_ID, DNSMismatch
from twisted.internet.error import ConnectionLost
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.test.iosim import IOPump, connectedServerAndClient
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.core import Chat
from twisted_chat.client.failures import NotChat, NotSecure, NoWelcome
from twisted_chat.client.protocol import ChatClientFactory, ChatClientProtocol
from twisted_chat.client.script import CONNECT_TIMEOUT
from twisted_chat.client.session import ClientSession
from twisted_chat.connection.guard import CLOSE_LINGER
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.limits import CLIENT_MAX_LINE_LENGTH, UNLIMITED
from twisted_chat.terminal.view import TerminalView
from twisted_chat.terminal.whereabouts import Whereabouts

from ..helpers import makeAccounts, makeChat

VERIFY_FAILED = SSL.Error([("SSL routines", "", "certificate verify failed")])
"""What OpenSSL raises for a certificate its trust roots do not vouch for."""


def makeSession(
    nick: str | None = None, *rooms: str, password: str | None = None
) -> tuple[ClientSession, list[str], Clock]:
    shown: list[str] = []
    clock = Clock()
    whereabouts = Whereabouts()
    view = TerminalView(shown.append, whereabouts, color=False, timezone=UTC)
    session = ClientSession(
        view,
        whereabouts,
        clock,
        welcomeTimeout=CONNECT_TIMEOUT,
        nick=nick,
        rooms=rooms,
        password=password,
    )
    return session, shown, clock


class ClientProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.session, self.shown, self.clock = makeSession()
        self.transport = StringTransport()

    def connect(
        self, session: ClientSession | None = None, *, welcome: bool = True
    ) -> ChatClientProtocol:
        """Connect, and unless told otherwise be greeted as the server does."""
        protocol = ChatClientFactory(session or self.session).buildProtocol(None)
        protocol.makeConnection(self.transport)
        if welcome:
            protocol.dataReceived(b"WELCOME guest1 :Hi\r\n")
            self.shown.clear()
        return protocol

    def test_nickAndRoomOnConnect(self) -> None:
        """
        The wished-for nick and rooms are asked for as soon as connected, the
        first room last, so that it is the current one.
        """
        session, _, _ = makeSession("alice", "#dev", "#ops")
        self.connect(session)
        self.assertEqual(
            self.transport.value(), b"/nick alice\r\n/join #ops\r\n/join #dev\r\n"
        )

    def test_loginOnConnect(self) -> None:
        """
        With a password, the client logs in instead of taking the nick, and
        asks for its rooms only once the login is accepted: a refused login
        never joins a room as a guest.
        """
        session, _, _ = makeSession("alice", "#dev", password="s3cret-pass")
        protocol = self.connect(session)
        self.assertEqual(self.transport.value(), b"/login alice s3cret-pass\r\n")
        self.transport.clear()
        protocol.dataReceived(b"NICK guest1 alice 2023-11-14T22:13:20.000Z\r\n")
        self.assertEqual(self.transport.value(), b"")
        protocol.dataReceived(b"ACCOUNT alice :You are logged in as alice.\r\n")
        self.clock.advance(0)
        self.assertEqual(self.transport.value(), b"/join #dev\r\n")

    def test_nothingToAsk(self) -> None:
        """Without wishes, nothing is sent."""
        self.connect()
        self.assertEqual(self.transport.value(), b"")

    def test_typedLines(self) -> None:
        """Typed lines are sent as typed, UTF-8, CRLF; the end of input quits."""
        self.connect()
        self.session.lineTyped("/me waves ☃")
        self.session.inputEnded()
        self.assertEqual(self.transport.value(), "/me waves ☃\r\n/quit\r\n".encode())

    def test_pasteIsPaced(self) -> None:
        """
        A pasted page goes out at the server's default flood rate: 5 lines
        at once, then 2 a second, none lost and in order.
        """
        self.connect()
        for n in range(12):
            self.session.lineTyped(f"line {n}")
        self.assertEqual(self.transport.value().count(b"\r\n"), 5)
        self.clock.advance(1)
        self.assertEqual(self.transport.value().count(b"\r\n"), 7)
        self.clock.advance(2.5)
        self.assertEqual(
            self.transport.value(),
            b"".join(b"line %d\r\n" % n for n in range(12)),
        )

    def test_unsentLinesReported(self) -> None:
        """Lines still waiting when the connection drops are reported."""
        protocol = self.connect()
        for n in range(8):
            self.session.lineTyped(f"line {n}")
        protocol.connectionLost(Failure(ConnectionLost()))
        self.assertIn("-- 3 lines you typed could not be sent", self.shown)
        self.clock.advance(10)
        self.assertEqual(self.transport.value().count(b"\r\n"), 5)

    def test_pingAnswered(self) -> None:
        """A PING is answered with /pong and not shown."""
        protocol = self.connect()
        protocol.dataReceived(b"PING 1764094803\r\n")
        self.assertEqual(self.transport.value(), b"/pong 1764094803\r\n")
        self.assertEqual(self.shown, [])

    def test_liveGapFilled(self) -> None:
        """
        A GAP that comes live (the client fell behind) is filled from
        history: the client asks for the page, and shows it.
        """
        protocol = self.connect(welcome=False)
        protocol.dataReceived(
            b"WELCOME bob :Hi\r\nJOIN #dev bob 2025-11-25T18:20:03.456Z\r\n"
            b"GAP #dev 3 900\r\n"
        )
        self.assertEqual(self.transport.value(), b"/history #dev before 901 500\r\n")
        protocol.dataReceived(
            b"HISTORY #dev 900 2025-11-25T18:20:03.456Z ann :missed\r\n"
            b"ENDHISTORY #dev 1 900 page\r\n"
        )
        self.assertIn("11-25 18:20 #dev <ann> missed", self.shown)

    def test_linesShown(self) -> None:
        """Server lines, split anywhere, are shown as events."""
        protocol = self.connect(welcome=False)
        data = (
            b"WELCOME bob :Hi bob\r\nMSG #lobby 1 2025-11-25T18:20:03.456Z ann :yo\r\n"
        )
        for byte in data:
            protocol.dataReceived(bytes([byte]))
        self.assertEqual(self.shown, ["-!- Hi bob", "18:20 #lobby <ann> yo"])
        self.assertEqual(self.session.whereabouts.nick, "bob")

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
        """After BYE quit, the connection closing ends the session."""
        protocol = self.connect()
        protocol.dataReceived(b"BYE quit :bye\r\n")
        protocol.connectionLost(Failure(ConnectionLost()))
        self.successResultOf(self.session.finished)

    def test_kicked(self) -> None:
        """Being kicked ends the session; the client does not come back."""
        protocol = self.connect()
        protocol.dataReceived(b"BYE kicked :Kicked by server: spam\r\n")
        protocol.connectionLost(Failure(ConnectionLost()))
        self.successResultOf(self.session.finished)

    def test_lostWithoutGoodbye(self) -> None:
        """A connection that ends without BYE is an outage, not the end."""
        protocol = self.connect()
        protocol.connectionLost(Failure(ConnectionLost("gone")))
        self.assertNoResult(self.session.finished)
        (line,) = self.shown
        self.assertIn("connection lost", line)
        self.assertIn("gone", line)
        self.assertTrue(line.endswith("reconnecting..."))

    def test_serverRestarting(self) -> None:
        """BYE shutdown is an outage too."""
        protocol = self.connect()
        protocol.dataReceived(b"BYE shutdown :Server shutting down\r\n")
        protocol.connectionLost(Failure(ConnectionLost()))
        self.assertNoResult(self.session.finished)
        self.assertIn("the server is restarting", self.shown[-1])

    def test_typedDuringOutage(self) -> None:
        """A line typed while disconnected is not lost silently."""
        protocol = self.connect()
        protocol.connectionLost(Failure(ConnectionLost()))
        self.session.lineTyped("hello?")
        self.assertIn("not sent", self.shown[-1])

    def test_endOfInputDuringOutage(self) -> None:
        """Ending input while disconnected ends the session at once."""
        protocol = self.connect()
        protocol.connectionLost(Failure(ConnectionLost()))
        self.session.inputEnded()
        self.successResultOf(self.session.finished)


class BeforeWelcomeTests(SynchronousTestCase):
    """
    What ends a connection before the server's WELCOME, as the protocol
    reports it: a refused TLS handshake, something that is not the protocol,
    or silence.
    """

    def setUp(self) -> None:
        self.session, self.shown, self.clock = makeSession("bob")
        self.transport = StringTransport()
        self.protocol = ChatClientFactory(self.session).buildProtocol(None)
        self.protocol.makeConnection(self.transport)

    def reconnect(self) -> None:
        """Be greeted, lose the connection, and start the next attempt."""
        self.protocol.dataReceived(b"WELCOME bob :Hi\r\n")
        self.protocol.connectionLost(Failure(ConnectionLost()))
        self.clock.advance(1.5)
        self.transport = StringTransport()
        self.protocol = ChatClientFactory(self.session).buildProtocol(None)
        self.protocol.makeConnection(self.transport)
        self.shown.clear()

    def test_certificateRefused(self) -> None:
        """
        A certificate OpenSSL refuses ends the session with OpenSSL's reason,
        and no "connection lost; reconnecting".
        """
        self.protocol.connectionLost(Failure(VERIFY_FAILED))
        failure = self.failureResultOf(self.session.finished, NotSecure)
        self.assertEqual(failure.value.what, "certificate verify failed")
        self.assertEqual(self.shown, [])

    def test_hostNameRefused(self) -> None:
        """A certificate for another host name ends it, naming the host."""
        mismatch = VerificationError(
            errors=[DNSMismatch(mismatched_id=DNS_ID("chat.example"))]
        )
        self.protocol.connectionLost(Failure(mismatch))
        failure = self.failureResultOf(self.session.finished, NotSecure)
        self.assertEqual(failure.value.what, "its certificate is not for chat.example")

    def test_certificateRefusedOnReconnection(self) -> None:
        """
        After an outage, a reconnection whose certificate is refused ends
        the session; it is never called a reconnection.
        """
        self.reconnect()
        self.protocol.connectionLost(Failure(VERIFY_FAILED))
        self.failureResultOf(self.session.finished, NotSecure)
        self.assertEqual(self.shown, [])

    def test_resetDuringReconnectionRetried(self) -> None:
        """
        An attempt that fails below TLS (a reset while the server restarts)
        is only a failed attempt: the session waits for the next one.
        """
        self.reconnect()
        self.protocol.connectionLost(Failure(SSL.SysCallError(104, "ECONNRESET")))
        self.assertNoResult(self.session.finished)
        self.assertEqual(self.shown, [])

    def test_notTheProtocol(self) -> None:
        """
        An answer that is not the protocol (HTTP here) drops the connection,
        shows none of it, and ends the session with its first line.
        """
        self.protocol.dataReceived(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 21\r\n\r\n"
            b"NOTICE :not for you\r\n"
        )
        self.assertTrue(self.transport.disconnected)
        failure = self.failureResultOf(self.session.finished, NotChat)
        self.assertEqual(failure.value.sample, b"HTTP/1.1 400 Bad Request")
        self.assertEqual(self.shown, [])

    def test_binaryNotTheProtocol(self) -> None:
        """Bytes with no line end past the client's limit are not the protocol."""
        self.protocol.dataReceived(b"\x00" * (CLIENT_MAX_LINE_LENGTH + 2))
        self.assertTrue(self.transport.disconnected)
        failure = self.failureResultOf(self.session.finished, NotChat)
        self.assertIsNone(failure.value.sample)

    def test_silence(self) -> None:
        """
        A server that says nothing (a TLS port waiting for a handshake) is
        hung up on after the welcome timeout, ending the session.
        """
        self.clock.advance(CONNECT_TIMEOUT)
        self.assertTrue(self.transport.disconnected)
        self.failureResultOf(self.session.finished, NoWelcome)
        self.protocol.connectionLost(Failure(ConnectionLost()))
        self.assertEqual(self.shown, [])


class ServerAndClient:
    """A real line server and a client session, paired in memory by iosim."""

    def __init__(self, chat: Chat, clock: Clock, session: ClientSession) -> None:
        self.clock = clock
        # Flood control is tested with the server; here it would only slow
        # the conversation down to the server's clock.
        self.serverFactory = LineChatFactory(
            chat, makeAccounts(chat, clock), clock, rules=UNLIMITED
        )
        self.clientFactory = ChatClientFactory(session)
        self.session = session
        self.connect()

    def connect(self) -> None:
        self.client, self.server, self.pump = connectedServerAndClient(
            lambda: self.serverFactory.buildProtocol(None),
            lambda: self.clientFactory.buildProtocol(None),
            clock=self.clock,
        )

    def type(self, text: str) -> None:
        self.session.lineTyped(text)
        self.pump.flush()

    def drop(self) -> None:
        """The network goes away under both ends."""
        pump: IOPump = self.pump
        pump.clientIO.loseConnection()
        pump.flush()


class InMemoryChatTests(SynchronousTestCase):
    """The client session and the real server protocol, paired with iosim."""

    def test_session(self) -> None:
        """A client joins, talks, and leaves with bye; its view shows it all."""
        chat, clock = makeChat()
        session, shown, _ = makeSession("alice", "#dev")
        pair = ServerAndClient(chat, clock, session)
        pair.type("hello")
        pair.type("bye")
        # iosim's transports do not half-close: the server's side closing
        # first is not seen; the whole connection ends after the linger.
        clock.advance(CLOSE_LINGER)
        pair.pump.flush()
        self.assertEqual(
            shown,
            [
                "-!- Welcome to twisted_chat, guest1! Type /help for the commands.",
                "22:13 -- you are now alice",
                "22:13 --> alice joined #dev",
                "-- #dev has no topic",
                "-- #dev (1): @alice",
                "-- now talking in #dev",
                "22:13 #dev <alice> hello",
                "-!- disconnected: bye",
            ],
        )
        self.successResultOf(session.finished)
        self.assertEqual(pair.serverFactory.openConnections, 0)

    def test_resumeAfterOutage(self) -> None:
        """
        After an outage the session takes its nick back and resumes its rooms:
        it shows exactly the messages it missed, once, and a summary.
        """
        chat, clock = makeChat()
        session, shown, sessionClock = makeSession("alice")
        pair = ServerAndClient(chat, clock, session)
        pair.type("/join #dev")
        pair.type("/join #lobby")
        bobSession, _, bobClock = makeSession("bob")
        bob = ServerAndClient(chat, clock, bobSession)
        bob.type("/join #lobby")
        bob.type("/join #dev")
        bob.type("one")
        pair.pump.flush()
        pair.drop()
        self.assertIn("reconnecting", shown[-1])
        bob.type("/msg #dev two")
        bob.type("/msg #dev three")
        bob.type("/msg #lobby in the lobby")
        # bob's client paces what it sends; give it time to send it all.
        bobClock.advance(5)
        bob.pump.flush()
        shown.clear()
        sessionClock.advance(2.5)
        pair.connect()
        pair.pump.flush()
        self.assertEqual(
            [line for line in shown if "<" in line or "--" in line],
            [
                "11-14 22:13 #dev <bob> two",
                "11-14 22:13 #dev <bob> three",
                "11-14 22:13 #lobby <bob> in the lobby",
                "-- reconnected after 2.5 s; caught up 3 messages in 2 rooms",
            ],
        )
        self.assertEqual(session.whereabouts.nick, "alice")
        self.assertEqual(session.whereabouts.currentRoom, "#lobby")

    def test_resumeLeavesTheLobbyIfLeft(self) -> None:
        """A session that had left the lobby leaves it again after an outage."""
        chat, clock = makeChat()
        session, _, _ = makeSession("alice", "#dev")
        pair = ServerAndClient(chat, clock, session)
        pair.type("/part #lobby")
        pair.drop()
        pair.connect()
        pair.pump.flush()
        member = chat.memberNamed("alice")
        self.assertEqual(list(member.rooms), ["#dev"])
