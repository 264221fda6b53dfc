"""
Fakes shared by the tests: participants that record what they are given.
"""

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from argon2 import PasswordHasher as Argon2Hasher
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.task import Clock
from twisted.logger import LogEvent, globalLogPublisher
from zope.interface import implementer

from twisted_chat.chat.accounts import Accounts, PasswordHasher
from twisted_chat.chat.core import Chat
from twisted_chat.chat.events import Event
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.chat.participants import IParticipant
from twisted_chat.store import IChatStore
from twisted_chat.store.memory import MemoryStore


@implementer(IParticipant)
class RecordingParticipant:
    """
    A participant that keeps every event delivered to it.

    @ivar events: what was delivered, in order.
    @ivar closed: whether the core closed it.
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed = False

    def deliver(self, event: Event) -> None:
        self.events.append(event)

    def close(self) -> None:
        self.closed = True

    def take(self) -> list[Event]:
        """Return the events so far and forget them."""
        events, self.events = self.events, []
        return events

    def eventsOfType(self, kind: type[Event]) -> list[Event]:
        return [event for event in self.events if isinstance(event, kind)]


@implementer(IParticipant)
class BrokenParticipant(RecordingParticipant):
    """A participant whose deliveries always fail."""

    def deliver(self, event: Event) -> None:
        raise RuntimeError("delivery failed")


def makeChat(
    start: float = 1_700_000_000.0, store: IChatStore | None = None
) -> tuple[Chat, Clock]:
    """A chat core (on a memory store) and a fake clock set to C{start} seconds."""
    clock = Clock()
    clock.advance(start)
    return Chat(clock, store if store is not None else MemoryStore()), clock


def runAtOnce(function: Callable[..., Any], *args: object) -> Deferred[Any]:
    """Run "in a thread" by running now: tests stay synchronous."""
    return maybeDeferred(function, *args)


class HeldRunner:
    """
    Runs "in a thread" only when a test says so: each call waits in L{held}
    until L{runNext} or L{runAll}, so a test chooses which password checks
    are in flight at once and when each ends.

    @ivar ran: the arguments of every call made so far, in order.
    """

    def __init__(self) -> None:
        self.held: list[tuple[Callable[..., Any], tuple[object, ...], Deferred[Any]]]
        self.held = []
        self.ran: list[tuple[str, tuple[object, ...]]] = []

    def __call__(self, function: Callable[..., Any], *args: object) -> Deferred[Any]:
        waiting: Deferred[Any] = Deferred()
        self.held.append((function, args, waiting))
        self.ran.append((function.__name__, args))
        return waiting

    def checked(self) -> list[str]:
        """The passwords given to a verify call so far, in order."""
        return [str(args[1]) for name, args in self.ran if name == "_verify"]

    def runNext(self) -> None:
        """Finish the oldest call held."""
        function, args, waiting = self.held.pop(0)
        maybeDeferred(function, *args).chainDeferred(waiting)

    def runAll(self) -> None:
        """Finish every call held, and those they start, until none is left."""
        while self.held:
            self.runNext()


FAST_ARGON2 = Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)
"""argon2id at its cheapest, for tests only."""


def makeAccounts(chat: Chat, clock: Clock) -> Accounts:
    """Accounts on the chat's store, hashing synchronously and cheaply."""
    return Accounts(chat, PasswordHasher(clock, FAST_ARGON2, runAtOnce), clock)


def connectMember(
    chat: Chat, nick: str | None = None, **kwargs: bool
) -> tuple[Member, RecordingParticipant]:
    """Connect a recording participant, optionally renamed, events cleared."""
    participant = RecordingParticipant()
    member = chat.connect(participant, **kwargs)
    if nick is not None:
        chat.changeNick(member, nick)
    participant.take()
    return member, participant


def joinAll(
    chat: Chat,
    rooms: list[str],
    *members: tuple[Member, RecordingParticipant],
) -> None:
    """Put every member in every room, then forget what they were told."""
    for room in rooms:
        for member, _ in members:
            chat.join(member, room)
    for _, participant in members:
        participant.take()


class ManualStore:
    """
    A memory store whose operations wait, in order, until L{flush}: it
    stands in for the SQLite store's thread, so tests choose what is
    committed when.

    @ivar failNext: if true, the next write fails as a store failure would.
    """

    def __init__(self) -> None:
        from twisted_chat.store.memory import MemoryStore

        self.memory = MemoryStore()
        self.queue: list[tuple[Callable[[], Deferred[Any]], Deferred[Any]]] = []
        self.failNext = False

    def load(self) -> Any:
        return self.memory.load()

    def flush(self) -> None:
        """Carry out every queued operation, in order, firing each result."""
        while self.queue:
            operation, result = self.queue.pop(0)
            operation().chainDeferred(result)

    def _queued(self, operation: Callable[[], Deferred[Any]]) -> Deferred[Any]:
        result: Deferred[Any] = Deferred()
        self.queue.append((operation, result))
        return result

    def _write(self, operation: Callable[[], Deferred[Any]]) -> Deferred[Any]:
        if self.failNext:
            from twisted.internet.defer import fail

            from twisted_chat.store import StoreError

            self.failNext = False
            return self._queued(lambda: fail(StoreError("disk full")))
        return self._queued(operation)

    def __getattr__(self, name: str) -> Callable[..., Deferred[Any]]:
        method = getattr(self.memory, name)
        writes = name in {
            "appendMessage",
            "appendNumbered",
            "saveTopic",
            "appendPrivate",
            "takePendingPrivate",
            "createAccount",
            "setPasswordHash",
            "prune",
        }

        def queued(*args: object) -> Deferred[Any]:
            operation = lambda: method(*args)  # noqa: E731
            return self._write(operation) if writes else self._queued(operation)

        return queued


def splitAt(data: bytes, cuts: list[int]) -> list[bytes]:
    """C{data} cut at the given places (taken modulo its length), as TCP may."""
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[start:end] for start, end in itertools.pairwise(points)]


class FailureLog:
    """Every logged failure, from when it is started until it is stopped."""

    def __init__(self) -> None:
        self.failures: list[LogEvent] = []
        globalLogPublisher.addObserver(self._observe)

    def _observe(self, event: LogEvent) -> None:
        if event.get("log_failure") is not None:
            self.failures.append(event)

    def stop(self) -> None:
        globalLogPublisher.removeObserver(self._observe)


def assertConsistent(chat: Chat, members: Iterable[Member]) -> None:
    """
    The chat makes sense, as its public face shows it, for C{members}: every
    member a test's connections have made, present or gone.  A present one
    is found under its nick, is in the rooms it thinks it is in, and has a
    current room among them; a gone one is found nowhere; every room listed
    holds exactly the present members that think they are in it.
    """
    members = list(members)
    for member in members:
        found = chat.memberIfPresent(member.nick)
        if not member.present:
            assert found is not member, member
            continue
        assert found is member, (member, found)
        current = member.currentRoom
        assert current is None or current in member.rooms.values()
        for room in member.rooms.values():
            assert member in room.members
    for entry in chat.listRooms():
        inside = sorted(
            member.nick
            for member in members
            if member.present and fold(entry.room) in member.rooms
        )
        assert entry.memberCount == len(inside), (entry, inside)
        assert sorted(chat.membersOf(entry.room).nicks) == inside, (entry, inside)
