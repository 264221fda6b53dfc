"""
Tests for L{twisted_chat.client.session.ClientSession}: what the client remembers
across connections and sends when it reconnects, and what it shows.
"""

from datetime import UTC

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.events import (
    AccountInfo,
    CurrentRoom,
    ErrorReply,
    Goodbye,
    HistoryEnd,
    Joined,
    NickChanged,
    Parted,
    RoomMessage,
    Welcome,
)
from twisted_chat.client.failures import (
    ClosedUnwelcomed,
    LoginRefused,
    NickRefused,
    NotChat,
    NotSecure,
    NoWelcome,
    Refused,
)
from twisted_chat.client.paging import MORE_USAGE
from twisted_chat.client.script import CONNECT_TIMEOUT
from twisted_chat.client.session import ClientSession
from twisted_chat.terminal.view import TerminalView
from twisted_chat.terminal.whereabouts import Whereabouts

T = 1_764_094_803_456


class FakeConnection:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def sendInput(self, text: str) -> None:
        self.sent.append(text)


def message(room: str, sequence: int, history: bool = False) -> RoomMessage:
    return RoomMessage(room, sequence, T, "bob", f"m{sequence}", history=history)


class SessionTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.shown: list[str] = []
        self.clock = Clock()
        whereabouts = Whereabouts()
        view = TerminalView(self.shown.append, whereabouts, color=False, timezone=UTC)
        self.session = ClientSession(
            view, whereabouts, self.clock, welcomeTimeout=CONNECT_TIMEOUT, nick="ann"
        )
        self.first = FakeConnection()
        self.session.connected(self.first)
        for event in [
            Welcome("ann", "hi"),
            Joined("#lobby", "ann", T),
            CurrentRoom("#lobby"),
            HistoryEnd("#lobby", 0, 4, "join"),
            Joined("#dev", "ann", T),
            CurrentRoom("#dev"),
            message("#dev", 1, history=True),
            HistoryEnd("#dev", 1, 1, "join"),
            message("#dev", 2),
        ]:
            self.session.eventReceived(event)

    def reconnect(self) -> FakeConnection:
        self.session.disconnected("closed")
        self.clock.advance(3)
        connection = FakeConnection()
        self.session.connected(connection)
        return connection

    def test_remembersRoomsAndLastSeen(self) -> None:
        """The session knows each room and the last message seen in it."""
        self.assertEqual(
            self.session.rooms, {"#lobby": ("#lobby", 4), "#dev": ("#dev", 2)}
        )

    def test_reconnectResumesEveryRoom(self) -> None:
        """After an outage: the nick, then a resume per room, current last."""
        connection = self.reconnect()
        self.assertEqual(
            connection.sent, ["/nick ann", "/resume #lobby 4", "/resume #dev 2"]
        )

    def test_reconnectKeepsTheNewNick(self) -> None:
        """A nick changed during the session is the one taken back."""
        self.session.eventReceived(NickChanged("ann", "anna", T))
        connection = self.reconnect()
        self.assertEqual(connection.sent[0], "/nick anna")

    def test_leftLobbyStaysLeft(self) -> None:
        """A room left before the outage is not resumed after it."""
        self.session.eventReceived(Parted("#lobby", "ann", T, ""))
        connection = self.reconnect()
        self.assertEqual(connection.sent, ["/nick ann", "/resume #dev 2"])

    def test_leftEveryRoomStaysOut(self) -> None:
        """
        Someone who had left every room says so on reconnecting, so that the
        server does not put them in the lobby.
        """
        self.session.eventReceived(Parted("#lobby", "ann", T, ""))
        self.session.eventReceived(Parted("#dev", "ann", T, ""))
        connection = self.reconnect()
        self.assertEqual(connection.sent, ["/nick ann", "/part #lobby"])

    def test_followsWhereabouts(self) -> None:
        """The session notes your nick and current room as the server says them."""
        whereabouts = self.session.whereabouts
        self.assertEqual((whereabouts.nick, whereabouts.currentRoom), ("ann", "#dev"))
        self.session.eventReceived(NickChanged("ann", "anna", T))
        self.session.eventReceived(CurrentRoom("#lobby"))
        self.assertEqual(
            (whereabouts.nick, whereabouts.currentRoom), ("anna", "#lobby")
        )

    def test_quietEventsFollowed(self) -> None:
        """
        While catching up, rejoining is not shown, yet what it says of your
        nick and current room is followed, the prompt too.
        """
        prompts: list[str] = []
        self.session.view.onPromptChange = prompts.append
        self.reconnect()
        self.shown.clear()
        for event in [
            Welcome("ann", "hi"),
            NickChanged("ann", "Ann", T),
            Joined("#dev", "Ann", T),
            CurrentRoom("#lobby"),
        ]:
            self.session.eventReceived(event)
        self.assertEqual(self.shown, [])
        whereabouts = self.session.whereabouts
        self.assertEqual((whereabouts.nick, whereabouts.currentRoom), ("Ann", "#lobby"))
        self.assertEqual(prompts, ["[#lobby] "])

    def test_passwordFromTypedLogin(self) -> None:
        """A password typed in /login is used to log in again after an outage."""
        self.session.lineTyped("/login ann my-secret-pw")
        connection = self.reconnect()
        self.assertEqual(connection.sent[0], "/login ann my-secret-pw")

    def test_tooLongNotSent(self) -> None:
        """
        A line over the server's limit (in UTF-8, the command included) is
        refused with one status line; one at the limit is sent.
        """
        self.shown.clear()
        self.assertIs(self.session.lineTyped("/me " + "é" * 2047), False)
        self.assertEqual(
            self.shown,
            ["-- not sent: lines are limited to 4096 bytes, and that one is 4098"],
        )
        self.assertIs(self.session.lineTyped("/me " + "é" * 2046), True)
        self.assertEqual(self.first.sent[-1], "/me " + "é" * 2046)
        self.assertEqual(len(self.first.sent), 2)

    def test_replayShownOnce(self) -> None:
        """Replayed messages already seen are not shown again; new ones count."""
        self.reconnect()
        self.shown.clear()
        for event in [
            message("#dev", 2, history=True),
            message("#dev", 3, history=True),
            HistoryEnd("#dev", 2, 3, "resume"),
        ]:
            self.session.eventReceived(event)
        self.assertEqual(
            self.shown,
            [
                "11-25 18:20 #dev <bob> m3",
                "-- reconnected after 3.0 s; caught up 1 message in 2 rooms",
            ],
        )

    def test_pagesAlwaysShown(self) -> None:
        """A /history page is shown even where it repeats what was seen."""
        self.session.lineTyped("/history 5")
        self.shown.clear()
        self.session.eventReceived(message("#dev", 1, history=True))
        self.session.eventReceived(HistoryEnd("#dev", 1, 2, "page"))
        self.session.eventReceived(message("#dev", 2, history=True))
        self.assertEqual(
            self.shown,
            ["11-25 18:20 #dev <bob> m1", "-- #dev: 1 earlier message above"],
        )

    def test_endsAfterOwnQuit(self) -> None:
        """bye ends the session when the connection closes."""
        self.session.lineTyped("bye")
        self.session.eventReceived(Goodbye("quit", "bye"))
        self.session.disconnected("closed")
        self.successResultOf(self.session.finished)

    def test_replacedEnds(self) -> None:
        """Logged in elsewhere: this session ends rather than fight back."""
        self.session.eventReceived(Goodbye("replaced", "Logged in from elsewhere"))
        self.session.disconnected("closed")
        self.successResultOf(self.session.finished)


