"""
The commands modern IRC clients send beside RFC 1459's: C{TAGMSG}
(client-only tags: typing, replies, reactions), C{SETNAME} (a new real
name) and C{MONITOR} (being told when nicks come and go), each carried out
as calls on the chat core (L{twisted_chat.chat.asides}); and C{PRIVMSG} or
C{NOTICE} to a channel's ranks (C{STATUSMSG}).
"""

from typing import TYPE_CHECKING, Final

from twisted.words.protocols.irc import (
    ERR_CANNOTSENDTOCHAN,
    ERR_NEEDMOREPARAMS,
    ERR_NORECIPIENT,
    ERR_UNKNOWNCOMMAND,
)

from twisted_chat.chat.errors import ChatError, NotInRoom
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.frontends.irc.notify import (
    ERR_MONLISTFULL,
    RPL_ENDOFMONLIST,
    RPL_MONLIST,
    RPL_MONOFFLINE,
    RPL_MONONLINE,
    STATUS_PREFIXES,
)
from twisted_chat.frontends.irc.render import mask
from twisted_chat.wire.irc import (
    ERR_INPUTTOOLONG,
    IRCMessage,
    MessageTooLong,
    formatTags,
    relayedClientTags,
)

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol

MONITOR_MAX: Final = 100
"""How many nicks one client may watch (C{ISUPPORT MONITOR=}), as ergo's."""

REALNAME_MAX: Final = 128
"""The longest real name C{SETNAME} takes (C{NAMELEN}), in characters."""

MONITOR_LINE: Final = 400
"""The nicks of a C{MONITOR} reply are cut into lines of about this many bytes."""


class IRCv3Commands:
    """
    The IRCv3 commands of one registered client.

    @ivar client: the connection whose commands these are.
    @ivar chat: the chat core they are carried out on.
    """

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client
        self.chat = client.factory.chat

    @property
    def member(self) -> Member:
        member = self.client.member
        assert member is not None
        return member

    def tagmsg(self, params: tuple[str, ...]) -> None:
        """
        TAGMSG target: the client-only tags of the line, to a channel or a
        nick; for a client that asked for C{message-tags} only.
        """
        client = self.client
        if "message-tags" not in client.capabilities:
            client.numeric(
                ERR_UNKNOWNCOMMAND, "TAGMSG", "You did not ask for message-tags"
            )
            return
        if not params or not params[0]:
            client.numeric(ERR_NORECIPIENT, "No recipient given (TAGMSG)")
            return
        try:
            tags = relayedClientTags(client.messageTags)
        except MessageTooLong as error:
            client.numeric(ERR_INPUTTOOLONG, f"Input line was too long: {error}")
            return
        if not tags:
            return  # nothing anyone else would be shown
        target = params[0]
        try:
            self.chat.asides.tagMessage(self.member, target, formatTags(tags))
        except ChatError as error:
            client.refuse(error, target)

    def setname(self, params: tuple[str, ...]) -> None:
        """SETNAME :realname: a new real name, for a client that asked for setname."""
        client = self.client
        realname = params[0] if params else ""
        if "setname" not in client.capabilities:
            client.numeric(ERR_UNKNOWNCOMMAND, "SETNAME", "You did not ask for setname")
            return
        if not realname or len(realname) > REALNAME_MAX:
            client.send(
                IRCMessage(
                    "FAIL", ("SETNAME", "INVALID_REALNAME", "That real name may not be used"),
                    self.client.factory.serverName,
                )
            )  # fmt: skip
            return
        try:
            self.chat.asides.setRealname(self.member, realname)
        except ChatError as error:
            client.send(
                IRCMessage(
                    "FAIL",
                    ("SETNAME", "INVALID_REALNAME", error.message),
                    client.factory.serverName,
                )
            )
            return

    def monitor(self, params: tuple[str, ...]) -> None:
        """MONITOR + - C L S (IRCv3 monitor)."""
        client = self.client
        if not params:
            client.numeric(ERR_NEEDMOREPARAMS, "MONITOR", "Not enough parameters")
            return
        asides = self.chat.asides
        watchers = asides.watchers
        member = self.member
        asides.watching(member, "extended-monitor" in client.capabilities)
        action = params[0]
        nicks = [n for n in params[1].split(",") if n] if len(params) > 1 else []
        if action == "+":
            already = {fold(n) for n in watchers.watchedBy(member)}
            new = list({fold(n): n for n in nicks if fold(n) not in already}.values())
            room = MONITOR_MAX - watchers.count(member)
            if len(new) > room:
                rest = ",".join(new[room:])
                client.numeric(
                    ERR_MONLISTFULL, str(MONITOR_MAX), rest, "Monitor list is full"
                )
                new = new[:room]
            found = asides.watch(member, new)
            self._reply(
                RPL_MONONLINE, [mask(f.nick) for f in found if isinstance(f, Member)]
            )
            self._reply(RPL_MONOFFLINE, [f for f in found if isinstance(f, str)])
        elif action == "-":
            for nick in nicks:
                watchers.unwatch(member, nick)
        elif action.upper() == "C":
            watchers.clear(member)
            asides.watching(member, "extended-monitor" in client.capabilities)
        elif action.upper() == "L":
            self._reply(RPL_MONLIST, watchers.watchedBy(member))
            client.numeric(RPL_ENDOFMONLIST, "End of MONITOR list")
        elif action.upper() == "S":
            here: list[str] = []
            gone: list[str] = []
            for nick in watchers.watchedBy(member):
                present = self.chat.memberIfPresent(nick)
                (here if present else gone).append(
                    mask(present.nick) if present else nick
                )
            self._reply(RPL_MONONLINE, here)
            self._reply(RPL_MONOFFLINE, gone)

    def _reply(self, code: str, items: list[str]) -> None:
        """The numeric C{code} with C{items}, in as many lines as they need."""
        line: list[str] = []
        for item in items:
            line.append(item)
            if len(",".join(line)) > MONITOR_LINE:
                self.client.numeric(code, ",".join(line))
                line = []
        if line:
            self.client.numeric(code, ",".join(line))

    def statusMessage(self, target: str, text: str, notice: bool) -> bool:
        """
        PRIVMSG or NOTICE to C{target} if it is C{@#room} (or C{~}, C{+}):
        to those of the room with that rank or higher (an action as its
        text).  Whether it was one.
        """
        prefix, room = target[:1], target[1:]
        if prefix not in STATUS_PREFIXES or not room.startswith("#"):
            return False
        try:
            self.chat.asides.statusMessage(
                self.member, room, STATUS_PREFIXES[prefix], text, notice
            )
        except NotInRoom:
            if not notice:
                self.client.numeric(
                    ERR_CANNOTSENDTOCHAN, target, "Cannot send to channel (join it)"
                )
        except ChatError as error:
            if not notice:
                self.client.refuse(error, target)
        return True
