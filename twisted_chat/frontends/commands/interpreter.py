"""
The slash-command language of the line protocol, carried out on the chat core.

A line-protocol front end (the TCP line server, the operator console) parses
each line into a L{twisted_chat.chat.commands.Command} and hands it to its member's
L{CommandInterpreter}.  The interpreter decides what the command means; the
front ends only translate.  Other front ends (IRC) have their own language and
call L{twisted_chat.chat.core.Chat} directly.
"""

from collections.abc import Coroutine
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_chat.chat.accounts import Accounts, ChatAccount, ILoginMind
from twisted_chat.chat.commands import (
    AUDIENCES,
    COMMANDS,
    CONSOLE,
    EVERYONE,
    ROOM_OPERATORS,
    SERVER_OPERATORS,
    Act,
    Certificates,
    ChangePassword,
    Command,
    CommandSpec,
    Help,
    History,
    Join,
    ListRooms,
    Login,
    Message,
    Part,
    Pong,
    QuitCommand,
    Register,
    Resume,
    Say,
    SetNick,
    Topic,
    Who,
)
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import (
    AlreadyRegistered,
    BadArguments,
    ChatError,
    LoginRequired,
    NotLoggedIn,
    UnknownCommand,
)
from twisted_chat.chat.events import (
    ErrorReply,
    Event,
    HelpText,
    Notice,
    RoomListEnd,
    Welcome,
)
from twisted_chat.chat.model import Member
from twisted_chat.chat.moderationcommands import MODERATION_COMMANDS
from twisted_chat.chat.names import isRoomName
from twisted_chat.connection.ordering import EffectOrder
from twisted_chat.frontends.commands.arrival import Arrival
from twisted_chat.frontends.commands.moderation import ModerationCommands
from twisted_chat.limits import ARRIVAL_GRACE, ROOM_LIST_MAX

ALLOWED_BEFORE_LOGIN = (SetNick, Login, Register, Help, Pong, QuitCommand)
"""What a guest may do on a server that requires login."""

_WAITED_FOR = (Login, Register, ChangePassword, QuitCommand)
"""Commands the next line waits for: they change who the member is."""

_PIPELINED = (Say, Act, Message)
"""
Commands that may start while the member's earlier messages are on their
way to the store (which keeps their order); any other waits until those
have been delivered (L{EffectOrder}).
"""

HELP_HEADINGS = {
    EVERYONE: "Lines not starting with / go to your current room;"
    " //text sends text starting with /. Commands:",
    ROOM_OPERATORS: "Keeping order in a room you operate (you operate a room"
    " you make; a founder's rank is kept):",
    SERVER_OPERATORS: "For server operators:",
    CONSOLE: "At the console:",
}
"""What C{/help} says before each audience's commands."""


