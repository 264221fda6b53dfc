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

from twisted.internet.interfaces import IReactorTime

from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.commands import Command
from twisted_chat.chat.core import Chat
from twisted_chat.chat.events import (
    AccountChanged,
    ErrorReply,
    Event,
    Goodbye,
)
from twisted_chat.chat.participants import IParticipant
from twisted_chat.connection.admission import Admission
from twisted_chat.connection.batching import Queued
from twisted_chat.frontends.commands.connection import (
    CommandConnection,
    CommandFrontEnd,
)
from twisted_chat.frontends.stream import roomMarkOf
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


class JSONChatConnection(CommandConnection):
    """
    One client speaking the JSON subprotocol.

    @ivar member: the chat member it speaks for, from its beginning on.
    @ivar interpreter: what carries out the member's commands.
    """

    factory: "JSONChatFrontEnd"
    arriving = "connected over the web"

    def greet(self) -> None:
        """Say which subprotocol's version the server speaks."""
        self.factory.batcher.queue(self.factory.hello, [self])

    def lineTooLong(self) -> None:
        limit = self.factory.maxLineLength
        self.refuse(TOO_LONG, f"Messages are limited to {limit} bytes.")

    def decode(self, line: bytes) -> Command | None:
        """
        The command C{line} asks for (L{None} for a blank typed line, or a
        malformed message, which is answered with C{bad-request}).
        """
        try:
            return self.decodeJSON(line)
        except BadRequest as error:
            self.refuse(BAD_REQUEST, f"Bad request: {error}.")
            return None

    def decodeJSON(self, line: bytes) -> Command | None:
        """
        The command C{line} asks for (L{None} for a blank typed line).

        @raise BadRequest: if it is not one.
        """
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

    def gapNotice(self, room: str, first: int, last: int) -> bytes:
        return encode("Missed", {"room": room, "first": first, "last": last})


class JSONChatFrontEnd(CommandFrontEnd):
    """
    Makes a L{JSONChatConnection} for each web client of one chat, and is
    their outbox: an event for many of them is encoded once and the same
    bytes queued for each, as the line protocol's are.

    @ivar serverName: the server's name, told in C{Hello}.
    @ivar hello: the first message every client is sent.
    """

    kind = "web"

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
            maxLineLength=maxLineLength,
            requireLogin=requireLogin,
            arrivalGrace=arrivalGrace,
        )
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
