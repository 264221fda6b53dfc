"""
Fan-out in one process, without sockets: C{N} line-protocol connections
over C{StringTransport}, one of them saying C{M} messages in a room, with a
memory store and a fake clock; it prints deliveries per CPU-second, the best
of three.  It measures the path from the core to each connection's batched
write, and nothing of the network, so that two revisions can be told apart
where C{bench/run.py} (real sockets, a load generator) cannot say which
layer a difference comes from:

    PYTHONPATH=CHECKOUT python bench/inprocess.py 200 5000 [--profile]

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


def main(members: int, messages: int, profile: bool) -> None:
    clock = Clock()
    chat = Chat(clock, MemoryStore())
    hasher = PasswordHasher(clock, runner=lambda function, *args: None)
    factory = LineChatFactory(
        chat, accountsFor(chat, hasher, clock), clock, rules=UNLIMITED
    )
    connections: list[tuple[Any, StringTransport]] = []
    for _ in range(members):
        transport = StringTransport()
        protocol = factory.buildProtocol(None)
        protocol.makeConnection(transport)
        protocol.dataReceived(b"/join #lobby\n")
        connections.append((protocol, transport))
    clock.advance(1)
    sender = connections[0][0].member

    def run() -> None:
        for n in range(messages):
            chat.say(sender, "#lobby", f"hello {n}")
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
    main(int(sys.argv[1]), int(sys.argv[2]), "--profile" in sys.argv[3:])
