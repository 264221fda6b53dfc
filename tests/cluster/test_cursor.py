"""
Tests for L{twisted_chat.cluster.cursor}: what a node does with each notice
so that every event of a room is delivered once and in order, whatever
Redis loses, repeats or reorders.
"""

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.cluster.cursor import Deliver, Ignore, Read, RoomCursor


class RoomCursorTests(SynchronousTestCase):
    def test_next(self) -> None:
        """The next sequence with its event is delivered, and only once."""
        cursor = RoomCursor(4)
        self.assertEqual(cursor.offer(5, hasPayload=True), Deliver())
        self.assertEqual(cursor.delivered, 5)
        self.assertEqual(cursor.offer(5, hasPayload=True), Ignore())
        self.assertEqual(cursor.offer(3, hasPayload=True), Ignore())

    def test_jump(self) -> None:
        """A sequence beyond the next one asks for the range from the database."""
        cursor = RoomCursor(4)
        self.assertEqual(cursor.offer(7, hasPayload=True), Read(5, 7))
        self.assertTrue(cursor.reading)

    def test_withoutPayload(self) -> None:
        """The next sequence without its event is read from the database."""
        self.assertEqual(RoomCursor(4).offer(5, hasPayload=False), Read(5, 5))

    def test_duringRead(self) -> None:
        """
        Notices during a read wait for it; then the rest is read, not
        delivered out of order.
        """
        cursor = RoomCursor(0)
        self.assertEqual(cursor.offer(2, hasPayload=True), Read(1, 2))
        self.assertEqual(cursor.offer(2, hasPayload=True), Ignore())
        self.assertEqual(cursor.offer(3, hasPayload=True), Ignore())
        self.assertEqual(cursor.readFinished(2), Read(3, 3))
        self.assertIsNone(cursor.readFinished(3))
        self.assertEqual(cursor.offer(4, hasPayload=True), Deliver())

    def test_readFurther(self) -> None:
        """A read that found more than asked moves the cursor past all of it."""
        cursor = RoomCursor(0)
        cursor.offer(1, hasPayload=False)
        self.assertIsNone(cursor.readFinished(6))
        self.assertEqual(cursor.offer(5, hasPayload=True), Ignore())
        self.assertEqual(cursor.offer(7, hasPayload=True), Deliver())

    def test_readFailed(self) -> None:
        """After a failed read, the next notice asks for the whole range again."""
        cursor = RoomCursor(0)
        cursor.offer(3, hasPayload=True)
        cursor.readFailed()
        self.assertFalse(cursor.reading)
        self.assertEqual(cursor.offer(2, hasPayload=True), Read(1, 2))

    def test_catchUp(self) -> None:
        """Catching up to the database's last sequence reads what is missing."""
        cursor = RoomCursor(2)
        self.assertEqual(cursor.catchUp(2), Ignore())
        self.assertEqual(cursor.catchUp(9), Read(3, 9))


# A step of the world around one room's cursor: a notice arrives (sequence,
# with its event or not), the read in progress completes (finding up to some
# extra events the database has), or fails.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("notice"), st.integers(1, 30), st.booleans()),
        st.tuples(st.just("finish"), st.integers(0, 3), st.booleans()),
        st.tuples(st.just("fail"), st.just(0), st.booleans()),
    ),
    max_size=80,
)


class RoomCursorPropertyTests(SynchronousTestCase):
    @given(steps, st.integers(0, 30))
    def test_exactlyOnceInOrder(
        self, world: list[tuple[str, int, bool]], last: int
    ) -> None:
        """
        Whatever notices arrive (duplicated, reordered, missing) and however
        reads end, every sequence is delivered once, in order, and a final
        catch-up to the database's last sequence leaves nothing out.
        """
        committed = max([last] + [n for kind, n, _ in world if kind == "notice"])
        cursor = RoomCursor(0)
        delivered: list[int] = []
        pending: Read | None = None

        def deliver(sequence: int) -> None:
            self.assertEqual(sequence, len(delivered) + 1)
            delivered.append(sequence)

        def read(first: int, upTo: int) -> int:
            for sequence in range(first, upTo + 1):
                deliver(sequence)
            return upTo

        def act(action: object, sequence: int) -> Read | None:
            if isinstance(action, Deliver):
                deliver(sequence)
            elif isinstance(action, Read):
                self.assertIsNone(pending, "two reads at once")
                self.assertEqual(action.first, len(delivered) + 1)
                return action
            return pending

        for kind, number, flag in world:
            if kind == "notice":
                pending = act(cursor.offer(number, flag), number)
            elif kind == "finish" and pending is not None:
                upTo = min(committed, pending.last + number)
                pending = None
                pending = cursor.readFinished(read(len(delivered) + 1, upTo))
            elif kind == "fail" and pending is not None:
                pending = None
                cursor.readFailed()
        # Redis came back: the node catches up from the database, and lets
        # every read finish.
        pending = act(cursor.catchUp(committed), committed)
        while pending is not None:
            current, pending = pending, None
            pending = cursor.readFinished(read(current.first, current.last))
        self.assertEqual(delivered, list(range(1, committed + 1)))
        self.assertEqual(cursor.delivered, committed)
