"""
How IRCv3's notifications look: what members say beside their messages
(L{twisted_chat.chat.asides}) as C{ACCOUNT}, C{AWAY}, C{SETNAME},
C{TAGMSG} and C{STATUSMSG}, and the nicks a client watches as C{MONITOR}'s
730 and 731.  Each is told only to a client that asked for its capability;
pure functions, as L{twisted_chat.frontends.irc.render} is.
"""

from collections.abc import Collection
from typing import Final

from twisted_chat.chat.events import (
    AccountChanged,
    AwayChanged,
    Event,
    RealnameChanged,
    StatusMessage,
    TagMessage,
)
from twisted_chat.chat.modes import Rank
from twisted_chat.chat.watch import Presence
from twisted_chat.frontends.irc.msgids import msgidOf
from twisted_chat.frontends.irc.ranks import RANKS_BY_NAME
from twisted_chat.frontends.irc.render import (
    hidden,
    mask,
    messageTags,
    privmsgs,
    reply,
    timeTags,
    viewOf,
)
from twisted_chat.wire.irc import IRCMessage, parseTags

RPL_MONONLINE: Final = "730"
"""Watched nicks that are here (IRCv3 MONITOR)."""

RPL_MONOFFLINE: Final = "731"
"""Watched nicks that are not."""

RPL_MONLIST: Final = "732"
"""The nicks a client watches, in answer to C{MONITOR L}."""

RPL_ENDOFMONLIST: Final = "733"
"""The end of C{MONITOR L}'s answer."""

ERR_MONLISTFULL: Final = "734"
"""A client asked to watch more nicks than it may."""

STATUS_PREFIXES: Final = {"~": Rank.FOUNDER, "@": Rank.OPERATOR, "+": Rank.VOICE}
"""
The prefixes before a channel that make a message reach its ranks only
(C{STATUSMSG=~@+}), and the lowest rank each reaches.
"""

_PREFIX_OF_RANK: Final = {rank: prefix for prefix, rank in STATUS_PREFIXES.items()}

ASIDE_EVENTS: Final = (
    AccountChanged,
    AwayChanged,
    RealnameChanged,
    TagMessage,
    StatusMessage,
    Presence,
)
"""The events this module says."""


def asideMessages(
    server: str, event: Event, nick: str, capabilities: Collection[str]
) -> list[IRCMessage]:
    """
    The messages that tell the client called C{nick}, which asked for
    C{capabilities}, of one of L{ASIDE_EVENTS}: none if it did not ask for
    what shows it.
    """
    view = viewOf(capabilities)
    match event:
        case AccountChanged(who, account, time) if "account-notify" in capabilities:
            return [IRCMessage("ACCOUNT", (account,), mask(who), timeTags(time, view))]
        case AwayChanged(who, time, reason) if "away-notify" in capabilities:
            params = (reason,) if reason else ()
            return [IRCMessage("AWAY", params, mask(who), timeTags(time, view))]
        case RealnameChanged(who, time, realname) if "setname" in capabilities:
            tags = timeTags(time, view)
            return [IRCMessage("SETNAME", (realname,), mask(who), tags)]
        case TagMessage(target, time, sender, tags, account) if (
            "message-tags" in capabilities and not hidden(event, nick, capabilities)
        ):
            msgid = msgidOf(target, time, sender, tags)
            relayed = messageTags(time, view, msgid, account) + parseTags(tags)
            return [IRCMessage("TAGMSG", (target,), mask(sender), relayed)]
        case StatusMessage(room, rank, time, sender, text, notice, account) if not (
            hidden(event, nick, capabilities)
        ):
            target = _PREFIX_OF_RANK[RANKS_BY_NAME[rank]] + room
            msgid = msgidOf(target, time, sender, text)
            command = "NOTICE" if notice else "PRIVMSG"
            tags = messageTags(time, view, msgid, account)
            return privmsgs(target, sender, text, False, tags, command)
        case Presence(who, True):
            return [reply(server, nick, RPL_MONONLINE, mask(who))]
        case Presence(who, False):
            return [reply(server, nick, RPL_MONOFFLINE, who)]
    return []
