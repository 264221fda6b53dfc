"""
Tests for L{twisted_chat.chat.textrules}: which characters chat text may hold,
and that the rule holds from both listeners, for every kind of text.
"""

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import ForbiddenCharacter
from twisted_chat.chat.events import RoomMessage, TopicInfo
from twisted_chat.chat.textrules import (
    ALLOWED_CONTROLS,
    REPLACEMENT,
    checkText,
    cleanText,
    describe,
    forbiddenCharacter,
)
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.limits import UNLIMITED
from twisted_chat.store import StoredRoom, StoredState
from twisted_chat.store.memory import MemoryStore

from ..clients import Client as LineClient
from ..clients import IRCClient, IRCTestCase, LineServerTestCase
from ..helpers import connectMember, makeChat

ATTACKS = {
    "\x1b[2J": "ESC (U+001B)",
    "title \x1b]0;owned\x07": "ESC (U+001B)",
    "ring \x07": "BEL (U+0007)",
    "csi \x9b2J": "CSI (U+009B)",
    "c1 \x85 inside": "U+0085",
    "del \x7f": "DEL (U+007F)",
    "\x01VERSION\x01": "the CTCP marker (U+0001)",
    "\x01DCC SEND x 2130706433 6000 10\x01": "the CTCP marker (U+0001)",
    "back\x08space": "backspace (U+0008)",
}
"""Text a terminal or an IRC client would act on, and how it is named."""

KEPT = [
    "plain words, ünïcödé and 漢字",
    "a\ttab",
    "\x02bold\x02 \x0304red\x03 \x1ditalic\x1d \x1funder\x1f \x0freset",
    "right-to-left \u202eoverride\u202c and \u2067isolate\u2069",
]
"""Text that is kept as it is."""


class RuleTests(SynchronousTestCase):
    def test_attacksRefusedByName(self) -> None:
        """Each terminal or CTCP control is refused, named as a person can find it."""
        for text, name in ATTACKS.items():
            error = self.assertRaises(ForbiddenCharacter, checkText, text)
            self.assertIn(name, error.message)
            self.assertEqual(error.code, "control-character")

    def test_keptAsItIs(self) -> None:
        """Tabs, IRC formatting and bidirectional controls are text."""
        for text in KEPT:
            self.assertEqual(checkText(text), text)
            self.assertEqual(cleanText(text), text)

    def test_describe(self) -> None:
        self.assertEqual(describe("\x1b"), "ESC (U+001B)")
        self.assertEqual(describe("\x90"), "U+0090")

    @given(st.text())
    def test_cleanIsAllowed(self, text: str) -> None:
        """Cleaned text is always allowed, and the same length."""
        cleaned = cleanText(text)
        self.assertIsNone(forbiddenCharacter(cleaned))
        self.assertEqual(checkText(cleaned), cleaned)
        self.assertEqual(len(cleaned), len(text))

    @given(st.text())
    def test_refusedIffForbidden(self, text: str) -> None:
        """Text is refused exactly when it holds a control not allowed."""
        forbidden = any(
            (ord(c) < 0x20 and c not in ALLOWED_CONTROLS) or 0x7F <= ord(c) <= 0x9F
            for c in text
        )
        if forbidden:
            self.assertRaises(ForbiddenCharacter, checkText, text)
            self.assertIn(REPLACEMENT, cleanText(text))
        else:
            self.assertEqual(checkText(text), text)


class LineProtocolTests(LineServerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.factory = LineChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )

    def test_messagesRefused(self) -> None:
        """
        A message, action, private message or topic with a control is
        refused with an error naming it; nobody else gets anything.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.send(b"/join #dev\n")
        bob.send(b"/join #dev\n")
        alice.lines()
        bob.lines()
        for text, name in ATTACKS.items():
            # alice made #dev, so she may set its topic.
            for command in ["", "/me ", "/msg bob ", "/topic #dev "]:
                alice.send(command.encode() + text.encode() + b"\n")
                (line,) = alice.lines()
                self.assertTrue(line.startswith("ERROR control-character :"), line)
                self.assertIn(name, line)
        self.assertEqual(bob.lines(), [])

    def test_keptTextPasses(self) -> None:
        """Text that is allowed reaches the others unchanged."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        for text in KEPT:
            alice.send(text.encode() + b"\n")
            self.assertTrue(bob.lines()[-1].endswith(":" + text))

    def test_reasonsCleaned(self) -> None:
        """Leaving never fails for its reason: the reason is cleaned instead."""
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.send(b"/join #a\n")
        bob.send(b"/join #a\n")
        bob.lines()
        alice.send(b"/part #a bye \x1b[2J\n")
        self.assertTrue(bob.lines()[-1].endswith(f":bye {REPLACEMENT}[2J"))
        alice.send(b"/quit off \x07\n")
        self.assertTrue(bob.lines()[-1].endswith(f":off {REPLACEMENT}"))


