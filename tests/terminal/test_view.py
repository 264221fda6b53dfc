"""
Tests for L{twisted_chat.terminal.view}: how each event looks to a person.
"""

from datetime import UTC

from colorama import Fore, Style
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.events import (
    AccountInfo,
    CurrentRoom,
    ErrorReply,
    Goodbye,
    HelpText,
    HistoryEnd,
    HistoryGap,
    Joined,
    MemberList,
    NickChanged,
    Notice,
    Parted,
    PrivateMessage,
    Quit,
    RoomListEnd,
    RoomListEntry,
    RoomMessage,
    TopicChanged,
    TopicInfo,
    UserNotice,
    Welcome,
)
from twisted_chat.chat.orderevents import (
    Announcement,
    AuditEnd,
    AuditLine,
    BanChanged,
    BanListEnd,
    BanListEntry,
    Invited,
    Kicked,
    ModesChanged,
    RankChanged,
    RoomModes,
    Statistic,
    StatisticsEnd,
)
from twisted_chat.terminal.moderationview import MODERATION_STYLE
from twisted_chat.terminal.view import (
    ERROR_STYLE,
    NICK_COLORS,
    OPERATOR_STYLE,
    OWN_STYLE,
    TerminalView,
    nickColor,
    wantsColor,
)
from twisted_chat.terminal.whereabouts import Whereabouts

T = 1_764_094_803_456  # 2025-11-25T18:20:03.456Z


def makeView(color: bool = False) -> tuple[TerminalView, list[str]]:
    """A view for C{me}, welcomed, and the lines it shows."""
    shown: list[str] = []
    whereabouts = Whereabouts()
    whereabouts.note(Welcome("me", "hi"))
    view = TerminalView(shown.append, whereabouts, color=color, timezone=UTC)
    return view, shown


