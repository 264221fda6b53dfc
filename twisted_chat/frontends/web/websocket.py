"""
The WebSocket at C{/socket}: its opening handshake, and one stream
front end's connection carried over each socket once it is open.

Autobahn (C{autobahn.twisted.websocket}) speaks the WebSocket rather than
Twisted's own C{twisted.web.websocket}, which (Twisted 25 and 26) accepts
every handshake as it comes: it chooses no subprotocol (so no
C{text.ircv3.net} beside C{twisted-chat.json}), cannot refuse a page's
C{Origin}, bounds neither frames nor messages (a client could make it
buffer without end), and leaves pings and handshake timeouts to its user;
it also needs C{wsproto}.  Autobahn does all of these and is tested
against the Autobahn test suite.

The handshake checks the page's C{Origin} (L{peers.originAllowed}: the
site's own, or one named with C{--web-origin}; refused with 403) and
chooses the subprotocol in the client's order of preference: the JSON one
for the page, IRCv3's text or binary one for IRC web clients; a client
that offers none gets IRC over text messages, as the IRCv3 WebSocket
specification has it, one that offers only others is refused.  Once
open, the socket's client is admitted (bans, the per-address limits) by
the front end whose connection it then drives through a
L{twisted_chat.frontends.web.bridge.MessageTransport}, under the address a
trusted proxy names (L{peers.clientHost}).  Autobahn pings the client and
drops it if it does not answer; its answers show the guard it is there.
"""

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from autobahn.twisted.websocket import (
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IAddress,
    IConsumer,
    IDelayedCall,
    IReactorTime,
    ISSLTransport,
)
from twisted.internet.protocol import Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from twisted_chat.frontends.stream import StreamConnection, StreamFrontEnd
from twisted_chat.frontends.web.bridge import MessageTransport
from twisted_chat.frontends.web.peers import Network, clientHost, originAllowed
from twisted_chat.throttle import TokenBucket
from twisted_chat.wire.websocketframes import BINARY, TEXT, FrameCache

JSON_SUBPROTOCOL: Final = "twisted-chat.json"
IRC_TEXT: Final = "text.ircv3.net"
IRC_BINARY: Final = "binary.ircv3.net"
SUBPROTOCOLS: Final = (JSON_SUBPROTOCOL, IRC_TEXT, IRC_BINARY)

MESSAGE_BOUND_FACTOR: Final = 4
"""
A message up to the front end's line limit is a line; one longer, up to
this many times the limit, is answered as too long and the connection
goes on, as over TCP; past that the WebSocket is closed (1009), since a
message must be held whole before it can be refused.
"""

OPEN_HANDSHAKE_TIMEOUT: Final = 10.0
"""Seconds a client has to finish the WebSocket's opening handshake."""

CLOSE_HANDSHAKE_TIMEOUT: Final = 2.0
"""Seconds a client has to answer the server's close before it is dropped."""


_log = Logger()
"""Ours: Autobahn's protocols log through their own (C{self.log})."""


class _Call:
    """A timer Autobahn may cancel after it has run, as it sometimes does."""

    def __init__(self, call: IDelayedCall) -> None:
        self._call = call

    def cancel(self) -> None:
        if self._call.active():
            self._call.cancel()


class ClockTimers:
    """
    Autobahn's timers on the clock the server is given; Autobahn would
    otherwise take the global reactor's (through C{txaio}).
    """

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock

    def call_later(self, delay: float, function: Any, *args: Any, **kw: Any) -> _Call:
        return _Call(self._clock.callLater(delay, function, *args, **kw))


