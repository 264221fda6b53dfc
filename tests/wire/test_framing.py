"""
Tests for L{twisted_chat.wire.framing.LineFramer}: what a line is, and its bound.
"""

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.wire.framing import LineFramer


class LineFramerTests(SynchronousTestCase):
    def test_lfAndCrlf(self) -> None:
        """Lines end with LF or CRLF; the ending is not part of the line."""
        framer = LineFramer(100)
        self.assertEqual(framer.feed(b"one\ntwo\r\nthree"), [b"one", b"two"])
        self.assertEqual(framer.feed(b"\r\n"), [b"three"])

    def test_emptyLines(self) -> None:
        """Empty lines are lines; deciding to ignore them is not framing's job."""
        self.assertEqual(LineFramer(10).feed(b"\n\r\n"), [b"", b""])

    def test_splitAnywhere(self) -> None:
        """A line split over many reads is put back together."""
        framer = LineFramer(100)
        lines: list[bytes | None] = []
        for byte in b"hello world\r\n":
            lines.extend(framer.feed(bytes([byte])))
        self.assertEqual(lines, [b"hello world"])

    def test_exactlyTheLimit(self) -> None:
        """A line of exactly maxLength bytes passes, with LF or CRLF."""
        framer = LineFramer(5)
        self.assertEqual(framer.feed(b"12345\n12345\r\n"), [b"12345", b"12345"])
        self.assertEqual(framer.feed(b"12345\r"), [])
        self.assertEqual(framer.feed(b"\n"), [b"12345"])

    def test_overLongLineInOneRead(self) -> None:
        """A long complete line is replaced by None; the next line is kept."""
        framer = LineFramer(5)
        self.assertEqual(framer.feed(b"123456\nok\n"), [None, b"ok"])

    def test_overLongLineAcrossReads(self) -> None:
        """
        A line is reported too long as soon as it is, once, and its bytes up
        to the next newline are thrown away.
        """
        framer = LineFramer(5)
        self.assertEqual(framer.feed(b"1234"), [])
        self.assertEqual(framer.feed(b"5678"), [None])
        self.assertEqual(framer.feed(b"9" * 1000), [])
        self.assertEqual(framer.feed(b"99\nnext\n"), [b"next"])

    def test_memoryIsBounded(self) -> None:
        """A stream with no newline never holds more than maxLength + 1 bytes."""
        framer = LineFramer(64)
        for _ in range(10_000):
            framer.feed(b"x" * 7)
            self.assertLessEqual(framer.pendingLength, 65)

    @given(
        lines=st.lists(st.binary(max_size=20).map(lambda b: b.replace(b"\n", b""))),
        cuts=st.lists(st.integers(min_value=0, max_value=400)),
    )
    def test_readBoundariesDoNotMatter(
        self, lines: list[bytes], cuts: list[int]
    ) -> None:
        """However the stream is cut into reads, the same lines come out."""
        stream = b"".join(line + b"\n" for line in lines)
        framer = LineFramer(16)
        received: list[bytes | None] = []
        start = 0
        for cut in [*sorted(cuts), len(stream)]:
            received.extend(framer.feed(stream[start:cut]))
            start = max(start, cut)
        expected = [(line[:-1] if line.endswith(b"\r") else line) for line in lines]
        self.assertEqual(
            received, [line if len(line) <= 16 else None for line in expected]
        )
