"""
Tests for the client session's side of keeping order
(L{twisted_chat.client.catchup}): a room one was put out of is not rejoined
after an outage, a room that refuses the resume is forgotten, and a keyed
room is resumed with its key.  The real line server and the session are
paired in memory, as in L{tests.client.test_client}.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.events import ErrorReply, HistoryEnd, Joined, Welcome
from twisted_chat.chat.orderevents import Kicked, ModesChanged, RoomModes

from ..helpers import makeChat
from .test_client import ServerAndClient, makeSession
from .test_session import FakeConnection

T = 1_700_000_000_000


class KeepingOrderTests(SynchronousTestCase):
    """
    bob made #dev, so he operates it; alice is in #dev and the lobby, and
    her connection is about to drop.
    """

    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.bobSession, _, _ = makeSession("bob", "#dev")
        self.bob = ServerAndClient(self.chat, self.clock, self.bobSession)
        self.session, self.shown, self.sessionClock = makeSession("alice")
        self.alice = ServerAndClient(self.chat, self.clock, self.session)
        self.alice.type("/join #lobby")

    def roomsOf(self, nick: str) -> list[str]:
        return sorted(room.name for room in self.chat.memberNamed(nick).rooms.values())

    def reconnect(self) -> None:
        """alice's connection drops, and her client reconnects."""
        self.alice.drop()
        self.shown.clear()
        self.sessionClock.advance(2)
        self.alice.connect()
        self.alice.pump.flush()

    def test_kickedNotRejoined(self) -> None:
        """
        A client kicked from a room does not rejoin it by itself after an
        outage; its other rooms it does.
        """
        self.alice.type("/join #dev")
        self.bob.type("/kick alice enough")
        self.alice.pump.flush()
        self.assertIn("22:13 -!- bob kicked you from #dev (enough)", self.shown)
        self.reconnect()
        self.assertEqual(self.roomsOf("alice"), ["#lobby"])
        self.assertEqual(
            self.shown[-1], "-- reconnected after 2.0 s; caught up 0 messages in 1 room"
        )

    def test_bannedNotRejoined(self) -> None:
        """A ban puts the client out, and it does not try to come back."""
        self.alice.type("/join #dev")
        self.bob.type("/ban alice spam")
        self.alice.pump.flush()
        self.reconnect()
        self.assertEqual(self.roomsOf("alice"), ["#lobby"])
        self.assertNotIn("[banned]", "\n".join(self.shown))

    def test_bannedWhileAway(self) -> None:
        """
        A room that refuses the resume (a ban set while the client was
        away) is forgotten, its refusal shown, and the catching up still
        ends, naming it.
        """
        self.alice.type("/join #dev")
        self.alice.type("/join #lobby")
        self.alice.drop()
        self.bob.type("/ban alice spam")
        self.shown.clear()
        self.sessionClock.advance(2)
        self.alice.connect()
        self.alice.pump.flush()
        self.assertEqual(self.roomsOf("alice"), ["#lobby"])
        self.assertEqual(
            self.shown,
            [
                "!! You are banned from #dev: spam. [banned]",
                "-- reconnected after 2.0 s; caught up 0 messages in 1 room;"
                " not back in #dev",
            ],
        )
        self.assertEqual(list(self.session.rooms), ["#lobby"])

    def test_keyedRoomResumed(self) -> None:
        """
        A keyed room is resumed with the key the person joined with, or the
        one set while they were there.
        """
        self.bob.type("/mode +k sesame")
        self.alice.type("/join #dev sesame")
        self.assertEqual(self.roomsOf("alice"), ["#dev", "#lobby"])
        self.reconnect()
        self.assertEqual(self.roomsOf("alice"), ["#dev", "#lobby"])
        self.bob.type("/mode +k open-sesame")
        self.alice.pump.flush()
        self.reconnect()
        self.assertEqual(self.roomsOf("alice"), ["#dev", "#lobby"])
        self.assertIn("caught up 0 messages in 2 rooms", self.shown[-1])


