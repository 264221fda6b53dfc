"""
The chat itself: rooms, members, nicks and fan-out, with no I/O at all.

This is the model a front end (the line server, the operator console, later
IRC) talks to.  A front end connects an L{IParticipant}, gets a L{Member}
back, and calls the L{ChatServer} methods on that member's behalf; the server
answers by raising a L{twisted_chat.errors.ChatError} or by delivering
L{twisted_chat.events} to the participants concerned.  Like the C{Group} and
C{User} of C{twisted.words.service}, rooms and members are plain objects and
the protocol is only the participant a member speaks through.

Time comes from an injected C{IReactorTime}, so tests drive it with a
L{twisted.internet.task.Clock}.
"""

import itertools
from collections.abc import Iterable

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import Interface

from .errors import (
    NickInUse,
    NoCurrentRoom,
    NoSuchNick,
    NoSuchRoom,
    NotInRoom,
    NotPermitted,
    TopicTooLong,
)
from .events import (
    CurrentRoom,
    Event,
    Goodbye,
    Joined,
    MemberList,
    NickChanged,
    Parted,
    PrivateMessage,
    Quit,
    RoomListEntry,
    RoomMessage,
    TopicChanged,
    TopicInfo,
)
from .limits import LOBBY, TOPIC_MAX_LENGTH
from .names import GUEST_PREFIX, checkNick, checkRoomName, fold


class IParticipant(Interface):
    """
    The far side of a member: whatever carries events to a person.
    """

    def deliver(event: Event) -> None:
        """
        Pass one event on to the person.

        Fan-out hands the same event object to every recipient in turn, so an
        implementation that encodes events may encode each one once.  It must
        not call back into the L{ChatServer}.
        """

    def close() -> None:
        """
        End the participant's connection: the member has quit, and its last
        event was a L{twisted_chat.events.Goodbye}.
        """


class Member:
    """
    One person connected to the chat.

    @ivar rooms: the rooms the member is in, by folded name, in join order.
    @ivar currentRoom: where the member's plain lines go, for front ends that
        have that notion; always one of C{rooms}, or L{None}.
    @ivar present: false once the member has quit.
    """

    __slots__ = ("currentRoom", "nick", "participant", "present", "privileged", "rooms")

    def __init__(self, nick: str, participant: IParticipant, privileged: bool) -> None:
        self.nick = nick
        self.participant = participant
        self.privileged = privileged
        self.rooms: dict[str, Room] = {}
        self.currentRoom: Room | None = None
        self.present = True

    def __repr__(self) -> str:
        return f"<Member {self.nick}>"


class Room:
    """
    A named room and who is in it.

    @ivar members: the members, in join order (a dict used as an ordered set).
    @ivar lastSequence: the sequence number of the room's latest message.
    """

    __slots__ = ("lastSequence", "members", "name", "topic")

    def __init__(self, name: str, lastSequence: int) -> None:
        self.name = name
        self.members: dict[Member, None] = {}
        self.topic = TopicInfo(name, None, None, "")
        self.lastSequence = lastSequence

    def __repr__(self) -> str:
        return f"<Room {self.name} ({len(self.members)} members)>"