@implementer(ILoginMind)
class CommandInterpreter:
    """
    Carries out one member's commands and tells it about its mistakes; it is
    the mind (L{ILoginMind}) its member logs in with.

    @ivar requireLogin: whether the member must log in (or register) before
        it may join rooms or speak.
    @ivar arrival: when the member is put in the lobby.

    There is one per connection for as long as it is open: slotted, and
    what carries out a member's moderation is made only if it moderates.
    """

    __slots__ = (
        "_moderation",
        "accounts",
        "arrival",
        "certificate",
        "chat",
        "member",
        "order",
        "requireLogin",
    )

    log = Logger()

    def __init__(
        self,
        chat: Chat,
        member: Member,
        accounts: Accounts,
        *,
        clock: IReactorTime | None = None,
        arrivalGrace: float = ARRIVAL_GRACE,
        requireLogin: bool = False,
        certificate: str | None = None,
    ) -> None:
        """
        @param clock: the time for the member's arrival; L{None} puts it in
            the lobby at its welcome.
        @param arrivalGrace: seconds it has to choose its rooms first.
        @param certificate: the fingerprint of the client certificate its
            connection presents over TLS, if any, for C{/cert add}.
        """
        self.certificate = certificate
        self.chat = chat
        self.member = member
        self.accounts = accounts
        self.requireLogin = requireLogin and not member.privileged
        self.arrival = Arrival(
            chat, member, clock, self.reportError, grace=arrivalGrace
        )
        self._moderation: ModerationCommands | None = None
        self.order = EffectOrder()

    @property
    def moderation(self) -> ModerationCommands:
        """What carries out the member's commands that keep order."""
        if self._moderation is None:
            self._moderation = ModerationCommands(self.chat, self.member, self._reply)
        return self._moderation

    def start(self) -> None:
        """
        Greet a new member with its nick, and let it arrive: it is put in the
        lobby unless its first lines choose its rooms (L{Arrival}).  Where
        login is required, tell it how to log in.
        """
        nick = self.member.nick
        if self.requireLogin:
            text = (
                f"Welcome to twisted_chat, {nick}! This server needs an account:"
                " /login NICK PASSWORD, or /nick NAME then /register PASSWORD."
            )
        else:
            text = f"Welcome to twisted_chat, {nick}! Type /help for the commands."
        self._reply(Welcome(nick, text))
        self.arrival.begin(needsLogin=self.requireLogin)

    def stop(self) -> None:
        """The member's connection is gone."""
        self.arrival.stop()

    def execute(self, command: Command) -> Deferred[None] | None:
        """
        Carry out C{command}; a L{ChatError} becomes an C{ERROR} reply.

        A command other than a message waits until the member's earlier
        messages have been delivered, so that its reply never overtakes
        them (L{EffectOrder}).

        @return: a Deferred if the next command must wait for this one to
            finish (logging in or quitting changes who the member is, or it
            waits for earlier messages), else L{None}.
        """
        if not isinstance(command, _PIPELINED) and not self.order.settled:
            return self.order.after(lambda: self._executeNow(command))
        return self._executeNow(command)

    def _executeNow(self, command: Command) -> Deferred[None] | None:
        if not self.member.present:
            return None
        try:
            outcome = self._dispatch(command)
        except ChatError as error:
            self.reportError(error)
            return None
        if outcome is None:
            return None
        self.arrival.checking(command, outcome)
        outcome.addErrback(self._failed)
        if isinstance(command, _WAITED_FOR):
            return outcome
        self.order.track(outcome)
        return None

    def tell(self, text: str) -> None:
        """Tell the member something from the server, for it to read."""
        self._reply(Notice(text))

    def reportError(self, error: ChatError) -> None:
        """
        Tell the member why its last line was refused.
        """
        self._reply(ErrorReply(error.code, error.message))

    def _failed(self, failure: Failure) -> None:
        if failure.check(ChatError):
            assert isinstance(failure.value, ChatError)
            self.reportError(failure.value)
        else:
            self.log.failure(
                "Carrying out a command of {nick} failed",
                failure,
                nick=self.member.nick,
            )

    def _dispatch(self, command: Command) -> Deferred[Any] | None:
        chat, member = self.chat, self.member
        loggedOut = self.requireLogin and member.account is None
        if loggedOut and not isinstance(command, ALLOWED_BEFORE_LOGIN):
            raise LoginRequired(
                "Log in first: /login NICK PASSWORD, or /register PASSWORD."
            )
        if not self.arrival.before(command):
            return None
        match command:
            case Say(text):
                return chat.say(member, None, text)
            case Act(text, room):
                return chat.say(member, room, text, action=True)
            case Message(target, text) if isRoomName(target):
                return chat.say(member, target, text)
            case Message(target, text):
                return chat.sendPrivate(member, target, text)
            case SetNick(nick):
                chat.changeNick(member, nick)
            case Join(room, key):
                chat.join(member, room, key)
            case Resume(room, after, key):
                chat.resume(member, room, after, key)
            case History(room, before, limit):
                chat.history(member, room, before, limit)
            case Part(room, reason):
                chat.part(member, room, reason)
            case Who(room):
                self._reply(chat.membersOf(self._roomName(room), member))
            case ListRooms():
                entries = chat.listRooms(member)
                for entry in entries[:ROOM_LIST_MAX]:
                    self._reply(entry)
                self._reply(RoomListEnd(len(entries)))
            case Topic(room, None):
                self._reply(chat.topicOf(self._roomName(room), member))
            case Topic(room, str() as text):
                return chat.setTopic(member, room, text)
            case Register(password):
                return self._run(self._register(password))
            case Login(nick, password):
                return self._run(self._login(nick, password))
            case ChangePassword(old, new):
                return self._run(self._changePassword(old, new))
            case Certificates(action, fingerprint):
                return self._run(self._certificates(action, fingerprint))
            case QuitCommand(reason):
                chat.quit(member, reason)
            case _ if isinstance(command, MODERATION_COMMANDS):
                return self.moderation.execute(command)
            case Help(name):
                self._help(name)
            case Pong():
                pass
            case _:
                raise TypeError(f"no handler for {command!r}")
        return None

    @staticmethod
    def _run(work: Coroutine[Any, Any, None]) -> Deferred[None]:
        return ensureDeferred(work)

    async def _register(self, password: str) -> None:
        member, nick = self.member, self.member.nick
        if member.account is not None:
            raise AlreadyRegistered(f"You are logged in as {member.account} already.")
        await self.accounts.registerNick(self, nick, password)

    async def _login(self, nick: str, password: str) -> None:
        await self.accounts.login(nick, password, self.member.address, self)

    def loggedIn(self, account: ChatAccount) -> None:
        """
        L{ILoginMind}: nothing more to say; the core told the member it is
        logged in as it bound the account.
        """

    async def _changePassword(self, old: str, new: str) -> None:
        if self.member.account is None:
            raise NotLoggedIn("Log in first: /login NICK PASSWORD.")
        await self.accounts.changePassword(
            self.member.account, old, new, self.member.address
        )
        self._reply(Notice("Your password has been changed."))

    async def _certificates(self, action: str, fingerprint: str | None) -> None:
        """
        List, add or remove the client certificates SASL EXTERNAL logs in
        to the member's account with; only the connection's own may be
        added, so that nobody registers a certificate whose key they lack.
        """
        account = self.member.account
        if account is None:
            raise NotLoggedIn("Log in first: /login NICK PASSWORD.")
        if action == "add":
            await self.accounts.addCertificate(account, self.certificate)
            self._reply(Notice(f"Certificate {self.certificate} added."))
        elif action == "del":
            removed = fingerprint or self.certificate
            if removed is None:
                raise BadArguments("Name the certificate: /cert del FINGERPRINT.")
            await self.accounts.removeCertificate(account, removed)
            self._reply(Notice(f"Certificate {removed} removed."))
        else:
            listed = await self.accounts.certificates(account)
            for registered in listed:
                self._reply(Notice(f"Certificate {registered}"))
            self._reply(Notice(f"{len(listed)} certificates registered."))

    def _roomName(self, room: str | None) -> str:
        """
        The named room, or the member's current one.
        """
        return room if room is not None else self.chat.roomOf(self.member, None).name

    def _help(self, name: str | None) -> None:
        """
        List the commands for the member (a server operator's and the
        console's only to them), under a heading for each audience, or
        explain one.
        """
        audiences = {EVERYONE, ROOM_OPERATORS}
        if self.chat.operators.isServerOperator(self.member):
            audiences.add(SERVER_OPERATORS)
        if self.member.privileged:
            audiences.add(CONSOLE)
        specs = [spec for spec in COMMANDS.values() if spec.audience in audiences]
        if name is not None:
            specs = [spec for spec in specs if spec.name == name.lstrip("/").lower()]
            if not specs:
                raise UnknownCommand(f"There is no command /{name}; type /help.")
            self._helpLines(specs, len(specs[0].usage))
            return
        specs = [spec for spec in specs if not spec.forPrograms]
        for audience in AUDIENCES:
            listed = [spec for spec in specs if spec.audience == audience]
            if listed:
                self._reply(HelpText(HELP_HEADINGS[audience]))
                self._helpLines(listed, max(len(spec.usage) for spec in listed))

    def _helpLines(self, specs: list[CommandSpec], width: int) -> None:
        for spec in specs:
            self._reply(HelpText(f"  {spec.usage.ljust(width)}  {spec.summary}"))

    def _reply(self, event: Event) -> None:
        if self.member.present:
            self.member.participant.deliver(event)
