"""
The bus's one message, a notice "room R has reached sequence S", as it goes
through Redis: a small versioned JSON object, so a node of a newer version
can still be read, or at least recognised and skipped.

    {"v": 1, "node": "a", "room": "#tea", "seq": 42, "payload": "<base64>"}

C{payload} is the event itself (the fast path) or C{null} when it was too
large: the receiver then reads the event from the database.  C{node} names
the publishing node, so a node ignores its own notices.  Nothing here is
trusted more than the database: a notice only says where to look.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Final

VERSION: Final = 1
"""The encoding written; a notice of another version is refused."""


class MalformedNotice(ValueError):
    """Bytes from Redis that are not a notice of this version."""


@dataclass(frozen=True)
class Notice:
    """
    A room reached C{sequence} on node C{node}.

    @ivar payload: the event as the core encoded it, or L{None} if the
        receiver must read it from the database.
    """

    node: str
    room: str
    sequence: int
    payload: bytes | None


def encodeNotice(notice: Notice) -> bytes:
    """The bytes published for C{notice}."""
    payload = (
        None
        if notice.payload is None
        else base64.b64encode(notice.payload).decode("ascii")
    )
    document = {
        "v": VERSION,
        "node": notice.node,
        "room": notice.room,
        "seq": notice.sequence,
        "payload": payload,
    }
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def decodeNotice(data: bytes | str) -> Notice:
    """
    The notice in C{data}.

    @raise MalformedNotice: if C{data} is not a notice of L{VERSION}.
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise MalformedNotice(f"not JSON: {e}") from None
    if not isinstance(document, dict):
        raise MalformedNotice("not a JSON object")
    if document.get("v") != VERSION:
        raise MalformedNotice(f"version {document.get('v')!r}, not {VERSION}")
    node, room = document.get("node"), document.get("room")
    sequence, payload = document.get("seq"), document.get("payload")
    if not isinstance(node, str) or not isinstance(room, str):
        raise MalformedNotice("node and room must be strings")
    if type(sequence) is not int or sequence < 1:
        raise MalformedNotice(f"sequence {sequence!r} is not a positive integer")
    if payload is None:
        return Notice(node, room, sequence, None)
    if not isinstance(payload, str):
        raise MalformedNotice("payload must be base64 text or null")
    try:
        decoded = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedNotice("payload is not base64") from None
    return Notice(node, room, sequence, decoded)
