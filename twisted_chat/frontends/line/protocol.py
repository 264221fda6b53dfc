"""
The line-protocol front end: an adapter between a stream and the core.

L{LineChatProtocol} turns lines into commands (L{twisted_chat.wire.line})
and hands them to its member's
L{twisted_chat.frontends.commands.interpreter.CommandInterpreter}; in the other
direction L{LineChatFactory} writes each event as one line, encoded once for
all the connections it goes to.  Everything else a connection needs (TLS,
framing, the rules, admission, batched writes, closing, being counted) is
the stream front end's (L{twisted_chat.frontends.stream}).
"""

from typing import cast

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import ChatError, LineTooLong
from twisted_chat.chat.events import Event, Goodbye, HistoryGap, Ping, RoomMessage
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.chat.participants import IParticipant
from twisted_chat.connection.admission import Admission
from twisted_chat.connection.backlog import RoomMark
from twisted_chat.connection.batching import Queued
from twisted_chat.frontends.commands.interpreter import CommandInterpreter
from twisted_chat.frontends.stream import StreamConnection, StreamFrontEnd
from twisted_chat.limits import (
    ARRIVAL_GRACE,
    DEFAULT_RULES,
    MAX_LINE_LENGTH,
    ConnectionRules,
)
from twisted_chat.wire import line as wire


def roomMarkOf(event: Event) -> RoomMark | None:
    """
    What marks C{event}'s line in a send queue: a room message (C{MSG},
    C{ACTION}, C{HISTORY}, C{HISTORYACTION}) is one a client behind may be
    left without, noted under its room's folded name; L{None} for any other
    event, which is always kept.
    """
    if isinstance(event, RoomMessage):
        return (fold(event.room), event.room, event.sequence)
    return None


def gapLine(room: str, first: int, last: int) -> bytes:
    """
    The C{GAP} line that tells a client it was not sent messages C{first}
    to C{last} of C{room} while it was not reading: it can page them back
    with C{/history}.
    """
    return wire.formatEvent(HistoryGap(room, first, last))


class LineChatProtocol(StreamConnection):
    """
    One client connection speaking the line protocol.

    @ivar member: the chat member this connection speaks for, from its
        beginning on (over TLS, once the handshake is done).
    @ivar interpreter: what carries out the member's commands.
    """

    factory: "LineChatFactory"
    member: Member
    interpreter: CommandInterpreter

    def begin(self) -> None:
        """
        Make the member and greet it; one banned while its TLS handshake
        went on is told so, and closed.
        """
        factory = self.factory
        try:
            self.member = factory.chat.connect(self, address=self.peerHost)
        except ChatError as error:
            self.transport.write(factory.refusal(error.message))
            self.transport.loseConnection()
            return
        self.interpreter = CommandInterpreter(
            factory.chat,
            self.member,
            factory.accounts,
            clock=factory.clock,
            arrivalGrace=factory.arrivalGrace,
            requireLogin=factory.requireLogin,
            certificate=self.clientCertificate,
        )
        self.log.info(
            "{nick} connected from {peer}", nick=self.member.nick, peer=self.peerHost
        )
        self.guard.start(requireLogin=factory.requireLogin)
        self.interpreter.start()

    def lost(self, cleanly: bool) -> None:
        member = getattr(self, "member", None)
        if member is None:
            # It never began: a TLS handshake that did not finish.
            return
        self.interpreter.stop()
        self.log.info(
            "{nick} disconnected ({how})",
            nick=member.nick,
            how="closed" if cleanly else "lost",
        )
        self.factory.chat.quit(
            member, "Connection closed" if cleanly else "Connection lost"
        )

    # Guarded

    @property
    def name(self) -> str:
        return self.member.nick

    @property
    def present(self) -> bool:
        # A connection refused at its beginning never had a member.
        return hasattr(self, "member") and self.member.present

    @property
    def loggedIn(self) -> bool:
        return self.member.account is not None

    def carryOut(self, line: bytes | None) -> Deferred[None] | None:
        """
        Carry out one line; a mistake is answered, a bug drops this
        connection only.
        """
        if line is None:
            self.lineLengthExceeded()
            return None
        try:
            command = wire.parseCommand(line)
            return self.interpreter.execute(command) if command else None
        except ChatError as error:
            self.interpreter.reportError(error)
        except Exception:
            self.log.failure(
                "Unexpected error handling a line from {nick}", nick=self.member.nick
            )
            self.factory.chat.quit(self.member, "Internal server error", "error")
        return None

    def ping(self, token: str) -> None:
        self.deliver(Ping(token))

    def tell(self, text: str) -> None:
        self.interpreter.tell(text)

    def drop(self, reason: str, kind: str) -> None:
        self.log.info(
            "{nick}: {reason}; dropping", nick=self.member.nick, reason=reason
        )
        self.factory.chat.quit(self.member, reason, kind)

    def gapNotice(self, room: str, first: int, last: int) -> bytes:
        return gapLine(room, first, last)

    def lineLengthExceeded(self) -> None:
        """
        Refuse a line longer than the limit; the framer has discarded it.
        """
        self.interpreter.reportError(
            LineTooLong(
                f"Lines are limited to {self._framer.maxLength} bytes;"
                " that one was discarded."
            )
        )


class LineChatFactory(StreamFrontEnd):
    """
    Makes a L{LineChatProtocol} for each connection to one chat, and is their
    L{twisted_chat.chat.participants.IOutbox}: an event for many of them is encoded
    once, queued for each, and written once per connection per reactor turn,
    however many events the turn brought.

    @ivar maxLineLength: the longest client line accepted, in bytes.
    @ivar arrivalGrace: seconds a new connection has to take its nick and
        name its rooms before it is put in the lobby.
    """

    connectionClass = LineChatProtocol

    def __init__(
        self,
        chat: Chat,
        accounts: Accounts,
        clock: IReactorTime,
        *,
        rules: ConnectionRules = DEFAULT_RULES,
        admission: Admission | None = None,
        maxLineLength: int = MAX_LINE_LENGTH,
        requireLogin: bool = False,
        arrivalGrace: float = ARRIVAL_GRACE,
    ) -> None:
        super().__init__(
            chat,
            accounts,
            clock,
            rules=rules,
            admission=admission,
            requireLogin=requireLogin,
        )
        self.maxLineLength = maxLineLength
        self.arrivalGrace = arrivalGrace

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
