"""
One IRC client's connection: an adapter between the client and the chat
core, which decides nothing about the chat.

L{IRCChatProtocol} reads IRC messages (L{twisted_chat.wire.irc}) and hands
each to the handler its command names
(L{twisted_chat.frontends.irc.commands}), registration's included
(L{twisted_chat.frontends.irc.registration}); what the chat tells the
client is rendered for it (L{twisted_chat.frontends.irc.render}) and
queued for one write per reactor turn.  Its input is bounded here, not by
C{twisted.words}: lines by the framer (512 bytes plus tags); the pace, the
waiting lines, silence, registration time and the send queue of a client
that does not read by the connection's L{ConnectionGuard}, as for the line
protocol.  TLS, admission, batched writes and closing are the stream front
end's (L{twisted_chat.frontends.stream}).
"""

from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Final

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IHandshakeListener
from twisted.python.failure import Failure
from twisted.words.protocols.irc import (
    ERR_BADCHANNELKEY,
    ERR_BANNEDFROMCHAN,
    ERR_CANNOTSENDTOCHAN,
    ERR_CHANNELISFULL,
    ERR_CHANOPRIVSNEEDED,
    ERR_ERRONEUSNICKNAME,
    ERR_INVITEONLYCHAN,
    ERR_NICKNAMEINUSE,
    ERR_NOPRIVILEGES,
    ERR_NOSUCHCHANNEL,
    ERR_NOSUCHNICK,
    ERR_NOTONCHANNEL,
    ERR_NOTREGISTERED,
    ERR_PASSWDMISMATCH,
    ERR_TOOMANYCHANNELS,
    ERR_UNKNOWNCOMMAND,
    ERR_USERONCHANNEL,
)
from zope.interface import implementer

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import Event
from twisted_chat.chat.model import Member
from twisted_chat.chat.participants import IParticipant
from twisted_chat.connection.backlog import RoomMark
from twisted_chat.connection.ordering import EffectOrder
from twisted_chat.frontends.irc.chathistory import CAPABILITY as CHATHISTORY
from twisted_chat.frontends.irc.chathistory import gapFetch, playedBack
from twisted_chat.frontends.irc.commands import BEFORE_REGISTRATION, IRCCommands
from twisted_chat.frontends.irc.labels import Labels
from twisted_chat.frontends.irc.notify import ASIDE_EVENTS, asideMessages
from twisted_chat.frontends.irc.queries import CHEAP_QUERIES, CHEAP_QUERY_COST
from twisted_chat.frontends.irc.registration import Registration
from twisted_chat.frontends.irc.render import (
    View,
    clientMessages,
    closingLink,
    reply,
    serverNotice,
)
from twisted_chat.frontends.stream import StreamConnection
from twisted_chat.wire.irc import (
    ERR_INPUTTOOLONG,
    ERR_NEEDREGGEDNICK,
    IRCMessage,
    MalformedMessage,
    MessageTooLong,
    formatMessage,
    parseMessage,
)

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.factory import IRCChatFactory

PIPELINED: Final = frozenset({"PRIVMSG"})
"""
Commands that may start while this client's earlier messages are on their
way to the store, which keeps their order; any other waits until they have
been delivered (L{EffectOrder}).  A NOTICE is not stored, so it waits too.
"""

NO_CAPABILITIES: Final[frozenset[str]] = frozenset()
"""
The capabilities of a client that asked for none, and its view: one for
all of them (an empty frozenset is not shared by Python itself).
"""

ERROR_NUMERICS: Final = {
    "nick-in-use": ERR_NICKNAMEINUSE,
    "nick-registered": ERR_NICKNAMEINUSE,
    "bad-nick": ERR_ERRONEUSNICKNAME,
    "reserved-nick": ERR_ERRONEUSNICKNAME,
    "no-such-nick": ERR_NOSUCHNICK,
    "no-such-room": ERR_NOSUCHCHANNEL,
    "bad-room": ERR_NOSUCHCHANNEL,
    "not-in-room": ERR_NOTONCHANNEL,
    "too-many-rooms": ERR_TOOMANYCHANNELS,
    "not-permitted": ERR_CHANOPRIVSNEEDED,
    "topic-too-long": ERR_INPUTTOOLONG,
    "not-operator": ERR_CHANOPRIVSNEEDED,
    "banned": ERR_BANNEDFROMCHAN,
    "invite-only": ERR_INVITEONLYCHAN,
    "bad-key": ERR_BADCHANNELKEY,
    "room-full": ERR_CHANNELISFULL,
    "registered-only": ERR_NEEDREGGEDNICK,
    "muted": ERR_CANNOTSENDTOCHAN,
    "moderated": ERR_CANNOTSENDTOCHAN,
    "already-in-room": ERR_USERONCHANNEL,
    "not-server-operator": ERR_NOPRIVILEGES,
    "login-failed": ERR_PASSWDMISMATCH,
    "login-throttled": ERR_PASSWDMISMATCH,
}
"""
The IRC numeric for each of the core's refusals that has one; the others
are told as server notices.  Where a command's refusal means something
else (a target not in the channel, for KICK), the command says so itself.
"""


