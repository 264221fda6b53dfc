"""
The abuse scenario: well-behaved clients chat on a server running at its
default limits while other clients misbehave in every way the hardening
issue names, all over real loopback TCP.

    python bench/abuse.py                 # one minute
    python bench/abuse.py --seconds 8     # the short form CI runs

Well-behaved: C{--polite} clients in #lobby, each saying a numbered,
time-stamped line every C{--interval} seconds (under the flood rate) and
reading everything.  Misbehaving, at the same time: one sends its lines a
byte at a time; C{--stalled} never read a byte (a 4 KiB receive buffer);
one floods 100 lines at once, again and again; one sends 1 MiB lines; one
sends invalid UTF-8; one keeps disconnecting in the middle of a line;
C{--silent} open connections and never say a word.

Afterwards every well-behaved client must have every well-behaved line, in
order, with room sequence numbers strictly increasing; their p99 latency
must be under 100 ms; the server must still be running; and its resident
memory must have stayed within C{--memory-bound} KiB of what it was before
the clients came.  The figures are printed as a table (and written as JSON
with C{--json}); the exit status is 0 only if every check passed.
"""

import argparse
import asyncio
import json
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TWISTD = str(Path(sys.executable).parent / "twistd")

LATENCY_BOUND = 0.100
"""Seconds: the p99 a well-behaved client must see."""

MEMORY_BOUND_KIB = 32 * 1024
"""
The most the server's RSS may grow over the scenario.  What the limits
allow it to hold: for each stalled client 64 KiB in Twisted's buffer and
96 KiB of send queue (under 1 MiB for five); for each connection a few KiB;
at most 20 waiting lines each.  The rest is the store's page cache and
Python's heap; a two-minute run grew by about 8 MiB.
"""


def freePort() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rssKiB(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@dataclass
class Tally:
    """What happened, for the table and the checks."""

    sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Polite:
    """A well-behaved member: says a numbered line now and then, reads all."""

    def __init__(self, name: str, port: int, tally: Tally) -> None:
        self.name = name
        self.port = port
        self.tally = tally
        self.received: dict[str, list[int]] = defaultdict(list)
        self.lastSequence = 0
        self.connected = False

    async def run(
        self, interval: float, until: float, drain: float, padding: int
    ) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.connected = True
        writer.write(f"/nick {self.name}\n".encode())
        reading = asyncio.create_task(self.read(reader))
        await asyncio.sleep(0.5)
        number = 0
        while time.monotonic() < until:
            stamp = f"{number} {time.monotonic():.6f} "
            writer.write(f"{stamp:.<{padding}}\n".encode())
            self.tally.sent[self.name] = number + 1
            number += 1
            await asyncio.sleep(interval)
        await asyncio.sleep(drain)
        writer.write(b"/quit\n")
        await reading
        writer.close()

    async def read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            received = time.monotonic()
            words = line.decode("utf-8", "replace").rstrip("\r\n").split(" ", 5)
            if words[0] == "BYE":
                if words[1] != "quit":
                    self.tally.problems.append(f"{self.name} was sent {line!r}")
                break
            if words[0] != "MSG" or words[1] != "#lobby":
                continue
            sequence = int(words[2])
            if sequence <= self.lastSequence:
                self.tally.problems.append(f"{self.name}: sequence {sequence} late")
            self.lastSequence = sequence
            sender, text = words[4], words[5].removeprefix(":")
            number, _, rest = text.partition(" ")
            if sender.startswith("polite") and number.isdigit():
                self.received[sender].append(int(number))
                self.tally.latencies.append(received - float(rest.split(" ")[0]))
        self.connected = False


async def byteByByte(port: int, until: float, tally: Tally) -> None:
    """
    Sends a line a second, a byte at a time; each must come back to it as
    a room message, like anyone's.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    echoed = 0

    async def read() -> None:
        nonlocal echoed
        while line := await reader.readline():
            if b" :slowly said line " in line:
                echoed += 1

    reading = asyncio.create_task(read())
    number = 0
    while time.monotonic() < until:
        for byte in b"slowly said line %d\n" % number:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.01)
        number += 1
        await asyncio.sleep(0.8)
    await asyncio.sleep(1)
    writer.close()
    reading.cancel()
    tally.counts["lines sent a byte at a time"] = number
    if echoed != number:
        tally.problems.append(f"{echoed} of {number} byte-by-byte lines came back")


async def drainAll(reader: asyncio.StreamReader) -> bytes:
    data = b""
    while chunk := await reader.read(65536):
        data = (data + chunk)[-4096:]
    return data


def stalledSocket(port: int) -> socket.socket:
    """A connection that will never read, with a small receive buffer."""
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    return stalled


async def askAndNeverRead(connections: list[socket.socket], until: float) -> None:
    """
    The stalled connections ask for the lobby's history, as fast as flood
    control lets them, and never read the answers.
    """
    while time.monotonic() < until:
        for connection in connections:
            with suppress(OSError):  # dropped by the server, as it should be
                connection.send(b"/history #lobby 500\n")
        await asyncio.sleep(0.5)


async def flooder(port: int, until: float, tally: Tally) -> None:
    """Sends 100 lines at once, is cut off, comes back and does it again."""
    while time.monotonic() < until:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"".join(b"flood %d\n" % n for n in range(100)))
        tail = await drainAll(reader)
        writer.close()
        if b"BYE flood" in tail:
            tally.counts["flooders closed with BYE flood"] += 1
        else:
            tally.problems.append(f"a flooder ended without BYE flood: {tail[-200:]!r}")
        await asyncio.sleep(0.5)


async def oneLineAtATime(
    port: int, until: float, tally: Tally, line: bytes, expect: bytes, name: str
) -> None:
    """Sends C{line} every second on one connection; each must be refused."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while time.monotonic() < until:
        writer.write(line)
        await writer.drain()
        while True:
            reply = await reader.readline()
            if not reply:
                tally.problems.append(f"the {name} sender was disconnected")
                return
            if reply.startswith(b"ERROR "):
                break
        if not reply.startswith(expect):
            tally.problems.append(f"{name}: {reply!r}")
        tally.counts[f"{name} lines refused"] += 1
        await asyncio.sleep(1)
    writer.close()


async def midLine(port: int, until: float, tally: Tally) -> None:
    """Connects, sends half a line, and is gone: again and again."""
    while time.monotonic() < until:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"half a li")
        await writer.drain()
        transport = writer.transport
        transport.abort()
        tally.counts["connections dropped mid-line"] += 1
        await asyncio.sleep(0.2)


