"""
The server lines' layouts: each type word, the event it carries, and how
that event's attributes are written in the line.

A server line is C{TYPE param param ... :text}: a type word, fixed
space-free parameters, and for most types a free text after C{" :"}, ended by
CRLF.  L{LINE_TYPES} holds every type, built from the codecs of one value
each, or of a few written together (L{twisted_chat.wire.codecs}), so that
writing a line and reading it back are one table and cannot drift apart.
L{twisted_chat.wire.line} formats and parses whole lines with it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from twisted_chat.chat.events import (
    AccountChanged,
    AccountInfo,
    AwayChanged,
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
    Ping,
    PrivateMessage,
    Quit,
    RealnameChanged,
    RoomListEnd,
    RoomListEntry,
    RoomMessage,
    StatusMessage,
    TagMessage,
    TopicChanged,
    TopicInfo,
    UserNotice,
    Welcome,
)
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
from twisted_chat.wire.codecs import (
    COUNT,
    RANKED_NICKS,
    TARGET_AND_REASON,
    TEXT,
    TIME,
    WORD,
    Codec,
    MalformedLine,
    OrNone,
    UnknownLineType,
)

__all__ = [
    "LINE_TYPES",
    "ROOM_MESSAGE_TYPES",
    "LineType",
    "MalformedLine",
    "UnknownLineType",
    "lineTypeOf",
]

Names = str | tuple[str, ...]
"""The attribute a codec writes, or the attributes it writes together."""


def _valueOf(event: Event, names: Names) -> Any:
    if isinstance(names, str):
        return getattr(event, names)
    return tuple(getattr(event, name) for name in names)


def _setValue(values: dict[str, Any], names: Names, value: Any) -> None:
    if isinstance(names, str):
        values[names] = value
    else:
        values.update(zip(names, value, strict=True))


@dataclass(frozen=True)
class LineType:
    """
    One kind of server line: its type word, the event it carries, and how
    that event's attributes are laid out in the line.

    @ivar params: the parameters, each the attribute (or attributes) one
        codec writes.
    @ivar text: the free text's attribute (or attributes), and its codec.
    @ivar constants: attributes that the type word itself fixes (C{ACTION}
        is a L{RoomMessage} with C{action=True}).
    @ivar unsent: attributes the line does not carry, read back as their
        defaults: what only IRC shows (a sender's account, a real name).
    """

    name: str
    event: type[Event]
    params: tuple[tuple[Names, Codec], ...]
    text: tuple[Names, Codec] | None
    constants: Mapping[str, object] = field(default_factory=dict)
    unsent: tuple[str, ...] = ()

    def format(self, event: Event) -> bytes:
        parts = [self.name]
        for names, codec in self.params:
            parts.append(codec.encode(_valueOf(event, names)))
        if self.text is not None:
            names, codec = self.text
            parts.append(":" + codec.encode(_valueOf(event, names)))
        return (" ".join(parts) + "\r\n").encode("utf-8")

    def parse(self, params: list[str], text: str | None) -> Event:
        if len(params) < len(self.params):
            raise MalformedLine(f"{self.name} needs {len(self.params)} parameters")
        # Parameters after the known ones are a later version's; ignore them.
        values: dict[str, Any] = {}
        for (names, codec), param in zip(self.params, params, strict=False):
            _setValue(values, names, codec.decode(param))
        if self.text is not None:
            if text is None:
                raise MalformedLine(f"{self.name} needs a text")
            names, codec = self.text
            _setValue(values, names, codec.decode(text))
        return self.event(**values, **self.constants)

    def attributes(self) -> set[str]:
        """Every attribute of the event this line type writes or fixes."""
        fields = [names for names, _ in self.params]
        if self.text is not None:
            fields.append(self.text[0])
        written = {name for names in fields for name in _names(names)}
        return written | set(self.constants) | set(self.unsent)


def _names(names: Names) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else names


_ROOM_MESSAGE: Final = (
    ("room", WORD),
    ("sequence", COUNT),
    ("time", TIME),
    ("sender", WORD),
)
_PRIVATE_MESSAGE: Final = (("sender", WORD), ("recipient", WORD), ("time", TIME))
_BAN_CHANGED: Final = (
    ("room", WORD),
    ("time", TIME),
    ("by", WORD),
    ("kind", WORD),
    ("mask", WORD),
    ("expires", OrNone(TIME)),
)

LINE_TYPES: Final = {
    lineType.name: lineType
    for lineType in [
        LineType("WELCOME", Welcome, (("nick", WORD),), ("text", TEXT)),
        LineType(
            "NICK", NickChanged, (("old", WORD), ("new", WORD), ("time", TIME)), None
        ),
        LineType(
            "JOIN",
            Joined,
            (("room", WORD), ("nick", WORD), ("time", TIME)),
            None,
            unsent=("account", "realname"),
        ),
        LineType(
            "PART",
            Parted,
            (("room", WORD), ("nick", WORD), ("time", TIME)),
            ("reason", TEXT),
        ),
        LineType("QUIT", Quit, (("nick", WORD), ("time", TIME)), ("reason", TEXT)),
        *(
            LineType(
                name,
                RoomMessage,
                _ROOM_MESSAGE,
                ("text", TEXT),
                variant,
                unsent=("account",),
            )
            for name, variant in [
                ("MSG", {"action": False, "history": False}),
                ("ACTION", {"action": True, "history": False}),
                ("HISTORY", {"action": False, "history": True}),
                ("HISTORYACTION", {"action": True, "history": True}),
            ]
        ),
        LineType(
            "GAP", HistoryGap, (("room", WORD), ("first", COUNT), ("last", COUNT)), None
        ),
        LineType(
            "ENDHISTORY",
            HistoryEnd,
            (("room", WORD), ("count", COUNT), ("through", COUNT), ("kind", WORD)),
            None,
        ),
        *(
            LineType(
                name,
                PrivateMessage,
                _PRIVATE_MESSAGE,
                ("text", TEXT),
                variant,
                unsent=("account",),
            )
            for name, variant in [
                ("PRIVMSG", {"offline": False}),
                ("OFFLINEMSG", {"offline": True}),
            ]
        ),
        LineType(
            "TOPIC",
            TopicChanged,
            (("room", WORD), ("time", TIME), ("nick", WORD)),
            ("text", TEXT),
        ),
        LineType(
            "TOPICINFO",
            TopicInfo,
            (("room", WORD), ("time", OrNone(TIME)), ("nick", OrNone(WORD))),
            ("text", TEXT),
        ),
        LineType(
            "MEMBERS", MemberList, (("room", WORD),), (("nicks", "ranks"), RANKED_NICKS)
        ),
        LineType(
            "ROOM",
            RoomListEntry,
            (("room", WORD), ("memberCount", COUNT)),
            ("topic", TEXT),
        ),
        LineType("ENDROOMS", RoomListEnd, (("count", COUNT),), None),
        LineType("CURRENT", CurrentRoom, (("room", OrNone(WORD)),), None),
        LineType("HELP", HelpText, (), ("text", TEXT)),
        LineType("NOTICE", Notice, (), ("text", TEXT)),
        LineType(
            "USERNOTICE",
            UserNotice,
            (("target", WORD), ("time", TIME), ("sender", WORD)),
            ("text", TEXT),
            unsent=("account",),
        ),
        LineType("ACCOUNT", AccountInfo, (("nick", WORD),), ("text", TEXT)),
        LineType("ERROR", ErrorReply, (("code", WORD),), ("text", TEXT)),
        LineType("BYE", Goodbye, (("kind", WORD),), ("reason", TEXT)),
        LineType("PING", Ping, (("token", WORD),), None),
        LineType(
            "RANK",
            RankChanged,
            (
                ("room", WORD),
                ("nick", WORD),
                ("rank", WORD),
                ("by", WORD),
                ("time", TIME),
                ("previous", WORD),
            ),
            None,
        ),
        LineType(
            "MODE",
            ModesChanged,
            (("room", WORD), ("time", TIME), ("by", WORD)),
            ("modes", TEXT),
        ),
        LineType(
            "MODEINFO", RoomModes, (("room", WORD), ("created", TIME)), ("modes", TEXT)
        ),
        LineType(
            "KICK",
            Kicked,
            (("room", WORD), ("nick", WORD), ("by", WORD), ("time", TIME)),
            ("reason", TEXT),
        ),
        *(
            LineType(name, BanChanged, _BAN_CHANGED, ("reason", TEXT), {"added": added})
            for name, added in [("BAN", True), ("UNBAN", False)]
        ),
        LineType(
            "BANLIST",
            BanListEntry,
            (
                ("room", WORD),
                ("setAt", TIME),
                ("setBy", WORD),
                ("kind", WORD),
                ("mask", WORD),
                ("expires", OrNone(TIME)),
            ),
            ("reason", TEXT),
        ),
        LineType(
            "ENDBANLIST",
            BanListEnd,
            (("room", WORD), ("kind", WORD), ("count", COUNT)),
            None,
        ),
        LineType(
            "INVITE",
            Invited,
            (("room", WORD), ("nick", WORD), ("by", WORD), ("time", TIME)),
            None,
        ),
        LineType(
            "ANNOUNCE", Announcement, (("by", WORD), ("time", TIME)), ("text", TEXT)
        ),
        LineType(
            "AUDIT",
            AuditLine,
            (
                ("id", COUNT),
                ("time", TIME),
                ("actor", WORD),
                ("action", WORD),
                ("room", WORD),
            ),
            (("target", "reason"), TARGET_AND_REASON),
        ),
        LineType("ENDAUDIT", AuditEnd, (("count", COUNT),), None),
        LineType("STATS", Statistic, (("name", WORD), ("value", WORD)), None),
        LineType("ENDSTATS", StatisticsEnd, (("count", COUNT),), None),
        LineType(
            "LOGGEDIN",
            AccountChanged,
            (("nick", WORD), ("account", WORD), ("time", TIME)),
            None,
        ),
        LineType(
            "AWAY", AwayChanged, (("nick", WORD), ("time", TIME)), ("reason", TEXT)
        ),
        LineType(
            "REALNAME",
            RealnameChanged,
            (("nick", WORD), ("time", TIME)),
            ("realname", TEXT),
        ),
        LineType(
            "TAGMSG",
            TagMessage,
            (("target", WORD), ("time", TIME), ("sender", WORD)),
            ("tags", TEXT),
            unsent=("account",),
        ),
        *(
            LineType(
                name,
                StatusMessage,
                (("room", WORD), ("rank", WORD), ("time", TIME), ("sender", WORD)),
                ("text", TEXT),
                {"notice": notice},
                unsent=("account",),
            )
            for name, notice in [("STATUSMSG", False), ("STATUSNOTICE", True)]
        ),
    ]
}
"""Every server line type, by its type word."""


def lineTypeOf(event: Event) -> LineType:
    """Return the line type that carries C{event}."""
    if isinstance(event, RoomMessage):
        return ROOM_MESSAGE_TYPES[event.action, event.history]
    if isinstance(event, PrivateMessage):
        return LINE_TYPES["OFFLINEMSG" if event.offline else "PRIVMSG"]
    if isinstance(event, BanChanged):
        return LINE_TYPES["BAN" if event.added else "UNBAN"]
    if isinstance(event, StatusMessage):
        return LINE_TYPES["STATUSNOTICE" if event.notice else "STATUSMSG"]
    return _LINE_TYPE_BY_EVENT[type(event)]


ROOM_MESSAGE_TYPES: Final = {
    (False, False): LINE_TYPES["MSG"],
    (True, False): LINE_TYPES["ACTION"],
    (False, True): LINE_TYPES["HISTORY"],
    (True, True): LINE_TYPES["HISTORYACTION"],
}
"""The line type of a room message, by its C{(action, history)}."""

_LINE_TYPE_BY_EVENT: Final = {
    lineType.event: lineType
    for lineType in LINE_TYPES.values()
    if lineType.event not in (RoomMessage, PrivateMessage, BanChanged, StatusMessage)
}
