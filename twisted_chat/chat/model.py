"""
The chat's plain objects: a L{Member}, a L{Room}, and a member's place in a
room (L{Membership}).  A member names its rooms and a room its members, so
they share one module; the rules that change them are in
L{twisted_chat.chat.members}, L{twisted_chat.chat.rooms} and
L{twisted_chat.chat.core}.

Durable before visible: a room message gets its room's next sequence number
(from the room on one server, from the database in a cluster: see
L{twisted_chat.chat.feed}), but is delivered only when the store has
committed it; if the store could not keep it, its number and those given
after it are given out again (L{Room.takeBackNumbers}), so resuming clients
never see a hole.  Each member
of a room has a watermark (L{Membership.since}): messages numbered above it
reach the member live, those at or below it come by replay
(L{twisted_chat.chat.replay}), read through the store's queue, which sees
exactly the messages said before the read was asked for.  So joining,
resuming and history never skip or repeat a message.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from twisted_chat.chat.events import TopicInfo
from twisted_chat.chat.modes import Ban, Rank, RoomSettings
from twisted_chat.chat.participants import (
    Groups,
    IOutbox,
    IParticipant,
    groupByOutbox,
)

NO_ROOMS: Final[Mapping[str, "Room"]] = MappingProxyType({})
"""
The rooms of a member in none, shared by all of them (an empty dict is 64
bytes, and a connection that has not joined yet, or lurks, is in none).
"""


class Member:
    """
    One person connected to the chat.

    @ivar address: where the member connects from, for per-address limits.
    @ivar account: the folded nick of the account the member logged in to.
    @ivar rooms: the rooms the member is in, by folded name, in join order
        (changed only by L{enteredRoom} and L{leftRoom}).
    @ivar currentRoom: where the member's plain lines go, for front ends that
        have that notion; always one of C{rooms}, or L{None}.
    @ivar present: false once the member has quit.
    @ivar outbox: the participant's L{IOutbox}, or L{None}.
    @ivar away: why the member is away (IRC's C{AWAY}), or L{None}: any
        front end may show it to those who write to the member.
    @ivar userName: the user name an IRC client gave with C{USER}, or
        L{None}; kept here, not only on the connection, because C{WHOWAS}
        shows it after the member has gone.
    @ivar realname: the name the member gives itself (IRC's real name),
        which others see when it joins and C{WHOWAS} shows; empty if it
        gave none.
    @ivar node: the name of the server process (in a cluster) the member
        is connected to, or L{None} for this one; another node's member is
        a stand-in whose participant passes on only what is for it alone
        (L{twisted_chat.chat.presence}).
    """

    __slots__ = (
        "account",
        "address",
        "away",
        "currentRoom",
        "nick",
        "node",
        "outbox",
        "participant",
        "present",
        "privileged",
        "realname",
        "rooms",
        "userName",
    )

    def __init__(
        self, nick: str, participant: IParticipant, privileged: bool, address: str
    ) -> None:
        self.nick = nick
        self.participant = participant
        self.outbox: IOutbox | None = getattr(participant, "outbox", None)
        self.privileged = privileged
        self.address = address
        self.account: str | None = None
        self.rooms: Mapping[str, Room] = NO_ROOMS
        self.currentRoom: Room | None = None
        self.present = True
        self.away: str | None = None
        self.userName: str | None = None
        self.realname = ""
        self.node: str | None = None

    def __repr__(self) -> str:
        return f"<Member {self.nick}>"

    def enteredRoom(self, folded: str, room: "Room") -> None:
        """The member is in C{room} (folded: C{folded}) now, last in join order."""
        rooms = self.rooms
        if not isinstance(rooms, dict):
            rooms = self.rooms = {}
        rooms[folded] = room

    def leftRoom(self, folded: str) -> None:
        """The member has left the room whose folded name is C{folded}."""
        rooms = self.rooms
        assert isinstance(rooms, dict)
        del rooms[folded]
        if not rooms:
            self.rooms = NO_ROOMS


def audienceOf(member: Member) -> dict[Member, None]:
    """
    The member and everyone who shares a room with it, each once.
    """
    audience = {member: None}
    for room in member.rooms.values():
        audience.update(dict.fromkeys(room.members))
    return audience


class Membership:
    """
    One member's place in one room.

    @ivar since: the room's last sequence number when the member joined.
        Messages numbered above it are delivered to the member live; those at
        or below it, only by a replay.
    @ivar replayedFrom: the lowest sequence number this membership has been
        sent: everything from it on has reached the member.
    @ivar replay: the replay in flight, if any; a newer one supersedes it.
    @ivar rank: the member's rank in the room while it is there.
    """

    __slots__ = ("rank", "replay", "replayedFrom", "since")

    def __init__(self, since: int, rank: Rank = Rank.MEMBER) -> None:
        self.since = since
        self.replayedFrom = since + 1
        self.replay: object | None = None
        self.rank = rank


class Room:
    """
    A named room and who is in it.

    @ivar members: the members, in join order, with their memberships.
    @ivar lastSequence: the sequence number given to the room's latest message.
    @ivar numbering: how many times numbers given out have been taken back;
        a message remembers the numbering it was numbered in.
    @ivar settings: how the room is run (its modes).
    @ivar accountRanks: ranks held for good by accounts (folded nicks), the
        founder's included: given again whenever the account is here.
    @ivar bans: the room's bans and mutes, by kind and canonical mask.
    @ivar invited: folded nicks invited in, until they join or the room
        empties.
    @ivar created: when the room was made, in milliseconds since the epoch.
    @ivar restricted: whether anyone's speaking must be checked (the room is
        moderated or has mutes): off, saying costs nothing more.
    @ivar replaying: how many replays of the room's history are being read
        (a cluster's feed holds other nodes' messages back meanwhile).
    @ivar changed: when how the room is run last changed, in milliseconds
        since the epoch (a cluster's nodes keep the latest: 0, never).
    """

    __slots__ = (
        "_groups",
        "_newestSince",
        "accountRanks",
        "bans",
        "changed",
        "created",
        "invited",
        "lastSequence",
        "members",
        "name",
        "numbering",
        "replaying",
        "restricted",
        "settings",
        "topic",
    )

    def __init__(
        self,
        name: str,
        lastSequence: int,
        topic: TopicInfo | None = None,
        *,
        created: int = 0,
    ):
        self.name = name
        self.members: dict[Member, Membership] = {}
        self.topic = topic or TopicInfo(name, None, None, "")
        self.lastSequence = lastSequence
        self.numbering = 0
        self._groups: Groups | None = None
        self._newestSince = 0
        self.settings = RoomSettings()
        self.accountRanks: dict[str, Rank] = {}
        self.bans: dict[tuple[str, str], Ban] = {}
        self.invited: set[str] = set()
        self.created = created
        self.restricted = False
        self.replaying = 0
        self.changed = 0

    def takeBackNumbers(self, numbering: int, lastKept: int) -> None:
        """
        A message numbered in C{numbering} was not kept: give out again every
        number after C{lastKept}, so the room's history has no hole.

        The store refuses the messages already queued with those numbers (it
        keeps a room's numbers without holes), and the results of a store
        come in order, so the first failure reported in a numbering follows
        only kept messages; the later ones of that numbering are ignored.
        Members whose replay was to run past C{lastKept} are told it ends
        there, and get what comes next live.
        """
        if numbering != self.numbering:
            return
        self.numbering += 1
        self.lastSequence = lastKept
        for place in self.members.values():
            place.since = min(place.since, lastKept)
        self.membershipChanged()

    def membershipChanged(self) -> None:
        """Forget the delivery groups; the next message works them out again."""
        self._groups = None

    def recipientsOf(self, sequence: int) -> Groups:
        """
        The participants, grouped by outbox, who get room message
        C{sequence} live: those who were in the room when it was said.

        Almost always that is everyone, and the groups are kept from one
        message to the next until someone joins or leaves.
        """
        if self._groups is None:
            self._groups = groupByOutbox(self.members)
            self._newestSince = max(
                (place.since for place in self.members.values()), default=0
            )
        if sequence > self._newestSince:
            return self._groups
        return groupByOutbox(
            m for m, place in self.members.items() if place.since < sequence
        )

    def __repr__(self) -> str:
        return f"<Room {self.name} ({len(self.members)} members)>"

    def emptied(self) -> None:
        """
        The last member left: invitations lapse, and a room nobody founded
        starts afresh, as an emptied IRC channel does.
        """
        self.invited.clear()
        if not self.founded:
            self.settings = RoomSettings()
            self.bans.clear()
            self.accountRanks.clear()
            self.restricted = False

    @property
    def founded(self) -> bool:
        """Whether an account owns the room for good."""
        return Rank.FOUNDER in self.accountRanks.values()

    @property
    def worthKeeping(self) -> bool:
        """
        Whether an empty room still has a history, a topic or a founder to
        remember.
        """
        return self.lastSequence > 0 or self.topic.nick is not None or self.founded
