"""
The chat itself: rooms, members, nicks, fan-out and history, with no I/O.

This is the model a front end (the line server, the operator console, IRC)
talks to.  A front end connects an
L{twisted_chat.chat.participants.IParticipant}, gets a
L{twisted_chat.chat.model.Member} back, and calls the L{Chat} methods
on that member's behalf; the server answers by raising a
L{twisted_chat.chat.errors.ChatError} or by delivering
L{twisted_chat.chat.events} to the participants concerned.  Like the
C{Group} and C{User} of C{twisted.words.service}, rooms and members are
plain objects and the protocol is only the participant a member speaks
through.

L{Chat} is the front ends' one door.  It composes the nick registry
(L{twisted_chat.chat.members}), the room directory
(L{twisted_chat.chat.rooms}), replay (L{twisted_chat.chat.replay}) and
private messages (L{twisted_chat.chat.private}), and keeps the rules that
span them and the room messages themselves, whose fan-out is the chat's hot
path.  Room messages are durable before visible, as
L{twisted_chat.chat.model} explains.

Time comes from an injected C{IReactorTime}, so tests drive it with a
L{twisted.internet.task.Clock}; the store is injected too.
"""

from collections.abc import Callable, Iterable

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from twisted_chat.chat.archive import Archive
from twisted_chat.chat.asides import Asides
from twisted_chat.chat.errors import NotInRoom
from twisted_chat.chat.events import (
    AccountInfo,
    MemberList,
    Quit,
    RoomListEntry,
    RoomMessage,
    TopicInfo,
    UserNotice,
)
from twisted_chat.chat.feed import IRoomFeed, LocalFeed
from twisted_chat.chat.members import NickRegistry
from twisted_chat.chat.model import Member, Room, audienceOf
from twisted_chat.chat.moderation import RoomModeration
from twisted_chat.chat.names import fold, isRoomName
from twisted_chat.chat.participants import (
    IParticipant,
    deliverTo,
    fanOut,
    post,
    sendOff,
)
from twisted_chat.chat.presence import IPresence, NoPresence, RemoteMembers
from twisted_chat.chat.private import PrivateMessages
from twisted_chat.chat.replay import Replays
from twisted_chat.chat.rooms import RoomDirectory, memberList, roomOf, setCurrentRoom
from twisted_chat.chat.serverops import ServerOperators
from twisted_chat.chat.statistics import ServerStatistics, coreFigures
from twisted_chat.chat.textrules import checkText, cleanText
from twisted_chat.chat.whowas import Departure, WhoWas
from twisted_chat.limits import (
    HISTORY_ON_JOIN,
    LOBBY,
    MAX_ROOMS_PER_MEMBER,
    MAX_WAITING_PER_SENDER,
    MAX_WAITING_PRIVATE,
)
from twisted_chat.store import IChatStore


