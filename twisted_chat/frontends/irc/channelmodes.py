"""
One channel's part of a MODE command: showing its modes (324, 329) and
lists (bans and mutes in 367 and 368, invitations in 346 and 347), and
making changes of setting, rank, ban and mute through the core's
L{twisted_chat.chat.moderation.RoomModeration.setModes}, each refusal told
with its numeric.  Ban masks are read as the core reads them, from what
IRC clients are shown of everyone (L{coreMask}).
"""

from typing import TYPE_CHECKING

from twisted.words.protocols.irc import (
    ERR_BANLISTFULL,
    ERR_CHANOPRIVSNEEDED,
    ERR_NEEDMOREPARAMS,
    ERR_NOSUCHNICK,
    ERR_UNKNOWNMODE,
    ERR_USERNOTINCHANNEL,
    RPL_ENDOFBANLIST,
    RPL_ENDOFINVITELIST,
    RPL_INVITELIST,
)

from twisted_chat.chat.errors import (
    BadArguments,
    BadMask,
    ChatError,
    ListFull,
    NotInRoom,
    NotLoggedIn,
    NotOperator,
)
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
from twisted_chat.frontends.irc.queries import CHEAP_QUERY_COST
from twisted_chat.frontends.irc.registration import MAX_MODES
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
    nick part does not.  L{None} for such a mask that names nobody in
    particular (C{*!*@chat}: everyone).
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


def tellNotThere(client: "IRCChatProtocol", nick: str, room: str) -> None:
    """441 for a nick not in C{room}; 401 for one not here at all."""
    if client.factory.chat.memberIfPresent(nick) is None:
        client.numeric(ERR_NOSUCHNICK, nick, "No such nick/channel")
    else:
        client.numeric(ERR_USERNOTINCHANNEL, nick, room, "They aren't on that channel")


class ChannelModes:
    """
    One channel's part of one MODE command: the question it asks or the
    changes it makes, each refusal told once with its numeric.

    Settings (C{+mk key}) are made together, as one C{MODE} the room sees;
    ranks, bans and mutes one at a time, so that one refused (a nick not
    there, a bad mask) does not hold back the others.
    """

    def __init__(self, client: "IRCChatProtocol", channel: str) -> None:
        member = client.member
        assert member is not None, "MODE is a registered client's"
        self.client = client
        self.chat = client.factory.chat
        self.member = member
        self.channel = channel
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
        for reply in modesReplies(
            self.client.factory.serverName, self.client.name, modes
        ):
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
            tellNotThere(self.client, change.argument or "*", self.channel)
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
