"""
What a connection holds for a client that is not reading fast enough.

While the transport's own buffer is full, lines for the client wait here.
Up to a cap they wait whole; past it the client has fallen behind: room
messages are no longer kept, only the range of sequence numbers it missed in
each room, and when it catches up it is sent one C{GAP} line per room, which
it can fill from history.  Everything else (joins, parts, private messages,
replies) is still kept, and if even that outgrows the cap the client is
beyond saving.
"""

from twisted_chat.chat.events import HistoryGap
from twisted_chat.chat.names import fold
from twisted_chat.wire import line as wire

ROOM_MESSAGE_TYPES = tuple(
    f"{name} ".encode() for name in ("MSG", "ACTION", "HISTORY", "HISTORYACTION")
)
"""The line types of room messages, which a client behind is not sent."""


class Backlog:
    """
    Lines held for one client, in order, and the gaps where room messages
    were left out.

    @ivar cap: the most bytes held before room messages are left out, and
        the most held of everything else after.
    @ivar size: bytes held now.
    @ivar behind: whether room messages are being left out.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.behind = False
        self._held: list[list[bytes]] = []
        self._gaps: dict[str, tuple[str, int, int]] = {}

    def hold(self, lines: list[bytes]) -> bool:
        """
        Hold C{lines} (each ending in CRLF; the list is not changed later)
        for the client.

        @return: false if the client is beyond saving: behind, and the lines
            that cannot be left out are over the cap.
        """
        if not self.behind:
            self._held.append(lines)
            self.size += sum(map(len, lines))
            if self.size <= self.cap:
                return True
            self.behind = True
            held, self._held, self.size = self._held, [], 0
            for some in held:
                self._keepAllBut(some)
        else:
            self._keepAllBut(lines)
        return self.size <= self.cap

    def release(self) -> bytes:
        """
        Give up everything held, to be written now: the kept lines, then a
        C{GAP} for each room with messages left out.
        """
        data = b"".join(line for lines in self._held for line in lines)
        gaps = b"".join(
            wire.formatEvent(HistoryGap(room, first, last))
            for room, first, last in self._gaps.values()
        )
        self._held, self._gaps, self.size, self.behind = [], {}, 0, False
        return data + gaps

    def _keepAllBut(self, lines: list[bytes]) -> None:
        """Keep C{lines} but their room messages, noting those as missed."""
        kept = []
        for line in lines:
            if line.startswith(ROOM_MESSAGE_TYPES):
                # TYPE #room SEQ ...: written by the server, so read simply.
                _, room, sequence, _ = line.split(b" ", 3)
                self._missed(room.decode("utf-8"), int(sequence))
            else:
                kept.append(line)
        if kept:
            self._held.append(kept)
            self.size += sum(map(len, kept))

    def _missed(self, room: str, sequence: int) -> None:
        key = fold(room)
        name, first, last = self._gaps.get(key, (room, sequence, sequence))
        self._gaps[key] = (name, min(first, sequence), max(last, sequence))
