"""
The questions an IRC client asks, which change nothing: NAMES, WHO, WHOIS,
LIST, MODE (which shows modes and changes none), USERHOST and ISON, each
answered with its numerics from what the chat core says.
"""

from typing import TYPE_CHECKING

from twisted.words.protocols.irc import (
    ERR_CHANOPRIVSNEEDED,
    ERR_NEEDMOREPARAMS,
    ERR_NONICKNAMEGIVEN,
    ERR_NOSUCHCHANNEL,
    ERR_USERSDONTMATCH,
    RPL_AWAY,
    RPL_CHANNELMODEIS,
    RPL_ENDOFBANLIST,
    RPL_ENDOFNAMES,
    RPL_ENDOFWHO,
    RPL_ENDOFWHOIS,
    RPL_ISON,
    RPL_LIST,
    RPL_LISTEND,
    RPL_LISTSTART,
    RPL_UMODEIS,
    RPL_USERHOST,
    RPL_WHOISCHANNELS,
    RPL_WHOISSERVER,
    RPL_WHOISUSER,
    RPL_WHOREPLY,
)

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.frontends.irc.registration import CHANNEL_MODES
from twisted_chat.frontends.irc.render import SERVER_NAME, USER_HOST, namesReplies

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol


class IRCQueries:
    """
    The questions of one registered IRC client.

    @ivar client: the connection asking.
    @ivar chat: the chat core that answers.
    """

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client
        self.chat = client.factory.chat

    @property
    def member(self) -> Member:
        """The client's member: these are a registered client's questions."""
        member = self.client.member
        assert member is not None
        return member

    def tellAway(self, nick: str) -> None:
        """301, if C{nick} is marked away: that it is, and why."""
        member = self.chat.memberIfPresent(nick)
        if member is not None and member.away is not None:
            self.client.numeric(RPL_AWAY, member.nick, member.away)

    def names(self, params: tuple[str, ...]) -> None:
        client = self.client
        member = self.member
        rooms = (
            params[0].split(",") if params else [r.name for r in member.rooms.values()]
        )
        for room in rooms:
            try:
                members = self.chat.membersOf(room)
            except ChatError:
                client.numeric(RPL_ENDOFNAMES, room, "End of /NAMES list")
                continue
            for reply in namesReplies(client.name, members.room, members.nicks):
                client.send(reply)

    def who(self, params: tuple[str, ...]) -> None:
        # irssi asks for all the channels it joined at once: WHO #a,#b.
        for each in (params[0] if params else "*").split(","):
            self._whoOne(each)

    def _whoOne(self, mask_: str) -> None:
        chat = self.chat
        try:
            if mask_.startswith("#"):
                nicks = chat.membersOf(mask_).nicks
            else:
                nicks = (chat.memberNamed(mask_).nick,)
        except ChatError:
            nicks = ()
        for nick in nicks:
            self.client.numeric(
                RPL_WHOREPLY, mask_ if mask_.startswith("#") else "*", nick,
                USER_HOST, SERVER_NAME, nick, "H", f"0 {nick}",
            )  # fmt: skip
        self.client.numeric(RPL_ENDOFWHO, mask_, "End of /WHO list")

    def whois(self, params: tuple[str, ...]) -> None:
        numeric = self.client.numeric
        if not params:
            numeric(ERR_NONICKNAMEGIVEN, "No nickname given")
            return
        nick = params[-1]
        try:
            member = self.chat.memberNamed(nick)
        except ChatError as error:
            self.client.refuse(error, nick)
        else:
            numeric(
                RPL_WHOISUSER, member.nick, member.nick, USER_HOST, "*", member.nick
            )
            rooms = " ".join(room.name for room in member.rooms.values())
            if rooms:
                numeric(RPL_WHOISCHANNELS, member.nick, rooms)
            numeric(RPL_WHOISSERVER, member.nick, SERVER_NAME, "twisted_chat")
            self.tellAway(member.nick)
        numeric(RPL_ENDOFWHOIS, nick, "End of /WHOIS list")

    def listRooms(self, params: tuple[str, ...]) -> None:
        numeric = self.client.numeric
        numeric(RPL_LISTSTART, "Channel", "Users  Name")
        for entry in self.chat.listRooms():
            numeric(RPL_LIST, entry.room, str(entry.memberCount), entry.topic)
        numeric(RPL_LISTEND, "End of /LIST")

    def mode(self, params: tuple[str, ...]) -> None:
        if not params:
            self.client.numeric(ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters")
            return
        target = params[0]
        if target.startswith("#"):
            # irssi asks for all the channels it joined at once: MODE #a,#b.
            for channel in target.split(","):
                self._channelMode(channel, params[1:])
        elif fold(target) == fold(self.member.nick):
            if len(params) == 1:
                self.client.numeric(RPL_UMODEIS, "+")
        else:
            self.client.numeric(
                ERR_USERSDONTMATCH, "Cannot change mode for other users"
            )

    def _channelMode(self, channel: str, changes: tuple[str, ...]) -> None:
        numeric = self.client.numeric
        try:
            self.chat.membersOf(channel)
        except ChatError:
            numeric(ERR_NOSUCHCHANNEL, channel, "No such channel")
            return
        if not changes:
            numeric(RPL_CHANNELMODEIS, channel, f"+{CHANNEL_MODES}")
        elif changes[0].lstrip("+-") == "b":
            numeric(RPL_ENDOFBANLIST, channel, "End of channel ban list")
        else:
            numeric(
                ERR_CHANOPRIVSNEEDED, channel, "Channel modes cannot be changed here"
            )

    def userhost(self, params: tuple[str, ...]) -> None:
        found = []
        for nick in params[:5]:
            try:
                member = self.chat.memberNamed(nick)
            except ChatError:
                continue
            found.append(f"{member.nick}=+{member.nick}@{USER_HOST}")
        self.client.numeric(RPL_USERHOST, " ".join(found))

    def ison(self, params: tuple[str, ...]) -> None:
        present = []
        for nick in " ".join(params).split():
            try:
                present.append(self.chat.memberNamed(nick).nick)
            except ChatError:
                continue
        self.client.numeric(RPL_ISON, " ".join(present))