class RenderTests(SynchronousTestCase):
    def test_moderationEvents(self) -> None:
        """
        Each event of keeping order has its own line, you as "you"; the
        answers to questions (modes, bans, the audit log) are listed.
        """
        view, _ = makeView()
        cases = [
            (
                RankChanged("#a", "bob", "operator", "ann", T),
                "18:20 -!- ann made bob an operator of #a",
            ),
            (
                RankChanged("#a", "me", "voice", "ann", T),
                "18:20 -!- ann gave you voice in #a",
            ),
            (
                RankChanged("#a", "bob", "member", "me", T),
                "18:20 -!- you made bob a plain member of #a",
            ),
            (
                RankChanged("#a", "bob", "founder", "ann", T),
                "18:20 -!- ann made bob the founder of #a",
            ),
            (
                RankChanged("#a", "me", "founder", "me", T),
                "18:20 -!- you are now the founder of #a",
            ),
            (
                RankChanged("#a", "bob", "operator", "Bob", T),
                "18:20 -!- bob is now an operator of #a",
            ),
            (
                RankChanged("#a", "bob", "halfop", "ann", T),
                "18:20 -!- ann gave bob the rank halfop in #a",
            ),
            (
                ModesChanged("#a", "ann", T, "+mk-i secret"),
                "18:20 -!- ann set #a +mk-i secret (moderated, key, not invite-only)",
            ),
            (ModesChanged("#a", "ann", T, "+X"), "18:20 -!- ann set #a +X"),
            (
                RoomModes("#a", "+nt", T),
                "-- #a: +nt (no outside messages, topic locked); made 2025-11-25 18:20",
            ),
            (RoomModes("#a", "+", T), "-- #a: no modes; made 2025-11-25 18:20"),
            (
                Kicked("#a", "bob", "ann", T, "be nice"),
                "18:20 -!- ann kicked bob from #a (be nice)",
            ),
            (Kicked("#a", "me", "ann", T, ""), "18:20 -!- ann kicked you from #a"),
            (
                BanChanged("#a", "ann", T, "ban", "b*!*@*", True, None, "spam"),
                "18:20 -!- ann banned b*!*@* from #a (spam)",
            ),
            (
                BanChanged("#a", "ann", T, "mute", "bob!*@*", True, T + 60_000, ""),
                "18:20 -!- ann muted bob!*@* in #a until 2025-11-25 18:21",
            ),
            (
                BanChanged("#a", "ann", T, "mute", "bob!*@*", False, None, ""),
                "18:20 -!- ann lifted the mute on bob!*@* in #a",
            ),
            (
                BanChanged("*", "me", T, "ban", "*!*@10.0.0.0/8", True, None, ""),
                "18:20 -!- you banned *!*@10.0.0.0/8 from the server",
            ),
            (
                BanListEntry("#a", "ban", "b*!*@*", "ann", T, None, "spam"),
                "   ban b*!*@*  by ann, 2025-11-25 18:20 (spam)",
            ),
            (BanListEnd("#a", "ban", 1), "-- #a: 1 ban"),
            (BanListEnd("#a", "mute", 0), "-- #a: no mutes"),
            (BanListEnd("*", "ban", 2), "-- the server: 2 bans"),
            (
                Invited("#a", "me", "ann", T),
                "18:20 -!- ann invited you to #a (/join #a)",
            ),
            (Invited("#a", "bob", "me", T), "18:20 -!- you invited bob to #a"),
            (
                Announcement("server", T, "restart at noon"),
                "18:20 -!- announcement from server: restart at noon",
            ),
            (
                AuditLine(17, T, "ann", "kick", "#a", "bob", "be nice"),
                "   #17 2025-11-25 18:20 #a ann kick bob (be nice)",
            ),
            (
                AuditLine(18, T, "server", "kill", "*", "bob", ""),
                "   #18 2025-11-25 18:20 server kill bob",
            ),
            (
                AuditEnd(2),
                "-- 2 audit entries; /audit before the last # pages back",
            ),
            (AuditEnd(0), "-- 0 audit entries"),
            (Statistic("uptime-seconds", "7980"), "   uptime: 2 h 13 min"),
            (Statistic("uptime-seconds", "93784"), "   uptime: 1 d 2 h"),
            (Statistic("uptime-seconds", "0"), "   uptime: 0 s"),
            (Statistic("store-bytes", "3145728"), "   store: 3.0 MiB"),
            (Statistic("commit-p99-ms", "4.10"), "   commit-p99: 4.10 ms"),
            (Statistic("commit-p50-ms", "-"), "   commit-p50-ms: -"),
            (Statistic("uptime-seconds", "inf"), "   uptime-seconds: inf"),
            (Statistic("connections-line", "12"), "   connections-line: 12"),
            (Statistic("new\x1b[2J", "1"), "   new\\x1b[2J: 1"),
            (StatisticsEnd(11), "-- 11 figures"),
            (StatisticsEnd(1), "-- 1 figure"),
        ]
        for event, line in cases:
            self.assertEqual(view.render(event), line)

    def test_moderationColoured(self) -> None:
        """
        Order being kept is shown in its own colour, text from the network
        made safe inside it.
        """
        view, _ = makeView(color=True)
        line = view.render(Kicked("#a", "bob", "ann", T, "\x1b[2J"))
        self.assertEqual(
            line,
            f"18:20 {MODERATION_STYLE}-!-{Style.RESET_ALL}"
            f" {MODERATION_STYLE}ann kicked bob from #a (\\x1b[2J){Style.RESET_ALL}",
        )

    def test_everyEvent(self) -> None:
        """Each kind of event has its own line."""
        view, _ = makeView()
        cases = [
            (RoomMessage("#a", 1, T, "ann", "hi"), "18:20 #a <ann> hi"),
            (RoomMessage("#a", 2, T, "ann", "waves", True), "18:20 #a * ann waves"),
            (PrivateMessage("ann", "me", T, "psst"), "18:20 *ann* psst"),
            (PrivateMessage("me", "ann", T, "psst"), "18:20 -> *ann* psst"),
            (PrivateMessage("me", "me", T, "note"), "18:20 *me* note"),
            (Joined("#a", "ann", T), "18:20 --> ann joined #a"),
            (Parted("#a", "ann", T, ""), "18:20 <-- ann left #a"),
            (Parted("#a", "ann", T, "later"), "18:20 <-- ann left #a (later)"),
            (Quit("ann", T, "bye"), "18:20 <-- ann quit (bye)"),
            (NickChanged("ann", "anna", T), "18:20 -- ann is now anna"),
            (
                TopicChanged("#a", T, "ann", "plans"),
                "18:20 -- ann set the topic of #a: plans",
            ),
            (TopicInfo("#a", None, None, ""), "-- #a has no topic"),
            (
                TopicInfo("#a", "ann", T, "plans"),
                "-- topic of #a: plans (set by ann, 2025-11-25 18:20)",
            ),
            (MemberList("#a", ("ann", "me"), (0, 0)), "-- #a (2): ann me"),
            (
                MemberList("#a", ("q", "ann", "bob", "me"), (3, 2, 1, 0)),
                "-- #a (4): ~q @ann +bob me",
            ),
            (RoomListEntry("#a", 3, "plans"), "   #a  3  plans"),
            (RoomListEnd(1), "-- 1 room"),
            (RoomListEnd(2), "-- 2 rooms"),
            (CurrentRoom("#a"), "-- now talking in #a"),
            (CurrentRoom(None), "-- you are in no room; /join #room"),
            (HelpText("  /nick NAME"), "  /nick NAME"),
            (Notice("maintenance at noon"), "-!- maintenance at noon"),
            (Welcome("me", "Welcome!"), "-!- Welcome!"),
            (ErrorReply("bad-nick", "No."), "!! No. [bad-nick]"),
            (Goodbye("quit", "bye"), "-!- disconnected: bye"),
        ]
        for event, line in cases:
            self.assertEqual(view.render(event), line)

    def test_ownNickChange(self) -> None:
        """
        Your own nick change, noted in the whereabouts before it is shown,
        is told as yours.
        """
        view, shown = makeView()
        change = NickChanged("ME", "you2", T)
        view.whereabouts.note(change)
        view.show(change)
        self.assertEqual(shown, ["18:20 -- you are now you2"])

    def test_promptFollowsCurrentRoom(self) -> None:
        """
        The prompt names the current room of the whereabouts, and each time
        the server says it, the new prompt is reported.
        """
        view, _ = makeView()
        prompts: list[str] = []
        view.onPromptChange = prompts.append
        self.assertEqual(view.prompt, "> ")
        view.whereabouts.note(CurrentRoom("#dev"))
        self.assertEqual(view.prompt, "[#dev] ")
        view.whereabouts.note(CurrentRoom("#dev"))
        view.whereabouts.note(CurrentRoom(None))
        self.assertEqual(prompts, ["[#dev] ", "[#dev] ", "> "])

    def test_onlyDraws(self) -> None:
        """Showing events changes nothing of who and where you are."""
        shown: list[str] = []
        whereabouts = Whereabouts()
        view = TerminalView(shown.append, whereabouts, color=False, timezone=UTC)
        view.show(Welcome("me", "hi"))
        view.show(CurrentRoom("#dev"))
        self.assertEqual(shown, ["-!- hi", "-- now talking in #dev"])
        self.assertIsNone(whereabouts.nick)
        self.assertIsNone(whereabouts.currentRoom)
        self.assertEqual(view.prompt, "> ")

    def test_hostileText(self) -> None:
        """Nicks, rooms, text and reasons from the network are made safe."""
        view, _ = makeView()
        self.assertEqual(
            view.render(
                RoomMessage("#a\x1b[2J", 1, T, "e\x1b]0;x\x07", "\x1b[31mred\u202e")
            ),
            "18:20 #a\\x1b[2J <e\\x1b]0;x\\x07> \\x1b[31mred\\u202e",
        )
        self.assertEqual(
            view.render(Quit("a", T, "\x1bc")), "18:20 <-- a quit (\\x1bc)"
        )
        self.assertEqual(view.render(ErrorReply("x\x07", "y")), "!! y [x\\x07]")

    def test_wrappedToTheTerminal(self) -> None:
        """
        On a terminal, a long help line breaks at word boundaries, its
        summary's column kept; a long notice or error likewise.
        """
        view, shown = makeView()
        view.columns = lambda: 50
        view.show(
            HelpText("  /history [#room] [N]  Show a room's last N messages, or more.")
        )
        view.show(
            Notice("The server restarts at noon; it will be back within a minute.")
        )
        view.show(
            ErrorReply("bad-arguments", "Usage: /history [#room] [before SEQ] [N] now")
        )
        self.assertEqual(
            shown,
            [
                "  /history [#room] [N]  Show a room's last N",
                "                        messages, or more.",
                "-!- The server restarts at noon; it will be back",
                "    within a minute.",
                "!! Usage: /history [#room] [before SEQ] [N] now",
                "   [bad-arguments]",
            ],
        )

    def test_narrowHelp(self) -> None:
        """Too narrow to keep the summary's column: indented a little."""
        view, shown = makeView()
        view.columns = lambda: 40
        view.show(HelpText("  /history [#room] [N]  Show a room's last N messages."))
        self.assertEqual(
            shown,
            ["  /history [#room] [N]  Show a room's", "    last N messages."],
        )

    def test_wrappedLinesPainted(self) -> None:
        """Each wrapped line is coloured on its own; 80 columns when unknown."""
        view, shown = makeView(color=True)
        view.columns = lambda: 0
        view.show(Notice("word " * 20))
        self.assertEqual(len(shown), 2)
        for line in shown:
            self.assertTrue(
                line.startswith(Fore.CYAN) and line.endswith(Style.RESET_ALL)
            )
            self.assertLessEqual(len(line) - len(Fore.CYAN + Style.RESET_ALL), 80)

    def test_notWrappedUnlessTerminal(self) -> None:
        """Piped output, and people's messages, are not wrapped."""
        view, shown = makeView()
        view.show(Notice("word " * 40))
        view.columns = lambda: 40
        view.show(RoomMessage("#a", 1, T, "ann", "word " * 20))
        self.assertEqual(len(shown), 2)

    def test_unparsed(self) -> None:
        """An unreadable line is shown raw, made safe."""
        view, shown = makeView()
        view.showUnparsed(b"WHAT \x1b[1m\xff")
        self.assertEqual(shown, ["?? WHAT \\x1b[1m\ufffd"])

    def test_timeOutOfRange(self) -> None:
        """A time the platform cannot show does not break the view."""
        view, _ = makeView()
        line = view.render(Joined("#a", "b", 10**18))
        assert line is not None
        self.assertTrue(line.startswith("??:?? "))