class AbortableConnection(FakeConnection):
    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


class WelcomeTests(SynchronousTestCase):
    """
    A connection counts once the server has said WELCOME: before that, a
    failure is a failed attempt, never an outage or a reconnection.
    """

    def setUp(self) -> None:
        self.shown: list[str] = []
        self.clock = Clock()
        whereabouts = Whereabouts()
        view = TerminalView(self.shown.append, whereabouts, color=False, timezone=UTC)
        self.session = ClientSession(
            view, whereabouts, self.clock, welcomeTimeout=CONNECT_TIMEOUT, nick="ann"
        )

    def connect(self, welcome: bool = True) -> AbortableConnection:
        connection = AbortableConnection()
        self.session.connected(connection)
        if welcome:
            self.session.eventReceived(Welcome("ann", "hi"))
        return connection

    def establishedThenLost(self) -> None:
        """A session in no room whose connection has just dropped."""
        self.connect()
        self.session.disconnected("closed")
        self.shown.clear()

    def test_welcomedFires(self) -> None:
        """C{welcomed} fires at the first WELCOME, not at the connection."""
        self.connect(welcome=False)
        self.assertNoResult(self.session.welcomed)
        self.session.eventReceived(Welcome("ann", "hi"))
        self.assertIs(self.successResultOf(self.session.welcomed), True)

    def test_reconnectedOnlyOnceWelcomed(self) -> None:
        """
        With no room to resume, "reconnected" waits for the server's
        WELCOME: a connection alone proves nothing.
        """
        self.establishedThenLost()
        self.clock.advance(1.5)
        self.connect(welcome=False)
        self.assertEqual(self.shown, [])
        self.clock.advance(0.5)
        self.session.eventReceived(Welcome("ann", "hi"))
        self.assertEqual(
            self.shown, ["-- reconnected after 2.0 s; caught up 0 messages"]
        )

    def test_attemptClosedBeforeWelcome(self) -> None:
        """
        A reconnection attempt closed before its WELCOME is neither a new
        outage nor a reconnection: nothing is shown, the outage goes on, and
        the next attempt counts from when the connection was first lost.
        """
        self.establishedThenLost()
        self.clock.advance(1)
        self.connect(welcome=False)
        self.session.disconnected("closed")
        self.assertEqual(self.shown, [])
        self.assertNoResult(self.session.finished)
        self.clock.advance(2)
        self.connect()
        self.assertEqual(
            self.shown, ["-- reconnected after 3.0 s; caught up 0 messages"]
        )

    def test_typedBeforeWelcome(self) -> None:
        """
        A line typed while a reconnection attempt waits for its WELCOME is
        not sent into a connection that may never count.
        """
        self.establishedThenLost()
        connection = self.connect(welcome=False)
        self.session.lineTyped("hello?")
        self.assertNotIn("hello?", connection.sent)
        self.assertIn("not sent", self.shown[-1])

    def test_refusedTlsFirst(self) -> None:
        """A refused TLS handshake ends the session at once."""
        self.connect(welcome=False)
        self.session.disconnected(
            "certificate verify failed", refused="certificate verify failed"
        )
        failure = self.failureResultOf(self.session.finished, NotSecure)
        self.assertEqual(failure.value.what, "certificate verify failed")
        self.assertIs(self.successResultOf(self.session.welcomed), False)
        self.assertEqual(self.shown, [])

    def test_refusedTlsOnReconnection(self) -> None:
        """
        A reconnection whose TLS handshake is refused (the certificate
        changed) ends the session instead of trying for ever.
        """
        self.establishedThenLost()
        self.connect(welcome=False)
        self.session.disconnected("bad", refused="certificate verify failed")
        self.failureResultOf(self.session.finished, NotSecure)
        self.assertEqual(self.shown, [])

    def test_refusedTlsWhileLeaving(self) -> None:
        """A refused handshake is a failure even once input has ended."""
        self.establishedThenLost()
        self.connect(welcome=False)
        self.session.inputEnded()
        self.session.disconnected("bad", refused="certificate verify failed")
        self.failureResultOf(self.session.finished, NotSecure)

    def test_firstClosedBeforeWelcome(self) -> None:
        """
        The first connection closed before any WELCOME ends the session:
        whatever listens there is no chat server for this client.
        """
        self.connect(welcome=False)
        self.session.disconnected("closed")
        failure = self.failureResultOf(self.session.finished, ClosedUnwelcomed)
        self.assertEqual(failure.value.reason, "closed")

    def test_nickRefusedFirst(self) -> None:
        """
        The nick asked for (--nick) refused on the first connection ends the
        session with the server's words, rather than going on as a guest.
        """
        self.connect()
        self.session.eventReceived(
            ErrorReply("nick-registered", "The nick ann is registered.")
        )
        failure = self.failureResultOf(self.session.finished, NickRefused)
        self.assertEqual(
            (failure.value.nick, failure.value.text),
            ("ann", "The nick ann is registered."),
        )

    def test_nickTakenLater(self) -> None:
        """Once the nick was given, a later refusal is only shown."""
        self.connect()
        self.session.eventReceived(NickChanged("guest1", "ann", T))
        self.session.eventReceived(ErrorReply("nick-in-use", "The nick bob is taken."))
        self.assertNoResult(self.session.finished)

    def test_goodbyeBeforeWelcome(self) -> None:
        """
        A server that refuses the first connection in words (BYE refused)
        ends the session with a failure saying why (one line, status 1),
        not as if the person had left.
        """
        self.connect(welcome=False)
        self.session.eventReceived(Goodbye("refused", "Too many connections"))
        self.session.disconnected("closed")
        failure = self.failureResultOf(self.session.finished, Refused)
        self.assertEqual(failure.value.reason, "Too many connections")
        self.assertEqual(self.shown, [])

    def test_noWelcomeFirst(self) -> None:
        """
        The first connection not greeted in time is dropped and ends the
        session, saying how long it waited.
        """
        connection = self.connect(welcome=False)
        self.clock.advance(CONNECT_TIMEOUT - 0.1)
        self.assertFalse(connection.aborted)
        self.assertNoResult(self.session.finished)
        self.clock.advance(0.1)
        self.assertTrue(connection.aborted)
        failure = self.failureResultOf(self.session.finished, NoWelcome)
        self.assertEqual(failure.value.seconds, CONNECT_TIMEOUT)
        self.session.disconnected("aborted")
        self.assertEqual(self.shown, [])

    def test_noWelcomeOnReconnection(self) -> None:
        """
        A reconnection attempt not greeted in time is dropped with a note,
        and the next attempt follows: this server did greet us before.
        """
        self.establishedThenLost()
        connection = self.connect(welcome=False)
        self.clock.advance(CONNECT_TIMEOUT)
        self.assertTrue(connection.aborted)
        self.session.disconnected("aborted")
        self.assertNoResult(self.session.finished)
        self.assertEqual(
            self.shown,
            [
                f"-- no welcome from the server within {CONNECT_TIMEOUT:g} s;"
                " reconnecting..."
            ],
        )
        self.connect()
        self.assertIn("reconnected", self.shown[-1])

    def test_welcomeStopsTheClock(self) -> None:
        """Once greeted, a connection is never dropped for being slow to greet."""
        connection = self.connect()
        self.clock.advance(CONNECT_TIMEOUT * 2)
        self.assertFalse(connection.aborted)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_notTheProtocol(self) -> None:
        """
        A first line that is not the protocol ends the session at once and
        is not shown: it goes into the one line that says what went wrong.
        """
        connection = self.connect(welcome=False)
        self.session.showUnparsed(b"HTTP/1.1 400 Bad Request")
        self.assertTrue(connection.aborted)
        failure = self.failureResultOf(self.session.finished, NotChat)
        self.assertEqual(failure.value.sample, b"HTTP/1.1 400 Bad Request")
        self.assertEqual(self.shown, [])

    def test_tooLongBeforeWelcome(self) -> None:
        """An over-long first line is not the protocol either."""
        connection = self.connect(welcome=False)
        self.session.lineTooLong()
        self.assertTrue(connection.aborted)
        failure = self.failureResultOf(self.session.finished, NotChat)
        self.assertIsNone(failure.value.sample)

    def test_unparsedAfterWelcomeShown(self) -> None:
        """Once greeted, a line the client cannot read is only shown."""
        self.connect()
        self.session.showUnparsed(b"FUTURE thing")
        self.assertNoResult(self.session.finished)
        self.assertEqual(self.shown[-1], "?? FUTURE thing")


