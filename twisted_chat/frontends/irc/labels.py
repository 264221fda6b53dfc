"""
IRCv3 C{labeled-response}: a command a client sends with C{@label=...}
gets the replies it causes labelled with it, so that the client can tell
which command they answer.

While such a command is carried out, what the connection queues for the
client is held here; once done, one reply is sent with the label, several
in a C{labeled-response} batch (C{batch}), and none as an C{ACK}.  What the
chat delivers later (a message's echo, after its commit) and what a room
shares with its other members is not held: it goes out unlabelled.
"""

import itertools
from typing import TYPE_CHECKING

from twisted_chat.wire.irc import IRCMessage, formatMessage, parseMessage

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol


class Labels:
    """
    The labelled command of one client, if one is being carried out.

    @ivar label: the label of the command being carried out, or L{None}.
    """

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client
        self.label: str | None = None
        self._held: list[bytes] = []
        self._batches = itertools.count(1)

    def begin(self, label: str) -> None:
        """A command labelled C{label} is about to be carried out."""
        self.label = label
        self._held = []

    def takeOver(self) -> str | None:
        """
        The command being carried out answers later, once the store has
        read what it asked for: it labels its reply itself (with the label
        returned, if any), and nothing is sent for it now.
        """
        label, self.label = self.label, None
        self._held = []
        return label

    def hold(self, data: bytes) -> None:
        """Keep C{data}, a reply to the labelled command, until it is done."""
        self._held.append(data)

    def end(self) -> None:
        """The labelled command is done: send its replies, labelled."""
        label, self.label = self.label, None
        if label is None:
            return
        lines = b"".join(self._held).split(b"\r\n")[:-1]
        self._held = []
        messages = [parseMessage(line) for line in lines]
        tag = ("label", label)
        server = self.client.factory.serverName
        if not messages:
            messages = [IRCMessage("ACK", (), server, (tag,))]
        elif len(messages) == 1:
            only = messages[0]
            messages = [
                IRCMessage(only.command, only.params, only.source, (tag, *only.tags))
            ]
        elif "batch" in self.client.capabilities:
            reference = f"L{next(self._batches)}"
            inner = [
                IRCMessage(
                    m.command, m.params, m.source, (("batch", reference), *m.tags)
                )
                for m in messages
            ]
            messages = [
                IRCMessage(
                    "BATCH", (f"+{reference}", "labeled-response"), server, (tag,)
                ),
                *inner,
                IRCMessage("BATCH", (f"-{reference}",), server),
            ]
        data = b"".join(map(formatMessage, messages))
        self.client.factory.batcher.queue(data, [self.client], None)
