"""
Keeping order in rooms: ranks, room settings, bans and mutes, kicks and
invitations.

Ranks (L{Rank}) are held per membership.  Whoever makes a room (joins one
nobody is in, other than the lobby) operates it while there; an account that
claims a room founds it for good, and the ranks given to accounts in a
founded room are kept (L{Room.accountRanks}) and given back whenever the
account is there.  A room nobody founded starts afresh each time it empties,
as an IRC channel does: its settings, bans and invitations go with its last
member, and only a founded room's are stored.

Server operators (L{twisted_chat.chat.serverops}) act as operators in every
room and are never held out of one.  Every action is written to the audit
log.  The checks on the hot path cost nothing in a room with no
restriction: saying checks only where L{Room.restricted} says so.
"""

from collections.abc import Callable

from twisted_chat.chat.audit import AuditTrail, kept
from twisted_chat.chat.errors import (
    AlreadyClaimed,
    AlreadyInRoom,
    BadKey,
    Banned,
    InviteOnly,
    Moderated,
    Muted,
    NickBanned,
    NoSuchRoom,
    NotFounder,
    NotInRoom,
    NotLoggedIn,
    NotOperator,
    RegisteredOnly,
    RoomFull,
)
from twisted_chat.chat.events import Event
from twisted_chat.chat.masks import parseMask
from twisted_chat.chat.modechanges import ModeChanges
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.modes import (
    BAN,
    MUTE,
    RANK_NAMES,
    ModeChange,
    Rank,
    describeSettings,
)
from twisted_chat.chat.names import fold
from twisted_chat.chat.orderevents import Invited, Kicked, RankChanged, RoomModes
from twisted_chat.chat.participants import fanOut
from twisted_chat.chat.roombans import RoomBans
from twisted_chat.chat.rooms import RoomDirectory, roomOf
from twisted_chat.chat.textrules import because, cleanText
from twisted_chat.store import IChatStore

IsServerOperator = Callable[[Member], bool]


