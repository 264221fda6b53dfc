"""
The terminal client's session: what outlives a connection.

A L{ClientSession} remembers who the person is (nick, and the password if
they logged in), which rooms they are in and the last sequence number they
saw in each, and whether they asked to leave.  Each new connection (the
first, or one C{ClientService} makes after an outage) asks it what to send:
on a reconnection that is a login, then C{/resume #room SEQ} for every room,
so the server replays exactly what was missed.  It decides what to show: a
replayed message already seen is not shown twice.  And it decides when the
session is over: when the person quit, or the server removed them.  It
also carries out C{/more}, the one command of the client's own: the page
of a room's history before the oldest message it has shown there.

A connection counts once the server's C{WELCOME} has come.  What goes wrong
before that is no outage but a failed attempt: a refused TLS handshake, or
a peer that answers with something other than the line protocol, ends the
session with a L{ConnectFailure}, since trying again would only fail again;
so does the first connection closing, or staying silent, before a welcome.
A reconnection attempt that is closed or silent is tried again.

A login the server refuses is no reason to go on as a guest: the session
asks for the password again where it can (L{ClientSession.askPassword}, the
line editor on a terminal), L{LOGIN_TRIES} times in all, and otherwise ends
with L{LoginRefused}.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from twisted_chat.chat.commands import (
    ChangePassword,
    History,
    Login,
    QuitCommand,
    Register,
)
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import (
    AccountInfo,
    CurrentRoom,
    ErrorReply,
    Event,
    Goodbye,
    HistoryEnd,
    HistoryGap,
    Joined,
    MemberList,
    NickChanged,
    Parted,
    Ping,
    RoomMessage,
    TopicInfo,
    Welcome,
)
from twisted_chat.chat.names import GUEST_PREFIX, fold, isRoomName
from twisted_chat.limits import (
    HISTORY_PAGE_DEFAULT,
    HISTORY_PAGE_MAX,
    LOBBY,
    MAX_LINE_LENGTH,
)
from twisted_chat.terminal.view import TerminalView
from twisted_chat.wire import line as wire

FINAL_GOODBYES: Final = frozenset({"quit", "kicked", "replaced", "refused", "flood"})
"""Goodbyes after which the client does not reconnect."""

MORE_USAGE: Final = "usage: /more [#room] [N]: the N messages before the oldest shown"
"""Said when C{/more} is typed with arguments it does not take."""

LOGIN_TRIES: Final = 3
"""Passwords a person may type for one login before the client gives up."""

LOGIN_REFUSALS: Final = frozenset({"login-failed", "login-throttled"})
"""The error codes that answer a login the server did not accept."""

NICK_REFUSALS: Final = frozenset(
    {"nick-in-use", "nick-registered", "bad-nick", "reserved-nick"}
)
"""The error codes that answer a nick the server did not give."""

_GUEST_NICK: Final = re.compile(rf"{GUEST_PREFIX}[0-9]+", re.ASCII | re.IGNORECASE)


class ConnectFailure(Exception):
    """
    The server cannot be talked to, and trying again would not change that:
    the person has to fix the address, the port or whom they trust.
    """


class NotSecure(ConnectFailure):
    """
    The TLS handshake failed: the certificate was refused (its authority,
    its host name, a pin) or the server refused ours.

    @ivar what: what was refused, in a few words.
    """

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class NotChat(ConnectFailure):
    """
    Before any welcome the server sent something that is not the line
    protocol: it is some other service, or speaks TLS to a plain client.

    @ivar sample: the first line it sent, or L{None} if that was too long.
    """

    def __init__(self, sample: bytes | None) -> None:
        super().__init__(sample)
        self.sample = sample


class NoWelcome(ConnectFailure):
    """
    The first connection was made, but the server did not greet it in time:
    a TLS port, or some other service, waiting for the client to speak first.

    @ivar seconds: how long the client waited.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class ClosedUnwelcomed(ConnectFailure):
    """
    The server closed the first connection before greeting it.

    @ivar reason: why the connection ended, as the transport said.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Refused(ConnectFailure):
    """
    The server refused the connection instead of greeting it (too many
    connections, from everyone or from this address).

    @ivar reason: what the server said.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NickRefused(ConnectFailure):
    """
    The server would not give the first connection the nick asked for
    (C{--nick}): someone has it, or it is registered.

    @ivar nick: the nick asked for.
    @ivar text: what the server said.
    """

    def __init__(self, nick: str, text: str) -> None:
        super().__init__(nick, text)
        self.nick = nick
        self.text = text


