"""
The IRC listener: an adapter between IRC clients and the chat core, beside
the line server (issue 6).  irssi, WeeChat, HexChat and bots join the same
rooms as C{twisted-chat} users and see them as ordinary members.

L{IRCChatProtocol} turns IRC messages (L{twisted_chat.wire.irc}) into calls
on the core, and the core's events into IRC messages, for one client; it
decides nothing about the chat.  Its input is bounded here, not by
C{twisted.words}: lines by the framer (512 bytes plus tags), the pace and
the waiting lines, silence and registration time, and the send queue of a
client that does not read, by the connection's L{ConnectionGuard}, as for
the line protocol.

What is covered so far: CAP (C{server-time}, C{message-tags},
C{echo-message}, C{multi-prefix}), NICK, USER, PASS (ignored), the welcome
burst with ISUPPORT and a MOTD, PING/PONG, JOIN (several channels), PART,
PRIVMSG and NOTICE to channels and nicks with CTCP ACTION as actions, TOPIC,
NAMES, WHO, WHOIS, LIST, MODE (enough for clients), AWAY, USERHOST, ISON,
QUIT, SASL PLAIN against the same accounts as C{/login}, and history on
join with its original times.  Not yet: CHATHISTORY.
"""

import base64
import binascii
from collections.abc import Callable
from typing import Any, Final, cast

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.interfaces import (
    IHandshakeListener,
    IReactorTime,
)
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_chat import __version__
from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.core import ChatServer
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import (
    AccountInfo,
    ErrorReply,
    Event,
    Goodbye,
    HelpText,
    HistoryGap,
    MemberList,
    NickChanged,
    Notice,
    Ping,
    PrivateMessage,
    RoomListEnd,
    RoomListEntry,
    RoomMessage,
    TopicInfo,
)
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.chat.participants import IParticipant
from twisted_chat.chat.textrules import checkText
from twisted_chat.connection.admission import Admission
from twisted_chat.connection.backlog import RoomMark
from twisted_chat.connection.batching import Queued
from twisted_chat.frontends.irc.render import (
    SHARED_EVENTS,
    USER_HOST,
    mask,
    privmsgs,
    sharedMessages,
)
from twisted_chat.frontends.stream import StreamConnection, StreamFrontEnd
from twisted_chat.limits import (
    DEFAULT_RULES,
    NICK_MAX_LENGTH,
    ROOM_NAME_MAX_LENGTH,
    TOPIC_MAX_LENGTH,
    ConnectionRules,
)
from twisted_chat.wire.irc import (
    MAX_MESSAGE_BYTES,
    MAX_TAGS_BYTES,
    IRCMessage,
    MalformedMessage,
    MessageTooLong,
    formatMessage,
    parseMessage,
)

SERVER_NAME: Final = "twisted-chat"
"""How the server names itself to IRC clients."""

CAPABILITIES: Final = (
    "echo-message",
    "message-tags",
    "multi-prefix",
    "sasl",
    "server-time",
)
"""The IRCv3 capabilities offered; C{sasl} is PLAIN, against the accounts."""

SASL_CHUNK: Final = 400
"""AUTHENTICATE carries base64 in pieces of this many bytes (IRCv3 SASL)."""

MAX_IRC_LINE: Final = MAX_MESSAGE_BYTES + MAX_TAGS_BYTES
"""The longest line read from an IRC client, tags included."""

MOTD: Final = (
    "This is twisted_chat: IRC users and twisted-chat users share its rooms.",
    "Join #lobby to find everyone.",
)

CHEAP_QUERIES: Final = frozenset(
    {"CAP", "ISON", "MODE", "NAMES", "PING", "PONG", "USERHOST", "WHO", "WHOIS"}
)
CHEAP_QUERY_COST: Final = 0.5
"""
Commands that ask and change nothing (or, for MODE, nothing this server
lets change) cost this much of the flood allowance, a message a whole line:
clients send a handful of them after every join (ergo's fakelag practice).
"""

CHANNEL_MODES: Final = "n"
"""
The modes every channel has, and all this server has so far: C{n}, no
messages from outside (only members may speak in a room).  C{t} is not
claimed: any member may set the topic.
"""