class RoomModeration:
    """
    The rules of rank in rooms, and the actions they allow.

    @param isServerOperator: tells whether a member is a server operator.
    """

    def __init__(
        self,
        store: IChatStore,
        directory: RoomDirectory,
        now: Callable[[], int],
        isServerOperator: IsServerOperator,
    ) -> None:
        self._store = store
        self._directory = directory
        self._now = now
        self.isServerOperator = isServerOperator
        self._trail = AuditTrail(store, now)
        self.bans = RoomBans(store, now, self._trail, self._tellRoom)
        self.modes = ModeChanges(self, store, now, self._trail)

    # What a member may do

    def power(self, member: Member, room: Room) -> Rank:
        """The rank C{member} acts with in C{room}: a server operator's is
        at least an operator's."""
        place = room.members.get(member)
        rank = place.rank if place is not None else Rank.MEMBER
        if rank < Rank.OPERATOR and self.isServerOperator(member):
            return Rank.OPERATOR
        return rank

    def require(self, member: Member, room: Room, rank: Rank, doing: str) -> None:
        """
        @raise NotOperator: unless C{member} acts with C{rank} or above.
        """
        if self.power(member, room) < rank:
            raise NotOperator(f"Only {RANK_NAMES[rank]}s of {room.name} may {doing}.")

    def entering(self, member: Member, room: Room, key: str | None) -> Rank:
        """
        Check that C{member} may join C{room} (with C{key}), use up its
        invitation, and return the rank it holds there.

        @raise Banned: and the other refusals, each for its own reason.
        """
        folded = fold(member.nick)
        rank = self._accountRank(member, room)
        if not self.isServerOperator(member) and rank < Rank.OPERATOR:
            ban = self.bans.matching(room, member, BAN)
            if ban is not None:
                raise Banned(f"You are banned from {room.name}{because(ban.reason)}.")
            settings = room.settings
            if settings.registeredOnly and member.account is None:
                raise RegisteredOnly(
                    f"Only logged-in users may join {room.name}: log in first."
                )
            if folded not in room.invited:
                if settings.inviteOnly:
                    raise InviteOnly(
                        f"{room.name} is invite-only: an operator must invite you."
                    )
                if settings.key is not None and key != settings.key:
                    raise BadKey(f"{room.name} needs a key to join it.")
                if settings.limit is not None and len(room.members) >= settings.limit:
                    raise RoomFull(f"{room.name} is full ({settings.limit} members).")
        room.invited.discard(folded)
        if (
            not room.members
            and not room.founded
            and fold(room.name) != fold(self._directory.lobbyName)
        ):
            return max(rank, Rank.OPERATOR)
        return rank

    def arrived(self, member: Member, room: Room) -> None:
        """
        Tell the others in C{room} the rank C{member} came in with (its
        account's, in a founded room), which C{JOIN} does not say; the
        member itself was told with the room's member list.
        """
        rank = room.members[member].rank
        if rank == Rank.MEMBER:
            return
        others = [other for other in room.members if other is not member]
        event = RankChanged(
            room.name, member.nick, RANK_NAMES[rank], member.nick, self._now(),
            RANK_NAMES[Rank.MEMBER],
        )  # fmt: skip
        fanOut(event, others)

    def checkSpeak(self, member: Member, room: Room) -> None:
        """
        @raise Muted: if a mute names C{member} and it has no voice.
        @raise Moderated: if the room is moderated and it has no voice.
        """
        if self.power(member, room) >= Rank.VOICE:
            return
        mute = self.bans.matching(room, member, MUTE)
        if mute is not None:
            raise Muted(f"You are muted in {room.name}{because(mute.reason)}.")
        if room.settings.moderated:
            raise Moderated(f"{room.name} is moderated: only voiced members speak.")

    def checkTopic(self, member: Member, room: Room) -> None:
        """
        @raise NotOperator: if the topic is locked to operators.
        @raise Muted: (or L{Moderated}) if C{member} may not speak there: a
            topic is words too.
        """
        if room.settings.topicLock:
            self.require(member, room, Rank.OPERATOR, "set its topic")
        if room.restricted:
            self.checkSpeak(member, room)

    # Ranks

    def setRank(self, actor: Member, roomName: str, nick: str, rank: Rank) -> None:
        """
        Give C{nick}, a member of the room, C{rank}: operators give and take
        voice and operator; only the founder (or a server operator) hands
        the room over or takes a founder's rank.
        """
        room = self._directory.existing(roomName)
        target = self.memberIn(room, nick)
        held = room.members[target].rank
        if Rank.FOUNDER in (rank, held) and not self.isServerOperator(actor):
            self.require(actor, room, Rank.FOUNDER, "hand it over")
        else:
            self.require(actor, room, Rank.OPERATOR, "give or take ranks")
        if held == rank:
            return
        if rank == Rank.FOUNDER:
            if target.account is None:
                raise NotLoggedIn(f"{target.nick} must be logged in to found a room.")
            for other, place in room.members.items():
                if place.rank == Rank.FOUNDER:
                    self._announceRank(room, other, Rank.OPERATOR, actor)
            self._found(room, target, actor)
        else:
            if room.founded and target.account is not None:
                self._keepRank(room, target.account, rank)
                if not room.founded:
                    # The founder's rank taken: nobody owns the room now.
                    self._unfound(room)
            self._announceRank(room, target, rank, actor)
        self._audit(actor, RANK_NAMES[rank], room, target.nick)

    def _unfound(self, room: Room) -> None:
        """The room has no founder any more: its order is no longer kept."""
        room.accountRanks.clear()
        kept(self._store.forgetRoomModeration(room.name))

    def claim(self, member: Member, roomName: str | None) -> None:
        """
        Found a room nobody founded: its operator, logged in, becomes its
        founder for good, and its settings and bans are kept from now on.
        """
        room = roomOf(member, roomName)
        if room.founded:
            raise AlreadyClaimed(f"{room.name} has a founder already.")
        if member.account is None:
            raise NotLoggedIn("Log in first: only an account can found a room.")
        self.require(member, room, Rank.OPERATOR, "claim it")
        self._found(room, member, member)
        self._audit(member, "claim", room, room.name)

    def unclaim(self, actor: Member, roomName: str) -> None:
        """
        Give up (or, as a server operator, take away) a room's founding:
        its order is no longer kept, and it starts afresh when it empties.
        """
        room = self._directory.existing(roomName)
        if not room.founded:
            raise NotFounder(f"Nobody founded {room.name}.")
        if not self.isServerOperator(actor):
            self.require(actor, room, Rank.FOUNDER, "give it up")
        self._unfound(room)
        for member, place in room.members.items():
            if place.rank == Rank.FOUNDER:
                self._announceRank(room, member, Rank.OPERATOR, actor)
        self._audit(actor, "unclaim", room, room.name)

    def _found(self, room: Room, founder: Member, by: Member) -> None:
        """
        Make C{founder}'s account the room's founder, every other account
        keeping its rank; from now on the room's order is kept.
        """
        assert founder.account is not None
        wasFounded = room.founded
        for account, rank in list(room.accountRanks.items()):
            if rank == Rank.FOUNDER:
                self._keepRank(room, account, Rank.OPERATOR)
        self._keepRank(room, founder.account, Rank.FOUNDER)
        if not wasFounded:
            for other, place in room.members.items():
                if other.account is not None and other is not founder and place.rank:
                    self._keepRank(room, other.account, place.rank)
            kept(self._store.saveRoomSettings(room.name, room.settings))
            for ban in room.bans.values():
                kept(self._store.saveBan(room.name, ban))
        self._announceRank(room, founder, Rank.FOUNDER, by)

    def loggedIn(self, member: Member, previous: str | None) -> None:
        """
        Give C{member} the ranks its account holds in its rooms, and put it
        out of those whose bans name it now.  One that was logged in to
        another account (C{previous}) holds, in founded rooms, only what its
        new account holds: a rank kept for one account is not another's.
        """
        for room in list(member.rooms.values()):
            rank = self._accountRank(member, room)
            held = room.members[member].rank
            switched = previous is not None and previous != member.account
            if rank > held or (switched and room.founded and rank != held):
                self._announceRank(room, member, rank, member)
            else:
                self._keepOutIfBanned(room, member, member)

    def checkNick(self, member: Member, nick: str) -> None:
        """
        @raise Banned: if a ban of one of C{member}'s rooms that holds it
            names C{nick}: a new nick is no way around a ban (IRC's 435).
        """
        for room in member.rooms.values():
            if self._exempt(member, room):
                continue
            if self.bans.matching(room, member, BAN, nick):
                raise NickBanned(
                    f"You cannot be {nick} in {room.name}: that nick is banned there.",
                    room.name,
                )
            if self.power(member, room) >= Rank.VOICE:
                continue
            if self.bans.matching(room, member, MUTE):
                # Else a new nick would be the way out of a mute on the old.
                raise NickBanned(
                    f"You cannot change your nick while muted in {room.name}.",
                    room.name,
                )
            if self.bans.matching(room, member, MUTE, nick):
                # Else the member would be muted under it, with no way back.
                raise NickBanned(
                    f"You cannot be {nick} in {room.name}: that nick is muted there.",
                    room.name,
                )

    def checkOutside(self, member: Member, room: Room) -> None:
        """
        @raise Banned: if C{member}, outside C{room} (which takes messages
            from outside), is banned from it: a ban keeps out words too.
        """
        if not self.isServerOperator(member):
            ban = self.bans.matching(room, member, BAN)
            if ban is not None:
                raise Banned(f"You are banned from {room.name}{because(ban.reason)}.")

    # Settings

    def setModes(self, actor: Member, roomName: str, changes: list[ModeChange]) -> None:
        """Apply C{changes} to a room (L{ModeChanges.apply})."""
        self.modes.apply(actor, roomName, changes)

    def visibleRoom(self, roomName: str, asker: Member | None) -> Room:
        """
        An existing room, unless it is secret and C{asker} (if known) is
        neither in it nor a server operator: then, as for a room that is
        not, L{NoSuchRoom}.
        """
        room = self._directory.existing(roomName)
        if (
            asker is not None
            and room.settings.secret
            and asker not in room.members
            and not self.isServerOperator(asker)
        ):
            raise NoSuchRoom(f"There is no room {roomName}.")
        return room

    def modesOf(self, asker: Member, roomName: str) -> RoomModes:
        """
        The modes of a room C{asker} may see (L{visibleRoom}), the key shown
        only to its members and server operators.
        """
        room = self.visibleRoom(roomName, asker)
        showKey = asker in room.members or self.isServerOperator(asker)
        return RoomModes(
            room.name, describeSettings(room.settings, showKey=showKey), room.created
        )

    # Bans and mutes

    def ban(
        self,
        actor: Member,
        roomName: str,
        kind: str,
        maskText: str,
        duration: float | None = None,
        reason: str = "",
    ) -> None:
        """
        Ban (or mute) whom C{maskText} names, for C{duration} seconds or for
        good.  A ban puts those it names out of the room, but for operators
        and server operators, who are never held out (they could lift it):
        one that loses its rank while a ban names it is put out then.
        """
        room = self._directory.existing(roomName)
        self.require(actor, room, Rank.OPERATOR, "ban or mute")
        ban = self.bans.add(actor, room, kind, maskText, duration, reason)
        if kind != BAN:
            return
        named = parseMask(ban.mask)
        for member in list(room.members):
            if not self._exempt(member, room) and named.matches(member):
                self._putOut(room, member, actor, f"Banned{because(ban.reason)}")

    def unban(self, actor: Member, roomName: str, kind: str, maskText: str) -> None:
        """Lift a ban or mute, named by its mask in any form."""
        room = self._directory.existing(roomName)
        self.require(actor, room, Rank.OPERATOR, "lift bans or mutes")
        self.bans.remove(actor, room, kind, maskText)

    def listBans(self, asker: Member, roomName: str, kind: str) -> None:
        """Tell an operator the room's active bans (or mutes)."""
        room = self._directory.existing(roomName)
        self.require(asker, room, Rank.OPERATOR, "see its bans and mutes")
        self.bans.tell(asker, room, kind)

    # Kicks and invitations

    def kick(self, actor: Member, roomName: str, nick: str, reason: str) -> None:
        """Put a member out of a room, telling the room why."""
        room = self._directory.existing(roomName)
        self.require(actor, room, Rank.OPERATOR, "kick")
        target = self.memberIn(room, nick)
        if room.members[target].rank > self.power(actor, room) or (
            self.isServerOperator(target) and not self.isServerOperator(actor)
        ):
            raise NotOperator(f"{target.nick} outranks you in {room.name}.")
        reason = cleanText(reason)
        self._putOut(room, target, actor, reason)
        self._audit(actor, "kick", room, target.nick, reason)

    def invite(self, actor: Member, roomName: str | None, present: Member) -> None:
        """
        Invite C{present} to a room C{actor} is in; in an invite-only room
        only operators invite.
        """
        room = roomOf(actor, roomName)
        if room.settings.inviteOnly:
            self.require(actor, room, Rank.OPERATOR, "invite to it")
        if present in room.members:
            raise AlreadyInRoom(f"{present.nick} is in {room.name} already.")
        room.invited.add(fold(present.nick))
        event = Invited(room.name, present.nick, actor.nick, self._now())
        # The room's operators hear of it too (IRC's invite-notify).
        operators = [m for m, p in room.members.items() if p.rank >= Rank.OPERATOR]
        fanOut(event, list(dict.fromkeys([present, actor, *operators])))
        self._audit(actor, "invite", room, present.nick)

    def invitations(self, asker: Member, roomName: str) -> list[str]:
        """The nicks (folded) invited to a room and not yet in, for its operators."""
        room = self._directory.existing(roomName)
        self.require(asker, room, Rank.OPERATOR, "see its invitations")
        return sorted(room.invited)

    # Helpers

    def _accountRank(self, member: Member, room: Room) -> Rank:
        if member.account is None:
            return Rank.MEMBER
        return room.accountRanks.get(member.account, Rank.MEMBER)

    def _keepRank(self, room: Room, account: str, rank: Rank) -> None:
        if rank == Rank.MEMBER:
            room.accountRanks.pop(account, None)
        else:
            room.accountRanks[account] = rank
        kept(self._store.saveRank(room.name, account, rank))

    def _announceRank(self, room: Room, member: Member, rank: Rank, by: Member) -> None:
        place = room.members[member]
        previous, place.rank = place.rank, rank
        self._tellRoom(
            room,
            RankChanged(
                room.name, member.nick, RANK_NAMES[rank], by.nick, self._now(),
                RANK_NAMES[previous],
            ),
        )  # fmt: skip
        self._keepOutIfBanned(room, member, by)

    def _exempt(self, member: Member, room: Room) -> bool:
        """Whether bans pass C{member} by in C{room}: its operators do."""
        return room.members[member].rank >= Rank.OPERATOR or self.isServerOperator(
            member
        )

    def _keepOutIfBanned(self, room: Room, member: Member, by: Member) -> None:
        if self._exempt(member, room):
            return
        ban = self.bans.matching(room, member, BAN)
        if ban is not None:
            self._putOut(room, member, by, f"Banned{because(ban.reason)}")

    def memberIn(self, room: Room, nick: str) -> Member:
        for member in room.members:
            if fold(member.nick) == fold(nick):
                return member
        raise NotInRoom(f"{nick} is not in {room.name}.")

    def _putOut(self, room: Room, member: Member, by: Member, reason: str) -> None:
        event = Kicked(room.name, member.nick, by.nick, self._now(), reason)
        self._directory.putOut(member, room, event)

    def _tellRoom(self, room: Room, event: Event) -> None:
        self._directory.tellChange(room, event)

    def _audit(
        self, actor: Member, action: str, room: Room, target: str, reason: str = ""
    ) -> None:
        self._trail.record(actor, action, room.name, target, reason)
