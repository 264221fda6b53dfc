"""
Tests for L{twisted_chat.chat.moderation}: ranks, room settings, bans and
mutes, kicks and invitations, as the core carries them out.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import (
    AlreadyClaimed,
    AlreadyInRoom,
    BadArguments,
    BadKey,
    Banned,
    InviteOnly,
    ListFull,
    Moderated,
    Muted,
    NoSuchRoom,
    NotInRoom,
    NotLoggedIn,
    NotOperator,
    RegisteredOnly,
    RoomFull,
    UnknownMode,
)
from twisted_chat.chat.events import RoomListEntry, RoomMessage
from twisted_chat.chat.model import Member
from twisted_chat.chat.modes import BAN, MUTE, Rank, RoomSettings, parseModes
from twisted_chat.chat.orderevents import (
    BanChanged,
    BanListEnd,
    BanListEntry,
    Invited,
    Kicked,
    ModesChanged,
    RankChanged,
    RoomModes,
)
from twisted_chat.limits import BAN_LIST_MAX, LOBBY
from twisted_chat.store.memory import MemoryStore

from ..helpers import RecordingParticipant, makeChat

NOW = 1_700_000_000_000


class ModerationTestCase(SynchronousTestCase):
    """
    A chat where alice made #room (so operates it) and bob and carol
    joined it after her.
    """

    def setUp(self) -> None:
        self.store = MemoryStore()
        self.chat, self.clock = makeChat(store=self.store)
        self.alice, self.aliceSees = self.member("alice", "10.0.0.1")
        self.bob, self.bobSees = self.member("bob", "10.0.0.2")
        self.carol, self.carolSees = self.member("carol", "192.168.1.9")
        for member in (self.alice, self.bob, self.carol):
            self.chat.join(member, "#room")
        self.moderation = self.chat.moderation
        self.forget()

    def member(
        self, nick: str, address: str = "127.0.0.1"
    ) -> tuple[Member, RecordingParticipant]:
        participant = RecordingParticipant()
        member = self.chat.connect(participant, nick=nick, address=address)
        participant.take()
        return member, participant

    def forget(self) -> None:
        for seen in (self.aliceSees, self.bobSees, self.carolSees):
            seen.take()

    def loggedIn(self, member: Member, account: str) -> None:
        """Bind C{member} to an account (as a login would) without noise."""
        self.chat.registered(account)
        self.successResultOf(self.chat.bindAccount(member, account))
        self.forget()

    def rankOf(self, member: Member, room: str = "#room") -> Rank:
        return self.chat.roomOf(member, room).members[member].rank

    def say(self, member: Member, text: str, room: str = "#room") -> None:
        self.successResultOf(self.chat.say(member, room, text))


class RankTests(ModerationTestCase):
    def test_creatorOperates(self) -> None:
        """Whoever makes a room operates it; those who come later do not."""
        self.assertEqual(self.rankOf(self.alice), Rank.OPERATOR)
        self.assertEqual(self.rankOf(self.bob), Rank.MEMBER)
        self.assertEqual(
            self.chat.membersOf("#room").ranks,
            (Rank.OPERATOR, Rank.MEMBER, Rank.MEMBER),
        )

    def test_lobbyHasNoCreator(self) -> None:
        """The lobby always exists: nobody operates it by coming first."""
        self.chat.join(self.alice, LOBBY)
        self.assertEqual(self.rankOf(self.alice, LOBBY), Rank.MEMBER)

    def test_emptiedRoomIsMadeAgain(self) -> None:
        """The first to join a room everyone left makes it anew."""
        for member in (self.alice, self.bob, self.carol):
            self.chat.part(member, "#room", "")
        self.chat.join(self.carol, "#room")
        self.assertEqual(self.rankOf(self.carol), Rank.OPERATOR)

    def test_operatorGivesRanks(self) -> None:
        """An operator gives voice and operator, and the room is told."""
        self.moderation.setRank(self.alice, "#room", "BOB", Rank.VOICE)
        self.assertEqual(self.rankOf(self.bob), Rank.VOICE)
        self.assertEqual(
            self.carolSees.take(), [RankChanged("#room", "bob", "voice", "alice", NOW)]
        )
        self.moderation.setRank(self.alice, "#room", "carol", Rank.OPERATOR)
        self.moderation.setRank(self.carol, "#room", "bob", Rank.MEMBER)
        self.assertEqual(self.rankOf(self.bob), Rank.MEMBER)

    def test_membersGiveNoRanks(self) -> None:
        """A member may not give itself or others a rank."""
        for rank in (Rank.VOICE, Rank.OPERATOR, Rank.FOUNDER):
            self.assertRaises(
                NotOperator, self.moderation.setRank, self.bob, "#room", "bob", rank
            )
        self.assertEqual(self.rankOf(self.bob), Rank.MEMBER)

    def test_rankOfSomeoneElsewhere(self) -> None:
        """A rank is given only to a member of the room."""
        dave, _ = self.member("dave")
        self.assertRaises(
            NotInRoom, self.moderation.setRank, self.alice, "#room", "dave", Rank.VOICE
        )
        self.assertRaises(
            NoSuchRoom, self.moderation.setRank, self.alice, "#none", "bob", Rank.VOICE
        )
        del dave

    def test_guestRankLastsWhileThere(self) -> None:
        """A guest's rank goes with it: rejoining, it is a member again."""
        self.moderation.setRank(self.alice, "#room", "bob", Rank.OPERATOR)
        self.chat.part(self.bob, "#room", "")
        self.chat.join(self.bob, "#room")
        self.assertEqual(self.rankOf(self.bob), Rank.MEMBER)


