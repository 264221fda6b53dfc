"""
The errors a participant can cause, each with a stable machine-readable code.

A L{ChatError} is a user mistake: the adapter turns it into one C{ERROR code
:sentence} line and the connection stays.  Anything else that escapes is a bug,
logged with its traceback, and drops only the connection it happened on.  The
codes are part of the wire protocol (docs/PROTOCOL.md lists each one), so a
code, once shipped, never changes meaning.
"""

from typing import ClassVar


class ChatError(Exception):
    """
    A request that cannot be carried out, explained for a person.

    @cvar code: the stable code sent on the wire.
    @ivar message: one sentence for the person who made the mistake.
    """

    code: ClassVar[str] = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LineTooLong(ChatError):
    code = "line-too-long"


class InvalidEncoding(ChatError):
    code = "invalid-utf8"


class ForbiddenCharacter(ChatError):
    code = "control-character"


class UnknownCommand(ChatError):
    code = "unknown-command"


class BadArguments(ChatError):
    code = "bad-arguments"


class InvalidNick(ChatError):
    code = "bad-nick"


class ReservedNick(ChatError):
    code = "reserved-nick"


class NickInUse(ChatError):
    code = "nick-in-use"


class InvalidRoomName(ChatError):
    code = "bad-room"


class NoSuchNick(ChatError):
    code = "no-such-nick"


class NoSuchRoom(ChatError):
    code = "no-such-room"


class NotInRoom(ChatError):
    code = "not-in-room"


class NoCurrentRoom(ChatError):
    code = "no-current-room"


class TopicTooLong(ChatError):
    code = "topic-too-long"


class NotPermitted(ChatError):
    code = "not-permitted"


class StoreFailed(ChatError):
    code = "store-failed"


class NickRegistered(ChatError):
    code = "nick-registered"


class AlreadyRegistered(ChatError):
    code = "already-registered"


class BadPassword(ChatError):
    code = "bad-password"


class LoginFailed(ChatError):
    code = "login-failed"


class LoginThrottled(ChatError):
    code = "login-throttled"


class TooManyRooms(ChatError):
    code = "too-many-rooms"


class TooManyWaiting(ChatError):
    code = "too-many-waiting"


class LoginRequired(ChatError):
    code = "login-required"


class NotLoggedIn(ChatError):
    code = "not-logged-in"


class NotOperator(ChatError):
    """The action needs a higher rank in the room than the member holds."""

    code = "not-operator"


class NotFounder(ChatError):
    code = "not-founder"


class AlreadyClaimed(ChatError):
    code = "already-claimed"


class Banned(ChatError):
    code = "banned"


class NickBanned(Banned):
    """
    A nick a member may not take: a room it is in bans it (IRC's 435).

    @ivar room: that room.
    """

    def __init__(self, message: str, room: str) -> None:
        super().__init__(message)
        self.room = room


class InviteOnly(ChatError):
    code = "invite-only"


class BadKey(ChatError):
    code = "bad-key"


class RoomFull(ChatError):
    code = "room-full"


class RegisteredOnly(ChatError):
    code = "registered-only"


class Muted(ChatError):
    code = "muted"


class Moderated(ChatError):
    code = "moderated"


class UnknownMode(ChatError):
    code = "unknown-mode"


class BadMask(ChatError):
    code = "bad-mask"


class ListFull(ChatError):
    code = "list-full"


class NotServerOperator(ChatError):
    code = "not-server-operator"


class AccountSuspended(ChatError):
    code = "suspended"


class NoSuchAccount(ChatError):
    code = "no-such-account"


class AlreadyInRoom(ChatError):
    code = "already-in-room"


class NoCertificate(ChatError):
    """
    The connection presents no client certificate (it is not TLS, or the
    client sent none), or the account registered none by that fingerprint.
    """

    code = "no-certificate"


class CertificateInUse(ChatError):
    """The certificate is registered already, by this account or another."""

    code = "certificate-in-use"


class TooManyCertificates(ChatError):
    code = "too-many-certificates"


def allErrorCodes() -> list[str]:
    """
    Every code a server may send, for documentation checks and clients.
    """
    return sorted(cls.code for cls in ChatError.__subclasses__())
