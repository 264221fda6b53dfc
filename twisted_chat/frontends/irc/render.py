"""
How the chat's events and the server's replies look to an IRC client.

What every client in a room sees alike (joins, parts, quits, kicks, nick
and topic changes, changes of rank, mode and ban as C{MODE}, and room
messages, cut to fit IRC's 512 bytes, actions as CTCP ACTION, times as
IRCv3 C{server-time} tags) is made once per way of seeing it
(L{sharedMessages}); the rest (private messages, invitations, topic, names,
mode and ban list replies, the room list, notices and announcements) for
one client, from its nick and the capabilities it asked for
(L{clientMessages}).  Pure functions: the IRC outbox and connections format
what they return.
"""

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Final

from twisted.words.protocols.irc import (
    RPL_BANLIST,
    RPL_CHANNELMODEIS,
    RPL_ENDOFBANLIST,
    RPL_ENDOFNAMES,
    RPL_INVITING,
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
    StatusMessage,
    TagMessage,
    TopicChanged,
    TopicInfo,
    UserNotice,
)
from twisted_chat.chat.modes import MUTE
from twisted_chat.chat.names import fold
from twisted_chat.chat.orderevents import (
    Announcement,
    BanChanged,
    BanListEnd,
    BanListEntry,
    Invited,
    Kicked,
    ModesChanged,
    RankChanged,
    RoomModes,
)
from twisted_chat.frontends.irc.msgids import msgidOf, privateMsgid, roomMsgid
from twisted_chat.frontends.irc.ranks import banMask, prefixes, rankChange, rankOf
from twisted_chat.wire.irc import (
    MAX_MESSAGE_BYTES,
    RPL_CREATIONTIME,
    RPL_TOPICWHOTIME,
    IRCMessage,
    splitText,
)

DEFAULT_SERVER_NAME: Final = "twisted-chat"
"""
How the server names itself to IRC clients unless told otherwise (the
factory's C{serverName}, which every function here that speaks for the
server takes as C{server}).
"""

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


View = frozenset[str]
"""
A way of seeing shared events: the capabilities of a client that change
how they look (L{VIEW_CAPABILITIES}).  The outbox formats a room's event
once per view among its members, not once per member.
"""

VIEW_CAPABILITIES: Final = frozenset(
    {"server-time", "message-tags", "account-tag", "extended-join"}
)
"""The capabilities that change how shared events look."""


def viewOf(capabilities: Collection[str]) -> View:
    """The view of a client that asked for C{capabilities}."""
    return VIEW_CAPABILITIES.intersection(capabilities)


Tags = tuple[tuple[str, str], ...]


def timeTags(time: int, view: Collection[str]) -> Tags:
    """The tags of an event at C{time}, for a client with server-time."""
    return (("time", serverTime(time)),) if "server-time" in view else ()


def messageTags(
    time: int, view: Collection[str], msgid: str, account: str | None
) -> Tags:
    """
    The tags of a message said at C{time}: its time (C{server-time}), its
    C{msgid} (C{message-tags}) and the sender's account (C{account-tag}),
    each for a client that asked for it.
    """
    tags = timeTags(time, view)
    if "message-tags" in view:
        tags += (("msgid", msgid),)
    if account is not None and "account-tag" in view:
        tags += (("account", account),)
    return tags


def privmsgs(
    target: str,
    sender: str,
    text: str,
    action: bool,
    tags: Tags,
    command: str = "PRIVMSG",
) -> list[IRCMessage]:
    """
    C{text} as PRIVMSGs: one, if it fits in 512 bytes with the source every
    recipient sees; else cut into as many as it needs, at spaces where it
    can and never inside a UTF-8 character.
    """
    source = mask(sender)
    overhead = len(f":{source} {command} {target} :\r\n".encode())
    if action:
        overhead += len("\x01ACTION \x01")
    messages = []
    for piece in splitText(text, MAX_MESSAGE_BYTES - overhead):
        body = f"\x01ACTION {piece}\x01" if action else piece
        messages.append(IRCMessage(command, (target, body), source, tags))
    return messages


