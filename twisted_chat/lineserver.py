"""
The line-protocol server: an adapter between TCP (or any stream) and the core.

L{LineChatProtocol} turns bytes into lines (L{twisted_chat.framing}), lines
into commands (L{twisted_chat.wire}) and hands them to its member's
L{twisted_chat.interpreter.CommandInterpreter}; in the other direction it
writes each event it is given as one line.  It decides nothing about the chat.

L{LineChatFactory} holds the chat core, not a list of transports, and encodes
each event once however many members it is delivered to.
"""

from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IAddress, ITCPTransport, ITransport
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from . import wire
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
        self.factory.connectionOpened()
        chat = self.factory.chat
        self.member = chat.connect(self)
        self.interpreter = CommandInterpreter(chat, self.member)
        self.log.info(
            "{nick} connected from {peer}",
            nick=self.member.nick,
            peer=self.transport.getPeer(),
        )
        self.interpreter.start()

    def dataReceived(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            if not self.member.present:
                # A line in the same packet as a quit is not carried out.
                return
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
            if command is not None:
                self.interpreter.execute(command)
        except ChatError as error:
            self.interpreter.reportError(error)
        except Exception:
            self.log.failure(
                "Unexpected error handling a line from {nick}", nick=self.member.nick
            )
            self.factory.chat.quit(self.member, "Internal server error")

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

    # IParticipant

    def deliver(self, event: Event) -> None:
        self.transport.write(self.factory.encode(event))

    def close(self) -> None:
        self.transport.loseConnection()


class LineChatFactory(Factory):
    """
    Makes a L{LineChatProtocol} for each connection to one chat.

    @ivar chat: the chat core every connection joins.
    @ivar maxLineLength: the longest client line accepted, in bytes.
    """

    def __init__(self, chat: ChatServer, maxLineLength: int = MAX_LINE_LENGTH) -> None:
        self.chat = chat
        self.maxLineLength = maxLineLength
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
