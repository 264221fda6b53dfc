"""
Tests for the line protocol's commands that keep order
(L{twisted_chat.frontends.commands.moderation}), over StringTransport: what each
command sends everyone concerned, and each refusal's C{ERROR} line.
"""

from twisted_chat.chat.modes import MUTE
from twisted_chat.limits import BAN_LIST_MAX

from ..clients import Client, LineServerTestCase

T = "2023-11-14T22:13:20.000Z"


class RoomOperatorTests(LineServerTestCase):
    """
    alice made #dev, so she operates it; bob is in it with her; carol is in
    the lobby only.
    """

    def setUp(self) -> None:
        super().setUp()
        self.alice = self.connect("alice")
        self.alice.send(b"/join #dev\n")
        self.bob = self.connect("bob")
        self.bob.send(b"/join #dev\n")
        self.carol = self.connect("carol")
        for client in (self.alice, self.bob, self.carol):
            client.lines()

    def register(self, client: Client) -> None:
        """C{client} registers; the others see it log in (C{LOGGEDIN})."""
        client.send(b"/register correct-horse\n")
        for each in (self.alice, self.bob, self.carol):
            each.lines()

    def claimed(self) -> None:
        """alice, logged in, founds #dev."""
        self.register(self.alice)
        self.alice.send(b"/claim\n")
        self.alice.lines()
        self.bob.lines()

    def test_makerOperates(self) -> None:
        """Who makes a room operates it: members are listed with ranks."""
        self.carol.send(b"/join #dev\n")
        self.assertIn("MEMBERS #dev :@alice bob carol", self.carol.lines())
        self.bob.lines()
        self.bob.send(b"/who #dev\n")
        self.assertEqual(self.bob.lines(), ["MEMBERS #dev :@alice bob carol"])

    def test_op(self) -> None:
        """/op NICK makes a member an operator; the room is told."""
        self.alice.send(b"/op bob\n")
        line = f"RANK #dev bob operator alice {T} member"
        self.assertEqual(self.alice.lines(), [line])
        self.assertEqual(self.bob.lines(), [line])
        self.bob.send(b"/who\n")
        self.assertEqual(self.bob.lines(), ["MEMBERS #dev :@alice @bob"])

    def test_rankCommands(self) -> None:
        """/deop, /voice and /devoice give and take ranks, in any room named."""
        self.alice.send(b"/op #dev bob\n/deop bob\n/voice bob\n/devoice #dev bob\n")
        self.assertEqual(
            self.bob.lines(),
            [
                f"RANK #dev bob operator alice {T} member",
                f"RANK #dev bob member alice {T} operator",
                f"RANK #dev bob voice alice {T} member",
                f"RANK #dev bob member alice {T} voice",
            ],
        )

    def test_nothingToChange(self) -> None:
        """A rank the member already has is said, not passed over in silence."""
        self.alice.send(b"/op alice\n/devoice bob\n")
        self.assertEqual(
            self.alice.lines(),
            [
                "NOTICE :Nothing changed: alice is an operator of #dev.",
                "NOTICE :Nothing changed: bob is a plain member of #dev.",
            ],
        )
        self.assertEqual(self.bob.lines(), [])

    def test_rankRefused(self) -> None:
        """
        Only operators give ranks; only to members of the room; only in a
        room there is.
        """
        self.bob.send(b"/op bob\n")
        self.alice.send(b"/op carol\n/voice #nowhere bob\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-operator :Only operators of #dev may give or take ranks."],
        )
        self.assertEqual(
            self.alice.lines(),
            [
                "ERROR not-in-room :carol is not in #dev.",
                "ERROR no-such-room :There is no room #nowhere; /rooms lists them.",
            ],
        )

    def test_noCurrentRoom(self) -> None:
        """Without a room named, the current one is meant: there must be one."""
        self.carol.send(b"/part\n")
        self.carol.lines()
        self.carol.send(b"/op bob\n")
        self.assertEqual(
            self.carol.lines(),
            ["ERROR no-current-room :You are in no room; /join #room first."],
        )

    def test_kick(self) -> None:
        """
        /kick puts a member out of the room, telling the room why; the
        kicked member stays connected, in its other rooms.
        """
        self.alice.send(b"/kick bob be nice\n")
        line = f"KICK #dev bob alice {T} :be nice"
        self.assertEqual(self.alice.lines(), [line])
        self.assertEqual(self.bob.lines(), [line, "CURRENT #lobby"])
        self.assertFalse(self.bob.transport.disconnecting)
        self.bob.send(b"/who #dev\n")
        self.assertEqual(self.bob.lines(), ["MEMBERS #dev :@alice"])

    def test_kickRefused(self) -> None:
        """
        Only operators kick, only members, and not one who outranks them
        (the founder).
        """
        self.bob.send(b"/kick alice\n")
        self.alice.send(b"/kick carol\n")
        self.assertEqual(
            self.bob.lines(), ["ERROR not-operator :Only operators of #dev may kick."]
        )
        self.assertEqual(
            self.alice.lines(), ["ERROR not-in-room :carol is not in #dev."]
        )
        self.claimed()
        self.alice.send(b"/op bob\n")
        self.bob.lines()
        self.bob.send(b"/kick #dev alice\n")
        self.assertEqual(
            self.bob.lines(), ["ERROR not-operator :alice outranks you in #dev."]
        )

    def test_ban(self) -> None:
        """
        /ban tells the room and puts out those it names; they cannot come
        back, others can.
        """
        self.alice.send(b"/ban bob 10m spam\n")
        expires = "2023-11-14T22:23:20.000Z"
        ban = f"BAN #dev {T} alice ban bob!*@* {expires} :spam"
        kick = f"KICK #dev bob alice {T} :Banned: spam"
        self.assertEqual(self.alice.lines(), [ban, kick])
        self.assertEqual(self.bob.lines(), [ban, kick, "CURRENT #lobby"])
        self.bob.send(b"/join #dev\n")
        self.assertEqual(
            self.bob.lines(), ["ERROR banned :You are banned from #dev: spam."]
        )
        self.carol.send(b"/join #dev\n")
        self.assertIn("MEMBERS #dev :@alice carol", self.carol.lines())

    def test_banLapses(self) -> None:
        """A ban for a while lets the member back in once it is over."""
        self.alice.send(b"/ban bob 30s\n")
        self.clock.advance(30)
        self.bob.lines()
        self.bob.send(b"/join #dev\n")
        self.assertIn("CURRENT #dev", self.bob.lines())

    def test_banRefused(self) -> None:
        """Only operators ban; a mask must be one; the list is bounded."""
        self.bob.send(b"/ban alice\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-operator :Only operators of #dev may ban or mute."],
        )
        self.alice.send(b"/ban bob~\n")
        (line,) = self.alice.lines()
        self.assertTrue(line.startswith("ERROR bad-mask :'bob~' is not a mask"), line)
        for number in range(BAN_LIST_MAX):
            self.chat.moderation.ban(
                self.alice.protocol.member, "#dev", MUTE, f"troll{number}"
            )
        self.alice.lines()
        self.alice.send(b"/ban troll\n")
        self.assertEqual(
            self.alice.lines(),
            [
                f"ERROR list-full :#dev has {BAN_LIST_MAX} bans and mutes, the"
                " most kept; lift one first."
            ],
        )

    def test_muteAndUnmute(self) -> None:
        """A muted member reads but may not speak, until /unmute."""
        self.alice.send(b"/mute bob\n")
        mute = f"BAN #dev {T} alice mute bob!*@* * :"
        self.assertEqual(self.bob.lines(), [mute])
        self.bob.send(b"hello\n")
        self.assertEqual(self.bob.lines(), ["ERROR muted :You are muted in #dev."])
        self.alice.send(b"/unmute bob\nhi\n")
        self.bob.send(b"hello\n")
        self.assertEqual(
            self.bob.lines(),
            [
                f"UNBAN #dev {T} alice mute bob!*@* * :",
                f"MSG #dev 1 {T} alice :hi",
                f"MSG #dev 2 {T} bob :hello",
            ],
        )

    def test_unbanRefused(self) -> None:
        """Lifting a ban there is not is refused; so is a member's lifting."""
        self.alice.send(b"/unban carol\n")
        self.bob.send(b"/unmute carol\n")
        self.assertEqual(
            self.alice.lines(),
            ["ERROR bad-arguments :There is no ban on carol!*@* in #dev."],
        )
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-operator :Only operators of #dev may lift bans or mutes."],
        )

    def test_bans(self) -> None:
        """/bans lists the bans, then the mutes, to operators only."""
        self.alice.send(b"/ban carol 1h\n/mute account:dave\n")
        self.alice.lines()
        self.alice.send(b"/bans\n")
        self.assertEqual(
            self.alice.lines(),
            [
                f"BANLIST #dev {T} alice ban carol!*@* 2023-11-14T23:13:20.000Z :",
                "ENDBANLIST #dev ban 1",
                f"BANLIST #dev {T} alice mute account:dave * :",
                "ENDBANLIST #dev mute 1",
            ],
        )
        self.bob.lines()
        self.bob.send(b"/bans #dev\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-operator :Only operators of #dev may see its bans and mutes."],
        )

    def test_modeShown(self) -> None:
        """/mode alone shows a room's modes, to anyone, its key to members."""
        self.alice.send(b"/mode +k sesame\n")
        self.alice.lines()
        self.alice.send(b"/mode\n")
        self.carol.send(b"/mode #dev\n")
        self.assertEqual(self.alice.lines(), [f"MODEINFO #dev {T} :+tnk sesame"])
        self.assertEqual(self.carol.lines(), [f"MODEINFO #dev {T} :+tnk *"])

    def test_moderated(self) -> None:
        """In a moderated room only voiced members (and operators) speak."""
        self.alice.send(b"/mode +m\n")
        self.assertEqual(self.bob.lines(), [f"MODE #dev {T} alice :+m"])
        self.bob.send(b"hello\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR moderated :#dev is moderated: only voiced members speak."],
        )
        self.alice.send(b"/voice bob\n")
        self.bob.send(b"hello\n")
        self.assertEqual(
            self.bob.lines(),
            [f"RANK #dev bob voice alice {T} member", f"MSG #dev 1 {T} bob :hello"],
        )

    def test_key(self) -> None:
        """A keyed room takes only those who give its key."""
        self.alice.send(b"/mode +k sesame\n")
        self.carol.send(b"/join #dev\n/join #dev wrong\n")
        self.assertEqual(
            self.carol.lines(),
            ["ERROR bad-key :#dev needs a key to join it."] * 2,
        )
        self.carol.send(b"/join #dev sesame\n")
        self.assertIn("CURRENT #dev", self.carol.lines())

    def test_limitAndRegisteredOnly(self) -> None:
        """A full room, or one for logged-in users, keeps others out."""
        self.alice.send(b"/mode +l 2\n")
        self.carol.send(b"/join #dev\n")
        self.assertEqual(
            self.carol.lines(), ["ERROR room-full :#dev is full (2 members)."]
        )
        self.alice.send(b"/mode -l+R\n")
        self.assertEqual(self.bob.lines()[-1], f"MODE #dev {T} alice :-l+R")
        self.carol.send(b"/join #dev\n")
        self.assertEqual(
            self.carol.lines(),
            [
                "ERROR registered-only :Only logged-in users may join #dev: log in first."
            ],
        )

    def test_inviteOnly(self) -> None:
        """
        An invite-only room takes only those invited, by its operators; the
        invited and the inviter are told.
        """
        self.alice.send(b"/mode +i\n")
        self.carol.send(b"/join #dev\n")
        self.assertEqual(
            self.carol.lines(),
            ["ERROR invite-only :#dev is invite-only: an operator must invite you."],
        )
        self.bob.lines()
        self.bob.send(b"/invite carol\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-operator :Only operators of #dev may invite to it."],
        )
        self.alice.lines()
        self.alice.send(b"/invite carol dev\n")
        line = f"INVITE #dev carol alice {T}"
        self.assertEqual(self.alice.lines(), [line])
        self.assertEqual(self.carol.lines(), [line])
        self.carol.send(b"/join #dev\n")
        self.assertIn("CURRENT #dev", self.carol.lines())

    def test_inviteRefused(self) -> None:
        """Nobody is invited twice over, nor a nick nobody has."""
        self.alice.send(b"/invite bob\n/invite ghost\n")
        self.assertEqual(
            self.alice.lines(),
            [
                "ERROR already-in-room :bob is in #dev already.",
                "ERROR no-such-nick :Nobody is called ghost.",
            ],
        )

    def test_secret(self) -> None:
        """A secret room is left out of /rooms for those not in it."""
        self.alice.send(b"/mode +s\n")
        self.carol.send(b"/rooms\n")
        self.assertEqual(self.carol.lines(), ["ROOM #lobby 3 :", "ENDROOMS 1"])
        self.bob.lines()
        self.bob.send(b"/rooms\n")
        self.assertEqual(
            self.bob.lines(), ["ROOM #dev 2 :", "ROOM #lobby 3 :", "ENDROOMS 2"]
        )

    def test_topicLock(self) -> None:
        """The topic is the operators' until the lock is taken off (-t)."""
        self.bob.send(b"/topic plans\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-operator :Only operators of #dev may set its topic."],
        )
        self.alice.send(b"/mode -t\n")
        self.bob.send(b"/topic plans\n")
        self.assertEqual(
            self.bob.lines(),
            [f"MODE #dev {T} alice :-t", f"TOPIC #dev {T} bob :plans"],
        )

    def test_modeRefused(self) -> None:
        """
        Only operators change modes; a mode there is not, or a bad
        argument, is refused.
        """
        self.bob.send(b"/mode +m\n")
        self.alice.send(b"/mode +X\n/mode +l many\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-operator :Only operators of #dev may change its modes."],
        )
        self.assertEqual(
            self.alice.lines(),
            [
                "ERROR unknown-mode :There is no mode X; modes are tmiklsnRqovb.",
                "ERROR bad-arguments :A member limit is a number from 1 to 100000.",
            ],
        )

    def test_modeRanksAndLists(self) -> None:
        """
        /mode gives ranks and sets bans and mutes (C{m:MASK}) as IRC's MODE
        does, in order; a change refused stops the rest.
        """
        self.alice.send(b"/mode +v+b-v bob m:carol bob\n")
        self.assertEqual(
            self.bob.lines(),
            [
                f"RANK #dev bob voice alice {T} member",
                f"BAN #dev {T} alice mute carol!*@* * :",
                f"RANK #dev bob member alice {T} voice",
            ],
        )
        self.alice.lines()
        self.alice.send(b"/mode -b+m nobody\n")
        self.assertEqual(
            self.alice.lines(),
            ["ERROR bad-arguments :There is no ban on nobody!*@* in #dev."],
        )
        self.alice.send(b"/mode +b\n")
        self.assertEqual(
            self.alice.lines(),
            [
                "ENDBANLIST #dev ban 0",
                f"BANLIST #dev {T} alice mute carol!*@* * :",
                "ENDBANLIST #dev mute 1",
            ],
        )

    def test_claim(self) -> None:
        """
        A logged-in operator founds the room: its founder for good; a room
        has one founder.
        """
        self.register(self.alice)
        self.alice.send(b"/claim #dev\n")
        line = f"RANK #dev alice founder alice {T} operator"
        self.assertEqual(self.alice.lines(), [line])
        self.assertEqual(self.bob.lines(), [line])
        self.alice.send(b"/claim\n")
        self.assertEqual(
            self.alice.lines(), ["ERROR already-claimed :#dev has a founder already."]
        )

    def test_claimRefused(self) -> None:
        """A guest cannot found a room; nor can a logged-in plain member."""
        self.alice.send(b"/claim\n")
        self.assertEqual(
            self.alice.lines(),
            ["ERROR not-logged-in :Log in first: only an account can found a room."],
        )
        self.register(self.bob)
        self.bob.send(b"/claim #dev\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-operator :Only operators of #dev may claim it."],
        )

    def test_unclaim(self) -> None:
        """The founder may give the room up; then nobody founded it."""
        self.claimed()
        self.alice.send(b"/unclaim\n")
        self.assertEqual(
            self.bob.lines(), [f"RANK #dev alice operator alice {T} founder"]
        )
        self.alice.lines()
        self.alice.send(b"/unclaim\n")
        self.assertEqual(
            self.alice.lines(), ["ERROR not-founder :Nobody founded #dev."]
        )

    def test_handover(self) -> None:
        """The founder hands the room to a logged-in member, not to a guest."""
        self.claimed()
        self.alice.send(b"/handover bob\n")
        self.assertEqual(
            self.alice.lines(),
            ["ERROR not-logged-in :bob must be logged in to found a room."],
        )
        self.register(self.bob)
        self.alice.send(b"/handover #dev bob\n")
        self.assertEqual(
            self.bob.lines(),
            [
                f"RANK #dev alice operator alice {T} founder",
                f"RANK #dev bob founder alice {T} member",
            ],
        )
        self.alice.lines()
        self.alice.send(b"/handover alice\n")
        self.assertEqual(
            self.alice.lines(),
            ["ERROR not-operator :Only founders of #dev may hand it over."],
        )

    def test_audit(self) -> None:
        """
        The founder reads the room's audit log, newest first; others may
        not, nor read the server's.
        """
        self.claimed()
        self.alice.send(b"/kick bob spam\n")
        self.alice.lines()
        self.alice.send(b"/audit #dev\n")
        self.assertEqual(
            self.alice.lines(),
            [
                f"AUDIT 2 {T} alice kick #dev :bob :spam",
                f"AUDIT 1 {T} alice claim #dev :#dev :",
                "ENDAUDIT 2",
            ],
        )
        self.alice.send(b"/audit #dev before 2\n/audit\n")
        self.assertEqual(
            self.alice.lines(),
            [
                f"AUDIT 1 {T} alice claim #dev :#dev :",
                "ENDAUDIT 1",
                "ERROR not-server-operator :Only server operators may read the"
                " audit log.",
            ],
        )
        self.carol.send(b"/audit #dev\n")
        self.assertEqual(
            self.carol.lines(),
            [
                "ERROR not-founder :Only the founder of #dev and server operators"
                " read its log."
            ],
        )


