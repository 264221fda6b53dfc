"""
The line-protocol server: an adapter between TCP (or any stream) and the core.

L{LineChatProtocol} turns bytes into lines (L{twisted_chat.framing}), lines
into commands (L{twisted_chat.wire}) and hands them to its member's
L{twisted_chat.interpreter.CommandInterpreter}; in the other direction it
writes each event it is given as one line.  It decides nothing about the chat.

L{LineChatFactory} holds the chat core, not a list of transports, and encodes
each event once however many members it is delivered to.
"""

from collections import deque
from typing import cast

from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IAddress,
    IPushProducer,
    ITCPTransport,
    ITransport,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from . import wire
from .accounts import Accounts
from .core import ChatServer, IParticipant, Member
from .errors import ChatError, LineTooLong
from .events import Event
from .framing import LineFramer
from .interpreter import CommandInterpreter
from .limits import MAX_LINE_LENGTH


@implementer(IParticipant)
class LineChatProtocol(Protocol):
    """
    One client connection speaking the line protocol.

    @ivar member: the chat member this connection speaks for, from
        C{connectionMade} on.
    """

    log = Logger()
    transport: ITransport
    member: Member
    interpreter: CommandInterpreter

    def __init__(self, factory: "LineChatFactory") -> None:
        self.factory = factory

    def connectionMade(self) -> None:
        if ITCPTransport.providedBy(self.transport):
            # Chat lines are small and wanted now: do not wait for Nagle.
            self.transport.setTcpNoDelay(True)
        self._framer = LineFramer(self.factory.maxLineLength)
        self._lines: deque[bytes | None] = deque()
        self._waiting = False
        self.factory.connectionOpened()
        chat = self.factory.chat
        peer = self.transport.getPeer()
        self.member = chat.connect(self, address=getattr(peer, "host", str(peer)))
        self.interpreter = CommandInterpreter(
            chat,
            self.member,
            self.factory.accounts,
            requireLogin=self.factory.requireLogin,
        )
        self.log.info("{nick} connected from {peer}", nick=self.member.nick, peer=peer)
        self.interpreter.start()

    def dataReceived(self, data: bytes) -> None:
        self._lines.extend(self._framer.feed(data))
        self._handleLines()

    def _handleLines(self) -> None:
        """
        Carry out the lines received so far, in order, stopping while a
        command that changes who the member is (a login) is in progress.
        """
        while self._lines and not self._waiting:
            if not self.member.present:
                # Lines after a quit are not carried out.
                self._lines.clear()
                return
            line = self._lines.popleft()
            if line is None:
                self.lineLengthExceeded()
            else:
                self.lineReceived(line)

    def lineReceived(self, line: bytes) -> None:
        """
        Carry out one line; a mistake is answered, a bug drops this
        connection only.
        """
        try:
            command = wire.parseCommand(line)
            waitFor = self.interpreter.execute(command) if command else None
        except ChatError as error:
            self.interpreter.reportError(error)
        except Exception:
            self.log.failure(
                "Unexpected error handling a line from {nick}", nick=self.member.nick
            )
            self.factory.chat.quit(self.member, "Internal server error", "error")
        else:
            if waitFor is not None and not waitFor.called:
                self._waitFor(waitFor)

    def _waitFor(self, outcome: Deferred[None]) -> None:
        # Stream transports are push producers: stop reading meanwhile.
        producer = cast(IPushProducer, self.transport)
        self._waiting = True
        producer.pauseProducing()

        def finished(result: object) -> None:
            self._waiting = False
            if self.member.present:
                producer.resumeProducing()
                self._handleLines()

        outcome.addBoth(finished)

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

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        member = getattr(self, "member", None)
        if member is None:
            return
        self.factory.connectionClosed()
        cleanly = reason.check(ConnectionDone) is not None
        self.log.info(
            "{nick} disconnected ({how})",
            nick=member.nick,
            how="closed" if cleanly else reason.getErrorMessage(),
        )
        self.factory.chat.quit(
            member, "Connection closed" if cleanly else "Connection lost"
        )
        self._lines.clear()

    # IParticipant

    def deliver(self, event: Event) -> None:
        self.transport.write(self.factory.encode(event))

    def close(self) -> None:
        self.transport.loseConnection()


class LineChatFactory(Factory):
    """
    Makes a L{LineChatProtocol} for each connection to one chat.

    @ivar chat: the chat core every connection joins.
    @ivar accounts: what checks logins.
    @ivar maxLineLength: the longest client line accepted, in bytes.
    @ivar requireLogin: whether connections must log in before chatting.
    """

    def __init__(
        self,
        chat: ChatServer,
        accounts: Accounts,
        *,
        maxLineLength: int = MAX_LINE_LENGTH,
        requireLogin: bool = False,
    ) -> None:
        self.chat = chat
        self.accounts = accounts
        self.maxLineLength = maxLineLength
        self.requireLogin = requireLogin
        self._lastEvent: Event | None = None
        self._lastLine = b""
        self.openConnections = 0
        self._whenAllClosed: list[Deferred[None]] = []

    def buildProtocol(self, addr: IAddress | None) -> LineChatProtocol:
        return LineChatProtocol(self)

    def encode(self, event: Event) -> bytes:
        """
        Return the line for C{event}, encoding it only once per fan-out.

        The core hands the same event object to every recipient in turn, so
        remembering the last one is enough.
        """
        if event is not self._lastEvent:
            self._lastLine = wire.formatEvent(event)
            self._lastEvent = event
        return self._lastLine

    def connectionOpened(self) -> None:
        self.openConnections += 1

    def connectionClosed(self) -> None:
        self.openConnections -= 1
        if not self.openConnections:
            waiting, self._whenAllClosed = self._whenAllClosed, []
            for waiter in waiting:
                waiter.callback(None)

    def allClosed(self) -> "Deferred[None]":
        """
        Return a Deferred that fires once no connection is open, so that a
        stopping server can let its goodbyes reach the clients.
        """
        if not self.openConnections:
            return succeed(None)
        waiter: Deferred[None] = Deferred()
        self._whenAllClosed.append(waiter)
        return waiter
