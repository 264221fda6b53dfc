"""
Tests for L{twisted_chat.connection.backlog}: what is held for a client that does not read.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.events import Joined, PrivateMessage, RoomMessage
from twisted_chat.connection.backlog import Backlog
from twisted_chat.wire import line as wire


def message(room: str, sequence: int, text: str = "x" * 50) -> bytes:
    return wire.formatEvent(RoomMessage(room, sequence, 0, "bob", text))


JOIN = wire.formatEvent(Joined("#dev", "carol", 0))
PRIVATE = wire.formatEvent(PrivateMessage("bob", "alice", 0, "psst"))


class BacklogTests(SynchronousTestCase):
    def test_heldWholeUnderTheCap(self) -> None:
        """Under the cap everything is held and given back in order."""
        backlog = Backlog(10_000)
        lines = [message("#dev", 1), JOIN, message("#dev", 2)]
        self.assertTrue(backlog.hold(lines[:2]))
        self.assertTrue(backlog.hold(lines[2:]))
        self.assertFalse(backlog.behind)
        self.assertEqual(backlog.release(), b"".join(lines))
        self.assertEqual(backlog.size, 0)

    def test_behindLeavesOutRoomMessages(self) -> None:
        """
        Past the cap, room messages are left out, everything else kept, and
        a GAP per room is given at the end.
        """
        backlog = Backlog(500)
        for sequence in range(1, 11):
            self.assertTrue(backlog.hold([message("#dev", sequence)]))
            self.assertTrue(backlog.hold([message("#Ops", 100 + sequence)]))
        backlog.hold([JOIN, PRIVATE])
        self.assertTrue(backlog.behind)
        self.assertEqual(
            backlog.release(),
            JOIN + PRIVATE + b"GAP #dev 1 10\r\nGAP #Ops 101 110\r\n",
        )
        self.assertFalse(backlog.behind)

    def test_historyLeftOutToo(self) -> None:
        """Replayed messages are room traffic as well."""
        backlog = Backlog(10)
        replayed = RoomMessage("#dev", 3, 0, "bob", "old", history=True)
        backlog.hold([wire.formatEvent(replayed), message("#dev", 9)])
        self.assertEqual(backlog.release(), b"GAP #dev 3 9\r\n")

    def test_beyondSaving(self) -> None:
        """Behind, and the lines that must be kept pass the cap: hopeless."""
        backlog = Backlog(200)
        self.assertTrue(backlog.hold([message("#dev", 1)] * 5))
        self.assertTrue(backlog.behind)
        self.assertTrue(backlog.hold([PRIVATE] * 3))
        self.assertFalse(backlog.hold([PRIVATE] * 10))
