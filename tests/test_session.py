"""
Tests for L{twisted_chat.session.ClientSession}: what the client remembers
across connections and sends when it reconnects, and what it shows.
"""

from datetime import UTC

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.events import (
    CurrentRoom,
    Goodbye,
    HistoryEnd,
    Joined,
    NickChanged,
    Parted,
    RoomMessage,
    Welcome,
)
from twisted_chat.session import ClientSession
from twisted_chat.view import TerminalView

T = 1_764_094_803_456


class FakeConnection:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def sendInput(self, text: str) -> None:
        self.sent.append(text)


def message(room: str, sequence: int, history: bool = False) -> RoomMessage:
    return RoomMessage(room, sequence, T, "bob", f"m{sequence}", history=history)


class SessionTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.shown: list[str] = []
        self.clock = Clock()
        view = TerminalView(self.shown.append, color=False, timezone=UTC)
        self.session = ClientSession(view, self.clock, nick="ann")
        self.first = FakeConnection()
        self.session.connected(self.first)
        for event in [
            Welcome("ann", "hi"),
            Joined("#lobby", "ann", T),
            CurrentRoom("#lobby"),
            HistoryEnd("#lobby", 0, 4, "join"),
            Joined("#dev", "ann", T),
            CurrentRoom("#dev"),
            message("#dev", 1, history=True),
            HistoryEnd("#dev", 1, 1, "join"),
            message("#dev", 2),
        ]:
            self.session.eventReceived(event)

    def reconnect(self) -> FakeConnection:
        self.session.disconnected("closed")
        self.clock.advance(3)
        connection = FakeConnection()
        self.session.connected(connection)
        return connection

    def test_remembersRoomsAndLastSeen(self) -> None:
        """The session knows each room and the last message seen in it."""
        self.assertEqual(
            self.session.rooms, {"#lobby": ("#lobby", 4), "#dev": ("#dev", 2)}
        )

    def test_reconnectResumesEveryRoom(self) -> None:
        """After an outage: the nick, then a resume per room, current last."""
        connection = self.reconnect()
        self.assertEqual(
            connection.sent, ["/nick ann", "/resume #lobby 4", "/resume #dev 2"]
        )

    def test_reconnectKeepsTheNewNick(self) -> None:
        """A nick changed during the session is the one taken back."""
        self.session.eventReceived(NickChanged("ann", "anna", T))
        connection = self.reconnect()
        self.assertEqual(connection.sent[0], "/nick anna")

    def test_leftLobbyStaysLeft(self) -> None:
        """A room left before the outage is left again after it."""
        self.session.eventReceived(Parted("#lobby", "ann", T, ""))
        connection = self.reconnect()
        self.assertEqual(
            connection.sent, ["/nick ann", "/resume #dev 2", "/part #lobby"]
        )

    def test_passwordFromTypedLogin(self) -> None:
        """A password typed in /login is used to log in again after an outage."""
        self.session.lineTyped("/login ann my-secret-pw")
        connection = self.reconnect()
        self.assertEqual(connection.sent[0], "/login ann my-secret-pw")

    def test_replayShownOnce(self) -> None:
        """Replayed messages already seen are not shown again; new ones count."""
        self.reconnect()
        self.shown.clear()
        for event in [
            message("#dev", 2, history=True),
            message("#dev", 3, history=True),
            HistoryEnd("#dev", 2, 3, "resume"),
        ]:
            self.session.eventReceived(event)
        self.assertEqual(
            self.shown,
            [
                "11-25 18:20 #dev <bob> m3",
                "-- reconnected after 3.0 s; caught up 1 message in 2 rooms",
            ],
        )

    def test_pagesAlwaysShown(self) -> None:
        """A /history page is shown even where it repeats what was seen."""
        self.session.lineTyped("/history 5")
        self.shown.clear()
        self.session.eventReceived(message("#dev", 1, history=True))
        self.session.eventReceived(HistoryEnd("#dev", 1, 2, "page"))
        self.session.eventReceived(message("#dev", 2, history=True))
        self.assertEqual(
            self.shown,
            ["11-25 18:20 #dev <bob> m1", "-- #dev: 1 earlier message above"],
        )

    def test_endsAfterOwnQuit(self) -> None:
        """bye ends the session when the connection closes."""
        self.session.lineTyped("bye")
        self.session.eventReceived(Goodbye("quit", "bye"))
        self.session.disconnected("closed")
        self.successResultOf(self.session.finished)

    def test_replacedEnds(self) -> None:
        """Logged in elsewhere: this session ends rather than fight back."""
        self.session.eventReceived(Goodbye("replaced", "Logged in from elsewhere"))
        self.session.disconnected("closed")
        self.successResultOf(self.session.finished)
