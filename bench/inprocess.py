"""
Fan-out in one process, without sockets: C{N} line-protocol connections
over C{StringTransport}, one of them saying C{M} messages in a room, with a
memory store and a fake clock; it prints deliveries per CPU-second, the best
of three.  It measures the path from the core to each connection's batched
write, and nothing of the network, so that two revisions can be told apart
where C{bench/run.py} (real sockets, a load generator) cannot say which
layer a difference comes from:

    PYTHONPATH=CHECKOUT python bench/inprocess.py 200 5000 [--profile]
        [--irc | --irc-tags]

With C{--irc} the connections are IRC clients and the messages are
C{PRIVMSG} lines fed to the sender's connection, parsing and the command's
path included; C{--irc-tags} makes them ask for C{message-tags} and
C{server-time} first, as modern clients do.

It runs against this layout and the one before issue 13 (C{twisted_chat.core},
C{twisted_chat.lineserver}), so an older checkout can be measured too.
"""

import cProfile
import pstats
import sys
import time
from typing import Any

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from twisted_chat.limits import UNLIMITED
from twisted_chat.store.memory import MemoryStore

try:
    from twisted_chat.chat.accounts import Accounts, PasswordHasher
    from twisted_chat.chat.core import Chat
    from twisted_chat.frontends.line.protocol import LineChatFactory
except ImportError:  # a checkout from before the layout by layer
    from twisted_chat.accounts import Accounts, PasswordHasher  # type: ignore
    from twisted_chat.core import ChatServer as Chat  # type: ignore
    from twisted_chat.lineserver import LineChatFactory  # type: ignore


def accountsFor(chat: Any, hasher: Any, clock: Clock) -> Any:
    """Accounts on C{chat}: given the chat since the cred login workflow,
    its store before."""
    try:
        return Accounts(chat, hasher, clock)
    except AttributeError:
        return Accounts(chat.store, hasher, clock)


def ircGreeting(number: int, tags: bool) -> bytes:
    """What an IRC client sends to register and join the room."""
    capabilities = b"CAP REQ :message-tags server-time\r\n" if tags else b""
    return (
        b"CAP LS 302\r\n" + capabilities + b"CAP END\r\n"
        b"NICK m%d\r\nUSER m 0 * :m\r\nJOIN #lobby\r\n" % number
    )


def main(members: int, messages: int, profile: bool, dialect: str) -> None:
    clock = Clock()
    chat = Chat(clock, MemoryStore())
    hasher = PasswordHasher(clock, runner=lambda function, *args: None)
    accounts = accountsFor(chat, hasher, clock)
    if dialect == "line":
        factory = LineChatFactory(chat, accounts, clock, rules=UNLIMITED)
    else:
        from twisted_chat.frontends.irc.factory import IRCChatFactory

        factory = IRCChatFactory(chat, accounts, clock, rules=UNLIMITED)
    connections: list[tuple[Any, StringTransport]] = []
    for number in range(members):
        transport = StringTransport()
        protocol = factory.buildProtocol(None)
        protocol.makeConnection(transport)
        if dialect == "line":
            protocol.dataReceived(b"/join #lobby\n")
        else:
            protocol.dataReceived(ircGreeting(number, dialect == "irc-tags"))
        connections.append((protocol, transport))
    clock.advance(1)
    sender = connections[0][0]

    def say(n: int) -> None:
        if dialect == "line":
            chat.say(sender.member, "#lobby", f"hello {n}")
        else:
            sender.dataReceived(b"PRIVMSG #lobby :hello %d\r\n" % n)

    def run() -> None:
        for n in range(messages):
            say(n)
            if n % 10 == 9:
                clock.advance(0)
                for _, transport in connections:
                    transport.clear()
        clock.advance(0)

    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    print(f"{members * messages / best / 1e6:.2f} M deliveries per CPU-second")
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(run)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    flags = sys.argv[3:]
    dialect = (
        "irc-tags" if "--irc-tags" in flags else "irc" if "--irc" in flags else "line"
    )
    main(int(sys.argv[1]), int(sys.argv[2]), "--profile" in flags, dialect)
