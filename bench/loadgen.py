"""
The load generator: many chat connections in one process, cheap enough per
line that it is not what limits the server being measured.

It speaks these dialects: C{line} (twisted_chat's line protocol), C{irc}
(for ngIRCd and the IRC listener), C{irc-tags} (IRC asking for
message-tags and server-time, as modern clients do), C{web-json} and
C{web-irc} (the web front end's WebSocket, with the web client's JSON or
as a browser IRC client, C{text.ircv3.net}), and C{raw} (the minimal
broadcast baseline, which relays every line as it is).  Every benchmark
message carries one C{%} and nothing else the servers send does, so a
receiver counts deliveries with C{bytes.count} on each chunk, without
splitting lines in Python.

Over WebSocket the frames are not parsed either: a frame's header is two to
four bytes before its text, and its length byte may happen to be C{%}, so
the web dialects count C{%s} (the start of every throughput message's text)
instead, which a header byte followed by a message's first character
(C{{}, C{:} or C{@}) never is.  The client's frames are masked, as the
protocol requires, with a mask of zeros: the server unmasks them all the
same, and the generator does not spend a byte-wise XOR on every message.

Given several ports (C{--port P1 P2 ...}, a cluster's nodes serving the
same rooms), member I connects to port I modulo their number, the observer
to the first, the senders after it to the next ones in turn, so that most
deliveries cross nodes; the throughput results then say, for each port,
its members' deliveries lost and doubled, and which ports' senders the
first member there missed lines from.

It runs under C{bench/run.py}, which starts it on its own core and talks to
it over standard input and output: the generator connects and prints one
JSON line C{{"ready": ...}}, waits for a line C{go}, runs, and prints one
JSON line with its results.  Modes:

- C{throughput}: S senders keep W messages each in flight; a message is
  done when member 0 (the observer, not a sender) has received it.  After
  the timed window the senders stop, everything in flight is drained (the
  other members given up to L{LAGGARDS_WAIT} more), and every member's
  count is checked against what was sent.
- C{latency}: one sender sends R messages a second stamped with the send
  time; ten members spread over the room, the last to join among them,
  record when each arrives.  Over the line protocol and IRC on TCP, in a
  room of twenty or more, up to eleven more members, spread between those,
  record it too and also talk:
  one line a second each (L{TALK_LINES}), as people in a lively room do;
  their figures are kept apart (C{talking...}), since how soon a server's
  TCP sends to someone who has just spoken is not how soon it sends to
  someone who only reads (see docs/PERFORMANCE.md, "Members who talk").
  The other members are read in bulk every 100 ms, so that the generator's
  own reading is not what is measured.
- C{idle}: connections that connect, are greeted, and then do nothing; the
  orchestrator reads the server's memory while they are held.

With C{--prefill M}, before any of that, M messages are pushed through the
server in a room of their own (L{prefill}), so that a server with a store
is measured as a day's traffic leaves it.
"""

import argparse
import asyncio
import itertools
import json
import resource
import sys
import time
from typing import Any

try:
    import uvloop
except ImportError:  # pragma: no cover - the bench installs it
    uvloop = None

ROOM = "#bench"
MARK = b"%"
PAD = b"x" * 60
PREFILL_ROOM = "#prefill"
PREFILL_MARK = b"^"
"""
What the prefill's messages carry instead of L{MARK}: they are not the
bench's messages (a server's trace mode follows those, see
C{twisted_chat.tracing}), and only their own room's members count them.
"""
PREFILL_WEB_MARK = b"^p"
PREFILL_WINDOW = 100
"""Prefill messages in flight: enough to keep a server busy, not flooded."""


