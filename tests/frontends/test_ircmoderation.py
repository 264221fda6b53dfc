"""
Tests for moderation over IRC (L{twisted_chat.frontends.irc.moderation}):
ranks as prefixes in NAMES, WHO and WHOIS, and MODE showing and changing a
channel's settings, ranks, bans and mutes, as the room's other IRC clients
see it, with the numeric for each refusal.
"""

import base64

from twisted_chat.chat.core import Chat
from twisted_chat.chat.modes import Rank
from twisted_chat.chat.orderevents import Kicked
from twisted_chat.frontends.irc.channelmodes import coreMask
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.limits import DEFAULT_RULES, UNLIMITED
from twisted_chat.store.memory import MemoryStore
from twisted_chat.wire.irc import IRCMessage

from ..clients import IRCClient, IRCTestCase
from ..helpers import makeAccounts

PASSWORD = "correct-horse"


def said(messages: list[IRCMessage]) -> list[tuple[str | None, str, tuple[str, ...]]]:
    """The source, command and parameters of each message."""
    return [(m.source, m.command, m.params) for m in messages]


class ModerationTestCase(IRCTestCase):
    """
    IRC clients (and line members) on a chat whose account C{boss} is a
    server operator.
    """

    def setUp(self) -> None:
        super().setUp()
        self.chat = Chat(self.clock, MemoryStore(), serverOperators=["boss"])
        self.accounts = makeAccounts(self.chat, self.clock)
        self.factory = IRCChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )
        self.lines = LineChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )

    def account(self, nick: str) -> None:
        """Register an account for C{nick}, with L{PASSWORD}."""
        self.successResultOf(self.accounts.register(nick, PASSWORD))
        self.chat.registered(nick)

    def loggedIn(self, nick: str, *caps: str) -> IRCClient:
        """Register C{nick}'s account and an IRC client logged in to it."""
        self.account(nick)
        client = IRCClient(self.factory, self.clock)
        payload = base64.b64encode(f"\0{nick}\0{PASSWORD}".encode()).decode()
        client.send("CAP LS 302", f"CAP REQ :{' '.join(('sasl', *caps))}")
        client.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        client.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {payload}", "CAP END")
        self.assertIn("903", client.commands())
        return client

    def inRoom(self, room: str, *clients: IRCClient) -> None:
        """Each client joins C{room}, in order; what they were told is read."""
        for client in clients:
            client.send(f"JOIN {room}")
        for client in clients:
            client.messages()

    def opRoom(self) -> tuple[IRCClient, IRCClient]:
        """alice makes #r (so operates it) and bob joins it."""
        alice = self.register("alice")
        bob = self.register("bob")
        self.inRoom("#r", alice, bob)
        return alice, bob


