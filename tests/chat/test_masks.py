"""
Tests for L{twisted_chat.chat.masks}: reading ban masks and matching them.
"""

import contextlib

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import BadMask
from twisted_chat.chat.masks import parseMask
from twisted_chat.chat.model import Member

from ..helpers import RecordingParticipant


def member(nick: str, address: str = "10.0.0.1", account: str | None = None) -> Member:
    person = Member(nick, RecordingParticipant(), False, address)
    person.account = account
    return person


class ParseTests(SynchronousTestCase):
    def test_canonicalTexts(self) -> None:
        """Every form has one canonical text, folded as nicks are."""
        for given_, canonical in [
            ("Troll*", "troll*!*@*"),
            ("troll!~u@10.0.*", "troll!*@10.0.*"),
            ("troll!~u@2001:DB8::*", "troll!*@2001:db8::*"),
            ("*!*@10.1.2.3", "*!*@10.1.2.3/32"),
            ("10.0.0.0/8", "*!*@10.0.0.0/8"),
            ("10.1.2.3/8", "*!*@10.0.0.0/8"),
            ("2001:DB8::/32", "*!*@2001:db8::/32"),
            ("account:Alice", "account:alice"),
            ("ACCOUNT:bob", "account:bob"),
            ("nick@10.0.0.0/24", "nick!*@10.0.0.0/24"),
        ]:
            self.assertEqual(parseMask(given_).text, canonical, given_)

    def test_refused(self) -> None:
        """Masks that name nothing sensible are refused, saying what is."""
        for bad in [
            "",
            "   ",
            "account:",
            "a" * 101,
            "bad mask",
            "x\x01y",
            "é",
            "a!b c@d",
            "a!b!c",
            "a@b@c",
            "*!*@chat",
            "bob!*@*.example.org",
        ]:
            error = self.assertRaises(BadMask, parseMask, bad)
            self.assertIn("account:NAME", error.message)


class MatchTests(SynchronousTestCase):
    def test_nickPatterns(self) -> None:
        mask = parseMask("tr?ll*")
        self.assertTrue(mask.matches(member("TROLL99")))
        self.assertTrue(mask.matches(member("trill")))
        self.assertFalse(mask.matches(member("atroll")))

    def test_specialCharactersAreLiteral(self) -> None:
        """Nicks may hold [ ] \\ ^: in a mask they are themselves."""
        mask = parseMask("[a]")
        self.assertTrue(mask.matches(member("[a]")))
        self.assertFalse(mask.matches(member("a")))

    def test_casemapping(self) -> None:
        """Nicks fold as IRC's ascii casemapping does, in masks too."""
        self.assertTrue(parseMask("ALICE").matches(member("alice")))

    def test_ranges(self) -> None:
        """CIDR ranges match IPv4, IPv6 and IPv4-mapped IPv6 addresses."""
        four = parseMask("192.168.0.0/16")
        self.assertTrue(four.matches(member("x", "192.168.44.1")))
        self.assertTrue(four.matches(member("x", "::ffff:192.168.1.1")))
        self.assertFalse(four.matches(member("x", "192.169.0.1")))
        self.assertFalse(four.matches(member("x", "")))
        six = parseMask("2001:db8::/32")
        self.assertTrue(six.matches(member("x", "2001:db8::1")))
        self.assertFalse(six.matches(member("x", "10.0.0.1")))

    def test_nickAndRange(self) -> None:
        mask = parseMask("bob!*@10.0.0.0/8")
        self.assertTrue(mask.matches(member("bob", "10.9.9.9")))
        self.assertFalse(mask.matches(member("bob", "11.0.0.1")))
        self.assertFalse(mask.matches(member("carol", "10.9.9.9")))

    def test_hostPattern(self) -> None:
        """An address pattern that is no range is matched as text."""
        mask = parseMask("*!*@10.0.*")
        self.assertTrue(mask.matches(member("x", "10.0.3.4")))
        self.assertFalse(mask.matches(member("x", "10.1.3.4")))

    def test_accounts(self) -> None:
        """An account mask names only those logged in to it."""
        mask = parseMask("account:al*")
        self.assertTrue(mask.matches(member("anyone", account="alice")))
        self.assertFalse(mask.matches(member("alice")))


masks = st.text(alphabet=st.sampled_from("abcXYZ019*?!@.:/[]\\^-_ \x00é"), max_size=30)


class PropertyTests(SynchronousTestCase):
    @given(masks)
    def test_parsedOrRefused(self, text: str) -> None:
        """Any text is a mask or a BadMask, never another error."""
        with contextlib.suppress(BadMask):
            parseMask(text)

    @given(masks)
    def test_canonicalIsStable(self, text: str) -> None:
        """A mask's canonical text reads back as itself."""
        try:
            mask = parseMask(text)
        except BadMask:
            return
        self.assertEqual(parseMask(mask.text).text, mask.text)

    @given(st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True))
    def test_nickMatchesItself(self, nick: str) -> None:
        """A nick, as a mask, names the member of that nick, whatever case."""
        self.assertTrue(parseMask(nick.upper()).matches(member(nick)))
