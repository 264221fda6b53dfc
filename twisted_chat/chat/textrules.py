"""
Which characters chat text may hold: the same rule for every front end.

What one person types reaches the others through the terminal client, IRC
clients and plain C{nc} or C{telnet}, and the last two hand it to a terminal
as it is.  So the server refuses text holding a character that would
control a terminal or another protocol: the C0 controls (ESC, which starts
terminal escape sequences; BEL; CTCP's marker C{\\x01}, which would turn a
line user's text into a CTCP request for IRC users; and the rest) other than
tab and IRC's formatting codes, DEL, and the C1 controls (U+0080 to U+009F,
among them the single-character CSI).  Refusing, rather than silently
removing, lets the sender see exactly what was not sent and why.

Bidirectional overrides and isolates stay: they are how right-to-left
languages are written.  They cannot move a cursor or clear a screen, and
the terminal client shows them escaped (L{twisted_chat.terminal.safetext}).

Text that cannot be refused (a quit reason, something stored before this
rule) is cleaned instead: each forbidden character becomes U+FFFD.
"""

import dataclasses
from typing import Final, TypeVar

from twisted_chat.chat.errors import ForbiddenCharacter
from twisted_chat.chat.events import PrivateMessage, RoomMessage, TopicInfo

Stored = TypeVar("Stored", RoomMessage, PrivateMessage, TopicInfo)

IRC_FORMATTING: Final = frozenset("\x02\x03\x0f\x11\x16\x1d\x1e\x1f")
"""Bold, colour, reset, monospace, reverse, italic, strikethrough, underline."""

ALLOWED_CONTROLS: Final = frozenset({"\t"}) | IRC_FORMATTING
"""The only control characters text may hold."""

_NAMES: Final = {
    "\x00": "NUL",
    "\x01": "the CTCP marker",
    "\x07": "BEL",
    "\x08": "backspace",
    "\x0a": "LF",
    "\x0d": "CR",
    "\x1b": "ESC",
    "\x7f": "DEL",
    "\x9b": "CSI",
}

REPLACEMENT: Final = "\ufffd"


def forbiddenCharacter(text: str) -> str | None:
    """
    Return the first character of C{text} that text may not hold, or
    L{None} if there is none.
    """
    if text.isprintable():
        # No control, format or separator character at all: the usual case.
        return None
    for character in text:
        if _forbidden(character):
            return character
    return None


def _forbidden(character: str) -> bool:
    code = ord(character)
    return (code < 0x20 and character not in ALLOWED_CONTROLS) or 0x7F <= code <= 0x9F


def describe(character: str) -> str:
    """Name a character so that a person can find it: C{ESC (U+001B)}."""
    code = f"U+{ord(character):04X}"
    name = _NAMES.get(character)
    return f"{name} ({code})" if name else code


def checkText(text: str, what: str = "Text") -> str:
    """
    Return C{text} if it may be sent, or raise L{ForbiddenCharacter} naming
    the first character that may not.
    """
    character = forbiddenCharacter(text)
    if character is not None:
        raise ForbiddenCharacter(
            f"{what} may not hold {describe(character)}, a control character;"
            " nothing was sent."
        )
    return text


def cleanText(text: str) -> str:
    """Return C{text} with each character it may not hold made U+FFFD."""
    if forbiddenCharacter(text) is None:
        return text
    return "".join(REPLACEMENT if _forbidden(c) else c for c in text)


def cleanStored(event: Stored) -> Stored:
    """
    Return C{event} with any character that text may no longer hold made
    U+FFFD: what was stored before the rule reaches nobody's terminal as a
    control sequence either.
    """
    if forbiddenCharacter(event.text) is None:
        return event
    return dataclasses.replace(event, text=cleanText(event.text))


def because(reason: str) -> str:
    """C{": reason"} to end a sentence with, or nothing for no reason."""
    return f": {reason}" if reason else ""
