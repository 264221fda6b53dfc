"""
How a person sees order being kept: ranks given, modes changed, kicks,
bans and mutes, invitations, announcements, the audit log and the
server's figures.

L{TerminalView} hands these events to L{ModerationLines}, which writes each
as one line in L{MODERATION_STYLE}, so that they stand out from talk; the
answers to questions (a room's modes, its bans, the audit log) are written
as the view writes other answers.  You are "you" in them, as the
whereabouts say.  Every string from the network passes through
L{twisted_chat.terminal.safetext.safe}.
"""

import re
from collections.abc import Callable
from typing import Final

from colorama import Fore, Style

from twisted_chat.chat.events import Event
from twisted_chat.chat.names import fold
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
from twisted_chat.terminal.safetext import safe
from twisted_chat.terminal.whereabouts import Whereabouts

MODERATION_STYLE: Final = Style.BRIGHT + Fore.YELLOW
"""The colour of order being kept, bold so as not to pass for a nick's."""

RANK_GIVEN: Final = {
    "founder": "made {who} the founder of",
    "operator": "made {who} an operator of",
    "voice": "gave {who} voice in",
    "member": "made {who} a plain member of",
}
"""What someone giving a rank did, by the rank's word."""

RANK_HELD: Final = {
    "founder": "the founder of",
    "operator": "an operator of",
    "voice": "a voiced member of",
    "member": "a plain member of",
}
"""What someone who holds a rank is, by the rank's word."""

MODE_WORDS: Final = {
    "t": ("topic locked", "topic open to all"),
    "m": ("moderated", "not moderated"),
    "i": ("invite-only", "not invite-only"),
    "k": ("key", "no key"),
    "l": ("member limit", "no member limit"),
    "s": ("secret", "listed"),
    "n": ("no outside messages", "outside messages"),
    "R": ("registered users only", "guests welcome"),
}
"""Each room mode's letter in words, set and taken off."""


def describeModes(modes: str) -> str:
    """
    C{+mk-i key} in words (C{moderated, key, not invite-only}); letters
    this client does not know are left out.
    """
    words = []
    on = True
    for letter in modes.split(" ")[0]:
        if letter in "+-":
            on = letter == "+"
        elif letter in MODE_WORDS:
            words.append(MODE_WORDS[letter][not on])
    return ", ".join(words)


