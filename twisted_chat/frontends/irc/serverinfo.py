"""
The questions an IRC client asks about the server itself: LUSERS, MOTD,
TIME, INFO, VERSION, ADMIN, HELP (HELPOP) and a server operator's STATS,
answered with the numerics clients show for them.  LUSERS and the MOTD are
also the end of the welcome, as ngIRCd and ergo send them.

STATS has a letter for each report, as the IRC daemons have them where
the chat has the same thing: C{u} the uptime (242), C{t} every figure of
the line protocol's C{/stats} (249, as Hybrid and Solanum show their
traffic figures), C{k} the server-wide bans (216, K-lines) and C{o} the
server operators' accounts (243, O-lines).  Any other letter is answered
with only the end (219), as the daemons do.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from twisted.internet.defer import Deferred
from twisted.words.protocols.irc import (
    ERR_NEEDMOREPARAMS,
    ERR_NOMOTD,
    RPL_ADMINEMAIL,
    RPL_ADMINLOC1,
    RPL_ADMINLOC2,
    RPL_ADMINME,
    RPL_ENDOFINFO,
    RPL_ENDOFMOTD,
    RPL_ENDOFSTATS,
    RPL_INFO,
    RPL_ISUPPORT,
    RPL_LUSERCHANNELS,
    RPL_LUSERCLIENT,
    RPL_LUSERME,
    RPL_LUSEROP,
    RPL_MOTD,
    RPL_MOTDSTART,
    RPL_STATSOLINE,
    RPL_STATSUPTIME,
    RPL_TIME,
    RPL_VERSION,
)

from twisted_chat import __version__
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.modes import Ban
from twisted_chat.chat.orderevents import Statistic
from twisted_chat.chat.statistics import UPTIME
from twisted_chat.wire.irc import (
    ERR_HELPNOTFOUND,
    RPL_ENDOFHELP,
    RPL_GLOBALUSERS,
    RPL_HELPSTART,
    RPL_HELPTXT,
    RPL_LOCALUSERS,
    RPL_STATSDEBUG,
    RPL_STATSKLINE,
)

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol

MOTD: Final = (
    "This is twisted_chat: IRC users and twisted-chat users share its rooms.",
    "Join #lobby to find everyone.",
)
"""The message of the day, the end of the welcome (the factory's C{motd})."""

INFO: Final = (
    f"twisted_chat {__version__}: a chat server on Twisted.",
    "IRC clients and twisted-chat's own line protocol share its rooms,",
    "their history, accounts and moderation.",
)
"""What INFO says about the server."""

HELP: Final = {
    "*": (
        "twisted_chat speaks IRC to share rooms with twisted-chat users.",
        "Commands: ADMIN AWAY HELP INFO INVITE ISON JOIN KICK KILL LIST",
        "LUSERS MODE MOTD NAMES NICK NOTICE OPER PART PING PRIVMSG QUIT",
        "STATS TIME TOPIC USERHOST VERSION WALLOPS WHO WHOIS WHOWAS",
        "HELP <command> says more about one of them.",
    ),
    "AWAY": ("AWAY [:reason]", "Mark yourself away, with why, or back."),
    "JOIN": ("JOIN #room[,#room] [key[,key]]", "Join rooms; JOIN 0 leaves all."),
    "LIST": (
        "LIST [#mask*,!#mask*,>N,<N]",
        "List rooms, those matching masks or with more than or fewer than N.",
    ),
    "NICK": ("NICK name", "Change your nick."),
    "PART": ("PART #room[,#room] [:reason]", "Leave rooms."),
    "PRIVMSG": ("PRIVMSG target[,target] :text", "Say something to rooms or nicks."),
    "NOTICE": ("NOTICE target :text", "Like PRIVMSG, but never answered."),
    "TOPIC": ("TOPIC #room [:topic]", "Show or set a room's topic."),
    "WHO": (
        "WHO #room|mask [o][%fields[,token]]",
        "Who is in a room, or who matches a mask (nick, user, host, name).",
    ),
    "WHOIS": ("WHOIS nick", "About someone here."),
    "WHOWAS": ("WHOWAS nick [count]", "Who used a nick that is gone."),
    "MODE": ("MODE #room [changes]", "Show or change a room's modes and ranks."),
    "QUIT": ("QUIT [:reason]", "Leave the server."),
    "STATS": (
        "STATS u|t|k|o",
        "Server operators: uptime, the server's figures, bans, operators.",
    ),
}
"""HELP's subjects (C{*}: with none) and what it says of each."""


class IRCServerInfo:
    """
    The questions of one registered IRC client about the server.

    @ivar client: the connection asking.
    """

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client
        self.chat = client.factory.chat

    def lusers(self, params: tuple[str, ...] = ()) -> None:
        """How many users, operators and channels there are (251-255, 265, 266)."""
        numeric = self.client.numeric
        factory = self.client.factory
        members = self.chat.presentMembers()
        users = len(members)
        factory.mostUsers = most = max(factory.mostUsers, users)
        operators = sum(map(self.chat.operators.isServerOperator, members))
        channels = len(self.chat.listRooms(None))
        numeric(
            RPL_LUSERCLIENT,
            f"There are {users} users and 0 invisible on 1 servers",
        )
        numeric(RPL_LUSEROP, str(operators), "operator(s) online")
        numeric(RPL_LUSERCHANNELS, str(channels), "channels formed")
        numeric(RPL_LUSERME, f"I have {users} clients and 0 servers")
        said = f"users {users}, max {most}"
        numeric(RPL_LOCALUSERS, str(users), str(most), f"Current local {said}")
        numeric(RPL_GLOBALUSERS, str(users), str(most), f"Current global {said}")

    def motd(self, params: tuple[str, ...] = ()) -> None:
        """The message of the day (375, 372s, 376), or 422 if there is none."""
        numeric = self.client.numeric
        factory = self.client.factory
        if not factory.motd:
            numeric(ERR_NOMOTD, "MOTD File is missing")
            return
        numeric(RPL_MOTDSTART, f"- {factory.serverName} Message of the day -")
        for text in factory.motd:
            numeric(RPL_MOTD, f"- {text}")
        numeric(RPL_ENDOFMOTD, "End of /MOTD command")

    def time(self, params: tuple[str, ...]) -> None:
        """The server's time (391), in UTC, as the chat's times are."""
        now = datetime.fromtimestamp(self.chat.now() / 1000, UTC)
        self.client.numeric(
            RPL_TIME,
            self.client.factory.serverName,
            now.strftime("%A %B %d %Y -- %H:%M:%S +00:00"),
        )

    def info(self, params: tuple[str, ...]) -> None:
        """What the server is (371s, 374)."""
        for text in INFO:
            self.client.numeric(RPL_INFO, text)
        self.client.numeric(RPL_ENDOFINFO, "End of INFO list")

    def version(self, params: tuple[str, ...]) -> None:
        """The server's version (351), then what it supports (005), as ergo."""
        client = self.client
        client.numeric(
            RPL_VERSION,
            f"twisted_chat-{__version__}.",
            client.factory.serverName,
            "IRC beside twisted_chat's own line protocol",
        )
        for tokens in client.registration.isupport():
            client.numeric(RPL_ISUPPORT, *tokens, "are supported by this server")

    def admin(self, params: tuple[str, ...]) -> None:
        """Who runs the server (256-259): its operators, as it knows no more."""
        numeric = self.client.numeric
        numeric(RPL_ADMINME, self.client.factory.serverName, "Administrative info")
        numeric(RPL_ADMINLOC1, "This server is run by its server operators")
        numeric(RPL_ADMINLOC2, "(WHOIS shows them: 'is a server operator')")
        numeric(RPL_ADMINEMAIL, "No e-mail address is given")

    def help(self, params: tuple[str, ...]) -> None:
        """HELP [subject]: 704, 705s and 706, or 524 for an unknown subject."""
        numeric = self.client.numeric
        subject = params[0].upper() if params and params[0] else "*"
        lines = HELP.get(subject)
        if lines is None:
            numeric(ERR_HELPNOTFOUND, subject, "No help available on this topic")
            return
        first, *rest = lines
        numeric(RPL_HELPSTART, subject, first)
        for text in rest:
            numeric(RPL_HELPTXT, subject, text)
        numeric(RPL_ENDOFHELP, subject, "End of /HELP")

    def stats(self, params: tuple[str, ...]) -> Deferred[None] | None:
        """
        C{STATS letter}: a server operator's report (see the module's
        docstring), ended by 219; 481 for anyone else.
        """
        client = self.client
        if not params or not params[0]:
            client.numeric(ERR_NEEDMOREPARAMS, "STATS", "Not enough parameters")
            return None
        # Echoed in the end line: a letter or a digit, else "*".
        first = params[0][0]
        letter = first if first.isascii() and first.isalnum() else "*"
        member = client.member
        assert member is not None
        try:
            if letter in "ut":
                reading = self.chat.statistics.read(member)
            elif letter in "kK":
                self._klines(self.chat.operators.activeBans(member))
            elif letter in "oO":
                for account in self.chat.operators.operatorAccounts(member):
                    client.numeric(RPL_STATSOLINE, "O", "*@*", "*", account)
            else:
                self.chat.operators.require(member, "read the server's statistics")
        except ChatError as error:
            client.refuse(error)
            return None
        if letter not in "ut":
            self._end(letter)
            return None

        def report(figures: list[Statistic]) -> None:
            if letter == "u":
                self._uptime(figures)
            else:
                for figure in figures:
                    client.numeric(RPL_STATSDEBUG, "t", f"{figure.name} {figure.value}")
            self._end(letter)

        return reading.addCallback(report)

    def _uptime(self, figures: list[Statistic]) -> None:
        for figure in figures:
            if figure.name == UPTIME and figure.value.isdigit():
                minutes, seconds = divmod(int(figure.value), 60)
                hours, minutes = divmod(minutes, 60)
                days, hours = divmod(hours, 24)
                self.client.numeric(
                    RPL_STATSUPTIME,
                    f"Server Up {days} days {hours}:{minutes:02d}:{seconds:02d}",
                )

    def _klines(self, bans: list[Ban]) -> None:
        for ban in bans:
            said = f"{ban.reason} (set by {ban.setBy})".lstrip()
            self.client.numeric(RPL_STATSKLINE, "K", ban.mask, "*", "*", said)

    def _end(self, letter: str) -> None:
        self.client.numeric(RPL_ENDOFSTATS, letter, "End of STATS report")