class NoticeRenderTests(SynchronousTestCase):
    def test_userNotice(self) -> None:
        """A member's notice shows its room, if any, and the sender in dashes."""
        shown: list[str] = []
        view = TerminalView(shown.append, Whereabouts(), color=False, timezone=UTC)
        view.show(UserNotice("#dev", T, "bot", "green"))
        view.show(UserNotice("ann", T, "bot", "psst"))
        self.assertEqual(shown, ["18:20 #dev -bot- green", "18:20 -bot- psst"])


class ColorTests(SynchronousTestCase):
    def test_nickColorsStable(self) -> None:
        """A nick has one colour whatever its case, from the palette."""
        self.assertEqual(nickColor("Alice"), nickColor("alice"))
        self.assertIn(nickColor("bob"), NICK_COLORS)
        self.assertGreater(len({nickColor(f"user{n}") for n in range(50)}), 5)

    def test_colouredLines(self) -> None:
        """Others' nicks get their colour, yours its own style, errors red."""
        view, _ = makeView(color=True)
        line = view.render(RoomMessage("#a", 1, T, "ann", "hi"))
        assert line is not None
        self.assertIn(f"{nickColor('ann')}ann{Style.RESET_ALL}", line)
        own = view.render(RoomMessage("#a", 1, T, "me", "hi"))
        assert own is not None
        self.assertIn(f"{OWN_STYLE}me{Style.RESET_ALL}", own)
        operator = view.render(RoomMessage("#a", 1, T, "server", "hi"))
        assert operator is not None
        self.assertIn(f"{OPERATOR_STYLE}server", operator)
        error = view.render(ErrorReply("x", "y"))
        assert error is not None
        self.assertTrue(error.startswith(ERROR_STYLE))
        self.assertIn(Fore.RED, ERROR_STYLE)

    def test_noColourMeansNoEscapes(self) -> None:
        """Without colour, no line holds an escape sequence."""
        view, _ = makeView(color=False)
        line = view.render(RoomMessage("#a", 1, T, "ann", "hi"))
        assert line is not None
        self.assertNotIn("\x1b", line)

    def test_colourAfterSafety(self) -> None:
        """Colour codes come from the view only, never from the text."""
        view, _ = makeView(color=True)
        line = view.render(RoomMessage("#a", 1, T, "ann", "\x1b[5mblink"))
        assert line is not None
        self.assertNotIn("\x1b[5m", line)

    def test_wantsColor(self) -> None:
        """auto colours a terminal without NO_COLOR; always and never win."""
        self.assertTrue(wantsColor("auto", isTerminal=True, environ={}))
        self.assertFalse(wantsColor("auto", isTerminal=False, environ={}))
        self.assertFalse(wantsColor("auto", isTerminal=True, environ={"NO_COLOR": "1"}))
        self.assertTrue(wantsColor("auto", isTerminal=True, environ={"NO_COLOR": ""}))
        self.assertTrue(
            wantsColor("always", isTerminal=False, environ={"NO_COLOR": "1"})
        )
        self.assertFalse(wantsColor("never", isTerminal=True, environ={}))


class ReplayRenderTests(SynchronousTestCase):
    def test_replayLines(self) -> None:
        """Replayed and waiting messages carry their date; gaps and ends are said."""
        view, _ = makeView()
        cases = [
            (
                RoomMessage("#a", 3, T, "ann", "old", history=True),
                "11-25 18:20 #a <ann> old",
            ),
            (
                PrivateMessage("ann", "me", T, "later", offline=True),
                "11-25 18:20 *ann* later",
            ),
            (
                HistoryGap("#a", 1, 9),
                "-- #a: messages 1 to 9 are not replayed (/history #a before 10 pages back)",
            ),
            (HistoryEnd("#a", 2, 9, "join"), "-- #a: 2 earlier messages above"),
            (HistoryEnd("#a", 1, 9, "page"), "-- #a: 1 earlier message above"),
            (HistoryEnd("#a", 0, 9, "join"), None),
            (
                AccountInfo("me", "You are logged in as me."),
                "-!- You are logged in as me.",
            ),
        ]
        for event, line in cases:
            self.assertEqual(view.render(event), line)
