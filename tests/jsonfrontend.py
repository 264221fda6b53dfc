"""
A front end that lives in the tests: JSON lines over a stream.

It is here to prove the front-end kit: one small module that imports the
core, the connection kit and nothing of any other front end, and gets TLS,
framing, flood control, the send queue with its gaps, admission and the
graceful stop from L{twisted_chat.frontends.stream}.

A client sends one JSON object per line, C{{"do": "join", "room": "#dev"}},
C{{"do": "say", "room": "#dev", "text": "hi"}}, C{{"do": "nick", "nick":
"ann"}} or C{{"do": "quit"}}; it reads one object per event, C{{"event":
"RoomMessage", ...}} with the event's fields, and C{{"event": "Gap", ...}}
for room messages left out while it was not reading.
"""

import dataclasses
import json
from typing import Any, cast

from twisted.internet.defer import Deferred

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import ErrorReply, Event, Notice, Ping
from twisted_chat.chat.model import Member
from twisted_chat.chat.participants import IParticipant
from twisted_chat.connection.batching import Queued
from twisted_chat.frontends.stream import (
    StreamConnection,
    StreamFrontEnd,
    roomMarkOf,
)


def encode(event: str, fields: dict[str, Any]) -> bytes:
    return json.dumps({"event": event, **fields}).encode() + b"\r\n"


def encodeEvent(event: Event) -> bytes:
    return encode(type(event).__name__, dataclasses.asdict(event))


class JSONConnection(StreamConnection):
    """One client speaking JSON lines."""

    factory: "JSONFrontEnd"
    member: Member

    def begin(self) -> None:
        self.member = self.factory.chat.connect(self, address=self.peerHost)
        self.guard.start(requireLogin=False)
        self.deliver(Notice(f"You are {self.member.nick}."))

    def lost(self, cleanly: bool) -> None:
        if hasattr(self, "member"):
            self.factory.chat.quit(self.member, "Connection closed")

    @property
    def name(self) -> str:
        return self.member.nick

    @property
    def present(self) -> bool:
        return self.member.present

    @property
    def loggedIn(self) -> bool:
        return True

    def carryOut(self, line: bytes | None) -> Deferred[None] | None:
        chat, member = self.factory.chat, self.member
        try:
            if line is None:
                raise ValueError("line too long")
            asked = json.loads(line)
            match asked.get("do"):
                case "join":
                    chat.join(member, asked["room"])
                case "say":
                    chat.say(member, asked["room"], asked["text"])
                case "nick":
                    chat.changeNick(member, asked["nick"])
                case "quit":
                    chat.quit(member, "Leaving")
                case other:
                    raise ValueError(f"unknown: {other!r}")
        except ChatError as error:
            self.deliver(ErrorReply(error.code, error.message))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            self.deliver(ErrorReply("bad-request", str(error)))
        return None

    def ping(self, token: str) -> None:
        self.deliver(Ping(token))

    def tell(self, text: str) -> None:
        self.deliver(Notice(text))

    def drop(self, reason: str, kind: str) -> None:
        self.factory.chat.quit(self.member, reason, kind)

    def gapNotice(self, room: str, first: int, last: int) -> bytes:
        return encode("Gap", {"room": room, "first": first, "last": last})


class JSONFrontEnd(StreamFrontEnd):
    """Makes L{JSONConnection}s and writes events to them as JSON."""

    connectionClass = JSONConnection
    maxLineLength = 4096

    def refusal(self, why: str) -> bytes:
        return encode("Refused", {"reason": why})

    def post(
        self,
        event: Event,
        participants: list[IParticipant],
        sender: IParticipant | None = None,
    ) -> None:
        self.batcher.queue(
            encodeEvent(event), cast(list[Queued], participants), roomMarkOf(event)
        )
