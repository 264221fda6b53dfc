"""
The IRC front end's factory and outbox: it makes an L{IRCChatProtocol} for
each client, and writes each event to many IRC clients at once, formatted
once per way of seeing it rather than once per client.
"""

import socket
from typing import Final, cast

from twisted.internet.interfaces import IReactorTime

from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.core import Chat
from twisted_chat.chat.events import (
    AccountChanged,
    AwayChanged,
    Event,
    RealnameChanged,
    RoomMessage,
    StatusMessage,
    TagMessage,
    UserNotice,
)
from twisted_chat.chat.names import fold
from twisted_chat.chat.participants import IParticipant
from twisted_chat.connection.admission import Admission
from twisted_chat.connection.batching import Queued
from twisted_chat.frontends.irc.protocol import IRCChatProtocol
from twisted_chat.frontends.irc.render import (
    DEFAULT_SERVER_NAME,
    SHARED_EVENTS,
    View,
    closingLink,
    hidden,
    sharedMessages,
)
from twisted_chat.frontends.irc.serverinfo import MOTD
from twisted_chat.frontends.stream import StreamFrontEnd, roomMarkOf
from twisted_chat.limits import DEFAULT_RULES, ConnectionRules
from twisted_chat.wire.irc import (
    MAX_MESSAGE_BYTES,
    MAX_TAGS_BYTES,
    checkServerName,
    formatMessage,
)

MAX_IRC_LINE: Final = MAX_MESSAGE_BYTES + MAX_TAGS_BYTES
"""The longest line read from an IRC client, tags included."""


def hostServerName() -> str:
    """
    The name the server gives itself unless told one: this host's, if it is
    a full name (with a dot) that L{checkServerName} takes, as servers name
    themselves; else L{DEFAULT_SERVER_NAME}, since a bare host name says
    nothing to the clients of a network.
    """
    name = socket.gethostname()
    try:
        checkServerName(name)
    except ValueError:
        return DEFAULT_SERVER_NAME
    return name if "." in name else DEFAULT_SERVER_NAME


SHARED_ASIDES: Final = (
    AccountChanged,
    AwayChanged,
    RealnameChanged,
    TagMessage,
    StatusMessage,
)
"""
Events beside the room's talk that many clients are told alike (the
monitor's presence numerics are addressed to each watcher, so not these).
"""


def _originOf(event: Event) -> str:
    """The nick an aside is from (or about)."""
    if isinstance(event, TagMessage | StatusMessage):
        return event.sender
    assert isinstance(event, AccountChanged | AwayChanged | RealnameChanged)
    return event.nick


