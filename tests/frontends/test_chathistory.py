"""
IRCv3 C{draft/chathistory} over StringTransport: each subcommand's answer
in its batch, private conversations as the account logged in, TARGETS,
and a C{FAIL CHATHISTORY} for every bad request.
"""

import base64

from twisted.internet.defer import fail

from twisted_chat.frontends.irc.chathistory import CHATHISTORY_MAX
from twisted_chat.frontends.irc.render import serverTime
from twisted_chat.store import StoreError
from twisted_chat.wire.irc import IRCMessage

from ..clients import IRCClient, IRCTestCase

PASSWORD = "correct-horse-battery"
CAPS = ("draft/chathistory", "batch", "server-time", "message-tags")
START = 1_700_000_000_000
"""The test clock's start, in milliseconds."""


def tagsOf(message: IRCMessage) -> dict[str, str]:
    return dict(message.tags)


class ChatHistoryTestCase(IRCTestCase):
    def loggedIn(self, nick: str, *caps: str) -> IRCClient:
        """An IRC client logged in to C{nick}'s new account over SASL."""
        self.successResultOf(self.accounts.register(nick, PASSWORD))
        self.chat.registered(nick)
        client = IRCClient(self.factory, self.clock)
        payload = base64.b64encode(f"\0{nick}\0{PASSWORD}".encode()).decode()
        client.send("CAP LS 302", f"CAP REQ :{' '.join(('sasl', *caps))}")
        client.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        client.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {payload}", "CAP END")
        self.assertIn("903", client.commands())
        return client

    def roomWith(self, count: int, room: str = "#x") -> IRCClient:
        """bob says C{count} things in C{room}, a second apart; bob is returned."""
        bob = self.register("bob")
        bob.send(f"JOIN {room}")
        for number in range(1, count + 1):
            self.clock.advance(1)
            bob.send(f"PRIVMSG {room} :message {number}")
        bob.messages()
        return bob

    def asked(self, client: IRCClient, line: str) -> list[IRCMessage]:
        """What C{client} is told after sending C{line}."""
        client.send(line)
        return client.messages()

    def texts(self, messages: list[IRCMessage]) -> list[str]:
        return [m.params[1] for m in messages if m.command == "PRIVMSG"]

    def assertFail(self, messages: list[IRCMessage], *params: str) -> None:
        (only,) = messages
        self.assertEqual(only.command, "FAIL")
        self.assertEqual(only.params[: 1 + len(params)], ("CHATHISTORY", *params))


class AdvertisedTests(ChatHistoryTestCase):
    def test_capabilityAndTokens(self) -> None:
        """CAP LS offers draft/chathistory; ISUPPORT says the max and the reference types."""
        client = IRCClient(self.factory, self.clock)
        client.send("CAP LS 302", "NICK alice", "USER alice 0 * :Alice", "CAP END")
        messages = client.messages()
        self.assertIn("draft/chathistory", messages[0].params[2].split())
        tokens = [p for m in messages if m.command == "005" for p in m.params]
        self.assertIn(f"CHATHISTORY={CHATHISTORY_MAX}", tokens)
        self.assertIn("MSGREFTYPES=timestamp,msgid", tokens)

    def test_noReplayOnJoinWithTheCapability(self) -> None:
        """A client with draft/chathistory fetches history itself: joining replays none."""
        self.roomWith(2)
        alice = self.register("alice", *CAPS)
        plain = self.register("carol")
        self.assertEqual(self.texts(self.asked(alice, "JOIN #x")), [])
        self.assertEqual(
            self.texts(self.asked(plain, "JOIN #x")), ["message 1", "message 2"]
        )


