"""
The line-protocol front end: an adapter between a stream and the core.

L{LineChatProtocol} turns lines into commands (L{twisted_chat.wire.line})
and hands them to its member's
L{twisted_chat.frontends.commands.interpreter.CommandInterpreter}; in the other
direction L{LineChatFactory} writes each event as one line, encoded once for
all the connections it goes to.  What a connection speaking the command
language does with its member is L{twisted_chat.frontends.commands.connection}'s;
everything else a connection needs (TLS, framing, the rules, admission,
batched writes, closing, being counted) is the stream front end's
(L{twisted_chat.frontends.stream}).
"""

from typing import cast

from twisted_chat.chat.commands import Command
from twisted_chat.chat.errors import LineTooLong
from twisted_chat.chat.events import Event, Goodbye, HistoryGap
from twisted_chat.chat.participants import IParticipant
from twisted_chat.connection.batching import Queued
from twisted_chat.frontends.commands.connection import (
    CommandConnection,
    CommandFrontEnd,
)
from twisted_chat.frontends.stream import roomMarkOf
from twisted_chat.wire import line as wire


def gapLine(room: str, first: int, last: int) -> bytes:
    """
    The C{GAP} line that tells a client it was not sent messages C{first}
    to C{last} of C{room} while it was not reading: it can page them back
    with C{/history}.
    """
    return wire.formatEvent(HistoryGap(room, first, last))


class LineChatProtocol(CommandConnection):
    """One client connection speaking the line protocol."""

    factory: "LineChatFactory"

    def decode(self, line: bytes) -> Command | None:
        return wire.parseCommand(line)

    def lineTooLong(self) -> None:
        """
        Refuse a line longer than the limit; the framer has discarded it.
        """
        self.interpreter.reportError(
            LineTooLong(
                f"Lines are limited to {self._framer.maxLength} bytes;"
                " that one was discarded."
            )
        )

    def gapNotice(self, room: str, first: int, last: int) -> bytes:
        return gapLine(room, first, last)


class LineChatFactory(CommandFrontEnd):
    """
    Makes a L{LineChatProtocol} for each connection to one chat, and is their
    L{twisted_chat.chat.participants.IOutbox}: an event for many of them is encoded
    once, queued for each, and written once per connection per reactor turn,
    however many events the turn brought.
    """

    connectionClass = LineChatProtocol

    def refusal(self, why: str) -> bytes:
        return wire.formatEvent(Goodbye("refused", why))

    def post(
        self,
        event: Event,
        participants: list[IParticipant],
        sender: IParticipant | None = None,
    ) -> None:
        """
        Encode C{event} once and queue the same bytes for each connection;
        each gets one write of all its queued lines at the end of this
        reactor turn.

        A room hands the same participants list for each message while its
        members stay the same, and a committed group of messages arrives in
        one turn.  So the lines go into a batch that every one of the
        participants has queued: the next event for the very same list is
        one append to that batch, not one per member.  The batch is sealed
        (see L{twisted_chat.connection.batching.Batcher.seal}) as soon as
        anything else is queued or any connection is written to, so each
        connection still gets every line once, in order.

        A room message's line is queued with its L{roomMarkOf}, made once
        here for all its recipients, so that the send queue of one that is
        not reading can leave it out without reading it.
        """
        self.batcher.queue(
            wire.formatEvent(event),
            cast(list[Queued], participants),
            roomMarkOf(event),
        )
