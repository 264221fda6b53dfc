"""
The stand-ins of other nodes' members in this node's chat, and how a clash
of nicks between nodes is decided.

A stand-in is a L{Member} whose participant (L{StandIn}) passes on to its
node only what is for that member alone; all stand-ins share one outbox
(L{StandInOutbox}), where a room's messages stop in one call (every node
delivers them itself) and a room's other events leave for the other nodes
once each.  L{StandIns} makes, renames, moves and drops them as their
nodes announce (L{twisted_chat.cluster.roster} hears the announcements).

Nicks: each node lets a member take a nick nobody it knows of has, so two
nodes may give one nick at the same instant.  When a node hears of such a
clash, every node decides it the same way, from what both announcements
say (L{claimRank}): a member logged in to the account of that name wins
over one who is not, and of two such the later login wins (the account's
single session); otherwise the earlier claim keeps the nick.  The losing
member's own node takes it back (L{IOwner.lose}).
"""

from typing import Any, Protocol

from zope.interface import implementer

from twisted_chat.chat.events import Event, Parted, RoomMessage
from twisted_chat.chat.model import Member
from twisted_chat.chat.modes import Rank
from twisted_chat.chat.names import checkNick, checkRoomName, fold
from twisted_chat.chat.orderevents import Announcement
from twisted_chat.chat.participants import IOutbox, IParticipant
from twisted_chat.chat.roomsync import CHANGES, SAID, roomOfEvent


class IOwner(Protocol):
    """What the stand-ins need of the node's roster."""

    chat: Any
    node: str

    def say(self, kind: str, **fields: Any) -> None:
        """Announce to the other nodes."""

    def passOn(self, standIn: "StandIn", event: Event) -> None:
        """Send C{event}, for one stand-in's member alone, to its node."""

    def relay(self, event: Event) -> None:
        """Tell the other nodes an event of a room, or for everyone."""

    def claimed(self, member: Member) -> int:
        """When this node's C{member} took its nick."""

    def lose(self, member: Member) -> None:
        """This node's C{member} lost its nick to another node's member."""


def claimRank(
    nick: str, account: str | None, claimed: int, node: str
) -> tuple[Any, ...]:
    """
    How strong one member's claim to C{nick} is: lower wins, and every node
    ranks two claims alike.
    """
    if account is not None and account == fold(nick):
        return (0, -claimed, node)
    return (1, claimed, node)


@implementer(IParticipant)
class StandIn:
    """
    The participant of another node's member: it passes on only what is
    for that member alone.

    @ivar dropping: its node said it quit: its goodbye goes nowhere.
    """

    def __init__(
        self, owner: IOwner, outbox: "StandInOutbox", node: str, ident: int
    ) -> None:
        self.owner = owner
        self.node = node
        self.ident = ident
        self.outbox = outbox
        self.dropping = False
        self.member: Member | None = None

    def deliver(self, event: Event) -> None:
        self.owner.passOn(self, event)

    def close(self) -> None:
        pass


@implementer(IOutbox)
class StandInOutbox:
    """
    The one outbox of all stand-ins: a room's messages stop here in one
    call (every node delivers them itself), and a room's other events go
    to the other nodes once each (L{twisted_chat.chat.roomsync}).
    """

    def __init__(self, owner: IOwner) -> None:
        self._owner = owner

    def post(
        self,
        event: Event,
        participants: list[IParticipant],
        sender: IParticipant | None = None,
    ) -> None:
        if type(event) is RoomMessage:
            return
        if isinstance(event, CHANGES):
            return  # the roster told every node already (roomChanged)
        if (isinstance(event, SAID) and roomOfEvent(event) is not None) or isinstance(
            event, Announcement
        ):
            self._owner.relay(event)
            return
        for participant in participants:
            participant.deliver(event)


