"""
Catching up after an outage: the rooms a session is in, the last message it
saw in each, and what a reconnection brought back.

A reconnection asks the server for C{/resume #room SEQ} in every room (with
the room's key, where it has one), so the server replays exactly what was
missed; a replayed message already seen is not shown twice.  A room the
person was put out of (kicked, or banned, which puts out too) is left, as
one they parted: it is not rejoined.  A room that refuses the resume (a
ban set, or the room made invite-only, while the client was away) is
forgotten, its refusal shown.  While the session catches up, rejoining is
its own business: the person sees one summary line once every room has
answered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

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

RESUME_REFUSALS: Final = frozenset(
    {
        "banned",
        "invite-only",
        "bad-key",
        "room-full",
        "registered-only",
        "too-many-rooms",
    }
)
"""The codes of an C{ERROR} refusing a C{/resume} (as it would a C{/join})."""


@dataclass
class _Outage:
    """
    A reconnection in progress: when it began and what it brought back.

    @ivar order: the rooms resumed, in the order asked (the current one
        last); their replays end in that order.
    @ivar unanswered: those the server has neither joined nor refused: it
        answers in order, so a refusal is for the first of them.
    @ivar ended: those whose replay has ended.
    @ivar refused: those that refused the resume, by folded name and name.
    """

    began: float
    messages: int = 0
    order: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)


class CatchUp:
    """
    What a session has seen of its rooms, and its catching up on them after
    a lost connection.

    @ivar rooms: the rooms the person is in, by folded name: the room's name
        and the last sequence number seen there.
    @ivar keys: the keys of the person's rooms that have one, by folded
        name, as typed with C{/join} or set while the person was there.
    """

    def __init__(self, view: TerminalView, clock: IReactorTime) -> None:
        self.view = view
        self.clock = clock
        self.rooms: dict[str, tuple[str, int]] = {}
        self.keys: dict[str, str] = {}
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
            " ".join(
                [
                    "/resume",
                    *map(str, self.rooms[folded]),
                    *([self.keys[folded]] if folded in self.keys else []),
                ]
            )
            for folded in order
        ]
        if not order:
            lines.append(f"/part {LOBBY}")
        if self._outage is not None:
            self._outage.order = order
            self._outage.unanswered = list(order)
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
        """The person joined C{room}: a resume that is answered, if one."""
        folded = fold(room)
        self.rooms.setdefault(folded, (room, 0))
        if self._outage is not None and folded in self._outage.unanswered:
            self._outage.unanswered.remove(folded)

    def left(self, room: str) -> None:
        """The person left C{room}, or was put out of it: not to be resumed."""
        self.rooms.pop(fold(room), None)
        self.keys.pop(fold(room), None)

    def keyed(self, room: str, key: str | None) -> None:
        """C{room}'s key is now C{key} (L{None}: it has none)."""
        if key is None:
            self.keys.pop(fold(room), None)
        else:
            self.keys[fold(room)] = key

    def modesSaid(self, room: str, modes: str, *, whole: bool) -> None:
        """
        A room's modes were said, changed (C{+k sesame}) or C{whole} (the
        answer to C{/mode}): follow its key.  A key shown as C{*} is one
        not shown, and says nothing.
        """
        letters, *arguments = modes.split(" ")
        key: str | None = None
        said = False
        on = True
        for letter in letters:
            if letter in "+-":
                on = letter == "+"
                continue
            argument = arguments.pop(0) if on and letter in "kl" and arguments else None
            if letter == "k":
                said, key = True, argument if on else None
        if key == "*":
            return
        if said or whole:
            self.keyed(room, key)

    def refused(self, code: str) -> bool:
        """
        An C{ERROR} came: if it refuses a resume, forget the room it
        refuses (the first not answered yet), and say so.
        """
        outage = self._outage
        if outage is None or code not in RESUME_REFUSALS or not outage.unanswered:
            return False
        folded = outage.unanswered.pop(0)
        outage.refused[folded] = self.rooms.get(folded, (folded, 0))[0]
        self.left(folded)
        self._caughtUpYet()
        return True

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
        if self._outage is not None and kind == "resume":
            self._outage.ended.add(fold(room))
            self._caughtUpYet()

    def _caughtUpYet(self) -> None:
        """
        Replays end in the order asked: once the last room not refused has
        ended, every room is caught up.
        """
        outage = self._outage
        assert outage is not None
        resumed = [folded for folded in outage.order if folded not in outage.refused]
        if not resumed or resumed[-1] in outage.ended:
            self._reconnected()

    def welcomed(self) -> None:
        """
        A reconnection was greeted: with no room to resume, being greeted is
        the whole of catching up.
        """
        if self._outage is not None and not self._outage.order:
            self._reconnected()

    def _reconnected(self) -> None:
        outage, self._outage = self._outage, None
        assert outage is not None
        seconds = self.clock.seconds() - outage.began
        count = outage.messages
        caught = f"caught up {count} message{'s' * (count != 1)}"
        rooms = len(outage.order) - len(outage.refused)
        if rooms:
            caught += f" in {rooms} room{'s' * (rooms != 1)}"
        if outage.refused:
            caught += f"; not back in {', '.join(outage.refused.values())}"
        self.view.showStatus(f"reconnected after {seconds:.1f} s; {caught}")
