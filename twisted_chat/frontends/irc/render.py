"""
How the chat's events look to IRC clients, where every client in a room
sees them alike: joins, parts, quits, nick and topic changes, and room
messages (cut to fit IRC's 512 bytes, actions as CTCP ACTION, times as
IRCv3 C{server-time} tags).  Pure functions, for the IRC listener to format
each event once per way of seeing it.
"""

from datetime import UTC, datetime
from typing import Final

from twisted_chat.chat.events import (
    Event,
    Joined,
    NickChanged,
    Parted,
    Quit,
    RoomMessage,
    TopicChanged,
)
from twisted_chat.wire.irc import MAX_MESSAGE_BYTES, IRCMessage, splitText

USER_HOST: Final = "chat"
"""
The host shown in everyone's C{nick!user@host}: addresses are not shown to
other users.
"""


def mask(nick: str) -> str:
    """The source an IRC client sees for C{nick}."""
    return f"{nick}!{nick}@{USER_HOST}"


def serverTime(milliseconds: int) -> str:
    """An IRCv3 C{server-time} tag value."""
    stamp = datetime.fromtimestamp(milliseconds / 1000, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{milliseconds % 1000:03d}Z"


def timeTags(time: int, tagged: bool) -> tuple[tuple[str, str], ...]:
    """The tags of a message said at C{time}, for a client with server-time."""
    return (("time", serverTime(time)),) if tagged else ()


def privmsgs(
    target: str, sender: str, time: int, text: str, action: bool, tagged: bool
) -> list[IRCMessage]:
    """C{text} as PRIVMSGs, cut at spaces so that each fits in 512 bytes."""
    source = mask(sender)
    overhead = len(f":{source} PRIVMSG {target} :\r\n".encode())
    tags = timeTags(time, tagged)
    messages = []
    # 12 more bytes: room for the CTCP ACTION wrapping.
    for piece in splitText(text, MAX_MESSAGE_BYTES - overhead - 12):
        body = f"\x01ACTION {piece}\x01" if action else piece
        messages.append(IRCMessage("PRIVMSG", (target, body), source, tags))
    return messages


SHARED_EVENTS: Final = (Joined, Parted, Quit, NickChanged, TopicChanged, RoomMessage)
"""Events every IRC client in a room sees alike (times aside)."""


def sharedMessages(event: Event, tagged: bool) -> list[IRCMessage]:
    """
    The messages for one of L{SHARED_EVENTS}, the same for every client
    (with or without times).
    """
    match event:
        case Joined(room, nick, time):
            return [IRCMessage("JOIN", (room,), mask(nick), timeTags(time, tagged))]
        case Parted(room, nick, time, reason):
            params = (room, reason) if reason else (room,)
            return [IRCMessage("PART", params, mask(nick), timeTags(time, tagged))]
        case Quit(nick, time, reason):
            return [IRCMessage("QUIT", (reason,), mask(nick), timeTags(time, tagged))]
        case NickChanged(old, new, time):
            return [IRCMessage("NICK", (new,), mask(old), timeTags(time, tagged))]
        case TopicChanged(room, time, nick, text):
            tags = timeTags(time, tagged)
            return [IRCMessage("TOPIC", (room, text), mask(nick), tags)]
        case RoomMessage(room, _, time, sender, text, action, _):
            return privmsgs(room, sender, time, text, action, tagged)
    raise TypeError(f"not a shared event: {event!r}")
