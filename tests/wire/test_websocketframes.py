"""
Tests of L{twisted_chat.wire.websocketframes}: lines as the server's
WebSocket frames, read back as RFC 6455 has a client read them.
"""

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.wire.websocketframes import (
    BINARY,
    CACHED_BYTES,
    CACHED_ENTRIES,
    TEXT,
    FrameCache,
    frame,
    frameLines,
)

from ..webclient import serverFrames

lines = st.lists(
    st.binary(max_size=70_000).filter(lambda line: b"\r\n" not in line), max_size=5
)


class FrameTests(SynchronousTestCase):
    def test_lengths(self) -> None:
        """Each of the three length encodings, at its edges."""
        for size, header in [
            (0, b"\x81\x00"),
            (125, b"\x81\x7d"),
            (126, b"\x81\x7e\x00\x7e"),
            (65535, b"\x81\x7e\xff\xff"),
            (65536, b"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
        ]:
            with self.subTest(size=size):
                self.assertEqual(frame(b"x" * size), header + b"x" * size)

    @given(lines, st.sampled_from([TEXT, BINARY]), st.binary(max_size=10))
    def test_linesReadBack(self, given: list[bytes], opcode: int, rest: bytes) -> None:
        """Every whole line is one frame, in order; the rest is handed back."""
        rest = rest.replace(b"\r\n", b"")
        if rest.endswith(b"\r"):
            rest = rest[:-1]
        data = b"".join(line + b"\r\n" for line in given) + rest
        framed, left = frameLines(data, opcode)
        self.assertEqual(serverFrames(framed), [(opcode, line) for line in given])
        self.assertEqual(left, rest)

    def test_cacheReusesTheSameBytes(self) -> None:
        """Bytes framed lately, in whatever object, are not framed again."""
        cache = FrameCache()
        first = cache.frameLines(b"one\r\ntwo\r\n")
        again = cache.frameLines(b"".join([b"one\r\n", b"two\r\n"]))
        self.assertIs(again[0], first[0])
        other = cache.frameLines(b"three\r\n")
        self.assertEqual(serverFrames(other[0]), [(TEXT, b"three")])
        self.assertIs(cache.frameLines(b"one\r\ntwo\r\n")[0], first[0])

    def test_cacheBounded(self) -> None:
        """
        The cache keeps at most CACHED_ENTRIES writes, none over
        CACHED_BYTES: a burst of distinct writes cannot grow it.
        """
        cache = FrameCache()
        for n in range(CACHED_ENTRIES * 3):
            cache.frameLines(b"%d\r\n" % n)
        self.assertLessEqual(len(cache._frames), CACHED_ENTRIES)
        big = b"x" * CACHED_BYTES + b"\r\n"
        cache.frameLines(big)
        self.assertNotIn(big, cache._frames)
