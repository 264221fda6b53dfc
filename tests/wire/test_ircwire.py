"""
Tests for L{twisted_chat.wire.irc}: IRC lines in and out, as pure functions.
"""

import contextlib

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.wire.irc import (
    MAX_MESSAGE_BYTES,
    IRCMessage,
    MalformedMessage,
    MessageTooLong,
    escapeTagValue,
    formatMessage,
    parseMessage,
    parseTags,
    relayedClientTags,
    splitText,
    unescapeTagValue,
)

WORD = st.text(
    st.characters(blacklist_categories=["Cs", "Cc", "Zs"], blacklist_characters=":"),
    min_size=1,
    max_size=12,
)
TRAILING = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\0"),
    max_size=40,
)
TAG_KEY = st.from_regex(r"\A\+?[a-z][a-z0-9-]{0,10}\Z")
MESSAGES = st.builds(
    lambda tags, source, command, middle, trailing: IRCMessage(
        command, (*middle, *trailing), source, tuple(tags)
    ),
    st.lists(st.tuples(TAG_KEY, TRAILING), max_size=3, unique_by=lambda t: t[0]),
    st.one_of(st.none(), st.from_regex(r"\A[a-z]{1,9}![a-z]{1,9}@[a-z.]{1,20}\Z")),
    st.one_of(st.from_regex(r"\A[A-Z]{3,10}\Z"), st.from_regex(r"\A[0-9]{3}\Z")),
    st.lists(WORD, max_size=4),
    st.lists(TRAILING, max_size=1),
)


class ParseTests(SynchronousTestCase):
    def test_examples(self) -> None:
        """The forms clients send, and the forms servers send."""
        cases = {
            b"NICK alice": IRCMessage("NICK", ("alice",)),
            b"user a 0 * :Alice Example": IRCMessage(
                "USER", ("a", "0", "*", "Alice Example")
            ),
            b"PRIVMSG #dev :hello: there": IRCMessage(
                "PRIVMSG", ("#dev", "hello: there")
            ),
            b"PRIVMSG #dev ::-)": IRCMessage("PRIVMSG", ("#dev", ":-)")),
            b"JOIN #a,#b": IRCMessage("JOIN", ("#a,#b",)),
            b"PING :": IRCMessage("PING", ("",)),
            b":alice!a@host QUIT :bye": IRCMessage("QUIT", ("bye",), "alice!a@host"),
            b"@time=2026-11-25T18:20:03.456Z;+draft/x=a\\sb\\:c :srv 001 alice :Hi": (
                IRCMessage(
                    "001",
                    ("alice", "Hi"),
                    "srv",
                    (("time", "2026-11-25T18:20:03.456Z"), ("+draft/x", "a b;c")),
                )
            ),
            b"CAP  LS   302": IRCMessage("CAP", ("LS", "302")),
        }
        for line, message in cases.items():
            self.assertEqual(parseMessage(line), message, line)

    def test_fifteenParams(self) -> None:
        """The fifteenth parameter takes the rest of the line."""
        message = parseMessage(b"X " + b" ".join(b"p%d" % n for n in range(17)))
        self.assertEqual(len(message.params), 15)
        self.assertEqual(message.params[-1], "p14 p15 p16")

    def test_malformed(self) -> None:
        for line in [b"", b"   ", b":src", b": NICK a", b"12 x", b"A\0B",
                     b"PRIVMSG #a :x\rQUIT", b"@a=b", b"1234 x", b"N1CK a"]:  # fmt: skip
            self.assertRaises(MalformedMessage, parseMessage, line)

    def test_bounds(self) -> None:
        """512 bytes for the message, CRLF counted; tags bounded apart."""
        longest = b"PRIVMSG #a :" + b"x" * (MAX_MESSAGE_BYTES - 2 - 12)
        self.assertEqual(len(parseMessage(longest).params[1]), 498)
        self.assertRaises(MalformedMessage, parseMessage, longest + b"x")
        tags = b"@" + b"a=" + b"x" * 8000 + b" "
        self.assertEqual(parseMessage(tags + longest).command, "PRIVMSG")
        self.assertRaises(MalformedMessage, parseMessage, tags + b"x" * 200 + longest)

    def test_notUtf8(self) -> None:
        """Text in another encoding arrives with replacement characters."""
        message = parseMessage(b"PRIVMSG #a :caf\xe9")
        self.assertEqual(message.params[1], "caf\ufffd")

    @given(st.binary(max_size=600))
    def test_anyBytes(self, line: bytes) -> None:
        """Whatever a client sends, the parser answers or refuses; no other error."""
        # (contextlib's, by its full name: trial reads a module's "suppress".)
        with contextlib.suppress(MalformedMessage):
            parseMessage(line)


