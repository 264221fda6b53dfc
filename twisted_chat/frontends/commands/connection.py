"""
A stream connection whose client speaks the slash-command language, and
the front end that makes them: what the line protocol and the web client's
JSON share, written once.

Both make a member when the client begins, carry out its commands through
a L{CommandInterpreter}, and take the member out when it goes; they differ
only in how a line becomes a command (L{CommandConnection.decode}), how a
line too long is answered, what the client hears first
(L{CommandConnection.greet}), and how events are written (the front end's
C{post}).
"""

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.commands import Command
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import Ping
from twisted_chat.chat.model import Member
from twisted_chat.connection.admission import Admission
from twisted_chat.frontends.commands.interpreter import CommandInterpreter
from twisted_chat.frontends.stream import StreamConnection, StreamFrontEnd
from twisted_chat.limits import (
    ARRIVAL_GRACE,
    DEFAULT_RULES,
    MAX_LINE_LENGTH,
    ConnectionRules,
)


class CommandConnection(StreamConnection):
    """
    One client connection speaking the slash-command language.

    @ivar member: the chat member this connection speaks for, from its
        beginning on (over TLS, once the handshake is done).
    @ivar interpreter: what carries out the member's commands.
    @cvar arriving: how the log says the client connected.
    """

    factory: "CommandFrontEnd"
    member: Member
    interpreter: CommandInterpreter
    arriving = "connected"

    # To be supplied by each front end

    def decode(self, line: bytes) -> Command | None:
        """
        The command C{line} asks for (L{None} for nothing to do).

        @raise ChatError: if it asks for nothing this language knows.
        """
        raise NotImplementedError

    def lineTooLong(self) -> None:
        """Answer a line longer than the limit (the framer dropped it)."""
        raise NotImplementedError

    def greet(self) -> None:
        """Say what the client hears before the interpreter's welcome."""

    # The member

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
            "{nick} {arriving} from {peer}",
            nick=self.member.nick,
            arriving=self.arriving,
            peer=self.peerHost,
        )
        self.guard.start(requireLogin=factory.requireLogin)
        self.greet()
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
            self.lineTooLong()
            return None
        try:
            command = self.decode(line)
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


class CommandFrontEnd(StreamFrontEnd):
    """
    Makes a L{CommandConnection} for each client of one chat.

    @ivar maxLineLength: the longest client line accepted, in bytes.
    @ivar arrivalGrace: seconds a new connection has to take its nick and
        name its rooms before it is put in the lobby.
    """

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
