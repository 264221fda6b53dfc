"""
What an IRC client does to keep order: MODE (a channel's modes, its ban
and invitation lists, and changes of setting, rank, ban and mute), KICK,
INVITE, OPER, KILL and WALLOPS, each carried out through the chat core's
room moderation (L{twisted_chat.chat.moderation}) and server operators
(L{twisted_chat.chat.serverops}), whose refusals become the numerics IRC
has for them.  What a change looks like to the room is the core's event,
rendered by L{twisted_chat.frontends.irc.render}.
"""

from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.python.failure import Failure
from twisted.words.protocols.irc import (
    ERR_BANLISTFULL,
    ERR_CANTKILLSERVER,
    ERR_CHANOPRIVSNEEDED,
    ERR_NEEDMOREPARAMS,
    ERR_NOOPERHOST,
    ERR_NOSUCHNICK,
    ERR_NOTONCHANNEL,
    ERR_TOOMANYTARGETS,
    ERR_UNKNOWNMODE,
    ERR_USERNOTINCHANNEL,
    ERR_USERSDONTMATCH,
    RPL_ENDOFBANLIST,
    RPL_ENDOFINVITELIST,
    RPL_INVITELIST,
    RPL_UMODEIS,
    RPL_YOUREOPER,
)

from twisted_chat.chat.errors import (
    BadArguments,
    BadMask,
    ChatError,
    ListFull,
    NoSuchNick,
    NotInRoom,
    NotLoggedIn,
    NotOperator,
    NotPermitted,
)
from twisted_chat.chat.model import Member
from twisted_chat.chat.modes import (
    LIST_LETTERS,
    MUTE_PREFIX,
    ROOM_MODES,
    SETTING_LETTERS,
    ModeChange,
    RoomSettings,
    changeSetting,
    parseModes,
)
from twisted_chat.chat.names import fold
from twisted_chat.frontends.irc.queries import CHEAP_QUERY_COST, IRCQueries
from twisted_chat.frontends.irc.registration import MAX_MODES, MAX_TARGETS
from twisted_chat.frontends.irc.render import USER_HOST, modesReplies
from twisted_chat.wire.irc import ERR_INVALIDMODEPARAM

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol


def coreMask(argument: str) -> str | None:
    """
    A C{+b} argument as the core reads masks.  IRC clients see everyone
    as C{nick!nick@chat}, so a client that makes a ban from what it sees
    (irssi's C{/ban bob} sends C{*!*bob@chat}) names the host C{chat},
    which is no address: it is dropped, and the user part (C{*bob}: the
    C{*} is for ident's C{~}), which is the nick, names the nick when the
    nick part does not.  L{None} for such a
    mask that names nobody in particular (C{*!*@chat}: everyone).
    """
    prefix = argument[: len(MUTE_PREFIX)]
    if prefix.lower() != MUTE_PREFIX:
        prefix = ""
    body = argument[len(prefix) :]
    nick, bang, rest = body.partition("!")
    user, at, host = rest.rpartition("@")
    if not (bang and at) or fold(host) != USER_HOST:
        return argument
    if nick.strip("*") == "":
        # Clients write a user as *user, for ident's ~: here it is the nick.
        nick = user.removeprefix("*").lstrip("~")
    if nick.strip("*") == "":
        return None
    return f"{prefix}{nick}!*@*"


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
                ChannelModes(self, channel).carryOut(params[1:])
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
                self.tellNotThere(nick, room)
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

    def tellNotThere(self, nick: str, room: str) -> None:
        """441 for a nick not in C{room}; 401 for one not here at all."""
        if self.chat.memberIfPresent(nick) is None:
            self.client.numeric(ERR_NOSUCHNICK, nick, "No such nick/channel")
        else:
            self.client.numeric(
                ERR_USERNOTINCHANNEL, nick, room, "They aren't on that channel"
            )


