"""
The room directory: which rooms exist, going in and out of them, a
member's current room, and the rooms' topics.

A room is made when someone first joins it and forgotten when its last
member leaves, unless it has a history or a topic to remember: then it
stays, empty, so its numbering and topic carry on.  The lobby always
exists.  An empty room kept for its history is listed nowhere, and only a
join finds it.  Room messages and their replay are not here: the
L{twisted_chat.chat.core.Chat} and L{twisted_chat.chat.replay} use
the rooms this finds.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred

from twisted_chat.chat.durable import durable
from twisted_chat.chat.errors import (
    NoCurrentRoom,
    NoSuchRoom,
    NotInRoom,
    TooManyRooms,
    TopicTooLong,
)
from twisted_chat.chat.events import (
    CurrentRoom,
    Event,
    Joined,
    MemberList,
    Parted,
    RoomListEntry,
    TopicChanged,
    TopicInfo,
)
from twisted_chat.chat.feed import IRoomFeed
from twisted_chat.chat.model import Member, Membership, Room
from twisted_chat.chat.modes import MUTE, Rank
from twisted_chat.chat.names import checkRoomName, fold
from twisted_chat.chat.participants import deliverTo, fanOut
from twisted_chat.chat.textrules import checkText, cleanStored, cleanText
from twisted_chat.limits import TOPIC_MAX_LENGTH
from twisted_chat.store import IChatStore, StoredRoom

if TYPE_CHECKING:
    from twisted_chat.chat.presence import IPresence


class RoomDirectory:
    """
    Every room worth knowing, by name.

    @ivar rooms: the rooms, by folded name: those someone is in, the lobby,
        and the empty ones with a history or topic.
    @ivar lobbyName: the room that always exists and that new line-protocol
        connections join.
    """

    def __init__(
        self,
        store: IChatStore,
        stored: Iterable[StoredRoom],
        lobbyName: str,
        feed: IRoomFeed,
        presence: "IPresence",
    ) -> None:
        self._store = store
        self._feed = feed
        self._presence = presence
        self.rooms = {fold(room.name): _restored(room) for room in stored}
        self.lobbyName = checkRoomName(lobbyName)
        self.named(lobbyName, create=True)

    def named(self, roomName: str, *, create: bool, now: int = 0) -> Room:
        """
        Find a room by name, making it if C{create}; without C{create}, an
        empty room other than the lobby is not found.

        @raise NoSuchRoom: if there is no such room to find.
        """
        folded = fold(checkRoomName(roomName))
        room = self.rooms.get(folded)
        if room is None:
            if not create:
                raise NoSuchRoom(f"There is no room {roomName}; /rooms lists them.")
            room = self.rooms[folded] = Room(roomName, 0, created=now)
        elif not room.members and folded != fold(self.lobbyName) and not create:
            raise NoSuchRoom(
                f"Nobody is in {room.name} now; /join {room.name} to go in."
            )
        return room

    def roomToJoin(self, member: Member, roomName: str, allowed: int, now: int) -> Room:
        """
        Find or make the room C{member} asks to go in, unless that would put
        it in more than C{allowed} rooms.

        @raise TooManyRooms: if it would, checked before the room is made.
        """
        if (
            len(member.rooms) >= allowed
            and fold(roomName) not in member.rooms
            and not member.privileged
        ):
            raise TooManyRooms(
                f"You are in {len(member.rooms)} rooms, the most allowed;"
                " /part one first."
            )
        return self.named(roomName, create=True, now=now)

    def existing(self, roomName: str) -> Room:
        """Find a room someone is in, or the lobby."""
        return self.named(roomName, create=False)

    def enter(self, member: Member, room: Room, now: int, rank: Rank) -> Membership:
        """
        Put C{member} in C{room} with C{rank} from its latest message on,
        announce it to the room, and tell the member the topic and who is
        there.
        """
        if member.node is None and not _hasLocal(room):
            self._feed.occupied(room)
        membership = Membership(room.lastSequence, rank)
        room.members[member] = membership
        room.membershipChanged()
        member.enteredRoom(fold(room.name), room)
        joined = Joined(room.name, member.nick, now, member.account, member.realname)
        fanOut(joined, list(room.members))
        deliverTo(member, room.topic)
        deliverTo(member, memberList(room))
        if member.node is None:
            self._presence.entered(member, room, rank)
        return membership

    def leave(self, member: Member, room: Room) -> None:
        """
        Take C{member} out of C{room}, and forget the room if it is left
        empty with nothing to remember.
        """
        folded = fold(room.name)
        del room.members[member]
        room.membershipChanged()
        member.leftRoom(folded)
        if member.node is None and not _hasLocal(room):
            self._feed.vacated(room)
        if room.members:
            return
        room.emptied()
        if folded != fold(self.lobbyName) and not room.worthKeeping:
            del self.rooms[folded]

    def part(self, member: Member, roomName: str | None, reason: str, now: int) -> None:
        """
        Take C{member} out of one of its rooms (see L{roomOf}) and tell the
        room, the member included.
        """
        room = roomOf(member, roomName)
        # Leaving never fails for its reason: the reason is cleaned instead.
        self.putOut(
            member, room, Parted(room.name, member.nick, now, cleanText(reason))
        )

    def putOut(self, member: Member, room: Room, event: Event) -> None:
        """
        Tell C{room} (the member included) C{event}, its leaving or being
        put out, and take C{member} out of it.
        """
        fanOut(event, list(room.members))
        if member.node is None:
            self._presence.exited(member, room, event)
        self.leave(member, room)
        if member.currentRoom is room:
            remaining = list(member.rooms.values())
            setCurrentRoom(member, remaining[-1] if remaining else None)

    def setTopic(
        self, member: Member, roomName: str | None, text: str, now: int
    ) -> Deferred[None]:
        """
        Commit a new topic for one of C{member}'s rooms (see L{roomOf}), then
        tell the room.
        """
        checkText(text, "A topic")
        room = roomOf(member, roomName)
        if len(text) > TOPIC_MAX_LENGTH:
            raise TopicTooLong(
                f"A topic is at most {TOPIC_MAX_LENGTH} characters; this one is"
                f" {len(text)}."
            )
        topic = TopicInfo(room.name, member.nick, now, text)

        def committed(_: object) -> None:
            room.topic = topic
            self.tellChange(
                room, TopicChanged(room.name, topic.time or 0, member.nick, text)
            )

        return durable(self._store.saveTopic(topic)).addCallback(committed)

    def tellChange(self, room: Room, event: Event) -> None:
        """
        Tell C{room} a change of how it is run (its topic, settings, bans,
        a rank), made here: the other nodes of a cluster are told too.
        """
        room.changed = max(room.changed, getattr(event, "time", 0))
        fanOut(event, list(room.members))
        self._presence.roomChanged(room, event)

    def listRooms(
        self, asker: Member | None, seesSecrets: bool = False
    ) -> list[RoomListEntry]:
        """
        Every room someone is in, and the lobby, by name, with its member
        count and topic; a secret room only for its members, or for one who
        C{seesSecrets} (a server operator).
        """
        lobby = fold(self.lobbyName)
        return [
            RoomListEntry(room.name, len(room.members), room.topic.text)
            for folded, room in sorted(self.rooms.items())
            if (room.members or folded == lobby)
            and (not room.settings.secret or seesSecrets or asker in room.members)
        ]


def _hasLocal(room: Room) -> bool:
    """Whether any of C{room}'s members is connected to this node."""
    return any(member.node is None for member in room.members)