class LoginTests(SynchronousTestCase):
    """
    A login the session sent and the server refused: asked again where the
    person can be asked, otherwise the end of the session, never a guest.
    """

    def setUp(self) -> None:
        self.shown: list[str] = []
        whereabouts = Whereabouts()
        view = TerminalView(self.shown.append, whereabouts, color=False, timezone=UTC)
        self.session = ClientSession(
            view,
            whereabouts,
            Clock(),
            welcomeTimeout=CONNECT_TIMEOUT,
            nick="alice",
            password="wrong-pass",
        )
        self.asked: list[tuple[str, Deferred[str]]] = []
        self.connection = AbortableConnection()
        self.session.connected(self.connection)
        self.session.eventReceived(Welcome("guest4", "hi"))

    def ask(self, prompt: str) -> Deferred[str]:
        answer: Deferred[str] = Deferred()
        self.asked.append((prompt, answer))
        return answer

    def test_wrongPasswordPipedEnds(self) -> None:
        """Nobody to ask: the session ends with the server's words."""
        self.assertEqual(self.connection.sent, ["/login alice wrong-pass"])
        self.session.eventReceived(
            ErrorReply("login-failed", "Wrong nick or password.")
        )
        failure = self.failureResultOf(self.session.finished, LoginRefused)
        self.assertEqual(
            (failure.value.nick, failure.value.text),
            ("alice", "Wrong nick or password."),
        )
        self.assertTrue(self.connection.aborted)

    def test_askedAgainThreeTriesInAll(self) -> None:
        """On a terminal the password is asked again, three tries in all."""
        self.session.askPassword = self.ask
        for password in ["second-try", "third-try"]:
            self.session.eventReceived(
                ErrorReply("login-failed", "Wrong nick or password.")
            )
            self.assertNoResult(self.session.finished)
            prompt, answer = self.asked[-1]
            self.assertEqual(prompt, "Password for alice: ")
            answer.callback(password)
            self.assertEqual(self.connection.sent[-1], f"/login alice {password}")
        self.assertEqual(len(self.asked), 2)
        self.assertIn("!! Wrong nick or password. [login-failed]", self.shown)
        self.session.eventReceived(
            ErrorReply("login-failed", "Wrong nick or password.")
        )
        self.failureResultOf(self.session.finished, LoginRefused)
        self.assertEqual(len(self.asked), 2)

    def test_rightSecondTry(self) -> None:
        """A right password on the second try carries on, and is kept."""
        self.session.askPassword = self.ask
        self.session.eventReceived(ErrorReply("login-failed", "Wrong."))
        self.asked[0][1].callback("right-pass")
        self.session.eventReceived(AccountInfo("alice", "You are logged in."))
        self.session.eventReceived(ErrorReply("login-failed", "Wrong."))
        self.assertNoResult(self.session.finished)
        self.assertEqual(len(self.asked), 1)
        self.session.disconnected("closed")
        connection = AbortableConnection()
        self.session.connected(connection)
        self.assertEqual(connection.sent[0], "/login alice right-pass")

    def test_typedLinesWaitForTheLogin(self) -> None:
        """
        Lines typed (or piped) while the session's login is checked are sent
        once it is accepted, after the rooms, the end of input last; if it
        is refused they are never sent, so nothing is said as a guest.
        """
        self.session.lineTyped("meant for alice's rooms")
        self.session.inputEnded()
        self.assertEqual(self.connection.sent, ["/login alice wrong-pass"])
        self.session.eventReceived(AccountInfo("alice", "You are logged in."))
        self.assertEqual(self.connection.sent[1:], ["meant for alice's rooms", "/quit"])

    def test_typedLinesDroppedWithARefusedLogin(self) -> None:
        """A refused login ends a piped session without sending what waited."""
        self.session.lineTyped("hi")
        self.session.eventReceived(ErrorReply("login-failed", "Wrong."))
        self.failureResultOf(self.session.finished, LoginRefused)
        self.assertEqual(self.connection.sent, ["/login alice wrong-pass"])

    def test_roomsAfterTheLogin(self) -> None:
        """
        The rooms are asked for once a login is accepted, on the first try or
        a later one; after an outage, the resumes too wait for the login.
        """
        whereabouts = Whereabouts()
        view = TerminalView(self.shown.append, whereabouts, color=False, timezone=UTC)
        self.session = ClientSession(
            view,
            whereabouts,
            Clock(),
            welcomeTimeout=CONNECT_TIMEOUT,
            nick="alice",
            rooms=["#dev"],
            password="wrong-pass",
        )
        connection = AbortableConnection()
        self.session.connected(connection)
        self.assertEqual(connection.sent, ["/login alice wrong-pass"])
        self.session.askPassword = self.ask
        self.session.eventReceived(Welcome("guest4", "hi"))
        self.session.eventReceived(ErrorReply("login-failed", "Wrong."))
        self.asked[0][1].callback("right-pass")
        self.assertEqual(connection.sent[-1], "/login alice right-pass")
        self.session.eventReceived(NickChanged("guest4", "alice", T))
        self.session.eventReceived(AccountInfo("alice", "You are logged in."))
        self.assertEqual(connection.sent[-1], "/join #dev")
        self.session.eventReceived(Joined("#dev", "alice", T))
        self.session.disconnected("closed")
        again = AbortableConnection()
        self.session.connected(again)
        self.assertEqual(again.sent, ["/login alice right-pass"])
        self.session.eventReceived(Welcome("guest5", "hi"))
        self.session.eventReceived(AccountInfo("alice", "You are logged in."))
        self.assertEqual(again.sent[1:], ["/resume #dev 0"])

    def test_throttledEnds(self) -> None:
        """A throttled login ends the session at once, even on a terminal."""
        self.session.askPassword = self.ask
        self.session.eventReceived(
            ErrorReply("login-throttled", "Too many failed logins; wait.")
        )
        failure = self.failureResultOf(self.session.finished, LoginRefused)
        self.assertEqual(failure.value.text, "Too many failed logins; wait.")
        self.assertEqual(self.asked, [])

    def test_typedLoginOnlyShown(self) -> None:
        """A /login the person typed that fails is shown; the session goes on."""
        self.session.eventReceived(AccountInfo("alice", "You are logged in."))
        self.session.lineTyped("/login bob bad-pass1")
        self.session.eventReceived(ErrorReply("login-failed", "Wrong."))
        self.assertNoResult(self.session.finished)
        self.assertEqual(self.shown[-1], "!! Wrong. [login-failed]")


