"""
What an IRC client does in the chat, command by command: JOIN, PART,
PRIVMSG and NOTICE, TOPIC, AWAY, NICK, PING, PONG and QUIT, each carried
out as calls on the chat core; and the table that finds each command
word's handler, registration's, the questions' and moderation's included.
"""

from collections.abc import Callable
from contextlib import suppress
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from twisted.internet.defer import Deferred
from twisted.words.protocols.irc import (
    ERR_CANNOTSENDTOCHAN,
    ERR_NEEDMOREPARAMS,
    ERR_NONICKNAMEGIVEN,
    ERR_NOORIGIN,
    ERR_NORECIPIENT,
    ERR_NOSUCHCHANNEL,
    ERR_NOTEXTTOSEND,
    ERR_TOOMANYTARGETS,
    RPL_NOWAWAY,
    RPL_UNAWAY,
)

from twisted_chat.chat.errors import ChatError, NickBanned, NotInRoom
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.chat.textrules import checkText
from twisted_chat.frontends.irc.accountcommands import IRCAccounts
from twisted_chat.frontends.irc.chathistory import ChatHistory
from twisted_chat.frontends.irc.ircv3 import IRCv3Commands
from twisted_chat.frontends.irc.moderation import IRCModeration
from twisted_chat.frontends.irc.queries import IRCQueries
from twisted_chat.frontends.irc.registration import MAX_TARGETS, Registration
from twisted_chat.frontends.irc.render import closingLink, topicReplies
from twisted_chat.frontends.irc.sasl import SASL
from twisted_chat.frontends.irc.serverinfo import IRCServerInfo
from twisted_chat.wire.irc import ERR_BANNICKCHANGE, IRCMessage

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol

Handler = Callable[[tuple[str, ...]], Deferred[None] | None]
"""
What carries out one command, given its parameters; a Deferred returned
makes the client's next lines wait for it.
"""

BEFORE_REGISTRATION: Final = frozenset(
    {
        "AUTHENTICATE",
        "CAP",
        "NICK",
        "USER",
        "PASS",
        "PING",
        "PONG",
        "QUIT",
        "REGISTER",
        "VERIFY",
    }
)
"""The commands a client may send before it has registered."""


def distinctTargets(targets: str) -> list[str]:
    """
    The recipients of a comma list, each once (compared as names are), in
    the order given; empty items are left out.
    """
    distinct: dict[str, str] = {}
    for target in targets.split(","):
        if target:
            distinct.setdefault(fold(target), target)
    return list(distinct.values())


HANDLERS: Final[dict[str, tuple[str, str]]] = {
    "CAP": ("registration", "cap"),
    "NICK": ("", "nick"),
    "USER": ("registration", "userCommand"),
    "PASS": ("registration", "password"),
    "AUTHENTICATE": ("sasl", "authenticate"),
    "REGISTER": ("accounts", "register"),
    "VERIFY": ("accounts", "verify"),
    "CERTFP": ("accounts", "certfp"),
    "PING": ("", "ping"),
    "PONG": ("", "pong"),
    "QUIT": ("", "quit"),
    "JOIN": ("", "join"),
    "PART": ("", "part"),
    "PRIVMSG": ("", "privmsg"),
    "NOTICE": ("", "notice"),
    "TOPIC": ("", "topic"),
    "NAMES": ("queries", "names"),
    "WHO": ("queries", "who"),
    "WHOIS": ("queries", "whois"),
    "LIST": ("queries", "listRooms"),
    "MODE": ("moderation", "mode"),
    "KICK": ("moderation", "kick"),
    "INVITE": ("moderation", "invite"),
    "OPER": ("moderation", "oper"),
    "KILL": ("moderation", "kill"),
    "WALLOPS": ("moderation", "wallops"),
    "AWAY": ("", "away"),
    "USERHOST": ("queries", "userhost"),
    "ISON": ("queries", "ison"),
    "WHOWAS": ("queries", "whowas"),
    "LUSERS": ("serverInfo", "lusers"),
    "STATS": ("serverInfo", "stats"),
    "MOTD": ("serverInfo", "motd"),
    "TIME": ("serverInfo", "time"),
    "INFO": ("serverInfo", "info"),
    "VERSION": ("serverInfo", "version"),
    "ADMIN": ("serverInfo", "admin"),
    "HELP": ("serverInfo", "help"),
    "HELPOP": ("serverInfo", "help"),
    "TAGMSG": ("ircv3", "tagmsg"),
    "SETNAME": ("ircv3", "setname"),
    "MONITOR": ("ircv3", "monitor"),
    "CHATHISTORY": ("history", "chathistory"),
}
"""
The handler of each command word the server knows: which of a client's
L{IRCCommands} parts carries it out (C{""} for L{IRCCommands} itself), and
the method's name.  One table for every client: a table of bound methods
per client was 3.4 KB of each idle connection.
"""


