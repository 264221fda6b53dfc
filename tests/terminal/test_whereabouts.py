"""
Tests for L{twisted_chat.terminal.whereabouts}: who and where you are, as the
server's events tell it.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.events import (
    CurrentRoom,
    Joined,
    NickChanged,
    Parted,
    RoomMessage,
    Welcome,
)
from twisted_chat.terminal.whereabouts import Whereabouts

T = 1_764_094_803_456


def welcomed(nick: str = "me") -> Whereabouts:
    whereabouts = Whereabouts()
    whereabouts.note(Welcome(nick, "hi"))
    return whereabouts


class NickTests(SynchronousTestCase):
    def test_nobodyAtFirst(self) -> None:
        """Before the server's welcome, you have no nick and no nick is yours."""
        whereabouts = Whereabouts()
        self.assertIsNone(whereabouts.nick)
        self.assertIsNone(whereabouts.currentRoom)
        self.assertFalse(whereabouts.isMe("me"))

    def test_welcome(self) -> None:
        """The welcome says your nick."""
        self.assertEqual(welcomed("ann").nick, "ann")

    def test_welcomeAgain(self) -> None:
        """A later welcome (a reconnection) says your nick anew."""
        whereabouts = welcomed("ann")
        whereabouts.note(Welcome("guest7", "hi"))
        self.assertEqual(whereabouts.nick, "guest7")

    def test_isMeFolds(self) -> None:
        """Your nick is yours in any case; another is not."""
        whereabouts = welcomed("Ann")
        self.assertTrue(whereabouts.isMe("ann"))
        self.assertTrue(whereabouts.isMe("ANN"))
        self.assertFalse(whereabouts.isMe("anna"))

    def test_ownNickChange(self) -> None:
        """Your own nick change is followed, whatever the case it is told in."""
        whereabouts = welcomed("me")
        whereabouts.note(NickChanged("ME", "you2", T))
        self.assertEqual(whereabouts.nick, "you2")
        self.assertTrue(whereabouts.isMe("you2"))
        self.assertFalse(whereabouts.isMe("me"))

    def test_othersNickChange(self) -> None:
        """Someone else's nick change is not yours."""
        whereabouts = welcomed("me")
        whereabouts.note(NickChanged("ann", "anna", T))
        self.assertEqual(whereabouts.nick, "me")

    def test_nickChangeBeforeWelcome(self) -> None:
        """A nick change before any welcome gives you no nick."""
        whereabouts = Whereabouts()
        whereabouts.note(NickChanged("ann", "anna", T))
        self.assertIsNone(whereabouts.nick)


class RoomTests(SynchronousTestCase):
    def test_currentRoom(self) -> None:
        """The server's word on your current room is followed, no room too."""
        whereabouts = welcomed()
        whereabouts.note(CurrentRoom("#dev"))
        self.assertEqual(whereabouts.currentRoom, "#dev")
        whereabouts.note(CurrentRoom(None))
        self.assertIsNone(whereabouts.currentRoom)

    def test_joiningIsNotTalking(self) -> None:
        """
        Joining or leaving a room leaves the current room as it is: only the
        server's C{CURRENT} line moves it.
        """
        whereabouts = welcomed()
        whereabouts.note(CurrentRoom("#dev"))
        for event in [
            Joined("#ops", "me", T),
            Parted("#dev", "me", T, ""),
            RoomMessage("#ops", 1, T, "ann", "hi"),
        ]:
            whereabouts.note(event)
        self.assertEqual(whereabouts.currentRoom, "#dev")
        self.assertEqual(whereabouts.nick, "me")

    def test_watchers(self) -> None:
        """
        Each watcher hears of the current room each time the server says it,
        once the room is noted, even when it has not changed.
        """
        whereabouts = welcomed()
        heard: list[tuple[str, str | None, str | None]] = []
        whereabouts.watchRoom(
            lambda room: heard.append(("first", room, whereabouts.currentRoom))
        )
        whereabouts.watchRoom(lambda room: heard.append(("second", room, None)))
        whereabouts.note(CurrentRoom("#dev"))
        whereabouts.note(CurrentRoom("#dev"))
        whereabouts.note(Welcome("me", "hi"))
        whereabouts.note(CurrentRoom(None))
        self.assertEqual(
            heard,
            [
                ("first", "#dev", "#dev"),
                ("second", "#dev", None),
                ("first", "#dev", "#dev"),
                ("second", "#dev", None),
                ("first", None, None),
                ("second", None, None),
            ],
        )
