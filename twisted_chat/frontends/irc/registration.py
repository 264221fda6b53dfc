"""
Registering an IRC client: what it says before it is a member, and its
welcome.

CAP negotiation (also answered after registration), NICK and USER, SASL
PLAIN against the same accounts as the line protocol's C{/login}, and PASS;
once NICK, USER and any negotiation are done, the member is made (bound to
the account SASL logged in to, if any) and welcomed with the numerics,
ISUPPORT and MOTD that clients expect.
"""

from collections.abc import Set as AbstractSet
from contextlib import suppress
from typing import TYPE_CHECKING, Final

from twisted.internet.defer import ensureDeferred
from twisted.words.protocols.irc import (
    ERR_ALREADYREGISTRED,
    ERR_NEEDMOREPARAMS,
    ERR_YOUREBANNEDCREEP,
    RPL_CREATED,
    RPL_ISUPPORT,
    RPL_MYINFO,
    RPL_WELCOME,
    RPL_YOURHOST,
)
from zope.interface import implementer

from twisted_chat import __version__
from twisted_chat.chat.accounts import ChatAccount, ILoginMind
from twisted_chat.chat.errors import Banned, ChatError
from twisted_chat.chat.events import AccountInfo, Event, NickChanged
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.chat.textrules import cleanText
from twisted_chat.connection.backlog import RoomMark
from twisted_chat.frontends.irc.accountcommands import ACCOUNT_REGISTRATION
from twisted_chat.frontends.irc.chathistory import (
    ISUPPORT_TOKENS as CHATHISTORY_TOKENS,
)
from twisted_chat.frontends.irc.ircv3 import MONITOR_MAX
from twisted_chat.frontends.irc.ranks import (
    CHANMODES_TOKEN,
    CHANNEL_MODES,
    CHANNEL_MODES_WITH_ARGUMENT,
    EXTBAN_TOKEN,
    PREFIX_TOKEN,
)
from twisted_chat.frontends.irc.render import mask, viewOf
from twisted_chat.frontends.irc.sasl import mechanismsFor
from twisted_chat.frontends.irc.serverinfo import IRCServerInfo
from twisted_chat.limits import (
    BAN_LIST_MAX,
    NICK_MAX_LENGTH,
    ROOM_NAME_MAX_LENGTH,
    TOPIC_MAX_LENGTH,
)
from twisted_chat.wire.irc import (
    ERR_INVALIDCAPCMD,
    MAX_MESSAGE_BYTES,
    RPL_LOGGEDIN,
    RPL_SASLSUCCESS,
    IRCMessage,
)

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol

CAPABILITIES: Final = {
    "account-notify": "",
    "account-tag": "",
    "away-notify": "",
    "batch": "",
    "cap-notify": "",
    "draft/chathistory": "",
    "draft/account-registration": ACCOUNT_REGISTRATION,
    "echo-message": "",
    "extended-join": "",
    "extended-monitor": "",
    "invite-notify": "",
    "labeled-response": "",
    "message-tags": "",
    "multi-prefix": "",
    "sasl": "PLAIN",
    "server-time": "",
    "setname": "",
    "userhost-in-names": "",
}
"""
The IRCv3 capabilities offered, with the values C{CAP LS 302} gives them;
C{sasl}'s is PLAIN, and EXTERNAL too over TLS (L{mechanismsFor});
C{draft/account-registration}'s says REGISTER works before the welcome.
"""

MAX_TARGETS: Final = 4
"""
Recipients one PRIVMSG or NOTICE may name, and nicks one KICK (C{TARGMAX},
as ergo's); each costs the flood allowance of one line, so a comma list is
no way around it.
"""

MAX_MODES: Final = 6
"""
Changes with an argument one MODE makes (C{MODES}); past them, the client
is told the rest were not made.
"""


USER_MAX_LENGTH: Final = 16
"""The longest user name kept (C{USERLEN}); a longer one is cut."""

REAL_NAME_MAX_LENGTH: Final = 100
"""The longest real name kept, in characters; a longer one is cut."""


def userName(given: str) -> str:
    """
    The user name kept for what a client gave with USER: its letters,
    digits, dots, dashes and underscores, at most L{USER_MAX_LENGTH}, so
    that it is safe in a C{nick!user@host}; C{~} for none of them (a client
    that gave nothing that could be shown).
    """
    kept = "".join(c for c in given if c.isascii() and (c.isalnum() or c in "._-"))
    return kept[:USER_MAX_LENGTH] or "~"


