"""
Keeping a room the same on every node of a cluster: its topic, settings,
bans and mutes, and its members' ranks, and the notices said in it that are
not stored.

The node where an operator changes a room tells the room as on one server;
the other nodes' members are stand-ins there (L{twisted_chat.chat.presence}),
and the event reaches their nodes once (L{CHANGES}, L{SAID}).  Each of those makes
its own copy of the room agree with the event (L{RoomSync.apply}) and shows
it to its own members there.  A node that first hears of a room through a
stand-in going in asks a node with members in it for the whole state
(L{RoomSync.state}, L{RoomSync.restore}).

Events carry what changed, not a note to read the database again: the
changes are written to the store after the room is told, so a read could
come before them.
"""

from dataclasses import dataclass
from typing import Final

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import (
    Event,
    StatusMessage,
    TagMessage,
    TopicChanged,
    TopicInfo,
    UserNotice,
)
from twisted_chat.chat.members import NickRegistry
from twisted_chat.chat.model import Room
from twisted_chat.chat.modes import (
    RANK_NAMES,
    Ban,
    Rank,
    RoomSettings,
    changeSetting,
    describeSettings,
    parseModes,
)
from twisted_chat.chat.names import fold, isRoomName
from twisted_chat.chat.orderevents import BanChanged, ModesChanged, RankChanged
from twisted_chat.chat.participants import fanOut
from twisted_chat.chat.roombans import restrict
from twisted_chat.chat.rooms import RoomDirectory

CHANGES: Final = (TopicChanged, ModesChanged, BanChanged, RankChanged)
"""
Changes of how a room is run: every node is told of each, whether or not
it has members there now (L{twisted_chat.chat.presence.IPresence.roomChanged}).
"""

SAID: Final = (UserNotice, TagMessage, StatusMessage)
"""What is said in a room unstored: the nodes with members there are told."""

_RANKS: Final = {name: rank for rank, name in RANK_NAMES.items()}

_ALL_OFF: Final = RoomSettings(topicLock=False, noOutside=False)


@dataclass(frozen=True)
class RoomState:
    """
    What a node joining a room late needs of it: the topic (nick, time,
    text, or L{None} if never set), the settings as C{MODE} writes them,
    and the bans and mutes.
    """

    room: str
    topic: tuple[str, int, str] | None
    modes: str
    bans: tuple[Ban, ...]
    changed: int = 0


def roomOfEvent(event: Event) -> str | None:
    """The room a relayed event is about, or L{None} (a notice to a nick)."""
    if isinstance(event, UserNotice | TagMessage):
        return event.target if isRoomName(event.target) else None
    return getattr(event, "room", None)


def settingsFrom(modes: str, settings: RoomSettings) -> RoomSettings:
    """C{settings} changed as a C{+mk-i key}-style string says."""
    letters, *arguments = modes.split(" ")
    for change in parseModes(letters, arguments):
        settings = changeSetting(settings, change)
    return settings


class RoomSync:
    """This node's copies of rooms, made to agree with the other nodes'."""

    def __init__(self, nicks: NickRegistry, directory: RoomDirectory) -> None:
        self._nicks = nicks
        self._directory = directory

    def apply(self, event: Event) -> None:
        """
        Another node's room event: make this node's room agree with it and
        show it to this node's members there.  A room nobody here is in is
        left alone; one that cannot be read is ignored.
        """
        name = roomOfEvent(event)
        room = None if name is None else self._directory.rooms.get(fold(name))
        if room is None:
            return
        try:
            self._change(room, event)
        except ChatError:
            return
        if isinstance(event, CHANGES):
            room.changed = max(room.changed, event.time)
        here = [m for m in room.members if m.node is None]
        if isinstance(event, StatusMessage):
            least = _RANKS.get(event.rank, Rank.MEMBER)
            here = [m for m in here if room.members[m].rank >= least]
        fanOut(event, here)

    def _change(self, room: Room, event: Event) -> None:
        if isinstance(event, TopicChanged):
            room.topic = TopicInfo(room.name, event.nick, event.time, event.text)
        elif isinstance(event, ModesChanged):
            room.settings = settingsFrom(event.modes, room.settings)
            restrict(room)
        elif isinstance(event, BanChanged):
            key = (event.kind, event.mask)
            if event.added:
                room.bans[key] = Ban(
                    event.mask, event.kind, event.by, event.time, event.expires,
                    event.reason,
                )  # fmt: skip
            else:
                room.bans.pop(key, None)
            restrict(room)
        elif isinstance(event, RankChanged):
            member = self._nicks.members.get(fold(event.nick))
            place = room.members.get(member) if member is not None else None
            if place is not None:
                place.rank = _RANKS.get(event.rank, Rank.MEMBER)

    def state(self, roomName: str) -> RoomState | None:
        """The whole state of a room someone here is in, for another node."""
        room = self._directory.rooms.get(fold(roomName))
        if room is None or not any(m.node is None for m in room.members):
            return None
        topic = room.topic
        return RoomState(
            room.name,
            None if topic.nick is None else (topic.nick, topic.time or 0, topic.text),
            describeSettings(room.settings, showKey=True),
            tuple(room.bans.values()),
            room.changed,
        )

    def restore(self, state: RoomState) -> None:
        """
        Make this node's copy of a room what another node says it is, if
        that changed later than this copy did (the latest change wins: a
        node that was restarted, or cut off, does not undo the others').
        """
        room = self._directory.rooms.get(fold(state.room))
        if room is None or state.changed <= room.changed:
            return
        try:
            # The string names every setting that is on: start from all off.
            room.settings = settingsFrom(state.modes, _ALL_OFF)
        except ChatError:
            return
        if state.topic is not None:
            nick, time, text = state.topic
            room.topic = TopicInfo(room.name, nick, time, text)
        room.bans = {(ban.kind, ban.mask): ban for ban in state.bans}
        room.changed = state.changed
        restrict(room)
