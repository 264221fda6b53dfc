"""
What a node announces of its own members on the bus's cluster channel, as
versioned JSON: one object per announcement, naming the node and the kind.

    {"v": 1, "node": "a", "kind": "join", "id": 7, "room": "#tea", "rank": 0}

A member is named by the id its node gave it (stable across renames), so a
rename never leaves the other nodes unsure who is meant.  The kinds:

  - C{member}: all of one member (C{id}, C{nick}, C{account}, C{claimed},
    the time it took its nick, and C{rooms}, room to rank);
  - C{rename}, C{quit}, C{join}, C{part}: one change of one member;
  - C{deliver}, C{disconnect}: for the node C{to}: an event for its member
    C{id} alone (a private message, a notice, a kick), or close it;
  - C{registered}: a nick got an account;
  - C{room}: an event of a room (its topic, settings, bans, ranks, or a
    notice said in it), for the nodes with members there, or a server
    operator's announcement to everyone; C{roomask} (C{to}
    one node): the whole state of C{room}, please; C{roomstate}: here it is
    (C{topic}, C{modes}, C{bans});
  - C{hello} (optionally C{to} one node): tell me all of yours; C{burst}:
    all of mine (C{members}, each as C{member} has it, and the nicks
    C{registered} here since this node started); C{beat}: still
    here; C{bye}: this node is stopping.

The events carried (L{encodeEvent}) are flat ones from a fixed list.  A
malformed announcement is refused whole (L{MalformedAnnouncement}).
"""

import json
from dataclasses import astuple
from typing import Any, Final

from twisted_chat.chat.events import (
    Event,
    Notice,
    Parted,
    PrivateMessage,
    StatusMessage,
    TagMessage,
    TopicChanged,
    UserNotice,
)
from twisted_chat.chat.modes import Ban
from twisted_chat.chat.orderevents import (
    Announcement,
    BanChanged,
    Invited,
    Kicked,
    ModesChanged,
    RankChanged,
)
from twisted_chat.chat.roomsync import RoomState

VERSION: Final = 1

CARRIED: Final[dict[str, type[Event]]] = {
    cls.__name__: cls
    for cls in (
        Notice,
        Announcement,
        Invited,
        Parted,
        Kicked,
        PrivateMessage,
        UserNotice,
        TopicChanged,
        ModesChanged,
        BanChanged,
        RankChanged,
        TagMessage,
        StatusMessage,
    )
}
"""The events an announcement may carry, by name."""

_NONE = type(None)
_MEMBER: Final = {
    "id": (int,),
    "nick": (str,),
    "account": (str, _NONE),
    "claimed": (int,),
    "rooms": (dict,),
}
FIELDS: Final[dict[str, dict[str, tuple[type, ...]]]] = {
    "member": _MEMBER,
    "rename": {
        "id": (int,),
        "nick": (str,),
        "account": (str, _NONE),
        "claimed": (int,),
    },
    "quit": {"id": (int,), "reason": (str,)},
    "join": {"id": (int,), "room": (str,), "rank": (int,)},
    "part": {"id": (int,), "room": (str,), "event": (list,)},
    "deliver": {"to": (str,), "id": (int,), "event": (list,), "operator": (bool,)},
    "disconnect": {"to": (str,), "id": (int,), "goodbye": (str,), "reason": (str,)},
    "registered": {"nick": (str,)},
    "room": {"event": (list,)},
    "roomask": {"to": (str,), "room": (str,)},
    "roomstate": {
        "room": (str,),
        "topic": (list, _NONE),
        "modes": (str,),
        "bans": (list,),
        "changed": (int,),
    },
    "hello": {"to": (str, _NONE)},
    "burst": {"members": (list,), "registered": (list,), "rooms": (list,)},
    "beat": {},
    "bye": {},
}
"""Each kind's fields and the types each may have."""


class MalformedAnnouncement(ValueError):
    """Bytes on the cluster channel that are not an announcement."""


def encode(node: str, kind: str, **fields: Any) -> bytes:
    """The bytes of one announcement."""
    document = {"v": VERSION, "node": node, "kind": kind, **fields}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def decode(data: bytes | str) -> dict[str, Any]:
    """
    The announcement in C{data}, its fields checked.

    @raise MalformedAnnouncement: if it is not one of L{VERSION}.
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise MalformedAnnouncement(f"not JSON: {e}") from None
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise MalformedAnnouncement("not an announcement of this version")
    kind = document.get("kind")
    if not isinstance(document.get("node"), str) or kind not in FIELDS:
        raise MalformedAnnouncement(f"no node, or an unknown kind {kind!r}")
    _check(document, FIELDS[kind])
    for record in document.get("members", ()):
        if not isinstance(record, dict):
            raise MalformedAnnouncement("a burst's member is not an object")
        _check(record, _MEMBER)
    memberRooms = [r.get("rooms") for r in document.get("members", ())]
    if kind == "member":
        memberRooms.append(document["rooms"])
    for rooms in memberRooms:
        if rooms is not None and not all(
            isinstance(room, str) and type(rank) is int for room, rank in rooms.items()
        ):
            raise MalformedAnnouncement("rooms must map names to ranks")
    return document


def _check(document: dict[str, Any], fields: dict[str, tuple[type, ...]]) -> None:
    for name, types in fields.items():
        value = document.get(name)
        if type(value) not in types:
            raise MalformedAnnouncement(f"{name} is {value!r}")


def roomState(said: dict[str, Any]) -> RoomState:
    """
    The room state a C{roomstate} announcement carries.

    @raise MalformedAnnouncement: if its topic or bans are not ones.
    """
    for name, types in FIELDS["roomstate"].items():
        if type(said.get(name)) not in types:
            raise MalformedAnnouncement(f"a room state's {name} is {said.get(name)!r}")
    topic = said["topic"]
    if topic is not None and [type(v) for v in topic] != [str, int, str]:
        raise MalformedAnnouncement("a topic is nick, time and text")
    bans = []
    for ban in said["bans"]:
        if not isinstance(ban, list) or [type(v) for v in ban[:4]] != [
            str,
            str,
            str,
            int,
        ]:
            raise MalformedAnnouncement("a ban is mask, kind, by, time, ...")
        try:
            bans.append(Ban(*ban))
        except TypeError:
            raise MalformedAnnouncement("a ban with the wrong fields") from None
    return RoomState(
        said["room"],
        None if topic is None else tuple(topic),
        said["modes"],
        tuple(bans),
        said["changed"],
    )


def encodeEvent(event: Event) -> list[Any]:
    """One of the L{CARRIED} events, as a list: its name, then its fields."""
    return [type(event).__name__, *astuple(event)]


def decodeEvent(encoded: list[Any]) -> Event:
    """
    The event L{encodeEvent} made.

    @raise MalformedAnnouncement: if it is not one of L{CARRIED}.
    """
    if not encoded or encoded[0] not in CARRIED:
        raise MalformedAnnouncement("not an event an announcement carries")
    values = encoded[1:]
    if not all(type(value) in (str, int, bool, _NONE) for value in values):
        raise MalformedAnnouncement("an event's fields are plain values")
    try:
        return CARRIED[encoded[0]](*values)
    except TypeError:
        raise MalformedAnnouncement("an event with the wrong fields") from None
