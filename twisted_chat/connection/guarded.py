"""
What a L{twisted_chat.connection.guard.ConnectionGuard} needs of the
protocol adapter it guards: the one side of the guard that a front end
supplies.
"""

from typing import Protocol

from twisted.internet.defer import Deferred


class Guarded(Protocol):
    """What a guard needs of the protocol adapter it guards."""

    @property
    def name(self) -> str:
        """How the client is named in the log."""

    @property
    def present(self) -> bool:
        """Whether the client is still in the chat."""

    @property
    def loggedIn(self) -> bool:
        """Whether the client has logged in to an account."""

    def carryOut(self, line: bytes | None) -> Deferred[None] | None:
        """
        Carry out one line (L{None}: one that was too long); return a
        Deferred if the lines after it must wait for it.
        """

    def ping(self, token: str) -> None:
        """Ask a silent client whether it is there."""

    def tell(self, text: str) -> None:
        """Tell the client something from the server."""

    def drop(self, reason: str, kind: str) -> None:
        """Take the client out of the chat (the guard then closes it)."""

    def write(self, data: bytes) -> None:
        """Write to the client now."""

    def gapNotice(self, room: str, first: int, last: int) -> bytes:
        """
        The bytes that tell the client it was not sent messages C{first} to
        C{last} of C{room} while it was not reading (see
        L{twisted_chat.connection.backlog.GapNotice}).
        """