class RankTests(ModerationTestCase):
    def test_creatorOperates(self) -> None:
        """
        Whoever makes a channel operates it: C{@} in the NAMES of whoever
        joins, and in their WHO.
        """
        alice = self.register("alice")
        alice.send("JOIN #r")
        names = [m for m in alice.messages() if m.command == "353"]
        self.assertEqual(names[0].params[-1], "@alice")
        bob = self.register("bob")
        bob.send("JOIN #r", "WHO #r")
        messages = bob.messages()
        (names,) = [m for m in messages if m.command == "353"]
        self.assertEqual(names.params[-1], "@alice bob")
        self.assertEqual(
            [m.params[6] for m in messages if m.command == "352"], ["H@", "H"]
        )

    def test_giveAndTake(self) -> None:
        """
        An operator's +v, then +o, then -o on a member are MODEs every IRC
        client in the channel sees, each the modes taken and given (voice
        is not kept under operator); NAMES follows.
        """
        alice, bob = self.opRoom()
        carol = self.register("carol")
        self.inRoom("#r", carol)
        alice.messages()
        bob.messages()
        alice.send("MODE #r +v bob", "MODE #r +o bob", "MODE #r -o bob")
        expected = [
            ("alice!alice@chat", "MODE", ("#r", "+v", "bob")),
            ("alice!alice@chat", "MODE", ("#r", "-v+o", "bob", "bob")),
            ("alice!alice@chat", "MODE", ("#r", "-o", "bob")),
        ]
        for client in (alice, bob, carol):
            self.assertEqual(said(client.messages()), expected)
        alice.send("MODE #r +v bob", "NAMES #r")
        names = [m for m in alice.messages() if m.command == "353"]
        self.assertEqual(names[0].params[-1], "@alice +bob carol")

    def test_founderPrefixes(self) -> None:
        """
        A founder is C{~} and an operator (C{+qo}): with multi-prefix NAMES
        and WHO show C{~@}, without only the highest, C{~}.
        """
        alice = self.loggedIn("alice")
        bob = self.register("bob", "multi-prefix")
        self.inRoom("#r", alice, bob)
        self.chat.moderation.claim(self.chat.memberNamed("alice"), "#r")
        self.assertEqual(
            said(bob.messages()),
            [("twisted-chat", "MODE", ("#r", "+q", "alice"))],
        )
        for client, prefix in ((alice, "~"), (bob, "~@")):
            client.messages()
            client.send("NAMES #r", "WHO #r", "WHOIS alice")
            messages = client.messages()
            (names,) = [m for m in messages if m.command == "353"]
            self.assertEqual(names.params[-1], f"{prefix}alice bob")
            who = [m.params[6] for m in messages if m.command == "352"]
            self.assertEqual(who, [f"H{prefix}", "H"])
            (channels,) = [m for m in messages if m.command == "319"]
            self.assertEqual(channels.params[-1], f"{prefix}#r")

    def test_comingInWithARank(self) -> None:
        """
        An account that holds a rank in a founded channel has it again on
        joining: those there see its JOIN and then the server's MODE.
        """
        alice = self.loggedIn("alice")
        bob = self.register("bob")
        self.inRoom("#r", alice, bob)
        self.chat.moderation.claim(self.chat.memberNamed("alice"), "#r")
        alice.send("PART #r")
        bob.messages()
        alice.send("JOIN #r")
        self.assertEqual(
            said(bob.messages()),
            [
                ("alice!alice@chat", "JOIN", ("#r",)),
                ("twisted-chat", "MODE", ("#r", "+qo", "alice", "alice")),
            ],
        )
        names = [m for m in alice.messages() if m.command == "353"]
        self.assertEqual(names[0].params[-1], "bob ~alice")

    def test_whoFlags(self) -> None:
        """
        WHO's flags say away (C{G}) and server operator (C{*}); WHOIS says
        the latter with 313.
        """
        boss = self.loggedIn("boss")
        bob = self.register("bob")
        self.inRoom("#lobby", boss, bob)
        bob.send("AWAY :lunch", "WHO #lobby", "WHOIS boss")
        messages = bob.messages()
        who = {m.params[5]: m.params[6] for m in messages if m.command == "352"}
        self.assertEqual(who, {"boss": "H*", "bob": "G"})
        self.assertIn("313", [m.command for m in messages])


