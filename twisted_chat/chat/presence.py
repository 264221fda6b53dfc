"""
Who is here from other nodes: when several server processes serve the same
rooms, each keeps a stand-in L{Member} for every member connected to another
node, so nicks stay unique, member lists are whole, and arrivals, renames,
departures and private messages cross nodes.

Two doors, one each way.  L{IPresence} is told of this node's own members'
comings and goings (the cluster's roster tells the other nodes); a single
server has L{NoPresence}, which does nothing.  L{RemoteMembers} is how the
roster puts what another node said into this node's chat: a stand-in
arrives, is renamed, goes in and out of rooms and quits, with the events
this node's members would see had it been here, and without the checks
its own node already made.

A stand-in's participant passes on only what is for that member alone (a
private message, a notice to it, its goodbye); the room events every node
shows its own members anyway are not sent twice.
"""

from collections.abc import Callable

from zope.interface import Interface, implementer

from twisted_chat.chat.events import Event
from twisted_chat.chat.members import NickRegistry
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.modes import Rank
from twisted_chat.chat.names import fold
from twisted_chat.chat.orderevents import Invited
from twisted_chat.chat.participants import IParticipant, fanOut
from twisted_chat.chat.rooms import RoomDirectory
from twisted_chat.chat.roomsync import RoomSync


class IPresence(Interface):
    """Told of this node's own members' comings and goings."""

    def arrived(member: Member) -> None:
        """C{member} connected, with its first nick."""

    def renamed(member: Member, old: str) -> None:
        """C{member}, called C{old} until now, took its current nick."""

    def left(member: Member, reason: str) -> None:
        """C{member} quit (its rooms with it)."""

    def entered(member: Member, room: Room, rank: Rank) -> None:
        """C{member} went in C{room}, with C{rank}."""

    def exited(member: Member, room: Room, event: Event) -> None:
        """C{member} left C{room} alone, or was put out, as C{event} says."""

    def registered(nick: str) -> None:
        """C{nick} got an account: nobody else may take it."""

    def roomChanged(room: Room, event: Event) -> None:
        """How C{room} is run changed here, as C{event} says."""


@implementer(IPresence)
class NoPresence:
    """One server: nobody else needs telling."""

    def arrived(self, member: Member) -> None:
        pass

    def renamed(self, member: Member, old: str) -> None:
        pass

    def left(self, member: Member, reason: str) -> None:
        pass

    def entered(self, member: Member, room: Room, rank: Rank) -> None:
        pass

    def exited(self, member: Member, room: Room, event: Event) -> None:
        pass

    def registered(self, nick: str) -> None:
        pass

    def roomChanged(self, room: Room, event: Event) -> None:
        pass


class RemoteMembers:
    """
    The stand-ins of other nodes' members, put into this node's chat as
    their nodes say; what their nodes checked is not checked again.
    """

    def __init__(
        self,
        nicks: NickRegistry,
        directory: RoomDirectory,
        now: Callable[[], int],
        quit: Callable[[Member, str, str], None],
    ) -> None:
        self._nicks = nicks
        self._directory = directory
        self._now = now
        self._quit = quit
        self.rooms = RoomSync(nicks, directory)

    def numberGuestsFrom(self, first: int) -> None:
        """Number new guests from C{first} on (far from other nodes' numbers)."""
        self._nicks.numberGuestsFrom(first)

    def freeGuestNick(self) -> str:
        """A guest nick nobody here has, for a member that lost its own."""
        return self._nicks.freeGuestNick()

    def holder(self, nick: str) -> Member | None:
        """Whoever has C{nick} here, this node's member or a stand-in."""
        return self._nicks.members.get(fold(nick))

    def admit(
        self, participant: IParticipant, nick: str, node: str, account: str | None
    ) -> Member:
        """
        Make the stand-in of a member of C{node}; C{nick} must be free here
        (the roster settles a clash first).
        """
        member = Member(nick, participant, False, "")
        member.node = node
        member.account = account
        self._nicks.members[fold(nick)] = member
        self._nicks.watchers.tell(nick, True, account)
        return member

    def rename(self, member: Member, nick: str, account: str | None) -> None:
        """
        A member took C{nick} (free here), as another node says, or as a
        clash of nicks decided; everyone who shares a room is told.
        """
        member.account = account
        if nick != member.nick:
            self._nicks.rename(member, nick, self._now())

    def enter(self, member: Member, roomName: str, rank: Rank) -> bool:
        """
        A stand-in went in a room; the room is told.

        @return: whether the room is new here (ask its state of a node with
            members in it: L{RoomSync.state}).
        """
        new = fold(roomName) not in self._directory.rooms
        room = self._directory.named(roomName, create=True, now=self._now())
        if member not in room.members:
            self._directory.enter(member, room, self._now(), rank)
        return new

    def exit(self, member: Member, roomName: str, event: Event) -> None:
        """
        A member left a room as C{event} says: a stand-in, as its node says,
        or this node's member, put out by another node; the room is told.
        """
        room = member.rooms.get(fold(roomName))
        if room is not None:
            self._directory.putOut(member, room, event)

    def quit(self, member: Member, reason: str) -> None:
        """A stand-in quit; those who shared a room with it are told."""
        self._quit(member, reason, "quit")

    def invited(self, member: Member, event: Invited) -> None:
        """
        This node's C{member} was invited to a room on another node: it may
        join it here, and is told.
        """
        room = self._directory.rooms.get(fold(event.room))
        if room is not None:
            room.invited.add(fold(member.nick))
        fanOut(event, [member])

    def tellEveryone(self, event: Event) -> None:
        """Show every member of this node what another node told all of its."""
        fanOut(event, [m for m in self._nicks.members.values() if m.node is None])

    def registered(self, nick: str) -> None:
        """Another node gave C{nick} an account."""
        self._nicks.register(nick)
