"""
What durability costs: messages per second the real server commits and
delivers with its SQLite store, against the same load with the store off
(C{--db :memory:}), side by side in one run.

This script is the load generator, in its own process; it starts the real
server (C{twistd -n chat}, as installed) as a child for each run, pinned to
another core.  Each of S senders is in one room and keeps W messages in
flight: a message counts once its echo, the server's confirmation that it
was committed, comes back; the next is sent then.  Every message sent must
be confirmed by the end, or the run fails.

    python bench/durability.py [--seconds 5] [--senders 10] [--window 32]

Figures are printed as a table and written as JSON (C{--json FILE}) with the
exact command of each run.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

from twisted.internet import defer, protocol, task
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.protocols.basic import LineOnlyReceiver

ROOM = "#bench"
TWISTD = os.path.join(os.path.dirname(sys.executable), "twistd")
"""The twistd installed beside this Python, with the installed plugin."""


@dataclass
class Result:
    store: str
    senders: int
    window: int
    seconds: float
    confirmed: int
    perSecond: float
    serverCpuSeconds: float
    perCpuSecond: float
    command: str


class ServerProcess(protocol.ProcessProtocol):
    def __init__(self) -> None:
        self.output = b""
        self.listening: defer.Deferred[int] = defer.Deferred()
        self.ended: defer.Deferred[None] = defer.Deferred()

    def outReceived(self, data: bytes) -> None:
        self.output += data
        match = re.search(rb"LineChatFactory starting on (\d+)", self.output)
        if match and not self.listening.called:
            self.listening.callback(int(match.group(1)))

    errReceived = outReceived

    def processEnded(self, reason: Any) -> None:
        if not self.listening.called:
            self.listening.errback(RuntimeError(self.output.decode(errors="replace")))
        self.ended.callback(None)


class Sender(LineOnlyReceiver):
    """Keeps C{window} messages in flight; counts the confirmed ones."""

    delimiter = b"\r\n"
    MAX_LENGTH = 1 << 20

    def __init__(self, name: str, window: int) -> None:
        self.name = name
        self.window = window
        self.sent = 0
        self.confirmed = 0
        self.sending = False
        self.ready: defer.Deferred[None] = defer.Deferred()
        self.prefix = f" {name} :".encode()

    def connectionMade(self) -> None:
        self.transport.setTcpNoDelay(True)  # type: ignore[attr-defined]
        self.sendLine(f"/nick {self.name}\r\n/join {ROOM}".encode())

    def lineReceived(self, line: bytes) -> None:
        if line.startswith(b"ENDHISTORY") and not self.ready.called:
            self.ready.callback(None)
        elif line.startswith(b"MSG ") and self.prefix in line:
            self.confirmed += 1
            if self.sending:
                self.sendOne()

    def start(self) -> None:
        self.sending = True
        for _ in range(self.window):
            self.sendOne()

    def sendOne(self) -> None:
        self.sent += 1
        self.sendLine(b"x" * 80 + b" %d" % self.sent)


def cpuSeconds(pid: int) -> float:
    """The CPU time (user + system) a process has used, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    reactor: Any, store: str, senders: int, window: int, seconds: float
) -> Result:
    directory = tempfile.mkdtemp(prefix="twisted-chat-bench-")
    database = (
        os.path.join(directory, "chat.sqlite3") if store == "sqlite" else ":memory:"
    )
    argv = [
        "taskset", "-c", "0",
        TWISTD, "-n", "--pidfile=", "--logfile=-",
        "chat", "--listen", "tcp:0:interface=127.0.0.1", "--db", database,
        "--history-on-join", "0",
    ]  # fmt: skip
    server = ServerProcess()
    process = reactor.spawnProcess(
        server, "taskset", argv, env=os.environ, path=directory
    )
    try:
        port = await server.listening
        clients = []
        for n in range(senders):
            client = Sender(f"s{n}", window)
            await connectProtocol(
                TCP4ClientEndpoint(reactor, "127.0.0.1", port), client
            )
            clients.append(client)
        await defer.gatherResults([client.ready for client in clients])
        cpuBefore = cpuSeconds(process.pid)
        began = time.monotonic()
        for client in clients:
            client.start()
        await task.deferLater(reactor, seconds, lambda: None)
        for client in clients:
            client.sending = False
        confirmedInTime = sum(client.confirmed for client in clients)
        elapsed = time.monotonic() - began
        cpu = cpuSeconds(process.pid) - cpuBefore
        # Every message sent must come back; wait for the last in flight.
        for _ in range(100):
            if all(client.confirmed == client.sent for client in clients):
                break
            await task.deferLater(reactor, 0.1, lambda: None)
        lost = sum(client.sent - client.confirmed for client in clients)
        if lost:
            raise RuntimeError(f"{lost} messages sent were never confirmed")
        for client in clients:
            client.transport.loseConnection()
    finally:
        if not server.ended.called:
            process.signalProcess("TERM")
        await server.ended
        shutil.rmtree(directory, ignore_errors=True)
    rate = confirmedInTime / elapsed
    return Result(
        store, senders, window, round(elapsed, 2), confirmedInTime, round(rate),
        round(cpu, 2), round(confirmedInTime / cpu) if cpu else 0, " ".join(argv),
    )  # fmt: skip


async def main(reactor: Any, argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--json", help="write the results here too")
    options = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the server gets core 0
    results = []
    for store in ("sqlite", "memory"):
        results.append(
            await measure(
                reactor, store, options.senders, options.window, options.seconds
            )
        )
    print(
        f"{'store':8} {'senders':>7} {'window':>6} {'msgs/s':>9} {'cpu s':>6} {'msgs/cpu-s':>10}"
    )
    for r in results:
        print(
            f"{r.store:8} {r.senders:>7} {r.window:>6} {r.perSecond:>9} "
            f"{r.serverCpuSeconds:>6} {r.perCpuSecond:>10}"
        )
    print(f"durable / in-memory: {results[0].perSecond / results[1].perSecond:.2f}")
    if options.json:
        with open(options.json, "w") as out:
            json.dump(
                {
                    "argv": [sys.executable, *sys.argv],
                    "results": [asdict(r) for r in results],
                },
                out,
                indent=2,
            )


if __name__ == "__main__":
    task.react(main, [sys.argv[1:]])
