"""
Tests for L{twisted_chat.connection.backlog}: what is held for a client that
does not read; on its own, with the marks the batcher carries, and with the
line protocol's marks and C{GAP} lines.
"""

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.events import Event, Joined, PrivateMessage, RoomMessage
from twisted_chat.connection.backlog import Backlog, RoomMark
from twisted_chat.connection.batching import Batch, Batcher
from twisted_chat.frontends.line.protocol import gapLine
from twisted_chat.frontends.stream import roomMarkOf
from twisted_chat.wire import line as wire


def notice(room: str, first: int, last: int) -> bytes:
    """A gap notice in no protocol at all."""
    return f"<missed {room} {first}-{last}>".encode()


def room(key: str, sequence: int, size: int = 10) -> tuple[bytes, RoomMark]:
    """A room message item of C{size} bytes, marked for room C{key}."""
    return b"r" * size, (key, key.upper(), sequence)


class NeutralBacklogTests(SynchronousTestCase):
    """
    The queue reads marks, never bytes: it works the same for any protocol.
    """

    def test_unmarkedKeptWhateverTheySay(self) -> None:
        """
        Unmarked items are kept even when behind, whatever their bytes say:
        the queue does not read them (these look like line-protocol room
        messages, which once was enough to leave them out).
        """
        backlog = Backlog(25, notice)
        looksLikeMessage = b"MSG #dev 1 0 bob :hi\r\n"
        line, mark = room("#dev", 7, 30)
        self.assertTrue(backlog.hold([looksLikeMessage, line], [None, mark]))
        self.assertTrue(backlog.behind)
        self.assertEqual(backlog.release(), looksLikeMessage + b"<missed #DEV 7-7>")

    def test_wholeUnderTheCap(self) -> None:
        """Under the cap, marked or not, everything is given back in order."""
        backlog = Backlog(100, notice)
        first, firstMark = room("#a", 1)
        second, secondMark = room("#a", 2)
        self.assertTrue(backlog.hold([first, b"keep"], [firstMark, None]))
        self.assertTrue(backlog.hold([second], [secondMark]))
        self.assertEqual(backlog.size, 24)
        self.assertEqual(backlog.release(), first + b"keep" + second)

    def test_noticesAfterKeptInRoomOrder(self) -> None:
        """
        Past the cap: one notice per room, after everything kept, in the
        order the rooms were first left out of, each spanning the lowest to
        the highest number missed (however they arrived).
        """
        backlog = Backlog(35, notice)
        items: list[bytes] = []
        marks: list[RoomMark | None] = []
        for key, sequence in [("#b", 5), ("#a", 9), ("#b", 3), ("#a", 4), ("#b", 8)]:
            item, mark = room(key, sequence)
            items.append(item)
            marks.append(mark)
        backlog.hold(items[:2], marks[:2])
        backlog.hold([b"join"], [None])
        backlog.hold(items[2:], marks[2:])
        self.assertTrue(backlog.behind)
        self.assertEqual(backlog.release(), b"join<missed #B 3-8><missed #A 4-9>")

    def test_keyGroupsRooms(self) -> None:
        """
        Rooms are told apart by the key the front end gives (its normal
        form of the name); a notice shows the name first missed.
        """
        backlog = Backlog(0, notice)
        backlog.hold([b"x", b"y"], [("#a", "#Dev", 2), ("#a", "#DEV", 3)])
        self.assertEqual(backlog.release(), b"<missed #Dev 2-3>")

    def test_givenListsUnchanged(self) -> None:
        """Falling behind filters copies: the lists held are left as given."""
        backlog = Backlog(15, notice)
        item, mark = room("#a", 1)
        items, marks = [item, b"keep"], [mark, None]
        backlog.hold(items, marks)
        backlog.hold([b"more"], [None])
        self.assertTrue(backlog.behind)
        self.assertEqual((items, marks), ([item, b"keep"], [mark, None]))

    def test_releaseStartsAfresh(self) -> None:
        """After a release nothing is held, behind or missed."""
        backlog = Backlog(5, notice)
        item, mark = room("#a", 1)
        backlog.hold([item], [mark])
        backlog.release()
        self.assertEqual((backlog.size, backlog.behind), (0, False))
        self.assertEqual(backlog.release(), b"")

    def test_beyondSaving(self) -> None:
        """Behind, and what must be kept passes the cap: beyond saving."""
        backlog = Backlog(25, notice)
        item, mark = room("#a", 1, 30)
        self.assertTrue(backlog.hold([item], [mark]))
        self.assertTrue(backlog.hold([b"k" * 25], [None]))
        self.assertFalse(backlog.hold([b"k"], [None]))

    def test_batchesCarryMarks(self) -> None:
        """
        The batcher keeps each line's mark beside it, in a batch shared by
        every connection it goes to.
        """

        class Connection:
            def __init__(self) -> None:
                self.pending: list[Batch] = []

            def writePending(self) -> None:
                pass

        connections = [Connection(), Connection()]
        batcher = Batcher(Clock())
        mark: RoomMark = ("#a", "#a", 1)
        batcher.queue(b"one", connections, mark)  # type: ignore[arg-type]
        batcher.queue(b"two", connections)  # type: ignore[arg-type]
        (batch,) = connections[0].pending
        self.assertIs(connections[1].pending[0], batch)
        self.assertEqual((batch.lines, batch.marks), ([b"one", b"two"], [mark, None]))