def memberList(room: Room) -> MemberList:
    """The nicks in C{room}, in join order, with their ranks."""
    return MemberList(
        room.name,
        tuple(member.nick for member in room.members),
        tuple(int(place.rank) for place in room.members.values()),
    )


def _restored(stored: StoredRoom) -> Room:
    """A room as the store kept it, with its order if it was founded."""
    room = Room(
        stored.name,
        stored.lastSequence,
        cleanStored(stored.topic),
        created=stored.created,
    )
    room.settings = stored.settings
    room.accountRanks = dict(stored.ranks)
    room.bans = {(ban.kind, ban.mask): ban for ban in stored.bans}
    room.restricted = stored.settings.moderated or any(
        ban.kind == MUTE for ban in stored.bans
    )
    return room


def roomOf(member: Member, roomName: str | None) -> Room:
    """
    Find one of C{member}'s rooms: the named one, or the current one.

    @raise NoCurrentRoom: if no room is named and the member is in none.
    @raise NotInRoom: if the member is not in the named room.
    """
    if roomName is None:
        if member.currentRoom is None:
            raise NoCurrentRoom("You are in no room; /join #room first.")
        return member.currentRoom
    room = member.rooms.get(fold(checkRoomName(roomName)))
    if room is None:
        raise NotInRoom(f"You are not in {roomName}; /join {roomName} first.")
    return room


def setCurrentRoom(member: Member, room: Room | None) -> None:
    """Make C{room} where C{member}'s plain lines go, and tell the member."""
    member.currentRoom = room
    deliverTo(member, CurrentRoom(room.name if room else None))