def notices(target: str, sender: str, text: str, tags: Tags) -> list[IRCMessage]:
    """C{text} as NOTICEs, cut as L{privmsgs} cuts PRIVMSGs."""
    return privmsgs(target, sender, text, False, tags, "NOTICE")


SHARED_EVENTS: Final = (
    Joined,
    Parted,
    Quit,
    NickChanged,
    TopicChanged,
    RoomMessage,
    UserNotice,
    Kicked,
    RankChanged,
    ModesChanged,
    BanChanged,
)
"""Events every IRC client in a room sees alike (times aside)."""


def sharedMessages(
    server: str, event: Event, view: Collection[str]
) -> list[IRCMessage]:
    """
    The messages for one of L{SHARED_EVENTS}, the same for every client
    with the same L{View}.
    """
    match event:
        case Joined(room, nick, time, account, realname):
            tags = timeTags(time, view)
            if account is not None and "account-tag" in view:
                tags += (("account", account),)
            if "extended-join" in view:
                params: tuple[str, ...] = (room, account or "*", realname or nick)
            else:
                params = (room,)
            return [IRCMessage("JOIN", params, mask(nick), tags)]
        case Parted(room, nick, time, reason):
            params = (room, reason) if reason else (room,)
            return [IRCMessage("PART", params, mask(nick), timeTags(time, view))]
        case Quit(nick, time, reason):
            return [IRCMessage("QUIT", (reason,), mask(nick), timeTags(time, view))]
        case NickChanged(old, new, time):
            return [IRCMessage("NICK", (new,), mask(old), timeTags(time, view))]
        case TopicChanged(room, time, nick, text):
            tags = timeTags(time, view)
            return [IRCMessage("TOPIC", (room, text), mask(nick), tags)]
        case RoomMessage(room, sequence, time, sender, text, action, _, account):
            tags = messageTags(time, view, roomMsgid(room, sequence), account)
            return privmsgs(room, sender, text, action, tags)
        case UserNotice(target, time, sender, text, account):
            msgid = msgidOf(target, time, sender, text)
            return notices(
                target, sender, text, messageTags(time, view, msgid, account)
            )
        case Kicked(room, nick, by, time, reason):
            return [kick(room, nick, by, reason, timeTags(time, view))]
        case RankChanged(room, nick, rank, by, time, previous):
            modes, count = rankChange(rankOf(previous), rankOf(rank))
            if not count:
                return []
            # A rank one comes in with, or takes, is the rules': the server's.
            source = server if fold(by) == fold(nick) else mask(by)
            params = (room, modes, *[nick] * count)
            return [IRCMessage("MODE", params, source, timeTags(time, view))]
        case ModesChanged(room, by, time, modes):
            params = (room, *modes.split(" "))
            return [IRCMessage("MODE", params, mask(by), timeTags(time, view))]
        case BanChanged(room, by, time, kind, banned, added):
            params = (room, "+b" if added else "-b", banMask(kind, banned))
            return [IRCMessage("MODE", params, mask(by), timeTags(time, view))]
    raise TypeError(f"not a shared event: {event!r}")


def kick(
    room: str, nick: str, by: str, reason: str, tags: tuple[tuple[str, str], ...]
) -> IRCMessage:
    """
    C{by}'s C{KICK} of C{nick}, with C{reason} cut to fit (or, with none,
    C{by}'s nick, as servers say it).
    """
    source = mask(by)
    overhead = len(f":{source} KICK {room} {nick} :\r\n".encode())
    said = splitText(reason or by, MAX_MESSAGE_BYTES - overhead)[0]
    return IRCMessage("KICK", (room, nick, said), source, tags)


