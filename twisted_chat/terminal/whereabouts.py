"""
Who you are and where you are talking: your nick and your current room, as
the server's events tell them.

The person at a terminal is the terminal client's user or the server's
operator; each has an owner of this state (the client's session, the
operator console) that notes every event it receives here before it shows
it.  The view only reads it: to mark your own nick, and to name your room
in the prompt.  It lives beside the view, not in the client, because the
operator console, on the server side, needs it too.
"""

from collections.abc import Callable

from twisted_chat.chat.events import CurrentRoom, Event, NickChanged, Welcome
from twisted_chat.chat.names import fold


class Whereabouts:
    """
    Your nick and your current room, followed from the events the server
    sends you.
    """

    def __init__(self) -> None:
        self._nick: str | None = None
        self._currentRoom: str | None = None
        self._roomWatchers: list[Callable[[str | None], None]] = []

    @property
    def nick(self) -> str | None:
        """Your nick, once the server has said it."""
        return self._nick

    @property
    def currentRoom(self) -> str | None:
        """Where your plain lines go, once the server has said it."""
        return self._currentRoom

    def isMe(self, nick: str) -> bool:
        """Whether C{nick} is yours, whatever its case."""
        return self._nick is not None and fold(nick) == fold(self._nick)

    def watchRoom(self, watcher: Callable[[str | None], None]) -> None:
        """
        Have C{watcher} called with the current room each time the server
        says it, changed or not, so that a prompt can follow it.
        """
        self._roomWatchers.append(watcher)

    def note(self, event: Event) -> None:
        """
        Note what C{event} says about you: the nick the server welcomed you
        with, your nick changing, the room your lines now go to.
        """
        match event:
            case Welcome(nick, _):
                self._nick = nick
            case NickChanged(old, new, _) if self.isMe(old):
                self._nick = new
            case CurrentRoom(room):
                self._currentRoom = room
                for watcher in self._roomWatchers:
                    watcher(room)