class IRCTests(IRCTestCase):
    def bothIn(self, room: str, nick: str) -> tuple[IRCClient, LineClient]:
        """An IRC user called C{nick} and a line user, both in C{room}."""
        irc = self.register(nick)
        line = self.lineMember("line")
        irc.send(f"JOIN {room}")
        line.send(f"/join {room}\n".encode())
        irc.messages()
        line.lines()
        return irc, line

    def test_privmsgRefused(self) -> None:
        """
        An IRC message with a control is refused with one NOTICE naming it,
        whatever the number of recipients; a CTCP request other than ACTION
        is not passed on at all.
        """
        alice, line = self.bothIn("#a", "alice")
        alice.send("PRIVMSG #a,line :look \x1b[2J", "PRIVMSG #a :\x01VERSION\x01")
        messages = alice.messages()
        self.assertEqual([m.command for m in messages], ["NOTICE"])
        self.assertIn("ESC (U+001B)", messages[0].params[-1])
        self.assertEqual(line.lines(), [])

    def test_lineTextNeverCTCP(self) -> None:
        """
        A line user's text cannot become a CTCP request for IRC users: it is
        refused, and only an ACTION made from /me reaches them as CTCP.
        """
        bob, line = self.bothIn("#a", "bob")
        line.send(b"\x01VERSION\x01\n/msg bob \x01DCC SEND x 1 2 3\x01\n/me waves\n")
        said = [m for m in bob.messages() if m.command == "PRIVMSG"]
        self.assertEqual([m.params[-1] for m in said], ["\x01ACTION waves\x01"])

    def test_awayAndTopicRefused(self) -> None:
        """An away message or a topic with a control is refused."""
        alice = self.register("alice")
        alice.send("JOIN #a")
        alice.messages()
        alice.send("AWAY :gone\x07", "TOPIC #a :\x1b]0;title\x07")
        messages = alice.messages()
        self.assertEqual([m.command for m in messages], ["NOTICE", "NOTICE"])
        self.assertIsNone(self.chat.memberNamed("alice").away)
        self.assertEqual(self.chat.topicOf("#a").text, "")

    def test_quitReasonCleaned(self) -> None:
        """An IRC user's quit reason reaches line users cleaned."""
        alice = self.register("alice")
        line = self.lineMember("line")
        alice.send("JOIN #lobby")
        line.lines()
        alice.send("QUIT :bye \x1b[2J")
        self.assertTrue(line.lines()[-1].endswith(f":bye {REPLACEMENT}[2J"))


class StoredBeforeTheRule(MemoryStore):
    """A store holding a message and a topic from before the rule."""

    def load(self) -> StoredState:
        topic = TopicInfo("#lobby", "mallory", 0, "\x1b]0;title\x07")
        return StoredState(rooms=[StoredRoom("#lobby", 1, topic)])


class StoredTextTests(SynchronousTestCase):
    def test_oldHistoryCleaned(self) -> None:
        """
        Messages and topics stored before the rule come out cleaned: a join
        never hands a terminal an escape sequence.
        """
        store = StoredBeforeTheRule()
        old = RoomMessage("#lobby", 1, 0, "mallory", "\x1b[2Jgotcha")
        self.successResultOf(store.appendMessage(old))
        chat, _ = makeChat(store=store)
        member, recording = connectMember(chat, "alice")
        chat.join(member, "#lobby")
        replayed = [e.text for e in recording.events if isinstance(e, RoomMessage)]
        self.assertEqual(replayed, [f"{REPLACEMENT}[2Jgotcha"])
        self.assertEqual(
            chat.topicOf("#lobby").text, f"{REPLACEMENT}]0;title{REPLACEMENT}"
        )
