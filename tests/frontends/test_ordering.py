"""
Replies never overtake a connection's earlier effects: a message waits for
its commit before it is delivered, and a later command's reply (a PONG, a
part, a query's answer, a notice) waits for it, over IRC and the line
protocol alike, while messages after messages still go to the store at once.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.connection.ordering import EffectOrder
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.limits import UNLIMITED

from ..clients import Client, IRCClient
from ..helpers import ManualStore, makeAccounts, makeChat


class OrderingTestCase(SynchronousTestCase):
    """alice and bob over IRC and carol over the line protocol in #r."""

    def setUp(self) -> None:
        self.store = ManualStore()
        self.chat, self.clock = makeChat(store=self.store)  # type: ignore[arg-type]
        accounts = makeAccounts(self.chat, self.clock)
        self.irc = IRCChatFactory(self.chat, accounts, self.clock, rules=UNLIMITED)
        self.lines = LineChatFactory(self.chat, accounts, self.clock, rules=UNLIMITED)
        self.alice = self.ircMember("alice")
        self.bob = self.ircMember("bob")
        self.carol = Client(self.lines, self.clock)
        self.carol.send(b"/nick carol\n/join #r\n")
        self.store.flush()
        for client in (self.alice, self.bob):
            client.messages()
        self.carol.lines()

    def ircMember(self, nick: str) -> IRCClient:
        client = IRCClient(self.irc, self.clock)
        client.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}", "JOIN #r")
        client.messages()
        return client


class IRCOrderTests(OrderingTestCase):
    def test_pongAfterTheMessage(self) -> None:
        """
        PRIVMSG then PING: the PONG comes once the others have the message,
        not while it waits for its commit.
        """
        self.alice.send("PRIVMSG #r :hi", "PING :x")
        self.assertEqual(self.alice.commands(), [])
        self.assertEqual(self.bob.commands(), [])
        self.store.flush()
        self.assertEqual(self.bob.commands(), ["PRIVMSG"])
        self.assertEqual(self.carol.lines()[-1].split()[0], "MSG")
        self.assertEqual(self.alice.commands(), ["PONG"])

    def test_partAfterTheMessage(self) -> None:
        """PRIVMSG then PART: the room hears the message, then the part."""
        self.alice.send("PRIVMSG #r :bye all", "PART #r")
        self.assertEqual(self.bob.commands(), [])
        self.store.flush()
        self.assertEqual(self.bob.commands(), ["PRIVMSG", "PART"])

    def test_noticeAfterTheMessage(self) -> None:
        """A NOTICE (not stored) does not overtake a PRIVMSG before it."""
        self.alice.send("PRIVMSG #r :first", "NOTICE #r :second")
        self.store.flush()
        said = [m.params[-1] for m in self.bob.messages()]
        self.assertEqual(said, ["first", "second"])

    def test_messagesStillPipeline(self) -> None:
        """Messages after messages go to the store at once, in one group."""
        self.alice.send("PRIVMSG #r :one", "PRIVMSG #r :two", "PRIVMSG #r :three")
        self.assertEqual(len(self.store.queue), 3)
        self.store.flush()
        self.assertEqual(
            [m.params[-1] for m in self.bob.messages()], ["one", "two", "three"]
        )

    def test_topicAfterTheMessage(self) -> None:
        """A TOPIC's answer comes after the message before it is delivered."""
        self.alice.send("PRIVMSG #r :hi", "TOPIC #r")
        self.assertEqual(self.alice.commands(), [])
        self.store.flush()
        self.assertEqual(self.alice.commands(), ["331"])
        self.assertEqual(self.bob.commands(), ["PRIVMSG"])

    def test_refusedMessageStillReleases(self) -> None:
        """A message the store could not keep is told, then the PONG comes."""
        self.store.failNext = True
        self.alice.send("PRIVMSG #r :lost", "PING :x")
        self.store.flush()
        self.assertEqual(self.alice.commands(), ["NOTICE", "PONG"])


class LineOrderTests(OrderingTestCase):
    def test_whoAfterTheMessage(self) -> None:
        """A line user's /who answer comes after its message is delivered."""
        self.carol.send(b"hello\n/who\n")
        self.assertEqual(self.carol.lines(), [])
        self.store.flush()
        kinds = [line.split()[0] for line in self.carol.lines()]
        self.assertEqual(kinds, ["MSG", "MEMBERS"])
        self.assertEqual(self.bob.commands(), ["PRIVMSG"])

    def test_partAfterTheMessage(self) -> None:
        self.carol.send(b"see you\n/part #r\n")
        self.store.flush()
        self.assertEqual(self.bob.commands(), ["PRIVMSG", "PART"])


class EffectOrderTests(SynchronousTestCase):
    def test_settled(self) -> None:
        """With nothing on its way, a command runs at once."""
        order = EffectOrder()
        ran: list[int] = []
        self.assertIsNone(order.after(lambda: ran.append(1)))  # type: ignore[func-returns-value]
        self.assertEqual(ran, [1])

    def test_waitsForTheLatest(self) -> None:
        """A command waits for the latest write, which the store ends last."""
        from twisted.internet.defer import Deferred

        order = EffectOrder()
        first: Deferred[None] = Deferred()
        second: Deferred[None] = Deferred()
        order.track(first)
        order.track(second)
        ran: list[int] = []
        waiting = order.after(lambda: ran.append(1))  # type: ignore[func-returns-value]
        assert waiting is not None
        first.callback(None)
        self.assertEqual(ran, [])
        second.callback(None)
        self.assertEqual(ran, [1])
        self.assertTrue(order.settled)
        self.assertTrue(waiting.called)
