"""
The server's side of RFC 6455's data frames: lines as WebSocket messages.

A front end's connection writes CRLF-ended lines, the same bytes for every
member a message goes to; over a WebSocket each line is one message, in a
frame of its own.  Autobahn would make each frame with a call through its
protocol's machinery (about 8 µs a frame on this machine, measured with
C{bench/run.py}'s C{twisted_chat-web}), once for every recipient; framing
is a header of two to ten bytes before the line, so here lines are framed
at once, and what was framed for one connection is reused for the next one
sent the same bytes (L{FrameCache}).  Frames from the server are never
masked, and this server sends every message in one frame, uncompressed
(it accepts no extension), so nothing else is needed.
"""

from typing import Final

TEXT: Final = 0x1
BINARY: Final = 0x2
FINAL: Final = 0x80

LINE_END: Final = b"\r\n"


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One unmasked, final frame of C{opcode} carrying C{payload}."""
    size = len(payload)
    if size < 126:
        header = bytes((FINAL | opcode, size))
    elif size < 1 << 16:
        header = bytes((FINAL | opcode, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((FINAL | opcode, 127)) + size.to_bytes(8, "big")
    return header + payload


def frameLines(data: bytes, opcode: int = TEXT) -> tuple[bytes, bytes]:
    """
    Each whole line of C{data} as one frame, without its line ending.

    @return: the frames, and what follows the last line ending (the start
        of a line whose end has not been written yet).
    """
    *lines, rest = data.split(LINE_END)
    return b"".join([frame(line, opcode) for line in lines]), rest


class FrameCache:
    """
    The frames of the bytes last framed, for the next connection written
    the same bytes (the very object: a batch shared by a room's members).
    """

    __slots__ = ("_data", "_framed", "_rest", "opcode")

    def __init__(self, opcode: int = TEXT) -> None:
        self.opcode = opcode
        self._data: bytes | None = None
        self._framed = b""
        self._rest = b""

    def frameLines(self, data: bytes) -> tuple[bytes, bytes]:
        """L{frameLines} of C{data}, reused if C{data} was framed last."""
        if data is not self._data:
            self._framed, self._rest = frameLines(data, self.opcode)
            self._data = data
        return self._framed, self._rest