class FormatTests(SynchronousTestCase):
    def test_examples(self) -> None:
        cases = [
            (IRCMessage("PRIVMSG", ("#dev", "hi there"), "a!a@h"),
             b":a!a@h PRIVMSG #dev :hi there\r\n"),
            (IRCMessage("PRIVMSG", ("#dev", "hi")), b"PRIVMSG #dev hi\r\n"),
            (IRCMessage("PRIVMSG", ("#dev", ":)")), b"PRIVMSG #dev ::)\r\n"),
            (IRCMessage("PRIVMSG", ("#dev", "")), b"PRIVMSG #dev :\r\n"),
            (IRCMessage("001", ("bob", "Welcome"), "srv", (("time", "T"),)),
             b"@time=T :srv 001 bob Welcome\r\n"),
            (IRCMessage("TAGMSG", ("#a",), None, (("+typing", ""), ("x", "a b;"))),
             b"@+typing;x=a\\sb\\: TAGMSG #a\r\n"),
        ]  # fmt: skip
        for message, line in cases:
            self.assertEqual(formatMessage(message), line)

    def test_refused(self) -> None:
        """What cannot be sent as given is refused, never sent mangled."""
        for message in [
            IRCMessage("PRIVMSG", ("#a", "x\r\nQUIT")),
            IRCMessage("MODE", ("a b", "x")),
            IRCMessage("MODE", ("", "x")),
            IRCMessage("PRIVMSG", ("#a", "x" * 600)),
        ]:
            self.assertRaises(ValueError, formatMessage, message)

    @given(MESSAGES)
    def test_roundTrip(self, message: IRCMessage) -> None:
        """What is written is read back as the same message."""
        try:
            line = formatMessage(message)
        except ValueError:
            return
        self.assertEqual(parseMessage(line.removesuffix(b"\r\n")), message)

    @given(TRAILING)
    def test_tagEscaping(self, value: str) -> None:
        self.assertEqual(unescapeTagValue(escapeTagValue(value)), value)
        self.assertNotIn(" ", escapeTagValue(value))
        self.assertNotIn(";", escapeTagValue(value))


class SplitTextTests(SynchronousTestCase):
    def test_short(self) -> None:
        self.assertEqual(splitText("hello", 400), ["hello"])

    def test_atSpaces(self) -> None:
        self.assertEqual(splitText("aaa bbb ccc", 7), ["aaa bbb", "ccc"])

    @given(TRAILING.filter(bool), st.integers(4, 60))
    def test_piecesFitAndJoinBack(self, text: str, room: int) -> None:
        """Every piece fits, none splits a character, and nothing is lost."""
        pieces = splitText(text, room)
        for piece in pieces:
            self.assertLessEqual(len(piece.encode("utf-8")), room)
        self.assertEqual("".join(pieces).replace(" ", ""), text.replace(" ", ""))


class TagPropertyTests(SynchronousTestCase):
    """The tag escaper and parser, for any values."""

    @given(st.text())
    def test_escapeRoundTrip(self, value: str) -> None:
        """Unescaping an escaped value gives it back."""
        self.assertEqual(unescapeTagValue(escapeTagValue(value)), value)

    @given(st.text())
    def test_escapedIsWireSafe(self, value: str) -> None:
        """An escaped value holds no space, semicolon, CR or LF."""
        escaped = escapeTagValue(value)
        for character in " ;\r\n":
            self.assertNotIn(character, escaped)

    @given(
        st.dictionaries(
            st.from_regex(r"\A\+?[a-z][a-z0-9/.-]{0,20}\Z"),
            st.text(
                alphabet=st.characters(
                    blacklist_characters="\0", blacklist_categories=["Cs"]
                ),
                max_size=40,
            ),
            max_size=6,
        )
    )
    def test_messageRoundTrip(self, tags: dict[str, str]) -> None:
        """A message's tags read back as they were written."""
        message = IRCMessage("TAGMSG", ("#x",), "a!a@chat", tuple(tags.items()))
        line = formatMessage(message)
        self.assertEqual(parseMessage(line[:-2]).tags, message.tags)

    @given(st.text(max_size=300))
    def test_anySection(self, section: str) -> None:
        """Any tag section parses or is refused as malformed."""
        with contextlib.suppress(MalformedMessage):
            parseTags(section)

    def test_lastValueWins(self) -> None:
        """A tag given twice has its last value, once."""
        self.assertEqual(parseTags("a=1;b;a=2"), (("b", ""), ("a", "2")))

    def test_relayedClientTags(self) -> None:
        """Only the listed client tags are relayed; too many bytes are refused."""
        tags = (("+typing", "active"), ("+x", "1"), ("msgid", "forged"))
        self.assertEqual(relayedClientTags(tags), (("+typing", "active"),))
        self.assertRaises(MessageTooLong, relayedClientTags, (("+typing", "a" * 5000),))

    def test_relayedTagsHoldNoControls(self) -> None:
        """
        A client tag whose value holds a control character is not passed
        on: it would reach line-protocol users at a bare terminal.
        """
        tags = (("+typing", "\x1b[2J"), ("+draft/react", "\U0001f44d"))
        self.assertEqual(relayedClientTags(tags), (("+draft/react", "\U0001f44d"),))
