"""
The chat itself: rooms, members, nicks, fan-out and history, with no I/O.

This is the model a front end (the line server, the operator console, later
IRC) talks to.  A front end connects an L{IParticipant}, gets a L{Member}
back, and calls the L{ChatServer} methods on that member's behalf; the server
answers by raising a L{twisted_chat.chat.errors.ChatError} or by delivering
L{twisted_chat.chat.events} to the participants concerned.  Like the C{Group} and
C{User} of C{twisted.words.service}, rooms and members are plain objects and
the protocol is only the participant a member speaks through.

Durable before visible: a room message gets its room's next sequence number
at once, but is delivered only when the store has committed it; if the store
could not keep it, its number and those given after it are given out again
(L{Room.takeBackNumbers}), so resuming clients never see a hole.  Each member
of a room has a watermark (L{Membership.since}): messages numbered above it
reach the member live, those at or below it come by replay, read through the
store's queue, which sees exactly the messages said before the read was
asked for.  So joining, resuming and history never skip or repeat a message.

Time comes from an injected C{IReactorTime}, so tests drive it with a
L{twisted.internet.task.Clock}; the store is injected too.
"""

import dataclasses
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal, NoReturn, TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import Interface

from twisted_chat.chat.errors import (
    ChatError,
    NickInUse,
    NickRegistered,
    NoCurrentRoom,
    NoSuchNick,
    NoSuchRoom,
    NotInRoom,
    NotPermitted,
    StoreFailed,
    TooManyRooms,
    TooManyWaiting,
    TopicTooLong,
)
from twisted_chat.chat.events import (
    AccountInfo,
    CurrentRoom,
    ErrorReply,
    Event,
    Goodbye,
    HistoryEnd,
    HistoryGap,
    Joined,
    MemberList,
    NickChanged,
    Notice,
    Parted,
    PrivateMessage,
    Quit,
    RoomListEntry,
    RoomMessage,
    TopicChanged,
    TopicInfo,
)
from twisted_chat.chat.names import GUEST_PREFIX, checkNick, checkRoomName, fold
from twisted_chat.chat.textrules import checkText, cleanText, forbiddenCharacter
from twisted_chat.limits import (
    HISTORY_ON_JOIN,
    LOBBY,
    MAX_ROOMS_PER_MEMBER,
    MAX_WAITING_PER_SENDER,
    MAX_WAITING_PRIVATE,
    RESUME_LIMIT,
    TOPIC_MAX_LENGTH,
)
from twisted_chat.store import IChatStore, OutOfSequence, StoreError

T = TypeVar("T")
Stored = TypeVar("Stored", RoomMessage, PrivateMessage, TopicInfo)


