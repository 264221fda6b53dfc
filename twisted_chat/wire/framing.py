"""
Bounded line splitting for both ends of the line protocol.

L{LineFramer} is the part of a C{LineReceiver} that decides what a line is,
without a transport, so it can be tested alone and so that its limit is kept
strictly: a peer that never sends a newline cannot make it hold more than
C{maxLength} bytes, and an over-long line costs the peer that line only, not
the lines after it (C{LineReceiver} drops the rest of the packet, or the
connection).
"""


class LineFramer:
    """
    Split a byte stream into lines ended by LF or CRLF.

    @ivar maxLength: the longest line accepted, in bytes, line ending excluded.

    There is one per connection: slotted, and it holds a buffer only while
    a line is unfinished.
    """

    __slots__ = ("_discarding", "_pending", "maxLength")

    def __init__(self, maxLength: int) -> None:
        self.maxLength = maxLength
        self._pending: bytearray | None = None
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes | None]:
        """
        Take the next bytes from the stream and return the lines they complete.

        Each line comes without its line ending.  A line longer than
        C{maxLength} is dropped and stands as one L{None} in its place, given
        as soon as it is known to be too long; the bytes up to its end are then
        thrown away as they arrive.
        """
        lines: list[bytes | None] = []
        start = 0
        while (end := data.find(b"\n", start)) != -1:
            piece = data[start:end]
            start = end + 1
            if self._discarding:
                self._discarding = False
                continue
            if self._pending is not None:
                piece = bytes(self._pending + piece)
                self._pending = None
            if piece.endswith(b"\r"):
                piece = piece[:-1]
            lines.append(piece if len(piece) <= self.maxLength else None)
        if not self._discarding and start < len(data):
            # One byte more than the limit may still be the CR of a CRLF.
            if self.pendingLength + len(data) - start > self.maxLength + 1:
                self._pending = None
                self._discarding = True
                lines.append(None)
            elif self._pending is None:
                self._pending = bytearray(data[start:])
            else:
                self._pending += data[start:]
        return lines

    @property
    def pendingLength(self) -> int:
        """
        How many bytes of an unfinished line are held.
        """
        return 0 if self._pending is None else len(self._pending)