class LoginRefused(ConnectFailure):
    """
    The server refused the session's login (a wrong password, or too many
    tries), and there are no more tries to be had.

    @ivar nick: the nick the session tried to log in as.
    @ivar text: what the server said.
    """

    def __init__(self, nick: str, text: str) -> None:
        super().__init__(nick, text)
        self.nick = nick
        self.text = text


class Connection:
    """What the session needs of a connection (a ChatClientProtocol)."""

    def sendInput(self, text: str) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Drop the connection now, without waiting for anything to be sent."""
        raise NotImplementedError


@dataclass
class _CatchUp:
    """A reconnection in progress: when it began and what it brought back."""

    began: float
    lastRoom: str | None = None
    messages: int = 0
    rooms: set[str] = field(default_factory=set)


class ClientSession:
    """
    One person's chat session across connections.

    @ivar rooms: the rooms the person is in, by folded name: the room's name
        and the last sequence number seen there.
    @ivar welcomed: fires with C{True} at the server's first welcome, or with
        C{False} if the session ends before there is one.
    @ivar finished: fires when the session is over: the person quit, or the
        server removed them for good; fails with a L{ConnectFailure} if the
        server cannot be talked to.
    @ivar askPassword: asks the person for the password again after a
        refused login, given the prompt; L{None} where nobody can be asked
        (piped input, or a password from a file or the environment).
    """

    def __init__(
        self,
        view: TerminalView,
        clock: IReactorTime,
        *,
        welcomeTimeout: float,
        nick: str | None = None,
        rooms: Sequence[str] = (),
        password: str | None = None,
    ) -> None:
        """
        @param welcomeTimeout: seconds a server has to greet a new connection.
        @param rooms: the rooms to join at first; none means the server's
            lobby.
        """
        self.view = view
        self.clock = clock
        self._welcomeTimeout = welcomeTimeout
        self._wantedNick = nick
        self._wantedRooms = list(rooms)
        self._afterLogin: list[str] = []
        self._heldTyped: list[str] = []
        self._firstNick = False
        self._goodbyeReason = ""
        self._password = password
        self.rooms: dict[str, tuple[str, int]] = {}
        self._pages: dict[str, int] = {}
        self._oldest: dict[str, int] = {}
        self._more: set[str] = set()
        self._connection: Connection | None = None
        self._greeted = False
        self._everGreeted = False
        self._waitingForWelcome: IDelayedCall | None = None
        self._quitting = False
        self._goodbye: str | None = None
        self._catchUp: _CatchUp | None = None
        self.askPassword: Callable[[str], Deferred[str]] | None = None
        self._loginPending = False
        self._loginFailures = 0
        self.welcomed: Deferred[bool] = Deferred()
        self.finished: Deferred[None] = Deferred()

    # From the keyboard

    def lineTyped(self, text: str) -> bool:
        """
        Send a line the person typed, noting what it means for the session.

        @return: C{False} if the line is refused as longer than the server
            takes (L{MAX_LINE_LENGTH} bytes), so that a line editor can keep
            it for the person to shorten; C{True} otherwise.
        """
        size = len(text.encode("utf-8"))
        if size > MAX_LINE_LENGTH:
            # The server would discard it, and the text would be lost.
            self.view.showStatus(
                f"not sent: lines are limited to {MAX_LINE_LENGTH} bytes,"
                f" and that one is {size}"
            )
            return False
        if self._connection is None or not self._greeted:
            self.view.showStatus("not connected (reconnecting); that line was not sent")
            return True
        if self._loginPending:
            # Said as the person logging in, in the rooms named, or not at
            # all: never as a guest, if the login is refused.
            self._heldTyped.append(text)
            return True
        words = text.split()
        if words and words[0].lower() == "/more":
            self._pageBack(words[1:])
            return True
        self._note(text)
        self._connection.sendInput(text)
        return True

    def inputEnded(self) -> None:
        """The person has nothing more to say: leave."""
        self._quitting = True
        if self._connection is None:
            self._finish()
        elif self._loginPending and self._greeted:
            # After the lines held for the login, if it is accepted.
            self._heldTyped.append("/quit")
        else:
            self._connection.sendInput("/quit")

    def _note(self, text: str) -> None:
        try:
            command = wire.parseCommand(text.encode("utf-8"))
        except ChatError:
            return
        match command:
            case QuitCommand():
                self._quitting = True
            case Login(nick, password):
                self._wantedNick, self._password = nick, password
            case Register(password):
                self._password = password
            case ChangePassword(_, new):
                self._password = new
            case History(room, _, _):
                key = fold(room or self.view.currentRoom or "")
                self._pages[key] = self._pages.get(key, 0) + 1

    # From the connection

    def connected(self, connection: Connection) -> None:
        """
        A connection is made: ask for the nick and rooms the person had, and
        wait for the server's welcome.
        """
        self._connection = connection
        self._greeted = False
        self._goodbye = None
        self._waitingForWelcome = self.clock.callLater(
            self._welcomeTimeout, self._noWelcome
        )
        for line in self._greeting():
            connection.sendInput(line)

    def _greeting(self) -> list[str]:
        """
        The first lines of a connection: the nick (or the login), then the
        rooms.  The server puts a client in the lobby only if these name no
        room, and nobody sees it before it has its nick (see
        L{twisted_chat.frontends.line.arrival}).  After a login, the rooms wait until the
        server has accepted it, so a refused login never joins a room as a
        guest.
        """
        # The nick asked for at first; after that, the one the person had
        # (the account's, when logged in).
        nick = self.view.nick if self._everGreeted else self._wantedNick
        if self._password is not None and self._wantedNick:
            nick = self._wantedNick
        lines = []
        self._loginPending = self._password is not None and bool(nick)
        if self._loginPending:
            lines.append(f"/login {nick} {self._password}")
        elif nick and not _GUEST_NICK.fullmatch(nick):
            lines.append(f"/nick {nick}")
            # The first connection's nick is the person's choice: if it is
            # refused, the session ends rather than going on as a guest.
            self._firstNick = not self._everGreeted
        rooms = self._roomLines()
        if self._loginPending:
            self._afterLogin = rooms
        else:
            self._afterLogin = []
            lines.extend(rooms)
        return lines

    def _roomLines(self) -> list[str]:
        if not self._everGreeted:
            # The first named last, so that it is the current room; none
            # named: the server's lobby.
            return [f"/join {room}" for room in reversed(self._wantedRooms)]
        # A reconnection: resume every room, the current one last; a person
        # who had left every room stays out of the lobby too.
        current = fold(self.view.currentRoom or "")
        order = sorted(self.rooms, key=lambda folded: folded == current)
        lines = [
            f"/resume {self.rooms[folded][0]} {self.rooms[folded][1]}"
            for folded in order
        ]
        if not order:
            lines.append(f"/part {LOBBY}")
        if self._catchUp is not None:
            self._catchUp.lastRoom = order[-1] if order else None
            self._catchUp.rooms = set(order)
        return lines

    def eventReceived(self, event: Event) -> None:
        """
        Note what an event says about the session, and show it unless it is
        a replayed message already seen.
        """
        quiet = self._quietWhileCatchingUp(event)
        if isinstance(event, RoomMessage):
            folded = fold(event.room)
            self._oldest[folded] = min(
                event.sequence, self._oldest.get(folded, event.sequence)
            )
        match event:
            case Welcome():
                self._welcomeCame()
            case RoomMessage(room, sequence, history=True) if not self._pages.get(
                fold(room)
            ):
                if sequence <= self._lastSeen(room):
                    return
                self._saw(room, sequence)
                if self._catchUp is not None:
                    self._catchUp.messages += 1
            case RoomMessage(room, sequence):
                self._saw(room, sequence)
            case HistoryEnd(room, count, through, kind):
                self._replayEnded(room, through, kind)
                if kind == "page" and fold(room) in self._more:
                    self._more.discard(fold(room))
                    if not count:
                        # Nothing before it is kept: the next /more says so too.
                        self._oldest[fold(room)] = 1
                        self.view.showStatus(f"{room}: no earlier messages")
            case Joined(room, nick, _) if self._isMe(nick):
                self.rooms.setdefault(fold(room), (room, 0))
            case Parted(room, nick, _, _) if self._isMe(nick):
                self.rooms.pop(fold(room), None)
                self._oldest.pop(fold(room), None)
            case AccountInfo(nick, _):
                self._wantedNick = nick
                self._loginPending = False
                self._loginFailures = 0
                waiting, self._afterLogin = self._afterLogin, []
                for line in waiting:
                    self._send(line)
                held, self._heldTyped = self._heldTyped, []
                for text in held:
                    self.lineTyped(text)
                if self._catchUp is not None and not self._catchUp.rooms:
                    # Logged in again, with no room to resume: caught up.
                    self._reconnected()
            case NickChanged(_, new, _) if self._firstNick and fold(new) == fold(
                self._wantedNick or ""
            ):
                self._firstNick = False
            case ErrorReply(code, text) if self._firstNick and code in NICK_REFUSALS:
                self._firstNick = False
                self._fail(NickRefused(self._wantedNick or "", text))
                return
            case ErrorReply(code, text) if (
                self._loginPending and code in LOGIN_REFUSALS
            ):
                self._loginRefused(code, text)
                return
            case Goodbye(kind, reason):
                self._goodbye, self._goodbyeReason = kind, reason
                if not self._everGreeted:
                    # A refusal: the one line that ends the client says it.
                    return
            case Ping(token):
                self._send(f"/pong {token}")
                return
            case HistoryGap(room, first, last) if self._isLive(room):
                self._fillGap(room, first, last)
        if quiet:
            # Rejoining is the session's business; the person sees the summary.
            self.view.note(event)
        else:
            self.view.show(event)

    def _quietWhileCatchingUp(self, event: Event) -> bool:
        if self._catchUp is None:
            return False
        match event:
            case Joined(_, nick, _) | Parted(_, nick, _, _) | NickChanged(nick, _, _):
                return self._isMe(nick)
            case Welcome() | TopicInfo() | MemberList() | CurrentRoom() | HistoryEnd():
                return True
            case AccountInfo():
                return True
        return False

    def showUnparsed(self, line: bytes) -> None:
        """
        Show a line that is not the protocol; before a welcome, it means the
        server is not a chat server at all.
        """
        if not self._greeted:
            self._fail(NotChat(line))
        else:
            self.view.showUnparsed(line)

    def lineTooLong(self) -> None:
        """A server line went past the client's limit and was dropped."""
        if not self._greeted:
            self._fail(NotChat(None))
        else:
            self.view.showStatus("a line from the server was too long; dropped it")

    def disconnected(
        self, reason: str, unsent: int = 0, *, refused: str | None = None
    ) -> None:
        """
        The connection is gone, with C{unsent} typed lines still waiting to
        be sent: end the session, or wait for the next one.

        @param refused: what the TLS handshake refused, if that is why.
        """
        greeted = self._greeted
        self._connection = None
        self._greeted = False
        self._stopWaitingForWelcome()
        if self.finished.called:
            return
        if refused is not None and not greeted:
            self._fail(NotSecure(refused))
            return
        if self._goodbye == "refused" and not self._everGreeted:
            self._fail(Refused(self._goodbyeReason))
            return
        if self._quitting or self._goodbye in FINAL_GOODBYES:
            self._finish()
            return
        if not greeted:
            if not self._everGreeted and self._goodbye is None:
                self._fail(ClosedUnwelcomed(reason))
            # Otherwise a reconnection attempt came to nothing, or the
            # server said why (BYE shutdown): the next attempt follows.
            return
        if unsent:
            self.view.showStatus(
                f"{unsent} line{'s' * (unsent != 1)} you typed could not be sent"
            )
        self._catchUp = _CatchUp(self.clock.seconds())
        why = "the server is restarting" if self._goodbye == "shutdown" else reason
        self.view.showStatus(f"connection lost ({why}); reconnecting...")

    # Internals

    def _welcomeCame(self) -> None:
        self._greeted = True
        self._stopWaitingForWelcome()
        if not self._everGreeted:
            self._everGreeted = True
            self.welcomed.callback(True)
        elif (
            self._catchUp is not None
            and not self._catchUp.rooms
            and not self._loginPending
        ):
            # No room to resume nor login to wait for: being greeted is the
            # whole of catching up.
            self._reconnected()

    def _loginRefused(self, code: str, text: str) -> None:
        """
        The login the session sent was refused: ask for the password again
        if the person can be asked and has tries left, else end the session.
        """
        self._loginPending = False
        self._loginFailures += 1
        nick = self._wantedNick or ""
        retry = code == "login-failed" and self._loginFailures < LOGIN_TRIES
        if not retry or self.askPassword is None:
            self._fail(LoginRefused(nick, text))
            return
        self.view.show(ErrorReply(code, text))
        self.askPassword(f"Password for {nick}: ").addCallback(self._retryLogin)

    def _retryLogin(self, password: str) -> None:
        self._password = password
        if self._connection is not None and self._greeted and self._wantedNick:
            # Otherwise the next connection logs in with it.
            self._loginPending = True
            self._connection.sendInput(f"/login {self._wantedNick} {password}")

    def _noWelcome(self) -> None:
        self._waitingForWelcome = None
        if not self._everGreeted:
            self._fail(NoWelcome(self._welcomeTimeout))
            return
        # This server greeted us before: it may be starting, or overloaded.
        self.view.showStatus(
            f"no welcome from the server within {self._welcomeTimeout:g} s;"
            " reconnecting..."
        )
        assert self._connection is not None
        self._connection.abort()

    def _stopWaitingForWelcome(self) -> None:
        if self._waitingForWelcome is not None:
            self._waitingForWelcome.cancel()
            self._waitingForWelcome = None

    def _send(self, text: str) -> None:
        if self._connection is not None:
            self._connection.sendInput(text)

    def _isLive(self, room: str) -> bool:
        """
        Whether a C{GAP} for C{room} came live (the server left messages out
        while this client read too slowly), not as part of a replay.
        """
        return self._catchUp is None and not self._pages.get(fold(room))

    def _pageBack(self, arguments: list[str]) -> None:
        """
        C{/more [#room] [N]}: ask for the page before the oldest message
        shown in the room (by its join replay, an earlier page, or live),
        or for its newest page if none was.
        """
        room = self.view.currentRoom
        if arguments and isRoomName(arguments[0]):
            room = arguments.pop(0)
        count = HISTORY_PAGE_DEFAULT
        if arguments:
            word = arguments.pop(0)
            if not word.isdigit() or not 0 < int(word) <= HISTORY_PAGE_MAX:
                arguments.append(word)
            else:
                count = int(word)
        if arguments or room is None:
            self.view.showStatus(
                MORE_USAGE if arguments else "you are in no room; /join #room"
            )
            return
        folded = fold(room)
        oldest = self._oldest.get(folded)
        if oldest is not None and oldest <= 1:
            self.view.showStatus(f"{room}: no earlier messages")
            return
        self._pages[folded] = self._pages.get(folded, 0) + 1
        self._more.add(folded)
        before = "" if oldest is None else f" before {oldest}"
        self._send(f"/history {room}{before} {count}")

    def _fillGap(self, room: str, first: int, last: int) -> None:
        """Ask for the messages of a live gap, newest first, as a page."""
        count = min(last - first + 1, HISTORY_PAGE_MAX)
        self._pages[fold(room)] = self._pages.get(fold(room), 0) + 1
        self._send(f"/history {room} before {last + 1} {count}")

    def _isMe(self, nick: str) -> bool:
        return self.view.nick is not None and fold(nick) == fold(self.view.nick)

    def _lastSeen(self, room: str) -> int:
        return self.rooms.get(fold(room), (room, 0))[1]

    def _saw(self, room: str, sequence: int) -> None:
        folded = fold(room)
        if folded in self.rooms:
            name, lastSeen = self.rooms[folded]
            self.rooms[folded] = (name, max(lastSeen, sequence))

    def _replayEnded(self, room: str, through: int, kind: str) -> None:
        folded = fold(room)
        if kind == "page":
            if self._pages.get(folded):
                self._pages[folded] -= 1
            return
        self._saw(room, through)
        catchUp = self._catchUp
        if catchUp is not None and kind == "resume" and folded == catchUp.lastRoom:
            self._reconnected()

    def _reconnected(self) -> None:
        catchUp, self._catchUp = self._catchUp, None
        assert catchUp is not None
        outage = self.clock.seconds() - catchUp.began
        count = catchUp.messages
        caught = f"caught up {count} message{'s' * (count != 1)}"
        if catchUp.rooms:
            rooms = len(catchUp.rooms)
            caught += f" in {rooms} room{'s' * (rooms != 1)}"
        self.view.showStatus(f"reconnected after {outage:.1f} s; {caught}")

    def _finish(self) -> None:
        if not self.finished.called:
            self._ended()
            self.finished.callback(None)

    def _fail(self, failure: ConnectFailure) -> None:
        """End the session: this server cannot be talked to."""
        if self.finished.called:
            return
        connection, self._connection = self._connection, None
        self._stopWaitingForWelcome()
        if connection is not None:
            connection.abort()
        self._ended()
        self.finished.errback(failure)

    def _ended(self) -> None:
        if not self.welcomed.called:
            self.welcomed.callback(False)