class ChatServer:
    """
    All rooms and members of one chat, and the rules that govern them.

    @ivar lobbyName: the room that always exists and that new line-protocol
        connections join.
    """

    log = Logger()

    def __init__(self, clock: IReactorTime, lobbyName: str = LOBBY) -> None:
        self._clock = clock
        self._members: dict[str, Member] = {}
        self._rooms: dict[str, Room] = {}
        # A room that empties is forgotten, but not its sequence numbers:
        # they must go on increasing if the room is made again.
        self._lastSequences: dict[str, int] = {}
        self._guestNumbers = itertools.count(1)
        self.lobbyName = checkRoomName(lobbyName)
        self._roomNamed(lobbyName, create=True)

    # Members

    def connect(
        self,
        participant: IParticipant,
        *,
        nick: str | None = None,
        privileged: bool = False,
    ) -> Member:
        """
        Make a member for a new participant, with a free guest nick unless
        C{nick} is given.

        @param privileged: true for the operator, who may use reserved nicks
            and L{kick}.
        @raise twisted_chat.errors.ChatError: if C{nick} may not be used.
        """
        if nick is None:
            nick = self._freeGuestNick()
        else:
            self._checkNickAvailable(nick, privileged)
        member = Member(nick, participant, privileged)
        self._members[fold(nick)] = member
        return member

    def memberNamed(self, nick: str) -> Member:
        """
        Find a present member by nick, or raise L{NoSuchNick}.
        """
        member = self._members.get(fold(nick))
        if member is None:
            raise NoSuchNick(f"Nobody is called {nick}.")
        return member

    def changeNick(self, member: Member, nick: str) -> None:
        """
        Rename C{member} and tell it and everyone who shares a room with it.
        """
        if nick == member.nick:
            return
        if fold(nick) != fold(member.nick):
            self._checkNickAvailable(nick, member.privileged)
        else:
            checkNick(nick, allowReserved=member.privileged)
        event = NickChanged(member.nick, nick, self.now())
        del self._members[fold(member.nick)]
        self._members[fold(nick)] = member
        member.nick = nick
        self._fanOut(event, self._audienceOf(member))

    def quit(self, member: Member, reason: str) -> None:
        """
        Take C{member} out of every room and the server, tell those who shared
        a room with it, say goodbye to it and close its participant.

        Quitting twice does nothing, so a front end may call this both when
        asked to and when its connection is lost.
        """
        if not member.present:
            return
        audience = self._audienceOf(member)
        audience.pop(member, None)
        self._remove(member)
        self._fanOut(Quit(member.nick, self.now(), reason), audience)
        self._sendOff(member, reason)

    def closeAll(self, reason: str) -> None:
        """
        Say goodbye to every member and close them all, as the server stops.

        Nobody is told of the others leaving: they are all going.
        """
        for member in list(self._members.values()):
            self._remove(member)
            self._sendOff(member, reason)

    def kick(self, operator: Member, nick: str, reason: str) -> None:
        """
        Disconnect the member called C{nick}; only the operator may.
        """
        if not operator.privileged:
            raise NotPermitted("Only the server's operator may kick.")
        target = self.memberNamed(nick)
        said = f": {reason}" if reason else ""
        self.quit(target, f"Kicked by {operator.nick}{said}")

    # Rooms

    def join(self, member: Member, roomName: str) -> Room:
        """
        Put C{member} in a room, creating it if needed, and make it the
        member's current room.

        Joining a room one is already in only makes it current.  A newcomer's
        arrival is announced to the room; the newcomer is also told the topic
        and the members.
        """
        room = self._roomNamed(roomName, create=True)
        if member not in room.members:
            room.members[member] = None
            member.rooms[fold(room.name)] = room
            self._fanOut(Joined(room.name, member.nick, self.now()), room.members)
            self._deliverTo(member, room.topic)
            self._deliverTo(member, self._memberList(room))
        self._setCurrentRoom(member, room)
        return room

    def part(self, member: Member, roomName: str | None, reason: str) -> None:
        """
        Take C{member} out of a room (its current one if C{roomName} is
        L{None}) and tell the room, the member included.
        """
        room = self.roomOf(member, roomName)
        self._fanOut(Parted(room.name, member.nick, self.now(), reason), room.members)
        self._removeFromRoom(member, room)
        if member.currentRoom is room:
            remaining = list(member.rooms.values())
            self._setCurrentRoom(member, remaining[-1] if remaining else None)

    def roomOf(self, member: Member, roomName: str | None) -> Room:
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

    def say(
        self, member: Member, roomName: str | None, text: str, *, action: bool = False
    ) -> RoomMessage:
        """
        Give C{text} the room's next sequence number and deliver it to every
        member of the room, the sender included (that copy is the sender's
        confirmation).
        """
        room = self.roomOf(member, roomName)
        room.lastSequence += 1
        message = RoomMessage(
            room.name, room.lastSequence, self.now(), member.nick, text, action
        )
        self._fanOut(message, room.members)
        return message

    def sendPrivate(self, member: Member, nick: str, text: str) -> None:
        """
        Deliver C{text} to the member called C{nick}, and a copy to the sender.
        """
        recipient = self.memberNamed(nick)
        message = PrivateMessage(member.nick, recipient.nick, self.now(), text)
        self._fanOut(message, dict.fromkeys([recipient, member]))

    def setTopic(self, member: Member, roomName: str | None, text: str) -> None:
        """
        Set the topic of one of C{member}'s rooms and tell the room.
        """
        room = self.roomOf(member, roomName)
        if len(text) > TOPIC_MAX_LENGTH:
            raise TopicTooLong(
                f"A topic is at most {TOPIC_MAX_LENGTH} characters; this one is"
                f" {len(text)}."
            )
        now = self.now()
        room.topic = TopicInfo(room.name, member.nick, now, text)
        self._fanOut(TopicChanged(room.name, now, member.nick, text), room.members)

    def topicOf(self, roomName: str) -> TopicInfo:
        """
        Return the topic of any existing room.
        """
        return self._existingRoom(roomName).topic

    def membersOf(self, roomName: str) -> MemberList:
        """
        Return the nicks in any existing room.
        """
        return self._memberList(self._existingRoom(roomName))

    def listRooms(self) -> list[RoomListEntry]:
        """
        Return every room, by name, with its member count and topic.
        """
        return [
            RoomListEntry(room.name, len(room.members), room.topic.text)
            for _, room in sorted(self._rooms.items())
        ]

    def now(self) -> int:
        """
        Return the time for a new event, in milliseconds since the epoch.
        """
        return int(self._clock.seconds() * 1000)

    # Internals

    def _freeGuestNick(self) -> str:
        while True:
            nick = f"{GUEST_PREFIX}{next(self._guestNumbers)}"
            if fold(nick) not in self._members:
                return nick

    def _checkNickAvailable(self, nick: str, privileged: bool) -> None:
        checkNick(nick, allowReserved=privileged)
        if fold(nick) in self._members:
            raise NickInUse(f"The nick {nick} is taken; choose another.")

    def _roomNamed(self, roomName: str, *, create: bool) -> Room:
        folded = fold(checkRoomName(roomName))
        room = self._rooms.get(folded)
        if room is None:
            if not create:
                raise NoSuchRoom(f"There is no room {roomName}; /rooms lists them.")
            room = Room(roomName, self._lastSequences.pop(folded, 0))
            self._rooms[folded] = room
        return room

    def _existingRoom(self, roomName: str) -> Room:
        return self._roomNamed(roomName, create=False)

    def _remove(self, member: Member) -> None:
        member.present = False
        for room in list(member.rooms.values()):
            self._removeFromRoom(member, room)
        del self._members[fold(member.nick)]

    def _sendOff(self, member: Member, reason: str) -> None:
        self._deliverTo(member, Goodbye(reason))
        try:
            member.participant.close()
        except Exception:
            self.log.failure("Closing {nick} failed", nick=member.nick)

    def _removeFromRoom(self, member: Member, room: Room) -> None:
        folded = fold(room.name)
        del room.members[member]
        del member.rooms[folded]
        if not room.members and folded != fold(self.lobbyName):
            del self._rooms[folded]
            self._lastSequences[folded] = room.lastSequence

    def _setCurrentRoom(self, member: Member, room: Room | None) -> None:
        member.currentRoom = room
        self._deliverTo(member, CurrentRoom(room.name if room else None))

    @staticmethod
    def _memberList(room: Room) -> MemberList:
        return MemberList(room.name, tuple(member.nick for member in room.members))

    @staticmethod
    def _audienceOf(member: Member) -> dict[Member, None]:
        """
        The member and everyone who shares a room with it, each once.
        """
        audience = {member: None}
        for room in member.rooms.values():
            audience.update(room.members)
        return audience

    def _deliverTo(self, member: Member, event: Event) -> None:
        self._fanOut(event, (member,))

    def _fanOut(self, event: Event, recipients: Iterable[Member]) -> None:
        """
        Hand C{event} to each recipient's participant, so that one failing
        delivery never stops the others.
        """
        for member in tuple(recipients):
            try:
                member.participant.deliver(event)
            except Exception:
                self.log.failure(
                    "Delivering {event!r} to {nick} failed",
                    event=event,
                    nick=member.nick,
                )