def cleanStored(event: Stored) -> Stored:
    """
    Return C{event} with any character that text may no longer hold made
    U+FFFD: what was stored before the rule (L{twisted_chat.chat.textrules})
    reaches nobody's terminal as a control sequence either.
    """
    if forbiddenCharacter(event.text) is None:
        return event
    return dataclasses.replace(event, text=cleanText(event.text))


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
        event was a L{twisted_chat.chat.events.Goodbye}.
        """


class IOutbox(Interface):
    """
    What delivers events to many participants of one kind at once (the line
    server's factory is one): fan-out hands it each event once, with all the
    participants it serves, so it can encode the event once and queue the
    same bytes for each.  A participant names its outbox in an C{outbox}
    attribute; one without is delivered to one by one.
    """

    def post(
        event: Event,
        participants: list[IParticipant],
        sender: IParticipant | None = None,
    ) -> None:
        """
        Deliver C{event} to each of C{participants}.  It must not call back
        into the L{ChatServer}: what it needs comes with the delivery.

        The list is the outbox's to keep and is never changed afterwards: a
        room hands the same list for message after message while its
        members stay the same, and an outbox may rely on that.

        @param sender: for a room message said just now, the participant of
            the member who said it (who may be among C{participants}, and
            may not want its own line back); L{None} otherwise.
        """


class Member:
    """
    One person connected to the chat.

    @ivar address: where the member connects from, for per-address limits.
    @ivar account: the folded nick of the account the member logged in to.
    @ivar rooms: the rooms the member is in, by folded name, in join order.
    @ivar currentRoom: where the member's plain lines go, for front ends that
        have that notion; always one of C{rooms}, or L{None}.
    @ivar present: false once the member has quit.
    @ivar outbox: the participant's L{IOutbox}, or L{None}.
    @ivar away: why the member is away (IRC's C{AWAY}), or L{None}: any
        front end may show it to those who write to the member.
    """

    __slots__ = (
        "account",
        "address",
        "away",
        "currentRoom",
        "nick",
        "outbox",
        "participant",
        "present",
        "privileged",
        "rooms",
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
        self.rooms: dict[str, Room] = {}
        self.currentRoom: Room | None = None
        self.present = True
        self.away: str | None = None

    def __repr__(self) -> str:
        return f"<Member {self.nick}>"


class Membership:
    """
    One member's place in one room.

    @ivar since: the room's last sequence number when the member joined.
        Messages numbered above it are delivered to the member live; those at
        or below it, only by a replay.
    @ivar replayedFrom: the lowest sequence number this membership has been
        sent: everything from it on has reached the member.
    @ivar replay: the replay in flight, if any; a newer one supersedes it.
    """

    __slots__ = ("replay", "replayedFrom", "since")

    def __init__(self, since: int) -> None:
        self.since = since
        self.replayedFrom = since + 1
        self.replay: object | None = None


Groups = dict[IOutbox | None, list[IParticipant]]
"""Participants by the outbox that delivers to them (L{None}: one by one)."""


def groupByOutbox(members: Iterable[Member]) -> Groups:
    """Group present members' participants by their outbox, keeping order."""
    groups: Groups = {}
    for member in members:
        if member.present:
            groups.setdefault(member.outbox, []).append(member.participant)
    return groups


class Room:
    """
    A named room and who is in it.

    @ivar members: the members, in join order, with their memberships.
    @ivar lastSequence: the sequence number given to the room's latest message.
    @ivar numbering: how many times numbers given out have been taken back;
        a message remembers the numbering it was numbered in.
    """

    __slots__ = (
        "_groups",
        "_newestSince",
        "lastSequence",
        "members",
        "name",
        "numbering",
        "topic",
    )

    def __init__(self, name: str, lastSequence: int, topic: TopicInfo | None = None):
        self.name = name
        self.members: dict[Member, Membership] = {}
        self.topic = topic or TopicInfo(name, None, None, "")
        self.lastSequence = lastSequence
        self.numbering = 0
        self._groups: Groups | None = None
        self._newestSince = 0

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

    @property
    def worthKeeping(self) -> bool:
        """Whether an empty room still has a history or topic to remember."""
        return self.lastSequence > 0 or self.topic.nick is not None


ReplayKind = Literal["join", "resume", "page"]


class ChatServer:
    """
    All rooms and members of one chat, and the rules that govern them.

    @ivar lobbyName: the room that always exists and that new line-protocol
        connections join.
    @ivar historyOnJoin: how many messages are replayed to someone joining.
    @ivar maxRoomsPerMember: how many rooms one member may be in at once.
    """

    log = Logger()

    def __init__(
        self,
        clock: IReactorTime,
        store: IChatStore,
        *,
        lobbyName: str = LOBBY,
        historyOnJoin: int = HISTORY_ON_JOIN,
        maxRoomsPerMember: int = MAX_ROOMS_PER_MEMBER,
        maxWaitingPrivate: int = MAX_WAITING_PRIVATE,
        maxWaitingPerSender: int = MAX_WAITING_PER_SENDER,
    ) -> None:
        self._clock = clock
        self.maxRoomsPerMember = maxRoomsPerMember
        self.maxWaitingPrivate = maxWaitingPrivate
        self.maxWaitingPerSender = maxWaitingPerSender
        self._store = store
        state = self._store.load()
        self._members: dict[str, Member] = {}
        # Rooms with a history stay here while empty, so their numbering and
        # topic carry on; an empty room with neither is forgotten.
        self._rooms = {
            fold(stored.name): Room(
                stored.name, stored.lastSequence, cleanStored(stored.topic)
            )
            for stored in state.rooms
        }
        self._registered = set(state.registeredNicks)
        # Private messages waiting (committed or being committed) for each
        # away recipient, by sender; counted before the write starts, so
        # that messages sent at the same instant cannot all pass the bound.
        self._waiting = {
            recipient: Counter(senders)
            for recipient, senders in state.waitingPrivate.items()
        }
        self._guestNumbers = itertools.count(1)
        self.lobbyName = checkRoomName(lobbyName)
        self.historyOnJoin = historyOnJoin
        self._roomNamed(lobbyName, create=True)

    @property
    def store(self) -> IChatStore:
        return self._store

    # Members

    def connect(
        self,
        participant: IParticipant,
        *,
        nick: str | None = None,
        privileged: bool = False,
        address: str = "",
    ) -> Member:
        """
        Make a member for a new participant, with a free guest nick unless
        C{nick} is given.

        @param privileged: true for the operator, who may use reserved nicks
            and L{kick}.
        @raise twisted_chat.chat.errors.ChatError: if C{nick} may not be used.
        """
        if nick is None:
            nick = self._freeGuestNick()
        else:
            self._checkNickAvailable(nick, privileged, None)
        member = Member(nick, participant, privileged, address)
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

    def memberIfPresent(self, nick: str) -> Member | None:
        """The present member called C{nick}, or L{None}."""
        return self._members.get(fold(nick))

    def changeNick(self, member: Member, nick: str) -> None:
        """
        Rename C{member} and tell it and everyone who shares a room with it.
        """
        if nick == member.nick:
            return
        if fold(nick) != fold(member.nick):
            self._checkNickAvailable(nick, member.privileged, member.account)
        else:
            checkNick(nick, allowReserved=member.privileged)
        self._rename(member, nick)

    def setAway(self, member: Member, reason: str | None) -> None:
        """
        Mark C{member} away, with why, or back (C{reason} L{None} or empty).

        @raise twisted_chat.chat.errors.ChatError: if C{reason} holds a
            character text may not.
        """
        member.away = checkText(reason, "An away message") if reason else None

    def quit(self, member: Member, reason: str, kind: str = "quit") -> None:
        """
        Take C{member} out of every room and the server, tell those who shared
        a room with it, say goodbye to it and close its participant.

        Quitting twice does nothing, so a front end may call this both when
        asked to and when its connection is lost.

        @param kind: why, for the goodbye; see L{twisted_chat.chat.events.GOODBYE_KINDS}.
        """
        if not member.present:
            return
        reason = cleanText(reason)
        audience = self._audienceOf(member)
        audience.pop(member, None)
        self._remove(member)
        self._fanOut(Quit(member.nick, self.now(), reason), list(audience))
        self._sendOff(member, kind, reason)

    def closeAll(self, reason: str) -> None:
        """
        Say goodbye to every member and close them all, as the server stops.

        Nobody is told of the others leaving: they are all going.
        """
        for member in list(self._members.values()):
            self._remove(member)
            self._sendOff(member, "shutdown", reason)

    def kick(self, operator: Member, nick: str, reason: str) -> None:
        """
        Disconnect the member called C{nick}; only the operator may.
        """
        if not operator.privileged:
            raise NotPermitted("Only the server's operator may kick.")
        target = self.memberNamed(nick)
        said = f": {reason}" if reason else ""
        self.quit(target, f"Kicked by {operator.nick}{said}", "kicked")

    # Accounts

    def isRegistered(self, nick: str) -> bool:
        return fold(nick) in self._registered

    def registered(self, nick: str) -> None:
        """
        Note that C{nick} now has an account, so nobody else may take it.
        """
        self._registered.add(fold(nick))

    def bindAccount(self, member: Member, nick: str) -> Deferred[None]:
        """
        Make C{member} the holder of the account C{nick}: it takes the nick
        (from an older session of the same account, if one has it), is told
        so, and receives the private messages that waited for it.
        """
        folded = fold(nick)
        holder = self._members.get(folded)
        if holder is not None and holder is not member:
            self.quit(holder, "Logged in from elsewhere", "replaced")
        member.account = folded
        if member.nick != nick:
            self._rename(member, nick)
        self._deliverTo(member, AccountInfo(nick, f"You are logged in as {nick}."))

        def deliverWaiting(messages: list[PrivateMessage]) -> None:
            for message in messages:
                self._deliverTo(member, cleanStored(message))

        self._waiting.pop(folded, None)
        return self._durable(self._store.takePendingPrivate(folded)).addCallback(
            deliverWaiting
        )

    # Rooms

    def join(self, member: Member, roomName: str) -> Room:
        """
        Put C{member} in a room, creating it if needed, and make it the
        member's current room.

        A newcomer's arrival is announced to the room; the newcomer is told
        the topic and the members, and then sent the room's latest messages.
        Joining a room one is already in only makes it current.
        """
        self._checkRoomAllowance(member, roomName)
        room = self._roomNamed(roomName, create=True)
        if member in room.members:
            self._setCurrentRoom(member, room)
            return room
        membership = self._enter(member, room)
        self._setCurrentRoom(member, room)
        self._replay(member, room, membership, "join", 0, self.historyOnJoin)
        return room

    def resume(self, member: Member, roomName: str, after: int) -> Room:
        """
        Like L{join}, but replay exactly the messages numbered above C{after}
        that this connection has not been sent, or say which are missing.

        A client that reconnects sends this for each room it was in, with the
        last sequence number it saw there.
        """
        self._checkRoomAllowance(member, roomName)
        room = self._roomNamed(roomName, create=True)
        membership = room.members.get(member)
        through = None
        if membership is None:
            membership = self._enter(member, room)
        elif membership.replay is None:
            # This connection has been sent everything from replayedFrom on;
            # a join replay still in flight is simply replaced by this one.
            through = membership.replayedFrom - 1
        self._setCurrentRoom(member, room)
        self._replay(
            member, room, membership, "resume", after, RESUME_LIMIT, through=through
        )
        return room

    def history(
        self, member: Member, roomName: str | None, before: int | None, limit: int
    ) -> None:
        """
        Send C{member} up to C{limit} messages of one of its rooms, the newest
        before C{before} (or the newest of all), and say if older ones are gone.
        """
        room = self.roomOf(member, roomName)
        through = (
            room.lastSequence if before is None else min(before - 1, room.lastSequence)
        )
        self._replay(
            member, room, room.members[member], "page", 0, limit, through=through
        )

    def part(self, member: Member, roomName: str | None, reason: str) -> None:
        """
        Take C{member} out of a room (its current one if C{roomName} is
        L{None}) and tell the room, the member included.
        """
        room = self.roomOf(member, roomName)
        # Leaving never fails for its reason: the reason is cleaned instead.
        self._fanOut(
            Parted(room.name, member.nick, self.now(), cleanText(reason)),
            list(room.members),
        )
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
    ) -> Deferred[RoomMessage]:
        """
        Give C{text} the room's next sequence number, commit it, then deliver
        it to every member of the room who was there when it was said, the
        sender included (that copy is the sender's confirmation).

        @return: a Deferred that fires with the message once delivered, or
            fails with L{StoreFailed}.
        """
        checkText(text)
        room = self.roomOf(member, roomName)
        room.lastSequence += 1
        numbering = room.numbering
        message = RoomMessage(
            room.name, room.lastSequence, self.now(), member.nick, text, action
        )

        def committed(_: object) -> RoomMessage:
            self._post(message, room.recipientsOf(message.sequence), member.participant)
            return message

        def notKept(failure: Failure) -> NoReturn:
            if isinstance(failure.value, StoreError):
                lastKept = (
                    failure.value.lastKept
                    if isinstance(failure.value, OutOfSequence)
                    else message.sequence - 1
                )
                room.takeBackNumbers(numbering, lastKept)
            self._storeFailed(failure)

        return self._store.appendMessage(message).addCallbacks(committed, notKept)

    def sendPrivate(self, member: Member, nick: str, text: str) -> Deferred[None]:
        """
        Commit a private message, then deliver it to the member called
        C{nick}, and a copy to the sender.  If C{nick} is registered but not
        here, it waits in the store for its next login, if fewer than the
        bounds already wait for it.

        @raise TooManyWaiting: if as many messages as may wait for C{nick}
            already do, from anyone or from this sender.
        """
        checkText(text)
        recipient = self._members.get(fold(nick))
        if recipient is None and not self.isRegistered(nick):
            raise NoSuchNick(f"Nobody is called {nick}.")
        message = PrivateMessage(
            member.nick, recipient.nick if recipient else nick, self.now(), text
        )

        def committed(_: object) -> None:
            if recipient is None:
                self._deliverTo(member, message)
                self._deliverTo(
                    member,
                    Notice(f"{nick} is away; they will get it when they next log in."),
                )
            else:
                self._fanOut(message, list(dict.fromkeys([recipient, member])))

        held = self._holdWaiting(member.nick, nick) if recipient is None else None
        stored = self._store.appendPrivate(message, recipient is not None)
        if held is not None:
            stored.addErrback(self._giveBackWaiting, *held)
        return self._durable(stored).addCallback(committed)

    def _holdWaiting(self, sender: str, recipient: str) -> tuple[Counter[str], str]:
        """
        Count one more private message waiting for C{recipient}, or refuse
        it; return where it was counted, to give the place back if it is not
        stored after all.
        """
        senders = self._waiting.setdefault(fold(recipient), Counter())
        if senders.total() >= self.maxWaitingPrivate:
            raise TooManyWaiting(
                f"{recipient} already has {senders.total()} messages waiting;"
                " this one was not stored."
            )
        key = fold(sender)
        if senders[key] >= self.maxWaitingPerSender:
            raise TooManyWaiting(
                f"You already have {senders[key]} messages waiting for"
                f" {recipient}; this one was not stored."
            )
        senders[key] += 1
        return senders, key

    @staticmethod
    def _giveBackWaiting(failure: Failure, senders: Counter[str], key: str) -> Failure:
        """A waiting message was not stored: its place is free again."""
        senders[key] -= 1
        return failure

    def setTopic(
        self, member: Member, roomName: str | None, text: str
    ) -> Deferred[None]:
        """
        Commit a new topic for one of C{member}'s rooms, then tell the room.
        """
        checkText(text, "A topic")
        room = self.roomOf(member, roomName)
        if len(text) > TOPIC_MAX_LENGTH:
            raise TopicTooLong(
                f"A topic is at most {TOPIC_MAX_LENGTH} characters; this one is"
                f" {len(text)}."
            )
        topic = TopicInfo(room.name, member.nick, self.now(), text)

        def committed(_: object) -> None:
            room.topic = topic
            self._fanOut(
                TopicChanged(room.name, topic.time or 0, member.nick, text),
                list(room.members),
            )

        return self._durable(self._store.saveTopic(topic)).addCallback(committed)

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
        Return every room someone is in, and the lobby, by name, with its
        member count and topic.
        """
        lobby = fold(self.lobbyName)
        return [
            RoomListEntry(room.name, len(room.members), room.topic.text)
            for folded, room in sorted(self._rooms.items())
            if room.members or folded == lobby
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
            if fold(nick) not in self._members and fold(nick) not in self._registered:
                return nick

    def _checkNickAvailable(
        self, nick: str, privileged: bool, account: str | None
    ) -> None:
        checkNick(nick, allowReserved=privileged)
        folded = fold(nick)
        if folded in self._members:
            raise NickInUse(f"The nick {nick} is taken; choose another.")
        if folded in self._registered and folded != account:
            raise NickRegistered(
                f"The nick {nick} is registered; /login {nick} PASSWORD to use it."
            )

    def _rename(self, member: Member, nick: str) -> None:
        event = NickChanged(member.nick, nick, self.now())
        del self._members[fold(member.nick)]
        self._members[fold(nick)] = member
        member.nick = nick
        self._fanOut(event, list(self._audienceOf(member)))

    def _roomNamed(self, roomName: str, *, create: bool) -> Room:
        folded = fold(checkRoomName(roomName))
        room = self._rooms.get(folded)
        if room is None:
            if not create:
                raise NoSuchRoom(f"There is no room {roomName}; /rooms lists them.")
            room = self._rooms[folded] = Room(roomName, 0)
        elif not room.members and folded != fold(self.lobbyName) and not create:
            raise NoSuchRoom(
                f"Nobody is in {room.name} now; /join {room.name} to go in."
            )
        return room

    def _existingRoom(self, roomName: str) -> Room:
        return self._roomNamed(roomName, create=False)

    def _checkRoomAllowance(self, member: Member, roomName: str) -> None:
        """
        Refuse a new room to a member in as many as allowed, before the room
        is made.
        """
        if (
            len(member.rooms) >= self.maxRoomsPerMember
            and fold(roomName) not in member.rooms
            and not member.privileged
        ):
            raise TooManyRooms(
                f"You are in {len(member.rooms)} rooms, the most allowed;"
                " /part one first."
            )

    def _enter(self, member: Member, room: Room) -> Membership:
        membership = Membership(room.lastSequence)
        room.members[member] = membership
        room.membershipChanged()
        member.rooms[fold(room.name)] = room
        self._fanOut(Joined(room.name, member.nick, self.now()), list(room.members))
        self._deliverTo(member, room.topic)
        self._deliverTo(member, self._memberList(room))
        return membership

    def _replay(
        self,
        member: Member,
        room: Room,
        membership: Membership,
        kind: ReplayKind,
        after: int,
        limit: int,
        through: int | None = None,
    ) -> None:
        """
        Read messages C{after < sequence <= through} (the membership's
        watermark unless given) through the store's queue and send the newest
        C{limit} of them, a gap line where some are missing, and the end.

        A join or resume replay belongs to the membership: a newer one
        supersedes it, and it is dropped if the member left the room.
        """
        if through is None:
            through = membership.since
        token = object()
        if kind != "page":
            membership.replay = token

        def replayed(messages: list[RoomMessage]) -> None:
            if room.members.get(member) is not membership:
                return
            if kind != "page":
                if membership.replay is not token:
                    return
                membership.replay = None
                if messages:
                    membership.replayedFrom = min(
                        membership.replayedFrom, messages[0].sequence
                    )
            first = messages[0].sequence if messages else through + 1
            missing = first > after + 1 and (
                kind == "resume" or (kind == "page" and len(messages) < limit)
            )
            if missing:
                self._deliverTo(member, HistoryGap(room.name, after + 1, first - 1))
            for message in messages:
                self._deliverTo(member, cleanStored(message))
            end = membership.since if kind != "page" else through
            self._deliverTo(member, HistoryEnd(room.name, len(messages), end, kind))

        # Even an empty replay goes through the store's queue, so that
        # replays end in the order they were asked for.
        read = self._durable(
            self._store.messagesBetween(room.name, after, max(after, through), limit)
        )
        read.addCallback(replayed)
        read.addErrback(self._reportTo, member)

    def _durable(self, written: Deferred[T]) -> Deferred[T]:
        """
        Turn a store failure into a L{StoreFailed} the member can be told.
        """
        return written.addErrback(self._storeFailed)

    def _storeFailed(self, failure: Failure) -> NoReturn:
        # The store logs its own failures, a full disk's without flooding.
        failure.trap(StoreError)
        raise StoreFailed("The server could not save or read that; please retry.")

    def _reportTo(self, failure: Failure, member: Member) -> None:
        error = failure.value
        if isinstance(error, ChatError):
            self._deliverTo(member, ErrorReply(error.code, error.message))
        else:
            self.log.failure(
                "Replaying history to {nick} failed", failure, nick=member.nick
            )

    def _remove(self, member: Member) -> None:
        member.present = False
        for room in list(member.rooms.values()):
            self._removeFromRoom(member, room)
        del self._members[fold(member.nick)]

    def _sendOff(self, member: Member, kind: str, reason: str) -> None:
        """
        Say goodbye to a member already taken out of the chat, and close it.
        """
        try:
            member.participant.deliver(Goodbye(kind, reason))
            member.participant.close()
        except Exception:
            self.log.failure("Sending {nick} off failed", nick=member.nick)

    def _removeFromRoom(self, member: Member, room: Room) -> None:
        folded = fold(room.name)
        del room.members[member]
        room.membershipChanged()
        del member.rooms[folded]
        if (
            not room.members
            and folded != fold(self.lobbyName)
            and not room.worthKeeping
        ):
            del self._rooms[folded]

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
            audience.update(dict.fromkeys(room.members))
        return audience

    def _deliverTo(self, member: Member, event: Event) -> None:
        self._fanOut(event, (member,))

    def _fanOut(self, event: Event, recipients: Sequence[Member]) -> None:
        """
        Hand C{event} to each present recipient.

        C{recipients} must be a sequence of the caller's own, not a live view
        of a room: a delivery may not change the room, but a bug might.
        """
        self._post(event, groupByOutbox(recipients))

    def _post(
        self, event: Event, groups: Groups, sender: IParticipant | None = None
    ) -> None:
        """
        Hand C{event} to each outbox once, with all its participants (and the
        C{sender}'s participant, for a room message), so that it is encoded
        once; one failing delivery never stops the others.
        """
        for outbox, participants in groups.items():
            if outbox is not None:
                try:
                    outbox.post(event, participants, sender)
                except Exception:
                    self.log.failure("Delivering {event!r} failed", event=event)
                continue
            for participant in participants:
                try:
                    participant.deliver(event)
                except Exception:
                    self.log.failure(
                        "Delivering {event!r} to {participant!r} failed",
                        event=event,
                        participant=participant,
                    )
