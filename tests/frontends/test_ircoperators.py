"""
Tests for the IRC commands that keep order besides MODE: KICK, INVITE,
JOIN with keys and the channel settings that refuse it, the topic lock and
no outside messages, and a server operator's OPER, KILL, WALLOPS and STATS.
"""

from twisted.internet.defer import Deferred, succeed

from twisted_chat.chat.orderevents import Statistic

from ..helpers import connectMember
from .test_ircmoderation import PASSWORD, ModerationTestCase, said


class KickTests(ModerationTestCase):
    def test_kick(self) -> None:
        """
        An operator's KICK is seen by the whole channel, the kicked one
        included, who is then out of it; without a reason, the reason is
        the kicker's nick.
        """
        alice, bob = self.opRoom()
        carol = self.register("carol")
        self.inRoom("#r", carol)
        alice.messages()
        bob.messages()
        alice.send("KICK #r bob :spam", "KICK #r carol")
        expected = [
            ("alice!alice@chat", "KICK", ("#r", "bob", "spam")),
            ("alice!alice@chat", "KICK", ("#r", "carol", "alice")),
        ]
        self.assertEqual(said(alice.messages()), expected)
        self.assertEqual(said(bob.messages()), expected[:1])
        self.assertEqual(said(carol.messages()), expected)
        self.assertEqual(self.chat.membersOf("#r").nicks, ("alice",))

    def test_severalNicks(self) -> None:
        """
        KICK #r bob,carol kicks both; #a,#b with bob,carol kicks each from
        the channel in its place.
        """
        alice = self.register("alice")
        bob = self.register("bob")
        carol = self.register("carol")
        self.inRoom("#a", alice, bob, carol)
        self.inRoom("#b", alice, bob, carol)
        alice.send("KICK #a bob,carol :out", "KICK #a,#b carol,carol")
        self.assertEqual(
            [(m.command, m.params[:3]) for m in alice.messages()],
            [
                ("KICK", ("#a", "bob", "out")),
                ("KICK", ("#a", "carol", "out")),
                ("441", ("alice", "carol", "#a")),
                ("KICK", ("#b", "carol", "alice")),
            ],
        )
        self.assertEqual(self.chat.membersOf("#a").nicks, ("alice",))
        self.assertEqual(self.chat.membersOf("#b").nicks, ("alice", "bob"))

    def test_tooManyNicks(self) -> None:
        """
        More nicks than TARGMAX's KICK:4 is 407, and nobody is kicked; a
        nick named again (in any case) counts once.
        """
        alice, _ = self.opRoom()
        alice.send("KICK #r a,b,c,d,bob", "KICK #r,#s bob", "KICK #r")
        self.assertEqual(alice.commands(), ["407", "461", "461"])
        self.assertIn("bob", self.chat.membersOf("#r").nicks)
        alice.send("KICK #r bob,Bob,bob,,BOB,bob")
        self.assertEqual(alice.commands(), ["KICK"])

    def test_refused(self) -> None:
        """
        Not an operator: 482; a nick not in the channel: 441, not here at
        all: 401; no such channel: 403; an operator cannot kick a founder,
        who outranks it: 482.
        """
        alice = self.loggedIn("alice")
        bob = self.register("bob")
        self.register("carol")
        self.inRoom("#r", alice, bob)
        bob.send("KICK #r alice")
        alice.send("KICK #r carol", "KICK #r nobody", "KICK #nowhere bob")
        self.assertEqual(
            [(m.command, m.params[1:3]) for m in bob.messages()],
            [("482", ("#r", "Only operators of #r may kick."))],
        )
        self.assertEqual(
            [(m.command, m.params[1:3]) for m in alice.messages()],
            [
                ("441", ("carol", "#r")),
                ("401", ("nobody", "No such nick/channel")),
                ("403", ("#nowhere", "There is no room #nowhere; /rooms lists them.")),
            ],
        )
        self.chat.moderation.claim(self.chat.memberNamed("alice"), "#r")
        alice.send("MODE #r +o bob")
        bob.messages()
        bob.send("KICK #r alice")
        self.assertEqual(
            [(m.command, m.params[1:]) for m in bob.messages()],
            [("482", ("#r", "alice outranks you in #r."))],
        )


