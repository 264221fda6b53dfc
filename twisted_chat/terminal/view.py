"""
How a person sees the chat: each event as one line of text, coloured.

L{TerminalView} is used by the terminal client and by the operator console
alike.  It only draws: who "you" are and where you are talking are the
L{Whereabouts} its owner (the client's session, the console) keeps, which it
reads so that your own nick looks different and the prompt names your room.
It hands each finished line to an output function; where the line goes
(plain stdout, or above the line editor) is the keyboard bridge's business.
Where it knows the terminal's width (L{TerminalView.columns}), it wraps the
server's own long lines (help, notices, errors) at word boundaries, so that
none breaks mid-word; people's messages are left for the terminal to wrap.

Every string that came from the network passes through
L{twisted_chat.terminal.safetext.safe} before colour is added.
"""

import re
import textwrap
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Final

from colorama import Fore, Style

from twisted_chat.chat.events import (
    AccountInfo,
    CurrentRoom,
    ErrorReply,
    Event,
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
from twisted_chat.chat.modes import Rank
from twisted_chat.chat.names import OPERATOR_NICK, fold, isRoomName
from twisted_chat.terminal.moderationview import ModerationLines
from twisted_chat.terminal.safetext import safe
from twisted_chat.terminal.whereabouts import Whereabouts
from twisted_chat.wire.codecs import RANK_PREFIXES

NICK_COLORS: Final = (
    Fore.CYAN,
    Fore.GREEN,
    Fore.YELLOW,
    Fore.BLUE,
    Fore.MAGENTA,
    Fore.LIGHTCYAN_EX,
    Fore.LIGHTGREEN_EX,
    Fore.LIGHTYELLOW_EX,
    Fore.LIGHTBLUE_EX,
    Fore.LIGHTMAGENTA_EX,
)
"""Colours other people's nicks are drawn from; red is kept for errors."""

OWN_STYLE: Final = Style.BRIGHT
OPERATOR_STYLE: Final = Style.BRIGHT + Fore.LIGHTRED_EX
STATUS_STYLE: Final = Style.DIM
NOTICE_STYLE: Final = Fore.CYAN
PRIVATE_STYLE: Final = Fore.MAGENTA
ERROR_STYLE: Final = Style.BRIGHT + Fore.RED
RESET: Final = Style.RESET_ALL

UNKNOWN_WIDTH: Final = 80
"""Columns to wrap to on a terminal whose width it does not tell."""

_HELP_SUMMARY: Final = re.compile(r"\s*\S.*?\s\s+(?=\S)")
"""The usage column of a help line, up to where its summary starts."""


def nickColor(nick: str) -> str:
    """
    Return the colour of C{nick}: the same for a nick in every session.
    """
    return NICK_COLORS[zlib.crc32(fold(nick).encode("utf-8")) % len(NICK_COLORS)]


def wantsColor(choice: str, *, isTerminal: bool, environ: Mapping[str, str]) -> bool:
    """
    Decide whether to colour the output.

    C{auto} colours a terminal unless C{NO_COLOR} is set to anything
    (no-color.org); C{always} and C{never} are the person's explicit word and
    win over C{NO_COLOR}.
    """
    if choice == "auto":
        return isTerminal and not environ.get("NO_COLOR")
    return choice == "always"


class TerminalView:
    """
    Turns events into lines for a person.

    @ivar whereabouts: who and where you are; read here, never changed.
    @ivar onPromptChange: called with the new prompt each time the server
        says your current room, so a line editor can redraw it.
    @ivar columns: gives the terminal's width now, 0 if it is not known, or
        L{None} not to wrap at all (output that is not a terminal).
    """

    def __init__(
        self,
        output: Callable[[str], None],
        whereabouts: Whereabouts,
        *,
        color: bool,
        timezone: tzinfo | None = None,
    ) -> None:
        """
        @param output: takes each finished line, without a line ending.
        @param timezone: the zone times are shown in; the local one if L{None}.
        """
        self.output = output
        self.color = color
        self.timezone = timezone
        self.whereabouts = whereabouts
        self.onPromptChange: Callable[[str], None] | None = None
        self.columns: Callable[[], int | None] = lambda: None
        whereabouts.watchRoom(self._roomSaid)
        self._moderation = ModerationLines(
            whereabouts, self._paint, self._time, self._date, self._info
        )

    @property
    def prompt(self) -> str:
        """The prompt for the line editor: the current room."""
        room = self.whereabouts.currentRoom
        return f"[{room}] " if room else "> "

    def show(self, event: Event) -> None:
        """
        Show C{event}, as of what the whereabouts say now: its owner notes
        the event there first, so that "you are now ..." follows your new
        nick.
        """
        text = self.render(event)
        if text is not None:
            for line in text.split("\n"):
                self.output(line)

    def showStatus(self, text: str) -> None:
        """
        Show a line of the client's own (connection state and the like).
        """
        self.output(self._info(text))

    def showUnparsed(self, line: bytes) -> None:
        """
        Show a server line this client could not understand, made safe.
        """
        text = safe(line.decode("utf-8", errors="replace"))
        self.output(self._paint(STATUS_STYLE, f"?? {text}"))

    def render(self, event: Event) -> str | None:
        """
        Return the line to show for C{event}, or L{None} to show nothing;
        a long line from the server itself is wrapped into several, split by
        newlines (text from the network never holds one: L{safe} escapes it).
        """
        match event:
            case RoomMessage(room, _, time, sender, text, action, history):
                who = self._nick(sender)
                body = f"* {who} {safe(text)}" if action else f"<{who}> {safe(text)}"
                return f"{self._stamp(time, history)} {safe(room)} {body}"
            case PrivateMessage(sender, recipient, time, text, offline):
                isMe = self.whereabouts.isMe
                if isMe(sender) and not isMe(recipient):
                    head = self._paint(PRIVATE_STYLE, f"-> *{safe(recipient)}*")
                else:
                    head = self._paint(PRIVATE_STYLE, f"*{safe(sender)}*")
                return f"{self._stamp(time, offline)} {head} {safe(text)}"
            case UserNotice(target, time, sender, text):
                where = f"{safe(target)} " if isRoomName(target) else ""
                head = self._paint(PRIVATE_STYLE, f"-{safe(sender)}-")
                return f"{self._stamp(time, False)} {where}{head} {safe(text)}"
            case HistoryGap(room, first, last):
                return self._info(
                    f"{safe(room)}: messages {first} to {last} are not replayed"
                    f" (/history {safe(room)} before {last + 1} pages back)"
                )
            case HistoryEnd(room, count, _):
                if not count:
                    return None
                return self._info(
                    f"{safe(room)}: {count} earlier message{'s' * (count != 1)} above"
                )
            case AccountInfo(_, text):
                return self._paint(NOTICE_STYLE, f"-!- {safe(text)}")
            case Joined(room, nick, time):
                return self._happened(
                    time, "-->", f"{self._nick(nick)} joined {safe(room)}"
                )
            case Parted(room, nick, time, reason):
                return self._happened(
                    time,
                    "<--",
                    f"{self._nick(nick)} left {safe(room)}{_reason(reason)}",
                )
            case Quit(nick, time, reason):
                return self._happened(
                    time, "<--", f"{self._nick(nick)} quit{_reason(reason)}"
                )
            case NickChanged(old, new, time):
                who = "you are" if self.whereabouts.isMe(new) else f"{safe(old)} is"
                return self._happened(time, "--", f"{who} now {self._nick(new)}")
            case TopicChanged(room, time, nick, text):
                return self._happened(
                    time,
                    "--",
                    f"{self._nick(nick)} set the topic of {safe(room)}: {safe(text)}",
                )
            case TopicInfo(room, None, _, _):
                return self._info(f"{safe(room)} has no topic")
            case TopicInfo(room, nick, time, text):
                when = f", {self._date(time)}" if time is not None else ""
                return self._info(
                    f"topic of {safe(room)}: {safe(text)}"
                    f" (set by {self._nick(nick or '?')}{when})"
                )
            case MemberList(room, nicks, ranks):
                ranks = ranks or (0,) * len(nicks)
                names = " ".join(
                    RANK_PREFIXES.get(Rank(rank), "") + self._nick(nick)
                    for nick, rank in zip(nicks, ranks, strict=True)
                )
                return self._info(f"{safe(room)} ({len(nicks)}): {names}")
            case RoomListEntry(room, count, topic):
                return f"   {safe(room)}  {count}  {safe(topic)}"
            case RoomListEnd(count):
                return self._info(f"{count} room{'s' * (count != 1)}")
            case CurrentRoom(None):
                return self._info("you are in no room; /join #room")
            case CurrentRoom(room):
                return self._info(f"now talking in {safe(room or '')}")
            case HelpText(text):
                text = safe(text)
                usage = _HELP_SUMMARY.match(text)
                indent = len(usage.group()) if usage else 4
                return self._wrapped("", text, indent)
            case Welcome(_, text) | Notice(text):
                return self._wrapped(NOTICE_STYLE, f"-!- {safe(text)}", 4)
            case ErrorReply(code, text):
                return self._wrapped(ERROR_STYLE, f"!! {safe(text)} [{safe(code)}]", 3)
            case Goodbye(_, reason):
                return self._wrapped(
                    NOTICE_STYLE, f"-!- disconnected: {safe(reason)}", 4
                )
        return self._moderation.render(event)

    def _roomSaid(self, room: str | None) -> None:
        if self.onPromptChange is not None:
            self.onPromptChange(self.prompt)

    def _nick(self, nick: str) -> str:
        if self.whereabouts.isMe(nick):
            style = OWN_STYLE
        elif fold(nick) == OPERATOR_NICK:
            style = OPERATOR_STYLE
        else:
            style = nickColor(nick)
        return self._paint(style, safe(nick))

    def _happened(self, time: int, marker: str, text: str) -> str:
        """A line about something someone did, at C{time}."""
        return f"{self._time(time)} {self._paint(STATUS_STYLE, marker)} {text}"

    def _info(self, text: str) -> str:
        """A line of information about the chat's state."""
        return f"{self._paint(STATUS_STYLE, '--')} {text}"

    def _time(self, milliseconds: int) -> str:
        return self._formatTime(milliseconds, "%H:%M")

    def _stamp(self, milliseconds: int, replayed: bool) -> str:
        """
        The time of a message; a replayed one also has its date, dimmed.
        """
        if replayed:
            return self._paint(
                STATUS_STYLE, self._formatTime(milliseconds, "%m-%d %H:%M")
            )
        return self._time(milliseconds)

    def _date(self, milliseconds: int) -> str:
        return self._formatTime(milliseconds, "%Y-%m-%d %H:%M")

    def _formatTime(self, milliseconds: int, form: str) -> str:
        try:
            moment = datetime.fromtimestamp(milliseconds / 1000, self.timezone)
        except (OverflowError, OSError, ValueError):
            # A time the platform cannot show (year 9999 in a zone east of UTC).
            return "??:??"
        return moment.strftime(form)

    def _wrapped(self, style: str, text: str, indent: int) -> str:
        """
        C{text} painted, wrapped at word boundaries to the terminal's width
        if it is wider, later lines indented by C{indent} columns.
        """
        width = self.columns()
        if width is None:
            return self._paint(style, text) if style else text
        width = width or UNKNOWN_WIDTH
        if indent > width // 2:
            indent = 4
        lines = textwrap.wrap(
            text,
            width,
            subsequent_indent=" " * indent,
            break_on_hyphens=False,
        )
        return "\n".join(self._paint(style, line) if style else line for line in lines)

    def _paint(self, style: str, text: str) -> str:
        return f"{style}{text}{RESET}" if self.color else text


def _reason(reason: str) -> str:
    return f" ({safe(reason)})" if reason else ""
