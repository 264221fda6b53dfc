"""
The terminal client's session: what outlives a connection.

A L{ClientSession} remembers who the person is
(L{twisted_chat.client.login}), their nick and where they are talking (a
L{Whereabouts}, which the view only reads), which rooms they are in and the
last sequence number they saw in each (L{twisted_chat.client.catchup}), and
whether they asked to leave.  Each new connection (the first, or one
C{ClientService} makes after an outage, to the same server or another node
serving the same rooms, L{twisted_chat.client.servers}) asks it what to
send: on a reconnection that is a login, then C{/resume #room SEQ} for
every room, so the server replays exactly what was missed.  It decides what to show: a
replayed message already seen is not shown twice.  And it decides when the
session is over: when the person quit, or the server removed them.  It also
carries out C{/more}, the one command of the client's own
(L{twisted_chat.client.paging}).

A connection counts once the server's C{WELCOME} has come.  What goes wrong
before that is no outage but a failed attempt: a refused TLS handshake, or
a peer that answers with something other than the line protocol, ends the
session with a L{ConnectFailure} (L{twisted_chat.client.failures}), since
trying again would only fail again; so does the first connection closing,
or staying silent, before a welcome.  A reconnection attempt that is closed
or silent is tried again.

A login the server refuses is no reason to go on as a guest: the session
asks for the password again where it can (L{ClientSession.askPassword}, the
line editor on a terminal), L{twisted_chat.client.login.LOGIN_TRIES} times
in all, and otherwise ends with L{LoginRefused}.
"""

from collections.abc import Callable, Sequence
from typing import Final

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from twisted_chat.chat.commands import (
    ChangePassword,
    History,
    Join,
    Login,
    QuitCommand,
    Register,
)
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import (
    AccountInfo,
    ErrorReply,
    Event,
    Goodbye,
    HistoryEnd,
    HistoryGap,
    Joined,
    NickChanged,
    Parted,
    Ping,
    RoomMessage,
    Welcome,
)
from twisted_chat.chat.orderevents import Kicked, ModesChanged, RoomModes
from twisted_chat.client.catchup import CatchUp
from twisted_chat.client.failures import (
    ClosedUnwelcomed,
    ConnectFailure,
    LoginRefused,
    NickRefused,
    NotChat,
    NotSecure,
    NoWelcome,
    Refused,
)
from twisted_chat.client.login import RECLAIM_DELAY, LoginState, isGuestNick
from twisted_chat.client.paging import HistoryPages
from twisted_chat.limits import MAX_LINE_LENGTH
from twisted_chat.terminal.view import TerminalView
from twisted_chat.terminal.whereabouts import Whereabouts
from twisted_chat.wire import line as wire

FINAL_GOODBYES: Final = frozenset({"quit", "kicked", "replaced", "refused", "flood"})
"""Goodbyes after which the client does not reconnect."""