def reply(server: str, nick: str, code: str, *params: str) -> IRCMessage:
    """
    The numeric C{code} from the server to the client called C{nick} (C{*}
    before it has registered, as numerics name it).  A parameter echoed
    from the client that cannot stand before the last (empty, with a
    space, or starting with C{:}, as a client's last parameter may) is
    C{*}.
    """
    *middle, last = (nick, *params)
    return IRCMessage(code, (*map(_middle, middle), last), server)


def _middle(param: str) -> str:
    """C{param}, or C{*} if it may only be a message's last parameter."""
    if not param or " " in param or param.startswith(":"):
        return "*"
    return param


def serverNotice(server: str, nick: str, text: str) -> IRCMessage:
    """A C{NOTICE} from the server to the client called C{nick}."""
    return IRCMessage("NOTICE", (nick, text), server)


def serverNotices(server: str, nick: str, text: str) -> list[IRCMessage]:
    """C{text}, which may be long, as server C{NOTICE}s that each fit."""
    overhead = len(f":{server} NOTICE {nick} :\r\n".encode())
    return [
        serverNotice(server, nick, piece)
        for piece in splitText(text, MAX_MESSAGE_BYTES - overhead)
    ]


def closingLink(reason: str) -> IRCMessage:
    """The C{ERROR} that tells a client why its connection is being closed."""
    return IRCMessage("ERROR", (f"Closing Link: {reason}",))


def hidden(
    message: RoomMessage | UserNotice | TagMessage | StatusMessage,
    nick: str,
    capabilities: Collection[str],
) -> bool:
    """
    Whether the client called C{nick} is not shown C{message}: its own,
    said just now, when it did not ask for C{echo-message} (a notice to
    itself it gets, as the one it is for).
    """
    if isinstance(message, RoomMessage) and message.history:
        return False
    if isinstance(message, UserNotice | TagMessage) and fold(message.target) == fold(
        nick
    ):
        return False
    return "echo-message" not in capabilities and fold(message.sender) == fold(nick)


