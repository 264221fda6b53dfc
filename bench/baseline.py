"""
The minimal Twisted broadcast server the benchmark measures twisted_chat
against, written only for the benchmark.

Every line a connection sends is framed once as C{MSG <sender> :<line>} and
queued to every connection, the sender included; once per reactor turn each
connection gets one write of all that was queued for it, sent at once when
the socket takes it (the same C{writerFor} twisted_chat uses).  It has no
rooms, no commands, no limits and no store: what twisted_chat adds costs the
difference between the two.

With C{--shared}, since everyone gets every line, a turn's lines are joined
once and the same bytes written to each connection: no Python work per
delivery but the write itself, the true ceiling of a Python fan-out.

    python bench/baseline.py --port 7700 [--shared]
"""

import argparse
import sys

from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.protocol import Factory, Protocol

from twisted_chat.connection.writenow import writerFor


class Broadcaster(Protocol):
    def __init__(self, hub: "Hub", name: bytes) -> None:
        self.hub = hub
        self.name = name
        self.buffer = b""
        self.pending: list[bytes] = []

    def connectionMade(self) -> None:
        self.transport.setTcpNoDelay(True)  # type: ignore[union-attr]
        self.write = writerFor(self.transport)  # type: ignore[arg-type]
        self.hub.members.add(self)

    def connectionLost(self, reason: object = None) -> None:
        self.hub.members.discard(self)

    def dataReceived(self, data: bytes) -> None:
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        for line in lines:
            self.hub.broadcast(
                b"MSG " + self.name + b" :" + line.rstrip(b"\r") + b"\r\n"
            )


class Hub(Factory):
    def __init__(self) -> None:
        self.members: set[Broadcaster] = set()
        self.dirty: list[Broadcaster] = []
        self.count = 0

    def buildProtocol(self, addr: object) -> Broadcaster:
        self.count += 1
        return Broadcaster(self, b"c%d" % self.count)

    def broadcast(self, line: bytes) -> None:
        if not self.dirty:
            reactor.callLater(0, self.flush)  # type: ignore[attr-defined]
        for member in self.members:
            if not member.pending:
                self.dirty.append(member)
            member.pending.append(line)

    def flush(self) -> None:
        dirty, self.dirty = self.dirty, []
        for member in dirty:
            pending, member.pending = member.pending, []
            if member.transport is not None:
                member.write(b"".join(pending))


class SharedHub(Hub):
    """A hub whose connections all get the same bytes each turn."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[bytes] = []

    def broadcast(self, line: bytes) -> None:
        if not self.lines:
            reactor.callLater(0, self.flush)  # type: ignore[attr-defined]
        self.lines.append(line)

    def flush(self) -> None:
        data = b"".join(self.lines)
        self.lines = []
        for member in list(self.members):
            if member.transport is not None:
                member.write(data)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="minimal broadcast baseline")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--shared", action="store_true", help="one batch of bytes for everyone"
    )
    options = parser.parse_args(argv)
    endpoint = TCP4ServerEndpoint(reactor, options.port, interface="127.0.0.1")
    endpoint.listen(SharedHub() if options.shared else Hub()).addCallback(
        lambda port: print(f"baseline listening on {options.port}", flush=True)
    )
    reactor.run()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main(sys.argv[1:])