class Chat:
    """
    All rooms and members of one chat, and the rules that govern them.

    @ivar historyOnJoin: how many messages are replayed to someone joining.
    @ivar maxRoomsPerMember: how many rooms one member may be in at once.
    @ivar maxWaitingPrivate: how many private messages may wait for one
        away registered nick.
    @ivar maxWaitingPerSender: how many of those may come from one sender.
    @ivar whowas: the nicks members left behind, quitting or renaming.
    """

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
        serverOperators: Iterable[str] = (),
        feed: IRoomFeed | None = None,
        presence: IPresence | None = None,
    ) -> None:
        self._clock = clock
        self._feed = LocalFeed(store) if feed is None else feed
        self._presence = NoPresence() if presence is None else presence
        self.maxRoomsPerMember = maxRoomsPerMember
        self.maxWaitingPrivate = maxWaitingPrivate
        self.maxWaitingPerSender = maxWaitingPerSender
        self._store = store
        state = store.load()
        self._nicks = NickRegistry(state.registeredNicks, self._presence)
        self._directory = RoomDirectory(
            store, state.rooms, lobbyName, self._feed, self._presence
        )
        self.remote = RemoteMembers(self._nicks, self._directory, self.now, self.quit)
        self._private = PrivateMessages(store, self._nicks, state.waitingPrivate)
        self._replays = Replays(store, self._feed)
        self.operators = ServerOperators(
            store,
            self._nicks,
            self._directory,
            self.now,
            self.quit,
            named=serverOperators,
            granted=state.serverOperators,
            bans=state.serverBans,
        )
        self.statistics = ServerStatistics(
            self.operators, coreFigures(self.presentMembers)
        )
        self.moderation = RoomModeration(
            store, self._directory, self.now, self.operators.isServerOperator
        )
        self.asides = Asides(self._nicks, self.now, self._roomToSpeakIn)
        self.archive = Archive(store, self.moderation)
        # The registry's own dictionary: the members are read here without
        # a call.
        self._members = self._nicks.members
        self.historyOnJoin = historyOnJoin
        self.whowas = WhoWas()

    @property
    def store(self) -> IChatStore:
        return self._store

    @property
    def lobbyName(self) -> str:
        """The room that always exists and that new line connections join."""
        return self._directory.lobbyName

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

        @param privileged: true for the console's operator, who may use
            reserved nicks and is a server operator.
        @raise twisted_chat.chat.errors.Banned: if a server ban covers
            C{address}.
        @raise twisted_chat.chat.errors.ChatError: if C{nick} may not be used.
        """
        if not privileged:
            self.operators.checkAddress(address)
        member = self._nicks.add(participant, nick, privileged, address)
        self._presence.arrived(member)
        return member

    def memberNamed(self, nick: str) -> Member:
        """
        Find a present member by nick, or raise
        L{twisted_chat.chat.errors.NoSuchNick}.
        """
        return self._nicks.named(nick)

    def memberIfPresent(self, nick: str) -> Member | None:
        """The present member called C{nick}, or L{None}."""
        return self._members.get(fold(nick))

    def presentMembers(self) -> list[Member]:
        """Every member here now, for questions about everyone (IRC's WHO *)."""
        return list(self._members.values())

    def changeNick(self, member: Member, nick: str) -> None:
        """
        Rename C{member} and tell it and everyone who shares a room with it.
        """
        if nick == member.nick:
            return
        self._nicks.checkChange(member, nick)
        self.moderation.checkNick(member, nick)
        self._departed(member)
        self._nicks.rename(member, nick, self.now())

    def setAway(self, member: Member, reason: str | None) -> None:
        """
        Mark C{member} away, with why, or back (C{reason} L{None} or empty).

        @raise twisted_chat.chat.errors.ChatError: if C{reason} holds a
            character text may not.
        """
        self.asides.setAway(member, reason)

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
        audience = audienceOf(member)
        audience.pop(member, None)
        self._remove(member, reason)
        fanOut(Quit(member.nick, self.now(), reason), list(audience))
        sendOff(member, kind, reason)

    def closeAll(self, reason: str) -> None:
        """
        Say goodbye to every member and close them all, as the server stops.

        Nobody is told of the others leaving: they are all going.  The
        stand-ins of other nodes' members are only forgotten.
        """
        for member in list(self._members.values()):
            self._remove(member, reason)
            if member.node is None:
                sendOff(member, "shutdown", reason)

    # Accounts

    def isRegistered(self, nick: str) -> bool:
        return self._nicks.isRegistered(nick)

    def registered(self, nick: str) -> None:
        """
        Note that C{nick} now has an account, so nobody else may take it.
        """
        self._nicks.register(nick)
        self._presence.registered(nick)

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
        previous, member.account = member.account, folded
        if member.nick != nick:
            self._nicks.rename(member, nick, self.now())
        elif member.node is None:
            self._presence.renamed(member, nick)  # its account is news
        deliverTo(member, AccountInfo(nick, f"You are logged in as {nick}."))
        self.asides.loggedIn(member)
        self.moderation.loggedIn(member, previous)
        return self._private.deliverWaiting(member, folded)

    # Rooms

    def join(self, member: Member, roomName: str, key: str | None = None) -> Room:
        """
        Put C{member} in a room, creating it if needed, and make it the
        member's current room.

        A newcomer's arrival is announced to the room; the newcomer is told
        the topic and the members, and then sent the room's latest messages.
        Joining a room one is already in only makes it current.

        @param key: the room's key, if it has one.
        @raise twisted_chat.chat.errors.ChatError: if the room's order keeps
            the member out (L{RoomModeration.entering}).
        """
        room = self._roomToJoin(member, roomName)
        if member in room.members:
            setCurrentRoom(member, room)
            return room
        rank = self.moderation.entering(member, room, key)
        membership = self._directory.enter(member, room, self.now(), rank)
        self.moderation.arrived(member, room)
        setCurrentRoom(member, room)
        self._whenCurrent(
            room,
            lambda: self._replays.join(member, room, membership, self.historyOnJoin),
        )
        return room

    def resume(
        self, member: Member, roomName: str, after: int, key: str | None = None
    ) -> Room:
        """
        Like L{join}, but replay exactly the messages numbered above C{after}
        that this connection has not been sent, or say which are missing.

        A client that reconnects sends this for each room it was in, with the
        last sequence number it saw there (and the room's key, which it
        needs to get back into a keyed room).
        """
        room = self._roomToJoin(member, roomName)
        membership = room.members.get(member)
        if membership is None:
            rank = self.moderation.entering(member, room, key)
            membership = self._directory.enter(member, room, self.now(), rank)
            self.moderation.arrived(member, room)
        setCurrentRoom(member, room)
        self._whenCurrent(
            room, lambda: self._replays.resume(member, room, membership, after)
        )
        return room

    def history(
        self, member: Member, roomName: str | None, before: int | None, limit: int
    ) -> None:
        """
        Send C{member} up to C{limit} messages of one of its rooms, the newest
        before C{before} (or the newest of all), and say if older ones are gone.
        """
        self._replays.page(member, roomOf(member, roomName), before, limit)

    def part(self, member: Member, roomName: str | None, reason: str) -> None:
        """
        Take C{member} out of a room (its current one if C{roomName} is
        L{None}) and tell the room, the member included.
        """
        self._directory.part(member, roomName, reason, self.now())

    def roomOf(self, member: Member, roomName: str | None) -> Room:
        """
        Find one of C{member}'s rooms: the named one, or the current one.

        @raise twisted_chat.chat.errors.NoCurrentRoom: if no room is named
            and the member is in none.
        @raise twisted_chat.chat.errors.NotInRoom: if the member is not in
            the named room.
        """
        return roomOf(member, roomName)

    def say(
        self, member: Member, roomName: str | None, text: str, *, action: bool = False
    ) -> Deferred[RoomMessage]:
        """
        Give C{text} the room's next sequence number, commit it, then deliver
        it to every member of the room who was there when it was said, the
        sender included (that copy is the sender's confirmation).

        @return: a Deferred that fires with the message once delivered, or
            fails with L{twisted_chat.chat.errors.StoreFailed}.
        """
        checkText(text)
        room = self._roomToSpeakIn(member, roomName)
        said = RoomMessage(
            room.name, 0, self.now(), member.nick, text, action,
            account=member.account,
        )  # fmt: skip
        return self._feed.say(room, said, member)

    def sendPrivate(self, member: Member, nick: str, text: str) -> Deferred[None]:
        """
        Commit a private message, then deliver it to the member called
        C{nick}, and a copy to the sender.  If C{nick} is registered but not
        here, it waits in the store for its next login, if fewer than the
        bounds already wait for it.

        @raise twisted_chat.chat.errors.TooManyWaiting: if as many messages
            as may wait for C{nick} already do, from anyone or from this
            sender.
        """
        bounds = (self.maxWaitingPrivate, self.maxWaitingPerSender)
        return self._private.send(member, nick, text, self.now(), bounds)

    def notice(self, member: Member, target: str, text: str) -> None:
        """
        Deliver a notice (L{UserNotice}) from C{member} to one of its rooms,
        everyone in it the sender included, or to the member called
        C{target} and a copy to the sender.  It is not stored, and a notice
        to a nick not here goes nowhere.

        @raise twisted_chat.chat.errors.ChatError: if the text may not be
            sent, or C{member} is not in the room.
        """
        checkText(text)
        if isRoomName(target):
            room = self._roomToSpeakIn(member, target)
            notice = UserNotice(
                room.name, self.now(), member.nick, text, member.account
            )
            # Everyone in the room, as the next message would go: the same
            # groups, so its encoding is shared as a message's is.
            everyone = room.recipientsOf(room.lastSequence + 1)
            post(notice, everyone, member.participant)
            if member not in room.members:
                deliverTo(member, notice)
            return
        recipient = self.memberIfPresent(target)
        if recipient is not None:
            notice = UserNotice(
                recipient.nick, self.now(), member.nick, text, member.account
            )
            deliverTo(recipient, notice)
            if recipient is not member:
                deliverTo(member, notice)

    def setTopic(
        self, member: Member, roomName: str | None, text: str
    ) -> Deferred[None]:
        """
        Commit a new topic for one of C{member}'s rooms, then tell the room;
        in a room whose topic is locked, only its operators may.
        """
        self.moderation.checkTopic(member, roomOf(member, roomName))
        return self._directory.setTopic(member, roomName, text, self.now())

    def topicOf(self, roomName: str, asker: Member | None = None) -> TopicInfo:
        """
        Return the topic of any existing room C{asker} may see.
        """
        return self.moderation.visibleRoom(roomName, asker).topic

    def membersOf(self, roomName: str, asker: Member | None = None) -> MemberList:
        """
        Return the nicks in any existing room C{asker} may see.
        """
        return memberList(self.moderation.visibleRoom(roomName, asker))

    def listRooms(self, asker: Member | None = None) -> list[RoomListEntry]:
        """
        Return every room someone is in, and the lobby, by name, with its
        member count and topic; secret rooms only to their members.
        """
        seesSecrets = asker is not None and self.operators.isServerOperator(asker)
        return self._directory.listRooms(asker, seesSecrets)

    def now(self) -> int:
        """
        Return the time for a new event, in milliseconds since the epoch.
        """
        return int(self._clock.seconds() * 1000)

    # Internals

    def _whenCurrent(self, room: Room, replay: Callable[[], None]) -> None:
        """
        Replay now, or once the room's numbering is current (another server
        may have numbered messages since this one last knew it).
        """
        waiting = self._feed.whenCurrent(room)
        if waiting is None:
            replay()
        else:
            waiting.addCallback(lambda _: replay())

    def _roomToJoin(self, member: Member, roomName: str) -> Room:
        return self._directory.roomToJoin(
            member, roomName, self.maxRoomsPerMember, self.now()
        )

    def _roomToSpeakIn(self, member: Member, roomName: str | None) -> Room:
        """
        The room C{member} speaks in: one of its own, or (named) one that
        takes messages from outside; checked where mutes or moderation hold.
        """
        try:
            room = roomOf(member, roomName)
        except NotInRoom:
            assert roomName is not None
            room = self._directory.existing(roomName)
            if room.settings.noOutside:
                raise
            self.moderation.checkOutside(member, room)
        if room.restricted:
            self.moderation.checkSpeak(member, room)
        return room

    def _departed(self, member: Member) -> None:
        """Note in L{whowas} the nick C{member} is leaving behind."""
        self.whowas.record(
            Departure(member.nick, member.userName, member.realname, self.now())
        )

    def _remove(self, member: Member, reason: str) -> None:
        self._departed(member)
        if member.node is None:
            self._presence.left(member, reason)
        member.present = False
        for room in list(member.rooms.values()):
            self._directory.leave(member, room)
        self._nicks.remove(member)
