"""
Nodes of a cluster in one process, for tests: chat cores sharing one memory
store, each with its cluster feed and roster, on a bus whose notices and
announcements a test hands over (L{Network.flush}), drops or holds.
"""

from typing import Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.task import Clock

from twisted_chat.chat.core import Chat
from twisted_chat.chat.events import RoomMessage
from twisted_chat.chat.model import Member
from twisted_chat.cluster.feed import ClusterFeed
from twisted_chat.cluster.roster import ClusterRoster
from twisted_chat.store import StoreError
from twisted_chat.store.memory import MemoryStore

from ..helpers import RecordingParticipant

START = 1_700_000_000.0


class Network:
    """The buses of every node, and the notices published but not yet heard."""

    def __init__(self) -> None:
        self.buses: list[FakeBus] = []
        self.inFlight: list[tuple[FakeBus, str, int, bytes | None]] = []

    def flush(self) -> None:
        """
        Hand every notice in flight to every other subscribed node, and
        every announcement to every other connected node, in order.
        """
        while self.inFlight:
            sender, room, sequence, payload = self.inFlight.pop(0)
            for bus in self.buses:
                if bus is sender or not bus.connected:
                    continue
                if room is None:
                    assert payload is not None
                    bus.presence.heard(payload)
                elif room in bus.rooms:
                    bus.listener.roomAdvanced(room, sequence, payload)

    def drop(self) -> None:
        """Lose every notice in flight, as Redis going away would."""
        self.inFlight.clear()


class FakeBus:
    """A node's bus on the L{Network}: subscriptions are confirmed at once."""

    def __init__(self, network: Network, listener: ClusterFeed) -> None:
        self.network = network
        self.listener = listener
        self.rooms: set[str] = set()
        self.connected = True
        self.published: list[tuple[str, int, bytes | None]] = []
        self.presence: Any = None
        network.buses.append(self)

    def publishPresence(self, data: bytes) -> None:
        if self.connected:
            self.network.inFlight.append((self, None, 0, data))

    def publishRoom(self, room: str, sequence: int, payload: bytes | None) -> None:
        self.published.append((room, sequence, payload))
        self.network.inFlight.append((self, room, sequence, payload))

    def subscribe(self, room: str) -> Deferred[None]:
        self.rooms.add(room)
        return succeed(None)

    def unsubscribe(self, room: str) -> Deferred[None]:
        self.rooms.discard(room)
        return succeed(None)


class FlakyStore:
    """
    A shared memory store whose reads fail while L{down}, and whose history
    reads a test may hold.
    """

    def __init__(self, memory: MemoryStore) -> None:
        self.memory = memory
        self.down = False
        self.reads: list[tuple[str, int, int]] = []
        self.holding: list[tuple[Deferred[Any], Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.memory, name)

    def messagesFrom(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        self.reads.append((room, after, through))
        if self.down:
            return fail(StoreError("the database went away"))
        return self.memory.messagesFrom(room, after, through, limit)

    def messagesBetween(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        if self.down:
            return fail(StoreError("the database went away"))
        found = self.memory.messagesBetween(room, after, through, limit)
        if self.holding is None:
            return found
        held: Deferred[list[RoomMessage]] = Deferred()
        self.holding.append((held, self.successOf(found)))
        return held

    def hold(self) -> None:
        """Hold every history read (a replay) until L{release}."""
        self.holding = []

    def release(self) -> None:
        """Answer the reads held, in order, and hold no more."""
        held, self.holding = self.holding or [], None
        for waiting, messages in held:
            waiting.callback(messages)

    @staticmethod
    def successOf(done: Deferred[Any]) -> Any:
        results: list[Any] = []
        done.addCallback(results.append)
        return results[0]


class Node:
    """One chat core with its cluster feed, on the shared store."""

    def __init__(
        self, network: Network, memory: MemoryStore, clock: Clock, name: str = ""
    ) -> None:
        self.name = name or f"n{len(network.buses) + 1}"
        self.store = FlakyStore(memory)
        self.feed = ClusterFeed(clock, self.store)  # type: ignore[arg-type]
        self.roster = ClusterRoster(clock, self.name)
        self.bus = FakeBus(network, self.feed)
        self.bus.presence = self.roster
        self.feed.bus = self.roster.bus = self.bus  # type: ignore[assignment]
        self.chat = Chat(
            clock,
            self.store,  # type: ignore[arg-type]
            feed=self.feed,
            presence=self.roster,
        )
        self.roster.chat = self.chat
        self.roster.nodeGone = self.feed.reconnected

    def member(self, nick: str, *rooms: str) -> tuple[Member, RecordingParticipant]:
        participant = RecordingParticipant()
        member = self.chat.connect(participant, nick=nick)
        for room in rooms:
            self.chat.join(member, room)
        participant.take()
        return member, participant
