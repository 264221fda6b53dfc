"""
How ranks and room settings look to IRC clients: each rank as channel
modes and as the prefixes NAMES and WHO show, a change of rank as the modes
taken away and given, and the ISUPPORT tokens that advertise them.

A member holds one rank in a room (L{twisted_chat.chat.modes.Rank}); IRC
sees a founder as C{+q} and C{+o} (a founder is an operator too, and a
client that knows only C{@} still sees it as one), an operator as C{+o} and
voice as C{+v}.  Pure functions and constants, as L{render} is.
"""

from typing import Final

from twisted_chat.chat.modes import (
    LIST_LETTERS,
    MUTE,
    MUTE_PREFIX,
    RANK_NAMES,
    SETTING_LETTERS,
    Rank,
)

RANK_MODES: Final = {
    Rank.FOUNDER: "qo",
    Rank.OPERATOR: "o",
    Rank.VOICE: "v",
    Rank.MEMBER: "",
}
"""The channel modes each rank is seen as."""

PREFIXES: Final = {"q": "~", "o": "@", "v": "+"}
"""The prefix NAMES and WHO show for each rank mode, highest first."""

RANKS_BY_NAME: Final = {name: rank for rank, name in RANK_NAMES.items()}
"""A rank from the word events name it by."""

PREFIX_TOKEN: Final = (
    f"PREFIX=({''.join(PREFIXES)}){''.join(PREFIXES.values())}"  # (qov)~@+
)


def _letters(letters: str) -> str:
    """Mode letters in the order servers list them: small ones first."""
    return "".join(sorted(set(letters), key=lambda letter: (letter.isupper(), letter)))


CHANMODES_TOKEN: Final = (
    f"CHANMODES={_letters(''.join(LIST_LETTERS))},k,l,"
    f"{_letters(''.join(SETTING_LETTERS).replace('k', '').replace('l', ''))}"
)
"""
The channel modes by kind: lists (C{b}), always with an argument (C{k}),
with one only when set (C{l}), and flags (C{imnstR}).
"""

EXTBAN_TOKEN: Final = f"EXTBAN=,{MUTE_PREFIX[0]}"
"""
C{+b m:mask} is a mute, as InspIRCd's extban is advertised: no prefix
before the letter.
"""

CHANNEL_MODES: Final = _letters(
    "".join(LIST_LETTERS) + "".join(SETTING_LETTERS) + "".join(PREFIXES)
)
"""Every channel mode, as 004 lists them."""

CHANNEL_MODES_WITH_ARGUMENT: Final = _letters(
    "".join(LIST_LETTERS) + "kl" + "".join(PREFIXES)
)
"""The channel modes that take an argument, as 004 lists them after the others."""


def rankOf(name: str) -> Rank:
    """The rank an event names; a word this front end does not know is none."""
    return RANKS_BY_NAME.get(name, Rank.MEMBER)


def prefixes(rank: int, multiPrefix: bool) -> str:
    """
    What NAMES and WHO put before a nick of C{rank}: every prefix with
    C{multi-prefix}, else the highest.
    """
    shown = "".join(PREFIXES[letter] for letter in RANK_MODES[Rank(rank)])
    return shown if multiPrefix else shown[:1]


def rankChange(previous: Rank, rank: Rank) -> tuple[str, int]:
    """
    The modes given and taken (C{+q}, C{-v+o}, C{-qo}) that make a member
    of rank C{previous} one of C{rank}, and how many there are, each of
    which names the nick once.
    """
    before, after = set(RANK_MODES[previous]), set(RANK_MODES[rank])
    given = "".join(letter for letter in PREFIXES if letter in after - before)
    taken = "".join(letter for letter in PREFIXES if letter in before - after)
    modes = (f"-{taken}" if taken else "") + (f"+{given}" if given else "")
    return modes, len(given) + len(taken)


def banMask(kind: str, mask: str) -> str:
    """A ban's mask as a C{+b} entry: a mute's with IRC's C{m:} extban."""
    return MUTE_PREFIX + mask if kind == MUTE else mask