class ModeTests(ModerationTestCase):
    def test_showModes(self) -> None:
        """
        MODE #r is 324 and 329: the key to members, C{*} to others, and the
        limit.
        """
        alice, bob = self.opRoom()
        alice.send("MODE #r +kl sesame 5")
        alice.messages()
        bob.messages()
        carol = self.register("carol")
        for client, nick, key in ((bob, "bob", "sesame"), (carol, "carol", "*")):
            client.send("MODE #r")
            modes, created = client.messages()
            # The core writes the letters in its order: the set is the point.
            self.assertEqual(modes.command, "324")
            self.assertEqual(modes.params[:2], (nick, "#r"))
            self.assertEqual(sorted(modes.params[2]), sorted("+tnkl"))
            self.assertEqual(modes.params[3:], (key, "5"))
            self.assertEqual(
                (created.command, created.params), ("329", (nick, "#r", "1700000000"))
            )

    def test_settings(self) -> None:
        """
        Settings changed together are one MODE, seen alike by every IRC
        client in the channel, and are the room's.
        """
        alice, bob = self.opRoom()
        alice.send("MODE #r +mk-t sesame")
        expected = [("alice!alice@chat", "MODE", ("#r", "+mk-t", "sesame"))]
        self.assertEqual(said(alice.messages()), expected)
        self.assertEqual(said(bob.messages()), expected)
        modes = self.chat.moderation.modesOf(self.chat.memberNamed("bob"), "#r")
        letters, key = modes.modes.split()
        self.assertEqual((sorted(letters), key), (sorted("+mkn"), "sesame"))
        alice.send("MODE #r +m", "MODE #r -k *")
        self.assertEqual(
            said(bob.messages()), [("alice!alice@chat", "MODE", ("#r", "-k"))]
        )

    def test_notAnOperator(self) -> None:
        """
        A member who does not operate the channel is told 482, once however
        many changes it asked for; nothing changes.
        """
        alice, bob = self.opRoom()
        bob.send("MODE #r +mi-t+o bob")
        self.assertEqual(
            [(m.command, m.params[1]) for m in bob.messages()], [("482", "#r")]
        )
        self.assertEqual(alice.messages(), [])
        bob.send("MODE #nowhere +m")
        self.assertEqual(bob.commands(), ["403"])

    def test_unknownMode(self) -> None:
        """An unknown letter is 472; the others are made."""
        alice, _ = self.opRoom()
        alice.send("MODE #r +xm")
        self.assertEqual(
            said(alice.messages()),
            [
                ("twisted-chat", "472", ("alice", "x", "is not a mode of #r")),
                ("alice!alice@chat", "MODE", ("#r", "+m")),
            ],
        )

    def test_invalidArguments(self) -> None:
        """
        A bad key, limit or mask is 696 naming the mode and the argument;
        a rank or key without its argument is 461.
        """
        alice, _ = self.opRoom()
        alice.send("MODE #r +k a,b", "MODE #r +l none", "MODE #r +b a$b", "MODE #r +o")
        messages = alice.messages()
        self.assertEqual(
            [(m.command, m.params[1:4]) for m in messages],
            [
                ("696", ("#r", "k", "a,b")),
                ("696", ("#r", "l", "none")),
                ("696", ("#r", "b", "a$b")),
                ("461", ("MODE", "Mode +o needs an argument.")),
            ],
        )

    def test_rankTargets(self) -> None:
        """A rank for a nick not here is 401; for one not in the channel, 441."""
        alice, _ = self.opRoom()
        self.register("carol")
        alice.send("MODE #r +o nobody", "MODE #r +v carol")
        self.assertEqual(
            [(m.command, m.params[1:3]) for m in alice.messages()],
            [("401", ("nobody", "No such nick/channel")), ("441", ("carol", "#r"))],
        )

    def test_modesBounded(self) -> None:
        """
        Past MODES (6) changes with an argument, the rest are not made, and
        the client is told so.
        """
        alice = self.register("alice")
        others = [self.register(f"n{n}") for n in range(7)]
        self.inRoom("#r", alice, *others)
        alice.send("MODE #r +vvvvvvv n0 n1 n2 n3 n4 n5 n6")
        messages = alice.messages()
        self.assertEqual([m.command for m in messages], ["NOTICE"] + ["MODE"] * 6)
        self.assertIn("first 6", messages[0].params[-1])
        self.assertEqual(self.chat.membersOf("#r").ranks, (2,) + (1,) * 6 + (0,))

    def test_changesCostALine(self) -> None:
        """
        A MODE that changes something costs a whole line of the flood
        allowance (5 at once), where one that asks costs half (9).
        """
        self.factory.rules = DEFAULT_RULES
        alice = self.register("alice")
        bob = self.register("bob")
        self.inRoom("#r", alice, bob)
        self.clock.advance(60)
        alice.messages()
        bob.messages()
        alice.send(*["MODE #r +m", "MODE #r -m"] * 6)
        bob.send(*["MODE #r b"] * 12)
        self.assertEqual(alice.commands().count("MODE"), 5)
        self.assertEqual(bob.commands().count("368"), 9)

    def test_serverOperatorAnywhere(self) -> None:
        """A server operator changes modes in a channel it is not even in."""
        _, bob = self.opRoom()
        boss = self.loggedIn("boss")
        boss.send("MODE #r +m", "MODE #r +o bob")
        self.assertEqual(
            said(bob.messages()),
            [
                ("boss!boss@chat", "MODE", ("#r", "+m")),
                ("boss!boss@chat", "MODE", ("#r", "+o", "bob")),
            ],
        )