class ChatWebSocket(WebSocketServerProtocol):
    """
    One browser's (or IRC web client's) WebSocket: it answers the
    handshake, then carries one front end's connection.

    @ivar inner: the front end's connection it carries once open (or the
        refusal of one over the limits), L{None} before.
    """

    factory: "WebSocketFrontEnd"

    def __init__(self) -> None:
        super().__init__()
        self.inner: Protocol | None = None
        self._pings: TokenBucket | None = None
        self.subprotocol: str = IRC_TEXT
        self.clientAddress: IAddress | None = None

    def connectionMade(self) -> None:
        # twisted.web's channel, whose socket this was, was its producer.
        transport = self.transport
        if getattr(transport, "producer", None) is not None:
            cast(IConsumer, transport).unregisterProducer()
        super().connectionMade()

    def onConnect(self, request: ConnectionRequest) -> str | None:
        """Check the page's Origin, choose the subprotocol, know the client."""
        frontEnd = self.factory
        headers: Mapping[str, str] = request.headers
        secure = frontEnd.secure(self.transport)
        if not originAllowed(
            headers.get("origin"),
            headers.get("host"),
            secure,
            frontEnd.origins,
            (frontEnd.serverName,),
        ):
            _log.info(
                "Refused a WebSocket from a page at {origin} (to serve pages"
                " there, start the server with --web-origin {origin})",
                origin=headers.get("origin"),
            )
            raise ConnectionDeny(ConnectionDeny.FORBIDDEN, "Origin not allowed")
        offered: Sequence[str] = request.protocols or []
        chosen = next((name for name in offered if name in SUBPROTOCOLS), None)
        if offered and chosen is None:
            raise ConnectionDeny(
                ConnectionDeny.BAD_REQUEST,
                "Subprotocols spoken: " + ", ".join(SUBPROTOCOLS),
            )
        self.subprotocol = chosen or IRC_TEXT
        inner = frontEnd.frontEnds[self.subprotocol]
        bound = MESSAGE_BOUND_FACTOR * inner.maxLineLength
        self.maxMessagePayloadSize = self.maxFramePayloadSize = bound
        assert self.transport is not None
        peer = self.transport.getPeer()
        host = clientHost(
            str(getattr(peer, "host", "")),
            headers.get("x-forwarded-for"),
            frontEnd.proxies,
        )
        self.clientAddress = _address(host, peer)
        return chosen

    def onOpen(self) -> None:
        """Make the front end's connection (or its refusal), and start it."""
        assert self.clientAddress is not None and self.transport is not None
        frontEnd = self.factory.frontEnds[self.subprotocol]
        frames = self.factory.frames[self.subprotocol == IRC_BINARY]
        transport = MessageTransport(self, self.transport, self.clientAddress, frames)
        inner = frontEnd.buildProtocol(self.clientAddress)
        self.inner = inner
        inner.makeConnection(transport)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        inner = self.inner
        if isinstance(inner, StreamConnection):
            inner.lineReceived(payload)

    def onPing(self, payload: bytes) -> None:
        """
        Answer a ping only while the client reads what it is sent, and no
        faster than the flood rate: else its pongs, written past the send
        queue, would pile up in the server's memory (browsers and IRC web
        clients answer pings; they do not send them).  A client pinging
        faster than that is dropped as a flooder.
        """
        inner = self.inner
        if not self.open or not isinstance(inner, StreamConnection):
            return  # closing (a flooder's pings after its close): not a word
        if not hasattr(inner, "guard"):
            return
        rules = inner.guard.rules
        if rules.floodRate > 0:
            if self._pings is None:
                self._pings = TokenBucket(
                    rules.floodBurst, rules.floodRate, self.factory.clock
                )
            if not self._pings.take():
                _log.info("{host}: pinging too fast; dropping", host=inner.peerHost)
                # 1008, policy violation: the protocol's own code, which
                # Autobahn's public sendClose keeps to applications' codes.
                self.sendCloseFrame(code=1008, reasonUtf8=b"flood")
                return
        if not inner.guard.holding:
            super().onPing(payload)

    def onPong(self, payload: bytes) -> None:
        inner = self.inner
        if isinstance(inner, StreamConnection) and hasattr(inner, "guard"):
            inner.guard.heard()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        super().connectionLost(reason)
        inner, self.inner = self.inner, None
        if inner is not None:
            # A closing handshake both sides finished is a clean close,
            # though the server then drops the TCP connection as RFC 6455
            # has it.
            clean = Failure(ConnectionDone()) if self.wasClean else reason
            inner.connectionLost(clean)

    # MessageSocket, for the bridge

    @property
    def open(self) -> bool:
        return bool(self.state == self.STATE_OPEN)

    def close(self) -> None:
        self.sendClose(code=1000)

    def abort(self) -> None:
        self.dropConnection(abort=True)


def _address(host: str, peer: IAddress) -> IAddress:
    """The client's address, as the kit's connections are given it."""
    if host == getattr(peer, "host", None):
        return peer
    port = int(getattr(peer, "port", 0))
    if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
        return IPv6Address("TCP", host, port)
    return IPv4Address("TCP", host, port)


class WebSocketFrontEnd(WebSocketServerFactory):
    """
    Answers WebSocket handshakes and hands each open socket to the front
    end of its subprotocol.

    @ivar frontEnds: the stream front end for each subprotocol.
    @ivar origins: the origins, beside the site's own, whose pages may
        open a socket.
    @ivar proxies: the addresses whose C{X-Forwarded-For} is believed.
    """

    protocol = ChatWebSocket  # type: ignore[assignment]

    def __init__(
        self,
        clock: IReactorTime,
        frontEnds: Mapping[str, StreamFrontEnd],
        *,
        origins: Sequence[str] = (),
        proxies: Sequence[Network] = (),
        pingAfter: float = 0,
        idleTimeout: float = 0,
        serverName: str = "twisted-chat",
    ) -> None:
        """
        @param pingAfter: seconds between pings (0: none).
        @param idleTimeout: seconds of silence after which a client that
            has not answered a ping is dropped.
        """
        super().__init__(server=serverName, reactor=clock)
        self.clock = clock
        self.serverName = serverName
        # Text and binary frames, each shared by the sockets of its kind.
        self.frames = (FrameCache(TEXT), FrameCache(BINARY))
        self._batched_timer = ClockTimers(clock)
        self.frontEnds = dict(frontEnds)
        self.origins = tuple(origins)
        self.proxies = tuple(proxies)
        self.setProtocolOptions(
            webStatus=False,
            failByDrop=False,
            openHandshakeTimeout=OPEN_HANDSHAKE_TIMEOUT,
            closeHandshakeTimeout=CLOSE_HANDSHAKE_TIMEOUT,
            autoPingInterval=pingAfter,
            autoPingTimeout=max(idleTimeout - pingAfter, 0) if pingAfter else 0,
            perMessageCompressionAccept=lambda offers: None,
        )

    @staticmethod
    def secure(transport: object) -> bool:
        """Whether the socket came over TLS (its page is https)."""
        return ISSLTransport.providedBy(transport)
