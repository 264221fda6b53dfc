"""
Tests for L{twisted_chat.connection.writenow}: sending at once over a real socket pair,
and falling back to C{transport.write} whenever that could reorder bytes.
"""

import socket

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IPushProducer
from twisted.internet.protocol import Protocol
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface import implementer

from twisted_chat.connection.writenow import writeNow


class Collector(Protocol):
    def __init__(self, expected: int) -> None:
        self.data = b""
        self.expected = expected
        self.done: Deferred[bytes] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        if len(self.data) >= self.expected and not self.done.called:
            self.done.callback(self.data)


class WriteNowTests(TestCase):
    def connectedPair(self) -> tuple[object, socket.socket]:
        """A Twisted TCP-like transport on one end of a socket pair, and the other end."""
        ours, theirs = socket.socketpair()
        self.addCleanup(theirs.close)
        protocol = Protocol()
        transport = reactor.adoptStreamConnection(  # type: ignore[attr-defined]
            ours.fileno(), socket.AF_UNIX, _Factory(protocol)
        )
        ours.close()
        del transport
        self.addCleanup(lambda: protocol.transport.loseConnection())  # type: ignore[union-attr]
        return protocol, theirs

    def test_sentAtOnce(self) -> None:
        """With nothing buffered, the bytes are in the socket before the call returns."""
        protocol, theirs = self.connectedPair()
        transport = protocol.transport  # type: ignore[attr-defined]
        writeNow(transport, b"hello\r\n")
        theirs.setblocking(False)
        self.assertEqual(theirs.recv(100), b"hello\r\n")
        self.assertEqual(transport.dataBuffer, b"")

    def test_behindBufferedBytes(self) -> None:
        """Bytes never overtake bytes Twisted still holds."""
        protocol, theirs = self.connectedPair()
        transport = protocol.transport  # type: ignore[attr-defined]
        transport.write(b"first ")
        writeNow(transport, b"second")
        theirs.setblocking(False)
        with self.assertRaises(BlockingIOError):
            theirs.recv(100)
        return self.readAll(theirs, 12).addCallback(self.assertEqual, b"first second")

    def readAll(self, theirs: socket.socket, length: int) -> Deferred[bytes]:
        """Read C{length} bytes from the other end, through the reactor."""
        reader = Collector(length)
        reactor.adoptStreamConnection(  # type: ignore[attr-defined]
            theirs.fileno(), socket.AF_UNIX, _Factory(reader)
        )
        return reader.done

    def test_largeWritesComplete(self) -> None:
        """What the socket does not take at once is sent later, in order."""
        protocol, theirs = self.connectedPair()
        transport = protocol.transport  # type: ignore[attr-defined]
        producer = PauseCounter()
        transport.registerProducer(producer, True)
        # Unregistered before the connection is closed, which waits for it.
        self.addCleanup(transport.unregisterProducer)
        payload = bytes(range(256)) * 40_000  # 10 MB: more than a socket takes
        writeNow(transport, payload)
        self.assertGreater(producer.pauses, 0, "Twisted holds the rest")
        return self.readAll(theirs, len(payload)).addCallback(
            lambda data: self.assertEqual(data, payload)
        )


class FallbackTests(SynchronousTestCase):
    def test_otherTransports(self) -> None:
        """Anything but a Twisted file descriptor gets an ordinary write."""
        transport = StringTransport()
        writeNow(transport, b"data")
        self.assertEqual(transport.value(), b"data")


@implementer(IPushProducer)
class PauseCounter:
    """
    A streaming producer that counts how often its transport pauses it: a
    Twisted transport does whenever it holds more than its buffer's worth
    of bytes not yet sent.
    """

    pauses = 0

    def pauseProducing(self) -> None:
        self.pauses += 1

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


class _Factory:
    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol

    def buildProtocol(self, addr: object) -> Protocol:
        return self.protocol

    def doStart(self) -> None:
        pass

    def doStop(self) -> None:
        pass
