"""
Each node's view of the other nodes' members: it announces its own members'
comings and goings on the bus's cluster channel
(L{twisted_chat.cluster.announcements}), and keeps a stand-in in its chat
for each member another node announced (L{twisted_chat.chat.presence}).

Like IRC servers linked in a network, the nodes resynchronise whole rather
than trust every announcement to arrive: when the bus is (back) in place, a
node says C{hello} and sends everything it has (C{burst}), and the others
answer with theirs; a node that hears of a member it does not know asks its
node for everything again.  Every node says C{beat} every L{BEAT} seconds;
one not heard for L{SILENCE} seconds is taken for gone, and its members
quit here ("node N went away"), as a net split does; when it is heard again
they come back.

Nicks: each node lets a member take a nick nobody it knows of has, so two
nodes may give one nick at the same instant.  When a node hears of such a
clash, every node decides it the same way, from what both announcements
say (L{claimRank}): a member logged in to the account of that name wins
over one who is not, and of two such the later login wins (the account's
single session); otherwise the earlier claim keeps the nick.  The losing
member's own node renames it to a guest nick and tells it, or closes it if
it held the account ("logged in from elsewhere").  While nodes cannot hear
each other (Redis away), each side may give the same nick; the clash is
decided when they hear each other again.
"""

import itertools
from dataclasses import astuple
from typing import Any, Final

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from zope.interface import implementer

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import (
    Announcement,
    Event,
    Goodbye,
    Kicked,
    Notice,
    Parted,
    PrivateMessage,
    RoomMessage,
    UserNotice,
)
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.modes import Rank
from twisted_chat.chat.names import fold, isRoomName
from twisted_chat.chat.participants import IOutbox, IParticipant, deliverTo
from twisted_chat.chat.roomsync import RELAYED, roomOfEvent
from twisted_chat.cluster import announcements
from twisted_chat.cluster.announcements import MalformedAnnouncement
from twisted_chat.cluster.bus import IPresenceListener

BEAT: Final = 2.0
"""Seconds between two of a node's beats."""

SILENCE: Final = 7.0
"""Seconds without a word from a node before its members are taken for gone."""


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

    def __init__(self, roster: "ClusterRoster", node: str, ident: int) -> None:
        self.roster = roster
        self.node = node
        self.ident = ident
        self.outbox = roster.outbox
        self.dropping = False
        self.member: Member | None = None

    def deliver(self, event: Event) -> None:
        self.roster.passOn(self, event)

    def close(self) -> None:
        pass


@implementer(IOutbox)
class StandInOutbox:
    """
    The one outbox of all stand-ins: a room's messages stop here in one
    call (every node delivers them itself), and a room's other events go
    to the other nodes once each (L{twisted_chat.chat.roomsync}).
    """

    def __init__(self, roster: "ClusterRoster") -> None:
        self._roster = roster

    def post(
        self,
        event: Event,
        participants: list[IParticipant],
        sender: IParticipant | None = None,
    ) -> None:
        if type(event) is RoomMessage:
            return
        if (
            isinstance(event, RELAYED) and roomOfEvent(event) is not None
        ) or isinstance(event, Announcement):
            self._roster.relay(event)
            return
        for participant in participants:
            participant.deliver(event)