@implementer(IParticipant, IHandshakeListener)
class IRCChatProtocol(StreamConnection):
    """
    One IRC client connection.

    @ivar member: the chat member, once the client has registered.
    @ivar capabilities: the IRCv3 capabilities the client asked for.
    @ivar view: how shared events look to it, from its capabilities.
    @ivar realname: the real name the client gave with USER or SETNAME.
    @ivar labels: the labels of its commands (IRCv3 labeled-response), made
        when the client first labels one.
    @ivar messageTags: the tags of the line being carried out.
    @ivar registration: what registers the client and makes its member.
    @ivar commands: the handlers of the client's commands, by command word.
    """

    factory: "IRCChatFactory"

    def __init__(self, factory: "IRCChatFactory") -> None:
        super().__init__(factory)
        self.member: Member | None = None
        # Until the client asks for some, shared: an empty set is 216 bytes.
        self.capabilities: AbstractSet[str] = NO_CAPABILITIES
        self.view: View = NO_CAPABILITIES
        self.registration = Registration(self)
        self.order = EffectOrder()
        self.commands = IRCCommands(self, self.registration)
        self._labels: Labels | None = None
        self.messageTags: tuple[tuple[str, str], ...] = ()
        self._skipped: list[bytes] | None = None

    @property
    def labels(self) -> Labels:
        if self._labels is None:
            self._labels = Labels(self)
        return self._labels

    # Connection

    def begin(self) -> None:
        # Registering is IRC's logging in: the guard gives it its time.
        self.guard.start(requireLogin=True, unfinished="Registration did not finish")

    def lost(self, cleanly: bool) -> None:
        if self.member is not None:
            self.factory.chat.quit(
                self.member, "Connection closed" if cleanly else "Connection lost"
            )

    # Guarded

    @property
    def name(self) -> str:
        """The client's nick, or C{*} before it has registered (as numerics say)."""
        return self.member.nick if self.member is not None else "*"

    @property
    def present(self) -> bool:
        if self.member is not None:
            return self.member.present
        return not self.closing

    @property
    def loggedIn(self) -> bool:
        return self.member is not None

    def carryOut(self, line: bytes | None) -> Deferred[None] | None:
        """
        Carry out one line: hand it to its command's handler, or answer why
        not; a bug drops the client.  A SASL check is answered once the
        accounts have checked the password: the lines after it wait for the
        Deferred returned.
        """
        if line is None:
            self.numeric(ERR_INPUTTOOLONG, "Input line was too long")
            return None
        try:
            message = parseMessage(line)
        except MessageTooLong as error:
            self.numeric(ERR_INPUTTOOLONG, f"Input line was too long: {error}")
            return None
        except MalformedMessage as error:
            if line.strip(b" "):
                # An empty line is ignored without a word, as RFC 1459 says.
                self.tell(f"That line was ignored: {error}.")
            return None
        command = message.command
        if command not in PIPELINED and not self.order.settled:
            # Its reply must not overtake this client's earlier messages.
            return self.order.after(lambda: self._handle(message, line))
        return self._handle(message, line)

    def _handle(self, message: IRCMessage, line: bytes) -> Deferred[None] | None:
        """Hand C{message} to its command's handler, or answer why not."""
        command = message.command
        handler = self.commands.handler(command)
        self.messageTags = message.tags
        if "labeled-response" in self.capabilities:
            label = dict(message.tags).get("label")
            if label:
                self.labels.begin(label)
        try:
            if self.closing:
                return None
            if handler is None:
                self.numeric(ERR_UNKNOWNCOMMAND, command, "Unknown command")
            elif self.member is None and command not in BEFORE_REGISTRATION:
                self.numeric(ERR_NOTREGISTERED, "You have not registered")
            else:
                if command in CHEAP_QUERIES:
                    self.guard.charge(-(1 - CHEAP_QUERY_COST))
                return handler(message.params)
        except Exception:
            self.log.failure("Unexpected error handling {line!r}", line=line)
            self.drop("Internal server error", "error")
        finally:
            if self._labels is not None:
                self._labels.end()
        return None

    def ping(self, token: str) -> None:
        self.send(IRCMessage("PING", (token,)))

    def tell(self, text: str) -> None:
        self.send(serverNotice(self.factory.serverName, self.name, text))

    def drop(self, reason: str, kind: str) -> None:
        self.log.info("{nick}: {reason}; dropping", nick=self.name, reason=reason)
        if self.member is not None:
            self.factory.chat.quit(self.member, reason, kind)
        else:
            self.send(closingLink(reason))
            self.close()

    def gapNotice(self, room: str, first: int, last: int) -> bytes:
        """
        A server C{NOTICE} to the client naming the channel and the messages
        it was not sent while it was not reading (IRC has no C{GAP}), and the
        C{CHATHISTORY} that fetches them.
        """
        text = (
            f"You missed messages {first} to {last} of {room} while not reading;"
            f" {gapFetch(room, first, last)} fetches them"
        )
        return formatMessage(serverNotice(self.factory.serverName, self.name, text))

    # IParticipant

    def render(self, event: Event) -> bytes:
        """The bytes that tell this client of C{event}."""
        registration = self.registration
        if registration.binding and registration.silences(event):
            return b""
        if CHATHISTORY in self.capabilities and playedBack(event):
            return b""  # such a client fetches history when it wants it
        say = asideMessages if isinstance(event, ASIDE_EVENTS) else clientMessages
        messages = say(self.factory.serverName, event, self.name, self.capabilities)
        return b"".join(map(formatMessage, messages))

    def queue(self, data: bytes, mark: RoomMark | None = None) -> None:
        """
        Queue C{data} for this reactor turn's one write to this client, with
        its C{mark} if it is a room message (see
        L{twisted_chat.frontends.stream.roomMarkOf}).
        """
        if not data:
            return
        labels = self._labels
        if labels is not None and labels.label is not None:
            labels.hold(data)
            return
        if self.registration.binding:
            self.registration.holdForWelcome(data, mark)
            return
        self.factory.batcher.queue(data, [self], mark)

    def skip(self, data: bytes) -> None:
        """
        Leave out C{data} (this very object) from what is queued: it is this
        client's own message, in a batch shared with the room, and the client
        did not ask for echo-message.
        """
        if self._skipped is None:
            self._skipped = []
        self._skipped.append(data)

    def writePending(self) -> None:
        """
        Write what was queued this turn, or let the guard hold it, without
        the lines this client skips (its own, in batches shared with others).
        """
        pending = self.pending
        if not pending or not self._skipped:
            super().writePending()
            return
        # By identity: the very objects queued (alive, so ids are unique).
        skipped = {id(own) for own in self._skipped}
        self._skipped = None
        kept = [
            (line, mark)
            for batch in pending
            for line, mark in zip(batch.lines, batch.marks, strict=True)
            if id(line) not in skipped
        ]
        pending.clear()
        lines = [line for line, _ in kept]
        if self.guard.holding:
            self.guard.hold([(lines, [mark for _, mark in kept])])
        elif lines:
            self._writer.write(b"".join(lines))

    def shutDown(self, reason: str) -> None:
        """The server is stopping before this client registered: say so."""
        if not self.closing:
            self.send(closingLink(reason))
            self.close()

    # Sending, for the handlers

    def send(self, message: IRCMessage) -> None:
        """Queue C{message} for this client."""
        self.queue(formatMessage(message))

    def numeric(self, code: str, *params: str) -> None:
        """Send the numeric C{code}, addressed to this client, with C{params}."""
        self.send(reply(self.factory.serverName, self.name, code, *params))

    def refuse(self, error: ChatError, *subjects: str) -> None:
        """
        Tell this client the core refused what it asked about C{subjects}
        (a nick, a channel, both, or none): with the numeric for C{error},
        or a notice.
        """
        numeric = ERROR_NUMERICS.get(error.code)
        if numeric is None:
            self.tell(error.message)
        else:
            self.numeric(numeric, *subjects, error.message)

    def failedLater(self, failure: Failure, notice: bool) -> None:
        """
        What was asked (a message, a topic, an account's nick) was refused
        after the fact, the store having failed: tell the client, unless it
        was a C{NOTICE}, which is never answered.
        """
        if isinstance(failure.value, ChatError):
            if not notice:
                self.tell(failure.value.message)
        else:
            self.log.failure("Sending a message failed", failure)
