"""
Tests for L{twisted_chat.wire.line} and L{twisted_chat.wire.linetypes}:
parsing typed lines, and the server line format in both directions.
"""

import contextlib
from dataclasses import fields

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat import events, orderevents
from twisted_chat.chat.commands import (
    COMMANDS,
    Act,
    Help,
    Join,
    Kick,
    ListRooms,
    Message,
    Part,
    Pong,
    QuitCommand,
    Resume,
    Say,
    SetNick,
    Topic,
    Who,
)
from twisted_chat.chat.errors import (
    BadArguments,
    ChatError,
    ForbiddenCharacter,
    InvalidEncoding,
    UnknownCommand,
    UnknownMode,
)
from twisted_chat.chat.moderationcommands import (
    AddBan,
    Announce,
    Audit,
    Claim,
    Handover,
    Invite,
    Kill,
    LiftBan,
    ListBans,
    Mode,
    Oper,
    ServerBan,
    ServerBans,
    ServerUnban,
    SetRank,
    Suspend,
    Unclaim,
)
from twisted_chat.chat.modes import BAN, MUTE, ModeChange
from twisted_chat.wire import codecs, linetypes
from twisted_chat.wire import line as wire


class ParseCommandTests(SynchronousTestCase):
    def test_plainText(self) -> None:
        """A line not starting with / is said in the current room, as typed."""
        self.assertEqual(wire.parseCommand(b"hello  there "), Say("hello  there "))

    def test_doubleSlash(self) -> None:
        """//text says text that starts with a slash."""
        self.assertEqual(wire.parseCommand(b"//etc/passwd"), Say("/etc/passwd"))

    def test_bye(self) -> None:
        """A line that is exactly bye quits, as in the seed; other lines do not."""
        self.assertEqual(wire.parseCommand(b"bye"), QuitCommand("bye"))
        self.assertEqual(wire.parseCommand(b"bye now"), Say("bye now"))
        self.assertEqual(wire.parseCommand(b"Bye"), Say("Bye"))

    def test_blankLines(self) -> None:
        """Empty and blank lines are ignored."""
        self.assertIsNone(wire.parseCommand(b""))
        self.assertIsNone(wire.parseCommand(b"  \t "))

    def test_utf8(self) -> None:
        """Text is UTF-8."""
        self.assertEqual(wire.parseCommand("héllo ☃".encode()), Say("héllo ☃"))

    def test_invalidUtf8(self) -> None:
        """Invalid UTF-8 is refused with invalid-utf8."""
        error = self.assertRaises(InvalidEncoding, wire.parseCommand, b"caf\xe9")
        self.assertEqual(error.code, "invalid-utf8")

    def test_nulAndBareCr(self) -> None:
        """NUL and a CR inside a line are refused."""
        self.assertRaises(ForbiddenCharacter, wire.parseCommand, b"a\0b")
        self.assertRaises(ForbiddenCharacter, wire.parseCommand, b"a\rb")

    def test_unknownCommand(self) -> None:
        """An unknown command is refused with a pointer to /help."""
        error = self.assertRaises(UnknownCommand, wire.parseCommand, b"/frobnicate x")
        self.assertIn("/help", error.message)

    def test_commandNamesIgnoreCase(self) -> None:
        """/JOIN is /join."""
        self.assertEqual(wire.parseCommand(b"/JOIN #a"), Join("#a"))

    def test_commands(self) -> None:
        """Each command's arguments are read as documented."""
        cases = {
            b"/nick alice": SetNick("alice"),
            b"/join #dev": Join("#dev"),
            b"/join dev": Join("#dev"),
            b"/part": Part(None, ""),
            b"/part #dev": Part("#dev", ""),
            b"/part #dev gone fishing": Part("#dev", "gone fishing"),
            b"/part gone fishing": Part(None, "gone fishing"),
            b"/msg bob hi there": Message("bob", "hi there"),
            b"/msg #dev hi": Message("#dev", "hi"),
            b"/me waves": Act("waves"),
            b"/who": Who(None),
            b"/who #dev": Who("#dev"),
            b"/who dev": Who("#dev"),
            b"/rooms": ListRooms(),
            b"/topic": Topic(None, None),
            b"/topic #dev": Topic("#dev", None),
            b"/topic #dev new topic": Topic("#dev", "new topic"),
            b"/topic new topic": Topic(None, "new topic"),
            b"/quit": QuitCommand(wire.DEFAULT_QUIT_REASON),
            b"/quit see you": QuitCommand("see you"),
            b"/help": Help(None),
            b"/help /join": Help("/join"),
            b"/pong": Pong(None),
            b"/pong 1764094803": Pong("1764094803"),
            b"/join #dev sesame": Join("#dev", "sesame"),
            b"/resume #dev 7": Resume("#dev", 7),
            b"/resume dev 7 sesame": Resume("#dev", 7, "sesame"),
        }
        for line, command in cases.items():
            self.assertEqual(wire.parseCommand(line), command, line)

    def test_badArguments(self) -> None:
        """Missing or extra arguments get the command's usage."""
        for line in [
            b"/nick",
            b"/nick a b",
            b"/join",
            b"/msg bob",
            b"/msg",
            b"/me",
            b"/who #a #b",
            b"/rooms x",
            b"/help a b",
            b"/join #a key more",
        ]:
            error = self.assertRaises(BadArguments, wire.parseCommand, line)
            name = line.split()[0][1:].decode()
            self.assertIn(COMMANDS[name].usage, error.message)

    @given(st.binary(max_size=200))
    def test_anyBytes(self, line: bytes) -> None:
        """Parsing arbitrary bytes gives a command, None or a ChatError."""
        with contextlib.suppress(ChatError):
            wire.parseCommand(line)

    @given(st.text(max_size=100))
    def test_anyTextIsSaid(self, text: str) -> None:
        """Any text without a leading slash or line ending is said as it is."""
        # The slash is looked for once the line endings are gone: "\r/" is
        # a command then.
        text = text.replace("\r", "").replace("\n", "").replace("\0", "")
        if text.strip() and text != "bye" and not text.startswith("/"):
            self.assertEqual(wire.parseCommand(text.encode()), Say(text))


