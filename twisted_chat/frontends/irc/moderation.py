"""
What an IRC client does to keep order: MODE (a channel's, carried out by
L{twisted_chat.frontends.irc.channelmodes}, or its own), KICK, INVITE,
OPER, KILL and WALLOPS, each carried out through the chat core's room
moderation (L{twisted_chat.chat.moderation}) and server operators
(L{twisted_chat.chat.serverops}), whose refusals become the numerics IRC
has for them.  What a change looks like to the room is the core's event,
rendered by L{twisted_chat.frontends.irc.render}.
"""

from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.python.failure import Failure
from twisted.words.protocols.irc import (
    ERR_CANTKILLSERVER,
    ERR_NEEDMOREPARAMS,
    ERR_NOOPERHOST,
    ERR_NOTONCHANNEL,
    ERR_TOOMANYTARGETS,
    ERR_USERSDONTMATCH,
    RPL_UMODEIS,
    RPL_YOUREOPER,
)

from twisted_chat.chat.errors import ChatError, NoSuchNick, NotInRoom, NotPermitted
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.frontends.irc.channelmodes import ChannelModes, tellNotThere
from twisted_chat.frontends.irc.queries import IRCQueries
from twisted_chat.frontends.irc.registration import MAX_TARGETS

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol


class IRCModeration:
    """
    The commands of one registered IRC client that keep order.

    @ivar client: the connection whose commands these are.
    @ivar chat: the chat core they are carried out on.
    @ivar queries: the client's questions, for C{301} to whoever invites an
        away member.
    """

    def __init__(self, client: "IRCChatProtocol", queries: IRCQueries) -> None:
        self.client = client
        self.chat = client.factory.chat
        self.queries = queries

    @property
    def member(self) -> Member:
        """The client's member: these commands are a registered client's."""
        member = self.client.member
        assert member is not None
        return member

    # MODE

    def mode(self, params: tuple[str, ...]) -> None:
        """
        C{MODE #room} shows its modes; C{MODE #room b} (and C{I}) its lists;
        C{MODE #room +o-v alice bob} changes.  A client's own modes are
        always C{+}; another's cannot be asked.
        """
        client = self.client
        if not params:
            client.numeric(ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters")
            return
        target = params[0]
        if target.startswith("#"):
            # irssi asks for all the channels it joined at once: MODE #a,#b.
            for channel in target.split(","):
                ChannelModes(client, channel).carryOut(params[1:])
        elif fold(target) == fold(self.member.nick):
            if len(params) == 1:
                client.numeric(RPL_UMODEIS, "+")
        else:
            client.numeric(ERR_USERSDONTMATCH, "Cannot change mode for other users")

    # KICK and INVITE

    def kick(self, params: tuple[str, ...]) -> None:
        """
        C{KICK #room nick[,nick...] [:reason]}, or as many channels as nicks
        (each nick out of the channel in its place); at most
        L{MAX_TARGETS} nicks, each costing a line of the flood allowance.
        """
        client = self.client
        if len(params) < 2:
            client.numeric(ERR_NEEDMOREPARAMS, "KICK", "Not enough parameters")
            return
        rooms = params[0].split(",")
        nicks = params[1].split(",")
        reason = params[2] if len(params) > 2 else ""
        if len(rooms) == 1:
            # Each nick once, however often (in whatever case) it is named.
            distinct = {fold(nick): nick for nick in nicks if nick}
            pairs = [(rooms[0], nick) for nick in distinct.values()]
        elif len(rooms) == len(nicks):
            pairs = list(zip(rooms, nicks, strict=True))
        else:
            client.numeric(
                ERR_NEEDMOREPARAMS, "KICK",
                "Name one channel, or as many channels as nicks",
            )  # fmt: skip
            return
        if len(pairs) > MAX_TARGETS:
            client.numeric(
                ERR_TOOMANYTARGETS, params[1],
                f"Too many nicks (at most {MAX_TARGETS}); nobody was kicked",
            )  # fmt: skip
            return
        client.guard.charge(len(pairs) - 1)
        for room, nick in pairs:
            try:
                self.chat.moderation.kick(self.member, room, nick, reason)
            except NotInRoom:
                tellNotThere(client, nick, room)
            except ChatError as error:
                client.refuse(error, room)

    def invite(self, params: tuple[str, ...]) -> None:
        """
        C{INVITE nick #room}: 341 to the inviter, C{INVITE} to the invitee
        (both rendered from the core's L{Invited}).
        """
        client = self.client
        if len(params) < 2:
            client.numeric(ERR_NEEDMOREPARAMS, "INVITE", "Not enough parameters")
            return
        nick, room = params[0], params[1]
        try:
            invitee = self.chat.memberNamed(nick)
            self.chat.moderation.invite(self.member, room, invitee)
        except NoSuchNick as error:
            client.refuse(error, nick)
        except NotInRoom:
            client.numeric(ERR_NOTONCHANNEL, room, "You're not on that channel")
        except ChatError as error:
            # 443 names the nick and the channel; the others the channel.
            subjects = (nick, room) if error.code == "already-in-room" else (room,)
            client.refuse(error, *subjects)
        else:
            self.queries.tellAway(nick)

    # Server operators

    def oper(self, params: tuple[str, ...]) -> Deferred[None] | None:
        """
        C{OPER name password}: log in to the account C{name} (as SASL and
        C{/login} do, taking its nick), then 381 if it is a server operator
        or 491 if not; a wrong password is 464.  The lines after it wait.
        """
        client = self.client
        if len(params) < 2:
            client.numeric(ERR_NEEDMOREPARAMS, "OPER", "Not enough parameters")
            return None
        name, password = params[0], params[1]
        accounts = client.factory.accounts
        checking = ensureDeferred(
            accounts.login(name, password, client.peerHost, client.registration)
        )

        def loggedIn(_: object) -> None:
            member = client.member
            if member is None or not member.present:
                return
            if self.chat.operators.isServerOperator(member):
                client.numeric(RPL_YOUREOPER, "You are now a server operator")
            else:
                client.numeric(
                    ERR_NOOPERHOST,
                    f"You are logged in as {member.nick}, not a server operator",
                )

        def refused(failure: Failure) -> None:
            failure.trap(ChatError)
            assert isinstance(failure.value, ChatError)
            client.refuse(failure.value)

        return checking.addCallbacks(loggedIn, refused)

    def kill(self, params: tuple[str, ...]) -> None:
        """C{KILL nick [:reason]}: a server operator disconnects C{nick}."""
        client = self.client
        if not params:
            client.numeric(ERR_NEEDMOREPARAMS, "KILL", "Not enough parameters")
            return
        nick = params[0]
        reason = params[1] if len(params) > 1 else ""
        try:
            self.chat.operators.kill(self.member, nick, reason)
        except NoSuchNick as error:
            client.refuse(error, nick)
        except NotPermitted as error:
            client.numeric(ERR_CANTKILLSERVER, error.message)
        except ChatError as error:
            client.refuse(error)

    def wallops(self, params: tuple[str, ...]) -> None:
        """
        C{WALLOPS :text}: a server operator's announcement to everyone on
        the server, IRC and line users alike.
        """
        client = self.client
        if not params or not params[0]:
            client.numeric(ERR_NEEDMOREPARAMS, "WALLOPS", "Not enough parameters")
            return
        try:
            self.chat.operators.announce(self.member, params[0])
        except ChatError as error:
            client.refuse(error)