async def scenario(options: argparse.Namespace, port: int, pid: int) -> dict[str, Any]:
    tally = Tally()
    loop = asyncio.get_running_loop()
    baseline = rssKiB(pid)
    peak = baseline
    silent = [
        await loop.run_in_executor(None, stalledSocket, port)
        for _ in range(options.silent)
    ]
    for connection in silent:
        # These read (see sample()); they just never speak.
        connection.setblocking(False)
    stalled = [
        await loop.run_in_executor(None, stalledSocket, port)
        for _ in range(options.stalled)
    ]
    start = time.monotonic()
    until = start + options.seconds
    polite = [Polite(f"polite{n}", port, tally) for n in range(options.polite)]
    tasks = [
        asyncio.create_task(
            client.run(options.interval, until, options.drain, options.padding)
        )
        for client in polite
    ]
    tasks += [
        asyncio.create_task(byteByByte(port, until, tally)),
        asyncio.create_task(askAndNeverRead(stalled, until)),
        asyncio.create_task(flooder(port, until, tally)),
        asyncio.create_task(
            oneLineAtATime(
                port, until, tally, b"x" * 2**20 + b"\n", b"ERROR line-too-long",
                "1 MiB",
            )
        ),
        asyncio.create_task(
            oneLineAtATime(
                port, until, tally, b"caf\xe9\n", b"ERROR invalid-utf8",
                "invalid UTF-8",
            )
        ),
        asyncio.create_task(midLine(port, until, tally)),
    ]  # fmt: skip

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rssKiB(pid))
            for connection in silent:
                try:
                    while connection.recv(65536):
                        pass
                except BlockingIOError:
                    pass
            await asyncio.sleep(0.1)

    sampling = asyncio.create_task(sample())
    await asyncio.gather(*tasks)
    sampling.cancel()
    for connection in silent + stalled:
        connection.close()

    for client in polite:
        for sender in polite:
            expected = list(range(tally.sent[sender.name]))
            got = client.received[sender.name]
            if got != expected:
                tally.problems.append(
                    f"{client.name} got {len(got)} of {len(expected)} lines from"
                    f" {sender.name}, in {'order' if got == sorted(got) else 'disorder'}"
                )
    latencies = sorted(tally.latencies)

    def percentile(fraction: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))]

    p99 = percentile(0.99)
    if not p99 < LATENCY_BOUND:
        tally.problems.append(f"p99 latency {p99 * 1000:.1f} ms")
    if peak - baseline > options.memory_bound:
        tally.problems.append(
            f"server memory grew {peak - baseline} KiB > {options.memory_bound} KiB"
        )
    return {
        "politeClients": options.polite,
        "linesSent": sum(tally.sent.values()),
        "deliveries": len(latencies),
        "deliveriesExpected": sum(tally.sent.values()) * options.polite,
        "p50ms": percentile(0.5) * 1000,
        "p99ms": p99 * 1000,
        "maxms": (latencies[-1] if latencies else float("nan")) * 1000,
        "rssBeforeKiB": baseline,
        "rssPeakKiB": peak,
        "rssGrowthKiB": peak - baseline,
        "memoryBoundKiB": options.memory_bound,
        "abuse": dict(tally.counts),
        "stalled": options.stalled,
        "silent": options.silent,
        "problems": tally.problems,
    }