class ParseModerationTests(SynchronousTestCase):
    """The commands that keep order, read as docs/PROTOCOL.md shows them."""

    def test_commands(self) -> None:
        """Each command's arguments are read as documented."""
        day = 86400
        cases = {
            b"/op bob": SetRank(None, "bob", "o", True),
            b"/op #dev bob": SetRank("#dev", "bob", "o", True),
            b"/deop bob": SetRank(None, "bob", "o", False),
            b"/voice #dev bob": SetRank("#dev", "bob", "v", True),
            b"/devoice bob": SetRank(None, "bob", "v", False),
            b"/handover #dev bob": Handover("#dev", "bob"),
            b"/kick bob": Kick(None, "bob", ""),
            b"/kick bob be nice": Kick(None, "bob", "be nice"),
            b"/kick #dev bob be  nice ": Kick("#dev", "bob", "be  nice"),
            b"/ban troll*": AddBan(BAN, None, "troll*", None, ""),
            b"/ban #dev troll* 30s": AddBan(BAN, "#dev", "troll*", 30, ""),
            b"/ban troll* 10m spam": AddBan(BAN, None, "troll*", 600, "spam"),
            b"/ban troll* 2h": AddBan(BAN, None, "troll*", 7200, ""),
            b"/mute #dev account:bob 7d flooding again": AddBan(
                MUTE, "#dev", "account:bob", 7 * day, "flooding again"
            ),
            b"/mute bob days 7": AddBan(MUTE, None, "bob", None, "days 7"),
            b"/ban bob 3650d": AddBan(BAN, None, "bob", 3650 * day, ""),
            b"/unban troll*": LiftBan(BAN, None, "troll*"),
            b"/unmute #dev bob": LiftBan(MUTE, "#dev", "bob"),
            b"/bans": ListBans(None),
            b"/bans #dev": ListBans("#dev"),
            b"/invite bob": Invite("bob", None),
            b"/invite bob dev": Invite("bob", "#dev"),
            b"/mode": Mode(None, ()),
            b"/mode #dev": Mode("#dev", ()),
            b"/mode +m": Mode(None, (ModeChange("m", True),)),
            b"/mode #dev +mk-i sesame": Mode(
                "#dev",
                (
                    ModeChange("m", True),
                    ModeChange("k", True, "sesame"),
                    ModeChange("i", False),
                ),
            ),
            b"/mode -l+o bob": Mode(
                None, (ModeChange("l", False), ModeChange("o", True, "bob"))
            ),
            b"/mode +b": Mode(None, (ModeChange("b", True),)),
            b"/mode #dev +b m:troll*": Mode(
                "#dev", (ModeChange("b", True, "m:troll*"),)
            ),
            b"/claim": Claim(None),
            b"/claim #dev": Claim("#dev"),
            b"/unclaim #dev": Unclaim("#dev"),
            b"/audit": Audit(None, None),
            b"/audit #dev": Audit("#dev", None),
            b"/audit before 17": Audit(None, 17),
            b"/audit #dev BEFORE 17": Audit("#dev", 17),
            b"/kill bob": Kill("bob", ""),
            b"/kill bob go away": Kill("bob", "go away"),
            b"/suspend bob": Suspend("bob", True, ""),
            b"/suspend bob spam bot": Suspend("bob", True, "spam bot"),
            b"/unsuspend bob": Suspend("bob", False, ""),
            b"/sban 10.0.0.0/8": ServerBan("10.0.0.0/8", None, ""),
            b"/sban 10.0.0.7 1d spam": ServerBan("10.0.0.7", day, "spam"),
            b"/unsban 10.0.0.0/8": ServerUnban("10.0.0.0/8"),
            b"/sbans": ServerBans(),
            b"/announce restart at noon": Announce("restart at noon"),
            b"/oper bob": Oper("bob", True),
            b"/deoper bob": Oper("bob", False),
        }
        for line, command in cases.items():
            self.assertEqual(wire.parseCommand(line), command, line)

    def test_badDurations(self) -> None:
        """
        A word meant as a duration that is not one is refused, not taken as
        the reason of a ban for good.
        """
        for line in [
            b"/mute bob 7 days",
            b"/ban bob 0s",
            b"/ban bob -1s",
            b"/ban bob 1.5h",
            b"/ban bob 10M",
            b"/ban bob 1w spam",
            b"/ban bob 99999999999999999999d",
        ]:
            error = self.assertRaises(BadArguments, wire.parseCommand, line)
            self.assertIn("is no duration", error.message, line)

    def test_badArguments(self) -> None:
        """Missing or extra arguments get the command's usage."""
        for line in [
            b"/op",
            b"/op #dev",
            b"/op #dev bob carol",
            b"/handover",
            b"/kick",
            b"/kick #dev",
            b"/ban",
            b"/ban #dev",
            b"/unban",
            b"/unmute #dev a b",
            b"/bans #dev more",
            b"/invite",
            b"/invite bob #dev more",
            b"/mode #dev m",
            b"/mode bob",
            b"/claim #dev more",
            b"/audit before",
            b"/audit after 3",
            b"/audit before x",
            b"/kill",
            b"/suspend",
            b"/unsuspend bob why",
            b"/sban",
            b"/unsban",
            b"/unsban a b",
            b"/sbans x",
            b"/announce",
            b"/oper",
            b"/deoper a b",
        ]:
            error = self.assertRaises(BadArguments, wire.parseCommand, line)
            name = line.split()[0][1:].decode()
            self.assertIn(COMMANDS[name].usage, error.message, line)

    def test_modeErrors(self) -> None:
        """
        A mode this server does not have, or one missing its argument, is
        refused as the core's modes are read (L{parseModes}).
        """
        error = self.assertRaises(UnknownMode, wire.parseCommand, b"/mode +X")
        self.assertEqual(error.code, "unknown-mode")
        error = self.assertRaises(BadArguments, wire.parseCommand, b"/mode +k")
        self.assertEqual(error.message, "Mode +k needs an argument.")

    def test_durationTooLong(self) -> None:
        """A ban for more than ten years is refused: leave it out for good."""
        error = self.assertRaises(
            BadArguments, wire.parseCommand, b"/ban bob 3651d spam"
        )
        self.assertIn("3650d", error.message)

    def test_everyCommandHasAParser(self) -> None:
        """Every command /help explains can be typed."""
        for name in COMMANDS:
            try:
                wire.parseCommand(f"/{name}".encode())
            except UnknownCommand:
                self.fail(name)
            except ChatError:
                pass