class ServerOperatorTests(LineServerTestCase):
    """
    olga is a server operator (her account granted, as the console does);
    bob and carol are not.  All are in the lobby.
    """

    def setUp(self) -> None:
        super().setUp()
        self.olga = self.connect("olga")
        self.olga.send(b"/register correct-horse\n")
        self.chat.operators.granted.add("olga")
        self.bob = self.connect("bob")
        self.carol = self.connect("carol")
        for client in (self.olga, self.bob, self.carol):
            client.lines()

    def test_kill(self) -> None:
        """/kill disconnects a member; those who shared a room are told."""
        self.olga.send(b"/kill bob spam\n")
        self.assertEqual(self.bob.lines(), ["BYE kicked :Killed by olga: spam"])
        self.assertTrue(self.bob.transport.disconnecting)
        self.assertEqual(self.carol.lines(), [f"QUIT bob {T} :Killed by olga: spam"])

    def test_killRefused(self) -> None:
        """Only server operators kill, and only nicks somebody has."""
        self.bob.send(b"/kill carol\n")
        self.olga.send(b"/kill ghost\n")
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-server-operator :Only server operators may disconnect users."],
        )
        self.assertEqual(
            self.olga.lines(), ["ERROR no-such-nick :Nobody is called ghost."]
        )

    def test_actsInEveryRoom(self) -> None:
        """A server operator acts as an operator in a room it did not make."""
        self.bob.send(b"/join #dev\n")
        self.olga.send(b"/join #dev\n")
        self.bob.lines()
        self.olga.lines()
        self.olga.send(b"/mode +m\n/kick bob\n")
        self.assertEqual(
            self.bob.lines(),
            [f"MODE #dev {T} olga :+m", f"KICK #dev bob olga {T} :", "CURRENT #lobby"],
        )

    def test_toldFromOutside(self) -> None:
        """
        A server operator acting on a room it is not in, and so not told
        what the room is told, is told what it did.
        """
        self.bob.send(b"/join #dev\n")
        self.carol.send(b"/join #dev\n")
        self.olga.send(b"/voice #dev carol\n/mode #dev +m\n/mute #dev dave\n")
        self.olga.send(b"/unmute #dev dave\n/kick #dev carol\n")
        self.assertEqual(
            self.olga.lines(),
            [
                "NOTICE :carol is now a voiced member of #dev.",
                f"MODEINFO #dev {T} :+tmn",
                "NOTICE :The mute on dave in #dev is set.",
                "NOTICE :The mute on dave in #dev is lifted.",
                "NOTICE :carol is out of #dev.",
            ],
        )

    def test_suspend(self) -> None:
        """
        A suspended account's session ends and it may not log in, until
        the suspension is lifted.
        """
        self.bob.send(b"/register correct-horse\n")
        self.bob.lines()
        self.assertEqual(self.olga.lines(), [f"LOGGEDIN bob bob {T}"])
        self.olga.send(b"/suspend bob spam bot\n")
        self.assertEqual(
            self.olga.lines(),
            [
                "NOTICE :bob is suspended.",
                f"QUIT bob {T} :Account suspended: spam bot",
            ],
        )
        self.assertEqual(self.bob.lines(), ["BYE kicked :Account suspended: spam bot"])
        again = self.connect()
        again.send(b"/login bob correct-horse\n")
        self.assertEqual(
            again.lines(),
            ["ERROR suspended :The account bob is suspended; ask a server operator."],
        )
        self.olga.send(b"/unsuspend bob\n")
        self.assertEqual(self.olga.lines()[-1], "NOTICE :bob is unsuspended.")
        again.send(b"/login bob correct-horse\n")
        self.assertEqual(again.lines()[-1], "ACCOUNT bob :You are logged in as bob.")

    def test_suspendRefused(self) -> None:
        """Only server operators suspend, and only accounts there are."""
        self.olga.send(b"/suspend ghost\n")
        self.bob.send(b"/unsuspend olga\n")
        self.assertEqual(
            self.olga.lines(), ["ERROR no-such-account :There is no account ghost."]
        )
        self.assertEqual(
            self.bob.lines(),
            ["ERROR not-server-operator :Only server operators may suspend accounts."],
        )

    def test_serverBans(self) -> None:
        """
        /sban bans an address or range from the server: those connected
        from it are disconnected (not server operators), new connections
        are refused with the reason; /sbans lists them, /unsban lifts one.
        """
        self.olga.send(b"/sban 192.168.1.0/24 1d spam\n/sbans\n")
        tomorrow = "2023-11-15T22:13:20.000Z"
        ban = f"*!*@192.168.1.0/24 {tomorrow} :spam"
        self.assertEqual(
            self.olga.lines(),
            [
                f"BAN * {T} olga ban {ban}",
                f"QUIT bob {T} :Banned from the server: spam",
                f"QUIT carol {T} :Banned from the server: spam",
                f"BANLIST * {T} olga ban {ban}",
                "ENDBANLIST * ban 1",
            ],
        )
        self.assertEqual(self.bob.lines(), ["BYE kicked :Banned from the server: spam"])
        refused = Client(self.factory, self.clock)
        self.assertEqual(
            refused.lines(),
            [
                "BYE refused :Your address is banned from this server until"
                " 2023-11-15 22:13 UTC: spam."
            ],
        )
        self.assertTrue(refused.transport.disconnecting)
        refused.send(b"hello\n")
        self.assertEqual(refused.lines(), [])
        self.olga.send(b"/unsban 192.168.1.0/24\n")
        self.assertEqual(
            self.olga.lines(), [f"UNBAN * {T} olga ban *!*@192.168.1.0/24 * :"]
        )
        self.assertIn("WELCOME", Client(self.factory, self.clock).lines()[0])

    def test_serverBansRefused(self) -> None:
        """
        A server ban names an address or range; only those set may be
        lifted; only server operators see or set them.
        """
        self.olga.send(b"/sban bob\n/unsban 10.0.0.1\n")
        self.assertEqual(
            self.olga.lines(),
            [
                "ERROR bad-mask :A server ban names an address or a range: 10.0.0.0/8.",
                "ERROR bad-arguments :There is no server ban on *!*@10.0.0.1/32.",
            ],
        )
        self.bob.send(b"/sban 10.0.0.1\n/unsban 10.0.0.1\n/sbans\n")
        self.assertEqual(
            [line.split(" :")[0] for line in self.bob.lines()],
            ["ERROR not-server-operator"] * 3,
        )

    def test_stats(self) -> None:
        """
        /stats tells a server operator the server's figures, one STATS line
        each, then their count; anyone else is refused.
        """
        self.olga.send(b"/stats\n")
        self.assertEqual(
            self.olga.lines(),
            ["STATS members 3", "STATS rooms 1", "ENDSTATS 2"],
        )
        self.bob.send(b"/stats\n/stats now\n")
        self.assertEqual(
            self.bob.lines(),
            [
                "ERROR not-server-operator :Only server operators may read the"
                " server's statistics.",
                "ERROR bad-arguments :Usage: /stats",
            ],
        )

    def test_announce(self) -> None:
        """An announcement reaches everyone on the server."""
        self.olga.send(b"/announce restart at noon\n")
        line = f"ANNOUNCE olga {T} :restart at noon"
        for client in (self.olga, self.bob, self.carol):
            self.assertEqual(client.lines(), [line])
        self.bob.send(b"/announce me too\n")
        self.assertEqual(
            self.bob.lines(),
            [
                "ERROR not-server-operator :Only server operators may send notices"
                " to everyone."
            ],
        )

    def test_audit(self) -> None:
        """
        A server operator reads the whole server's log, newest first, and
        pages back with before ID.
        """
        self.olga.send(b"/kill bob\n/announce hi\n")
        self.olga.lines()
        self.olga.send(b"/audit\n/audit before 2\n")
        self.assertEqual(
            self.olga.lines(),
            [
                f"AUDIT 2 {T} olga announce * :* :hi",
                f"AUDIT 1 {T} olga kill * :bob :",
                "ENDAUDIT 2",
                f"AUDIT 1 {T} olga kill * :bob :",
                "ENDAUDIT 1",
            ],
        )

    def test_operOnlyAtTheConsole(self) -> None:
        """Server operators are granted at the console only."""
        self.olga.send(b"/oper bob\n/deoper olga\n")
        self.assertEqual(
            self.olga.lines(),
            [
                "ERROR not-permitted :Only the console's operator grants server operators."
            ]
            * 2,
        )