class IRCChatFactory(StreamFrontEnd):
    """
    Makes an L{IRCChatProtocol} for each connection to one chat, and is
    their L{twisted_chat.chat.core.IOutbox}: an event for many IRC clients
    is formatted once for each way of seeing it (its
    L{twisted_chat.frontends.irc.render.View}: with or without times, tags
    or accounts), not once per client; a message's C{msgid} comes from the
    message, so it is the same in every view.

    @ivar serverName: how the server names itself: the source of its
        numerics and notices.
    @ivar motd: the message of the day's lines; none, and MOTD is 422.
    @ivar mostUsers: the most users LUSERS has counted at once.
    @ivar capabilitiesChanged: how many times a client has changed its
        capabilities, which ends the reuse of the groups made before.
    """

    kind = "irc"

    connectionClass = IRCChatProtocol
    maxLineLength = MAX_IRC_LINE

    def __init__(
        self,
        chat: Chat,
        accounts: Accounts,
        clock: IReactorTime,
        *,
        rules: ConnectionRules = DEFAULT_RULES,
        admission: Admission | None = None,
        requireLogin: bool = False,
        serverName: str = DEFAULT_SERVER_NAME,
    ) -> None:
        super().__init__(
            chat,
            accounts,
            clock,
            rules=rules,
            admission=admission,
            requireLogin=requireLogin,
        )
        self.serverName = serverName
        self.motd: tuple[str, ...] = MOTD
        self.mostUsers = 0
        self.capabilitiesChanged = 0
        self._groups: dict[
            int, tuple[list[IParticipant], int, dict[View, list[Queued]]]
        ] = {}

    def refusal(self, why: str) -> bytes:
        return formatMessage(closingLink(why))

    def post(
        self,
        event: Event,
        participants: list[IParticipant],
        sender: IParticipant | None = None,
    ) -> None:
        """
        Format C{event} once per way of seeing it and queue the same bytes
        for every client that sees it that way, sharing batches as the line
        server does.  Events for one client (replies, numerics) are its own.
        A room message's PRIVMSGs are queued with its L{roomMarkOf}, made
        once here, so that a client that is not reading can be left without
        them and told so (L{IRCChatProtocol.gapNotice}).
        """
        if len(participants) > 1 and isinstance(event, SHARED_ASIDES):
            self._postAside(event, participants)
            return
        if len(participants) == 1 or not isinstance(event, SHARED_EVENTS):
            for participant in participants:
                protocol = cast(IRCChatProtocol, participant)
                try:
                    protocol.queue(protocol.render(event), roomMarkOf(event))
                except Exception:
                    self.log.failure("Delivering {event!r} failed", event=event)
            return
        mark = roomMarkOf(event)
        for view, group in self._groupsOf(participants).items():
            messages = sharedMessages(self.serverName, event, view)
            data = b"".join(map(formatMessage, messages))
            self.batcher.queue(data, group, mark)
            if isinstance(event, RoomMessage | UserNotice):
                self._skipOwn(event, sender, view, data)

    def _postAside(self, event: Event, participants: list[IParticipant]) -> None:
        """
        Say one of L{SHARED_ASIDES} (a typing notice, an away, a login...)
        to many clients: formatted once per set of capabilities, apart for
        the one it is from, whose own may be hidden; not once per client,
        as a typing notice to a large room would otherwise be.
        """
        said: dict[tuple[frozenset[str], bool], bytes] = {}
        origin = fold(_originOf(event))
        for participant in participants:
            protocol = cast(IRCChatProtocol, participant)
            key = (frozenset(protocol.capabilities), fold(protocol.name) == origin)
            data = said.get(key)
            try:
                if data is None:
                    data = said[key] = protocol.render(event)
                protocol.queue(data)
            except Exception:
                self.log.failure("Delivering {event!r} failed", event=event)

    def _skipOwn(
        self,
        message: RoomMessage | UserNotice,
        sender: IParticipant | None,
        view: View,
        data: bytes,
    ) -> None:
        """
        The C{sender} of C{message}, if it is one of these clients, sees it
        in C{view}, and is not to be shown it, skips C{data}.
        """
        if (
            isinstance(sender, IRCChatProtocol)
            and sender.outbox is self
            and sender.member is not None
            and fold(
                message.room if isinstance(message, RoomMessage) else message.target
            )
            in sender.member.rooms
            and sender.view == view
            and hidden(message, sender.member.nick, sender.capabilities)
        ):
            sender.skip(data)

    def _groupsOf(self, participants: list[IParticipant]) -> dict[View, list[Queued]]:
        """
        The clients of C{participants} by their view, as lists kept while the participants list and everyone's capabilities
        stay the same, so that their batches are shared from one message to
        the next.
        """
        key = id(participants)
        cached = self._groups.get(key)
        if (
            cached is not None
            and cached[0] is participants
            and cached[1] == self.capabilitiesChanged
        ):
            return cached[2]
        groups: dict[View, list[Queued]] = {}
        for participant in participants:
            protocol = cast(IRCChatProtocol, participant)
            groups.setdefault(protocol.view, []).append(protocol)
        if len(self._groups) > 256:
            self._groups.clear()
        self._groups[key] = (participants, self.capabilitiesChanged, groups)
        return groups