MAX_TARGETS: Final = 4
"""
Recipients one PRIVMSG or NOTICE may name (C{TARGMAX}, as ergo's); each
costs the flood allowance of one line, so a comma list is no way around it.
"""


def distinctTargets(targets: str) -> list[str]:
    """
    The recipients of a comma list, each once (compared as names are), in
    the order given; empty items are left out.
    """
    distinct: dict[str, str] = {}
    for target in targets.split(","):
        if target:
            distinct.setdefault(fold(target), target)
    return list(distinct.values())


def roomMarkOf(event: Event) -> RoomMark | None:
    """
    What marks C{event}'s PRIVMSGs in a send queue: a room message is one a
    client that is not reading may be left without, noted under its
    channel's folded name; L{None} for any other event, which is kept.
    """
    if isinstance(event, RoomMessage):
        return (fold(event.room), event.room, event.sequence)
    return None


ERROR_NUMERICS: Final = {
    "nick-in-use": "433",
    "nick-registered": "433",
    "bad-nick": "432",
    "reserved-nick": "432",
    "no-such-nick": "401",
    "no-such-room": "403",
    "bad-room": "403",
    "not-in-room": "442",
    "too-many-rooms": "405",
    "not-permitted": "482",
    "topic-too-long": "417",
}
"""The IRC numeric for each of the core's refusals that has one."""