class IRCCommands:
    """
    The commands of one IRC client, but for its questions and registration.

    Each part (the questions, moderation, the server's information, IRCv3's
    commands, C{CHATHISTORY}, SASL, accounts) is made the first time the
    client asks for something it carries out: most clients use few of them,
    and an idle connection none.

    @ivar client: the connection whose commands these are.
    @ivar chat: the chat core they are carried out on.
    @ivar registration: what registers the client.
    """

    def __init__(self, client: "IRCChatProtocol", registration: Registration) -> None:
        self.client = client
        self.chat = client.factory.chat
        self.registration = registration

    def handler(self, command: str) -> Handler | None:
        """
        The handler of C{command} (see L{HANDLERS}), or L{None} if the
        server does not know it.
        """
        where = HANDLERS.get(command)
        if where is None:
            return None
        part, method = where
        handler: Handler = getattr(getattr(self, part) if part else self, method)
        return handler

    @cached_property
    def queries(self) -> IRCQueries:
        """What answers the client's questions."""
        return IRCQueries(self.client)

    @cached_property
    def moderation(self) -> IRCModeration:
        """What carries out the commands that keep order."""
        return IRCModeration(self.client, self.queries)

    @cached_property
    def serverInfo(self) -> IRCServerInfo:
        """What answers the client's questions about the server."""
        return IRCServerInfo(self.client)

    @cached_property
    def ircv3(self) -> IRCv3Commands:
        """IRCv3's commands, and its status messages."""
        return IRCv3Commands(self.client)

    @cached_property
    def history(self) -> ChatHistory:
        """C{CHATHISTORY}."""
        return ChatHistory(self.client)

    @cached_property
    def sasl(self) -> SASL:
        """The client's SASL exchange."""
        return SASL(self.client, self.registration)

    @cached_property
    def accounts(self) -> IRCAccounts:
        """Registering an account, and client certificates."""
        return IRCAccounts(self.client)

    @property
    def member(self) -> Member:
        """The client's member: these commands are a registered client's."""
        member = self.client.member
        assert member is not None
        return member

    # The connection

    def nick(self, params: tuple[str, ...]) -> None:
        if not params or not params[0]:
            self.client.numeric(ERR_NONICKNAMEGIVEN, "No nickname given")
            return
        nick = params[0]
        if self.client.member is None:
            self.client.registration.nickChosen(nick)
            return
        try:
            self.chat.changeNick(self.client.member, nick)
        except NickBanned as error:
            self.client.numeric(ERR_BANNICKCHANGE, nick, error.room, error.message)
        except ChatError as error:
            self.client.refuse(error, nick)

    def ping(self, params: tuple[str, ...]) -> None:
        """PONG from the server, with the token; a PING without one is 409."""
        if not params or not params[0]:
            self.client.numeric(ERR_NOORIGIN, "No origin specified")
            return
        token = params[0]
        server = self.client.factory.serverName
        self.client.send(IRCMessage("PONG", (server, token), server))

    def pong(self, params: tuple[str, ...]) -> None:
        """
        Any line shows the client is there; the guard has noted it.  A PONG
        without a token is answered 409, as a PING without one is.
        """
        if not params or not params[0]:
            self.client.numeric(ERR_NOORIGIN, "No origin specified")

    def quit(self, params: tuple[str, ...]) -> None:
        reason = params[0] if params and params[0] else "Leaving"
        if self.client.member is not None:
            self.chat.quit(self.client.member, reason)
        else:
            self.client.send(closingLink(reason))
            self.client.close()

    # Rooms and messages

    def join(self, params: tuple[str, ...]) -> None:
        """JOIN #a,#b key1,key2: each channel with the key in its place, if any."""
        if not params:
            self.client.numeric(ERR_NEEDMOREPARAMS, "JOIN", "Not enough parameters")
            return
        member = self.member
        keys = params[1].split(",") if len(params) > 1 else []
        for index, room in enumerate(params[0].split(",")):
            if room == "0":
                for joined in list(member.rooms.values()):
                    self.chat.part(member, joined.name, "Left all channels")
                continue
            if not room.startswith("#"):
                self.client.numeric(ERR_NOSUCHCHANNEL, room, "No such channel")
                continue
            key = keys[index] if index < len(keys) and keys[index] else None
            try:
                self.chat.join(member, room, key)
            except ChatError as error:
                self.client.refuse(error, room)

    def part(self, params: tuple[str, ...]) -> None:
        if not params:
            self.client.numeric(ERR_NEEDMOREPARAMS, "PART", "Not enough parameters")
            return
        member = self.member
        reason = params[1] if len(params) > 1 else ""
        for room in params[0].split(","):
            try:
                self.chat.part(member, room, reason)
            except ChatError as error:
                self.client.refuse(error, room)

    def privmsg(self, params: tuple[str, ...], notice: bool = False) -> None:
        """
        PRIVMSG, or NOTICE if C{notice}: a NOTICE is never answered, not
        even with an error.
        """
        client = self.client
        if not params:
            if not notice:
                client.numeric(ERR_NORECIPIENT, "No recipient given (PRIVMSG)")
            return
        if len(params) < 2 or not params[1]:
            if not notice:
                client.numeric(ERR_NOTEXTTOSEND, "No text to send")
            return
        member = self.member
        targets = distinctTargets(params[0])
        if len(targets) > MAX_TARGETS:
            if not notice:
                client.numeric(
                    ERR_TOOMANYTARGETS, params[0],
                    f"Too many recipients (at most {MAX_TARGETS});"
                    " the message was not sent",
                )  # fmt: skip
            return
        # Each recipient costs as much flood allowance as a line of its own.
        client.guard.charge(len(targets) - 1)
        text, action = params[1], False
        if text.startswith("\x01"):
            inner = text.strip("\x01")
            if not inner.upper().startswith("ACTION "):
                return  # other CTCP requests are not passed on
            text, action = inner[7:], True
        try:
            checkText(text)
        except ChatError as error:
            if not notice:
                client.tell(error.message)
            return
        targets = [
            target
            for target in targets
            if not self.ircv3.statusMessage(target, text, notice)
        ]
        if notice:
            # A notice is not stored, nor answered, even with an error.
            for target in targets:
                with suppress(ChatError):
                    self.chat.notice(member, target, text)
            return
        sent: Deferred[Any]
        for target in targets:
            try:
                if target.startswith("#"):
                    sent = self.chat.say(member, target, text, action=action)
                else:
                    # Private messages have no actions: the text says it.
                    said = f"* {member.nick} {text}" if action else text
                    sent = self.chat.sendPrivate(member, target, said)
                    if not notice:
                        self.queries.tellAway(target)
            except NotInRoom:
                # The room takes no messages from outside (+n).
                client.numeric(
                    ERR_CANNOTSENDTOCHAN, target,
                    "Cannot send to channel (no messages from outside: join it)",
                )  # fmt: skip
                continue
            except ChatError as error:
                client.refuse(error, target)
                continue
            sent.addErrback(client.failedLater, notice)
            client.order.track(sent)

    def notice(self, params: tuple[str, ...]) -> None:
        self.privmsg(params, notice=True)

    def topic(self, params: tuple[str, ...]) -> None:
        client = self.client
        if not params:
            client.numeric(ERR_NEEDMOREPARAMS, "TOPIC", "Not enough parameters")
            return
        member = self.member
        room = params[0]
        try:
            if len(params) == 1:
                topic = self.chat.topicOf(room, member)
                for reply in topicReplies(
                    client.factory.serverName, client.name, topic, asked=True
                ):
                    client.send(reply)
            else:
                topicSet = self.chat.setTopic(member, room, params[1])
                topicSet.addErrback(client.failedLater, False)
                client.order.track(topicSet)
        except ChatError as error:
            client.refuse(error, room)

    def away(self, params: tuple[str, ...]) -> None:
        member = self.member
        reason = params[0] if params else None
        try:
            self.chat.setAway(member, reason)
        except ChatError as error:
            self.client.tell(error.message)
            return
        if member.away is not None:
            self.client.numeric(RPL_NOWAWAY, "You have been marked as being away")
        else:
            self.client.numeric(RPL_UNAWAY, "You are no longer marked as being away")
