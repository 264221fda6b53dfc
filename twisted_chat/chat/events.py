"""
What the server tells a participant: the vocabulary shared by server and client.

The chat core produces these events and hands them to participants; the wire
module turns each into exactly one line and back, so the terminal client
renders the very objects the core made (the operator console does so without
any wire in between).  Times are integer milliseconds since the Unix epoch,
UTC, so that they survive the round trip exactly.

Room messages (L{RoomMessage}) carry their room's sequence number, strictly
increasing per room, so that history and resume can be built on them.  What
members say carries the sender's C{account} when said just now, for IRC's
C{account-tag}: the line protocol does not carry it, nor the store keep it.

The events about order being kept (ranks, modes, kicks, bans, the audit
log, the server's figures) are in L{twisted_chat.chat.orderevents}.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    """Base of everything a server may send to a participant."""


@dataclass(frozen=True, slots=True)
class Welcome(Event):
    """The first line of a connection: the nick the server gave you."""

    nick: str
    text: str


@dataclass(frozen=True, slots=True)
class NickChanged(Event):
    """Someone (maybe you) now goes by another nick."""

    old: str
    new: str
    time: int


@dataclass(frozen=True, slots=True)
class Joined(Event):
    """
    Someone (maybe you) joined a room, with its C{account} (if any) and
    C{realname}, which IRC's C{extended-join} shows and lines do not carry.
    """

    room: str
    nick: str
    time: int
    account: str | None = None
    realname: str = ""


@dataclass(frozen=True, slots=True)
class Parted(Event):
    """Someone (maybe you) left a room."""

    room: str
    nick: str
    time: int
    reason: str


@dataclass(frozen=True, slots=True)
class Quit(Event):
    """Someone who shared a room with you left the server."""

    nick: str
    time: int
    reason: str


@dataclass(frozen=True, slots=True)
class RoomMessage(Event):
    """
    A message said in a room, with its place in the room's sequence.

    @ivar action: true for C{/me} actions, shown as "* nick text".
    @ivar history: true when replayed from the store (on joining, resuming or
        asking for history) rather than said just now.
    @ivar account: the sender's account, if any, when said just now (IRC's
        C{account-tag}); not stored, not on the line protocol.
    """

    room: str
    sequence: int
    time: int
    sender: str
    text: str
    action: bool = False
    history: bool = False
    account: str | None = None


@dataclass(frozen=True, slots=True)
class PrivateMessage(Event):
    """
    A message from one nick to another; the sender gets a copy too.

    @ivar offline: true when it waited in the store for the recipient to log in.
    """

    sender: str
    recipient: str
    time: int
    text: str
    offline: bool = False
    account: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryGap(Event):
    """
    Messages C{first} to C{last} of a room are not replayed: retention
    dropped them, or there were more than a replay gives.
    """

    room: str
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class HistoryEnd(Event):
    """
    The end of a replay of C{count} messages.

    @ivar through: for a C{join} or C{resume} replay, the sequence number up
        to which the person has now been sent everything (by this replay or
        before); messages after it come live.  For a C{page} (C{/history}),
        the newest number the page could have held.
    @ivar kind: C{join}, C{resume} or C{page}: what asked for the replay.
    """

    room: str
    count: int
    through: int
    kind: str


@dataclass(frozen=True, slots=True)
class TopicChanged(Event):
    """Someone set a room's topic."""

    room: str
    time: int
    nick: str
    text: str


@dataclass(frozen=True, slots=True)
class TopicInfo(Event):
    """
    A room's topic, on joining it or when asked.

    @ivar nick: who set it, or L{None} if no topic was ever set.
    @ivar time: when it was set, or L{None} if no topic was ever set.
    """

    room: str
    nick: str | None
    time: int | None
    text: str


