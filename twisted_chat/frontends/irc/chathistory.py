"""
IRCv3 C{draft/chathistory}: C{CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN}
for a channel's or a private conversation's messages, and C{TARGETS} for
the conversations active in a span of time, answered in a C{chathistory}
(or C{draft/chathistory-targets}) batch; a bad request is answered with
C{FAIL CHATHISTORY}.

This module only translates: the chat core's archive
(L{twisted_chat.chat.archive}) decides who may read what and reads it
through the store's queue, off the reactor.  A reference is a C{msgid}
(L{twisted_chat.frontends.irc.msgids}) or a C{timestamp=} in
C{server-time}'s form, or C{*} for C{LATEST}; every answer is bounded by
L{CHATHISTORY_MAX}, which ISUPPORT's C{CHATHISTORY=} says.
"""

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from twisted_chat.chat.archive import Activity, Mark, Said
from twisted_chat.chat.errors import ChatError, StoreFailed
from twisted_chat.chat.events import Event, HistoryGap, RoomMessage
from twisted_chat.frontends.irc.msgids import markOf, privateMsgid, roomMsgid
from twisted_chat.frontends.irc.render import (
    Tags,
    messageTags,
    privmsgs,
    serverTime,
    viewOf,
)
from twisted_chat.wire.irc import IRCMessage, formatMessage

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol

CHATHISTORY_MAX: Final = 100
"""
The most messages (or conversations, for C{TARGETS}) one C{CHATHISTORY}
answers with (C{ISUPPORT CHATHISTORY=}); a larger limit asked for is cut to
it.
"""

ISUPPORT_TOKENS: Final = (
    f"CHATHISTORY={CHATHISTORY_MAX}",
    "MSGREFTYPES=timestamp,msgid",
)
"""What ISUPPORT says of C{CHATHISTORY}."""

CAPABILITY: Final = "draft/chathistory"

SUBCOMMANDS: Final = frozenset(
    {"LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS"}
)


class BadRequest(Exception):
    """
    A C{CHATHISTORY} the server cannot carry out, with its C{FAIL} code and
    the parameters that say what was wrong.
    """

    def __init__(self, code: str, *params: str) -> None:
        super().__init__(code, *params)
        self.code = code
        self.params = params


def playedBack(event: Event) -> bool:
    """
    Whether C{event} is part of the history the core replays on joining,
    which a client with C{draft/chathistory} fetches itself when it wants.
    """
    return isinstance(event, HistoryGap) or (
        isinstance(event, RoomMessage) and event.history
    )


def parseTimestamp(text: str) -> int:
    """
    The time, in milliseconds since the epoch, of a C{server-time} stamp
    (C{YYYY-MM-DDThh:mm:ss.sssZ}, the fraction optional).

    @raise ValueError: if it is not one.
    """
    if not text.isascii() or not text.endswith("Z"):
        raise ValueError(text)
    form = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    stamp = datetime.strptime(text[:-1], form).replace(tzinfo=UTC)
    return int(stamp.timestamp() * 1000)


def gapFetch(room: str, first: int, last: int) -> str:
    """The C{CHATHISTORY} that fetches messages C{first} to C{last} of C{room}."""
    before, after = roomMsgid(room, first - 1), roomMsgid(room, last + 1)
    count = min(last - first + 1, CHATHISTORY_MAX)
    return f"CHATHISTORY BETWEEN {room} msgid={before} msgid={after} {count}"


