"""
IRCv3 C{msgid}s: what each message is called, the same live and from
history, and the point in its conversation a C{msgid} names when a client
gives one back (C{CHATHISTORY}).

A room message is called by its room and its number there (C{#room/12}).
A private message is called by its time and a digest of who said what to
whom (C{p<time>-<digest>}): the store keeps it without a number, and its
time is enough to find its place again.  What is neither stored nor
numbered (a notice, a tag message) gets a digest alone.
"""

import hashlib

from twisted_chat.chat.archive import Mark
from twisted_chat.chat.names import fold, isRoomName


def roomMsgid(room: str, sequence: int) -> str:
    """
    The C{msgid} of a room's message: its room and its number there, the
    same whenever it is sent, live or from history.
    """
    return f"{fold(room)}/{sequence}"


def msgidOf(*said: object) -> str:
    """
    The C{msgid} of what is not numbered (a notice, a tag message): a digest
    of who said what to whom and when.
    """
    digest = hashlib.blake2b(repr(said).encode(), digest_size=12).hexdigest()
    return f"p{digest}"


def privateMsgid(sender: str, recipient: str, time: int, text: str) -> str:
    """
    The C{msgid} of a private message: its time, then a digest, so that the
    same stored message has the same one each time and its time can be
    read back from it.
    """
    return f"p{time}-{msgidOf(sender, recipient, time, text)[1:]}"


def markOf(target: str, msgid: str) -> Mark | None:
    """
    The point in C{target}'s history that C{msgid} names: a message of that
    room, or a private message (by its time); L{None} if it names no
    message of C{target}'s kind.
    """
    if isRoomName(target):
        room, _, number = msgid.rpartition("/")
        if room != fold(target) or not (number.isascii() and number.isdigit()):
            return None
        return Mark(sequence=int(number))
    time, dash, _ = msgid[1:].partition("-")
    if not msgid.startswith("p") or not dash or not (time.isascii() and time.isdigit()):
        return None
    return Mark(time=int(time))