def lineOf(event: Event) -> tuple[bytes, RoomMark | None]:
    """The line the line protocol queues for C{event}, and its mark."""
    return wire.formatEvent(event), roomMarkOf(event)


def message(room: str, sequence: int, text: str = "x" * 50) -> bytes:
    return wire.formatEvent(RoomMessage(room, sequence, 0, "bob", text))


JOIN = wire.formatEvent(Joined("#dev", "carol", 0))
PRIVATE = wire.formatEvent(PrivateMessage("bob", "alice", 0, "psst"))


class LineBacklog:
    """A L{Backlog} fed as the line protocol feeds it: events, marked."""

    def __init__(self, cap: int) -> None:
        self.queue = Backlog(cap, gapLine)

    def hold(self, lines: list[bytes]) -> bool:
        return self.queue.hold(
            lines, [roomMarkOf(wire.parseEvent(line[:-2])) for line in lines]
        )


class BacklogTests(SynchronousTestCase):
    """The line protocol's send queue: room messages out, C{GAP} lines in."""

    def test_heldWholeUnderTheCap(self) -> None:
        """Under the cap everything is held and given back in order."""
        backlog = LineBacklog(10_000)
        lines = [message("#dev", 1), JOIN, message("#dev", 2)]
        self.assertTrue(backlog.hold(lines[:2]))
        self.assertTrue(backlog.hold(lines[2:]))
        self.assertFalse(backlog.queue.behind)
        self.assertEqual(backlog.queue.release(), b"".join(lines))
        self.assertEqual(backlog.queue.size, 0)

    def test_behindLeavesOutRoomMessages(self) -> None:
        """
        Past the cap, room messages are left out, everything else kept, and
        a GAP per room is given at the end.
        """
        backlog = LineBacklog(500)
        for sequence in range(1, 11):
            self.assertTrue(backlog.hold([message("#dev", sequence)]))
            self.assertTrue(backlog.hold([message("#Ops", 100 + sequence)]))
        backlog.hold([JOIN, PRIVATE])
        self.assertTrue(backlog.queue.behind)
        self.assertEqual(
            backlog.queue.release(),
            JOIN + PRIVATE + b"GAP #dev 1 10\r\nGAP #Ops 101 110\r\n",
        )
        self.assertFalse(backlog.queue.behind)

    def test_historyLeftOutToo(self) -> None:
        """Replayed messages and actions are room traffic as well."""
        backlog = LineBacklog(10)
        replayed = RoomMessage("#dev", 3, 0, "bob", "old", history=True)
        action = RoomMessage("#dev", 5, 0, "bob", "waves", action=True)
        backlog.hold(
            [wire.formatEvent(replayed), wire.formatEvent(action), message("#dev", 9)]
        )
        self.assertEqual(backlog.queue.release(), b"GAP #dev 3 9\r\n")

    def test_roomsComparedFolded(self) -> None:
        """A room named in two cases is one room, with one GAP."""
        backlog = LineBacklog(0)
        backlog.hold([message("#Dev", 4), message("#dev", 6)])
        self.assertEqual(backlog.queue.release(), b"GAP #Dev 4 6\r\n")

    def test_onlyRoomMessagesMarked(self) -> None:
        """Joins and private messages are never marked: always kept."""
        self.assertEqual(lineOf(Joined("#dev", "carol", 0))[1], None)
        self.assertEqual(lineOf(PrivateMessage("bob", "alice", 0, "x"))[1], None)
        self.assertEqual(
            lineOf(RoomMessage("#Dev", 7, 0, "bob", "x"))[1], ("#dev", "#Dev", 7)
        )

    def test_beyondSaving(self) -> None:
        """Behind, and the lines that must be kept pass the cap: hopeless."""
        backlog = LineBacklog(200)
        self.assertTrue(backlog.hold([message("#dev", 1)] * 5))
        self.assertTrue(backlog.queue.behind)
        self.assertTrue(backlog.hold([PRIVATE] * 3))
        self.assertFalse(backlog.hold([PRIVATE] * 10))
