"""
Tests for L{twisted_chat.chat.whowas}: the bounded history of nicks left
behind, and the core feeding it.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.whowas import Departure, WhoWas
from twisted_chat.limits import WHOWAS_MAX

from ..helpers import connectMember, makeChat


class WhoWasTests(SynchronousTestCase):
    def test_bounded(self) -> None:
        """
        Past its maximum the history forgets the oldest departures first,
        so it never holds more than the maximum.
        """
        history = WhoWas(maximum=3)
        for number in range(5):
            history.record(Departure(f"guest{number % 2}", None, None, number))
        self.assertEqual(len(history), 3)
        self.assertEqual([d.time for d in history.lookup("guest0")], [4, 2])
        self.assertEqual([d.time for d in history.lookup("GUEST1")], [3])
        self.assertEqual(WhoWas()._departures.maxlen, WHOWAS_MAX)

    def test_count(self) -> None:
        """A count gives only that many of the newest."""
        history = WhoWas()
        for number in range(4):
            history.record(Departure("bob", None, None, number))
        self.assertEqual([d.time for d in history.lookup("bob", 2)], [3, 2])

    def test_fedByQuitAndRename(self) -> None:
        """The core records a nick when its member quits or changes it."""
        chat, _clock = makeChat()
        alice, _ = connectMember(chat, "alice")
        bob, _ = connectMember(chat, "bob")
        chat.changeNick(alice, "alicia")
        chat.quit(bob, "bye")
        self.assertEqual([d.nick for d in chat.whowas.lookup("alice")], ["alice"])
        self.assertEqual([d.nick for d in chat.whowas.lookup("bob")], ["bob"])
        self.assertEqual(chat.whowas.lookup("alicia"), [])