@dataclass(frozen=True, slots=True)
class MemberList(Event):
    """
    The nicks in a room, on joining it or when asked.

    @ivar ranks: each nick's rank in the room
        (L{twisted_chat.chat.modes.Rank}, as an int), in the same order.
    """

    room: str
    nicks: tuple[str, ...]
    ranks: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RoomListEntry(Event):
    """One room in the answer to C{/rooms}."""

    room: str
    memberCount: int
    topic: str


@dataclass(frozen=True, slots=True)
class RoomListEnd(Event):
    """The end of the answer to C{/rooms}."""

    count: int


@dataclass(frozen=True, slots=True)
class CurrentRoom(Event):
    """
    The room your plain lines now go to, or L{None} when you are in none.
    """

    room: str | None


@dataclass(frozen=True, slots=True)
class HelpText(Event):
    """One line of help."""

    text: str


@dataclass(frozen=True, slots=True)
class UserNotice(Event):
    """
    A notice from a member to a room or to one member (IRC's C{NOTICE}):
    for what is not to be answered, as bots send.  It is not stored: only
    those present get it.

    @ivar target: the room or the nick it is for.
    """

    target: str
    time: int
    sender: str
    text: str
    account: str | None = None


@dataclass(frozen=True, slots=True)
class Notice(Event):
    """A line from the server for people to read."""

    text: str


@dataclass(frozen=True, slots=True)
class ErrorReply(Event):
    """
    Your last line could not be carried out; the connection goes on.

    @ivar code: a stable code from L{twisted_chat.chat.errors}.
    """

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class AccountInfo(Event):
    """You are now logged in (or registered) as C{nick}."""

    nick: str
    text: str


@dataclass(frozen=True, slots=True)
class Goodbye(Event):
    """
    The server is about to close your connection, and why.

    @ivar kind: one of L{GOODBYE_KINDS}; a client reconnects after
        C{shutdown}, C{error}, C{timeout} and C{slow}, not after the others.
    """

    kind: str
    reason: str


GOODBYE_KINDS = (
    "quit",
    "kicked",
    "replaced",
    "refused",
    "flood",
    "shutdown",
    "error",
    "timeout",
    "slow",
)
"""
Why a connection ends: you asked (C{quit}), the operator removed you
(C{kicked}), you logged in elsewhere (C{replaced}), the server would not take
the connection (C{refused}: too many), you sent too much too fast (C{flood}),
the server is stopping (C{shutdown}), something went wrong on the server
(C{error}), you were silent too long or did not log in in time (C{timeout}),
or you did not read what you were sent for too long (C{slow}).
"""


@dataclass(frozen=True, slots=True)
class Ping(Event):
    """
    Are you there?  Any line answers it (C{/pong TOKEN} is the polite one);
    a client silent for too long is disconnected.
    """

    token: str


@dataclass(frozen=True, slots=True)
class AccountChanged(Event):
    """Someone who shares a room with you logged in to C{account}."""

    nick: str
    account: str
    time: int


@dataclass(frozen=True, slots=True)
class AwayChanged(Event):
    """Someone who shares a room with you is away (why), or back (no reason)."""

    nick: str
    time: int
    reason: str


@dataclass(frozen=True, slots=True)
class RealnameChanged(Event):
    """Someone who shares a room with you has a new real name (IRC's C{SETNAME})."""

    nick: str
    time: int
    realname: str


@dataclass(frozen=True, slots=True)
class TagMessage(Event):
    """
    Tags without text for a room or a nick: IRCv3 client-only tags as IRC
    writes them (C{+typing=active}), which a client shows and nobody stores.
    """

    target: str
    time: int
    sender: str
    tags: str
    account: str | None = None


@dataclass(frozen=True, slots=True)
class StatusMessage(Event):
    """
    A message (or notice) to those of a room who hold C{rank} (a word of
    L{twisted_chat.chat.modes.RANK_NAMES}) or higher, as IRC's C{PRIVMSG
    @#room}: not numbered nor stored, so the room's history never shows it.
    """

    room: str
    rank: str
    time: int
    sender: str
    text: str
    notice: bool = False
    account: str | None = None
