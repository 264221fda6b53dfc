"""
A stream connection carried over a WebSocket: the transport a front end's
connection (IRC's, the JSON one's) is given when its client is a browser.

The kit's connections write whole CRLF-ended lines, several at once, and
read lines; a WebSocket carries messages.  L{MessageTransport} sends each
line written as one message, without its CRLF, framed by
L{twisted_chat.wire.websocketframes} (once for all the connections sent
the same bytes) and written straight to the connection under the
WebSocket, in one write; closing it closes the WebSocket.  Everything else is the real connection's under it, so that the
kit's rules hold as over TCP: the peer and host are the client's (or the
one a trusted proxy names), TLS shows (C{ISSLTransport}, with the client's
certificate), TCP options reach the socket, pausing stops reading the
socket, and the guard, registered as producer, is told by the socket
itself when a client stops reading, so that a browser that does not read
is held to the send queue and told of the gap like any client.
"""

from collections.abc import Iterable
from typing import Protocol, cast

from twisted.internet.interfaces import (
    IAddress,
    IConsumer,
    IProducer,
    IPushProducer,
    ISSLTransport,
    ITCPTransport,
    ITransport,
)
from zope.interface import alsoProvides, implementer

from twisted_chat.connection.writenow import writerFor
from twisted_chat.wire.websocketframes import FrameCache


class MessageSocket(Protocol):
    """The WebSocket side of a L{MessageTransport}."""

    @property
    def open(self) -> bool:
        """Whether messages may still be sent."""

    def close(self) -> None:
        """Close the WebSocket with its closing handshake."""

    def abort(self) -> None:
        """Drop the connection at once."""


@implementer(ITransport, IConsumer, IPushProducer)
class MessageTransport:
    """
    The transport of one connection over a WebSocket: lines out as
    messages, the rest the underlying connection's.

    @ivar transport: the connection under the WebSocket (TCP, or TLS over
        it), for L{twisted_chat.connection.sockets.socketOf} to find the socket.
    @ivar disconnecting: whether it has been asked to close.
    """

    def __init__(
        self,
        socket: MessageSocket,
        transport: ITransport,
        peer: IAddress,
        frames: FrameCache,
    ) -> None:
        """
        @param frames: what frames lines as this socket's messages (text
            or binary), shared by the connections of the same kind.
        """
        self._socket = socket
        self.transport = transport
        self._peer = peer
        self._frames = frames
        self._write = writerFor(transport)
        self._partial = b""
        self.disconnecting = False
        if ITCPTransport.providedBy(transport):
            alsoProvides(self, ITCPTransport)
        if ISSLTransport.providedBy(transport):
            alsoProvides(self, ISSLTransport)

    @property
    def connected(self) -> bool:
        return self._socket.open

    # ITransport

    def write(self, data: bytes) -> None:
        """
        Send each whole line of C{data} as one message; a line's start
        without its end (the kit never writes one) waits for the rest.
        """
        if not self._socket.open:
            return
        if self._partial:
            data = self._partial + data
        framed, self._partial = self._frames.frameLines(data)
        if framed:
            self._write(framed)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self.write(b"".join(data))

    def loseConnection(self) -> None:
        if not self.disconnecting:
            self.disconnecting = True
            self._socket.close()

    def abortConnection(self) -> None:
        self.disconnecting = True
        self._socket.abort()

    def getPeer(self) -> IAddress:
        """The client's address: the socket's peer, or whom a trusted proxy names."""
        return self._peer

    def getHost(self) -> IAddress:
        return self.transport.getHost()

    # ITCPTransport, where the connection is TCP

    def loseWriteConnection(self) -> None:
        """A WebSocket closes both ways at once, with its handshake."""
        self.loseConnection()

    def getTcpNoDelay(self) -> bool:
        return bool(self._tcp("getTcpNoDelay")())

    def setTcpNoDelay(self, enabled: bool) -> None:
        self._tcp("setTcpNoDelay")(enabled)

    def getTcpKeepAlive(self) -> bool:
        return bool(self._tcp("getTcpKeepAlive")())

    def setTcpKeepAlive(self, enabled: bool) -> None:
        self._tcp("setTcpKeepAlive")(enabled)

    def getHandle(self) -> object:
        getHandle = getattr(self.transport, "getHandle", None)
        return getHandle() if getHandle is not None else None

    def _tcp(self, name: str) -> "_Call":
        method: _Call = getattr(self.transport, name)
        return method

    # ISSLTransport, where the connection is TLS

    def getPeerCertificate(self) -> object:
        return cast(ISSLTransport, self.transport).getPeerCertificate()

    # IConsumer: the guard registers here, to hear of the socket's buffer.

    def registerProducer(self, producer: IProducer, streaming: bool) -> None:
        cast(IConsumer, self.transport).registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        cast(IConsumer, self.transport).unregisterProducer()

    # IPushProducer: reading from the socket, which flood control pauses.

    def pauseProducing(self) -> None:
        cast(IPushProducer, self.transport).pauseProducing()

    def resumeProducing(self) -> None:
        cast(IPushProducer, self.transport).resumeProducing()

    def stopProducing(self) -> None:
        self.abortConnection()


class _Call(Protocol):
    def __call__(self, *args: object) -> object: ...
