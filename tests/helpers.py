"""
Fakes shared by the tests: participants that record what they are given.
"""

from twisted.internet.task import Clock
from zope.interface import implementer

from twisted_chat.core import ChatServer, IParticipant, Member
from twisted_chat.events import Event


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


def makeChat(start: float = 1_700_000_000.0) -> tuple[ChatServer, Clock]:
    """A chat core on a fake clock set to C{start} seconds."""
    clock = Clock()
    clock.advance(start)
    return ChatServer(clock), clock


def connectMember(
    chat: ChatServer, nick: str | None = None, **kwargs: bool
) -> tuple[Member, RecordingParticipant]:
    """Connect a recording participant, optionally renamed, events cleared."""
    participant = RecordingParticipant()
    member = chat.connect(participant, **kwargs)
    if nick is not None:
        chat.changeNick(member, nick)
    participant.take()
    return member, participant


def joinAll(
    chat: ChatServer,
    rooms: list[str],
    *members: tuple[Member, RecordingParticipant],
) -> None:
    """Put every member in every room, then forget what they were told."""
    for room in rooms:
        for member, _ in members:
            chat.join(member, room)
    for _, participant in members:
        participant.take()