class InviteTests(ModerationTestCase):
    def test_invite(self) -> None:
        """
        INVITE: 341 to the inviter, C{INVITE} from the inviter to the
        invitee, who may then join an invite-only, keyed and full channel.
        """
        alice = self.register("alice")
        self.inRoom("#r", alice)
        alice.send("MODE #r +ikl sesame 1")
        alice.messages()
        bob = self.register("bob")
        bob.send("JOIN #r")
        self.assertEqual(bob.commands(), ["473"])
        alice.send("INVITE bob #r")
        self.assertEqual(
            said(alice.messages()), [("twisted-chat", "341", ("alice", "bob", "#r"))]
        )
        self.assertEqual(
            said(bob.messages()), [("alice!alice@chat", "INVITE", ("bob", "#r"))]
        )
        bob.send("JOIN #r")
        self.assertEqual(bob.commands()[0], "JOIN")

    def test_awayInvitee(self) -> None:
        """Inviting someone away also says so, with 301."""
        alice = self.register("alice")
        bob = self.register("bob")
        bob.send("AWAY :lunch")
        self.inRoom("#r", alice)
        alice.send("INVITE bob #r")
        self.assertEqual(alice.commands(), ["341", "301"])

    def test_refused(self) -> None:
        """
        No such nick: 401; not in the channel: 442; already in it: 443;
        inviting to an invite-only channel without operating it: 482.
        """
        alice, bob = self.opRoom()
        self.register("carol")
        alice.send("INVITE nobody #r", "INVITE carol #elsewhere", "INVITE bob #r")
        self.assertEqual(
            [(m.command, m.params[1:3]) for m in alice.messages()],
            [
                ("401", ("nobody", "Nobody is called nobody.")),
                ("442", ("#elsewhere", "You're not on that channel")),
                ("443", ("bob", "#r")),
            ],
        )
        alice.send("MODE #r +i")
        bob.messages()
        bob.send("INVITE carol #r", "INVITE carol")
        self.assertEqual(bob.commands(), ["482", "461"])


class JoinTests(ModerationTestCase):
    def test_keys(self) -> None:
        """
        JOIN #a,#b key1,key2 gives each channel the key in its place:
        without the right one, 475.
        """
        alice = self.register("alice")
        self.inRoom("#a,#b,#c", alice)
        alice.send("MODE #a +k ka", "MODE #b +k kb", "MODE #c +k kc")
        bob = self.register("bob")
        bob.send("JOIN #a,#b,#c kb,kb")
        self.assertEqual(
            [
                (m.command, m.params)
                for m in bob.messages()
                if m.command in ("475", "JOIN")
            ],
            [
                ("475", ("bob", "#a", "#a needs a key to join it.")),
                ("JOIN", ("#b",)),
                ("475", ("bob", "#c", "#c needs a key to join it.")),
            ],
        )

    def test_refusals(self) -> None:
        """
        Invite-only: 473; full: 471; registered only: 477; banned: 474;
        each with the core's reason.
        """
        alice = self.register("alice")
        self.inRoom("#i,#l,#R,#b", alice)
        alice.send("MODE #i +i", "MODE #l +l 1", "MODE #R +R", "MODE #b +b bob")
        bob = self.register("bob")
        bob.send("JOIN #i,#l,#R,#b")
        self.assertEqual(
            [(m.command, m.params[1:]) for m in bob.messages()],
            [
                ("473", ("#i", "#i is invite-only: an operator must invite you.")),
                ("471", ("#l", "#l is full (1 members).")),
                ("477", ("#R", "Only logged-in users may join #R: log in first.")),
                ("474", ("#b", "You are banned from #b.")),
            ],
        )