class RoomHistoryTests(ChatHistoryTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.roomWith(6)
        self.alice = self.register("alice", *CAPS)
        self.alice.send("JOIN #x")
        self.alice.messages()

    def test_latest(self) -> None:
        """
        LATEST * gives the newest messages, oldest first, in a chathistory
        batch, each with its time and msgid.
        """
        messages = self.asked(self.alice, "CHATHISTORY LATEST #x * 3")
        start, *inner, end = messages
        self.assertEqual(start.command, "BATCH")
        self.assertEqual(start.params[1:], ("chathistory", "#x"))
        reference = start.params[0][1:]
        self.assertEqual(end.params, (f"-{reference}",))
        self.assertEqual(self.texts(inner), ["message 4", "message 5", "message 6"])
        self.assertEqual(
            [tagsOf(m) for m in inner],
            [
                {
                    "batch": reference,
                    "time": serverTime(START + 1000 * n),
                    "msgid": f"#x/{n}",
                }
                for n in (4, 5, 6)
            ],
        )
        self.assertEqual({m.source for m in inner}, {"bob!bob@chat"})

    def test_latestAfterMsgid(self) -> None:
        """LATEST with a msgid gives the newest after it only."""
        messages = self.asked(self.alice, "CHATHISTORY LATEST #x msgid=#x/4 10")
        self.assertEqual(self.texts(messages), ["message 5", "message 6"])

    def test_beforeMsgid(self) -> None:
        """BEFORE a msgid gives the newest before it, itself excluded."""
        messages = self.asked(self.alice, "CHATHISTORY BEFORE #X msgid=#x/4 2")
        self.assertEqual(self.texts(messages), ["message 2", "message 3"])

    def test_afterTimestamp(self) -> None:
        """AFTER a time gives the oldest said after it."""
        stamp = serverTime(START + 2000)
        messages = self.asked(self.alice, f"CHATHISTORY AFTER #x timestamp={stamp} 2")
        self.assertEqual(self.texts(messages), ["message 3", "message 4"])

    def test_beforeTimestamp(self) -> None:
        """BEFORE a time gives the newest said before it."""
        stamp = serverTime(START + 3500)
        messages = self.asked(self.alice, f"CHATHISTORY BEFORE #x timestamp={stamp} 2")
        self.assertEqual(self.texts(messages), ["message 2", "message 3"])

    def test_around(self) -> None:
        """AROUND a msgid gives it and the messages either side."""
        messages = self.asked(self.alice, "CHATHISTORY AROUND #x msgid=#x/3 3")
        self.assertEqual(self.texts(messages), ["message 2", "message 3", "message 4"])

    def test_betweenBothWays(self) -> None:
        """
        BETWEEN counts from its first mark: forwards gives the oldest,
        backwards the newest, both oldest first and both marks excluded.
        """
        forwards = self.asked(
            self.alice, "CHATHISTORY BETWEEN #x msgid=#x/1 msgid=#x/6 2"
        )
        self.assertEqual(self.texts(forwards), ["message 2", "message 3"])
        stamp = serverTime(START + 1000)
        backwards = self.asked(
            self.alice, f"CHATHISTORY BETWEEN #x msgid=#x/6 timestamp={stamp} 2"
        )
        self.assertEqual(self.texts(backwards), ["message 4", "message 5"])

    def test_limitCut(self) -> None:
        """A limit above the maximum is cut to it, not refused."""
        messages = self.asked(
            self.alice, f"CHATHISTORY LATEST #x * {CHATHISTORY_MAX * 5}"
        )
        self.assertEqual(len(self.texts(messages)), 6)

    def test_emptyBatch(self) -> None:
        """Nothing to give is an empty batch, so the client is not left waiting."""
        messages = self.asked(self.alice, "CHATHISTORY AFTER #x msgid=#x/6 10")
        self.assertEqual([m.command for m in messages], ["BATCH", "BATCH"])

    def test_withoutBatch(self) -> None:
        """A client without batch gets the messages as they are."""
        carol = self.register("carol", "draft/chathistory")
        carol.send("JOIN #x")
        carol.messages()
        messages = self.asked(carol, "CHATHISTORY LATEST #x * 2")
        self.assertEqual([m.command for m in messages], ["PRIVMSG", "PRIVMSG"])
        self.assertEqual([m.tags for m in messages], [(), ()])

    def test_labelled(self) -> None:
        """A labelled request's batch carries the label, once."""
        carol = self.register("carol", *CAPS, "labeled-response")
        carol.send("JOIN #x")
        carol.messages()
        start, *rest = self.asked(carol, "@label=h1 CHATHISTORY LATEST #x * 1")
        self.assertEqual(tagsOf(start)["label"], "h1")
        self.assertEqual([m for m in rest if "label" in tagsOf(m)], [])

    def test_outsiderMayReadAnOpenRoom(self) -> None:
        """A room anyone may walk into may be read from outside."""
        carol = self.register("carol", *CAPS)
        self.assertEqual(
            self.texts(self.asked(carol, "CHATHISTORY LATEST #x * 1")), ["message 6"]
        )

    def test_liveAndHistoryAgree(self) -> None:
        """A message from history has the msgid it had when said."""
        self.alice.send("PRIVMSG #x :late")
        live = self.alice.messages()
        (said,) = [
            m
            for m in self.asked(self.alice, "CHATHISTORY LATEST #x * 1")
            if m.command == "PRIVMSG"
        ]
        self.assertEqual(tagsOf(said)["msgid"], "#x/7")
        self.assertEqual(live, [])  # no echo-message


class PrivateHistoryTests(ChatHistoryTestCase):
    def test_conversationBothWays(self) -> None:
        """
        A nick's conversation holds what was said both ways, with the msgids
        it had live; a msgid marks its place (AROUND from it on, itself
        included).
        """
        alice = self.loggedIn("alice", *CAPS)
        bob = self.loggedIn("bob", "message-tags")
        for line, client in [
            ("PRIVMSG bob :one", alice),
            ("PRIVMSG alice :two", bob),
            ("PRIVMSG bob :three", alice),
        ]:
            self.clock.advance(1)
            client.send(line)
        alice.messages()
        got = bob.messages()
        messages = self.asked(alice, "CHATHISTORY LATEST bob * 10")
        self.assertEqual(messages[0].params[1:], ("chathistory", "bob"))
        said = [m for m in messages if m.command == "PRIVMSG"]
        self.assertEqual(
            [(m.source, m.params) for m in said],
            [
                ("alice!alice@chat", ("bob", "one")),
                ("bob!bob@chat", ("alice", "two")),
                ("alice!alice@chat", ("bob", "three")),
            ],
        )
        self.assertEqual(tagsOf(said[0])["msgid"], tagsOf(got[0])["msgid"])
        middle = tagsOf(said[1])["msgid"]
        before = self.asked(alice, f"CHATHISTORY BEFORE bob msgid={middle} 10")
        self.assertEqual(self.texts(before), ["one"])
        after = self.asked(alice, f"CHATHISTORY AFTER bob msgid={middle} 10")
        self.assertEqual(self.texts(after), ["three"])
        around = self.asked(alice, f"CHATHISTORY AROUND BOB msgid={middle} 2")
        self.assertEqual(self.texts(around), ["two", "three"])

    def test_withoutAccountNothing(self) -> None:
        """A nick without an account may have been someone else's: no private history."""
        alice = self.register("alice", *CAPS)
        bob = self.register("bob")
        alice.send("PRIVMSG bob :hello")
        bob.messages()
        messages = self.asked(alice, "CHATHISTORY LATEST bob * 10")
        self.assertEqual([m.command for m in messages], ["BATCH", "BATCH"])

    def test_targets(self) -> None:
        """
        TARGETS lists the rooms the client is in and its private
        conversations active in the span, with the latest time of each.
        """
        self.roomWith(1)  # #x, at START + 1000
        alice = self.loggedIn("alice", *CAPS)
        alice.send("JOIN #x")
        self.clock.advance(1)
        self.loggedIn("carol").send("PRIVMSG alice :hi")  # START + 2000
        alice.messages()
        early, late = serverTime(START), serverTime(START + 60_000)
        messages = self.asked(
            alice, f"CHATHISTORY TARGETS timestamp={late} timestamp={early} 50"
        )
        start, *inner, end = messages
        self.assertEqual(start.params[1:], ("draft/chathistory-targets",))
        self.assertEqual(
            [m.params for m in inner],
            [
                ("TARGETS", "#x", serverTime(START + 1000)),
                ("TARGETS", "carol", serverTime(START + 2000)),
            ],
        )
        self.assertEqual(end.command, "BATCH")


class FailTests(ChatHistoryTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.bob = self.roomWith(2)
        self.alice = self.register("alice", *CAPS)

    def test_unknownSubcommand(self) -> None:
        """An unknown subcommand is UNKNOWN_COMMAND."""
        self.assertFail(
            self.asked(self.alice, "CHATHISTORY SIDEWAYS #x * 1"),
            "UNKNOWN_COMMAND",
            "SIDEWAYS",
        )

    def test_noParameters(self) -> None:
        """No subcommand at all is INVALID_PARAMS."""
        self.assertFail(self.asked(self.alice, "CHATHISTORY"), "INVALID_PARAMS")

    def test_wrongCount(self) -> None:
        """Too few or too many parameters is INVALID_PARAMS."""
        for line in [
            "CHATHISTORY LATEST #x 1",
            "CHATHISTORY LATEST #x * 1 2",
            "CHATHISTORY BETWEEN #x msgid=#x/1 5",
            "CHATHISTORY TARGETS timestamp=2024-01-01T00:00:00.000Z 5",
        ]:
            self.assertFail(self.asked(self.alice, line), "INVALID_PARAMS")

    def test_badLimit(self) -> None:
        """A limit that is no positive number in ASCII digits is INVALID_PARAMS."""
        for limit in ("0", "-1", "ten", "²"):
            self.assertFail(
                self.asked(self.alice, f"CHATHISTORY LATEST #x * {limit}"),
                "INVALID_PARAMS", "LATEST", limit,
            )  # fmt: skip

    def test_badTimestamp(self) -> None:
        """A timestamp not in server-time's form is INVALID_PARAMS."""
        for stamp in (
            "yesterday",
            "2024-13-01T00:00:00.000Z",
            "2024-01-01T00:00:00.000",
            "２024-01-01T00:00:00Z",
        ):
            self.assertFail(
                self.asked(self.alice, f"CHATHISTORY BEFORE #x timestamp={stamp} 5"),
                "INVALID_PARAMS", "BEFORE", f"timestamp={stamp}",
            )  # fmt: skip

    def test_badReferenceType(self) -> None:
        """A reference neither msgid= nor timestamp= is INVALID_MSGREFTYPE."""
        self.assertFail(
            self.asked(self.alice, "CHATHISTORY BEFORE #x 12 5"),
            "INVALID_MSGREFTYPE", "BEFORE", "12",
        )  # fmt: skip

    def test_unknownMsgid(self) -> None:
        """A msgid of another room, or of no message, is INVALID_PARAMS."""
        for msgid in ("#y/1", "#x/one", "pabc", "#x/²"):
            self.assertFail(
                self.asked(self.alice, f"CHATHISTORY AFTER #x msgid={msgid} 5"),
                "INVALID_PARAMS", "AFTER", f"msgid={msgid}",
            )  # fmt: skip

    def test_noSuchTarget(self) -> None:
        """A room nobody is in, or no valid nick, is INVALID_TARGET."""
        for target in ("#nowhere", "#bad!name", "9lives", "*"):
            self.assertFail(
                self.asked(self.alice, f"CHATHISTORY LATEST {target} * 5"),
                "INVALID_TARGET", "LATEST",
            )  # fmt: skip

    def test_secretRoom(self) -> None:
        """A secret room one is not in is not read, as if it were not there."""
        self.bob.send("MODE #x +s")
        self.assertFail(
            self.asked(self.alice, "CHATHISTORY LATEST #x * 5"),
            "INVALID_TARGET", "LATEST", "#x",
        )  # fmt: skip

    def test_bannedFromRoom(self) -> None:
        """A room one is banned from is not read from outside."""
        self.bob.send("MODE #x +b alice!*@*")
        self.assertFail(
            self.asked(self.alice, "CHATHISTORY LATEST #x * 5"),
            "INVALID_TARGET", "LATEST", "#x",
        )  # fmt: skip

    def test_storeFails(self) -> None:
        """A store that cannot read is MESSAGE_ERROR, the connection kept."""
        self.patch(
            self.chat.store, "messagesBetween",
            lambda *args: fail(StoreError("disk on fire")),
        )  # fmt: skip
        self.assertFail(
            self.asked(self.alice, "CHATHISTORY LATEST #x * 5"),
            "MESSAGE_ERROR", "LATEST", "#x",
        )  # fmt: skip
        self.assertFalse(self.alice.transport.disconnecting)