class FoundingTests(ModerationTestCase):
    def test_claim(self) -> None:
        """
        A logged-in operator claims the room and founds it; the ranks that
        accounts hold are kept, and given back when they come again.
        """
        self.loggedIn(self.alice, "alice")
        self.loggedIn(self.bob, "bob")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.VOICE)
        self.moderation.claim(self.alice, "#room")
        self.assertEqual(self.rankOf(self.alice), Rank.FOUNDER)
        self.assertEqual(
            self.store.ranks["#room"], {"alice": Rank.FOUNDER, "bob": Rank.VOICE}
        )
        self.chat.part(self.bob, "#room", "")
        self.chat.join(self.bob, "#room")
        self.assertEqual(self.rankOf(self.bob), Rank.VOICE)

    def test_claimNeedsAccountAndRank(self) -> None:
        """Only a logged-in operator claims, and only a room nobody founded."""
        self.assertRaises(NotLoggedIn, self.moderation.claim, self.alice, "#room")
        self.loggedIn(self.bob, "bob")
        self.assertRaises(NotOperator, self.moderation.claim, self.bob, "#room")
        self.loggedIn(self.alice, "alice")
        self.moderation.claim(self.alice, "#room")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.OPERATOR)
        self.assertRaises(AlreadyClaimed, self.moderation.claim, self.bob, "#room")

    def test_foundedRoomKeepsItsOrder(self) -> None:
        """
        A founded room left empty keeps its settings and bans, and its
        founder gets the rank back on joining; the first to come does not
        become an operator.
        """
        self.loggedIn(self.alice, "alice")
        self.moderation.claim(self.alice, "#room")
        self.moderation.setModes(self.alice, "#room", parseModes("+m", []))
        self.moderation.ban(self.alice, "#room", BAN, "troll*")
        for member in (self.alice, self.bob, self.carol):
            self.chat.part(member, "#room", "")
        self.chat.join(self.carol, "#room")
        self.assertEqual(self.rankOf(self.carol), Rank.MEMBER)
        self.assertTrue(self.chat.roomOf(self.carol, "#room").settings.moderated)
        self.chat.join(self.alice, "#room")
        self.assertEqual(self.rankOf(self.alice), Rank.FOUNDER)
        self.assertEqual(list(self.store.bans["#room"]), [(BAN, "troll*!*@*")])

    def test_unfoundedRoomStartsAfresh(self) -> None:
        """A room nobody founded forgets its modes and bans when it empties."""
        self.moderation.setModes(self.alice, "#room", parseModes("+mi", []))
        self.moderation.ban(self.alice, "#room", BAN, "troll*")
        for member in (self.alice, self.bob, self.carol):
            self.chat.part(member, "#room", "")
        troll, _ = self.member("troll1")
        room = self.chat.join(troll, "#room")
        self.assertEqual((room.settings, room.bans), (RoomSettings(), {}))

    def test_loginGivesTheAccountsRank(self) -> None:
        """Logging in while in a founded room gives the account's rank there."""
        self.loggedIn(self.alice, "alice")
        self.loggedIn(self.bob, "bob")
        self.moderation.claim(self.alice, "#room")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.OPERATOR)
        self.chat.quit(self.bob, "")
        again, seen = self.member("guest42")
        self.chat.join(again, "#room")
        self.assertEqual(self.rankOf(again), Rank.MEMBER)
        self.successResultOf(self.chat.bindAccount(again, "bob"))
        self.assertEqual(self.rankOf(again), Rank.OPERATOR)
        self.assertIn(RankChanged("#room", "bob", "operator", "bob", NOW), seen.events)

    def test_handOver(self) -> None:
        """The founder hands the room over; it stays an operator."""
        self.loggedIn(self.alice, "alice")
        self.loggedIn(self.bob, "bob")
        self.moderation.claim(self.alice, "#room")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.OPERATOR)
        self.assertRaises(
            NotOperator, self.moderation.setRank, self.bob, "#room", "bob", Rank.FOUNDER
        )
        self.assertRaises(
            NotLoggedIn,
            self.moderation.setRank,
            self.alice,
            "#room",
            "carol",
            Rank.FOUNDER,
        )
        self.moderation.setRank(self.alice, "#room", "bob", Rank.FOUNDER)
        self.assertEqual(
            (self.rankOf(self.alice), self.rankOf(self.bob)),
            (Rank.OPERATOR, Rank.FOUNDER),
        )
        self.assertEqual(
            self.store.ranks["#room"], {"alice": Rank.OPERATOR, "bob": Rank.FOUNDER}
        )

    def test_unclaim(self) -> None:
        """The founder gives the room up: nothing is kept any more."""
        self.loggedIn(self.alice, "alice")
        self.moderation.claim(self.alice, "#room")
        self.moderation.unclaim(self.alice, "#room")
        self.assertFalse(self.chat.roomOf(self.alice, "#room").founded)
        self.assertEqual(self.rankOf(self.alice), Rank.OPERATOR)
        self.assertNotIn("#room", self.store.ranks)