class EncodeInputTests(SynchronousTestCase):
    def test_encode(self) -> None:
        """A typed line is sent as UTF-8 with CRLF."""
        self.assertEqual(wire.encodeInput("héllo"), "héllo\r\n".encode())

    def test_lineEndings(self) -> None:
        """A line ending inside a typed line is a bug, not something to send."""
        self.assertRaises(ValueError, wire.encodeInput, "a\nb")
        self.assertRaises(ValueError, wire.encodeInput, "a\rb")


def allEventTypes() -> set[type[events.Event]]:
    """
    Every concrete event class of L{twisted_chat.chat.events} and
    L{twisted_chat.chat.orderevents}.
    """
    return {
        value
        for module in (events, orderevents)
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, events.Event)
        and value is not events.Event
    }


T = 1_764_094_803_456  # 2025-11-25T18:20:03.456Z


class FormatEventTests(SynchronousTestCase):
    """The exact bytes of each server line, as docs/PROTOCOL.md shows them."""

    def test_examples(self) -> None:
        """Each event becomes the documented line."""
        stamp = "2025-11-25T18:20:03.456Z"
        cases: list[tuple[events.Event, str]] = [
            (events.Welcome("guest1", "Hi!"), "WELCOME guest1 :Hi!"),
            (events.Notice("trailing space "), "NOTICE :trailing space "),
            (
                events.UserNotice("#dev", T, "bot", "green"),
                f"USERNOTICE #dev {stamp} bot :green",
            ),
            (events.NickChanged("a", "b", T), f"NICK a b {stamp}"),
            (events.Joined("#lobby", "a", T), f"JOIN #lobby a {stamp}"),
            (events.Parted("#lobby", "a", T, ""), f"PART #lobby a {stamp} :"),
            (events.Quit("a", T, "bye"), f"QUIT a {stamp} :bye"),
            (
                events.RoomMessage("#lobby", 7, T, "a", "hi: there"),
                f"MSG #lobby 7 {stamp} a :hi: there",
            ),
            (
                events.RoomMessage("#lobby", 8, T, "a", "waves", action=True),
                f"ACTION #lobby 8 {stamp} a :waves",
            ),
            (
                events.RoomMessage("#lobby", 5, T, "a", "old", history=True),
                f"HISTORY #lobby 5 {stamp} a :old",
            ),
            (
                events.RoomMessage(
                    "#lobby", 6, T, "a", "nods", action=True, history=True
                ),
                f"HISTORYACTION #lobby 6 {stamp} a :nods",
            ),
            (events.HistoryGap("#lobby", 1, 4), "GAP #lobby 1 4"),
            (
                events.HistoryEnd("#lobby", 2, 8, "resume"),
                "ENDHISTORY #lobby 2 8 resume",
            ),
            (events.PrivateMessage("a", "b", T, "psst"), f"PRIVMSG a b {stamp} :psst"),
            (
                events.PrivateMessage("a", "b", T, "later", offline=True),
                f"OFFLINEMSG a b {stamp} :later",
            ),
            (events.AccountInfo("Bob", "Hi Bob."), "ACCOUNT Bob :Hi Bob."),
            (events.TopicChanged("#x", T, "a", "t"), f"TOPIC #x {stamp} a :t"),
            (events.TopicInfo("#x", "a", T, "t"), f"TOPICINFO #x {stamp} a :t"),
            (events.TopicInfo("#x", None, None, ""), "TOPICINFO #x * * :"),
            (events.MemberList("#x", ("a", "b"), (0, 0)), "MEMBERS #x :a b"),
            (
                events.MemberList("#x", ("q", "a", "b", "c"), (3, 2, 1, 0)),
                "MEMBERS #x :~q @a +b c",
            ),
            (events.MemberList("#x", ()), "MEMBERS #x :"),
            (events.RoomListEntry("#x", 3, "t t"), "ROOM #x 3 :t t"),
            (events.RoomListEnd(1), "ENDROOMS 1"),
            (events.CurrentRoom("#x"), "CURRENT #x"),
            (events.CurrentRoom(None), "CURRENT *"),
            (events.HelpText("  /x"), "HELP :  /x"),
            (events.Notice(""), "NOTICE :"),
            (events.ErrorReply("bad-nick", "No."), "ERROR bad-nick :No."),
            (events.Goodbye("quit", "bye"), "BYE quit :bye"),
            (events.Goodbye("shutdown", "later"), "BYE shutdown :later"),
            (events.Ping("1764094803"), "PING 1764094803"),
            (
                orderevents.RankChanged("#x", "b", "operator", "a", T),
                f"RANK #x b operator a {stamp} member",
            ),
            (
                orderevents.ModesChanged("#x", "a", T, "+mk secret"),
                f"MODE #x {stamp} a :+mk secret",
            ),
            (orderevents.RoomModes("#x", "+nt", T), f"MODEINFO #x {stamp} :+nt"),
            (
                orderevents.Kicked("#x", "b", "a", T, "be nice"),
                f"KICK #x b a {stamp} :be nice",
            ),
            (
                orderevents.BanChanged("#x", "a", T, "mute", "b!*@*", True, T, "spam"),
                f"BAN #x {stamp} a mute b!*@* {stamp} :spam",
            ),
            (
                orderevents.BanChanged(
                    "*", "a", T, "ban", "*!*@::1/128", False, None, ""
                ),
                f"UNBAN * {stamp} a ban *!*@::1/128 * :",
            ),
            (
                orderevents.BanListEntry("#x", "ban", "b!*@*", "a", T, None, "spam"),
                f"BANLIST #x {stamp} a ban b!*@* * :spam",
            ),
            (orderevents.BanListEnd("#x", "mute", 0), "ENDBANLIST #x mute 0"),
            (orderevents.Invited("#x", "b", "a", T), f"INVITE #x b a {stamp}"),
            (
                orderevents.Announcement("server", T, "restart at noon"),
                f"ANNOUNCE server {stamp} :restart at noon",
            ),
            (
                orderevents.AuditLine(17, T, "a", "kick", "#x", "b", "be nice"),
                f"AUDIT 17 {stamp} a kick #x :b :be nice",
            ),
            (
                orderevents.AuditLine(18, T, "a", "mode", "#x", "+k secret", ""),
                f"AUDIT 18 {stamp} a mode #x :+k secret :",
            ),
            (orderevents.AuditEnd(2), "ENDAUDIT 2"),
            (
                orderevents.Statistic("store-bytes", "1048576"),
                "STATS store-bytes 1048576",
            ),
            (orderevents.Statistic("commit-p50-ms", "-"), "STATS commit-p50-ms -"),
            (orderevents.StatisticsEnd(11), "ENDSTATS 11"),
            (events.AccountChanged("a", "a", T), f"LOGGEDIN a a {stamp}"),
            (events.AwayChanged("a", T, "lunch"), f"AWAY a {stamp} :lunch"),
            (events.RealnameChanged("a", T, "A B"), f"REALNAME a {stamp} :A B"),
            (
                events.TagMessage("#x", T, "a", "+typing=active"),
                f"TAGMSG #x {stamp} a :+typing=active",
            ),
            (
                events.StatusMessage("#x", "operator", T, "a", "hi"),
                f"STATUSMSG #x operator {stamp} a :hi",
            ),
            (
                events.StatusMessage("#x", "voice", T, "a", "hi", notice=True),
                f"STATUSNOTICE #x voice {stamp} a :hi",
            ),
        ]
        for event, line in cases:
            self.assertEqual(wire.formatEvent(event), line.encode() + b"\r\n")
        self.assertEqual(
            {type(event) for event, _ in cases},
            allEventTypes(),
            "every event type has an example",
        )

    def test_epoch(self) -> None:
        """Time zero is the Unix epoch, in UTC."""
        self.assertEqual(codecs.TIME.encode(0), "1970-01-01T00:00:00.000Z")

    def test_refusesLineBreaks(self) -> None:
        """A line ending in text would split the line: refused, not sent."""
        self.assertRaises(
            linetypes.MalformedLine, wire.formatEvent, events.Notice("a\r\nQUIT x")
        )

    def test_refusesUnwritableMemberLists(self) -> None:
        """
        A member list whose ranks do not go with its nicks, or that could
        not be read back (a nick starting with a rank's prefix, a rank
        without one), is refused: it would not read back the same.
        """
        for members in [
            events.MemberList("#a", ("a", "b"), (0,)),
            events.MemberList("#a", ("a",), ()),
            events.MemberList("#a", ("@a",), (0,)),
            events.MemberList("#a", ("a",), (7,)),
        ]:
            self.assertRaises(linetypes.MalformedLine, wire.formatEvent, members)

    def test_refusesUnreadableAuditTargets(self) -> None:
        """An audit target holding C{" :"} would split differently: refused."""
        entry = orderevents.AuditLine(1, T, "a", "kick", "#x", "b :c", "")
        self.assertRaises(linetypes.MalformedLine, wire.formatEvent, entry)

    def test_refusesSpacesInNames(self) -> None:
        """A name with a space would shift the parameters: refused."""
        self.assertRaises(
            linetypes.MalformedLine, wire.formatEvent, events.Joined("#a b", "n", 0)
        )