class ChannelRuleTests(ModerationTestCase):
    def test_topicLock(self) -> None:
        """
        Only a channel's operators (and server operators) set its topic:
        anyone else gets 482.
        """
        alice, bob = self.opRoom()
        bob.send("TOPIC #r :mine now")
        self.assertEqual(
            [(m.command, m.params[1:]) for m in bob.messages()],
            [("482", ("#r", "Only operators of #r may set its topic."))],
        )
        alice.send("TOPIC #r :plans")
        self.assertEqual(
            said(bob.messages()), [("alice!alice@chat", "TOPIC", ("#r", "plans"))]
        )
        alice.send("MODE #r -t")
        bob.messages()
        bob.send("TOPIC #r :ours")
        self.assertEqual(bob.commands(), ["TOPIC"])

    def test_outsideMessages(self) -> None:
        """
        A message to a channel one is not in is 404 while it has +n (as it
        does from the start); with -n it is said.
        """
        alice = self.register("alice")
        self.inRoom("#r", alice)
        bob = self.register("bob")
        bob.send("PRIVMSG #r :knock knock")
        (refused,) = bob.messages()
        self.assertEqual((refused.command, refused.params[1]), ("404", "#r"))
        alice.send("MODE #r -n")
        alice.messages()
        bob.send("PRIVMSG #r :knock knock")
        self.assertEqual(
            said(alice.messages()),
            [("bob!bob@chat", "PRIVMSG", ("#r", "knock knock"))],
        )