def raiseFileLimit() -> int:
    """Raise the open-file limit to its hard limit; return the new limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


IRC_DIALECTS = ("irc", "irc-tags", "web-irc")
"""IRC, as a plain client speaks it, asking for message tags, or over WebSocket."""

WEB_DIALECTS = {"web-json": "twisted-chat.json", "web-irc": "text.ircv3.net"}
"""The WebSocket dialects, with the subprotocol each asks for."""

WEB_MARK = b"%s"
"""What the web dialects count (see the module's docstring)."""


def webFrame(payload: bytes) -> bytes:
    """One masked text frame carrying C{payload}, with a mask of zeros."""
    size = len(payload)
    if size < 126:
        header = bytes([0x81, 0x80 | size])
    elif size < 1 << 16:
        header = bytes([0x81, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x81, 0x80 | 127]) + size.to_bytes(8, "big")
    return header + b"\0\0\0\0" + payload


def webHandshake(host: str, port: int, subprotocol: str) -> bytes:
    """The HTTP request that opens the web front end's WebSocket."""
    return (
        f"GET /socket HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Origin: http://{host}:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
    ).encode()


def jsonCommand(command: str, **fields: str) -> bytes:
    return json.dumps({"command": command, **fields}).encode()


TAG_CAPS = "message-tags server-time"


class Member(asyncio.Protocol):
    """One connection: greets, joins, then counts the benchmark lines it gets."""

    def __init__(
        self,
        index: int,
        dialect: str,
        join: bool,
        address: tuple[str, int],
        room: str = ROOM,
        nick: str = "m",
    ) -> None:
        self.index = index
        self.dialect = dialect
        self.join = join
        self.address = address
        self.room = room
        self.nick = f"{nick}{index}"
        self.upgraded = dialect not in WEB_DIALECTS
        if room == PREFILL_ROOM:
            self.mark = PREFILL_WEB_MARK if dialect in WEB_DIALECTS else PREFILL_MARK
        else:
            self.mark = WEB_MARK if dialect in WEB_DIALECTS else MARK
        self.split = False
        self.count = 0
        self.ready = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.setup = b""
        self.onData: Any = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        if not self.upgraded:
            host, port = self.address
            transport.write(webHandshake(host, port, WEB_DIALECTS[self.dialect]))
            return
        self.greet()

    def greet(self) -> None:
        transport = self.transport
        assert transport is not None
        nick = self.nick
        if self.dialect == "web-json":
            frames = [jsonCommand("SetNick", nick=nick)]
            if self.join:
                frames.append(jsonCommand("Join", room=self.room))
            transport.write(b"".join(map(webFrame, frames)))
        elif self.dialect == "web-irc":
            lines = [f"NICK {nick}", f"USER {nick} 0 * :{nick}"]
            if self.join:
                lines.append(f"JOIN {self.room}")
            transport.write(b"".join(webFrame(line.encode()) for line in lines))
        elif self.dialect == "line":
            greeting = f"/nick {nick}\r\n"
            if self.join:
                greeting += f"/join {self.room}\r\n"
            transport.write(greeting.encode())
        elif self.dialect in IRC_DIALECTS:
            greeting = f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n"
            if self.dialect == "irc-tags":
                # What modern clients ask for: every message then carries
                # its time and msgid tags.
                greeting = f"CAP REQ :{TAG_CAPS}\r\n{greeting}CAP END\r\n"
            if self.join:
                greeting += f"JOIN {self.room}\r\n"
            transport.write(greeting.encode())
        else:
            self.ready.set_result(None)

    def data_received(self, data: bytes) -> None:
        if not self.ready.done():
            self.setup += data
            if not self.upgraded:
                head, found, rest = self.setup.partition(b"\r\n\r\n")
                if not found:
                    return
                if not head.startswith(b"HTTP/1.1 101"):
                    raise ConnectionError(f"member {self.index}: {head[:80]!r}")
                self.upgraded, self.setup = True, rest
                self.greet()
            if self._greeted():
                self.setup = b""
                self.ready.set_result(None)
            return
        mark = self.mark
        self.count += data.count(mark)
        if len(mark) > 1:
            # A mark cut in two by the chunks it came in.
            if self.split and data.startswith(mark[1:]):
                self.count += 1
            self.split = data.endswith(mark[:1])
        if self.onData is not None:
            self.onData(data)

    def _greeted(self) -> bool:
        if self.dialect == "web-json":
            marker = b'"HistoryEnd"' if self.join else b'"Welcome"'
            return marker in self.setup
        if self.dialect == "line":
            marker = f"ENDHISTORY {self.room} " if self.join else "WELCOME "
            return marker.encode() in self.setup and self.setup.endswith(b"\n")
        marker = f" 366 {self.nick} {self.room} " if self.join else " 376 "
        return marker.encode() in self.setup or (
            not self.join and b" 422 " in self.setup
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(
                ConnectionError(f"member {self.index} lost: {exc}")
            )
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)


def message(dialect: str, body: bytes, room: str = ROOM) -> bytes:
    if dialect == "web-json":
        return webFrame(jsonCommand("Message", target=room, text=body.decode()))
    if dialect == "web-irc":
        return webFrame(b"PRIVMSG " + room.encode() + b" :" + body)
    if dialect in IRC_DIALECTS:
        return b"PRIVMSG " + room.encode() + b" :" + body + b"\r\n"
    return body + b"\r\n"


async def connectAll(
    host: str, ports: list[int], count: int, dialect: str, join: bool
) -> tuple[list[Member], float]:
    """
    Connect C{count} members, each greeted (and joined) before the next,
    taking the C{ports} in turn.
    """
    loop = asyncio.get_running_loop()
    members = []
    began = time.perf_counter()
    for index in range(count):
        port = ports[index % len(ports)]
        member = Member(index, dialect, join, (host, port))
        await loop.create_connection(lambda m=member: m, host, port)
        await asyncio.wait_for(member.ready, 60)
        members.append(member)
    return members, time.perf_counter() - began


async def prefill(options: Any) -> dict[str, Any]:
    """
    Push C{--prefill} messages through the server before the measured part,
    as a day's traffic would have (for a store: its file and its WAL as such
    a day leaves them): a sender and a reader in a room of their own, the
    sender keeping L{PREFILL_WINDOW} messages in flight, each one sent as
    the reader has one, until the reader has them all.  Then both leave.
    """
    loop = asyncio.get_running_loop()
    host, port = options.host, options.port[0]
    pair = []
    for index in range(2):
        member = Member(index, options.dialect, True, (host, port), PREFILL_ROOM, "p")
        await loop.create_connection(lambda m=member: m, host, port)
        await asyncio.wait_for(member.ready, 60)
        pair.append(member)
    sender, reader = pair
    total = options.prefill
    # About 100 bytes, as the throughput run's lines.
    line = message(options.dialect, PREFILL_MARK + b"p:" + PAD + PAD[:37], PREFILL_ROOM)
    state = {"sent": 0}
    finished = loop.create_future()

    def more(data: bytes) -> None:
        wanted = min(total, reader.count + PREFILL_WINDOW) - state["sent"]
        if wanted > 0:
            sender.send(line * wanted)
            state["sent"] += wanted
        if reader.count >= total and not finished.done():
            finished.set_result(None)

    reader.onData = more
    began = time.perf_counter()
    more(b"")
    await asyncio.wait_for(finished, 1800)
    seconds = time.perf_counter() - began
    for member in pair:
        assert member.transport is not None
        member.transport.close()
    return {
        "prefilled": reader.count,
        "prefillSeconds": seconds,
        "prefillPerSecond": reader.count / seconds,
    }


LAGGARDS_WAIT = 5.0
"""
Seconds the throughput run waits, once the observer has every message,
for the other members to have theirs too (on a cluster's other nodes).
"""


async def throughput(options: Any, members: list[Member]) -> dict[str, Any]:
    observer = members[0]
    senders = members[1 : 1 + options.senders]
    perMessage = len(members) - (1 if options.dialect in IRC_DIALECTS else 0)
    lines = {
        sender.index: message(options.dialect, MARK + b"s%d:" % sender.index + PAD)
        for sender in senders
    }
    tags = {sender.index: b"%%s%d:" % sender.index for sender in senders}
    sent = dict.fromkeys(lines, 0)
    seen = dict.fromkeys(lines, 0)
    state = {"sending": True}

    def credit(data: bytes) -> None:
        for sender in senders:
            landed = data.count(tags[sender.index])
            if landed:
                seen[sender.index] += landed
                if state["sending"]:
                    sender.send(lines[sender.index] * landed)
                    sent[sender.index] += landed

    observer.onData = credit
    watchers: dict[int, SenderTally] = {}
    if len(options.port) > 1:
        for member in members:
            port = member.address[1]
            if port not in watchers:
                watchers[port] = SenderTally(member, senders)
    print(json.dumps({"ready": len(members)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    began = time.perf_counter()
    before = sum(member.count for member in members)
    for sender in senders:
        sender.send(lines[sender.index] * options.window)
        sent[sender.index] += options.window
    await asyncio.sleep(options.seconds)
    delivered = sum(member.count for member in members) - before
    elapsed = time.perf_counter() - began
    state["sending"] = False
    # Drain: everything sent must reach everyone.
    deadline = time.perf_counter() + 60
    while seen != sent and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    messages = sum(sent.values())
    expected = messages * perMessage
    # The observer's node may be ahead of a cluster's other nodes: give
    # theirs a while, so that what is missing then is lost, not late.
    observerDone = time.perf_counter()
    deadline = observerDone + LAGGARDS_WAIT
    while (
        sum(member.count for member in members) < expected
        and time.perf_counter() < deadline
    ):
        await asyncio.sleep(0.05)
    othersLate = time.perf_counter() - observerDone
    await asyncio.sleep(0.2)
    counted = sum(member.count for member in members)
    result: dict[str, Any] = {
        "deliveries": delivered,
        "seconds": elapsed,
        "deliveriesPerSecond": delivered / elapsed,
        "messagesSent": messages,
        "deliveriesExpected": expected,
        "deliveriesCounted": counted,
        "lost": expected - counted,
        "othersLateSeconds": othersLate,
    }
    if len(options.port) > 1:
        ownEcho = options.dialect not in IRC_DIALECTS
        result["byPort"] = byPort(
            options.port, members, senders, sent, watchers, ownEcho
        )
    return result


class SenderTally:
    """
    Lines from each sender that one member received, for the first member
    on each port of a cluster: what it missed, and from which port's
    senders, is then known.
    """

    def __init__(self, member: Member, senders: list[Member]) -> None:
        self.member = member
        self.tags = {sender.index: b"%%s%d:" % sender.index for sender in senders}
        self.received = dict.fromkeys(self.tags, 0)
        self.forward = member.onData
        member.onData = self.count

    def count(self, data: bytes) -> None:
        for index, tag in self.tags.items():
            self.received[index] += data.count(tag)
        if self.forward is not None:
            self.forward(data)


def byPort(
    ports: list[int],
    members: list[Member],
    senders: list[Member],
    sent: dict[int, int],
    watchers: dict[int, SenderTally],
    ownEcho: bool,
) -> list[dict[str, Any]]:
    """
    For each port: its members' deliveries against what each should have
    had (every line sent, less its own if the dialect does not echo them),
    lost and doubled counted member by member; and the lines its first
    member missed or had twice, by the port of their sender.
    """
    everyLine = sum(sent.values())
    portOf = {sender.index: sender.address[1] for sender in senders}
    report = []
    for node, port in enumerate(ports, 1):
        here = [member for member in members if member.address[1] == port]
        lost = doubled = counted = expected = 0
        for member in here:
            should = everyLine - (0 if ownEcho else sent.get(member.index, 0))
            expected += should
            counted += member.count
            lost += max(0, should - member.count)
            doubled += max(0, member.count - should)
        watcher = watchers[port]
        missed = dict.fromkeys(map(str, ports), 0)
        twice = dict.fromkeys(map(str, ports), 0)
        for index, count in sent.items():
            should = count if ownEcho or index != watcher.member.index else 0
            source = str(portOf[index])
            missed[source] += max(0, should - watcher.received[index])
            twice[source] += max(0, watcher.received[index] - should)
        report.append(
            {
                "node": node,
                "port": port,
                "members": len(here),
                "senders": sum(1 for sender in senders if portOf[sender.index] == port),
                "deliveriesExpected": expected,
                "deliveriesCounted": counted,
                "lost": lost,
                "doubled": doubled,
                "firstMemberMissedFromPort": missed,
                "firstMemberDoubledFromPort": twice,
            }
        )
    return report


DRAIN_INTERVAL = 0.1

TALK_INTERVAL = 1.0
"""Seconds between two lines of each talking member in the latency mode."""

TALK_LINES = {"line": b"/pong talk\r\n", "irc": b"PONG :talk\r\n"}
"""
What a talking member says: a line the server takes and answers with
nothing (so the room's traffic, the store's and the other members' stay as
they are), which still makes the member's end of the TCP connection one
that has just sent.
"""
TALK_LINES["irc-tags"] = TALK_LINES["irc"]


async def drain(sockets: list[Any]) -> None:
    """Read and drop whatever waits on C{sockets}, every L{DRAIN_INTERVAL}."""
    while True:
        await asyncio.sleep(DRAIN_INTERVAL)
        for raw in sockets:
            try:
                while raw.recv(1 << 20):
                    pass
            except (BlockingIOError, InterruptedError):
                pass


async def latency(options: Any, members: list[Member]) -> dict[str, Any]:
    # Message n comes from sender n % S: one sender, or many at a pace each
    # that flood control lets through.
    senders = members[1 : 1 + options.latency_senders]
    step = max(1, len(members) // 10)
    watchers = [*members[::step][1:], members[-1]]
    talkers = talkersAmong(members, watchers, senders, options.dialect)
    samples: list[float] = []
    talkingSamples: list[float] = []

    def watcher(into: list[float]) -> Any:
        def watch(data: bytes) -> None:
            now = time.perf_counter_ns()
            for piece in data.split(MARK)[1:]:
                stamp = piece.split(b":", 1)[0]
                if stamp.isdigit():
                    into.append((now - int(stamp)) / 1e6)

        return watch

    for member in watchers:
        member.onData = watcher(samples)
    for member in talkers:
        member.onData = watcher(talkingSamples)
    # Everyone else is read in bulk, every DRAIN_INTERVAL: the generator's
    # reading of a thousand sockets then costs little, and is not what the
    # watchers' figures measure.  The server sends to them all the same.
    silent = [m for m in members if m not in watchers and m not in talkers]
    for member in silent:
        assert member.transport is not None
        member.transport.pause_reading()
    sockets = [m.transport.get_extra_info("socket") for m in silent]  # type: ignore[union-attr]
    draining = asyncio.ensure_future(drain(sockets))
    print(json.dumps({"ready": len(members)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    interval = 1 / options.rate
    count = int(options.seconds * options.rate)
    began = time.perf_counter()
    talking = asyncio.ensure_future(talk(talkers, options.dialect, began))
    for n in range(count):
        target = began + n * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        body = MARK + b"%d:" % time.perf_counter_ns() + PAD
        senders[n % len(senders)].send(message(options.dialect, body))
    talking.cancel()
    await asyncio.sleep(1.0)
    draining.cancel()
    result: dict[str, Any] = {
        "messagesSent": count,
        "samplesExpected": count * len(watchers),
        **percentiles(samples, ""),
    }
    if talkers:
        result["talkers"] = len(talkers)
        result["talkingSamplesExpected"] = count * len(talkers)
        result.update(percentiles(talkingSamples, "talking"))
    return result


def talkersAmong(
    members: list[Member], watchers: list[Member], senders: list[Member], dialect: str
) -> list[Member]:
    """
    The members who talk in the latency mode: one between each two
    watchers, and the one before the last, so that they are spread over
    the fan-out as the watchers are; none in a dialect without a
    L{TALK_LINES} entry, nor in a room too small to leave members between.
    """
    if dialect not in TALK_LINES:
        return []
    step = len(members) // 10
    if step < 2:
        return []
    taken = {id(member) for member in [*watchers, *senders]}
    chosen = [*members[step // 2 :: step], members[-2]]
    talkers: list[Member] = []
    for member in chosen:
        if id(member) not in taken:
            taken.add(id(member))
            talkers.append(member)
    return talkers


async def talk(talkers: list[Member], dialect: str, began: float) -> None:
    """Have each of C{talkers} say a line every L{TALK_INTERVAL}, in turn."""
    if not talkers:
        return
    line = TALK_LINES[dialect]
    gap = TALK_INTERVAL / len(talkers)
    for n in itertools.count():
        delay = began + n * gap - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        talkers[n % len(talkers)].send(line)


def percentiles(samples: list[float], prefix: str) -> dict[str, Any]:
    """C{samples}' count, p50, p90, p99 and maximum, named after C{prefix}."""
    samples.sort()

    def named(name: str) -> str:
        return prefix + name[0].upper() + name[1:] if prefix else name

    def percentile(fraction: float) -> float:
        return samples[min(len(samples) - 1, int(fraction * len(samples)))]

    if not samples:
        # Nothing came back: every figure is missing, not absent, so that
        # a table shows it rather than failing to read it.
        nothing = float("nan")
        return {
            named("samples"): 0,
            **{named(name): nothing for name in ("p50", "p90", "p99", "max")},
        }
    return {
        named("samples"): len(samples),
        named("p50"): percentile(0.50),
        named("p90"): percentile(0.90),
        named("p99"): percentile(0.99),
        named("max"): samples[-1],
    }


async def idle(options: Any, members: list[Member], seconds: float) -> dict[str, Any]:
    print(json.dumps({"ready": len(members), "connectSeconds": seconds}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return {"held": len(members), "acceptsPerSecond": len(members) / seconds}


async def main(options: Any) -> None:
    limit = raiseFileLimit()
    join = options.mode != "idle"
    filled = await prefill(options) if options.prefill else {}
    members, seconds = await connectAll(
        options.host, options.port, options.members, options.dialect, join
    )
    if options.mode == "throughput":
        result = await throughput(options, members)
    elif options.mode == "latency":
        result = await latency(options, members)
    else:
        result = await idle(options, members, seconds)
    result.update(filled)
    result["fileLimit"] = limit
    result["loop"] = "uvloop" if uvloop else "asyncio"
    print(json.dumps({"done": result}), flush=True)
    for member in members:
        if member.transport is not None:
            member.transport.close()


def parse(argv: list[str]) -> Any:
    parser = argparse.ArgumentParser(description="chat load generator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        nargs="+",
        required=True,
        help="the server's port, or a cluster's nodes' ports, taken in turn",
    )
    parser.add_argument(
        "--dialect", choices=["line", *IRC_DIALECTS, "web-json", "raw"], required=True
    )
    parser.add_argument(
        "--mode", choices=["throughput", "latency", "idle"], required=True
    )
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-senders", type=int, default=1)
    parser.add_argument(
        "--prefill",
        type=int,
        default=0,
        help="messages pushed through the server (another room) before the run",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse(sys.argv[1:])
    if uvloop is not None:
        uvloop.run(main(options))
    else:
        asyncio.run(main(options))
