"""
IRC's C{WHO}: who is in a channel, or who matches a mask, as RFC 2812's 352
replies or, for a client that asks with C{%fields}, WHOX's 354 with only
the fields asked for, which modern clients use to fill their user lists.

A mask that is not a channel is matched, with C{*} and C{?}, against each
present member's nick, user name, host, real name and the server's name, as
RFC 2812 says; the answer is bounded (L{WHO_MAX}), so C{WHO *} on a busy
server costs a fixed amount.
"""

import re
from typing import TYPE_CHECKING, Final

from twisted.words.protocols.irc import RPL_ENDOFWHO, RPL_WHOREPLY

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.model import Member
from twisted_chat.frontends.irc.ranks import prefixes
from twisted_chat.frontends.irc.render import USER_HOST
from twisted_chat.wire.irc import RPL_WHOSPCRPL

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol

WHOX_FIELDS: Final = "tcuihsnfdlaor"
"""
The WHOX fields, in the order their values are sent whatever the order
asked: query token, channel, user, IP, host, server, nick, flags, hops,
idle seconds, account, op level, real name.
"""

HIDDEN_IP: Final = "255.255.255.255"
"""The IP WHOX shows: addresses are not shown to other users."""

WHO_MAX: Final = 200
"""The most members one C{WHO} with a mask that is not a channel lists."""


def userOf(member: Member) -> str:
    """The user name shown for C{member}: its USER's, or its nick."""
    return member.userName or member.nick


def realNameOf(member: Member) -> str:
    """The real name shown for C{member}: its USER's, or its nick."""
    return member.realname or member.nick


def globPattern(mask: str) -> "re.Pattern[str]":
    """C{mask}, with C{*} and C{?} as wildcards, as a case-blind pattern."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in mask),
        re.IGNORECASE | re.DOTALL,
    )


def whoxRequest(flags: str) -> tuple[str, str] | None:
    """
    The fields and query token a WHO's second parameter asks for
    (C{%tnuhaf,42}), or L{None} if it is not a WHOX request.
    """
    if "%" not in flags:
        return None
    fields, _, token = flags.partition("%")[2].partition(",")
    if not (token.isascii() and token.isdigit() and len(token) <= 3):
        token = "0"
    return "".join(f for f in WHOX_FIELDS if f in fields), token


class IRCWho:
    """
    The C{WHO} questions of one registered IRC client.

    @ivar client: the connection asking.
    """

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client
        self.chat = client.factory.chat

    def who(self, params: tuple[str, ...]) -> None:
        """
        C{WHO [mask [flags]]}: each of a comma list of masks (irssi asks
        for all its channels at once), with C{o} for server operators only
        and C{%fields[,token]} for WHOX.
        """
        flags = params[1] if len(params) > 1 else ""
        whox = whoxRequest(flags)
        operatorsOnly = "o" in flags.partition("%")[0]
        for each in (params[0] if params and params[0] else "*").split(","):
            for channel, member, shown in self._found(each):
                if operatorsOnly and not self.chat.operators.isServerOperator(member):
                    continue
                self._reply(channel, member, shown, whox)
            self.client.numeric(RPL_ENDOFWHO, each, "End of /WHO list")

    def _found(self, mask: str) -> list[tuple[str, Member, str]]:
        """
        Who C{mask} names: a channel's members, with the prefixes of their
        ranks, or the members it matches, each with C{*} as its channel.
        """
        client = self.client
        asker = client.member
        assert asker is not None
        multiPrefix = "multi-prefix" in client.capabilities
        if mask.startswith("#"):
            try:
                members = self.chat.membersOf(mask, asker)
            except ChatError:
                return []
            ranks = members.ranks or (0,) * len(members.nicks)
            found = []
            for nick, rank in zip(members.nicks, ranks, strict=True):
                member = self.chat.memberIfPresent(nick)
                if member is not None:
                    found.append((members.room, member, prefixes(rank, multiPrefix)))
            return found
        exact = self.chat.memberIfPresent(mask)
        if exact is not None:
            return [("*", exact, "")]
        if mask == "0":
            mask = "*"
        pattern = globPattern(mask)
        server = client.factory.serverName
        matched = []
        for member in self.chat.presentMembers():
            facts = (member.nick, userOf(member), USER_HOST, realNameOf(member), server)
            if any(pattern.fullmatch(fact) for fact in facts):
                matched.append(("*", member, ""))
                if len(matched) >= WHO_MAX:
                    break
        return matched

    def _reply(
        self, channel: str, member: Member, shown: str, whox: tuple[str, str] | None
    ) -> None:
        """One member's 352, or its 354 with the WHOX fields asked for."""
        server = self.client.factory.serverName
        flags = self.flags(member) + shown
        if whox is None:
            self.client.numeric(
                RPL_WHOREPLY, channel, userOf(member), USER_HOST, server,
                member.nick, flags, f"0 {realNameOf(member)}",
            )  # fmt: skip
            return
        fields, token = whox
        values = {
            "t": token,
            "c": channel,
            "u": userOf(member),
            "i": HIDDEN_IP,
            "h": USER_HOST,
            "s": server,
            "n": member.nick,
            "f": flags,
            "d": "0",
            "l": "0",
            "a": member.account or "0",
            "o": "n/a",
            "r": realNameOf(member),
        }
        self.client.numeric(RPL_WHOSPCRPL, *(values[f] for f in fields))

    def flags(self, member: Member) -> str:
        """
        WHO's flags before the prefixes: here (C{H}) or gone (C{G}, away),
        and C{*} for a server operator.
        """
        here = "G" if member.away is not None else "H"
        return here + ("*" if self.chat.operators.isServerOperator(member) else "")