class SettingsTests(ModerationTestCase):
    def setModes(self, actor: Member, modes: str, *arguments: str) -> None:
        self.moderation.setModes(actor, "#room", parseModes(modes, list(arguments)))

    def test_topicLockedByDefault(self) -> None:
        """Only operators set a room's topic, unless it is unlocked (-t)."""
        self.assertRaises(NotOperator, self.chat.setTopic, self.bob, "#room", "mine")
        self.successResultOf(self.chat.setTopic(self.alice, "#room", "plans"))
        self.setModes(self.alice, "-t")
        self.successResultOf(self.chat.setTopic(self.bob, "#room", "mine"))

    def test_modesTold(self) -> None:
        """A change of modes is told once to the room, in IRC's form."""
        self.setModes(self.alice, "+mk-t", "sesame")
        expected = ModesChanged("#room", "alice", NOW, "+mk-t sesame")
        self.assertEqual(self.bobSees.take(), [expected])
        self.assertEqual(
            self.moderation.modesOf(self.bob, "#room"),
            RoomModes("#room", "+mnk sesame", NOW),
        )
        dave, _ = self.member("dave")
        self.assertEqual(
            self.moderation.modesOf(dave, "#room").modes, "+mnk *", "key hidden"
        )

    def test_unchangedModesAreNotTold(self) -> None:
        """Setting what is already set tells nobody anything."""
        self.setModes(self.alice, "+tn")
        self.assertEqual(self.bobSees.take(), [])

    def test_membersChangeNoModes(self) -> None:
        self.assertRaises(NotOperator, self.setModes, self.bob, "+m")
        self.assertRaises(UnknownMode, self.setModes, self.alice, "+x")
        self.assertRaises(BadArguments, self.setModes, self.alice, "+l", "lots")
        self.assertRaises(BadArguments, self.setModes, self.alice, "+k", "a b")
        for key in ["a\x1b[2J", "\x01ACTION", "a\x00"]:
            self.assertRaises(BadArguments, self.setModes, self.alice, "+k", key)
        self.assertEqual(self.chat.roomOf(self.alice, "#room").settings, RoomSettings())

    def test_moderated(self) -> None:
        """In a moderated room only voice and above speak."""
        self.setModes(self.alice, "+m")
        self.assertRaises(Moderated, self.chat.say, self.bob, "#room", "hi")
        self.setModes(self.alice, "+v", "bob")
        self.say(self.bob, "now I may")
        self.say(self.alice, "and I")
        self.assertRaises(Moderated, self.chat.notice, self.carol, "#room", "hi")

    def test_inviteOnly(self) -> None:
        """
        An invite-only room takes only those invited, once each; an
        invitation lasts until used.
        """
        self.setModes(self.alice, "+i")
        self.forget()
        dave, daveSees = self.member("dave")
        self.assertRaises(InviteOnly, self.chat.join, dave, "#room")
        self.assertRaises(NotOperator, self.moderation.invite, self.bob, "#room", dave)
        self.moderation.invite(self.alice, "#room", dave)
        invited = Invited("#room", "dave", "alice", NOW)
        self.assertEqual(daveSees.take(), [invited])
        self.assertEqual(self.aliceSees.take(), [invited])
        self.assertEqual(self.moderation.invitations(self.alice, "#room"), ["dave"])
        self.chat.join(dave, "#room")
        self.chat.part(dave, "#room", "")
        self.assertRaises(InviteOnly, self.chat.join, dave, "#room")

    def test_invitationLapsesWhenTheRoomEmpties(self) -> None:
        dave, _ = self.member("dave")
        self.moderation.invite(self.alice, "#room", dave)
        self.assertRaises(
            AlreadyInRoom, self.moderation.invite, self.alice, "#room", self.bob
        )
        for member in (self.alice, self.bob, self.carol):
            self.chat.part(member, "#room", "")
        self.assertEqual(self.chat.join(dave, "#room").invited, set())

    def test_keyAndLimit(self) -> None:
        """A key and a member limit hold out those without an invitation."""
        self.setModes(self.alice, "+kl", "sesame", "3")
        dave, _ = self.member("dave")
        self.assertRaises(BadKey, self.chat.join, dave, "#room")
        self.assertRaises(BadKey, self.chat.join, dave, "#room", "wrong")
        self.assertRaises(RoomFull, self.chat.join, dave, "#room", "sesame")
        self.setModes(self.alice, "-l")
        self.chat.join(dave, "#room", "sesame")
        erin, _ = self.member("erin")
        self.setModes(self.alice, "+l", "4")
        self.moderation.invite(self.alice, "#room", erin)
        self.chat.join(erin, "#room")
        self.assertEqual(len(self.chat.membersOf("#room").nicks), 5)

    def test_registeredOnly(self) -> None:
        self.setModes(self.alice, "+R")
        dave, _ = self.member("dave")
        self.assertRaises(RegisteredOnly, self.chat.join, dave, "#room")
        self.loggedIn(dave, "dave")
        self.chat.join(dave, "#room")

    def test_secret(self) -> None:
        """A secret room is listed only to its members."""
        self.setModes(self.alice, "+s")
        dave, _ = self.member("dave")
        self.assertNotIn("#room", [entry.room for entry in self.chat.listRooms(dave)])
        self.assertIn(RoomListEntry("#room", 3, ""), self.chat.listRooms(self.bob))
        self.assertRaises(NoSuchRoom, self.chat.membersOf, "#room", dave)
        self.assertRaises(NoSuchRoom, self.chat.topicOf, "#room", dave)
        self.assertEqual(len(self.chat.membersOf("#room", self.bob).nicks), 3)

    def test_outsideMessages(self) -> None:
        """
        Only members speak in a room, unless it takes messages from outside
        (-n): then the sender gets its own copy too.
        """
        dave, daveSees = self.member("dave")
        self.assertRaises(NotInRoom, self.chat.say, dave, "#room", "hi")
        self.setModes(self.alice, "-n")
        self.forget()
        self.say(dave, "hello from outside")
        message = RoomMessage("#room", 1, NOW, "dave", "hello from outside")
        self.assertEqual(self.bobSees.take(), [message])
        self.assertEqual(daveSees.take(), [message])


