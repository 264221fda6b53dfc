"""
The questions an IRC client asks about its users and channels, which change
nothing: NAMES, WHOIS, WHOWAS, LIST, USERHOST and ISON, each answered with
its numerics from what the chat core says (WHO is
L{twisted_chat.frontends.irc.who}'s).  MODE, which asks or changes, is moderation's
(L{twisted_chat.frontends.irc.moderation}).
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from twisted.words.protocols.irc import (
    ERR_NEEDMOREPARAMS,
    ERR_NONICKNAMEGIVEN,
    ERR_WASNOSUCHNICK,
    RPL_AWAY,
    RPL_ENDOFNAMES,
    RPL_ENDOFWHOIS,
    RPL_ENDOFWHOWAS,
    RPL_ISON,
    RPL_LIST,
    RPL_LISTEND,
    RPL_LISTSTART,
    RPL_USERHOST,
    RPL_WHOISCHANNELS,
    RPL_WHOISOPERATOR,
    RPL_WHOISSERVER,
    RPL_WHOISUSER,
    RPL_WHOWASUSER,
)

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.model import Member
from twisted_chat.frontends.irc.ranks import prefixes
from twisted_chat.frontends.irc.render import USER_HOST, namesReplies
from twisted_chat.frontends.irc.who import IRCWho, globPattern, realNameOf, userOf

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
        self.who = IRCWho(client).who

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
                RPL_WHOISUSER, member.nick, userOf(member), USER_HOST, "*",
                realNameOf(member),
            )  # fmt: skip
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

    def whowas(self, params: tuple[str, ...]) -> None:
        """
        C{WHOWAS nick[,nick] [count]}: who last used each nick, newest
        first (314, 312), or 406; then 369.
        """
        numeric = self.client.numeric
        if not params or not params[0]:
            numeric(ERR_NONICKNAMEGIVEN, "No nickname given")
            return
        count = None
        if (
            len(params) > 1
            and params[1].isascii()
            and params[1].isdigit()
            and int(params[1]) > 0
        ):
            count = int(params[1])
        server = self.client.factory.serverName
        for nick in params[0].split(","):
            departures = self.chat.whowas.lookup(nick, count)
            if not departures:
                numeric(ERR_WASNOSUCHNICK, nick, "There was no such nickname")
            for gone in departures:
                numeric(
                    RPL_WHOWASUSER, gone.nick, gone.userName or gone.nick,
                    USER_HOST, "*", gone.realName or gone.nick,
                )  # fmt: skip
                when = datetime.fromtimestamp(gone.time / 1000, UTC)
                numeric(
                    RPL_WHOISSERVER, gone.nick, server,
                    when.strftime("%a %b %d %H:%M:%S %Y UTC"),
                )  # fmt: skip
            numeric(RPL_ENDOFWHOWAS, nick, "End of WHOWAS")

    def listRooms(self, params: tuple[str, ...]) -> None:
        """
        C{LIST [conditions]}: the rooms, or those matching a comma list of
        masks (C{#a*}, C{!#b*} for those not matching) and member counts
        (C{>N}, C{<N}), as ELIST's C{M}, C{N} and C{U} say.
        """
        numeric = self.client.numeric
        masks, excluded, atLeast, below = [], [], 0, None
        for condition in params[0].split(",") if params else []:
            if (
                condition[:1] == ">"
                and condition[1:].isascii()
                and condition[1:].isdigit()
            ):
                atLeast = max(atLeast, int(condition[1:]) + 1)
            elif (
                condition[:1] == "<"
                and condition[1:].isascii()
                and condition[1:].isdigit()
            ):
                below = int(condition[1:])
            elif condition.startswith("!"):
                excluded.append(globPattern(condition[1:]))
            elif condition:
                masks.append(globPattern(condition))
        numeric(RPL_LISTSTART, "Channel", "Users  Name")
        for entry in self.chat.listRooms(self.member):
            if (
                entry.memberCount < atLeast
                or (below is not None and entry.memberCount >= below)
                or (masks and not any(m.fullmatch(entry.room) for m in masks))
                or any(m.fullmatch(entry.room) for m in excluded)
            ):
                continue
            numeric(RPL_LIST, entry.room, str(entry.memberCount), entry.topic)
        numeric(RPL_LISTEND, "End of /LIST")

    def userhost(self, params: tuple[str, ...]) -> None:
        """
        C{USERHOST nick...}: up to five nicks' C{nick=+user@host}, C{*}
        after a server operator's nick and C{-} for one away.
        """
        if not params:
            self.client.numeric(ERR_NEEDMOREPARAMS, "USERHOST", "Not enough parameters")
            return
        found = []
        for nick in params[:5]:
            try:
                member = self.chat.memberNamed(nick)
            except ChatError:
                continue
            operator = "*" if self.chat.operators.isServerOperator(member) else ""
            here = "-" if member.away is not None else "+"
            found.append(f"{member.nick}{operator}={here}{userOf(member)}@{USER_HOST}")
        self.client.numeric(RPL_USERHOST, " ".join(found))

    def ison(self, params: tuple[str, ...]) -> None:
        if not params:
            self.client.numeric(ERR_NEEDMOREPARAMS, "ISON", "Not enough parameters")
            return
        present = []
        for nick in " ".join(params).split():
            try:
                present.append(self.chat.memberNamed(nick).nick)
            except ChatError:
                continue
        self.client.numeric(RPL_ISON, " ".join(present))
