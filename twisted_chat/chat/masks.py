"""
Ban and mute masks: whom a mask names, and whether it names a member.

A mask is one of:

  - C{account:NAME}: the member logged in to the account C{NAME};
  - an address or a CIDR range (C{10.0.0.7}, C{10.0.0.0/8}, C{2001:db8::/32}):
    members connecting from it;
  - IRC's C{nick!user@host}: a nick pattern and an address, a range or an
    address pattern (the user part is not kept: it proves nothing here);
  - a nick pattern alone (C{alice}, C{troll*}).

Patterns match without regard to case as nicks compare (L{fold}), with
C{*} for any run of characters and C{?} for one; nothing else is special,
since nicks may hold C{[ ] \\ ^}.  Each mask has one canonical text, which
lists show and removal matches: C{account:name}, or C{nick!*@host}.
"""

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

from twisted_chat.chat.errors import BadMask
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold

ACCOUNT_PREFIX = "account:"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MASK_MAX_LENGTH = 100
"""Longer masks are refused: nothing real needs them, and lists are kept."""

_IRC_MASK = re.compile(r"(?P<nick>[^!@]*)(?:!(?P<user>[^!@]*))?(?:@(?P<host>[^!@]*))?")
_NICK_PART = re.compile(r"[A-Za-z0-9_\[\]\\`^{|}\-*?]+", re.ASCII)
_USER_PART = re.compile(r"[\x21-\x7e]*", re.ASCII)
_HOST_PART = re.compile(r"[0-9A-Fa-f.:/*?]+", re.ASCII)
"""
An address pattern: members are known by address only (no name is looked
up), so a host name (C{chat}, C{*.example.org}) would name nobody.
"""


@dataclass(frozen=True)
class Mask:
    """
    A parsed mask.

    @ivar text: its canonical text.
    @ivar account: a pattern for the folded account, or L{None}.
    @ivar nick: a pattern for the folded nick, or L{None}.
    @ivar network: the addresses it covers, or L{None}.
    @ivar host: a pattern for the address text, where not a network.
    """

    text: str
    account: "re.Pattern[str] | None" = None
    nick: "re.Pattern[str] | None" = None
    network: IPNetwork | None = None
    host: "re.Pattern[str] | None" = None

    def matches(self, member: Member, nick: str | None = None) -> bool:
        """Whether this mask names C{member} (as if called C{nick}, if given)."""
        if self.account is not None:
            return member.account is not None and bool(
                self.account.fullmatch(member.account)
            )
        if self.nick is not None and not self.nick.fullmatch(
            fold(nick if nick is not None else member.nick)
        ):
            return False
        if self.network is not None:
            return inNetwork(member.address, self.network)
        if self.host is not None:
            return bool(self.host.fullmatch(fold(plainAddress(member.address))))
        return True


def parseMask(text: str) -> Mask:
    """
    Read a mask, or raise L{BadMask} saying what masks look like.
    """
    return _parse(text.strip())


@lru_cache(maxsize=1024)
def _parse(text: str) -> Mask:
    if not text or len(text) > MASK_MAX_LENGTH:
        raise _bad(text)
    if text.lower().startswith(ACCOUNT_PREFIX):
        name = fold(text[len(ACCOUNT_PREFIX) :])
        if not _NICK_PART.fullmatch(name):
            raise _bad(text)
        return _bounded(Mask(ACCOUNT_PREFIX + name, account=_pattern(name)))
    network = _network(text)
    if network is not None:
        return _bounded(Mask(f"*!*@{network}", network=network))
    parts = _IRC_MASK.fullmatch(text)
    if parts is None:
        raise _bad(text)
    nick = fold(parts["nick"] or "*")
    host = fold(parts["host"] or "*")
    if not (
        _NICK_PART.fullmatch(nick)
        and _USER_PART.fullmatch(parts["user"] or "")
        and _HOST_PART.fullmatch(host)
    ):
        raise _bad(text)
    network = _network(host)
    if network is not None:
        return _bounded(Mask(f"{nick}!*@{network}", nick=_wild(nick), network=network))
    return _bounded(Mask(f"{nick}!*@{host}", nick=_wild(nick), host=_wild(host)))


def _bounded(mask: Mask) -> Mask:
    """
    C{mask}, if its canonical text (what lists keep and show) is within
    L{MASK_MAX_LENGTH}, so that it always reads back as itself.
    """
    if len(mask.text) > MASK_MAX_LENGTH:
        raise _bad(mask.text)
    return mask


_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _network(text: str) -> IPNetwork | None:
    """
    The address or range C{text} names, or L{None} if it names none; an
    IPv4-mapped IPv6 range is the IPv4 range it maps, as members' mapped
    addresses are taken as IPv4 (L{inNetwork}).  Zoned (link-local C{%eth0})
    addresses are no range.
    """
    if "*" in text or "?" in text or "%" in text:
        return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED):
        mapped = network.network_address.ipv4_mapped
        assert mapped is not None
        return ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")
    return network


def plainAddress(address: str) -> str:
    """C{address}, an IPv4-mapped IPv6 one written as the IPv4 it maps."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return address


def inNetwork(address: str, network: IPNetwork) -> bool:
    """Whether C{address} (an IPv4-mapped IPv6 one as IPv4) is in C{network}."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    return parsed.version == network.version and parsed in network


def _wild(pattern: str) -> "re.Pattern[str] | None":
    """A pattern, or L{None} where it matches everything."""
    if pattern.strip("*") == "" and pattern:
        return None
    return _pattern(pattern)


def _pattern(pattern: str) -> "re.Pattern[str]":
    return re.compile(
        "".join(
            ".*" if char == "*" else "." if char == "?" else re.escape(char)
            for char in pattern
        ),
        re.DOTALL,
    )


def _bad(text: str) -> BadMask:
    return BadMask(
        f"{text!r} is not a mask: use a nick pattern (troll*), account:NAME,"
        " an address or range (10.0.0.0/8), or nick!user@host."
    )