class BanTests(ModerationTestCase):
    def test_banPutsOutAndKeepsOut(self) -> None:
        """A ban puts out those it names and refuses them later."""
        self.moderation.ban(self.alice, "#room", BAN, "bob", reason="spam")
        self.assertNotIn(self.bob, self.chat.roomOf(self.alice, "#room").members)
        self.assertEqual(
            self.carolSees.take(),
            [
                BanChanged("#room", "alice", NOW, BAN, "bob!*@*", True, None, "spam"),
                Kicked("#room", "bob", "alice", NOW, "Banned: spam"),
            ],
        )
        error = self.assertRaises(Banned, self.chat.join, self.bob, "#room")
        self.assertEqual(error.message, "You are banned from #room: spam.")

    def test_masks(self) -> None:
        """Bans name nicks by pattern, addresses and ranges, and accounts."""
        self.loggedIn(self.carol, "carol")
        self.moderation.ban(self.alice, "#room", BAN, "192.168.0.0/16")
        self.assertNotIn(self.carol, self.chat.roomOf(self.alice, "#room").members)
        self.moderation.unban(self.alice, "#room", BAN, "*!*@192.168.0.0/16")
        self.moderation.ban(self.alice, "#room", BAN, "account:Carol")
        self.assertRaises(Banned, self.chat.join, self.carol, "#room")
        renamed, _ = self.member("bobby", "192.168.1.9")
        self.chat.join(renamed, "#room")

    def test_operatorsAreNotPutOut(self) -> None:
        """A ban that names an operator or the one banning puts neither out."""
        self.moderation.setRank(self.alice, "#room", "bob", Rank.OPERATOR)
        self.moderation.ban(self.alice, "#room", BAN, "*")
        room = self.chat.roomOf(self.alice, "#room")
        self.assertEqual(list(room.members), [self.alice, self.bob])

    def test_demotedIntoABan(self) -> None:
        """An operator a ban names is put out when it loses its rank."""
        self.moderation.setRank(self.alice, "#room", "bob", Rank.OPERATOR)
        self.moderation.ban(self.alice, "#room", BAN, "bob")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.VOICE)
        self.assertNotIn(self.bob, self.chat.roomOf(self.alice, "#room").members)

    def test_noNickAroundABan(self) -> None:
        """A member may not take a nick its room bans (IRC's 435)."""
        self.moderation.ban(self.alice, "#room", BAN, "troll*")
        self.assertRaises(Banned, self.chat.changeNick, self.bob, "troll")
        self.assertEqual(self.bob.nick, "bob")
        self.chat.changeNick(self.alice, "trollish")

    def test_loggingInIntoABan(self) -> None:
        """Logging in to an account a room bans puts the member out of it."""
        self.moderation.ban(self.alice, "#room", BAN, "account:carol")
        self.loggedIn(self.carol, "carol")
        self.assertNotIn(self.carol, self.chat.roomOf(self.alice, "#room").members)

    def test_expiry(self) -> None:
        """A ban for a while lapses: joining works, and the list drops it."""
        self.moderation.ban(self.alice, "#room", BAN, "bob", duration=600)
        self.clock.advance(599)
        self.assertRaises(Banned, self.chat.join, self.bob, "#room")
        self.clock.advance(1)
        self.chat.join(self.bob, "#room")
        self.moderation.listBans(self.alice, "#room", BAN)
        self.assertEqual(self.aliceSees.events[-1], BanListEnd("#room", BAN, 0))

    def test_mute(self) -> None:
        """A muted member reads but does not speak, until unmuted or voiced."""
        self.moderation.ban(self.alice, "#room", MUTE, "bob", reason="calm down")
        self.assertIn(self.bob, self.chat.roomOf(self.bob, "#room").members)
        error = self.assertRaises(Muted, self.chat.say, self.bob, "#room", "x")
        self.assertEqual(error.message, "You are muted in #room: calm down.")
        self.say(self.carol, "I still may")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.VOICE)
        self.say(self.bob, "voiced")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.MEMBER)
        self.moderation.unban(self.alice, "#room", MUTE, "bob")
        self.say(self.bob, "free")
        self.assertFalse(self.chat.roomOf(self.bob, "#room").restricted)

    def test_muteByModeString(self) -> None:
        """IRC's m: extban in a b change mutes."""
        self.moderation.setModes(self.alice, "#room", parseModes("+b", ["m:bob"]))
        self.assertRaises(Muted, self.chat.say, self.bob, "#room", "x")

    def test_listShownToOperators(self) -> None:
        self.moderation.ban(self.alice, "#room", BAN, "troll!*@*", 60, "no")
        self.moderation.ban(self.alice, "#room", MUTE, "loud*")
        self.assertRaises(NotOperator, self.moderation.listBans, self.bob, "#room", BAN)
        self.aliceSees.take()
        self.moderation.listBans(self.alice, "#room", BAN)
        self.assertEqual(
            self.aliceSees.take(),
            [
                BanListEntry(
                    "#room", BAN, "troll!*@*", "alice", NOW, NOW + 60_000, "no"
                ),
                BanListEnd("#room", BAN, 1),
            ],
        )

    def test_bounded(self) -> None:
        """A room keeps at most BAN_LIST_MAX bans and mutes."""
        for n in range(BAN_LIST_MAX):
            self.moderation.ban(self.alice, "#room", BAN, f"troll{n}")
        self.assertRaises(
            ListFull, self.moderation.ban, self.alice, "#room", MUTE, "one-more"
        )
        self.moderation.ban(self.alice, "#room", BAN, "troll0", reason="again")

    def test_membersDoNotBan(self) -> None:
        self.assertRaises(
            NotOperator, self.moderation.ban, self.bob, "#room", BAN, "c*"
        )
        self.assertRaises(
            BadArguments, self.moderation.unban, self.alice, "#room", BAN, "nobody"
        )


