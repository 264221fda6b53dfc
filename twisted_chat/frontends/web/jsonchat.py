"""
The JSON front end: the web page's language (docs/PROTOCOL.md, "The web
client's JSON", version 1.0), one JSON object per WebSocket message.

A client sends commands (L{twisted_chat.frontends.web.jsoncommands}) that
its member's L{CommandInterpreter} carries out, as the line protocol's
are: logging in, registering, keeping order and help work alike.  It
reads each core event as C{{"event": "RoomMessage", ...fields}}, encoded
once for all the connections it goes to, after a C{Hello} that names the
subprotocol's version; C{Missed} tells it which room messages it was not
sent while it did not read.  The kit (L{twisted_chat.frontends.stream})
does the rest; the WebSocket (L{twisted_chat.frontends.web.bridge}) makes
each message one line.
"""

import dataclasses
import json
from typing import Any, Final, cast

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import (
    AccountChanged,
    ErrorReply,
    Event,
    Goodbye,
    Ping,
    RoomMessage,
)
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.chat.participants import IParticipant
from twisted_chat.connection.admission import Admission
from twisted_chat.connection.backlog import RoomMark
from twisted_chat.connection.batching import Queued
from twisted_chat.frontends.commands.interpreter import CommandInterpreter
from twisted_chat.frontends.stream import StreamConnection, StreamFrontEnd
from twisted_chat.frontends.web.jsoncommands import (
    BadRequest,
    Typed,
    decodeCommand,
    inRoom,
)
from twisted_chat.limits import (
    ARRIVAL_GRACE,
    DEFAULT_RULES,
    MAX_LINE_LENGTH,
    ConnectionRules,
)
from twisted_chat.wire.line import parseCommand

PROTOCOL_VERSION: Final = "1.0"
"""The JSON subprotocol's version, told in C{Hello}."""

BAD_REQUEST: Final = "bad-request"
TOO_LONG: Final = "too-long"


def encode(name: str, fields: dict[str, Any]) -> bytes:
    """One message to a client, as the line the WebSocket bridge sends."""
    text = json.dumps({"event": name, **fields}, ensure_ascii=False)
    return text.encode("utf-8") + b"\r\n"


def encodeEvent(event: Event) -> bytes:
    """
    C{event} as C{{"event": ClassName, ...fields}}: tuples as lists, and
    without the sender's C{account} that only IRC shows (the line
    protocol does not either), except where the account is the news.
    """
    fields = {
        field.name: getattr(event, field.name) for field in dataclasses.fields(event)
    }
    if not isinstance(event, AccountChanged):
        fields.pop("account", None)
    return encode(type(event).__name__, fields)


def roomMarkOf(event: Event) -> RoomMark | None:
    """A room message is one a client behind may be left without."""
    if isinstance(event, RoomMessage):
        return (fold(event.room), event.room, event.sequence)
    return None


class JSONChatConnection(StreamConnection):
    """
    One client speaking the JSON subprotocol.

    @ivar member: the chat member it speaks for, from its beginning on.
    @ivar interpreter: what carries out the member's commands.
    """

    factory: "JSONChatFrontEnd"
    member: Member
    interpreter: CommandInterpreter

    def begin(self) -> None:
        """Make the member, say hello and greet it."""
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
            "{nick} connected over the web from {peer}",
            nick=self.member.nick,
            peer=self.peerHost,
        )
        self.guard.start(requireLogin=factory.requireLogin)
        factory.batcher.queue(factory.hello, [self])
        self.interpreter.start()

    def lost(self, cleanly: bool) -> None:
        member = getattr(self, "member", None)
        if member is None:
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
        return hasattr(self, "member") and self.member.present

    @property
    def loggedIn(self) -> bool:
        return self.member.account is not None

    def carryOut(self, line: bytes | None) -> Deferred[None] | None:
        """
        Carry out one message; a malformed one is answered with
        C{bad-request}, a bug drops this connection only.
        """
        if line is None:
            limit = self.factory.maxLineLength
            self.refuse(TOO_LONG, f"Messages are limited to {limit} bytes.")
            return None
        try:
            command = self.decode(line)
            return self.interpreter.execute(command) if command else None
        except BadRequest as error:
            self.refuse(BAD_REQUEST, f"Bad request: {error}.")
        except ChatError as error:
            self.interpreter.reportError(error)
        except Exception:
            self.log.failure(
                "Unexpected error handling a message from {nick}",
                nick=self.member.nick,
            )
            self.factory.chat.quit(self.member, "Internal server error", "error")
        return None

    def decode(self, line: bytes) -> Any:
        """The command C{line} asks for (L{None} for a blank typed line)."""
        if b"\r" in line or b"\n" in line or b"\0" in line:
            raise BadRequest("a message may not hold CR, LF or NUL")
        try:
            message = json.loads(line)
        except (UnicodeDecodeError, ValueError):
            raise BadRequest("a message is one JSON object, in UTF-8") from None
        except RecursionError:
            raise BadRequest("a message's JSON is nested too deeply") from None
        command = decodeCommand(message)
        if isinstance(command, Typed):
            typed = parseCommand(command.line.encode("utf-8"))
            return None if typed is None else inRoom(typed, command.room)
        return command

    def refuse(self, code: str, text: str) -> None:
        """Answer a message that could not be carried out."""
        self.deliver(ErrorReply(code, text))

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
        return encode("Missed", {"room": room, "first": first, "last": last})


class JSONChatFrontEnd(StreamFrontEnd):
    """
    Makes a L{JSONChatConnection} for each web client of one chat, and is
    their outbox: an event for many of them is encoded once and the same
    bytes queued for each, as the line protocol's are.

    @ivar serverName: the server's name, told in C{Hello}.
    @ivar hello: the first message every client is sent.
    """

    connectionClass = JSONChatConnection

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
        serverName: str = "twisted-chat",
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
        self.serverName = serverName
        self.hello = encode(
            "Hello",
            {
                "protocol": PROTOCOL_VERSION,
                "server": serverName,
                "requireLogin": bool(requireLogin),
            },
        )

    def refusal(self, why: str) -> bytes:
        return encodeEvent(Goodbye("refused", why))

    def post(
        self,
        event: Event,
        participants: list[IParticipant],
        sender: IParticipant | None = None,
    ) -> None:
        """
        Encode C{event} once and queue the same bytes for each connection,
        with its room mark, made once, for the send queue of one that is
        not reading.
        """
        self.batcher.queue(
            encodeEvent(event), cast(list[Queued], participants), roomMarkOf(event)
        )