class MoreTests(SynchronousTestCase):
    """/more: the client's own way to page back without sequence numbers."""

    def setUp(self) -> None:
        self.shown: list[str] = []
        whereabouts = Whereabouts()
        view = TerminalView(self.shown.append, whereabouts, color=False, timezone=UTC)
        self.session = ClientSession(
            view, whereabouts, Clock(), welcomeTimeout=CONNECT_TIMEOUT, nick="ann"
        )
        self.connection = FakeConnection()
        self.session.connected(self.connection)
        for event in [
            Welcome("ann", "hi"),
            Joined("#dev", "ann", T),
            CurrentRoom("#dev"),
            message("#dev", 70, history=True),
            message("#dev", 71, history=True),
            HistoryEnd("#dev", 2, 71, "join"),
            message("#dev", 72),
        ]:
            self.session.eventReceived(event)
        self.connection.sent.clear()

    def test_pagesBackFromTheJoinReplay(self) -> None:
        """/more asks for the page before the oldest message the join replayed."""
        self.session.lineTyped("/more")
        self.assertEqual(self.connection.sent, ["/history #dev before 70 50"])

    def test_continuesFromTheLastPage(self) -> None:
        """Each /more goes on from where the page before it ended."""
        self.session.lineTyped("/MORE #dev 20")
        for sequence in range(50, 70):
            self.session.eventReceived(message("#dev", sequence, history=True))
        self.session.eventReceived(HistoryEnd("#dev", 20, 69, "page"))
        self.session.lineTyped("/more 20")
        self.assertEqual(
            self.connection.sent,
            ["/history #dev before 70 20", "/history #dev before 50 20"],
        )

    def test_pageShownInFull(self) -> None:
        """The page's messages are shown, though older than those seen."""
        self.session.lineTyped("/more")
        self.shown.clear()
        self.session.eventReceived(message("#dev", 69, history=True))
        self.session.eventReceived(HistoryEnd("#dev", 1, 69, "page"))
        self.assertEqual(
            self.shown,
            ["11-25 18:20 #dev <bob> m69", "-- #dev: 1 earlier message above"],
        )

    def test_nothingEarlier(self) -> None:
        """An empty page is said; the next /more is not sent."""
        self.session.lineTyped("/more")
        self.session.eventReceived(HistoryEnd("#dev", 0, 69, "page"))
        self.session.lineTyped("/more")
        self.assertEqual(self.connection.sent, ["/history #dev before 70 50"])
        self.assertEqual(
            self.shown[-2:],
            ["-- #dev: no earlier messages", "-- #dev: no earlier messages"],
        )

    def test_roomWithNothingShownYet(self) -> None:
        """In a room where nothing was shown, /more asks for the newest page."""
        self.session.eventReceived(Joined("#new", "ann", T))
        self.session.eventReceived(HistoryEnd("#new", 0, 0, "join"))
        self.session.lineTyped("/more #new 5")
        self.assertEqual(self.connection.sent, ["/history #new 5"])

    def test_badArguments(self) -> None:
        """Arguments /more does not take are a usage line, nothing sent."""
        self.session.lineTyped("/more lots")
        self.session.lineTyped("/more 501")
        self.assertEqual(self.connection.sent, [])
        self.assertEqual(self.shown[-1], "-- " + MORE_USAGE)