class KickTests(ModerationTestCase):
    def test_kick(self) -> None:
        """An operator puts a member out; the room, the kicked one included,
        is told why."""
        self.moderation.kick(self.alice, "#room", "bob", "enough")
        kicked = Kicked("#room", "bob", "alice", NOW, "enough")
        self.assertIn(kicked, self.bobSees.events)
        self.assertEqual(self.carolSees.take(), [kicked])
        self.assertNotIn("#room", {fold for fold in self.bob.rooms})

    def test_kickNeedsRank(self) -> None:
        self.assertRaises(
            NotOperator, self.moderation.kick, self.bob, "#room", "carol", ""
        )
        self.loggedIn(self.alice, "alice")
        self.moderation.claim(self.alice, "#room")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.OPERATOR)
        self.assertRaises(
            NotOperator, self.moderation.kick, self.bob, "#room", "alice", ""
        )
        self.assertRaises(NotInRoom, self.moderation.kick, self.bob, "#room", "zed", "")


class HolesTests(ModerationTestCase):
    """What an outside attack on moderation found, each mended."""

    def test_limitInOtherDigits(self) -> None:
        """A limit in digits other than ASCII is refused, not a crash."""
        for limit in ["²", "١٢", "０５"]:
            self.assertRaises(
                BadArguments,
                self.moderation.setModes,
                self.alice,
                "#room",
                parseModes("+l", [limit]),
            )

    def test_masksReadBack(self) -> None:
        """
        A mask whose canonical text could not be read back (too long, a
        zoned address) is refused; a stored one that cannot names nobody
        rather than locking the room.
        """
        from twisted_chat.chat.errors import BadMask
        from twisted_chat.chat.modes import Ban

        for mask in ["fe80::1%eth0", "q" * 100]:
            self.assertRaises(
                BadMask, self.moderation.ban, self.alice, "#room", MUTE, mask
            )
        room = self.chat.roomOf(self.alice, "#room")
        room.bans[MUTE, "*!*@fe80::1%eth0/128"] = Ban(
            "*!*@fe80::1%eth0/128", MUTE, "x", 0
        )
        room.restricted = True
        self.say(self.bob, "still heard")

    def test_noNickAroundAMute(self) -> None:
        """A muted member may not change its nick to speak again."""
        self.moderation.ban(self.alice, "#room", MUTE, "bob")
        self.assertRaises(Banned, self.chat.changeNick, self.bob, "bob2")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.VOICE)
        self.chat.changeNick(self.bob, "bob2")

    def test_noNickIntoAMute(self) -> None:
        """
        A member may not take a nick muted in one of its rooms: muted under
        it, it could not change back (found by the moderation state machine).
        """
        self.moderation.ban(self.alice, "#room", MUTE, "zed")
        error = self.assertRaises(Banned, self.chat.changeNick, self.bob, "zed")
        self.assertIn("that nick is muted there", str(error))
        self.assertEqual(self.bob.nick, "bob")
        self.moderation.setRank(self.alice, "#room", "bob", Rank.VOICE)
        self.chat.changeNick(self.bob, "zed")

    def test_bannedOutsiderIsNotHeard(self) -> None:
        """In a room taking messages from outside, a ban still silences."""
        self.moderation.setModes(self.alice, "#room", parseModes("-n", []))
        self.moderation.ban(self.alice, "#room", BAN, "bob")
        self.assertRaises(Banned, self.chat.say, self.bob, "#room", "hi from outside")

    def test_takingTheFoundersRankUnfounds(self) -> None:
        """Taking the founder's rank leaves nothing of the room kept."""
        self.loggedIn(self.alice, "alice")
        self.moderation.claim(self.alice, "#room")
        self.moderation.setModes(self.alice, "#room", parseModes("+m", []))
        self.moderation.setModes(self.alice, "#room", parseModes("-q", ["alice"]))
        self.assertFalse(self.chat.roomOf(self.alice, "#room").founded)
        self.assertNotIn("#room", self.store.ranks)
        self.assertNotIn("#room", self.store.settings)

    def test_mappedAddresses(self) -> None:
        """IPv4-mapped IPv6 masks and members are taken as IPv4."""
        from twisted_chat.chat.masks import parseMask

        mapped = parseMask("::ffff:10.0.0.0/104")
        self.assertEqual(mapped.text, "*!*@10.0.0.0/8")
        self.assertTrue(mapped.matches(self.alice))
        dual, _ = self.member("dual", "::ffff:10.0.0.5")
        self.assertTrue(parseMask("*!*@10.0.0.*").matches(dual))

    def test_anotherAccountsRank(self) -> None:
        """A founder logging in to another account holds only that one's rank."""
        self.loggedIn(self.alice, "alice")
        self.moderation.claim(self.alice, "#room")
        self.loggedIn(self.alice, "bob")
        self.assertEqual(self.rankOf(self.alice), Rank.MEMBER)

    def test_secretModes(self) -> None:
        """A secret room's modes are as hidden as its members."""
        self.moderation.setModes(self.alice, "#room", parseModes("+s", []))
        dave, _ = self.member("dave")
        self.assertRaises(NoSuchRoom, self.moderation.modesOf, dave, "#room")

    def test_mutedSetsNoTopic(self) -> None:
        """With the topic unlocked, a muted member still may not set it."""
        self.moderation.setModes(self.alice, "#room", parseModes("-t", []))
        self.moderation.ban(self.alice, "#room", MUTE, "bob")
        self.assertRaises(Muted, self.chat.setTopic, self.bob, "#room", "mine")
        self.successResultOf(self.chat.setTopic(self.carol, "#room", "ours"))
