"""
Setting up a chat connection's TCP socket: what the kernel does for each
client connection, the same for every front end.
"""

import socket

from twisted.internet.interfaces import ITCPTransport, ITransport


def socketOf(transport: object) -> socket.socket | None:
    """
    The socket under C{transport}, through any wrapping (TLS), or L{None}.
    """
    while transport is not None:
        getHandle = getattr(transport, "getHandle", None)
        handle = getHandle() if getHandle is not None else None
        if isinstance(handle, socket.socket):
            return handle
        transport = getattr(transport, "transport", None)
    return None


def configureForChat(transport: ITransport, sendBufferBytes: int) -> None:
    """
    Set up a TCP connection for chat: no Nagle delay (lines are small and
    wanted now), keepalive (to find half-open peers), and, if
    C{sendBufferBytes}, a bounded kernel send buffer, so that a client that
    does not read is held to the send queue after a known amount, not after
    the several MiB the kernel would otherwise let one socket take.  Any
    other transport is left as it is.
    """
    if not ITCPTransport.providedBy(transport):
        return
    transport.setTcpNoDelay(True)
    transport.setTcpKeepAlive(True)
    if sendBufferBytes > 0:
        handle = socketOf(transport)
        if handle is not None:
            handle.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sendBufferBytes)
