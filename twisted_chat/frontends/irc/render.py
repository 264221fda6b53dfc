"""
How the chat's events and the server's replies look to an IRC client.

What every client in a room sees alike (joins, parts, quits, nick and topic
changes, and room messages, cut to fit IRC's 512 bytes, actions as CTCP
ACTION, times as IRCv3 C{server-time} tags) is made once per way of seeing
it (L{sharedMessages}); the rest (private messages, topic and names
replies, the room list, notices) for one client, from its nick and the
capabilities it asked for (L{clientMessages}).  Pure functions: the IRC
outbox and connections format what they return.
"""

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Final

from twisted.words.protocols.irc import (
    RPL_ENDOFNAMES,
    RPL_LIST,
    RPL_LISTEND,
    RPL_NAMREPLY,
    RPL_NOTOPIC,
    RPL_TOPIC,
)

from twisted_chat.chat.events import (
    AccountInfo,
    ErrorReply,
    Event,
    Goodbye,
    HelpText,
    HistoryGap,
    Joined,
    MemberList,
    NickChanged,
    Notice,
    Parted,
    Ping,
    PrivateMessage,
    Quit,
    RoomListEnd,
    RoomListEntry,
    RoomMessage,
    TopicChanged,
    TopicInfo,
    UserNotice,
)
from twisted_chat.chat.names import fold
from twisted_chat.wire.irc import (
    MAX_MESSAGE_BYTES,
    RPL_TOPICWHOTIME,
    IRCMessage,
    splitText,
)

SERVER_NAME: Final = "twisted-chat"
"""How the server names itself to IRC clients."""

NAMES_LINE_LENGTH: Final = 380
"""
A 353 reply's nicks are sent in lines that end once past this many
characters, so that each, with its prefix, fits in 512 bytes.
"""

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


def notices(
    target: str, sender: str, time: int, text: str, tagged: bool
) -> list[IRCMessage]:
    """C{text} as NOTICEs, cut at spaces so that each fits in 512 bytes."""
    source = mask(sender)
    overhead = len(f":{source} NOTICE {target} :\r\n".encode())
    tags = timeTags(time, tagged)
    return [
        IRCMessage("NOTICE", (target, piece), source, tags)
        for piece in splitText(text, MAX_MESSAGE_BYTES - overhead)
    ]


SHARED_EVENTS: Final = (
    Joined,
    Parted,
    Quit,
    NickChanged,
    TopicChanged,
    RoomMessage,
    UserNotice,
)
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
        case UserNotice(target, time, sender, text):
            return notices(target, sender, time, text, tagged)
    raise TypeError(f"not a shared event: {event!r}")


def reply(nick: str, code: str, *params: str) -> IRCMessage:
    """
    The numeric C{code} from the server to the client called C{nick} (C{*}
    before it has registered, as numerics name it).
    """
    return IRCMessage(code, (nick, *params), SERVER_NAME)


def serverNotice(nick: str, text: str) -> IRCMessage:
    """A C{NOTICE} from the server to the client called C{nick}."""
    return IRCMessage("NOTICE", (nick, text), SERVER_NAME)


def closingLink(reason: str) -> IRCMessage:
    """The C{ERROR} that tells a client why its connection is being closed."""
    return IRCMessage("ERROR", (f"Closing Link: {reason}",))


def hidden(
    message: RoomMessage | UserNotice, nick: str, capabilities: Collection[str]
) -> bool:
    """
    Whether the client called C{nick} is not shown C{message}: its own,
    said just now, when it did not ask for C{echo-message} (a notice to
    itself it gets, as the one it is for).
    """
    if isinstance(message, RoomMessage) and message.history:
        return False
    if isinstance(message, UserNotice) and fold(message.target) == fold(nick):
        return False
    return "echo-message" not in capabilities and fold(message.sender) == fold(nick)


def topicReplies(nick: str, topic: TopicInfo, asked: bool) -> list[IRCMessage]:
    """
    The replies that tell the client called C{nick} of a channel's topic:
    332 and 333, or, when it C{asked} for a channel without one, 331.
    """
    if topic.nick is None or topic.time is None:
        if asked:
            return [reply(nick, RPL_NOTOPIC, topic.room, "No topic is set")]
        return []
    return [
        reply(nick, RPL_TOPIC, topic.room, topic.text),
        reply(
            nick,
            RPL_TOPICWHOTIME,
            topic.room,
            mask(topic.nick),
            str(topic.time // 1000),
        ),
    ]


def namesReplies(nick: str, room: str, nicks: tuple[str, ...]) -> list[IRCMessage]:
    """
    The replies that tell the client called C{nick} who is in C{room}: the
    C{nicks} in as many 353s as they need, then 366.
    """
    replies = []
    line: list[str] = []
    for each in nicks:
        line.append(each)
        if len(" ".join(line)) > NAMES_LINE_LENGTH:
            replies.append(reply(nick, RPL_NAMREPLY, "=", room, " ".join(line)))
            line = []
    if line:
        replies.append(reply(nick, RPL_NAMREPLY, "=", room, " ".join(line)))
    replies.append(reply(nick, RPL_ENDOFNAMES, room, "End of /NAMES list"))
    return replies


def clientMessages(
    event: Event, nick: str, capabilities: Collection[str]
) -> list[IRCMessage]:
    """
    The messages that tell the client called C{nick} (C{*} before it has
    registered), which asked for C{capabilities}, of C{event}; none for an
    event IRC has no way to say (the line protocol's C{WELCOME},
    C{CURRENT}, C{ENDHISTORY}).
    """
    tagged = "server-time" in capabilities
    match event:
        case RoomMessage() | UserNotice() if hidden(event, nick, capabilities):
            return []
        case _ if isinstance(event, SHARED_EVENTS):
            return sharedMessages(event, tagged)
        case PrivateMessage(sender, recipient, time, text, _):
            me = fold(nick)
            copy = fold(sender) == me and fold(recipient) != me
            if copy and "echo-message" not in capabilities:
                return []
            return privmsgs(recipient, sender, time, text, False, tagged)
        case TopicInfo():
            return topicReplies(nick, event, asked=False)
        case MemberList(room, nicks):
            return namesReplies(nick, room, nicks)
        case RoomListEntry(room, count, topic):
            return [reply(nick, RPL_LIST, room, str(count), topic)]
        case RoomListEnd():
            return [reply(nick, RPL_LISTEND, "End of /LIST")]
        case Notice(text) | HelpText(text) | AccountInfo(_, text):
            return [serverNotice(nick, text)]
        case ErrorReply(_, text):
            return [serverNotice(nick, text)]
        case HistoryGap(room, first, last):
            text = f"Messages {first} to {last} of {room} are not replayed."
            return [IRCMessage("NOTICE", (room, text), SERVER_NAME)]
        case Goodbye(_, reason):
            return [closingLink(reason)]
        case Ping(token):
            return [IRCMessage("PING", (token,))]
    return []