def topicReplies(
    server: str, nick: str, topic: TopicInfo, asked: bool
) -> list[IRCMessage]:
    """
    The replies that tell the client called C{nick} of a channel's topic:
    332 and 333, or, when it C{asked} for a channel without one, 331.
    """
    if topic.nick is None or topic.time is None:
        if asked:
            return [reply(server, nick, RPL_NOTOPIC, topic.room, "No topic is set")]
        return []
    return [
        reply(server, nick, RPL_TOPIC, topic.room, topic.text),
        reply(
            server,
            nick,
            RPL_TOPICWHOTIME,
            topic.room,
            mask(topic.nick),
            str(topic.time // 1000),
        ),
    ]


def namesReplies(
    server: str,
    nick: str,
    room: str,
    nicks: tuple[str, ...],
    ranks: tuple[int, ...] = (),
    multiPrefix: bool = False,
    userhosts: bool = False,
) -> list[IRCMessage]:
    """
    The replies that tell the client called C{nick} who is in C{room}: the
    C{nicks}, each with the prefixes of its rank in C{ranks} (all of them
    with C{multiPrefix}, else the highest) and, with C{userhosts}, as
    C{nick!user@host}, in as many 353s as they need, then 366.
    """
    replies = []
    line: list[str] = []
    for index, each in enumerate(nicks):
        rank = ranks[index] if index < len(ranks) else 0
        line.append(prefixes(rank, multiPrefix) + (mask(each) if userhosts else each))
        if len(" ".join(line)) > NAMES_LINE_LENGTH:
            replies.append(reply(server, nick, RPL_NAMREPLY, "=", room, " ".join(line)))
            line = []
    if line:
        replies.append(reply(server, nick, RPL_NAMREPLY, "=", room, " ".join(line)))
    replies.append(reply(server, nick, RPL_ENDOFNAMES, room, "End of /NAMES list"))
    return replies


def modesReplies(server: str, nick: str, modes: RoomModes) -> list[IRCMessage]:
    """
    A room's modes (324) and when it was made (329, unless that is not
    known: the lobby, made as the server starts, has no time of making).
    """
    replies = [
        reply(server, nick, RPL_CHANNELMODEIS, modes.room, *modes.modes.split(" "))
    ]
    if modes.created:
        created = str(modes.created // 1000)
        replies.append(reply(server, nick, RPL_CREATIONTIME, modes.room, created))
    return replies


def clientMessages(
    server: str, event: Event, nick: str, capabilities: Collection[str]
) -> list[IRCMessage]:
    """
    The messages that tell the client called C{nick} (C{*} before it has
    registered), which asked for C{capabilities}, of C{event}; none for an
    event IRC has no way to say (the line protocol's C{WELCOME},
    C{CURRENT}, C{ENDHISTORY}).
    """
    view = viewOf(capabilities)
    match event:
        case RoomMessage() | UserNotice() if hidden(event, nick, capabilities):
            return []
        case BanChanged("*", _, _, _, banned, added, _, reason):
            # A server-wide ban, told to the server operator who set it.
            said = f"Server ban on {banned} {'set' if added else 'lifted'}"
            return serverNotices(server, nick, f"{said}: {reason}" if reason else said)
        case _ if isinstance(event, SHARED_EVENTS):
            return sharedMessages(server, event, view)
        case PrivateMessage(sender, recipient, time, text, _, account):
            me = fold(nick)
            copy = fold(sender) == me and fold(recipient) != me
            if copy and "echo-message" not in capabilities:
                return []
            msgid = privateMsgid(sender, recipient, time, text)
            tags = messageTags(time, view, msgid, account)
            return privmsgs(recipient, sender, text, False, tags)
        case TopicInfo():
            return topicReplies(server, nick, event, asked=False)
        case MemberList(room, nicks, ranks):
            multiPrefix = "multi-prefix" in capabilities
            hosts = "userhost-in-names" in capabilities
            return namesReplies(server, nick, room, nicks, ranks, multiPrefix, hosts)
        case Invited(room, invited, by, time):
            if fold(by) == fold(nick) and fold(invited) != fold(nick):
                return [reply(server, nick, RPL_INVITING, invited, room)]
            if fold(invited) == fold(nick) or "invite-notify" in capabilities:
                tags = timeTags(time, view)
                return [IRCMessage("INVITE", (invited, room), mask(by), tags)]
            return []
        case RoomModes():
            return modesReplies(server, nick, event)
        case BanListEntry(room, kind, banned, setBy, setAt):
            entry = banMask(kind, banned)
            return [
                reply(server, nick, RPL_BANLIST, room, entry, setBy, str(setAt // 1000))
            ]
        case BanListEnd(room, kind) if kind == MUTE or room == "*":
            # Bans then mutes: IRC's one list, which ends after the mutes.
            return [
                reply(server, nick, RPL_ENDOFBANLIST, room, "End of channel ban list")
            ]
        case Announcement(by, _, text):
            return serverNotices(server, nick, f"Announcement from {by}: {text}")
        case RoomListEntry(room, count, topic):
            return [reply(server, nick, RPL_LIST, room, str(count), topic)]
        case RoomListEnd():
            return [reply(server, nick, RPL_LISTEND, "End of /LIST")]
        case Notice(text) | HelpText(text) | AccountInfo(_, text):
            return [serverNotice(server, nick, text)]
        case ErrorReply(_, text):
            return [serverNotice(server, nick, text)]
        case HistoryGap(room, first, last):
            text = f"Messages {first} to {last} of {room} are not replayed."
            return [IRCMessage("NOTICE", (room, text), server)]
        case Goodbye(_, reason):
            return [closingLink(reason)]
        case Ping(token):
            return [IRCMessage("PING", (token,))]
    return []
