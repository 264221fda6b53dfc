"""
Tests for L{twisted_chat.cluster.notice}: the bus's notices as they go
through Redis.
"""

import json

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.cluster.notice import (
    MalformedNotice,
    Notice,
    decodeNotice,
    encodeNotice,
)

notices = st.builds(
    Notice,
    node=st.text(max_size=20),
    room=st.text(max_size=40),
    sequence=st.integers(min_value=1, max_value=2**63),
    payload=st.none() | st.binary(max_size=200),
)


class NoticeTests(SynchronousTestCase):
    @given(notices)
    def test_roundTrip(self, notice: Notice) -> None:
        """Any notice decodes to itself, from bytes or from text."""
        encoded = encodeNotice(notice)
        self.assertEqual(decodeNotice(encoded), notice)
        self.assertEqual(decodeNotice(encoded.decode("ascii")), notice)

    def test_versioned(self) -> None:
        """A notice names its version, and a notice of another one is refused."""
        document = json.loads(encodeNotice(Notice("a", "#tea", 3, b"hi")))
        self.assertEqual(document["v"], 1)
        self.assertEqual(document["payload"], "aGk=")
        document["v"] = 2
        with self.assertRaises(MalformedNotice):
            decodeNotice(json.dumps(document))

    def test_malformed(self) -> None:
        """Whatever is not a notice is refused with L{MalformedNotice}."""
        good = {"v": 1, "node": "a", "room": "#r", "seq": 1, "payload": None}
        bad = [
            b"\xff",
            b"not json",
            b"[1]",
            json.dumps({**good, "node": 3}),
            json.dumps({**good, "room": None}),
            json.dumps({**good, "seq": 0}),
            json.dumps({**good, "seq": "1"}),
            json.dumps({**good, "seq": True}),
            json.dumps({**good, "payload": 5}),
            json.dumps({**good, "payload": "not base64!"}),
        ]
        for data in bad:
            with self.assertRaises(MalformedNotice, msg=repr(data)):
                decodeNotice(data)
        self.assertEqual(decodeNotice(json.dumps(good)), Notice("a", "#r", 1, None))