class BanTests(ModerationTestCase):
    def test_banAndMuteList(self) -> None:
        """
        +b and +b m: (a mute, the extban) are MODEs the channel sees, and
        the one list an operator asks for with MODE #r b: 367s, then 368.
        Anyone else's client, which asks on joining, gets only the 368.
        """
        alice, bob = self.opRoom()
        alice.send("MODE #r +bb troll* m:loud")
        expected = [
            ("alice!alice@chat", "MODE", ("#r", "+b", "troll*!*@*")),
            ("alice!alice@chat", "MODE", ("#r", "+b", "m:loud!*@*")),
        ]
        self.assertEqual(said(bob.messages()), expected)
        self.assertEqual(said(alice.messages()), expected)
        alice.send("MODE #r b")
        self.assertEqual(
            [(m.command, m.params[1:]) for m in alice.messages()],
            [
                ("367", ("#r", "troll*!*@*", "alice", "1700000000")),
                ("367", ("#r", "m:loud!*@*", "alice", "1700000000")),
                ("368", ("#r", "End of channel ban list")),
            ],
        )
        bob.send("MODE #r +b")
        self.assertEqual([m.command for m in bob.messages()], ["368"])
        alice.send("MODE #r -b+b m:loud account:mallory")
        self.assertEqual(
            said(bob.messages()),
            [
                ("alice!alice@chat", "MODE", ("#r", "-b", "m:loud!*@*")),
                ("alice!alice@chat", "MODE", ("#r", "+b", "account:mallory")),
            ],
        )

    def test_bansFromWhatClientsSee(self) -> None:
        """
        A ban a client makes from C{nick!nick@chat}, as irssi's C{/ban bob}
        does (C{*!*bob@chat}), is on the nick; one on the host alone, which
        everyone shares, is 696.
        """
        alice, _ = self.opRoom()
        alice.send("MODE #r +b *!*@chat", "MODE #r +b *!*bob@chat")
        messages = alice.messages()
        self.assertEqual(
            [(m.command, m.params[-2:]) for m in messages],
            [
                ("696", ("*!*@chat", "Everyone's host here is chat: ban a nick"
                         " (bob!*@*), an account (account:bob) or an address.")),
                ("MODE", ("+b", "bob!*@*")),
                ("KICK", ("bob", "Banned")),
            ],
        )  # fmt: skip

    def test_coreMask(self) -> None:
        """
        Masks on the shown host C{chat} are read as masks on the nick (the
        user part, less the C{*} clients put first, when the nick part is a
        wildcard); others are the core's to read.
        """
        for argument, read in [
            ("*!*bob@chat", "bob!*@*"),
            ("bob!*@CHAT", "bob!*@*"),
            ("*!~bob*@chat", "bob*!*@*"),
            ("m:*!*bob@chat", "m:bob!*@*"),
            ("*!*@chat", None),
            ("*!*@10.0.0.0/8", "*!*@10.0.0.0/8"),
            ("account:bob", "account:bob"),
            ("bob", "bob"),
        ]:
            self.assertEqual(coreMask(argument), read, argument)

    def test_banPutsOut(self) -> None:
        """
        A ban on someone in the channel puts it out, as a KICK the channel
        sees; then its JOIN is 474.
        """
        alice, bob = self.opRoom()
        alice.send("MODE #r +b bob")
        kick = ("alice!alice@chat", "KICK", ("#r", "bob", "Banned"))
        self.assertEqual(said(bob.messages())[1:], [kick])
        self.assertEqual(said(alice.messages())[1:], [kick])
        bob.send("JOIN #r")
        (refused,) = bob.messages()
        self.assertEqual(refused.command, "474")
        self.assertEqual(refused.params[1:], ("#r", "You are banned from #r."))

    def test_mutedAndModerated(self) -> None:
        """
        A muted member's message is 404, and so is anyone's without voice
        in a moderated channel; voice speaks.
        """
        alice, bob = self.opRoom()
        carol = self.register("carol")
        self.inRoom("#r", carol)
        alice.send("MODE #r +b m:bob")
        bob.messages()
        bob.send("PRIVMSG #r :hello?")
        (refused,) = bob.messages()
        self.assertEqual(
            (refused.command, refused.params[1:]),
            ("404", ("#r", "You are muted in #r.")),
        )
        alice.send("MODE #r +m")
        carol.messages()
        carol.send("PRIVMSG #r :and me?")
        self.assertEqual(
            [(m.command, m.params[1]) for m in carol.messages()], [("404", "#r")]
        )
        alice.send("MODE #r +v carol")
        carol.messages()
        alice.messages()
        carol.send("PRIVMSG #r :thanks")
        self.assertEqual(said(alice.messages())[0][1:], ("PRIVMSG", ("#r", "thanks")))

    def test_listFull(self) -> None:
        """Past the list's bound (MAXLIST, 100) a ban is 478."""
        alice, _ = self.opRoom()
        for n in range(100):
            alice.send(f"MODE #r +b troll{n}")
        alice.messages()
        alice.send("MODE #r +b one-more")
        (full,) = alice.messages()
        self.assertEqual((full.command, full.params[1:3]), ("478", ("#r", "b")))

    def test_invitationList(self) -> None:
        """
        MODE #r I lists the nicks an operator's channel awaits (346, 347);
        to anyone else it ends at once.
        """
        alice, bob = self.opRoom()
        self.register("carol")
        alice.send("INVITE carol #r")
        alice.messages()
        alice.send("MODE #r I")
        self.assertEqual(
            [(m.command, m.params[1:]) for m in alice.messages()],
            [
                ("346", ("#r", "carol!*@*")),
                ("347", ("#r", "End of channel invite list")),
            ],
        )
        bob.send("MODE #r +I")
        self.assertEqual(bob.commands(), ["347"])