class StandIns:
    """
    The other nodes' members, by node and the id their node gave them.
    """

    def __init__(self, owner: IOwner) -> None:
        self._owner = owner
        self.outbox = StandInOutbox(owner)
        self._members: dict[tuple[str, int], Member] = {}
        self._claims: dict[tuple[str, int], int] = {}

    def get(self, node: str, ident: int) -> Member | None:
        """The stand-in of member C{ident} of C{node}, if there is one."""
        return self._members.get((node, ident))

    def knows(self, node: str) -> bool:
        """Whether any member of C{node} is known here."""
        return any(key[0] == node for key in self._members)

    def upsert(self, node: str, record: dict[str, Any]) -> None:
        """
        Make or bring up to date the stand-in C{record} describes.

        @raise ChatError: if its nick or a room's name cannot be one (then
            nothing is changed).
        """
        checkNick(record["nick"], allowReserved=True)
        for name in record["rooms"]:
            checkRoomName(name)
        chat = self._owner.chat
        key = (node, record["id"])
        member = self._members.get(key)
        nick, account = record["nick"], record["account"]
        if not self.mayTake(member, node, record):
            if member is not None:
                self.drop(node, record["id"], "Nick collision")
            return
        self._claims[key] = record["claimed"]
        if member is None:
            standIn = StandIn(self._owner, self.outbox, node, record["id"])
            member = chat.remote.admit(standIn, nick, node, account)
            standIn.member = member
            self._members[key] = member
        else:
            chat.remote.rename(member, nick, account)
        rooms = {fold(name): (name, rank) for name, rank in record["rooms"].items()}
        for folded, room in list(member.rooms.items()):
            if folded not in rooms:
                chat.remote.exit(
                    member, room.name, Parted(room.name, member.nick, chat.now(), "")
                )
        for name, rank in rooms.values():
            self.enter(node, member, name, rank)

    def rename(self, node: str, record: dict[str, Any]) -> bool:
        """
        Rename a known stand-in as C{record} says (C{id}, C{nick},
        C{account}, C{claimed}); L{False} if it is not known here.
        """
        member = self._members.get((node, record["id"]))
        if member is None:
            return False
        checkNick(record["nick"], allowReserved=True)
        if not self.mayTake(member, node, record):
            self.drop(node, record["id"], "Nick collision")
            return True
        self._owner.chat.remote.rename(member, record["nick"], record["account"])
        self._claims[(node, record["id"])] = record["claimed"]
        return True

    def enter(self, node: str, member: Member, room: str, rank: int) -> None:
        """A stand-in went in C{room}; a room new here is asked for."""
        if self._owner.chat.remote.enter(member, room, _rank(rank)):
            self._owner.say("roomask", to=node, room=room)

    def mayTake(self, member: Member | None, node: str, record: dict[str, Any]) -> bool:
        """
        Whether C{member} (L{None}: a new one) of C{node} may have the nick
        C{record} gives it here; if it wins over whoever has it here, that
        one loses it.
        """
        nick = record["nick"]
        holder = self._owner.chat.remote.holder(nick)
        if holder is None or holder is member:
            return True
        claim = claimRank(nick, record["account"], record["claimed"], node)
        if claim > self._rankOf(holder):
            return False
        if holder.node is None:
            self._owner.lose(holder)
        else:
            standIn = holder.participant
            assert isinstance(standIn, StandIn)
            self.drop(standIn.node, standIn.ident, "Nick collision")
        return True

    def _rankOf(self, member: Member) -> tuple[Any, ...]:
        if member.node is None:
            claimed = self._owner.claimed(member)
            return claimRank(member.nick, member.account, claimed, self._owner.node)
        standIn = member.participant
        assert isinstance(standIn, StandIn)
        claimed = self._claims.get((standIn.node, standIn.ident), 0)
        return claimRank(member.nick, member.account, claimed, standIn.node)

    def forget(self, standIn: StandIn) -> None:
        """A stand-in closed here: nothing more its node says applies to it."""
        self._members.pop((standIn.node, standIn.ident), None)
        self._claims.pop((standIn.node, standIn.ident), None)

    def drop(self, node: str, ident: int, reason: str) -> None:
        """The stand-in of member C{ident} of C{node} quits here, for C{reason}."""
        member = self._members.pop((node, ident), None)
        self._claims.pop((node, ident), None)
        if member is not None:
            standIn = member.participant
            assert isinstance(standIn, StandIn)
            standIn.dropping = True
            self._owner.chat.remote.quit(member, reason)

    def dropAllBut(self, node: str, kept: set[int], reason: str) -> None:
        """Every stand-in of C{node} but those of C{kept} quits here."""
        for key in [key for key in self._members if key[0] == node]:
            if key[1] not in kept:
                self.drop(node, key[1], reason)


def _rank(value: int) -> Rank:
    try:
        return Rank(value)
    except ValueError:
        return Rank.MEMBER