class ResumeLinesTests(SynchronousTestCase):
    """What a session sends and forgets, event by event."""

    def setUp(self) -> None:
        self.session, self.shown, self.clock = makeSession("ann")
        self.session.connected(FakeConnection())
        self.session.eventReceived(Welcome("ann", "hi"))
        self.session.eventReceived(Joined("#dev", "ann", T))
        self.session.eventReceived(Joined("#ops", "ann", T))

    def reconnect(self) -> FakeConnection:
        self.session.eventReceived(Joined("#lobby", "ann", T))
        self.session.disconnected("closed")
        connection = FakeConnection()
        self.session.connected(connection)
        self.session.eventReceived(Welcome("ann", "hi"))
        self.shown.clear()
        return connection

    def test_kicked(self) -> None:
        """A room one was kicked from is not resumed."""
        self.session.eventReceived(Kicked("#dev", "ANN", "bob", T, ""))
        self.session.eventReceived(Kicked("#ops", "carol", "bob", T, ""))
        self.assertEqual(
            self.reconnect().sent, ["/nick ann", "/resume #ops 0", "/resume #lobby 0"]
        )

    def test_keys(self) -> None:
        """A room's key, typed or set, goes with its resume."""
        self.session.lineTyped("/join #dev sesame")
        self.assertEqual(
            self.reconnect().sent,
            [
                "/nick ann",
                "/resume #dev 0 sesame",
                "/resume #ops 0",
                "/resume #lobby 0",
            ],
        )

    def test_keysFollowed(self) -> None:
        """
        A key set while one is in the room is kept, one taken off is
        forgotten; the modes shown (/mode) say the key, or that there is
        none, unless they hide it (C{*}).
        """
        for event, key in [
            (ModesChanged("#dev", "bob", T, "+mk sesame"), " sesame"),
            (RoomModes("#dev", "+tnk *", T), " sesame"),
            (ModesChanged("#dev", "bob", T, "+l 5"), " sesame"),
            (ModesChanged("#dev", "bob", T, "-k"), ""),
            (RoomModes("#dev", "+tnkl open 5", T), " open"),
            (RoomModes("#dev", "+tn", T), ""),
        ]:
            self.session.eventReceived(event)
            self.assertEqual(self.reconnect().sent[1], f"/resume #dev 0{key}", event)

    def test_refusalsInOrder(self) -> None:
        """
        The server answers the resumes in order, so a refusal is the first
        room not yet joined; the catching up ends with the last room's
        replay.
        """
        self.reconnect()
        for event in [
            Joined("#dev", "ann", T),
            ErrorReply("invite-only", "#ops is invite-only."),
            Joined("#lobby", "ann", T),
            HistoryEnd("#dev", 0, 0, "resume"),
        ]:
            self.session.eventReceived(event)
        self.assertEqual(self.shown, ["!! #ops is invite-only. [invite-only]"])
        self.session.eventReceived(HistoryEnd("#lobby", 0, 0, "resume"))
        self.assertEqual(
            self.shown[-1],
            "-- reconnected after 0.0 s; caught up 0 messages in 2 rooms;"
            " not back in #ops",
        )
        self.assertEqual(sorted(self.session.rooms), ["#dev", "#lobby"])

    def test_lastRoomRefused(self) -> None:
        """If the last room refuses, the catching up ends with the one before."""
        self.reconnect()
        for event in [
            Joined("#dev", "ann", T),
            Joined("#ops", "ann", T),
            ErrorReply("banned", "You are banned from #lobby."),
            HistoryEnd("#dev", 0, 0, "resume"),
        ]:
            self.session.eventReceived(event)
        self.assertNotIn("reconnected", "\n".join(self.shown))
        self.session.eventReceived(HistoryEnd("#ops", 0, 0, "resume"))
        self.assertIn("not back in #lobby", self.shown[-1])

    def test_otherErrorsNotRefusals(self) -> None:
        """An error that refuses no room, or one after catching up, forgets none."""
        self.reconnect()
        self.session.eventReceived(ErrorReply("nick-in-use", "Taken."))
        for room in ["#dev", "#ops", "#lobby"]:
            self.session.eventReceived(Joined(room, "ann", T))
            self.session.eventReceived(HistoryEnd(room, 0, 0, "resume"))
        self.session.eventReceived(ErrorReply("banned", "You are banned from #x."))
        self.assertEqual(sorted(self.session.rooms), ["#dev", "#lobby", "#ops"])
