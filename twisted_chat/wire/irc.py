"""
IRC lines as pure functions: one line in, one L{IRCMessage}; one message out,
one line.  The IRC front end (L{twisted_chat.frontends.irc}) speaks through
them, and so do the tests' IRC clients.

The grammar is the client protocol as modern clients use it ("Modern IRC",
RFC 1459/2812 and IRCv3 message tags): an optional C{@tags} section, an
optional C{:source}, a command (letters, or a three-digit numeric), and up to
15 parameters, the last of which may contain spaces after a C{:}.  Lines are
bounded as the specifications bound them: 512 bytes for the message itself,
CRLF included, and 8191 for the tags.  Text is UTF-8; a client that sends
something else has it shown with replacement characters rather than refused,
as most servers do.
"""

import re
from dataclasses import dataclass
from typing import Final

from twisted_chat.chat.textrules import forbiddenCharacter

MAX_MESSAGE_BYTES: Final = 512
"""The most a message may take, CRLF included, tags excluded."""

MAX_TAGS_BYTES: Final = 8191
"""The most the tags section may take, its C{@} and trailing space included."""

MAX_PARAMS: Final = 15

MAX_SERVER_NAME: Final = 63
"""The longest server name (RFC 2812: a host name's 63 characters)."""

_SERVER_NAME: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")

MAX_CLIENT_TAGS_BYTES: Final = 4094
"""
The most a client's own tags (those starting C{+}) may take, as IRCv3
message-tags bounds them; the server's tags have the rest of 8191.
"""

RELAYED_CLIENT_TAGS: Final = frozenset({"+typing", "+draft/reply", "+draft/react"})
"""
The client-only tags passed on to other clients (with C{TAGMSG}): typing
notices, replies and reactions.  Others are dropped, so that clients
cannot use the server to carry what nobody reviewed.
"""

# The numerics twisted.words.protocols.irc does not name: Modern IRC's and
# IRCv3's.

RPL_STATSKLINE: Final = "216"
"""A server-wide ban, in STATS k."""

RPL_STATSDEBUG: Final = "249"
"""A line of a STATS report without a numeric of its own (Hybrid's)."""

RPL_LOCALUSERS: Final = "265"
"""Users on this server now, and the most there have been."""

RPL_GLOBALUSERS: Final = "266"
"""Users on the network now, and the most there have been."""

RPL_WHOSPCRPL: Final = "354"
"""A WHOX reply: the fields the client asked for, in WHOX's order."""

ERR_HELPNOTFOUND: Final = "524"
"""HELP on a subject the server has no help for."""

RPL_HELPSTART: Final = "704"
"""The first line of a HELP answer."""

RPL_HELPTXT: Final = "705"
"""A line of a HELP answer."""

RPL_ENDOFHELP: Final = "706"
"""The last line of a HELP answer."""

RPL_CREATIONTIME: Final = "329"
"""When a channel was made, in seconds since the epoch (after 324)."""

RPL_TOPICWHOTIME: Final = "333"
"""Who set a channel's topic, and when."""

ERR_INVALIDCAPCMD: Final = "410"
"""A CAP subcommand the server does not know (IRCv3 capability negotiation)."""

ERR_INPUTTOOLONG: Final = "417"
"""A line, or a part of one, over the bounds."""

ERR_NEEDREGGEDNICK: Final = "477"
"""
Only logged-in users may join the channel (C{+R}); RFC 2812's
C{ERR_NOCHANMODES} is no longer used.
"""

ERR_BANNICKCHANGE: Final = "435"
"""A nick change refused: a channel the client is in bans the new nick."""

ERR_INVALIDMODEPARAM: Final = "696"
"""A mode's parameter is not one it takes (a bad key, limit or mask)."""

RPL_LOGGEDIN: Final = "900"
"""The client is logged in to an account (IRCv3 SASL)."""

RPL_SASLSUCCESS: Final = "903"
"""SASL authentication succeeded."""

ERR_SASLFAIL: Final = "904"
"""SASL authentication failed."""

ERR_SASLABORTED: Final = "906"
"""The client aborted SASL authentication (C{AUTHENTICATE *})."""

