"""
Who a client session logs in as: the nick and password each connection's
greeting names, and the login in flight.

With a password, a connection's greeting is a C{/login}, and the rooms wait
until the server accepts it, so a refused login never joins a room as a
guest; without one, it is a C{/nick} (none for a guest's nick the server
gave out).  A refused login may be tried again with another password,
L{LOGIN_TRIES} times in all; the session asks the person for it.
"""

import re
from typing import Final

from twisted_chat.chat.commands import ChangePassword, Command, Login, Register
from twisted_chat.chat.names import GUEST_PREFIX, fold

RECLAIM_DELAY: Final = 8.0
"""
Seconds before asking again for one's nick, refused as taken on a new
connection: a server of a cluster that went away holds its members' nicks
on the others for a few seconds (docs/SCALING.md).
"""

RECLAIM_TRIES: Final = 3
"""How many times a nick taken on a new connection is asked for again."""

LOGIN_TRIES: Final = 3
"""Passwords a person may type for one login before the client gives up."""

LOGIN_REFUSALS: Final = frozenset({"login-failed", "login-throttled"})
"""The error codes that answer a login the server did not accept."""

NICK_REFUSALS: Final = frozenset(
    {"nick-in-use", "nick-registered", "bad-nick", "reserved-nick"}
)
"""The error codes that answer a nick the server did not give."""

_GUEST_NICK: Final = re.compile(rf"{GUEST_PREFIX}[0-9]+", re.ASCII | re.IGNORECASE)


def isGuestNick(nick: str) -> bool:
    """Whether C{nick} is one the server gives guests."""
    return _GUEST_NICK.fullmatch(nick) is not None


class LoginState:
    """
    The person's nick and password across connections, and whether a login
    is waiting for the server's answer.

    @ivar nick: the nick asked for at first, then the one a typed C{/login}
        named, then the account's once a login is accepted.
    @ivar password: the password to log in with, or L{None} for a guest.
    @ivar pending: whether a login was sent and not yet answered.
    @ivar nickPending: whether the first connection's C{/nick} (the
        person's C{--nick}) was sent and not yet answered: if it is refused
        the session ends rather than going on as a guest.
    """

    def __init__(self, nick: str | None, password: str | None) -> None:
        self.nick = nick
        self.password = password
        self.pending = False
        self.nickPending = False
        self._refusals = 0
        self._afterLogin: list[str] = []
        self._reclaiming: str | None = None
        self._reclaims = 0

    def typed(self, command: Command) -> None:
        """Note a command the person typed that names a nick or password."""
        match command:
            case Login(nick, password):
                self.nick, self.password = nick, password
            case Register(password):
                self.password = password
            case ChangePassword(_, new):
                self.password = new

    def greeting(
        self, nick: str | None, rooms: list[str], *, first: bool = False
    ) -> list[str]:
        """
        The first lines of a connection: the nick (or the login), then
        C{rooms}, the lines that join the rooms; after a login, the rooms
        wait for L{accepted}.

        @param nick: the nick the person had, if a connection was greeted
            before; else L{nick}.
        @param first: whether this is the session's first connection.
        """
        if self.password is not None and self.nick:
            nick = self.nick
        lines = []
        self.pending = self.password is not None and bool(nick)
        if self.pending:
            lines.append(f"/login {nick} {self.password}")
        elif nick and not _GUEST_NICK.fullmatch(nick):
            lines.append(f"/nick {nick}")
            self.nickPending = first
            if not first:
                self._reclaiming = nick
        if self.pending:
            self._afterLogin = rooms
        else:
            self._afterLogin = []
            lines.extend(rooms)
        return lines

    def accepted(self, nick: str) -> list[str]:
        """
        The server accepted a login as C{nick}: return the lines that were
        waiting for it.
        """
        self.nick = nick
        self.pending = False
        self._refusals = 0
        waiting, self._afterLogin = self._afterLogin, []
        return waiting

    def nickGiven(self, nick: str) -> None:
        """The server gave someone C{nick}: if it is the one asked for, done."""
        if self.nickPending and fold(nick) == fold(self.nick or ""):
            self.nickPending = False
        if self._reclaiming is not None and fold(nick) == fold(self._reclaiming):
            self._reclaiming, self._reclaims = None, 0

    def reclaims(self, code: str) -> str | None:
        """
        The nick to ask for again in L{RECLAIM_DELAY} seconds, if an error
        with C{code} refused it as taken on a new connection (at most
        L{RECLAIM_TRIES} times); else L{None}.
        """
        nick = self._reclaiming
        if nick is None or code != "nick-in-use" or self._reclaims >= RECLAIM_TRIES:
            return None
        self._reclaims += 1
        return nick

    def refusesNick(self, code: str) -> bool:
        """Whether an error with C{code} refuses the first connection's nick."""
        if self.nickPending and code in NICK_REFUSALS:
            self.nickPending = False
            return True
        return False

    def refuses(self, code: str) -> bool:
        """Whether an error with C{code} answers the login in flight."""
        return self.pending and code in LOGIN_REFUSALS

    def refused(self, code: str) -> bool:
        """
        The login in flight was refused with C{code}: return whether it may
        be tried again with another password.
        """
        self.pending = False
        self._refusals += 1
        return code == "login-failed" and self._refusals < LOGIN_TRIES

    def retry(self, password: str) -> str:
        """Return the line that logs in again with C{password}, now in flight."""
        self.pending = True
        return f"/login {self.nick} {password}"
