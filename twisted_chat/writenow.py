"""
Send now what would otherwise wait a reactor turn.

C{transport.write} on a Twisted TCP transport never sends at once: it
buffers the bytes, registers the socket for writability, and sends in
C{doWrite} on a later turn, then unregisters.  For a chat server that
writes to every member of a room once per turn, those two epoll changes and
the extra event per write cost more than the send itself: measured with
C{bench/run.py}, sending at once when nothing is buffered nearly doubles the
deliveries per server CPU-second.

L{writeNow} does that, and only when it is safe: the transport is a Twisted
file descriptor (plain TCP or Unix) with nothing buffered, so that bytes
cannot overtake earlier ones.  Whatever is not sent at once, and anything
written to any other transport (TLS, test transports), goes through
C{transport.write} as usual.  If Twisted's internals ever change shape, the
checks fail closed and every write takes the ordinary path.
"""

from twisted.internet.abstract import FileDescriptor
from twisted.internet.interfaces import ITransport


def writeNow(transport: ITransport, data: bytes) -> None:
    """
    Write C{data} to C{transport}, sending as much as the socket takes at
    once when the transport has nothing buffered.
    """
    if _canSendNow(transport):
        assert isinstance(transport, FileDescriptor)
        sent = transport.writeSomeData(data)
        if isinstance(sent, int) and sent > 0:
            data = data[sent:]
        # A lost connection is left for the reactor to notice, as it would.
    if data:
        transport.write(data)


def _canSendNow(transport: ITransport) -> bool:
    if not isinstance(transport, FileDescriptor):
        return False
    buffered = getattr(transport, "_tempDataBuffer", None)
    return bool(
        buffered == []
        and not getattr(transport, "dataBuffer", True)
        and transport.connected
        and not transport.disconnecting
        and not getattr(transport, "_writeDisconnected", True)
    )
