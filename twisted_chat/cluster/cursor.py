"""
Where a node stands in one room, and what to do with a notice for it: the
gap detection of the bus, as pure logic.

The database numbers a room's events without gaps (1, 2, 3, ...) and is the
truth; notices from Redis may come twice, late, out of order or not at all.
A L{RoomCursor} knows the last sequence delivered to the node's local
members and answers, for each notice, one of:

  - L{Deliver}: it is the next one and carries its event: deliver that;
  - L{Read}: the node is behind (a jump, or a notice without its event):
    read that range from the database and deliver it, then call
    L{RoomCursor.readFinished};
  - L{Ignore}: already delivered, or covered by the read in progress.

At most one read per room is outstanding, so events are delivered in order;
a notice beyond the read in progress is remembered and asked for once that
read finishes.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Deliver:
    """Deliver the notice's own event; the cursor has moved past it."""


@dataclass(frozen=True)
class Read:
    """Read events C{first} to C{last} (inclusive) from the database."""

    first: int
    last: int


@dataclass(frozen=True)
class Ignore:
    """Nothing to do."""


Action = Deliver | Read | Ignore


class RoomCursor:
    """
    The last sequence of one room delivered on this node, and the read in
    progress if there is one.

    @ivar delivered: the last sequence delivered locally (0 for none).
    """

    def __init__(self, delivered: int = 0) -> None:
        self.delivered = delivered
        self._wanted = delivered
        self._reading = False

    @property
    def reading(self) -> bool:
        """Whether a database read is in progress for this room."""
        return self._reading

    def offer(self, sequence: int, hasPayload: bool) -> Action:
        """What to do with a notice that the room reached C{sequence}."""
        if sequence <= self.delivered or (self._reading and sequence <= self._wanted):
            return Ignore()
        if not self._reading and sequence == self.delivered + 1 and hasPayload:
            self.delivered = self._wanted = sequence
            return Deliver()
        self._wanted = max(self._wanted, sequence)
        if self._reading:
            return Ignore()
        self._reading = True
        return Read(self.delivered + 1, self._wanted)

    def catchUp(self, sequence: int) -> Action:
        """
        What to do now that the database says the room is at C{sequence}
        (after the bus reconnected, when nothing can say what was missed).
        """
        return self.offer(sequence, hasPayload=False)

    def readFinished(self, delivered: int) -> Read | None:
        """
        The read in progress delivered every event up to C{delivered} (which
        may be beyond what was asked, if the database had more): the next
        read to make, if notices asked for more meanwhile.
        """
        self.delivered = max(self.delivered, delivered)
        self._wanted = max(self._wanted, self.delivered)
        self._reading = False
        if self._wanted > self.delivered:
            self._reading = True
            return Read(self.delivered + 1, self._wanted)
        return None

    def readFailed(self) -> None:
        """
        The read in progress failed (the database is away): the next notice
        or L{catchUp} asks for the whole range again.
        """
        self._reading = False
        self._wanted = self.delivered