class ChannelModes:
    """
    One channel's part of one MODE command: the question it asks or the
    changes it makes, each refusal told once with its numeric.

    Settings (C{+mk key}) are made together, as one C{MODE} the room sees;
    ranks, bans and mutes one at a time, so that one refused (a nick not
    there, a bad mask) does not hold back the others.
    """

    def __init__(self, moderation: IRCModeration, channel: str) -> None:
        self.client = moderation.client
        self.chat = moderation.chat
        self.member = moderation.member
        self.channel = channel
        self._moderation = moderation
        self._told: set[str] = set()

    def carryOut(self, rest: tuple[str, ...]) -> None:
        """Carry out the modes and arguments C{rest} (none: show the modes)."""
        if not rest:
            self._show()
            return
        letters, arguments = rest[0], list(rest[1:])
        if letters.lstrip("+") == "I" and not arguments:
            self._invitations()
            return
        try:
            changes = parseModes(self._known(letters), arguments)
        except BadArguments as error:
            self.client.numeric(ERR_NEEDMOREPARAMS, "MODE", error.message)
            return
        changes = self._bounded(self._masks(changes))
        if any(c.argument is not None or c.letter in SETTING_LETTERS for c in changes):
            # A change costs the rest of the line a query is let off.
            self.client.guard.charge(1 - CHEAP_QUERY_COST)
        settings = [c for c in changes if c.letter in SETTING_LETTERS]
        valid = [change for change in settings if self._validSetting(change)]
        if valid and not self._apply(valid):
            return
        for change in changes:
            if change.letter in SETTING_LETTERS:
                continue
            if change.argument is None:
                self._banList(change)
            elif not self._apply([change]):
                return

    def _show(self) -> None:
        """324 and 329: the channel's modes (its key for members) and age."""
        try:
            modes = self.chat.moderation.modesOf(self.member, self.channel)
        except ChatError as error:
            self.client.refuse(error, self.channel)
            return
        for reply in modesReplies(self.client.name, modes):
            self.client.send(reply)

    def _known(self, letters: str) -> str:
        """C{letters} without those this server has no mode for: 472 each."""
        known = []
        for letter in letters:
            if letter in "+-" or letter in ROOM_MODES:
                known.append(letter)
            else:
                self.client.numeric(
                    ERR_UNKNOWNMODE, letter, f"is not a mode of {self.channel}"
                )
        return "".join(known)

    def _bounded(self, changes: list[ModeChange]) -> list[ModeChange]:
        """The changes up to the L{MAX_MODES}th with an argument."""
        kept: list[ModeChange] = []
        withArgument = 0
        for change in changes:
            if change.argument is not None:
                withArgument += 1
                if withArgument > MAX_MODES:
                    self.client.tell(
                        f"Only the first {MAX_MODES} mode changes with an"
                        " argument were made (MODES); send the rest again."
                    )
                    break
            kept.append(change)
        return kept

    def _masks(self, changes: list[ModeChange]) -> list[ModeChange]:
        """
        C{changes} with each ban's mask as the core reads it
        (L{coreMask}); one that names everyone by the shown host is 696.
        """
        read = []
        for change in changes:
            if change.letter in LIST_LETTERS and change.argument is not None:
                mask = coreMask(change.argument)
                if mask is None:
                    self._invalid(
                        change,
                        BadMask(
                            f"Everyone's host here is {USER_HOST}: ban a nick"
                            " (bob!*@*), an account (account:bob) or an address."
                        ),
                    )
                    continue
                change = ModeChange(change.letter, change.on, mask)
            read.append(change)
        return read

    def _validSetting(self, change: ModeChange) -> bool:
        """Whether C{change}'s key or limit is one; 696 if not."""
        try:
            changeSetting(RoomSettings(), change)
        except ChatError as error:
            self._invalid(change, error)
            return False
        return True

    def _apply(self, changes: list[ModeChange]) -> bool:
        """
        Make C{changes}, or say why not; L{False} if the channel is not
        there, which ends the command.
        """
        change = changes[0]
        try:
            self.chat.moderation.setModes(self.member, self.channel, changes)
        except NotOperator as error:
            self._once(ERR_CHANOPRIVSNEEDED, self.channel, error.message)
        except NotInRoom:
            self._moderation.tellNotThere(change.argument or "*", self.channel)
        except (BadMask, NotLoggedIn) as error:
            self._invalid(change, error)
        except ListFull as error:
            self._once(ERR_BANLISTFULL, self.channel, change.letter, error.message)
        except ChatError as error:
            self.client.refuse(error, self.channel)
            return error.code not in ("no-such-room", "bad-room")
        return True

    def _banList(self, change: ModeChange) -> None:
        """
        367s and 368: the bans and mutes, for an operator; to anyone else
        (whose client asks on every join) the list ends at once.
        """
        try:
            self.chat.moderation.setModes(self.member, self.channel, [change])
        except NotOperator:
            self._once(
                RPL_ENDOFBANLIST, self.channel,
                "End of channel ban list (shown to its operators)",
            )  # fmt: skip
        except ChatError as error:
            self.client.refuse(error, self.channel)

    def _invitations(self) -> None:
        """346s and 347: whom an operator's channel awaits."""
        try:
            invited = self.chat.moderation.invitations(self.member, self.channel)
        except NotOperator:
            invited = []
        except ChatError as error:
            self.client.refuse(error, self.channel)
            return
        for nick in invited:
            self.client.numeric(RPL_INVITELIST, self.channel, f"{nick}!*@*")
        self.client.numeric(
            RPL_ENDOFINVITELIST, self.channel, "End of channel invite list"
        )

    def _invalid(self, change: ModeChange, error: ChatError) -> None:
        """696: C{change}'s argument is not one its mode takes."""
        self.client.numeric(
            ERR_INVALIDMODEPARAM, self.channel, change.letter,
            change.argument or "*", error.message,
        )  # fmt: skip

    def _once(self, code: str, *params: str) -> None:
        """Send numeric C{code}, but only the first time in this command."""
        if code not in self._told:
            self._told.add(code)
            self.client.numeric(code, *params)