class LineMemberTests(ModerationTestCase):
    """What a line member sees of moderation done over IRC."""

    def test_bannedLineMemberRefused(self) -> None:
        """
        An IRC operator's ban keeps a line member out: its /join is refused
        with C{banned}.
        """
        alice = self.register("alice")
        self.inRoom("#r", alice)
        alice.send("MODE #r +b bob")
        bob = self.lineMember("bob")
        bob.send(b"/join #r\n")
        self.assertEqual(bob.lines(), ["ERROR banned :You are banned from #r."])

    def test_seesKickAndRanks(self) -> None:
        """
        A line member sees an IRC operator's rank changes and kicks as the
        core's events.
        """
        alice = self.register("alice")
        self.inRoom("#r", alice)
        bob = self.lineMember("bob")
        carol = self.lineMember("carol")
        for member in (bob, carol):
            member.send(b"/join #r\n")
        bob.lines()
        carol.lines()
        alice.send("MODE #r +o bob", "KICK #r carol :spam")
        events = bob.events()
        self.assertEqual(
            [(type(e).__name__, getattr(e, "nick", None)) for e in events],
            [("RankChanged", "bob"), ("Kicked", "carol")],
        )
        (kicked,) = [e for e in carol.events() if isinstance(e, Kicked)]
        self.assertEqual((kicked.by, kicked.reason), ("alice", "spam"))
        self.assertEqual(self.chat.membersOf("#r").ranks, (2, Rank.OPERATOR))


class NickBanTests(ModerationTestCase):
    def test_noNickAroundABan(self) -> None:
        """A nick a channel the client is in bans is refused with 435."""
        alice, bob = self.opRoom()
        alice.send("MODE #r +b troll*!*@*")
        bob.messages()
        bob.send("NICK trollface")
        (refused,) = bob.messages()
        self.assertEqual(refused.command, "435")
        self.assertEqual(refused.params[:3], ("bob", "trollface", "#r"))
        self.assertEqual(self.chat.memberNamed("bob").nick, "bob")