class ChatHistory:
    """
    The C{CHATHISTORY} command of one registered client.

    @ivar client: the connection whose command this is.
    """

    log = Logger()

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client
        self._batches = itertools.count(1)

    def chathistory(self, params: tuple[str, ...]) -> Deferred[None] | None:
        """
        CHATHISTORY subcommand target reference... limit: read what was
        asked for and send it in one batch; the client's next lines wait.
        """
        subcommand = params[0].upper() if params else ""
        try:
            if subcommand not in SUBCOMMANDS:
                if not params:
                    raise BadRequest("INVALID_PARAMS", "*", "Insufficient parameters")
                raise BadRequest("UNKNOWN_COMMAND", params[0], "Unknown subcommand")
            if subcommand == "TARGETS":
                return self._targets(params)
            return self._messages(subcommand, params)
        except BadRequest as error:
            self._fail(error.code, *error.params)
        except ChatError as error:
            target = params[1] if len(params) > 1 else "*"
            self._fail("INVALID_TARGET", subcommand, target, error.message)
        return None

    def _messages(self, subcommand: str, params: tuple[str, ...]) -> Deferred[None]:
        """LATEST, BEFORE, AFTER, AROUND or BETWEEN, checked, then read."""
        wanted = 5 if subcommand == "BETWEEN" else 4
        if len(params) != wanted:
            raise BadRequest(
                "INVALID_PARAMS",
                subcommand,
                "Insufficient parameters"
                if len(params) < wanted
                else "Too many parameters",
            )
        target, references, limit = (
            params[1],
            params[2:-1],
            self._limit(subcommand, params[-1]),
        )
        archive = self.client.factory.chat.archive
        member = self.client.member
        assert member is not None
        if subcommand == "LATEST":
            after = (
                None
                if references[0] == "*"
                else self._mark(subcommand, target, references[0])
            )
            read = archive.read(member, target, after, None, limit, True)
        elif subcommand == "BEFORE":
            before = self._mark(subcommand, target, references[0])
            read = archive.read(member, target, None, before, limit, True)
        elif subcommand == "AFTER":
            after = self._mark(subcommand, target, references[0])
            read = archive.read(member, target, after, None, limit, False)
        elif subcommand == "AROUND":
            mark = self._mark(subcommand, target, references[0])
            read = archive.around(member, target, mark, limit)
        else:
            start, end = (self._mark(subcommand, target, each) for each in references)
            read = archive.between(member, target, start, end, limit)
        return self._answer(
            read, subcommand, target, lambda said: self._history(target, said)
        )

    def _targets(self, params: tuple[str, ...]) -> Deferred[None]:
        """TARGETS timestamp=a timestamp=b limit."""
        if len(params) != 4:
            raise BadRequest(
                "INVALID_PARAMS",
                "TARGETS",
                "Insufficient parameters" if len(params) < 4 else "Too many parameters",
            )
        start, end = (self._timestamp("TARGETS", each) for each in params[1:3])
        limit = self._limit("TARGETS", params[3])
        member = self.client.member
        assert member is not None
        read = self.client.factory.chat.archive.conversations(member, start, end, limit)
        return self._answer(read, "TARGETS", "*", self._listing)

    # Parameters

    def _limit(self, subcommand: str, text: str) -> int:
        if not (text.isascii() and text.isdigit()) or int(text) == 0:
            raise BadRequest("INVALID_PARAMS", subcommand, text, "Invalid limit")
        return min(int(text), CHATHISTORY_MAX)

    def _mark(self, subcommand: str, target: str, reference: str) -> Mark:
        kind, equals, value = reference.partition("=")
        if kind == "timestamp" and equals:
            return Mark(time=self._timestamp(subcommand, reference))
        if kind == "msgid" and equals:
            mark = markOf(target, value)
            if mark is None:
                raise BadRequest(
                    "INVALID_PARAMS", subcommand, reference, "Unknown msgid"
                )
            return mark
        raise BadRequest(
            "INVALID_MSGREFTYPE", subcommand, reference, "Use msgid= or timestamp="
        )

    def _timestamp(self, subcommand: str, reference: str) -> int:
        kind, _, value = reference.partition("=")
        try:
            if kind != "timestamp":
                raise ValueError(reference)
            return parseTimestamp(value)
        except ValueError:
            raise BadRequest(
                "INVALID_PARAMS", subcommand, reference, "Invalid timestamp"
            ) from None

    # Replies

    def _answer(
        self,
        read: Deferred[Any],
        subcommand: str,
        target: str,
        render: Callable[[Any], tuple[str, list[IRCMessage]]],
    ) -> Deferred[None]:
        """
        Once C{read} has fired, send what it read, rendered, in one batch
        labelled as the command was; or say why nothing could be.
        """
        client = self.client
        label = client.labels.takeOver()

        def send(found: Any) -> None:
            if client.closing:
                return
            batchType, messages = render(found)
            self._sendBatch(batchType, messages, label)

        def failed(failure: Failure) -> None:
            if client.closing:
                return
            if not failure.check(StoreFailed, ChatError):
                self.log.failure(
                    "CHATHISTORY {subcommand} failed", failure, subcommand=subcommand
                )
            tags: Tags = (("label", label),) if label is not None else ()
            client.send(
                IRCMessage(
                    "FAIL",
                    ("CHATHISTORY", "MESSAGE_ERROR", subcommand, target,
                     "Messages could not be retrieved"),
                    client.factory.serverName,
                    tags,
                )
            )  # fmt: skip

        return read.addCallbacks(send, failed)

    def _history(self, target: str, found: list[Said]) -> tuple[str, list[IRCMessage]]:
        """The messages read, as the client would have seen them said."""
        view = viewOf(self.client.capabilities)
        messages: list[IRCMessage] = []
        for said in found:
            if isinstance(said, RoomMessage):
                msgid = roomMsgid(said.room, said.sequence)
                tags = messageTags(said.time, view, msgid, said.account)
                messages += privmsgs(
                    said.room, said.sender, said.text, said.action, tags
                )
            else:
                msgid = privateMsgid(said.sender, said.recipient, said.time, said.text)
                tags = messageTags(said.time, view, msgid, said.account)
                messages += privmsgs(
                    said.recipient, said.sender, said.text, False, tags
                )
        return f"chathistory {target}", messages

    def _listing(self, found: list[Activity]) -> tuple[str, list[IRCMessage]]:
        """The conversations read, one C{CHATHISTORY TARGETS} line each."""
        server = self.client.factory.serverName
        return "draft/chathistory-targets", [
            IRCMessage(
                "CHATHISTORY", ("TARGETS", each.target, serverTime(each.latest)), server
            )
            for each in found
        ]

    def _sendBatch(
        self, batchType: str, messages: list[IRCMessage], label: str | None
    ) -> None:
        """
        C{messages} in a batch of C{batchType} (type and parameters) if the
        client asked for batches, else as they are; the first line labelled.
        """
        client = self.client
        server = client.factory.serverName
        if "batch" in client.capabilities:
            reference = f"H{next(self._batches)}"
            tag = (("batch", reference),)
            messages = [
                IRCMessage("BATCH", (f"+{reference}", *batchType.split(" ")), server),
                *(
                    IRCMessage(m.command, m.params, m.source, tag + m.tags)
                    for m in messages
                ),
                IRCMessage("BATCH", (f"-{reference}",), server),
            ]
        if label is not None and "labeled-response" in client.capabilities:
            if not messages:
                messages = [IRCMessage("ACK", (), server)]
            first = messages[0]
            messages[0] = IRCMessage(
                first.command,
                first.params,
                first.source,
                (("label", label), *first.tags),
            )
        client.queue(b"".join(map(formatMessage, messages)))

    def _fail(self, code: str, *params: str) -> None:
        self.client.send(
            IRCMessage(
                "FAIL", ("CHATHISTORY", code, *params), self.client.factory.serverName
            )
        )