@implementer(ILoginMind)
class Registration:
    """
    The registration of one IRC client, until its member is made and
    welcomed; the mind (L{ILoginMind}) SASL logs in with.

    @ivar client: the connection registering.
    @ivar nick: the nick the client asked for with NICK, until it registers.
    @ivar user: the user name the client gave with USER (see L{userName}).
    @ivar realName: the real name the client gave with USER.
    @ivar negotiating: whether CAP negotiation (from C{CAP LS} or
        C{CAP REQ} to C{CAP END}) holds registration back.
    @ivar account: the account SASL logged the client in to, if any.
    @ivar capVersion: the CAP version the client named in C{CAP LS}: from
        302 on, it is shown the capabilities' values, and C{cap-notify} is
        its without asking.
    @ivar binding: whether the new member is being bound to that account:
        until the welcome, what the chat sends the client waits.
    """

    # Kept for as long as the client is connected.
    __slots__ = (
        "_early",
        "account",
        "binding",
        "capVersion",
        "client",
        "negotiating",
        "nick",
        "realName",
        "user",
    )

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client
        self.nick: str | None = None
        self.user: str | None = None
        self.realName = ""
        self.negotiating = False
        self.capVersion = 0
        self.account: str | None = None
        self.binding = False
        self._early: list[tuple[bytes, RoomMark | None]] | None = None

    # CAP, NICK, USER, PASS

    def cap(self, params: tuple[str, ...]) -> None:
        """CAP LS, LIST, REQ and END (IRCv3 capability negotiation)."""
        client = self.client
        subcommand = params[0].upper() if params else ""
        if subcommand == "LS":
            if client.member is None:
                self.negotiating = True
            if len(params) > 1 and params[1].isascii() and params[1].isdigit():
                self.capVersion = max(self.capVersion, int(params[1]))
            if self.capVersion >= 302:
                self._setCapabilities(client.capabilities | {"cap-notify"})
                values = {**CAPABILITIES, "sasl": mechanismsFor(client)}
                offered = " ".join(
                    f"{cap}={value}" if value else cap for cap, value in values.items()
                )
            else:
                offered = " ".join(CAPABILITIES)
            client.send(
                IRCMessage(
                    "CAP", (client.name, "LS", offered), client.factory.serverName
                )
            )
        elif subcommand == "LIST":
            listed = " ".join(sorted(client.capabilities))
            client.send(
                IRCMessage(
                    "CAP", (client.name, "LIST", listed), client.factory.serverName
                )
            )
        elif subcommand == "REQ" and len(params) > 1:
            if client.member is None:
                self.negotiating = True
            asked = params[1].split()
            wanted = {cap.lstrip("-") for cap in asked}
            if wanted <= CAPABILITIES.keys():
                capabilities = set(client.capabilities)
                for cap in asked:
                    if cap.startswith("-"):
                        capabilities.discard(cap[1:])
                    else:
                        capabilities.add(cap)
                self._setCapabilities(capabilities)
                answer = "ACK"
            else:
                answer = "NAK"
            client.send(
                IRCMessage(
                    "CAP", (client.name, answer, params[1]), client.factory.serverName
                )
            )
        elif subcommand == "END":
            self.negotiating = False
            self._register()
        else:
            client.numeric(ERR_INVALIDCAPCMD, subcommand or "*", "Invalid CAP command")

    def _setCapabilities(self, capabilities: AbstractSet[str]) -> None:
        """
        The client now has C{capabilities}: its view of shared events
        changes, and the outbox's groups are made again.
        """
        client = self.client
        client.capabilities = capabilities
        client.view = viewOf(capabilities)
        client.factory.capabilitiesChanged += 1
        member = client.member
        if member is not None:
            extended = "extended-monitor" in capabilities
            client.factory.chat.asides.watching(member, extended)

    def nickChosen(self, nick: str) -> None:
        """NICK before registration: the nick to register with."""
        self.nick = nick
        self._register()

    def userCommand(self, params: tuple[str, ...]) -> None:
        """
        USER: the user name and real name, which registration waits for;
        an empty one is 461, as RFC 2812 has all four parameters.
        """
        if self.client.member is not None:
            self.client.numeric(ERR_ALREADYREGISTRED, "You may not reregister")
        elif len(params) < 4 or not params[0] or not params[3].strip():
            self.client.numeric(ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
        else:
            self.user = userName(params[0])
            self.realName = cleanText(params[3])[:REAL_NAME_MAX_LENGTH]
            self._register()

    def password(self, params: tuple[str, ...]) -> None:
        """
        PASS: accepted and ignored, since clients send it unasked; an IRC
        client logs in to its account with SASL.
        """

    # ILoginMind

    @property
    def member(self) -> Member | None:
        """The client's member: L{None} until it registers."""
        return self.client.member

    def loggedIn(self, account: ChatAccount) -> None:
        """
        SASL logged the client in: keep the account for the member that
        registration makes, and say so (900, 903).  Binding that member
        later says nothing more: the client has heard it.
        """
        if self.client.member is not None:
            return
        self.account = account.nick
        self.client.numeric(
            RPL_LOGGEDIN, mask(account.nick), account.nick,
            f"You are now logged in as {account.nick}",
        )  # fmt: skip
        self.client.numeric(RPL_SASLSUCCESS, "SASL authentication successful")

    # Registering

    def _register(self) -> None:
        """Make the member once NICK, USER and any CAP negotiation are done."""
        client = self.client
        if client.member is not None or self.negotiating:
            return
        if self.nick is None or self.user is None:
            return
        if self.account is None and client.factory.requireLogin:
            client.drop(
                "This server requires an account: log in with SASL PLAIN", "error"
            )
            return
        chat = client.factory.chat
        try:
            if self.account is not None:
                # A guest for a moment, until the account's nick is bound.
                client.member = chat.connect(client, address=client.peerHost)
            else:
                client.member = chat.connect(
                    client, nick=self.nick, address=client.peerHost
                )
        except Banned as error:
            # A server ban on the client's address: said, then closed.
            client.numeric(ERR_YOUREBANNEDCREEP, error.message)
            client.drop(error.message, "refused")
            return
        except ChatError as error:
            client.refuse(error, self.nick)
            self.nick = None
            return
        client.member.userName = self.user
        with suppress(ChatError):
            chat.asides.setRealname(client.member, self.realName, tell=False)
        client.log.info(
            "{nick} registered over IRC from {peer}",
            nick=self.nick,
            peer=client.peerHost,
        )
        if self.account is None:
            self._welcome()
            return
        self.binding = True
        bound = ensureDeferred(
            client.factory.accounts.bind(self, ChatAccount(self.account))
        )

        def welcome(result: object) -> object:
            self.binding = False
            if client.member is not None and client.member.present:
                self._welcome()
                early, self._early = self._early or [], None
                for data, mark in early:
                    client.queue(data, mark)
            return result

        bound.addBoth(welcome).addErrback(client.failedLater, False)

    def silences(self, event: Event) -> bool:
        """
        Whether C{event}, sent while the member is being bound to its
        account, is not told: the guest nick the member had for a moment,
        and the account, which 900 and 903 told already.
        """
        match event:
            case NickChanged(_, new, _):
                member = self.client.member
                return member is not None and fold(new) == fold(member.nick)
            case AccountInfo():
                return True
        return False

    def holdForWelcome(self, data: bytes, mark: RoomMark | None) -> None:
        """
        Keep C{data}, queued while the member is being bound to its account
        (the private messages that waited for it), until after the welcome.
        """
        if self._early is None:
            self._early = []
        self._early.append((data, mark))

    def isupport(self) -> list[tuple[str, ...]]:
        """
        What the server supports (ISUPPORT), in 005s of at most 13 tokens
        each (with the nick and the trailing text, 15 parameters).
        """
        factory = self.client.factory
        return [
            (
                "CASEMAPPING=ascii",
                "CHANTYPES=#",
                f"NICKLEN={NICK_MAX_LENGTH}",
                f"CHANNELLEN={ROOM_NAME_MAX_LENGTH}",
                f"TOPICLEN={TOPIC_MAX_LENGTH}",
                f"LINELEN={MAX_MESSAGE_BYTES}",
                f"CHANLIMIT=#:{factory.chat.maxRoomsPerMember}",
                f"TARGMAX=PRIVMSG:{MAX_TARGETS},NOTICE:{MAX_TARGETS},"
                f"KICK:{MAX_TARGETS}",
                PREFIX_TOKEN,
                CHANMODES_TOKEN,
                "NETWORK=twisted_chat",
            ),
            (
                f"MODES={MAX_MODES}",
                f"MAXLIST=b:{BAN_LIST_MAX}",
                EXTBAN_TOKEN,
                "ACCOUNTEXTBAN=account",
                "ELIST=MNU",
                f"USERLEN={USER_MAX_LENGTH}",
                "WHOX",
                f"MONITOR={MONITOR_MAX}",
                "STATUSMSG=~@+",
                "UTF8ONLY",
                *CHATHISTORY_TOKENS,
            ),
        ]

    def _welcome(self) -> None:
        """The welcome burst: 001 to 005 (ISUPPORT), LUSERS and the MOTD."""
        client = self.client
        numeric = client.numeric
        nick = client.name
        numeric(RPL_WELCOME, f"Welcome to twisted_chat, {nick}")
        numeric(
            RPL_YOURHOST,
            f"Your host is {client.factory.serverName}, running twisted_chat {__version__}",
        )
        numeric(RPL_CREATED, "This server speaks IRC beside its own line protocol")
        numeric(
            RPL_MYINFO, client.factory.serverName, __version__, "i", CHANNEL_MODES,
            CHANNEL_MODES_WITH_ARGUMENT,
        )  # fmt: skip
        for tokens in self.isupport():
            numeric(RPL_ISUPPORT, *tokens, "are supported by this server")
        # Not the client's own (made only if it asks the server itself).
        info = IRCServerInfo(client)
        info.lusers()
        info.motd()
