"""
A WebSocket client for the tests, in memory: it sends the opening
handshake and masked frames to the server's Autobahn protocol over a
StringTransport, and reads the frames the server writes (RFC 6455).
"""

import json
import os
import struct
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IReactorTime

from twisted_chat.frontends.web.websocket import ChatWebSocket, WebSocketFrontEnd

from .clients import TCPStringTransport

TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10


class SocketTransport(TCPStringTransport):
    """
    A TCP connection as a socket's is: unregistering with no producer
    registered is no mistake (Autobahn does so as it drops a connection,
    whether or not the guard registered).
    """

    def unregisterProducer(self) -> None:
        self.producer = None
        self.streaming = None


def clientFrame(payload: bytes, opcode: int = TEXT, fin: bool = True) -> bytes:
    """A frame as a client sends it: masked."""
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    if length < 126:
        head += bytes([0x80 | length])
    elif length < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", length)
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return head + mask + masked


def serverFrames(data: bytes) -> list[tuple[int, bytes]]:
    """The frames in C{data}, as the server writes them: unmasked."""
    frames = []
    while data:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        start = 2
        if length == 126:
            (length,) = struct.unpack("!H", data[2:4])
            start = 4
        elif length == 127:
            (length,) = struct.unpack("!Q", data[2:10])
            start = 10
        frames.append((opcode, data[start : start + length]))
        data = data[start + length :]
    return frames


class WebSocketClient:
    """
    One WebSocket to a L{WebSocketFrontEnd}, over a L{TCPStringTransport}.

    @ivar status: the HTTP status of the handshake's answer.
    @ivar response: the handshake's answer, headers included.
    """

    def __init__(
        self,
        sockets: WebSocketFrontEnd,
        clock: IReactorTime,
        *,
        protocols: tuple[str, ...] = ("twisted-chat.json",),
        origin: str | None = None,
        host: str = "chat.test:8080",
        peer: str = "203.0.113.5",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.clock = clock
        address = IPv4Address("TCP", peer, 40000)
        self.transport = SocketTransport(peerAddress=address)
        protocol = sockets.buildProtocol(address)
        assert isinstance(protocol, ChatWebSocket)
        self.protocol = protocol
        protocol.makeConnection(self.transport)
        lines = [
            "GET /socket HTTP/1.1",
            f"Host: {host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ]
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        if origin is not None:
            lines.append(f"Origin: {origin}")
        lines += [f"{name}: {value}" for name, value in headers]
        protocol.dataReceived(("\r\n".join(lines) + "\r\n\r\n").encode())
        clock.advance(0)  # type: ignore[attr-defined]
        data = self.transport.value()
        head, _, rest = data.partition(b"\r\n\r\n")
        self.response = head.decode()
        self.status = int(self.response.split()[1])
        self.transport.clear()
        self._unread = rest

    def header(self, name: str) -> str | None:
        for line in self.response.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    def send(self, payload: bytes, opcode: int = TEXT) -> None:
        self.protocol.dataReceived(clientFrame(payload, opcode))

    def sendJSON(self, *messages: dict[str, Any]) -> None:
        for message in messages:
            self.send(json.dumps(message).encode())

    def frames(self) -> list[tuple[int, bytes]]:
        self.clock.advance(0)  # type: ignore[attr-defined]
        data = self._unread + self.transport.value()
        self._unread = b""
        self.transport.clear()
        return serverFrames(data)

    def messages(self) -> list[bytes]:
        return [data for opcode, data in self.frames() if opcode in (TEXT, BINARY)]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(message) for message in self.messages()]

    def kinds(self) -> list[str]:
        return [event["event"] for event in self.events()]