class Connection:
    """What the session needs of a connection (a ChatClientProtocol)."""

    def sendInput(self, text: str) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Drop the connection now, without waiting for anything to be sent."""
        raise NotImplementedError


class ClientSession:
    """
    One person's chat session across connections.

    @ivar whereabouts: the person's nick and current room; the session notes
        every event it shows or keeps quiet there, before the view draws it.
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
        whereabouts: Whereabouts,
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
        self.whereabouts = whereabouts
        self.clock = clock
        self._welcomeTimeout = welcomeTimeout
        self._login = LoginState(nick, password)
        self._wantedRooms = list(rooms)
        self._catchUp = CatchUp(view, clock)
        self._pages = HistoryPages(view, whereabouts, self._send)
        self._connection: Connection | None = None
        self._greeted = False
        self._everGreeted = False
        self._waitingForWelcome: IDelayedCall | None = None
        self._quitting = False
        self._goodbye: str | None = None
        self._goodbyeReason = ""
        self._heldTyped: list[str] = []
        self._server: str | None = None
        self._greetedBy: str | None = None
        self.askPassword: Callable[[str], Deferred[str]] | None = None
        self.welcomed: Deferred[bool] = Deferred()
        self.finished: Deferred[None] = Deferred()

    @property
    def rooms(self) -> dict[str, tuple[str, int]]:
        """
        The rooms the person is in, by folded name: the room's name and the
        last sequence number seen there.
        """
        return self._catchUp.rooms

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
        if self._login.pending:
            # Said as the person logging in, in the rooms named, or not at
            # all: never as a guest, if the login is refused.
            self._heldTyped.append(text)
            return True
        words = text.split()
        if words and words[0].lower() == "/more":
            self._pages.pageBack(words[1:])
            return True
        self._note(text)
        self._connection.sendInput(text)
        return True

    def inputEnded(self) -> None:
        """The person has nothing more to say: leave."""
        self._quitting = True
        if self._connection is None:
            self._finish()
        elif self._login.pending and self._greeted:
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
            case History(room, _, _):
                self._pages.asked(room)
            case Login() | Register() | ChangePassword():
                self._login.typed(command)
            case Join(room, str() as key):
                self._catchUp.keyed(room, key)

    # From the connection

    def connectingTo(self, server: str) -> None:
        """
        The next connection is to C{server}, one of several: once it greets
        the session, the person is told which server they are on, if it is
        not the one they were on.
        """
        self._server = server

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
        L{twisted_chat.frontends.commands.arrival}).  After a login, the rooms wait until the
        server has accepted it, so a refused login never joins a room as a
        guest.
        """
        # The nick asked for at first; after that, the one the person had
        # (the account's, when logged in).
        nick = self.whereabouts.nick if self._everGreeted else self._login.nick
        return self._login.greeting(
            nick, self._roomLines(), first=not self._everGreeted
        )

    def _roomLines(self) -> list[str]:
        if not self._everGreeted:
            # The first named last, so that it is the current room; none
            # named: the server's lobby.
            return [f"/join {room}" for room in reversed(self._wantedRooms)]
        return self._catchUp.resumeLines(self.whereabouts.currentRoom)

    def eventReceived(self, event: Event) -> None:
        """
        Note what an event says about the session, and show it unless it is
        a replayed message already seen.
        """
        quiet = self._catchUp.quiet(event, self.whereabouts.isMe)
        if isinstance(event, RoomMessage):
            self._pages.shown(event)
        match event:
            case Welcome():
                self._welcomeCame()
            case RoomMessage(room, sequence, history=True) if not self._pages.paging(
                room
            ):
                if not self._catchUp.replayed(room, sequence):
                    return
            case RoomMessage(room, sequence):
                self._catchUp.saw(room, sequence)
            case HistoryEnd(room, count, _, "page"):
                self._pages.pageEnded(room, count)
            case HistoryEnd(room, _, through, kind):
                self._catchUp.replayEnded(room, through, kind)
            case Joined(room, nick, _) if self.whereabouts.isMe(nick):
                self._catchUp.joined(room)
            case Parted(room, nick, _, _) | Kicked(room, nick, _, _, _) if (
                self.whereabouts.isMe(nick)
            ):
                # Put out is left as much as parted: not to be resumed.
                self._catchUp.left(room)
                self._pages.left(room)
            case ModesChanged(room, _, _, modes):
                self._catchUp.modesSaid(room, modes, whole=False)
            case RoomModes(room, modes, _):
                self._catchUp.modesSaid(room, modes, whole=True)
            case AccountInfo(nick, _):
                for line in self._login.accepted(nick):
                    self._send(line)
                held, self._heldTyped = self._heldTyped, []
                for text in held:
                    self.lineTyped(text)
                # Logged in again: with no room to resume, caught up.
                self._catchUp.welcomed()
            case NickChanged(_, new, _):
                self._login.nickGiven(new)
            case ErrorReply(code, text) if self._login.refusesNick(code):
                self._fail(NickRefused(self._login.nick or "", text))
                return
            case ErrorReply(code, text) if self._login.refuses(code):
                self._loginRefused(code, text)
                return
            case ErrorReply(code, _) if wanted := self._login.reclaims(code):
                self.clock.callLater(RECLAIM_DELAY, self._reclaim, wanted)
                self.view.showStatus(
                    f"asking for {wanted} again in {RECLAIM_DELAY:g} s"
                )
            case ErrorReply(code, _):
                # Shown; if it refuses a resume, that room is forgotten.
                self._catchUp.refused(code)
            case Goodbye(kind, reason):
                self._goodbye, self._goodbyeReason = kind, reason
                if not self._everGreeted:
                    # A refusal: the one line that ends the client says it.
                    return
            case Ping(token):
                self._send(f"/pong {token}")
                return
            case HistoryGap(room, first, last) if self._isLive(room):
                self._pages.fillGap(room, first, last)
        self.whereabouts.note(event)
        # A quiet event is only noted: rejoining is the session's business,
        # and the person sees the summary.
        if not quiet:
            self.view.show(event)

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
        self._catchUp.lost()
        why = "the server is restarting" if self._goodbye == "shutdown" else reason
        self.view.showStatus(f"connection lost ({why}); reconnecting...")

    # Internals

    def _welcomeCame(self) -> None:
        self._greeted = True
        self._stopWaitingForWelcome()
        if self._server is not None and self._server != self._greetedBy:
            self._greetedBy = self._server
            self.view.showStatus(f"connected to {self._server}")
        if not self._everGreeted:
            self._everGreeted = True
            self.welcomed.callback(True)
        elif not self._login.pending:
            # Once logged in again, if a login is on its way.
            self._catchUp.welcomed()

    def _loginRefused(self, code: str, text: str) -> None:
        """
        The login the session sent was refused: ask for the password again
        if the person can be asked and has tries left, else end the session.
        """
        nick = self._login.nick or ""
        if not self._login.refused(code) or self.askPassword is None:
            self._fail(LoginRefused(nick, text))
            return
        self.view.show(ErrorReply(code, text))
        self.askPassword(f"Password for {nick}: ").addCallback(self._retryLogin)

    def _retryLogin(self, password: str) -> None:
        self._login.password = password
        if self._connection is not None and self._greeted and self._login.nick:
            # Otherwise the next connection logs in with it.
            self._connection.sendInput(self._login.retry(password))

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

    def _reclaim(self, nick: str) -> None:
        """Ask for C{nick} again, unless the person has chosen another since."""
        if self._greeted and isGuestNick(self.whereabouts.nick or ""):
            self._send(f"/nick {nick}")

    def _send(self, text: str) -> None:
        if self._connection is not None:
            self._connection.sendInput(text)

    def _isLive(self, room: str) -> bool:
        """
        Whether a C{GAP} for C{room} came live (the server left messages out
        while this client read too slowly), not as part of a replay.
        """
        return not self._catchUp.catchingUp and not self._pages.paging(room)

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
