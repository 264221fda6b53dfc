"""
Clients of the front ends over C{StringTransport}, for protocol tests: the
server's side is real, the network is not, and time is a C{Clock}.
"""

from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import ITCPTransport
from twisted.internet.protocol import connectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_chat.chat.core import Chat
from twisted_chat.chat.events import Event
from twisted_chat.chat.model import Member
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.irc.protocol import IRCChatProtocol
from twisted_chat.frontends.line.protocol import LineChatFactory, LineChatProtocol
from twisted_chat.limits import UNLIMITED
from twisted_chat.wire import line as wire
from twisted_chat.wire.irc import IRCMessage, parseMessage

from .helpers import makeAccounts, makeChat

JOINED = ["JOIN", "TOPICINFO", "MEMBERS", "CURRENT", "ENDHISTORY"]
"""The kinds of line that say the client has joined a room."""


@implementer(ITCPTransport)
class TCPStringTransport(StringTransport):
    """
    A StringTransport that says it is TCP and records TCP_NODELAY.

    @ivar broken: if set, what every write raises, as a transport broken in
        a way nobody foresaw would.
    """

    noDelay = False
    keepAlive = False
    writeClosed = False
    connected = True
    writes = 0
    broken: Exception | None = None

    def write(self, data: bytes) -> None:
        if self.broken is not None:
            raise self.broken
        self.writes += 1
        super().write(data)

    def setTcpNoDelay(self, enabled: bool) -> None:
        self.noDelay = enabled

    def loseWriteConnection(self) -> None:
        """The server closes its side: for these tests, it is disconnecting."""
        assert self.connected and not self.disconnecting, "half-closing a gone one"
        self.writeClosed = True
        self.disconnecting = True

    def getTcpNoDelay(self) -> bool:
        return self.noDelay

    def setTcpKeepAlive(self, enabled: bool) -> None:
        self.keepAlive = enabled

    def getTcpKeepAlive(self) -> bool:
        return self.keepAlive


class Client:
    """
    One connection to a line server, over a StringTransport.

    The server writes at the end of each reactor turn; C{clock} is the
    factory's, and reading the lines lets that turn end.
    """

    def __init__(self, factory: LineChatFactory, clock: Clock) -> None:
        self.clock = clock
        self.transport = TCPStringTransport()
        self.protocol = factory.buildProtocol(None)
        self.protocol.makeConnection(self.transport)

    @property
    def member(self) -> Member:
        """The chat member this connection speaks for."""
        protocol = self.protocol
        assert isinstance(protocol, LineChatProtocol)
        return protocol.member

    def send(self, data: bytes) -> None:
        self.protocol.dataReceived(data)

    def lines(self) -> list[str]:
        """The lines received since last asked, CRLF removed."""
        self.clock.advance(0)
        data = self.transport.value()
        self.transport.clear()
        self.assertCrlf(data)
        return data.decode("utf-8").split("\r\n")[:-1]

    def events(self) -> list[Event]:
        return [wire.parseEvent(line.encode()) for line in self.lines()]

    def lastLine(self) -> str:
        return self.lines()[-1]

    def vanish(self, reason: Failure = connectionDone) -> None:
        self.protocol.connectionLost(reason)

    @staticmethod
    def assertCrlf(data: bytes) -> None:
        assert data.count(b"\n") == data.count(b"\r\n"), data


class LineServerTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat: Chat
        self.chat, self.clock = makeChat()
        self.accounts = makeAccounts(self.chat, self.clock)
        self.factory = LineChatFactory(self.chat, self.accounts, self.clock)

    def connect(self, nick: str | None = None) -> Client:
        """Connect a client that takes C{nick} and joins the lobby."""
        client = Client(self.factory, self.clock)
        if nick is not None:
            client.send(f"/nick {nick}\n".encode())
        client.send(b"/join #lobby\n")
        client.lines()
        return client


class IRCClient:
    """One IRC connection over a StringTransport."""

    def __init__(
        self, factory: IRCChatFactory, clock: Clock, host: str = "192.0.2.9"
    ) -> None:
        self.clock = clock
        peer = IPv4Address("TCP", host, 5000)
        self.transport = TCPStringTransport(peerAddress=peer)
        protocol = factory.buildProtocol(peer)
        assert isinstance(protocol, IRCChatProtocol)
        self.protocol = protocol
        protocol.makeConnection(self.transport)

    def send(self, *lines: str) -> None:
        self.protocol.dataReceived(
            b"".join(line.encode("utf-8") + b"\r\n" for line in lines)
        )

    def messages(self) -> list[IRCMessage]:
        self.clock.advance(0)
        data = self.transport.value()
        self.transport.clear()
        assert data.count(b"\n") == data.count(b"\r\n"), data
        return [parseMessage(line) for line in data.split(b"\r\n")[:-1]]

    def commands(self) -> list[str]:
        return [message.command for message in self.messages()]


class IRCTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat: Chat
        self.chat, self.clock = makeChat()
        # Flood control has its own test; elsewhere it would only slow the
        # conversation down to the clock.
        self.accounts = makeAccounts(self.chat, self.clock)
        self.factory = IRCChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )
        self.lines = LineChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )

    def register(self, nick: str, *caps: str) -> IRCClient:
        client = IRCClient(self.factory, self.clock)
        if caps:
            client.send("CAP LS 302", f"CAP REQ :{' '.join(caps)}")
        client.send(f"NICK {nick}", f"USER {nick} 0 * :{nick.title()}")
        if caps:
            client.send("CAP END")
        client.messages()
        return client

    def lineMember(self, nick: str) -> Client:
        client = Client(self.lines, self.clock)
        client.send(f"/nick {nick}\n/join #lobby\n".encode())
        client.lines()
        return client
