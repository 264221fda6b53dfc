"""
Tests for L{twisted_chat.connection.batching}, directly: one write per
connection per reactor turn, batches shared by connections with the same
recipients, and sealed before anything is written.  (That the writes are
spread over turns is tested through the line front end, in
L{tests.frontends.test_lineserver}.)
"""

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.connection.batching import Batch, Batcher


class Connection:
    """A queued connection that records each write."""

    def __init__(self) -> None:
        self.pending: list[Batch] = []
        self.writes: list[bytes] = []

    def writePending(self) -> None:
        if self.pending:
            self.writes.append(b"".join(batch.data() for batch in self.pending))
            self.pending.clear()


class BatcherTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.batcher = Batcher(self.clock)

    def test_oneWritePerTurn(self) -> None:
        """Many lines in one turn reach each connection in one write, in order."""
        room = [Connection(), Connection()]
        for n in range(3):
            self.batcher.queue(b"line %d\r\n" % n, list(room))
        self.assertEqual([c.writes for c in room], [[], []])
        self.clock.advance(0)
        self.assertEqual(
            [c.writes for c in room], [[b"line 0\r\nline 1\r\nline 2\r\n"]] * 2
        )

    def test_sharedBatch(self) -> None:
        """
        Lines for the very same recipients list go into one batch that all
        of them share, with their marks beside them.
        """
        room = [Connection(), Connection()]
        self.batcher.queue(b"a\r\n", room, ("#x", "#x", 1))
        self.batcher.queue(b"b\r\n", room)
        (batch,) = room[0].pending
        self.assertIs(room[1].pending[0], batch)
        self.assertEqual(
            (batch.lines, batch.marks), ([b"a\r\n", b"b\r\n"], [("#x", "#x", 1), None])
        )

    def test_sealedBeforeAWrite(self) -> None:
        """
        A connection written to at once (a goodbye) seals the batch it
        shares, so a later line is not written twice to it.
        """
        alice, bob = Connection(), Connection()
        room = [alice, bob]
        self.batcher.queue(b"a\r\n", room)
        self.batcher.writeNow(alice)
        self.batcher.queue(b"b\r\n", room)
        self.clock.advance(0)
        self.assertEqual(alice.writes, [b"a\r\n", b"b\r\n"])
        self.assertEqual(bob.writes, [b"a\r\nb\r\n"])
