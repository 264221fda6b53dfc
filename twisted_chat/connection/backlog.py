"""
What a connection holds for a client that is not reading fast enough: the
send queue, whatever protocol the client speaks.

While the transport's own buffer is full, lines for the client wait here.
Up to a cap they wait whole; past it the client has fallen behind: room
messages are no longer kept, only the range of sequence numbers it missed in
each room, and when it catches up it is sent one gap notice per room, which
says what it missed.  Everything else (joins, parts, private messages,
replies) is still kept, and if even that outgrows the cap the client is
beyond saving.

The queue does not read what it holds.  The front end marks each item as it
encodes it, once for all the clients it goes to: a L{RoomMark} for a room
message, L{None} for what must be kept.  And it renders the gap notices (a
L{GapNotice}), in its own protocol.
"""

from collections.abc import Callable, Hashable
from typing import TypeAlias

RoomMark: TypeAlias = tuple[Hashable, str, int]
"""
What marks a queued item as one room message, which a client behind may be
left without: the room as compared (the front end's normal form of its
name), the room's name as a gap notice shows it, and the message's sequence
number in the room.  A plain tuple: it is made for every room message, on
the path every client that reads takes too.
"""

GapNotice: TypeAlias = Callable[[str, int, int], bytes]
"""
What renders the notice that a client missed messages C{first} to C{last}
of a room (its name, then the two numbers), in the client's protocol, line
ending included.
"""


class Backlog:
    """
    Items held for one client, in order, and the gaps where room messages
    were left out.

    An item is the bytes of one or more whole lines; C{hold} takes a list of
    them with a parallel list of their marks.

    @ivar cap: the most bytes held before room messages are left out, and
        the most held of everything else after.
    @ivar size: bytes held now.
    @ivar behind: whether room messages are being left out.
    """

    def __init__(self, cap: int, notice: GapNotice) -> None:
        self.cap = cap
        self.size = 0
        self.behind = False
        self._notice = notice
        self._held: list[list[bytes]] = []
        self._marks: list[list[RoomMark | None]] = []
        self._gaps: dict[Hashable, tuple[str, int, int]] = {}

    def hold(self, items: list[bytes], marks: list[RoomMark | None]) -> bool:
        """
        Hold C{items} for the client, each marked by the mark at its index
        in C{marks}; neither list is changed later, by the caller or here.

        Until the client falls behind, the lists are held as given: nothing
        is read but their lengths.

        @return: false if the client is beyond saving: behind, and the items
            that cannot be left out are over the cap.
        """
        if not self.behind:
            self._held.append(items)
            self._marks.append(marks)
            self.size += sum(map(len, items))
            if self.size <= self.cap:
                return True
            self.behind = True
            held, allMarks = self._held, self._marks
            self._held, self._marks, self.size = [], [], 0
            for some, theirMarks in zip(held, allMarks, strict=True):
                self._keepAllBut(some, theirMarks)
        else:
            self._keepAllBut(items, marks)
        return self.size <= self.cap

    def release(self) -> bytes:
        """
        Give up everything held, to be written now: the kept items, then a
        gap notice for each room with messages left out, in the order the
        rooms were first left out of.
        """
        data = b"".join(item for items in self._held for item in items)
        notice = self._notice
        gaps = b"".join(
            notice(room, first, last) for room, first, last in self._gaps.values()
        )
        self._held, self._marks, self._gaps = [], [], {}
        self.size, self.behind = 0, False
        return data + gaps

    def _keepAllBut(self, items: list[bytes], marks: list[RoomMark | None]) -> None:
        """Keep C{items} but their room messages, noting those as missed."""
        kept = []
        gaps = self._gaps
        for item, mark in zip(items, marks, strict=True):
            if mark is None:
                kept.append(item)
                continue
            key, room, sequence = mark
            gap = gaps.get(key)
            if gap is None:
                gaps[key] = (room, sequence, sequence)
            else:
                name, first, last = gap
                gaps[key] = (name, min(first, sequence), max(last, sequence))
        if kept:
            self._held.append(kept)
            self.size += sum(map(len, kept))