words = st.text(
    st.characters(blacklist_characters=" \r\n\0", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=20,
).filter(lambda word: not word.startswith(":") and word != "*")
texts = st.text(
    st.characters(blacklist_characters="\r\n\0", blacklist_categories=["Cs"]),
    max_size=200,
)
times = st.integers(min_value=0, max_value=253_402_300_799_999)
counts = st.integers(min_value=0, max_value=2**63 - 1)

nicks = words.filter(lambda word: word[0] not in "~@+")
memberLists = st.builds(
    lambda room, members: events.MemberList(
        room,
        tuple(nick for nick, _ in members),
        tuple(rank for _, rank in members),
    ),
    words,
    st.lists(st.tuples(nicks, st.integers(0, 3)), max_size=10),
)
auditTargets = texts.filter(lambda text: " :" not in text)

roomMessages = st.builds(
    events.RoomMessage,
    words,
    counts,
    times,
    words,
    texts,
    st.booleans(),
    st.booleans(),
)

EVENTS = st.one_of(
    st.builds(events.Welcome, words, texts),
    st.builds(events.NickChanged, words, words, times),
    st.builds(events.Joined, words, words, times),
    st.builds(events.Parted, words, words, times, texts),
    st.builds(events.Quit, words, times, texts),
    roomMessages,
    st.builds(events.PrivateMessage, words, words, times, texts, st.booleans()),
    st.builds(events.HistoryGap, words, counts, counts),
    st.builds(events.HistoryEnd, words, counts, counts, words),
    st.builds(events.AccountInfo, words, texts),
    st.builds(events.TopicChanged, words, times, words, texts),
    st.builds(events.TopicInfo, words, st.none() | words, st.none() | times, texts),
    memberLists,
    st.builds(events.RoomListEntry, words, counts, texts),
    st.builds(events.RoomListEnd, counts),
    st.builds(events.CurrentRoom, st.none() | words),
    st.builds(events.HelpText, texts),
    st.builds(events.Notice, texts),
    st.builds(events.ErrorReply, words, texts),
    st.builds(events.Goodbye, words, texts),
    st.builds(events.Ping, words),
    st.builds(orderevents.RankChanged, words, words, words, words, times),
    st.builds(orderevents.ModesChanged, words, words, times, texts),
    st.builds(orderevents.RoomModes, words, texts, times),
    st.builds(orderevents.Kicked, words, words, words, times, texts),
    st.builds(
        orderevents.BanChanged,
        words,
        words,
        times,
        words,
        words,
        st.booleans(),
        st.none() | times,
        texts,
    ),
    st.builds(
        orderevents.BanListEntry,
        words,
        words,
        words,
        words,
        times,
        st.none() | times,
        texts,
    ),
    st.builds(orderevents.BanListEnd, words, words, counts),
    st.builds(orderevents.Invited, words, words, words, times),
    st.builds(orderevents.Announcement, words, times, texts),
    st.builds(
        orderevents.AuditLine, counts, times, words, words, words, auditTargets, texts
    ),
    st.builds(orderevents.AuditEnd, counts),
    st.builds(orderevents.Statistic, words, words),
    st.builds(orderevents.StatisticsEnd, counts),
    st.builds(events.AccountChanged, words, words, times),
    st.builds(events.AwayChanged, words, times, texts),
    st.builds(events.RealnameChanged, words, times, texts),
    st.builds(events.TagMessage, words, times, words, texts),
    st.builds(events.StatusMessage, words, words, times, words, texts, st.booleans()),
)


class ParseEventTests(SynchronousTestCase):
    @given(EVENTS)
    def test_roundTrip(self, event: events.Event) -> None:
        """Parsing a formatted event gives the same event back."""
        line = wire.formatEvent(event)
        self.assertTrue(line.endswith(b"\r\n"))
        self.assertEqual(line.count(b"\n"), 1)
        self.assertEqual(wire.parseEvent(line[:-2]), event)

    @given(roomMessages)
    def test_roomMessagesWrittenByHand(self, message: events.RoomMessage) -> None:
        """The hand-written room message formatter agrees with the table."""
        self.assertEqual(
            wire.formatEvent(message), linetypes.lineTypeOf(message).format(message)
        )

    def test_roomMessageChecked(self) -> None:
        """The hand-written formatter refuses what the table refuses."""
        for message in [
            events.RoomMessage("#a b", 1, T, "n", "t"),
            events.RoomMessage("#a", 1, T, ":n", "t"),
            events.RoomMessage("#a", 1, T, "", "t"),
            events.RoomMessage("#a", 1, T, "n", "t\r\nQUIT x"),
        ]:
            self.assertRaises(linetypes.MalformedLine, wire.formatEvent, message)

    @given(st.binary(max_size=200))
    def test_anyBytes(self, line: bytes) -> None:
        """Parsing arbitrary bytes gives an event or raises MalformedLine."""
        with contextlib.suppress(linetypes.MalformedLine):
            wire.parseEvent(line)

    def test_laterParameters(self) -> None:
        """Parameters after the known ones are ignored (a later version's)."""
        event = wire.parseEvent(b"JOIN #a bob 2025-11-25T18:20:03.456Z extra more")
        self.assertEqual(event, events.Joined("#a", "bob", T))

    def test_unknownType(self) -> None:
        """A line of an unknown type raises UnknownLineType, a MalformedLine."""
        self.assertRaises(linetypes.UnknownLineType, wire.parseEvent, b"FROB x :y")

    def test_malformed(self) -> None:
        """Missing parameters, missing text, bad counts and bad times fail."""
        for line in [
            b"JOIN #a",
            b"QUIT bob 2025-11-25T18:20:03.456Z",
            b"ENDROOMS -1",
            b"ENDROOMS 1.5",
            b"JOIN #a b 2025-13-25T18:20:03.456Z",
            b"JOIN #a b 2025-11-25 18:20:03",
            b"MEMBERS #a :b  c",
            b"MEMBERS #a :@",
            b"MEMBERS #a :@@b",
            b"AUDIT 1 2025-11-25T18:20:03.456Z a kick #x :no reason",
        ]:
            self.assertRaises(linetypes.MalformedLine, wire.parseEvent, line)

    def test_invalidUtf8IsShown(self) -> None:
        """Invalid UTF-8 from a server is replaced, not refused."""
        self.assertEqual(
            wire.parseEvent(b"NOTICE :caf\xe9"), events.Notice("caf\ufffd")
        )

    def test_lineTypesCoverEvents(self) -> None:
        """Every event attribute has a place in its line type."""
        for lineType in linetypes.LINE_TYPES.values():
            self.assertEqual(
                lineType.attributes(), {f.name for f in fields(lineType.event)}
            )