@implementer(IPresenceListener)
class ClusterRoster:
    """
    This node's announcements, and the stand-ins of the other nodes' members.

    @ivar chat: the chat the stand-ins are kept in (set once it is made).
    @ivar bus: where announcements go (set once it is made).
    """

    log = Logger()
    chat: Any
    bus: Any

    def __init__(self, clock: IReactorTime, node: str) -> None:
        self._clock = clock
        self.node = node
        self.outbox = StandInOutbox(self)
        self._ids = itertools.count(1)
        self._local: dict[Member, tuple[int, int]] = {}
        self._localById: dict[int, Member] = {}
        self._standIns: dict[tuple[str, int], Member] = {}
        self._claims: dict[tuple[str, int], int] = {}
        self._heard: dict[str, float] = {}
        self._asked: dict[str, float] = {}
        self._malformed = 0
        self._beating = LoopingCall(self._beat)
        self._beating.clock = clock

    def start(self) -> None:
        """Beat, and look for silent nodes, until L{stop}."""
        self._beating.start(BEAT, now=False)

    def stop(self) -> None:
        """Say this node is stopping."""
        if self._beating.running:
            self._beating.stop()
        self._say("bye")

    def _now(self) -> int:
        return int(self._clock.seconds() * 1000)

    def _say(self, kind: str, **fields: Any) -> None:
        self.bus.publishPresence(announcements.encode(self.node, kind, **fields))

    # This node's members (IPresence)

    def arrived(self, member: Member) -> None:
        ident = next(self._ids)
        self._local[member] = (ident, self._now())
        self._localById[ident] = member
        self._say("member", **self._record(member))

    def renamed(self, member: Member, old: str) -> None:
        ident, _ = self._local[member]
        claimed = self._now()
        self._local[member] = (ident, claimed)
        self._say(
            "rename",
            id=ident,
            nick=member.nick,
            account=member.account,
            claimed=claimed,
        )

    def left(self, member: Member, reason: str) -> None:
        found = self._local.pop(member, None)
        if found is not None:
            del self._localById[found[0]]
            self._say("quit", id=found[0], reason=reason)

    def entered(self, member: Member, room: Room, rank: Rank) -> None:
        ident, _ = self._local[member]
        self._say("join", id=ident, room=room.name, rank=int(rank))

    def exited(self, member: Member, room: Room, event: Event) -> None:
        ident, _ = self._local[member]
        self._say(
            "part", id=ident, room=room.name, event=announcements.encodeEvent(event)
        )

    def registered(self, nick: str) -> None:
        self._say("registered", nick=nick)

    def relay(self, event: Event) -> None:
        """Tell the other nodes an event of a room they have members in."""
        self._say("room", event=announcements.encodeEvent(event))

    def _record(self, member: Member) -> dict[str, Any]:
        ident, claimed = self._local[member]
        return {
            "id": ident,
            "nick": member.nick,
            "account": member.account,
            "claimed": claimed,
            "rooms": {
                room.name: int(room.members[member].rank)
                for room in member.rooms.values()
            },
        }

    # What stand-ins are given

    def passOn(self, standIn: StandIn, event: Event) -> None:
        """Send what is for another node's member alone to its node."""
        member = standIn.member
        if member is None:
            return
        if isinstance(event, Goodbye):
            if not standIn.dropping:
                self._say(
                    "disconnect",
                    to=standIn.node,
                    id=standIn.ident,
                    goodbye=event.kind,
                    reason=event.reason,
                )
            return
        personal = (
            isinstance(event, PrivateMessage)
            or (isinstance(event, UserNotice) and not isRoomName(event.target))
            or (isinstance(event, Kicked) and fold(event.nick) == fold(member.nick))
        )
        if personal:
            self._say(
                "deliver",
                to=standIn.node,
                id=standIn.ident,
                event=announcements.encodeEvent(event),
            )

    # What the other nodes say (IPresenceListener)

    def heard(self, data: bytes | str) -> None:
        try:
            said = announcements.decode(data)
            if said["node"] != self.node:
                self._heard[said["node"]] = self._clock.seconds()
                getattr(self, "_on_" + said["kind"])(said["node"], said)
        except (MalformedAnnouncement, ChatError) as e:
            self._malformed += 1
            if self._malformed == 1:
                self.log.warn(
                    "Ignoring a malformed announcement on the bus ({why}); later"
                    " ones are ignored without a word",
                    why=str(e),
                )

    def reconnected(self) -> None:
        self._say("hello", to=None)
        self._sayBurst()

    def _sayBurst(self) -> None:
        self._say("burst", members=[self._record(m) for m in self._local])

    def _on_hello(self, node: str, said: dict[str, Any]) -> None:
        if said["to"] in (None, self.node):
            self._sayBurst()

    def _on_beat(self, node: str, said: dict[str, Any]) -> None:
        if not any(key[0] == node for key in self._standIns):
            self._askFor(node)

    def _on_bye(self, node: str, said: dict[str, Any]) -> None:
        self._forget(node, f"Node {node} stopped")
        self._heard.pop(node, None)

    def _on_burst(self, node: str, said: dict[str, Any]) -> None:
        present = set()
        for record in said["members"]:
            present.add(record["id"])
            self._upsert(node, record)
        for key in list(self._standIns):
            if key[0] == node and key[1] not in present:
                self._drop(key, "Left while this server could not hear")

    def _on_member(self, node: str, said: dict[str, Any]) -> None:
        self._upsert(node, said)

    def _on_rename(self, node: str, said: dict[str, Any]) -> None:
        standIn = self._standIns.get((node, said["id"]))
        if standIn is None:
            self._askFor(node)
            return
        if fold(said["nick"]) != fold(standIn.nick) and not self._settle(
            node, said["id"], said["nick"], said["account"], said["claimed"]
        ):
            self._drop((node, said["id"]), "Nick collision")
            return
        self.chat.remote.rename(standIn, said["nick"], said["account"])
        self._claims[(node, said["id"])] = said["claimed"]

    def _on_quit(self, node: str, said: dict[str, Any]) -> None:
        self._drop((node, said["id"]), said["reason"])

    def _on_join(self, node: str, said: dict[str, Any]) -> None:
        standIn = self._standIns.get((node, said["id"]))
        if standIn is None:
            self._askFor(node)
            return
        self._enter(node, standIn, said["room"], said["rank"])

    def _on_part(self, node: str, said: dict[str, Any]) -> None:
        standIn = self._standIns.get((node, said["id"]))
        if standIn is not None:
            event = announcements.decodeEvent(said["event"])
            self.chat.remote.exit(standIn, said["room"], event)

    def _on_deliver(self, node: str, said: dict[str, Any]) -> None:
        member = self._localById.get(said["id"])
        if said["to"] != self.node or member is None:
            return
        event = announcements.decodeEvent(said["event"])
        if isinstance(event, Kicked):
            self.chat.remote.exit(member, event.room, event)
        else:
            deliverTo(member, event)

    def _on_disconnect(self, node: str, said: dict[str, Any]) -> None:
        member = self._localById.get(said["id"])
        if said["to"] == self.node and member is not None:
            self.chat.quit(member, said["reason"], said["goodbye"])

    def _on_registered(self, node: str, said: dict[str, Any]) -> None:
        self.chat.remote.registered(said["nick"])

    def _on_room(self, node: str, said: dict[str, Any]) -> None:
        event = announcements.decodeEvent(said["event"])
        if isinstance(event, Announcement):
            self.chat.remote.tellEveryone(event)
        else:
            self.chat.remote.rooms.apply(event)

    def _on_roomask(self, node: str, said: dict[str, Any]) -> None:
        state = self.chat.remote.rooms.state(said["room"])
        if said["to"] == self.node and state is not None:
            self._say(
                "roomstate",
                room=state.room,
                topic=None if state.topic is None else list(state.topic),
                modes=state.modes,
                bans=[list(astuple(ban)) for ban in state.bans],
            )

    def _on_roomstate(self, node: str, said: dict[str, Any]) -> None:
        self.chat.remote.rooms.restore(announcements.roomState(said))

    def _enter(self, node: str, member: Member, room: str, rank: int) -> None:
        """A stand-in went in C{room}; a room new here is asked for."""
        if self.chat.remote.enter(member, room, _rank(rank)):
            self._say("roomask", to=node, room=room)

    # Stand-ins

    def _upsert(self, node: str, record: dict[str, Any]) -> None:
        """Make or bring up to date the stand-in C{record} describes."""
        key = (node, record["id"])
        member = self._standIns.get(key)
        nick, account = record["nick"], record["account"]
        renamed = member is None or fold(member.nick) != fold(nick)
        if renamed and not self._settle(
            node, record["id"], nick, account, record["claimed"]
        ):
            if member is not None:
                self._drop(key, "Nick collision")
            return
        self._claims[key] = record["claimed"]
        if member is None:
            standIn = StandIn(self, node, record["id"])
            member = self.chat.remote.admit(standIn, nick, node, account)
            standIn.member = member
            self._standIns[key] = member
        else:
            self.chat.remote.rename(member, nick, account)
        rooms = {fold(name): (name, rank) for name, rank in record["rooms"].items()}
        for folded, room in list(member.rooms.items()):
            if folded not in rooms:
                self.chat.remote.exit(
                    member, room.name, Parted(room.name, member.nick, self._now(), "")
                )
        for name, rank in rooms.values():
            self._enter(node, member, name, rank)

    def _settle(
        self, node: str, ident: int, nick: str, account: str | None, claimed: int
    ) -> bool:
        """
        Whether another node's member may have C{nick} here; if it wins over
        the member that has it here, that one loses it.
        """
        holder = self.chat.remote.holder(nick)
        if holder is None or holder is self._standIns.get((node, ident)):
            return True
        if claimRank(nick, account, claimed, node) > self._rankOf(holder):
            return False
        self._lose(holder)
        return True

    def _rankOf(self, member: Member) -> tuple[Any, ...]:
        if member.node is None:
            found = self._local.get(member)
            claimed = found[1] if found else 0
            return claimRank(member.nick, member.account, claimed, self.node)
        standIn = member.participant
        assert isinstance(standIn, StandIn)
        claimed = self._claims.get((standIn.node, standIn.ident), 0)
        return claimRank(member.nick, member.account, claimed, standIn.node)

    def _lose(self, member: Member) -> None:
        """C{member} lost its nick to another node's member."""
        if member.node is not None:
            standIn = member.participant
            assert isinstance(standIn, StandIn)
            self._drop((standIn.node, standIn.ident), "Nick collision")
            return
        if member.account is not None and member.account == fold(member.nick):
            self.chat.quit(member, "Logged in from elsewhere", "replaced")
            return
        old = member.nick
        self.chat.remote.rename(member, self.chat.remote.freeGuestNick(), None)
        deliverTo(
            member,
            Notice(f"{old} is taken on another server; you are {member.nick} now."),
        )
        self._say("member", **self._record(member))

    def _drop(self, key: tuple[str, int], reason: str) -> None:
        member = self._standIns.pop(key, None)
        self._claims.pop(key, None)
        if member is not None:
            standIn = member.participant
            assert isinstance(standIn, StandIn)
            standIn.dropping = True
            self.chat.remote.quit(member, reason)

    def _forget(self, node: str, reason: str) -> None:
        for key in [key for key in self._standIns if key[0] == node]:
            self._drop(key, reason)

    def _askFor(self, node: str) -> None:
        """Ask C{node} for all of its members, at most once a beat."""
        now = self._clock.seconds()
        if now - self._asked.get(node, -BEAT) >= BEAT:
            self._asked[node] = now
            self._say("hello", to=node)

    def _beat(self) -> None:
        self._say("beat")
        now = self._clock.seconds()
        for node, last in list(self._heard.items()):
            if now - last > SILENCE:
                del self._heard[node]
                self._forget(node, f"Node {node} went away")


def _rank(value: int) -> Rank:
    try:
        return Rank(value)
    except ValueError:
        return Rank.MEMBER
