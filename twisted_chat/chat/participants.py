"""
How events reach people: the interfaces a front end provides to receive
them (L{IParticipant}, L{IOutbox}), and the delivery that hands each event
to its recipients.

Delivery is the chat's hottest path, so it is kept in one place, apart from
the rules that decide who gets what: it groups recipients by the outbox
that serves them, hands each outbox an event once so that it is encoded
once, and logs a failing delivery without stopping the others.  It reads a
recipient only through L{Recipient}, which a
L{twisted_chat.chat.model.Member} provides, so it knows nothing of rooms.
"""

from collections.abc import Iterable, Sequence
from typing import Protocol

from twisted.logger import Logger
from zope.interface import Interface

from twisted_chat.chat.events import Event, Goodbye, PrivateMessage, RoomMessage
from twisted_chat.meters import METERS

log = Logger()

_KINDS = {RoomMessage: "room", PrivateMessage: "private"}
"""How deliveries are counted: room messages, private messages, the rest."""


class IParticipant(Interface):
    """
    The far side of a member: whatever carries events to a person.
    """

    def deliver(event: Event) -> None:
        """
        Pass one event on to the person.

        Fan-out hands the same event object to every recipient in turn, so an
        implementation that encodes events may encode each one once.  It must
        not call back into the L{twisted_chat.chat.core.Chat}.
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
        into the L{twisted_chat.chat.core.Chat}: what it needs comes
        with the delivery.

        The list is the outbox's to keep and is never changed afterwards: a
        room hands the same list for message after message while its
        members stay the same, and an outbox may rely on that.

        @param sender: for a room message said just now, the participant of
            the member who said it (who may be among C{participants}, and
            may not want its own line back); L{None} otherwise.
        """


class Recipient(Protocol):
    """
    What delivery reads of a member.

    @ivar nick: the member's nick, to name it in the log.
    @ivar present: false once the member has quit: it gets nothing more.
    @ivar outbox: the participant's L{IOutbox}, or L{None}.
    @ivar participant: what carries events to the member.
    """

    nick: str
    present: bool
    outbox: IOutbox | None
    participant: IParticipant


Groups = dict[IOutbox | None, list[IParticipant]]
"""Participants by the outbox that delivers to them (L{None}: one by one)."""


def groupByOutbox(members: Iterable[Recipient]) -> Groups:
    """Group present members' participants by their outbox, keeping order."""
    groups: Groups = {}
    for member in members:
        if member.present:
            groups.setdefault(member.outbox, []).append(member.participant)
    return groups


def deliverTo(member: Recipient, event: Event) -> None:
    """Hand C{event} to C{member}, if it is present."""
    fanOut(event, (member,))


def fanOut(event: Event, recipients: Sequence[Recipient]) -> None:
    """
    Hand C{event} to each present recipient.

    C{recipients} must be a sequence of the caller's own, not a live view
    of a room: a delivery may not change the room, but a bug might.
    """
    post(event, groupByOutbox(recipients))


def post(event: Event, groups: Groups, sender: IParticipant | None = None) -> None:
    """
    Hand C{event} to each outbox once, with all its participants (and the
    C{sender}'s participant, for a room message), so that it is encoded
    once; one failing delivery never stops the others.
    """
    kind = _KINDS.get(type(event), "other")
    for outbox, participants in groups.items():
        METERS.deliveries[kind] += len(participants)
        if outbox is not None:
            try:
                outbox.post(event, participants, sender)
            except Exception:
                log.failure("Delivering {event!r} failed", event=event)
            continue
        for participant in participants:
            try:
                participant.deliver(event)
            except Exception:
                log.failure(
                    "Delivering {event!r} to {participant!r} failed",
                    event=event,
                    participant=participant,
                )


def sendOff(member: Recipient, kind: str, reason: str) -> None:
    """
    Say goodbye to a member already taken out of the chat, and close its
    participant.
    """
    try:
        member.participant.deliver(Goodbye(kind, reason))
        member.participant.close()
    except Exception:
        log.failure("Sending {nick} off failed", nick=member.nick)