def startServer(port: int, directory: Path) -> subprocess.Popen[bytes]:
    command = [
        TWISTD, "-n", "--pidfile=", "--logfile", str(directory / "twistd.log"),
        "chat", "--listen", f"tcp:{port}:interface=127.0.0.1",
        "--db", str(directory / "chat.sqlite3"),
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=directory)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--polite", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.7)
    parser.add_argument("--drain", type=float, default=2.0)
    parser.add_argument(
        "--padding", type=int, default=1000, help="bytes per well-behaved line"
    )
    parser.add_argument("--stalled", type=int, default=5)
    parser.add_argument("--silent", type=int, default=100)
    parser.add_argument("--memory-bound", type=int, default=MEMORY_BOUND_KIB)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="twisted-chat-abuse-"))
    port = freePort()
    server = startServer(port, directory)
    try:
        time.sleep(1.0)  # start-up work (imports, the store's thread) settles
        result = asyncio.run(scenario(options, port, server.pid))
        if server.poll() is not None:
            result["problems"].append(f"the server exited ({server.returncode})")
    finally:
        server.terminate()
        server.wait(timeout=20)
    log = (directory / "twistd.log").read_text(errors="replace")
    result["abuse"]["stalled clients fallen behind"] = log.count("fell behind;")
    result["abuse"]["stalled clients dropped"] = log.count("Did not read for")
    result["exitStatus"] = server.returncode
    if server.returncode != 0:
        result["problems"].append(f"SIGTERM: the server exited {server.returncode}")
    result["command"] = shlex.join([sys.executable, *sys.argv])
    rows = [
        ("well-behaved clients", result["politeClients"]),
        ("their lines sent", result["linesSent"]),
        ("deliveries to them", f"{result['deliveries']} of {result['deliveriesExpected']}"),
        ("latency p50 / p99 / max", f"{result['p50ms']:.1f} / {result['p99ms']:.1f}"
         f" / {result['maxms']:.1f} ms"),
        ("server RSS before / peak", f"{result['rssBeforeKiB']} / {result['rssPeakKiB']} KiB"),
        ("RSS growth (bound)", f"{result['rssGrowthKiB']} KiB ({result['memoryBoundKiB']} KiB)"),
        ("stalled / silent connections", f"{result['stalled']} / {result['silent']}"),
        *sorted(result["abuse"].items()),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    print(f"Abuse scenario, {options.seconds:g} s at the server's default limits")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for problem in result["problems"]:
        print(f"  PROBLEM: {problem}")
    print("  passed" if not result["problems"] else "  FAILED")
    if options.json:
        options.json.write_text(json.dumps(result, indent=2) + "\n")
    raise SystemExit(0 if not result["problems"] else 1)


if __name__ == "__main__":
    main()