class ServerOperatorTests(ModerationTestCase):
    def test_oper(self) -> None:
        """
        OPER with a server operator's account and password logs in to it
        (taking its nick) and is 381; WHOIS then says 313.
        """
        self.account("boss")
        client = self.register("someone")
        client.send("OPER boss correct-horse")
        messages = client.messages()
        self.assertEqual(
            said(messages),
            [
                ("someone!someone@chat", "NICK", ("boss",)),
                ("twisted-chat", "NOTICE", ("boss", "You are logged in as boss.")),
                ("twisted-chat", "381", ("boss", "You are now a server operator")),
            ],
        )
        member = self.chat.memberNamed("boss")
        self.assertEqual(member.account, "boss")
        self.assertTrue(self.chat.operators.isServerOperator(member))

    def test_notAnOperator(self) -> None:
        """
        OPER with an account that is not a server operator logs in to it
        and is 491; a wrong password is 464; a missing one 461.
        """
        self.account("alice")
        client = self.register("someone")
        client.send("OPER alice wrong-horse", "OPER alice", f"OPER alice {PASSWORD}")
        self.assertEqual(
            [(m.command, m.params[-1]) for m in client.messages()],
            [
                ("464", "Wrong nick or password."),
                ("461", "Not enough parameters"),
                ("NICK", "alice"),
                ("NOTICE", "You are logged in as alice."),
                ("491", "You are logged in as alice, not a server operator"),
            ],
        )

    def test_kill(self) -> None:
        """
        A server operator's KILL disconnects the nick, which is told why;
        those who shared a channel see it quit.  Anyone else gets 481.
        """
        boss = self.loggedIn("boss")
        alice, bob = self.opRoom()
        alice.send("KILL bob :spam")
        self.assertEqual(
            [(m.command, m.params[-1]) for m in alice.messages()],
            [("481", "Only server operators may disconnect users.")],
        )
        boss.send("KILL bob :spam", "KILL nobody", "KILL")
        self.assertEqual(
            [(m.command, m.params[1]) for m in boss.messages()],
            [("401", "nobody"), ("461", "KILL")],
        )
        self.assertEqual(
            said(alice.messages()),
            [("bob!bob@chat", "QUIT", ("Killed by boss: spam",))],
        )
        self.assertEqual(
            said(bob.messages()),
            [(None, "ERROR", ("Closing Link: Killed by boss: spam",))],
        )
        self.assertTrue(bob.transport.disconnecting)

    def test_killTheConsole(self) -> None:
        """The console's operator cannot be killed: 483."""
        boss = self.loggedIn("boss")
        connectMember(self.chat, "server", privileged=True)
        boss.send("KILL server")
        self.assertEqual(boss.commands(), ["483"])

    def test_wallops(self) -> None:
        """
        A server operator's WALLOPS is an announcement every member gets,
        over IRC as a server NOTICE; anyone else's is 481.
        """
        boss = self.loggedIn("boss")
        alice = self.register("alice")
        alice.send("WALLOPS :hello all")
        self.assertEqual(alice.commands(), ["481"])
        boss.send("WALLOPS :restart at noon")
        notice = ("twisted-chat", "NOTICE")
        self.assertEqual(
            said(alice.messages()),
            [(*notice, ("alice", "Announcement from boss: restart at noon"))],
        )
        self.assertEqual(
            said(boss.messages()),
            [(*notice, ("boss", "Announcement from boss: restart at noon"))],
        )

    def figures(self) -> Deferred[list[Statistic]]:
        return succeed(
            [Statistic("uptime-seconds", "93784"), Statistic("members", "2")]
        )

    def test_statsForOperatorsOnly(self) -> None:
        """
        STATS is a server operator's: anyone else gets 481 whatever the
        letter; without a letter it is 461.
        """
        self.chat.statistics.figures = self.figures
        alice = self.register("alice")
        alice.send("STATS u", "STATS t", "STATS k", "STATS o", "STATS x", "STATS")
        self.assertEqual(
            [(m.command, m.params[1:]) for m in alice.messages()],
            [("481", ("Only server operators may read the server's statistics.",)),
             ("481", ("Only server operators may read the server's statistics.",)),
             ("481", ("Only server operators may see server bans.",)),
             ("481", ("Only server operators may see the server operators.",)),
             ("481", ("Only server operators may read the server's statistics.",)),
             ("461", ("STATS", "Not enough parameters"))],
        )  # fmt: skip

    def test_statsLetters(self) -> None:
        """
        STATS u is the uptime (242), t every figure of /stats (249), k the
        server bans as K-lines (216), o the operators' accounts (243); each
        ends with 219, as does a letter the server has no report for (one
        that is neither a letter nor a digit is not echoed, but C{*}).
        """
        self.chat.statistics.figures = self.figures
        boss = self.loggedIn("boss")
        boss.send("STATS u", "STATS t")
        self.assertEqual(
            [(m.command, m.params[1:]) for m in boss.messages()],
            [("242", ("Server Up 1 days 2:03:04",)),
             ("219", ("u", "End of STATS report")),
             ("249", ("t", "uptime-seconds 93784")),
             ("249", ("t", "members 2")),
             ("219", ("t", "End of STATS report"))],
        )  # fmt: skip
        self.chat.operators.ban(
            self.chat.memberNamed("boss"), "10.9.0.0/16", None, "spam"
        )
        boss.messages()
        boss.send("STATS k", "STATS o", "STATS x", "STATS \x1b[2J")
        self.assertEqual(
            [(m.command, m.params[1:]) for m in boss.messages()],
            [("216", ("K", "*!*@10.9.0.0/16", "*", "*", "spam (set by boss)")),
             ("219", ("k", "End of STATS report")),
             ("243", ("O", "*@*", "*", "boss")),
             ("219", ("o", "End of STATS report")),
             ("219", ("x", "End of STATS report")),
             ("219", ("*", "End of STATS report"))],
        )  # fmt: skip


class EchoTests(ModerationTestCase):
    def test_spacesEchoed(self) -> None:
        """
        A client's last parameter may hold spaces; a refusal that names it
        before its own text names it C{*}, and the connection goes on.
        """
        alice, _ = self.opRoom()
        alice.send("JOIN :#a b", "MODE #r +k :foo bar", "KICK #r :x y", "PING t")
        self.assertEqual(
            [(m.command, m.params[1:-1]) for m in alice.messages()],
            [("403", ("*",)), ("696", ("#r", "k", "*")), ("401", ("*",)),
             ("PONG", ())],
        )  # fmt: skip