@implementer(IParticipant, IHandshakeListener)
class IRCChatProtocol(StreamConnection):
    """
    One IRC client connection.

    @ivar member: the chat member, once the client has registered.
    @ivar capabilities: the IRCv3 capabilities the client asked for.
    @ivar away: why the client is away (C{AWAY}), or L{None}.
    """

    factory: "IRCChatFactory"

    def __init__(self, factory: "IRCChatFactory") -> None:
        super().__init__(factory)
        self._skipped: list[bytes] = []
        self.member: Member | None = None
        self.capabilities: set[str] = set()
        self._nick: str | None = None
        self._user: str | None = None
        self._negotiating = False
        self._gone = False
        self._account: str | None = None
        self._sasl: list[str] | None = None
        self._binding = False
        self._early: list[tuple[bytes, RoomMark | None]] = []

    # Connection

    def begin(self) -> None:
        # Registering is IRC's logging in: the guard gives it its time.
        self.guard.start(requireLogin=True, unfinished="Registration did not finish")

    def lost(self, cleanly: bool) -> None:
        self._gone = True
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
        return not self._gone

    @property
    def loggedIn(self) -> bool:
        return self.member is not None

    def carryOut(self, line: bytes | None) -> Deferred[None] | None:
        if line is None:
            self._numeric("417", "Input line was too long")
            return None
        try:
            message = parseMessage(line)
        except MessageTooLong as error:
            self._numeric("417", f"Input line was too long: {error}")
            return None
        except MalformedMessage as error:
            if line.strip(b" "):
                # An empty line is ignored without a word, as RFC 1459 says.
                self.tell(f"That line was ignored: {error}.")
            return None
        handler = self._handlers.get(message.command)
        try:
            if handler is None:
                self._numeric("421", message.command, "Unknown command")
            elif self.member is None and message.command not in _BEFORE_REGISTRATION:
                self._numeric("451", "You have not registered")
            else:
                if message.command in CHEAP_QUERIES:
                    self.guard.charge(-(1 - CHEAP_QUERY_COST))
                # A SASL check answers later; the lines after it wait.
                return handler(self, message.params)
        except Exception:
            self.log.failure("Unexpected error handling {line!r}", line=line)
            self.drop("Internal server error", "error")
        return None

    def ping(self, token: str) -> None:
        self._send(IRCMessage("PING", (token,)))

    def tell(self, text: str) -> None:
        self._send(IRCMessage("NOTICE", (self.name, text), SERVER_NAME))

    def drop(self, reason: str, kind: str) -> None:
        self.log.info("{nick}: {reason}; dropping", nick=self.name, reason=reason)
        if self.member is not None:
            self.factory.chat.quit(self.member, reason, kind)
        else:
            self._send(IRCMessage("ERROR", (f"Closing Link: {reason}",)))
            self.close()

    def gapNotice(self, room: str, first: int, last: int) -> bytes:
        """
        A server C{NOTICE} to the client naming the channel and the messages
        it was not sent while it was not reading: IRC has no C{GAP}.
        """
        text = f"You missed messages {first} to {last} of {room} while not reading"
        return formatMessage(IRCMessage("NOTICE", (self.name, text), SERVER_NAME))

    # IParticipant

    def render(self, event: Event) -> bytes:
        """The bytes that tell this client of C{event}."""
        return b"".join(formatMessage(message) for message in self._render(event))

    def queue(self, data: bytes, mark: RoomMark | None = None) -> None:
        """
        Queue C{data} for this reactor turn's one write to this client, with
        its C{mark} if it is a room message (see L{roomMarkOf}).
        """
        if not data:
            return
        if self._binding:
            # Binding the account before the welcome: what it sends (the
            # private messages that waited) follows the welcome.
            self._early.append((data, mark))
            return
        self.factory.batcher.queue(data, [self], mark)

    def skip(self, data: bytes) -> None:
        """
        Leave out C{data} (this very object) from what is queued: it is this
        client's own message, in a batch shared with the room, and the client
        did not ask for echo-message.
        """
        self._skipped.append(data)

    def writePending(self) -> None:
        """Write what was queued this turn, or let the guard hold it."""
        pending = self.pending
        if not pending:
            return
        batches: list[tuple[list[bytes], list[RoomMark | None]]]
        if self._skipped:
            # By identity: the very objects queued (alive, so ids are unique).
            skipped = {id(own) for own in self._skipped}
            self._skipped = []
            kept = [
                (line, mark)
                for batch in pending
                for line, mark in zip(batch.lines, batch.marks, strict=True)
                if id(line) not in skipped
            ]
            lines = [line for line, _ in kept]
            batches = [(lines, [mark for _, mark in kept])]
            data = b"".join(lines)
        else:
            batches = [(batch.lines, batch.marks) for batch in pending]
            data = (
                pending[0].data()
                if len(pending) == 1
                else b"".join([batch.data() for batch in pending])
            )
        pending.clear()
        if self.guard.holding:
            self.guard.hold(batches)
        elif data:
            self._write(data)

    def close(self) -> None:
        self._gone = True
        super().close()

    def shutDown(self, reason: str) -> None:
        """The server is stopping before this client registered: say so."""
        if not self.closing:
            self._send(IRCMessage("ERROR", (f"Closing Link: {reason}",)))
            self.close()

    # Sending

    def _send(self, message: IRCMessage) -> None:
        self.queue(formatMessage(message))

    def _numeric(self, code: str, *params: str) -> None:
        self._send(IRCMessage(code, (self.name, *params), SERVER_NAME))

    def _refuse(self, error: ChatError, subject: str) -> None:
        numeric = ERROR_NUMERICS.get(error.code)
        if numeric is None:
            self.tell(error.message)
        else:
            self._numeric(numeric, subject, error.message)

    def _isMe(self, nick: str) -> bool:
        return self.member is not None and fold(nick) == fold(self.member.nick)

    def hides(self, message: RoomMessage) -> bool:
        """
        Whether this client is not shown C{message}: its own, said just
        now, when it did not ask for echo-message.
        """
        return (
            not message.history
            and "echo-message" not in self.capabilities
            and self._isMe(message.sender)
        )

    def _render(self, event: Event) -> list[IRCMessage]:
        """The messages that tell this client of C{event}."""
        tagged = "server-time" in self.capabilities
        match event:
            case NickChanged(_, new, _) if self._binding and self._isMe(new):
                return []  # the guest nick it had for a moment
            case RoomMessage() if self.hides(event):
                return []
            case _ if isinstance(event, SHARED_EVENTS):
                return sharedMessages(event, tagged)
            case PrivateMessage(sender, recipient, time, text, _):
                copy = self._isMe(sender) and not self._isMe(recipient)
                if copy and "echo-message" not in self.capabilities:
                    return []
                return privmsgs(recipient, sender, time, text, False, tagged)
            case TopicInfo():
                return self._topicReplies(event, asked=False)
            case MemberList(room, nicks):
                return self._namesReplies(room, nicks)
            case RoomListEntry(room, count, topic):
                return [self._reply("322", room, str(count), topic)]
            case RoomListEnd():
                return [self._reply("323", "End of /LIST")]
            case AccountInfo() if self._binding:
                return []  # 900 and 903 said so already
            case Notice(text) | HelpText(text) | AccountInfo(_, text):
                return [IRCMessage("NOTICE", (self.name, text), SERVER_NAME)]
            case ErrorReply(_, text):
                return [IRCMessage("NOTICE", (self.name, text), SERVER_NAME)]
            case HistoryGap(room, first, last):
                text = f"Messages {first} to {last} of {room} are not replayed."
                return [IRCMessage("NOTICE", (room, text), SERVER_NAME)]
            case Goodbye(_, reason):
                return [IRCMessage("ERROR", (f"Closing Link: {reason}",))]
            case Ping(token):
                return [IRCMessage("PING", (token,))]
        # WELCOME, CURRENT, ENDHISTORY: the line protocol's business.
        return []

    def _reply(self, code: str, *params: str) -> IRCMessage:
        return IRCMessage(code, (self.name, *params), SERVER_NAME)

    def _topicReplies(self, topic: TopicInfo, asked: bool) -> list[IRCMessage]:
        if topic.nick is None or topic.time is None:
            return [self._reply("331", topic.room, "No topic is set")] if asked else []
        return [
            self._reply("332", topic.room, topic.text),
            self._reply("333", topic.room, mask(topic.nick), str(topic.time // 1000)),
        ]

    def _namesReplies(self, room: str, nicks: tuple[str, ...]) -> list[IRCMessage]:
        replies = []
        line: list[str] = []
        for nick in nicks:
            line.append(nick)
            if len(" ".join(line)) > 380:
                replies.append(self._reply("353", "=", room, " ".join(line)))
                line = []
        if line:
            replies.append(self._reply("353", "=", room, " ".join(line)))
        replies.append(self._reply("366", room, "End of /NAMES list"))
        return replies

    # Registration

    def _cap(self, params: tuple[str, ...]) -> None:
        subcommand = params[0].upper() if params else ""
        if subcommand == "LS":
            if self.member is None:
                self._negotiating = True
            self._send(
                IRCMessage(
                    "CAP", (self.name, "LS", " ".join(CAPABILITIES)), SERVER_NAME
                )
            )
        elif subcommand == "LIST":
            listed = " ".join(sorted(self.capabilities))
            self._send(IRCMessage("CAP", (self.name, "LIST", listed), SERVER_NAME))
        elif subcommand == "REQ" and len(params) > 1:
            if self.member is None:
                self._negotiating = True
            asked = params[1].split()
            wanted = {cap.lstrip("-") for cap in asked}
            if wanted <= set(CAPABILITIES):
                for cap in asked:
                    if cap.startswith("-"):
                        self.capabilities.discard(cap[1:])
                    else:
                        self.capabilities.add(cap)
                self.factory.capabilitiesChanged += 1
                reply = "ACK"
            else:
                reply = "NAK"
            self._send(IRCMessage("CAP", (self.name, reply, params[1]), SERVER_NAME))
        elif subcommand == "END":
            self._negotiating = False
            self._register()
        else:
            self._numeric("410", subcommand or "*", "Invalid CAP command")

    def _nickCommand(self, params: tuple[str, ...]) -> None:
        if not params or not params[0]:
            self._numeric("431", "No nickname given")
            return
        nick = params[0]
        if self.member is None:
            self._nick = nick
            self._register()
            return
        try:
            self.factory.chat.changeNick(self.member, nick)
        except ChatError as error:
            self._refuse(error, nick)

    def _userCommand(self, params: tuple[str, ...]) -> None:
        if self.member is not None:
            self._numeric("462", "You may not reregister")
        elif len(params) < 4:
            self._numeric("461", "USER", "Not enough parameters")
        else:
            self._user = params[0]
            self._register()

    def _register(self) -> None:
        """Make the member once NICK, USER and any CAP negotiation are done."""
        if self.member is not None or self._negotiating:
            return
        if self._nick is None or self._user is None:
            return
        if self._account is None and self.factory.requireLogin:
            self.drop(
                "This server requires an account: log in with SASL PLAIN", "error"
            )
            return
        chat = self.factory.chat
        try:
            if self._account is not None:
                # A guest for a moment, until the account's nick is bound.
                self.member = chat.connect(self, address=self.peerHost)
            else:
                self.member = chat.connect(self, nick=self._nick, address=self.peerHost)
        except ChatError as error:
            self._refuse(error, self._nick)
            self._nick = None
            return
        self.log.info(
            "{nick} registered over IRC from {peer}",
            nick=self._nick,
            peer=self.peerHost,
        )
        if self._account is None:
            self._welcome()
            return
        self._binding = True
        bound = chat.bindAccount(self.member, self._account)

        def welcome(result: object) -> object:
            self._binding = False
            if self.member is not None and self.member.present:
                self._welcome()
                early, self._early = self._early, []
                for data, mark in early:
                    self.queue(data, mark)
            return result

        bound.addBoth(welcome).addErrback(self._failedLater, False)

    def _welcome(self) -> None:
        nick = self.name
        self._numeric("001", f"Welcome to twisted_chat, {nick}")
        self._numeric(
            "002", f"Your host is {SERVER_NAME}, running twisted_chat {__version__}"
        )
        self._numeric("003", "This server speaks IRC beside its own line protocol")
        self._numeric("004", SERVER_NAME, __version__, "i", CHANNEL_MODES)
        self._numeric(
            "005",
            "CASEMAPPING=ascii",
            "CHANTYPES=#",
            f"NICKLEN={NICK_MAX_LENGTH}",
            f"CHANNELLEN={ROOM_NAME_MAX_LENGTH}",
            f"TOPICLEN={TOPIC_MAX_LENGTH}",
            f"LINELEN={MAX_MESSAGE_BYTES}",
            f"CHANLIMIT=#:{self.factory.chat.maxRoomsPerMember}",
            f"TARGMAX=PRIVMSG:{MAX_TARGETS},NOTICE:{MAX_TARGETS}",
            "PREFIX=()",
            f"CHANMODES=,,,{CHANNEL_MODES}",
            "NETWORK=twisted_chat",
            "are supported by this server",
        )
        self._numeric("375", f"- {SERVER_NAME} Message of the day -")
        for text in MOTD:
            self._numeric("372", f"- {text}")
        self._numeric("376", "End of /MOTD command")

    def _authenticate(self, params: tuple[str, ...]) -> Deferred[None] | None:
        """
        SASL PLAIN (IRCv3 sasl 3.1): C{AUTHENTICATE PLAIN}, then the base64
        of C{authzid NUL authcid NUL password} in pieces of 400 bytes.
        """
        if "sasl" not in self.capabilities or self.member is not None:
            self._numeric("904", "SASL authentication failed")
            return None
        if self._account is not None:
            self._numeric("907", "You have already authenticated using SASL")
            return None
        argument = params[0] if params else ""
        if argument == "*":
            self._sasl = None
            self._numeric("906", "SASL authentication aborted")
        elif self._sasl is None:
            if argument.upper() != "PLAIN":
                self._numeric("908", "PLAIN", "are available SASL mechanisms")
                self._numeric("904", "SASL authentication failed")
                return None
            self._sasl = []
            self._send(IRCMessage("AUTHENTICATE", ("+",)))
        else:
            if argument != "+":
                self._sasl.append(argument)
            if len(argument) == SASL_CHUNK:
                return None  # more to come
            if sum(map(len, self._sasl)) > 4 * SASL_CHUNK:
                self._sasl = None
                self._numeric("904", "SASL authentication failed")
                return None
            payload, self._sasl = "".join(self._sasl), None
            return self._checkPlain(payload)
        return None

    def _checkPlain(self, payload: str) -> Deferred[None] | None:
        try:
            _, nick, password = (
                base64.b64decode(payload, validate=True).decode("utf-8").split("\0")
            )
        except (ValueError, UnicodeDecodeError, binascii.Error):
            self._numeric("904", "SASL authentication failed")
            return None
        checking = ensureDeferred(
            self.factory.accounts.login(nick, password, self.peerHost)
        )

        def loggedIn(account: Any) -> None:
            self._account = account.nick
            self._numeric(
                "900", mask(account.nick), account.nick,
                f"You are now logged in as {account.nick}",
            )  # fmt: skip
            self._numeric("903", "SASL authentication successful")

        def failed(failure: Failure) -> None:
            failure.trap(ChatError)
            self._numeric("904", f"SASL authentication failed: {failure.value}")

        return checking.addCallbacks(loggedIn, failed)

    def _pass(self, params: tuple[str, ...]) -> None:
        """Accepted and ignored: accounts over IRC will come with SASL."""

    def _ping(self, params: tuple[str, ...]) -> None:
        token = params[0] if params else ""
        self._send(IRCMessage("PONG", (SERVER_NAME, token), SERVER_NAME))

    def _pong(self, params: tuple[str, ...]) -> None:
        """Any line shows the client is there; the guard has noted it."""

    def _quit(self, params: tuple[str, ...]) -> None:
        reason = params[0] if params and params[0] else "Leaving"
        if self.member is not None:
            self.factory.chat.quit(self.member, reason)
        else:
            self._send(IRCMessage("ERROR", (f"Closing Link: {reason}",)))
            self.close()

    # Rooms and messages

    def _join(self, params: tuple[str, ...]) -> None:
        if not params:
            self._numeric("461", "JOIN", "Not enough parameters")
            return
        assert self.member is not None
        for room in params[0].split(","):
            if room == "0":
                for joined in list(self.member.rooms.values()):
                    self.factory.chat.part(
                        self.member, joined.name, "Left all channels"
                    )
                continue
            if not room.startswith("#"):
                self._numeric("403", room, "No such channel")
                continue
            try:
                self.factory.chat.join(self.member, room)
            except ChatError as error:
                self._refuse(error, room)

    def _part(self, params: tuple[str, ...]) -> None:
        if not params:
            self._numeric("461", "PART", "Not enough parameters")
            return
        assert self.member is not None
        reason = params[1] if len(params) > 1 else ""
        for room in params[0].split(","):
            try:
                self.factory.chat.part(self.member, room, reason)
            except ChatError as error:
                self._refuse(error, room)

    def _privmsg(self, params: tuple[str, ...], notice: bool = False) -> None:
        if not params:
            if not notice:
                self._numeric("411", "No recipient given (PRIVMSG)")
            return
        if len(params) < 2 or not params[1]:
            if not notice:
                self._numeric("412", "No text to send")
            return
        assert self.member is not None
        targets = distinctTargets(params[0])
        if len(targets) > MAX_TARGETS:
            if not notice:
                self._numeric(
                    "407", params[0],
                    f"Too many recipients (at most {MAX_TARGETS});"
                    " the message was not sent",
                )  # fmt: skip
            return
        # Each recipient costs as much flood allowance as a line of its own.
        self.guard.charge(len(targets) - 1)
        text, action = params[1], False
        if text.startswith("\x01"):
            inner = text.strip("\x01")
            if not inner.upper().startswith("ACTION "):
                return  # other CTCP requests are not passed on
            text, action = inner[7:], True
        try:
            checkText(text)
        except ChatError as error:
            if not notice:
                self.tell(error.message)
            return
        sent: Deferred[Any]
        for target in targets:
            try:
                if target.startswith("#"):
                    sent = self.factory.chat.say(
                        self.member, target, text, action=action
                    )
                else:
                    # Private messages have no actions: the text says it.
                    said = f"* {self.member.nick} {text}" if action else text
                    sent = self.factory.chat.sendPrivate(self.member, target, said)
                    if not notice:
                        self._tellAway(target)
            except ChatError as error:
                if not notice:
                    self._refuse(error, target)
                continue
            sent.addErrback(self._failedLater, notice)

    def _tellAway(self, nick: str) -> None:
        """301: the member written to is marked away, and why."""
        member = self.factory.chat.memberIfPresent(nick)
        if member is not None and member.away is not None:
            self._numeric("301", member.nick, member.away)

    def _failedLater(self, failure: Failure, notice: bool) -> None:
        """A message refused after the fact (the store failed)."""
        if isinstance(failure.value, ChatError):
            if not notice:
                self.tell(failure.value.message)
        else:
            self.log.failure("Sending a message failed", failure)

    def _notice(self, params: tuple[str, ...]) -> None:
        self._privmsg(params, notice=True)

    def _topic(self, params: tuple[str, ...]) -> None:
        if not params:
            self._numeric("461", "TOPIC", "Not enough parameters")
            return
        assert self.member is not None
        room = params[0]
        try:
            if len(params) == 1:
                for reply in self._topicReplies(
                    self.factory.chat.topicOf(room), asked=True
                ):
                    self._send(reply)
            else:
                self.factory.chat.setTopic(self.member, room, params[1]).addErrback(
                    self._failedLater, False
                )
        except ChatError as error:
            self._refuse(error, room)

    def _names(self, params: tuple[str, ...]) -> None:
        assert self.member is not None
        rooms = (
            params[0].split(",")
            if params
            else [r.name for r in self.member.rooms.values()]
        )
        for room in rooms:
            try:
                members = self.factory.chat.membersOf(room)
            except ChatError:
                self._numeric("366", room, "End of /NAMES list")
                continue
            for reply in self._namesReplies(members.room, members.nicks):
                self._send(reply)

    def _who(self, params: tuple[str, ...]) -> None:
        # irssi asks for all the channels it joined at once: WHO #a,#b.
        for each in (params[0] if params else "*").split(","):
            self._whoOne(each)

    def _whoOne(self, mask_: str) -> None:
        chat = self.factory.chat
        try:
            if mask_.startswith("#"):
                nicks = chat.membersOf(mask_).nicks
            else:
                nicks = (chat.memberNamed(mask_).nick,)
        except ChatError:
            nicks = ()
        for nick in nicks:
            self._numeric(
                "352", mask_ if mask_.startswith("#") else "*", nick, USER_HOST,
                SERVER_NAME, nick, "H", f"0 {nick}",
            )  # fmt: skip
        self._numeric("315", mask_, "End of /WHO list")

    def _whois(self, params: tuple[str, ...]) -> None:
        if not params:
            self._numeric("431", "No nickname given")
            return
        nick = params[-1]
        try:
            member = self.factory.chat.memberNamed(nick)
        except ChatError as error:
            self._refuse(error, nick)
        else:
            self._numeric("311", member.nick, member.nick, USER_HOST, "*", member.nick)
            rooms = " ".join(room.name for room in member.rooms.values())
            if rooms:
                self._numeric("319", member.nick, rooms)
            self._numeric("312", member.nick, SERVER_NAME, "twisted_chat")
            self._tellAway(member.nick)
        self._numeric("318", nick, "End of /WHOIS list")

    def _list(self, params: tuple[str, ...]) -> None:
        self._numeric("321", "Channel", "Users  Name")
        for entry in self.factory.chat.listRooms():
            self._numeric("322", entry.room, str(entry.memberCount), entry.topic)
        self._numeric("323", "End of /LIST")

    def _mode(self, params: tuple[str, ...]) -> None:
        if not params:
            self._numeric("461", "MODE", "Not enough parameters")
            return
        target = params[0]
        if target.startswith("#"):
            # irssi asks for all the channels it joined at once: MODE #a,#b.
            for channel in target.split(","):
                self._channelMode(channel, params[1:])
        elif self._isMe(target):
            if len(params) == 1:
                self._numeric("221", "+")
        else:
            self._numeric("502", "Cannot change mode for other users")

    def _channelMode(self, channel: str, changes: tuple[str, ...]) -> None:
        try:
            self.factory.chat.membersOf(channel)
        except ChatError:
            self._numeric("403", channel, "No such channel")
            return
        if not changes:
            self._numeric("324", channel, f"+{CHANNEL_MODES}")
        elif changes[0].lstrip("+-") == "b":
            self._numeric("368", channel, "End of channel ban list")
        else:
            self._numeric("482", channel, "Channel modes cannot be changed here")

    def _awayCommand(self, params: tuple[str, ...]) -> None:
        assert self.member is not None
        reason = params[0] if params else None
        try:
            self.factory.chat.setAway(self.member, reason)
        except ChatError as error:
            self.tell(error.message)
            return
        if self.member.away is not None:
            self._numeric("306", "You have been marked as being away")
        else:
            self._numeric("305", "You are no longer marked as being away")

    def _userhost(self, params: tuple[str, ...]) -> None:
        found = []
        for nick in params[:5]:
            try:
                member = self.factory.chat.memberNamed(nick)
            except ChatError:
                continue
            found.append(f"{member.nick}=+{member.nick}@{USER_HOST}")
        self._numeric("302", " ".join(found))

    def _ison(self, params: tuple[str, ...]) -> None:
        present = []
        for nick in " ".join(params).split():
            try:
                present.append(self.factory.chat.memberNamed(nick).nick)
            except ChatError:
                continue
        self._numeric("303", " ".join(present))

    _handlers: Final[
        dict[
            str,
            Callable[["IRCChatProtocol", tuple[str, ...]], Deferred[None] | None],
        ]
    ] = {
        "CAP": _cap,
        "NICK": _nickCommand,
        "USER": _userCommand,
        "PASS": _pass,
        "AUTHENTICATE": _authenticate,
        "PING": _ping,
        "PONG": _pong,
        "QUIT": _quit,
        "JOIN": _join,
        "PART": _part,
        "PRIVMSG": _privmsg,
        "NOTICE": _notice,
        "TOPIC": _topic,
        "NAMES": _names,
        "WHO": _who,
        "WHOIS": _whois,
        "LIST": _list,
        "MODE": _mode,
        "AWAY": _awayCommand,
        "USERHOST": _userhost,
        "ISON": _ison,
    }


_BEFORE_REGISTRATION: Final = frozenset(
    {"AUTHENTICATE", "CAP", "NICK", "USER", "PASS", "PING", "PONG", "QUIT"}
)


class IRCChatFactory(StreamFrontEnd):
    """
    Makes an L{IRCChatProtocol} for each connection to one chat, and is
    their L{IOutbox}: an event for many IRC clients is formatted once for
    each way of seeing it (with or without times; one's own message or
    another's), not once per client.
    """

    connectionClass = IRCChatProtocol
    maxLineLength = MAX_IRC_LINE

    def __init__(
        self,
        chat: ChatServer,
        accounts: Accounts,
        clock: IReactorTime,
        *,
        rules: ConnectionRules = DEFAULT_RULES,
        admission: Admission | None = None,
        requireLogin: bool = False,
    ) -> None:
        super().__init__(
            chat,
            accounts,
            clock,
            rules=rules,
            admission=admission,
            requireLogin=requireLogin,
        )
        self.capabilitiesChanged = 0
        self._groups: dict[
            int, tuple[list[IParticipant], int, dict[bool, list[Queued]]]
        ] = {}

    def refusal(self, why: str) -> bytes:
        return formatMessage(IRCMessage("ERROR", (f"Closing Link: {why}",)))

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
        if len(participants) == 1 or not isinstance(event, SHARED_EVENTS):
            for participant in participants:
                protocol = cast(IRCChatProtocol, participant)
                try:
                    protocol.queue(protocol.render(event), roomMarkOf(event))
                except Exception:
                    self.log.failure("Delivering {event!r} failed", event=event)
            return
        mark = roomMarkOf(event)
        for tagged, group in self._groupsOf(participants).items():
            data = b"".join(map(formatMessage, sharedMessages(event, tagged)))
            self.batcher.queue(data, group, mark)
            if isinstance(event, RoomMessage):
                self._skipOwn(event, sender, tagged, data)

    def _skipOwn(
        self,
        message: RoomMessage,
        sender: IParticipant | None,
        tagged: bool,
        data: bytes,
    ) -> None:
        """
        The C{sender} of C{message}, if it is one of these clients, sees it
        with times as C{tagged} says, and is not to be shown it, skips
        C{data}.
        """
        if (
            isinstance(sender, IRCChatProtocol)
            and sender.outbox is self
            and sender.member is not None
            and fold(message.room) in sender.member.rooms
            and ("server-time" in sender.capabilities) == tagged
            and sender.hides(message)
        ):
            sender.skip(data)

    def _groupsOf(self, participants: list[IParticipant]) -> dict[bool, list[Queued]]:
        """
        The clients of C{participants} with and without server-time, as
        lists kept while the participants list and everyone's capabilities
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
        groups: dict[bool, list[Queued]] = {}
        for participant in participants:
            protocol = cast(IRCChatProtocol, participant)
            groups.setdefault("server-time" in protocol.capabilities, []).append(
                protocol
            )
        if len(self._groups) > 256:
            self._groups.clear()
        self._groups[key] = (participants, self.capabilitiesChanged, groups)
        return groups
