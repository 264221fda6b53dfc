"""
The questions an IRC client asks, which change nothing: NAMES, WHO, WHOIS,
LIST, USERHOST and ISON, each answered with its numerics from what the
chat core says.  MODE, which asks or changes, is moderation's
(L{twisted_chat.frontends.irc.moderation}).
"""

from typing import TYPE_CHECKING, Final

from twisted.words.protocols.irc import (
    ERR_NONICKNAMEGIVEN,
    RPL_AWAY,
    RPL_ENDOFNAMES,
    RPL_ENDOFWHO,
    RPL_ENDOFWHOIS,
    RPL_ISON,
    RPL_LIST,
    RPL_LISTEND,
    RPL_LISTSTART,
    RPL_USERHOST,
    RPL_WHOISCHANNELS,
    RPL_WHOISOPERATOR,
    RPL_WHOISSERVER,
    RPL_WHOISUSER,
    RPL_WHOREPLY,
)

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.model import Member
from twisted_chat.frontends.irc.ranks import prefixes
from twisted_chat.frontends.irc.render import USER_HOST, namesReplies

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol


CHEAP_QUERIES: Final = frozenset(
    {"CAP", "ISON", "MODE", "NAMES", "PING", "PONG", "USERHOST", "WHO", "WHOIS"}
)
CHEAP_QUERY_COST: Final = 0.5
"""
Commands that ask and change nothing cost this much of the flood
allowance, a message a whole line: clients send a handful of them after
every join (ergo's fakelag practice).  A MODE that changes something is
charged the rest of a line
(L{twisted_chat.frontends.irc.moderation.IRCModeration.mode}).
"""


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

    @property
    def multiPrefix(self) -> bool:
        """Whether the client asked to be shown every prefix of a rank."""
        return "multi-prefix" in self.client.capabilities

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
                members = self.chat.membersOf(room, member)
            except ChatError:
                client.numeric(RPL_ENDOFNAMES, room, "End of /NAMES list")
                continue
            for reply in namesReplies(
                client.factory.serverName, client.name, members.room, members.nicks, members.ranks,
                self.multiPrefix,
            ):  # fmt: skip
                client.send(reply)

    def who(self, params: tuple[str, ...]) -> None:
        # irssi asks for all the channels it joined at once: WHO #a,#b.
        for each in (params[0] if params else "*").split(","):
            self._whoOne(each)

    def _whoOne(self, mask_: str) -> None:
        chat = self.chat
        found: list[tuple[Member, str]] = []
        try:
            if mask_.startswith("#"):
                members = chat.membersOf(mask_, self.member)
                ranks = members.ranks or (0,) * len(members.nicks)
                for nick, rank in zip(members.nicks, ranks, strict=True):
                    member = chat.memberIfPresent(nick)
                    if member is not None:
                        found.append((member, prefixes(rank, self.multiPrefix)))
            else:
                found.append((chat.memberNamed(mask_), ""))
        except ChatError:
            pass
        for member, shown in found:
            nick = member.nick
            self.client.numeric(
                RPL_WHOREPLY, mask_ if mask_.startswith("#") else "*", nick,
                USER_HOST, self.client.factory.serverName, nick, self._flags(member) + shown,
                f"0 {nick}",
            )  # fmt: skip
        self.client.numeric(RPL_ENDOFWHO, mask_, "End of /WHO list")

    def _flags(self, member: Member) -> str:
        """
        WHO's flags before the prefixes: here (C{H}) or gone (C{G}, away),
        and C{*} for a server operator.
        """
        here = "G" if member.away is not None else "H"
        return here + ("*" if self.chat.operators.isServerOperator(member) else "")

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
            asker = self.member
            rooms = " ".join(
                prefixes(room.members[member].rank, self.multiPrefix) + room.name
                for room in member.rooms.values()
                if not room.settings.secret or asker in room.members
            )
            if rooms:
                numeric(RPL_WHOISCHANNELS, member.nick, rooms)
            server = self.client.factory.serverName
            numeric(RPL_WHOISSERVER, member.nick, server, "twisted_chat")
            if self.chat.operators.isServerOperator(member):
                numeric(RPL_WHOISOPERATOR, member.nick, "is a server operator")
            self.tellAway(member.nick)
        numeric(RPL_ENDOFWHOIS, nick, "End of /WHOIS list")

    def listRooms(self, params: tuple[str, ...]) -> None:
        numeric = self.client.numeric
        numeric(RPL_LISTSTART, "Channel", "Users  Name")
        for entry in self.chat.listRooms(self.member):
            numeric(RPL_LIST, entry.room, str(entry.memberCount), entry.topic)
        numeric(RPL_LISTEND, "End of /LIST")

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