ERR_SASLALREADY: Final = "907"
"""The client has already authenticated with SASL."""

RPL_SASLMECHS: Final = "908"
"""The SASL mechanisms the server offers."""

_TAG_ESCAPES: Final = {";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"}
_TAG_UNESCAPES: Final = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


class MalformedMessage(ValueError):
    """
    A line that is not an IRC message, or is longer than the bounds; its
    text says what is wrong, for the client that sent it.
    """


class MessageTooLong(MalformedMessage):
    """A line over the bounds: 512 bytes for the message, 8191 for tags."""


@dataclass(frozen=True, slots=True)
class IRCMessage:
    """
    One IRC message.

    @ivar command: upper-cased, or a three-digit numeric.
    @ivar params: the parameters, the trailing one included, without its C{:}.
    @ivar source: who it is from (C{nick!user@host} or a server name).
    @ivar tags: IRCv3 tags, unescaped, in order; a tag without a value has
        an empty one.
    """

    command: str
    params: tuple[str, ...] = ()
    source: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


def checkServerName(name: str) -> str:
    """
    Return C{name} if it can name the server in every message's source:
    letters, digits, dots and dashes, starting and ending with a letter or
    digit, no two dots together, at most L{MAX_SERVER_NAME} characters; a
    name with a space or a C{!} would break clients' parsing of sources.

    @raise ValueError: saying why it cannot.
    """
    if not _SERVER_NAME.fullmatch(name) or ".." in name:
        raise ValueError(
            "a server name is letters, digits, dots and dashes, starting and"
            " ending with a letter or digit"
        )
    if len(name) > MAX_SERVER_NAME:
        raise ValueError(f"a server name is at most {MAX_SERVER_NAME} characters")
    return name


def escapeTagValue(value: str) -> str:
    """Escape a tag value for the wire (IRCv3 message-tags)."""
    return "".join(_TAG_ESCAPES.get(character, character) for character in value)


def unescapeTagValue(value: str) -> str:
    """Undo L{escapeTagValue}; an unknown escape stands for its character."""
    out = []
    characters = iter(value)
    for character in characters:
        if character == "\\":
            following = next(characters, "")
            out.append(_TAG_UNESCAPES.get(following, following))
        else:
            out.append(character)
    return "".join(out)


def formatTags(tags: tuple[tuple[str, str], ...]) -> str:
    """Tags as a message's tag section writes them, without its C{@}."""
    return ";".join(
        f"{key}={escapeTagValue(value)}" if value else key for key, value in tags
    )


def parseTags(section: str) -> tuple[tuple[str, str], ...]:
    """
    Read a tag section (without its C{@}): each tag once, the last value
    given winning, as IRCv3 says.

    @raise MalformedMessage: for a tag without a name.
    """
    tags: dict[str, str] = {}
    for item in section.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if not key:
            raise MalformedMessage("it has a tag without a name")
        tags.pop(key, None)
        tags[key] = unescapeTagValue(value)
    return tuple(tags.items())


def relayedClientTags(
    tags: tuple[tuple[str, str], ...],
) -> tuple[tuple[str, str], ...]:
    """
    The tags of a client's message that are passed on to others: its own
    (C{+}) tags that L{RELAYED_CLIENT_TAGS} names, whose values hold no
    control character (they reach line-protocol users too, some at a bare
    terminal).

    @raise MessageTooLong: if the client's own tags are over
        L{MAX_CLIENT_TAGS_BYTES}.
    """
    own = tuple((key, value) for key, value in tags if key.startswith("+"))
    if len(formatTags(own).encode("utf-8")) > MAX_CLIENT_TAGS_BYTES:
        raise MessageTooLong(f"its client tags are over {MAX_CLIENT_TAGS_BYTES} bytes")
    return tuple(
        (key, value)
        for key, value in own
        if key in RELAYED_CLIENT_TAGS and forbiddenCharacter(value) is None
    )


