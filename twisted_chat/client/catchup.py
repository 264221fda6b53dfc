"""
Catching up after an outage: the rooms a session is in, the last message it
saw in each, and what a reconnection brought back.

A reconnection asks the server for C{/resume #room SEQ} in every room, so
the server replays exactly what was missed; a replayed message already seen
is not shown twice.  While the session catches up, rejoining is its own
business: the person sees one summary line once the last room is resumed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from twisted.internet.interfaces import IReactorTime

from twisted_chat.chat.events import (
    AccountInfo,
    CurrentRoom,
    Event,
    HistoryEnd,
    Joined,
    MemberList,
    NickChanged,
    Parted,
    TopicInfo,
    Welcome,
)
from twisted_chat.chat.names import fold
from twisted_chat.limits import LOBBY
from twisted_chat.terminal.view import TerminalView


@dataclass
class _Outage:
    """A reconnection in progress: when it began and what it brought back."""

    began: float
    lastRoom: str | None = None
    messages: int = 0
    rooms: set[str] = field(default_factory=set)


class CatchUp:
    """
    What a session has seen of its rooms, and its catching up on them after
    a lost connection.

    @ivar rooms: the rooms the person is in, by folded name: the room's name
        and the last sequence number seen there.
    """

    def __init__(self, view: TerminalView, clock: IReactorTime) -> None:
        self.view = view
        self.clock = clock
        self.rooms: dict[str, tuple[str, int]] = {}
        self._outage: _Outage | None = None

    @property
    def catchingUp(self) -> bool:
        """Whether a reconnection is under way and not yet caught up."""
        return self._outage is not None

    def lost(self) -> None:
        """The connection was lost after a welcome: the next one catches up."""
        self._outage = _Outage(self.clock.seconds())

    def resumeLines(self, currentRoom: str | None) -> list[str]:
        """
        The lines that rejoin the rooms on a reconnection: resume every
        room, the current one last; a person who had left every room stays
        out of the lobby too.
        """
        current = fold(currentRoom or "")
        order = sorted(self.rooms, key=lambda folded: folded == current)
        lines = [
            f"/resume {self.rooms[folded][0]} {self.rooms[folded][1]}"
            for folded in order
        ]
        if not order:
            lines.append(f"/part {LOBBY}")
        if self._outage is not None:
            self._outage.lastRoom = order[-1] if order else None
            self._outage.rooms = set(order)
        return lines

    def quiet(self, event: Event, isMe: Callable[[str], bool]) -> bool:
        """
        Whether C{event} is part of rejoining, noted rather than shown while
        catching up.

        @param isMe: whether a nick is the person's.
        """
        if self._outage is None:
            return False
        match event:
            case Joined(_, nick, _) | Parted(_, nick, _, _) | NickChanged(nick, _, _):
                return isMe(nick)
            case Welcome() | TopicInfo() | MemberList() | CurrentRoom() | HistoryEnd():
                return True
            case AccountInfo():
                return True
        return False

    def joined(self, room: str) -> None:
        """The person joined C{room}."""
        self.rooms.setdefault(fold(room), (room, 0))

    def left(self, room: str) -> None:
        """The person left C{room}."""
        self.rooms.pop(fold(room), None)

    def saw(self, room: str, sequence: int) -> None:
        """The messages of C{room} through C{sequence} have been seen."""
        folded = fold(room)
        if folded in self.rooms:
            name, lastSeen = self.rooms[folded]
            self.rooms[folded] = (name, max(lastSeen, sequence))

    def replayed(self, room: str, sequence: int) -> bool:
        """
        A replayed message came: note it, and say whether it is new (not
        seen before), so to be shown.
        """
        if sequence <= self.rooms.get(fold(room), (room, 0))[1]:
            return False
        self.saw(room, sequence)
        if self._outage is not None:
            self._outage.messages += 1
        return True

    def replayEnded(self, room: str, through: int, kind: str) -> None:
        """
        A replay of C{room} (not a page) ended: all through C{through} is
        seen, and the last room resumed ends the catching up.
        """
        self.saw(room, through)
        outage = self._outage
        if outage is not None and kind == "resume" and fold(room) == outage.lastRoom:
            self._reconnected()

    def welcomed(self) -> None:
        """
        A reconnection was greeted: with no room to resume, being greeted is
        the whole of catching up.
        """
        if self._outage is not None and not self._outage.rooms:
            self._reconnected()

    def _reconnected(self) -> None:
        outage, self._outage = self._outage, None
        assert outage is not None
        seconds = self.clock.seconds() - outage.began
        count = outage.messages
        caught = f"caught up {count} message{'s' * (count != 1)}"
        if outage.rooms:
            rooms = len(outage.rooms)
            caught += f" in {rooms} room{'s' * (rooms != 1)}"
        self.view.showStatus(f"reconnected after {seconds:.1f} s; {caught}")
