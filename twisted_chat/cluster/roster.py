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

Nicks: two nodes may give one nick at the same instant; every node
decides such a clash alike (L{twisted_chat.cluster.standins}), and the
loser's node renames it to a guest nick and tells it, or closes it if it
held the account ("logged in from elsewhere").  While nodes cannot hear
each other (Redis away), each side may give the same nick; the clash is
decided when they hear each other again.
"""

import itertools
from collections.abc import Callable
from dataclasses import astuple
from typing import Any, Final

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from zope.interface import implementer

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import (
    Event,
    Goodbye,
    Notice,
    PrivateMessage,
    TagMessage,
    UserNotice,
)
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.modes import Rank
from twisted_chat.chat.names import fold, isRoomName
from twisted_chat.chat.orderevents import Announcement, Invited, Kicked
from twisted_chat.chat.participants import deliverTo
from twisted_chat.chat.roomsync import RoomState
from twisted_chat.cluster import announcements
from twisted_chat.cluster.announcements import MalformedAnnouncement
from twisted_chat.cluster.bus import IPresenceListener
from twisted_chat.cluster.standins import StandIn, StandIns

BEAT: Final = 2.0
"""Seconds between two of a node's beats."""

SILENCE: Final = 7.0
"""Seconds without a word from a node before its members are taken for gone."""


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
        self.standIns = StandIns(self)
        self._ids = itertools.count(1)
        self._local: dict[Member, tuple[int, int]] = {}
        self._localById: dict[int, Member] = {}
        self._heard: dict[str, float] = {}
        self._asked: dict[str, float] = {}
        self._malformed = 0
        self._failed = 0
        self._registeredHere: set[str] = set()
        self.nodeGone: Callable[[], None] = lambda: None
        self._beating = LoopingCall(self._beat)
        self._beating.clock = clock

    def start(self) -> None:
        """Beat, and look for silent nodes, until L{stop}."""
        self._beating.start(BEAT, now=False)

    def stop(self) -> None:
        """Say this node is stopping."""
        if self._beating.running:
            self._beating.stop()
        self.say("bye")

    def _now(self) -> int:
        return int(self._clock.seconds() * 1000)

    def say(self, kind: str, **fields: Any) -> None:
        """Announce to the other nodes."""
        self.bus.publishPresence(announcements.encode(self.node, kind, **fields))

    # This node's members (IPresence)

    def arrived(self, member: Member) -> None:
        ident = next(self._ids)
        self._local[member] = (ident, self._now())
        self._localById[ident] = member
        self.say("member", **self._record(member))

    def renamed(self, member: Member, old: str) -> None:
        ident, _ = self._local[member]
        claimed = self._now()
        self._local[member] = (ident, claimed)
        self.say(
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
            self.say("quit", id=found[0], reason=reason)

    def entered(self, member: Member, room: Room, rank: Rank) -> None:
        ident, _ = self._local[member]
        self.say("join", id=ident, room=room.name, rank=int(rank))

    def exited(self, member: Member, room: Room, event: Event) -> None:
        ident, _ = self._local[member]
        self.say(
            "part", id=ident, room=room.name, event=announcements.encodeEvent(event)
        )

    def registered(self, nick: str) -> None:
        self._registeredHere.add(nick)
        self.say("registered", nick=nick)

    def roomChanged(self, room: Room, event: Event) -> None:
        self.relay(event)

    def relay(self, event: Event) -> None:
        """Tell the other nodes an event of a room they have members in."""
        self.say("room", event=announcements.encodeEvent(event))

    def claimed(self, member: Member) -> int:
        """When this node's C{member} took its nick."""
        found = self._local.get(member)
        return found[1] if found else 0

    def lose(self, member: Member) -> None:
        """
        This node's C{member} lost its nick to another node's member: it is
        renamed to a guest nick and told, or closed if it held the account.
        """
        if member.account is not None and member.account == fold(member.nick):
            self.chat.quit(member, "Logged in from elsewhere", "replaced")
            return
        old = member.nick
        self.chat.remote.rename(
            member, self.chat.remote.freeGuestNick(), member.account
        )
        deliverTo(
            member,
            Notice(f"{old} is taken on another server; you are {member.nick} now."),
        )
        self.say("member", **self._record(member))

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
                # Closed here (a newer login, a server operator): forgotten
                # here now, and its node closes it.
                self.standIns.forget(standIn)
                self.say(
                    "disconnect",
                    to=standIn.node,
                    id=standIn.ident,
                    goodbye=event.kind,
                    reason=event.reason,
                )
            return
        personal = (
            isinstance(event, PrivateMessage | Notice)
            or (isinstance(event, TagMessage) and not isRoomName(event.target))
            or (isinstance(event, Invited) and fold(event.nick) == fold(member.nick))
            or (isinstance(event, UserNotice) and not isRoomName(event.target))
            or (isinstance(event, Kicked) and fold(event.nick) == fold(member.nick))
        )
        if personal:
            self.say(
                "deliver",
                to=standIn.node,
                id=standIn.ident,
                event=announcements.encodeEvent(event),
                # A kick by a server operator needs no rank in the room.
                operator=isinstance(event, Kicked) and self._byOperator(event),
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
        except Exception:
            self._failed += 1
            if self._failed <= 3:
                self.log.failure("Applying an announcement from the bus failed")

    def reconnected(self) -> None:
        self.say("hello", to=None)
        self._sayBurst()

    def _sayBurst(self) -> None:
        self.say(
            "burst",
            members=[self._record(m) for m in self._local],
            registered=sorted(self._registeredHere),
            rooms=self._roomStates(),
        )

    def _on_hello(self, node: str, said: dict[str, Any]) -> None:
        if said["to"] in (None, self.node):
            self._sayBurst()

    def _on_beat(self, node: str, said: dict[str, Any]) -> None:
        if not self.standIns.knows(node):
            self._askFor(node)

    def _on_bye(self, node: str, said: dict[str, Any]) -> None:
        self.standIns.dropAllBut(node, set(), f"Node {node} stopped")
        self._heard.pop(node, None)
        self._asked.pop(node, None)

    def _on_burst(self, node: str, said: dict[str, Any]) -> None:
        for nick in said["registered"]:
            if isinstance(nick, str):
                self.chat.remote.registered(nick)
        for fields in said["rooms"]:
            if isinstance(fields, dict):
                self.chat.remote.rooms.restore(announcements.roomState(fields))
        present = set()
        for record in said["members"]:
            present.add(record["id"])
            self.standIns.upsert(node, record)
        self.standIns.dropAllBut(node, present, "Left while this server could not hear")

    def _on_member(self, node: str, said: dict[str, Any]) -> None:
        self.standIns.upsert(node, said)

    def _on_rename(self, node: str, said: dict[str, Any]) -> None:
        if not self.standIns.rename(node, said):
            self._askFor(node)

    def _on_quit(self, node: str, said: dict[str, Any]) -> None:
        self.standIns.drop(node, said["id"], said["reason"])

    def _on_join(self, node: str, said: dict[str, Any]) -> None:
        standIn = self.standIns.get(node, said["id"])
        if standIn is None:
            self._askFor(node)
            return
        self.standIns.enter(node, standIn, said["room"], said["rank"])

    def _on_part(self, node: str, said: dict[str, Any]) -> None:
        standIn = self.standIns.get(node, said["id"])
        if standIn is not None:
            event = announcements.decodeEvent(said["event"])
            self.chat.remote.exit(standIn, said["room"], event)

    def _on_deliver(self, node: str, said: dict[str, Any]) -> None:
        member = self._localById.get(said["id"])
        if said["to"] != self.node or member is None:
            return
        event = announcements.decodeEvent(said["event"])
        if isinstance(event, Invited):
            self.chat.remote.invited(member, event)
        elif not isinstance(event, Kicked):
            deliverTo(member, event)
        elif said["operator"] or self._mayKick(event, member):
            self.chat.remote.exit(member, event.room, event)

    def _byOperator(self, kick: Kicked) -> bool:
        """Whether a kick made here was a server operator's."""
        kicker = self.chat.memberIfPresent(kick.by)
        return kicker is not None and self.chat.operators.isServerOperator(kicker)

    def _mayKick(self, kick: Kicked, member: Member) -> bool:
        """
        Whether the kicker, as this node sees the room, is an operator
        there who does not rank below this node's C{member}.
        """
        room = member.rooms.get(fold(kick.room))
        kicker = self.chat.remote.holder(kick.by)
        if room is None or kicker is None or kicker not in room.members:
            return False
        rank = room.members[kicker].rank
        return rank >= Rank.OPERATOR and rank >= room.members[member].rank

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
            self.say("roomstate", **_stateFields(state))

    def _on_roomstate(self, node: str, said: dict[str, Any]) -> None:
        self.chat.remote.rooms.restore(announcements.roomState(said))

    def _roomStates(self) -> list[dict[str, Any]]:
        """The state of every room this node has members in, for a burst."""
        rooms = {room.name for member in self._local for room in member.rooms.values()}
        states = [self.chat.remote.rooms.state(name) for name in sorted(rooms)]
        return [_stateFields(state) for state in states if state is not None]

    def _askFor(self, node: str) -> None:
        """Ask C{node} for all of its members, at most once a beat."""
        now = self._clock.seconds()
        if now - self._asked.get(node, -BEAT) >= BEAT:
            self._asked[node] = now
            self.say("hello", to=node)

    def _beat(self) -> None:
        self.say("beat")
        now = self._clock.seconds()
        for node, last in list(self._heard.items()):
            if now - last > SILENCE:
                del self._heard[node]
                self._asked.pop(node, None)
                self.standIns.dropAllBut(node, set(), f"Node {node} went away")
                # It may have committed messages it did not live to announce.
                self.nodeGone()


def _stateFields(state: RoomState) -> dict[str, Any]:
    """A room's state as C{roomstate} and C{burst} carry it."""
    return {
        "room": state.room,
        "topic": None if state.topic is None else list(state.topic),
        "modes": state.modes,
        "bans": [list(astuple(ban)) for ban in state.bans],
        "changed": state.changed,
    }
