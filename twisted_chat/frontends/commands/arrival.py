"""
When a new line-protocol member is put in the lobby.

A client that sets itself up (takes its nick, logs in, names the rooms it
wants) does so in its first lines.  Were it put in the lobby at its
welcome, everyone there would see C{guest1 joined #lobby}, then
C{guest1 is now alice}, and a client that wanted other rooms would pass
through the lobby anyway.  So a member is I{arriving} until one of these:

  - a line that chooses its rooms: C{/join}, C{/resume}, or C{/part} (of
    the lobby, or of no room named), which keeps it out of the lobby;
  - a line that needs a current room: text, C{/me}, and C{/who}, C{/topic}
    or C{/history} without a room; it is put in the lobby first;
  - L{ARRIVAL_GRACE} seconds without either, and no login being checked:
    it is put in the lobby.  Someone at C{nc} arrives there as they always
    did, a moment after the welcome.

Set-up lines (C{/nick}, C{/login}, C{/register}, C{/password}, C{/help},
C{/rooms}, and questions naming a room) leave it arriving.  A login being
checked stops the clock.  Once it has logged in, the member has
L{ARRIVAL_AFTER_LOGIN} seconds to name its rooms: a client sends them when
it sees its login accepted, a round trip later, which on a slow link is
more than half a second.  A login refused while arriving comes from a
program, not a person typing (nobody types that fast), so the member waits
for that program's next line; a C{/pong} is no such line, only the client
answering a C{PING} while its person retypes the password.  Where login is
required, the clock starts only at the login.

The others see the member join once, under its own nick.  A reconnection
that resumes its rooms is a departure ("connection lost") and one join,
as on IRC: holding a vanished member's place for a while would show
others someone present who cannot read.
"""

from collections.abc import Callable

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from twisted_chat.chat.commands import (
    Act,
    Command,
    History,
    Join,
    Login,
    Part,
    Pong,
    QuitCommand,
    Register,
    Resume,
    Say,
    Topic,
    Who,
)
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.limits import ARRIVAL_AFTER_LOGIN, ARRIVAL_GRACE


class Arrival:
    """
    Puts one new member in the lobby, unless its first lines choose its
    rooms.

    @ivar waiting: whether the member is still arriving.
    """

    # One per connection of the line protocol, for as long as it is open.
    __slots__ = (
        "_checking",
        "_needsLogin",
        "_report",
        "_timer",
        "afterLogin",
        "chat",
        "clock",
        "grace",
        "member",
        "waiting",
    )

    def __init__(
        self,
        chat: Chat,
        member: Member,
        clock: IReactorTime | None,
        report: Callable[[ChatError], None],
        *,
        grace: float = ARRIVAL_GRACE,
        afterLogin: float = ARRIVAL_AFTER_LOGIN,
    ) -> None:
        """
        @param clock: the time for the grace; L{None} puts the member in the
            lobby at once, or at its login (the operator's console, where
            nobody sets up).
        @param report: tells the member why it could not be put in the lobby.
        """
        self.chat = chat
        self.member = member
        self.clock = clock
        self.grace = grace
        self.afterLogin = afterLogin
        self._report = report
        self.waiting = False
        self._needsLogin = False
        self._checking = 0
        self._timer: IDelayedCall | None = None

    def begin(self, *, needsLogin: bool) -> None:
        """
        The member has been welcomed: give it the grace to set up, or, if it
        C{needsLogin}, wait until it has logged in.
        """
        self.waiting = True
        self._needsLogin = needsLogin
        if not needsLogin:
            self._startClock()

    def before(self, command: Command) -> bool:
        """
        Decide, before C{command} is carried out, whether it ends the
        arrival.

        @return: whether to carry C{command} out; a C{/part} of the lobby
            while arriving has done its work by keeping the member out.
        """
        if not self.waiting:
            return True
        match command:
            case Join() | Resume() | QuitCommand():
                self._end()
            case Part(room, _) if room is None or fold(room) == fold(
                self.chat.lobbyName
            ):
                self._end()
                return False
            case Say() | Act() | Who(None) | Topic(None, _) | History(None, _, _):
                self._placeInLobby()
            case Login() | Register():
                self._stopClock()
            case Pong():
                # A client's answer to a PING, not a person's next line: a
                # refused login's member waits on (its password retyped).
                pass
            case _ if self._timer is None and self._mayBePlaced():
                # The next line after a refused login: the clock goes again.
                self._startClock()
        return True

    def checking(self, command: Command, outcome: Deferred[None]) -> None:
        """
        C{command} is being carried out: if it is a login, the clock waits
        for it, and starts again with the whole grace if it logged in.
        """
        if not self.waiting or not isinstance(command, Login | Register):
            return
        self._checking += 1

        def done(result: object) -> object:
            self._checking -= 1
            loggedIn = self.member.account is not None
            if self.waiting and self.member.present and loggedIn:
                self._startClock(self.afterLogin)
            return result

        outcome.addBoth(done)

    def stop(self) -> None:
        """The connection is gone: forget the clock."""
        self._end()

    def _mayBePlaced(self) -> bool:
        loggedIn = self.member.account is not None
        return not self._checking and (loggedIn or not self._needsLogin)

    def _startClock(self, grace: float | None = None) -> None:
        if self.clock is None:
            self._placeInLobby()
            return
        self._stopClock()
        self._timer = self.clock.callLater(
            self.grace if grace is None else grace, self._graceOver
        )

    def _stopClock(self) -> None:
        if self._timer is not None:
            if self._timer.active():
                self._timer.cancel()
            self._timer = None

    def _graceOver(self) -> None:
        self._timer = None
        if self.waiting and self.member.present:
            self._placeInLobby()

    def _placeInLobby(self) -> None:
        self._end()
        try:
            self.chat.join(self.member, self.chat.lobbyName)
        except ChatError as error:
            self._report(error)

    def _end(self) -> None:
        self.waiting = False
        self._stopClock()
