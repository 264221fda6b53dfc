"""
Send now what would otherwise wait a reactor turn.

C{transport.write} on a Twisted TCP transport never sends at once: it
buffers the bytes, registers the socket for writability, and sends in
C{doWrite} on a later turn, then unregisters.  For a chat server that
writes to every member of a room once per turn, those two epoll changes and
the extra event per write cost more than the send itself: measured with
C{bench/run.py}, sending at once when nothing is buffered nearly doubles the
deliveries per server CPU-second.

L{writerFor} gives a connection's write function, L{immediateWriter} the
object whose C{write} it is (a connection that keeps the object keeps one
object less than one that keeps the bound method).  For a Twisted file
descriptor (plain TCP or Unix) it sends at once, on the socket from
C{getHandle()}, whenever the transport has nothing buffered, so that bytes
can never overtake earlier ones; whatever the socket does not take goes
through C{transport.write} as usual.  Any other transport (TLS, test
transports) gets C{transport.write} itself.  If Twisted's internals ever
change shape, the checks fail closed and every write takes the ordinary path.
"""

from collections.abc import Callable
from typing import Protocol

from twisted.internet.abstract import FileDescriptor
from twisted.internet.interfaces import ITransport

Writer = Callable[[bytes], None]


class SupportsWrite(Protocol):
    """What has a C{write}: a transport, or what writes to one at once."""

    def write(self, data: bytes) -> None:
        """Write C{data}."""


def immediateWriter(transport: ITransport) -> SupportsWrite:
    """
    Return what writes to C{transport}, sending at once where that is
    safe: C{transport} itself where it is not.
    """
    if isinstance(transport, FileDescriptor) and _looksAsExpected(transport):
        return _ImmediateWriter(transport)
    return transport


def writerFor(transport: ITransport) -> Writer:
    """
    Return the function that writes to C{transport}, sending at once where
    that is safe.
    """
    return immediateWriter(transport).write


def writeNow(transport: ITransport, data: bytes) -> None:
    """
    Write C{data} to C{transport}, sending at once where that is safe.
    """
    writerFor(transport)(data)


def _looksAsExpected(transport: FileDescriptor) -> bool:
    return (
        isinstance(getattr(transport, "_tempDataBuffer", None), list)
        and isinstance(getattr(transport, "dataBuffer", None), bytes)
        and isinstance(getattr(transport, "_writeDisconnected", None), bool)
        and callable(getattr(transport, "getHandle", None))
    )


class _ImmediateWriter:
    __slots__ = ("_socket", "_transport")

    def __init__(self, transport: FileDescriptor) -> None:
        self._transport = transport
        self._socket = transport.getHandle()  # type: ignore[attr-defined]

    def write(self, data: bytes) -> None:
        transport = self._transport
        if (
            not transport._tempDataBuffer
            and not transport.dataBuffer
            and transport.connected
            and not transport.disconnecting
            and not transport._writeDisconnected
        ):
            try:
                sent = self._socket.send(data)
            except OSError:
                # Full, interrupted or broken: Twisted's own write path
                # buffers it, or finds the connection lost, as it would.
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        transport.write(data)