class ModerationLines:
    """
    Writes the events of keeping order as lines for a person.

    @param paint: colours a text with a style (or not, without colour).
    @param clock: writes a time as C{HH:MM}.
    @param date: writes a time as a date and a time.
    @param info: writes a line of information, as the view's others.
    """

    def __init__(
        self,
        whereabouts: Whereabouts,
        paint: Callable[[str, str], str],
        clock: Callable[[int], str],
        date: Callable[[int], str],
        info: Callable[[str], str],
    ) -> None:
        self.whereabouts = whereabouts
        self._paint = paint
        self._clock = clock
        self._date = date
        self._info = info

    def render(self, event: Event) -> str | None:
        """The line for C{event}, or L{None} if it is not about keeping order."""
        match event:
            case RankChanged(room, nick, rank, by, time):
                return self._done(time, self._rank(room, nick, rank, by))
            case ModesChanged(room, by, time, modes):
                words = describeModes(modes)
                said = f" ({words})" if words else ""
                return self._done(
                    time, f"{self._who(by)} set {safe(room)} {safe(modes)}{said}"
                )
            case RoomModes(room, modes, created):
                words = describeModes(modes)
                told = f"{safe(modes)} ({words})" if words else "no modes"
                return self._info(f"{safe(room)}: {told}; made {self._date(created)}")
            case Kicked(room, nick, by, time, reason):
                return self._done(
                    time,
                    f"{self._who(by)} kicked {self._who(nick)} from {safe(room)}"
                    f"{_reason(reason)}",
                )
            case BanChanged(room, by, time, kind, mask, True, expires, reason):
                return self._done(
                    time,
                    f"{self._who(by)} {_VERBS.get(kind, kind)} {safe(mask)}"
                    f" {_where(room, kind)}{self._until(expires)}{_reason(reason)}",
                )
            case BanChanged(room, by, time, kind, mask, False, _, _):
                return self._done(
                    time,
                    f"{self._who(by)} lifted the {safe(kind)} on {safe(mask)}"
                    f" {_where(room, kind)}",
                )
            case BanListEntry(_, kind, mask, setBy, setAt, expires, reason):
                until = "" if expires is None else f", until {self._date(expires)}"
                return (
                    f"   {safe(kind)} {safe(mask)}  by {safe(setBy)},"
                    f" {self._date(setAt)}{until}{_reason(reason)}"
                )
            case BanListEnd(room, kind, count):
                where = "the server" if room == "*" else safe(room)
                counted = f"{count} {safe(kind)}{'s' * (count != 1)}"
                return self._info(
                    f"{where}: {counted if count else 'no ' + safe(kind) + 's'}"
                )
            case Invited(room, nick, by, time):
                if self.whereabouts.isMe(nick):
                    text = (
                        f"{safe(by)} invited you to {safe(room)} (/join {safe(room)})"
                    )
                else:
                    text = f"{self._who(by)} invited {safe(nick)} to {safe(room)}"
                return self._done(time, text)
            case Announcement(by, time, text):
                return self._done(time, f"announcement from {safe(by)}: {safe(text)}")
            case AuditLine(number, time, actor, action, room, target, reason):
                where = "" if room == "*" else f" {safe(room)}"
                what = "" if target == "*" else f" {safe(target)}"
                return (
                    f"   #{number} {self._date(time)}{where} {safe(actor)}"
                    f" {safe(action)}{what}{_reason(reason)}"
                )
            case AuditEnd(count):
                more = "; /audit before the last # pages back" if count else ""
                return self._info(
                    f"{count} audit entr{'ies' if count != 1 else 'y'}{more}"
                )
            case Statistic(name, value):
                return f"   {describeFigure(name, value)}"
            case StatisticsEnd(count):
                return self._info(f"{count} figure{'s' if count != 1 else ''}")
        return None

    def _rank(self, room: str, nick: str, rank: str, by: str) -> str:
        who = self._who(nick)
        if fold(by) == fold(nick):
            # Given back by an account's standing, or taken by a claim.
            held = RANK_HELD.get(rank, f"{safe(rank)} in")
            return f"{who} {'are' if who == 'you' else 'is'} now {held} {safe(room)}"
        given = RANK_GIVEN.get(rank, "gave {who} the rank " + safe(rank) + " in")
        return f"{self._who(by)} {given.format(who=who)} {safe(room)}"

    def _who(self, nick: str) -> str:
        return "you" if self.whereabouts.isMe(nick) else safe(nick)

    def _until(self, expires: int | None) -> str:
        return "" if expires is None else f" until {self._date(expires)}"

    def _done(self, time: int, text: str) -> str:
        """A line about order being kept, at C{time}."""
        marker = self._paint(MODERATION_STYLE, "-!-")
        return f"{self._clock(time)} {marker} {self._paint(MODERATION_STYLE, text)}"


_DECIMAL: Final = re.compile(r"[0-9]{1,18}(\.[0-9]{1,6})?")


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
    shown = [f"{count} {unit}" for count, unit in parts if count][:2]
    return " ".join(shown) or "0 s"


def describeFigure(name: str, value: str) -> str:
    """
    One of C{/stats}' figures as a person reads it: C{uptime-seconds 7980}
    is C{uptime: 2 h 13 min}, C{store-bytes} are in MiB.  A figure this
    client does not know, or a value that is not a number, is shown as it
    came.
    """
    if not _DECIMAL.fullmatch(value):
        return f"{safe(name)}: {safe(value)}"
    number = float(value)
    if name.endswith("-seconds"):
        return f"{safe(name[: -len('-seconds')])}: {_duration(int(number))}"
    if name.endswith("-bytes"):
        return f"{safe(name[: -len('-bytes')])}: {number / 2**20:.1f} MiB"
    if name.endswith("-ms"):
        return f"{safe(name[: -len('-ms')])}: {safe(value)} ms"
    return f"{safe(name)}: {safe(value)}"


_VERBS: Final = {"ban": "banned", "mute": "muted"}


def _where(room: str, kind: str) -> str:
    if room == "*":
        return "from the server"
    return f"{'from' if kind == 'ban' else 'in'} {safe(room)}"


def _reason(reason: str) -> str:
    return f" ({safe(reason)})" if reason else ""