def parseMessage(line: bytes) -> IRCMessage:
    """
    Read one line (without its line ending) as an IRC message.

    @raise MalformedMessage: if it is not one, or is over the bounds.
    """
    if b"\0" in line:
        raise MalformedMessage("it holds a NUL byte")
    if b"\r" in line or b"\n" in line:
        raise MalformedMessage("it holds a CR or LF that does not end it")
    tags: tuple[tuple[str, str], ...] = ()
    if line.startswith(b"@"):
        tagSection, _, line = line.partition(b" ")
        if len(tagSection) + 1 > MAX_TAGS_BYTES:
            raise MessageTooLong(f"its tags are over {MAX_TAGS_BYTES} bytes")
        tags = parseTags(tagSection[1:].decode("utf-8", "replace"))
        line = line.lstrip(b" ")
    if len(line) + 2 > MAX_MESSAGE_BYTES:
        raise MessageTooLong(
            f"it is over {MAX_MESSAGE_BYTES} bytes with its CRLF, tags apart"
        )
    text = line.decode("utf-8", "replace")
    source = None
    if text.startswith(":"):
        prefix, _, text = text.partition(" ")
        source = prefix[1:]
        if not source:
            raise MalformedMessage("it has a ':' with no source after it")
        text = text.lstrip(" ")
    commandWord, _, rest = text.partition(" ")
    if not (commandWord.isascii() and commandWord.isalpha()) and not (
        len(commandWord) == 3 and commandWord.isascii() and commandWord.isdigit()
    ):
        raise MalformedMessage(f"it has no command (it starts {text[:20]!r})")
    return IRCMessage(commandWord.upper(), _parseParams(rest), source, tags)


def _parseParams(rest: str) -> tuple[str, ...]:
    params: list[str] = []
    while rest:
        rest = rest.lstrip(" ")
        if not rest:
            break
        if rest.startswith(":") or len(params) == MAX_PARAMS - 1:
            params.append(rest.removeprefix(":"))
            break
        word, _, rest = rest.partition(" ")
        params.append(word)
    return tuple(params)


def formatMessage(message: IRCMessage) -> bytes:
    """
    Write C{message} as one line, CRLF included.

    @raise ValueError: if a parameter could not be sent as given (a line
        break or NUL, a space or C{:} start in a parameter that is not the
        last, an empty middle parameter) or the message is over the bounds.
    """
    parts = []
    if message.tags:
        parts.append("@" + formatTags(message.tags))
    tagBytes = len(parts[0].encode("utf-8")) + 1 if parts else 0
    if tagBytes > MAX_TAGS_BYTES:
        raise ValueError("tags too long")
    body = []
    if message.source is not None:
        body.append(f":{message.source}")
    body.append(message.command)
    params = message.params
    for index, param in enumerate(params):
        if "\r" in param or "\n" in param or "\0" in param:
            raise ValueError(f"line break or NUL in a parameter: {param!r}")
        last = index == len(params) - 1
        if last and (not param or " " in param or param.startswith(":")):
            body.append(f":{param}")
        elif not param or " " in param or param.startswith(":"):
            raise ValueError(f"parameter {param!r} can only be the last")
        else:
            body.append(param)
    encoded = " ".join(body).encode("utf-8")
    if len(encoded) + 2 > MAX_MESSAGE_BYTES:
        raise ValueError("message too long")
    head = (parts[0] + " ").encode("utf-8") if parts else b""
    return head + encoded + b"\r\n"


def splitText(text: str, room: int) -> list[str]:
    """
    Cut C{text} into pieces of at most C{room} UTF-8 bytes each, at spaces
    where possible and never inside a character, so that a long message from
    the line protocol reaches an IRC client as several lines.
    """
    if room < 4:
        raise ValueError("no room for even one character")
    pieces = []
    while len(text.encode("utf-8")) > room:
        cut = len(text.encode("utf-8")[:room].decode("utf-8", "ignore"))
        # A space just after the piece is as good a place as one within it.
        space = text.rfind(" ", 0, cut + 1)
        if space > 0:
            cut = space
        pieces.append(text[:cut])
        text = text[cut:].removeprefix(" ") if space > 0 else text[cut:]
    pieces.append(text)
    return pieces
