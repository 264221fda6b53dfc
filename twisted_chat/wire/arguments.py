"""
Reading the arguments of a typed command: its words, a room, a count, and
the usage error for a command misused.

The line protocol's parsers (L{twisted_chat.wire.line} and
L{twisted_chat.wire.moderationlines}) share these, so that every command
reads C{[#room]}, numbers and its usage the same way.
"""

from typing import Final

from twisted_chat.chat.commands import COMMANDS
from twisted_chat.chat.errors import BadArguments

MAX_SEQUENCE: Final = 2**63 - 1
"""Sequence numbers are SQLite integers."""


def usage(name: str) -> BadArguments:
    """The error for a misused command: its usage, from L{COMMANDS}."""
    return BadArguments(f"Usage: {COMMANDS[name].usage}")


def words(name: str, rest: str, required: int, optional: int) -> list[str]:
    """
    Split C{rest} into C{required} to C{required + optional} words.
    """
    given = rest.split()
    if not required <= len(given) <= required + optional:
        raise usage(name)
    return given


def roomWord(word: str) -> str:
    """Let C{lobby} mean C{#lobby} where only a room can be meant."""
    return word if word.startswith("#") else "#" + word


def optionalRoomAndText(rest: str) -> tuple[str | None, str]:
    """Split C{[#room] [text]}."""
    if rest.startswith("#"):
        room, _, text = rest.partition(" ")
        return room, text.strip()
    return None, rest


def count(name: str, word: str, maximum: int) -> int:
    """C{word} as a number from 0 to C{maximum}, for C{/name}."""
    if not word.isascii() or not word.isdigit() or len(word) > 18:
        raise usage(name)
    value = int(word)
    if value > maximum:
        raise BadArguments(f"/{name} takes at most {maximum}.")
    return value
