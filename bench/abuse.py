"""
The abuse scenario: well-behaved clients chat on a server running at its
default limits while other clients misbehave in every way the hardening
issues name, all over real loopback TCP.

    python bench/abuse.py                 # one minute
    python bench/abuse.py --seconds 6     # the short form CI runs

Well-behaved: C{--polite} clients in #lobby, each saying a numbered,
time-stamped line every C{--interval} seconds (under the flood rate),
reading everything and answering C{PING}.  Misbehaving, at the same time:

  - one sends its lines a byte at a time; C{--stalled} never read a byte
    (a 4 KiB receive buffer) and keep asking for history; one floods 100
    lines at once, again and again; one sends 1 MiB lines; one sends
    invalid UTF-8; one keeps disconnecting in the middle of a line;
  - B{login guessing}: an account is registered (C{/nick victim},
    C{/register}), then 61 wrong C{/login victim ...} are sent at the same
    instant over 16 connections from 127.0.0.1, all before any answer is
    read.  Every one must be answered, and at most as many checked
    (C{login-failed}) as one address may fail on one account
    (C{LOGIN_FAILURES_PER_ACCOUNT_ADDRESS} in twisted_chat/limits.py,
    C{LOGIN_FAILURES_PER_ACCOUNT} before it was renamed); the rest must be
    C{login-throttled}, the right password from 127.0.0.1 too, while the
    owner with the right password from 127.0.0.2 must get in (C{ACCOUNT});
  - B{comma lists} over IRC (the server also listens with C{--irc}): a
    client in #lobby and three more rooms sends in turn, as fast as flood
    control carries them out (each line followed by a C{PING} whose
    C{PONG} it waits for), a 508-byte C{PRIVMSG} naming #lobby 70 times,
    one naming five nicks, and one naming its four rooms.
    The room messages it causes, counted by a line client in those rooms,
    must never exceed what flood control allows a connection: its first
    allowance (the burst, or the arrival burst where there is one), 2 a
    second after it, and 3 more (the four recipients of the last line);
    and every five-target line must be refused with 407 (TARGMAX is 4);
  - B{trickling}: C{--tricklers} connections that send one byte a second
    and never a newline, reconnecting when dropped; each must be dropped
    (C{BYE timeout}) within the idle timeout and a margin.

So that trickling fits a short run, the server's silence limits are
short: C{--ping-after 2 --idle-timeout 4} (this script's C{--ping-after}
and C{--idle-timeout}); everything else is at its default.  The
well-behaved clients say something more often than that and answer
C{PING}; the C{--silent} connections, which read everything but never say
a word, are now dropped too, and must be, like the tricklers: with C{BYE
timeout}, within the idle timeout and a margin.  They connect spread over
the first idle timeout and do not come back, so they are held for the
first few seconds only (holding a hundred for the whole run would take
25 new connections a second, each joining #lobby: a different load).

Afterwards every well-behaved client must have every well-behaved line, in
order, with room sequence numbers strictly increasing; their p99 latency
must be under 100 ms; the server must still be running; and its resident
memory must have stayed within C{--memory-bound} KiB of what it was before
the clients came (while passwords are being checked, within that plus the
argon2 memory of each password thread).  The figures are printed as a
table (and written as JSON with C{--json}); the exit status is 0 only if
every check passed.
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
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import argon2
from ports import freePort

from twisted_chat import limits

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

HASH_MEMORY_KIB = argon2.PasswordHasher().memory_cost
"""
What one argon2id password check takes while it runs (64 MiB), given back
when it ends: while logins are checked the bound is raised by this much for
each of the server's C{PASSWORD_HASH_THREADS}.
"""

PING_AFTER = 2.0
IDLE_TIMEOUT = 4.0
"""The scenario's silence limits (the server's defaults are 90 and 150 s)."""

DROP_MARGIN = 2.0
"""Seconds past the idle timeout a silent or trickling connection may last."""

VICTIM = "victim"
PASSWORD = "correct-horse-battery"
LOGIN_GUESSES = 61
LOGIN_CONNECTIONS = 16
"""Wrong passwords sent at once, and the connections they are spread over."""

ANSWER_WAIT = 30.0
"""Seconds to wait for any answer the checks need."""

COMMA_NICK = "commas"
COMMA_ROOMS = ("#lobby", "#abuse1", "#abuse2", "#abuse3")
TARGETS_AT_MOST = 4
"""Recipients one PRIVMSG may name (the server's TARGMAX)."""

COMMA_LINES = (
    "PRIVMSG " + ",".join(["#lobby"] * 70) + " :same room",
    "PRIVMSG a,b,c,d,e :five nicks",
    f"PRIVMSG {','.join(COMMA_ROOMS)} :four rooms",
)
"""
The comma-list attacker's lines, in turn: the first names #lobby 70 times
in 508 bytes (IRC's 512 with CRLF); the second one nick too many; the third
as many rooms as it may.
"""


def rssKiB(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def loginLimit() -> int:
    """
    Wrong passwords one address may have checked for one account: the
    constant's name since the login throttle counts attempts per account
    and address, or its name before.
    """
    for name in ("LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", "LOGIN_FAILURES_PER_ACCOUNT"):
        if hasattr(limits, name):
            return int(getattr(limits, name))
    raise SystemExit("twisted_chat.limits names no per-account login limit")


def floodAllowance(seconds: float) -> float:
    """
    The most lines' worth of room messages flood control lets one connection
    cause in its first C{seconds}: what its bucket holds at first (the
    burst, or the arrival burst where there is one; it never refills past
    the burst), the rate after that, and the debt of one last line naming
    every recipient it may.
    """
    first = max(limits.FLOOD_BURST, getattr(limits, "FLOOD_ARRIVAL_BURST", 0))
    return first + limits.FLOOD_RATE * seconds + (TARGETS_AT_MOST - 1)


@dataclass
class Tally:
    """What happened, for the table and the checks."""

    sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    hashing: bool = False
    """Whether passwords may be being checked (for the memory bound)."""
    commaRate: float = 0.0
    """Room messages a second the comma-list attacker caused."""

    def fail(self, kind: str, example: str) -> None:
        """Note a failed check that may happen many times, reported once."""
        self.failures[kind].append(example)

    def summarise(self) -> None:
        for kind, examples in self.failures.items():
            self.problems.append(f"{len(examples)} {kind}, e.g. {examples[0]}")


async def linesFrom(reader: asyncio.StreamReader) -> AsyncIterator[str]:
    """The server's lines, until it closes the connection or resets it."""
    while True:
        try:
            line = await reader.readline()
        except (ConnectionError, ValueError):
            return
        if not line:
            return
        yield line.decode("utf-8", "replace").rstrip("\r\n")


class LineConnection:
    """
    A line-protocol client for the checks: it answers C{PING} and hands
    over the other lines, in order, to whoever waits for one.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.writer = writer
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._reading = asyncio.create_task(self._read(reader))

    @classmethod
    async def open(cls, port: int, address: str = "127.0.0.1") -> "LineConnection":
        """Connect from C{address} (any of 127.0.0.0/8 on Linux)."""
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=(address, 0)
        )
        return cls(reader, writer)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        async for line in linesFrom(reader):
            if line.startswith("PING "):
                self.send(f"/pong {line[5:]}")
            else:
                self.lines.put_nowait(line)
        self.lines.put_nowait(None)

    def send(self, *lines: str) -> None:
        if not self.writer.is_closing():
            self.writer.write("".join(f"{line}\n" for line in lines).encode())

    async def reply(self, *prefixes: str) -> str | None:
        """The next line starting with one of C{prefixes}; L{None} at the end."""
        while (line := await self.lines.get()) is not None:
            if line.startswith(prefixes):
                return line
        self.lines.put_nowait(None)
        return None

    async def close(self) -> None:
        self.writer.close()
        with suppress(ConnectionError):
            await self.writer.wait_closed()
        self._reading.cancel()


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
        writer.write(f"/nick {self.name}\n/join #lobby\n".encode())
        reading = asyncio.create_task(self.read(reader, writer))
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

    async def read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while line := await reader.readline():
            received = time.monotonic()
            words = line.decode("utf-8", "replace").rstrip("\r\n").split(" ", 5)
            if words[0] == "PING":
                writer.write(f"/pong {words[1]}\n".encode())
                continue
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


async def lastLine(reader: asyncio.StreamReader) -> str:
    last = ""
    async for line in linesFrom(reader):
        last = line
    return last


async def heldUntilDropped(
    port: int, idleTimeout: float, tally: Tally, kind: str, trickle: bool
) -> None:
    """
    One connection that never sends a whole line: nothing at all, or (to
    C{trickle}) one byte a second.  The server must drop it with C{BYE
    timeout} within C{idleTimeout} and L{DROP_MARGIN}.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened = time.monotonic()
    deadline = opened + idleTimeout + DROP_MARGIN
    reading = asyncio.create_task(lastLine(reader))
    while not reading.done() and (left := deadline - time.monotonic()) > 0:
        if trickle and not writer.is_closing():
            writer.write(b"x")
        await asyncio.wait([reading], timeout=min(1.0, left))
    lived = time.monotonic() - opened
    writer.close()
    if not reading.done():
        reading.cancel()
        tally.fail(f"{kind} not dropped in time", f"one open for {lived:.1f} s")
        return
    last = reading.result()
    if not last.startswith("BYE timeout"):
        tally.fail(f"{kind} dropped otherwise", f"{last[:100]!r} after {lived:.1f} s")
        return
    tally.counts[f"{kind} dropped with BYE timeout"] += 1


async def holdUntilDropped(
    port: int,
    until: float,
    idleTimeout: float,
    tally: Tally,
    kind: str,
    *,
    trickle: bool,
    delay: float,
    again: bool,
) -> None:
    """
    Connect after C{delay} and wait to be dropped; if C{again}, come back
    each time until C{until}.
    """
    await asyncio.sleep(delay)
    await heldUntilDropped(port, idleTimeout, tally, kind, trickle)
    while again and time.monotonic() < until:
        await heldUntilDropped(port, idleTimeout, tally, kind, trickle)


async def loginGuessing(port: int, tally: Tally) -> None:
    """
    Register an account, guess its password L{LOGIN_GUESSES} times at once
    from one address, then try the right one from there and from another
    address; check the throttle held as the docstring says.
    """
    limit = loginLimit()
    tally.hashing = True
    connections: list[LineConnection] = []
    try:
        owner = await LineConnection.open(port)
        connections.append(owner)
        owner.send(f"/nick {VICTIM}", f"/register {PASSWORD}")
        registered = await asyncio.wait_for(
            owner.reply("ACCOUNT ", "ERROR "), ANSWER_WAIT
        )
        if registered is None or not registered.startswith("ACCOUNT "):
            tally.problems.append(f"registering {VICTIM} failed: {registered!r}")
            return
        owner.send("/quit")
        await owner.close()

        guessers = [await LineConnection.open(port) for _ in range(LOGIN_CONNECTIONS)]
        connections += guessers
        perConnection = [0] * LOGIN_CONNECTIONS
        for guess in range(LOGIN_GUESSES):
            perConnection[guess % LOGIN_CONNECTIONS] += 1
        for guesser, count in zip(guessers, perConnection, strict=True):
            guesser.send(*[f"/login {VICTIM} WRONGPASSWORD"] * count)
        answers: list[str] = []

        async def collect(guesser: LineConnection, count: int) -> None:
            for _ in range(count):
                answer = await guesser.reply("ERROR ", "ACCOUNT ")
                if answer is None:
                    return
                answers.append(answer)

        _, unanswered = await asyncio.wait(
            [
                asyncio.create_task(collect(guesser, count))
                for guesser, count in zip(guessers, perConnection, strict=True)
            ],
            timeout=ANSWER_WAIT,
        )
        for waiting in unanswered:
            waiting.cancel()
        codes = [answer.split(" ")[1] for answer in answers]
        expected = {"login-failed", "login-throttled"}
        failed = codes.count("login-failed")
        throttled = codes.count("login-throttled")
        tally.counts["login guesses sent at once"] = LOGIN_GUESSES
        tally.counts["login guesses checked (login-failed)"] = failed
        tally.counts["login guesses throttled"] = throttled
        if len(answers) < LOGIN_GUESSES:
            tally.problems.append(
                f"{LOGIN_GUESSES - len(answers)} of {LOGIN_GUESSES} login guesses"
                f" were not answered (in {ANSWER_WAIT:g} s, or before the server"
                " closed their connections)"
            )
        if failed > limit:
            tally.problems.append(
                f"{failed} of {LOGIN_GUESSES} login guesses sent at once were"
                f" checked (login-failed): more than the {limit} one address may"
                " fail on one account"
            )
        others = [
            a for a, code in zip(answers, codes, strict=True) if code not in expected
        ]
        if others:
            tally.problems.append(f"other answers to wrong passwords: {others[:3]}")

        guessers[0].send(f"/login {VICTIM} {PASSWORD}")
        right = await asyncio.wait_for(
            guessers[0].reply("ERROR ", "ACCOUNT "), ANSWER_WAIT
        )
        if right is not None and right.startswith("ERROR login-throttled "):
            tally.counts["right password refused from the guessing address"] += 1
        else:
            tally.problems.append(
                "the right password from the guessing address, while it is"
                f" throttled, was answered {right!r}"
            )

        elsewhere = await LineConnection.open(port, "127.0.0.2")
        connections.append(elsewhere)
        elsewhere.send(f"/login {VICTIM} {PASSWORD}")
        answer = await asyncio.wait_for(
            elsewhere.reply("ERROR ", "ACCOUNT "), ANSWER_WAIT
        )
        if answer is not None and answer.startswith(f"ACCOUNT {VICTIM} "):
            tally.counts["owner logged in from another address"] += 1
        else:
            tally.problems.append(
                f"the owner, with the right password from 127.0.0.2, got {answer!r}"
            )
    except TimeoutError:
        tally.problems.append(f"a login was not answered in {ANSWER_WAIT:g} s")
    finally:
        for connection in connections:
            await connection.close()
        await asyncio.sleep(0.5)  # the last check's memory is given back
        tally.hashing = False


class CommaWatcher:
    """
    A line client in the comma-list attacker's rooms, noting when each room
    message from it arrives.
    """

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.ready = asyncio.Event()
        self.done = asyncio.Event()

    async def run(self, port: int, tally: Tally) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        joins = "".join(f"/join {room}\n" for room in COMMA_ROOMS)
        writer.write(joins.encode())
        reading = asyncio.create_task(self._read(reader))
        while not self.done.is_set():
            writer.write(b"/pong\n")  # a line a second: not silent
            with suppress(TimeoutError):
                await asyncio.wait_for(self.done.wait(), 1.0)
        await asyncio.sleep(1.0)  # what is still on its way
        writer.close()
        reading.cancel()
        if not self.ready.is_set():
            tally.problems.append("the comma-list watcher never joined its rooms")

    async def _read(self, reader: asyncio.StreamReader) -> None:
        async for line in linesFrom(reader):
            words = line.split(" ", 5)
            if words[0] == "MSG" and words[4] == COMMA_NICK:
                self.arrivals.append(time.monotonic())
            elif words[:2] == ["MEMBERS", COMMA_ROOMS[-1]]:
                self.ready.set()


async def commaLists(port: int, ircPort: int, until: float, tally: Tally) -> None:
    """
    Over IRC: join four rooms and send L{COMMA_LINES} as fast as flood
    control carries them out, checking what they caused against what flood
    control allows.

    Each line is followed by a C{PING} whose C{PONG} says it was carried
    out, and the next is sent then: the server reads nothing more from a
    connection while lines it has read wait for flood control, so with more
    in flight the attacker would gain nothing, and under this scenario's
    short idle timeout would be dropped as silent while its lines wait.
    """
    watcher = CommaWatcher()
    watching = asyncio.create_task(watcher.run(port, tally))
    try:
        await asyncio.wait_for(watcher.ready.wait(), ANSWER_WAIT)
    except TimeoutError:
        watcher.done.set()
        await watching
        return
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", ircPort)

    def send(*lines: str) -> None:
        if not writer.is_closing():
            writer.write("".join(f"{line}\r\n" for line in lines).encode())

    joined = asyncio.Event()
    carriedOut: asyncio.Queue[str | None] = asyncio.Queue()
    replies: dict[str, int] = defaultdict(int)
    quitting = False

    async def read() -> None:
        async for line in linesFrom(reader):
            words = line.split(" ")
            command = words[1] if line.startswith(":") and len(words) > 1 else words[0]
            replies[command] += 1
            if command == "PING":
                send(f"PONG {words[-1]}")
            elif command == "PONG":
                carriedOut.put_nowait(words[-1].removeprefix(":"))
            elif command == "366" and replies["366"] == len(COMMA_ROOMS):
                joined.set()
            elif command == "ERROR" and not quitting:
                tally.problems.append(f"the comma-list attacker was cut off: {line!r}")
        carriedOut.put_nowait(None)

    reading = asyncio.create_task(read())
    send(
        f"NICK {COMMA_NICK}",
        f"USER {COMMA_NICK} 0 * :comma lists",
        f"JOIN {','.join(COMMA_ROOMS)}",
    )
    sent = 0
    try:
        await asyncio.wait_for(joined.wait(), ANSWER_WAIT)
        while time.monotonic() < until:
            send(COMMA_LINES[sent % len(COMMA_LINES)], f"PING :{sent}")
            sent += 1
            if await asyncio.wait_for(carriedOut.get(), ANSWER_WAIT) is None:
                break
    except TimeoutError:
        tally.problems.append("the comma-list attacker was not answered in time")
    stopped = time.monotonic()
    quitting = True
    send("QUIT :done")
    watcher.done.set()
    await watching
    writer.close()
    reading.cancel()

    arrivals = sorted(watcher.arrivals)
    fiveTargets = (sent + 1) // len(COMMA_LINES)
    tally.counts["comma-list lines sent"] = sent
    tally.counts["comma-list room messages"] = len(arrivals)
    tally.counts["comma-list 407 replies"] = replies["407"]
    tally.commaRate = len(arrivals) / (stopped - started)
    if replies["407"] != fiveTargets:
        tally.problems.append(
            f"{replies['407']} of {fiveTargets} PRIVMSGs to five nicks were"
            " refused with 407"
        )
    worst = max(
        (
            (count - floodAllowance(arrival - started), count, arrival - started)
            for count, arrival in enumerate(arrivals, 1)
        ),
        default=None,
    )
    if worst is not None and worst[0] > 0:
        _, count, seconds = worst
        tally.problems.append(
            f"the comma-list attacker caused {count} room messages in"
            f" {seconds:.1f} s; flood control allows"
            f" {floodAllowance(seconds):.0f}"
        )


async def scenario(
    options: argparse.Namespace, port: int, ircPort: int, pid: int
) -> dict[str, Any]:
    tally = Tally()
    loop = asyncio.get_running_loop()
    baseline = rssKiB(pid)
    peak = peakHashing = baseline
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
        asyncio.create_task(loginGuessing(port, tally)),
        asyncio.create_task(commaLists(port, ircPort, until, tally)),
    ]  # fmt: skip
    tasks += [
        asyncio.create_task(
            holdUntilDropped(
                port, until, options.idle_timeout, tally, "silent connections",
                trickle=False, delay=n * options.idle_timeout / options.silent,
                again=False,
            )
        )
        for n in range(options.silent)
    ]  # fmt: skip
    tasks += [
        asyncio.create_task(
            holdUntilDropped(
                port, until, options.idle_timeout, tally, "tricklers",
                trickle=True, delay=n * options.idle_timeout / options.tricklers,
                again=True,
            )
        )
        for n in range(options.tricklers)
    ]  # fmt: skip

    async def sample() -> None:
        nonlocal peak, peakHashing
        while True:
            rss = rssKiB(pid)
            if tally.hashing:
                peakHashing = max(peakHashing, rss)
            else:
                peak = max(peak, rss)
            await asyncio.sleep(0.1)

    sampling = asyncio.create_task(sample())
    await asyncio.gather(*tasks)
    sampling.cancel()
    for connection in stalled:
        connection.close()
    tally.summarise()

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
    hashingBound = options.memory_bound + limits.PASSWORD_HASH_THREADS * HASH_MEMORY_KIB
    if peakHashing - baseline > hashingBound:
        tally.problems.append(
            f"server memory grew {peakHashing - baseline} KiB > {hashingBound} KiB"
            " while checking passwords"
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
        "rssPeakHashingKiB": peakHashing,
        "memoryBoundHashingKiB": hashingBound,
        "loginLimit": loginLimit(),
        "commaMessagesPerSecond": tally.commaRate,
        "floodRate": limits.FLOOD_RATE,
        "abuse": dict(tally.counts),
        "stalled": options.stalled,
        "silent": options.silent,
        "tricklers": options.tricklers,
        "pingAfter": options.ping_after,
        "idleTimeout": options.idle_timeout,
        "problems": tally.problems,
    }


def startServer(
    port: int, ircPort: int, directory: Path, options: argparse.Namespace
) -> subprocess.Popen[bytes]:
    command = [
        TWISTD, "-n", "--pidfile=", "--logfile", str(directory / "twistd.log"),
        "chat", "--listen", f"tcp:{port}:interface=127.0.0.1",
        "--irc", f"tcp:{ircPort}:interface=127.0.0.1",
        "--db", str(directory / "chat.sqlite3"),
        "--ping-after", f"{options.ping_after:g}",
        "--idle-timeout", f"{options.idle_timeout:g}",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=directory)
    deadline = time.monotonic() + 20
    waiting = [port, ircPort]
    while waiting and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", waiting[0]), timeout=1).close()
            waiting.pop(0)
        except OSError:
            time.sleep(0.05)
    if not waiting:
        return server
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
    parser.add_argument("--tricklers", type=int, default=3)
    parser.add_argument("--ping-after", type=float, default=PING_AFTER)
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT)
    parser.add_argument("--memory-bound", type=int, default=MEMORY_BOUND_KIB)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="twisted-chat-abuse-"))
    port = freePort()
    ircPort = freePort(port)
    server = startServer(port, ircPort, directory, options)
    try:
        time.sleep(1.0)  # start-up work (imports, the store's thread) settles
        result = asyncio.run(scenario(options, port, ircPort, server.pid))
        if server.poll() is not None:
            result["problems"].append(f"the server exited ({server.returncode})")
    finally:
        server.terminate()
        server.wait(timeout=20)
    # twistd starts a new log file every megabyte: read them all.
    log = "".join(
        path.read_text(errors="replace") for path in directory.glob("twistd.log*")
    )
    result["abuse"]["stalled clients fallen behind"] = log.count("fell behind;")
    result["abuse"]["stalled clients dropped"] = log.count(
        "Did not read for"
    ) + log.count("even without room messages")
    result["serverErrorsLogged"] = log.count("#critical]")
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
        ("RSS growth checking passwords (bound)",
         f"{result['rssPeakHashingKiB'] - result['rssBeforeKiB']} KiB"
         f" ({result['memoryBoundHashingKiB']} KiB)"),
        ("stalled / silent / trickling", f"{result['stalled']} / {result['silent']}"
         f" / {result['tricklers']}"),
        ("PING after / idle timeout", f"{options.ping_after:g} / {options.idle_timeout:g} s"),
        ("server errors logged (not a check)", result["serverErrorsLogged"]),
        ("login failures allowed per address", result["loginLimit"]),
        ("comma-list room messages per second",
         f"{result['commaMessagesPerSecond']:.2f} (flood rate {result['floodRate']:g})"),
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
