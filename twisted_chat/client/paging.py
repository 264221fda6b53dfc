"""
The client's pages of room history: C{/more}, and filling a live gap.

C{/more}, the one command of the client's own, asks for the page of a room's
history before the oldest message the client has shown there, so a person
pages back without knowing sequence numbers.  A C{GAP} that comes live (the
server left messages out while the client read too slowly) is filled the
same way.  While a page is on its way, its messages are shown as they come,
even those seen before: the person asked for them.
"""

from collections.abc import Callable
from typing import Final

from twisted_chat.chat.events import RoomMessage
from twisted_chat.chat.names import fold, isRoomName
from twisted_chat.limits import HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX
from twisted_chat.terminal.view import TerminalView
from twisted_chat.terminal.whereabouts import Whereabouts

MORE_USAGE: Final = "usage: /more [#room] [N]: the N messages before the oldest shown"
"""Said when C{/more} is typed with arguments it does not take."""


class HistoryPages:
    """
    The pages of history a session has asked for, and how far back it has
    shown each room.

    Rooms are keyed by folded name.  C{_pages} counts the pages asked for and
    not yet ended (by C{/history}, C{/more} or a gap), C{_oldest} the oldest
    sequence number shown (by a join replay, a page, or live), and C{_more}
    the rooms whose C{/more} is still on its way.
    """

    def __init__(
        self,
        view: TerminalView,
        whereabouts: Whereabouts,
        send: Callable[[str], None],
    ) -> None:
        """
        @param whereabouts: where the person is talking: the room a
            C{/history} or C{/more} without one is for.
        @param send: sends a line to the server, if there is a connection.
        """
        self.view = view
        self.whereabouts = whereabouts
        self._send = send
        self._pages: dict[str, int] = {}
        self._oldest: dict[str, int] = {}
        self._more: set[str] = set()

    def paging(self, room: str) -> bool:
        """Whether a page of C{room}'s history is on its way."""
        return bool(self._pages.get(fold(room)))

    def asked(self, room: str | None) -> None:
        """
        The person typed C{/history}, for C{room} or (L{None}) the current
        room: its reply is a page.
        """
        key = fold(room or self.whereabouts.currentRoom or "")
        self._pages[key] = self._pages.get(key, 0) + 1

    def shown(self, message: RoomMessage) -> None:
        """A message of a room came: the next C{/more} goes on from before it."""
        folded = fold(message.room)
        self._oldest[folded] = min(
            message.sequence, self._oldest.get(folded, message.sequence)
        )

    def pageEnded(self, room: str, count: int) -> None:
        """
        A page of C{count} messages of C{room} ended; an empty answer to
        C{/more} means nothing before it is kept, and is said.
        """
        folded = fold(room)
        if self._pages.get(folded):
            self._pages[folded] -= 1
        if folded in self._more:
            self._more.discard(folded)
            if not count:
                # Nothing before it is kept: the next /more says so too.
                self._oldest[folded] = 1
                self.view.showStatus(f"{room}: no earlier messages")

    def left(self, room: str) -> None:
        """The person left C{room}: what was shown there is forgotten."""
        self._oldest.pop(fold(room), None)

    def pageBack(self, arguments: list[str]) -> None:
        """
        C{/more [#room] [N]}: ask for the page before the oldest message
        shown in the room (by its join replay, an earlier page, or live),
        or for its newest page if none was.
        """
        room = self.whereabouts.currentRoom
        if arguments and isRoomName(arguments[0]):
            room = arguments.pop(0)
        count = HISTORY_PAGE_DEFAULT
        if arguments:
            word = arguments.pop(0)
            if (
                not (word.isascii() and word.isdigit())
                or not 0 < int(word) <= HISTORY_PAGE_MAX
            ):
                arguments.append(word)
            else:
                count = int(word)
        if arguments or room is None:
            self.view.showStatus(
                MORE_USAGE if arguments else "you are in no room; /join #room"
            )
            return
        folded = fold(room)
        oldest = self._oldest.get(folded)
        if oldest is not None and oldest <= 1:
            self.view.showStatus(f"{room}: no earlier messages")
            return
        self._pages[folded] = self._pages.get(folded, 0) + 1
        self._more.add(folded)
        before = "" if oldest is None else f" before {oldest}"
        self._send(f"/history {room}{before} {count}")

    def fillGap(self, room: str, first: int, last: int) -> None:
        """Ask for the messages of a live gap, newest first, as a page."""
        count = min(last - first + 1, HISTORY_PAGE_MAX)
        self._pages[fold(room)] = self._pages.get(fold(room), 0) + 1
        self._send(f"/history {room} before {last + 1} {count}")
