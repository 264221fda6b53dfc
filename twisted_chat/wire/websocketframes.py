"""
The server's side of RFC 6455's data frames: lines as WebSocket messages.

A front end's connection writes CRLF-ended lines, the same bytes for every
member a message goes to; over a WebSocket each line is one message, in a
frame of its own.  Autobahn would make each frame with a call through its
protocol's machinery (about 8 µs a frame on this machine, measured with
C{bench/run.py}'s C{twisted_chat-web}), once for every recipient; framing
is a header of two to ten bytes before the line, so here lines are framed
at once, and what was framed for one connection is reused for the others
sent the same bytes (L{FrameCache}: the members of a room are sent the same
lines, though each connection joins them anew).  Frames from the server are never
masked, and this server sends every message in one frame, uncompressed
(it accepts no extension), so nothing else is needed.
"""

from typing import Final

TEXT: Final = 0x1
BINARY: Final = 0x2
FINAL: Final = 0x80

LINE_END: Final = b"\r\n"


CACHED_BYTES: Final = 1 << 16
"""The most bytes whose frames L{FrameCache} keeps (a room's turn of lines)."""

CACHED_ENTRIES: Final = 256
"""The most writes whose frames L{FrameCache} keeps before forgetting all."""

HEADERS_KEPT: Final = 4096
"""Frame headers are made once for each size below this (a chat line's)."""

_HEADERS: Final[dict[int, dict[int, bytes]]] = {TEXT: {}, BINARY: {}}
"""Each opcode's frame headers by payload size, made as sizes are met."""


def _length(size: int) -> bytes:
    """The length bytes of a frame header (unmasked)."""
    if size < 126:
        return bytes((size,))
    if size < 1 << 16:
        return b"\x7e" + size.to_bytes(2, "big")
    return b"\x7f" + size.to_bytes(8, "big")


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One unmasked, final frame of C{opcode} carrying C{payload}."""
    return bytes((FINAL | opcode,)) + _length(len(payload)) + payload


def frameLines(data: bytes, opcode: int = TEXT) -> tuple[bytes, bytes]:
    """
    Each whole line of C{data} as one frame, without its line ending.

    @return: the frames, and what follows the last line ending (the start
        of a line whose end has not been written yet).
    """
    *lines, rest = data.split(LINE_END)
    headers = _HEADERS[opcode]
    framed = []
    for line in lines:
        size = len(line)
        header = headers.get(size)
        if header is None:
            header = bytes((FINAL | opcode,)) + _length(size)
            if size < HEADERS_KEPT:
                headers[size] = header
        framed.append(header)
        framed.append(line)
    return b"".join(framed), rest


class FrameCache:
    """
    The frames of what was written lately, by its bytes: a room's members
    are written the same bytes, each connection its own copy of them.

    At most L{CACHED_ENTRIES} writes of at most L{CACHED_BYTES} each are
    kept, then all are forgotten: a cache that lives for a reactor turn or
    two, whose hits are the members written after the first.
    """

    __slots__ = ("_frames", "opcode")

    def __init__(self, opcode: int = TEXT) -> None:
        self.opcode = opcode
        self._frames: dict[bytes, tuple[bytes, bytes]] = {}

    def frameLines(self, data: bytes) -> tuple[bytes, bytes]:
        """L{frameLines} of C{data}, reused if the same bytes were lately."""
        frames = self._frames
        found = frames.get(data)
        if found is None:
            found = frameLines(data, self.opcode)
            if len(data) <= CACHED_BYTES:
                if len(frames) >= CACHED_ENTRIES:
                    frames.clear()
                frames[data] = found
        return found
