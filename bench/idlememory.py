"""
What one idle connection holds, and where it was allocated: the real server
(the tap's C{makeService}, built from the same options C{bench/run.py}
gives C{twistd}) runs in this process under C{tracemalloc}, the load
generator (C{bench/loadgen.py --mode idle}) in another opens N connections
that are greeted (and, over IRC, registered) and then say nothing, and the
Python memory the server holds while they are open, less what it held
before they came, is shown per connection, grouped by the line of
twisted_chat (or of Twisted, for what it allocates by itself) that
allocated it, and by the kinds of objects that are new:

    python bench/idlememory.py --members 2000 [--dialect irc] [--limits]

With C{--limits} the server runs at its default per-connection limits
(flood control, send queue, PING and login timers), the connection cap
lifted so that N fit; without it, with C{--no-limits}, as the bench does.

Only Python's allocations are traced: what the kernel holds for a socket,
and what the allocator keeps around the objects (C{bench/run.py}'s RSS
figure includes both), are not.
"""

import argparse
import collections
import gc
import json
import os
import resource
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from ports import freePort
from twisted.internet import reactor
from twisted.internet.protocol import ProcessProtocol

from twisted_chat.app.options import Options
from twisted_chat.app.tap import makeService

BENCH = Path(__file__).resolve().parent


def serverArguments(options: Any, port: int, directory: str) -> list[str]:
    """The C{twistd chat} options C{bench/run.py} gives the same server."""
    listen = ["--listen", f"tcp:{port}:interface=127.0.0.1"]
    if options.dialect == "irc":
        listen = [
            "--listen", f"unix:{directory}/line.sock",
            "--irc", f"tcp:{port}:interface=127.0.0.1",
        ]  # fmt: skip
    else:
        listen.append("--require-login")
    # At the limits, as bench/run.py's idle run has them: the login timer
    # still running (not yet fired) while the connections are counted.
    limits = (
        ["--max-connections", str(options.members + 100), "--login-timeout", "600"]
        if options.limits
        else ["--no-limits"]
    )
    return [
        *listen,
        "--db", f"{directory}/chat.sqlite3",
        "--history-on-join", "0",
        *limits,
    ]  # fmt: skip


def siteOf(trace: tracemalloc.Traceback) -> tuple[str, str]:
    """
    Where an allocation was made, as two lines: the innermost frame of
    twisted_chat (or, failing that, of Twisted), and the innermost frame.
    """
    innermost = trace[-1] if trace else None
    ours = None
    theirs = None
    for frame in reversed(trace):  # innermost first
        name = frame.filename
        if "twisted_chat" in name and ours is None:
            ours = frame
        elif "/twisted/" in name and theirs is None:
            theirs = frame
    pick = ours or theirs or innermost
    return (describe(pick), describe(innermost))


def describe(frame: Any) -> str:
    if frame is None:
        return "?"
    name = frame.filename
    for marker in ("twisted_chat/", "twisted/", "python3.11/"):
        if marker in name:
            name = name[name.index(marker) :]
            break
    return f"{name}:{frame.lineno}"


def census() -> collections.Counter[str]:
    """How many objects the garbage collector tracks, by type."""
    return collections.Counter(
        f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects()
    )


class LoadGenerator(ProcessProtocol):
    """Runs the load generator and measures when its connections are held."""

    def __init__(self, options: Any, before: Path) -> None:
        self.options = options
        self.before = before
        self.beforeCensus = census()
        self.output = b""

    def outReceived(self, data: bytes) -> None:
        self.output += data
        while b"\n" in self.output:
            line, self.output = self.output.split(b"\n", 1)
            if line.startswith(b'{"ready"'):
                self.measure(json.loads(line)["ready"])
                assert self.transport is not None
                self.transport.write(b"go\n")

    def errReceived(self, data: bytes) -> None:
        sys.stderr.buffer.write(data)

    def processEnded(self, reason: Any) -> None:
        reactor.stop()

    def measure(self, held: int) -> None:
        gc.collect()
        afterCensus = census()
        after = tracemalloc.take_snapshot()
        before = tracemalloc.Snapshot.load(str(self.before))
        report(self.options, held, before, after, self.beforeCensus, afterCensus)


def report(
    options: Any,
    held: int,
    before: tracemalloc.Snapshot,
    after: tracemalloc.Snapshot,
    beforeCensus: collections.Counter[str],
    afterCensus: collections.Counter[str],
) -> None:
    sizes: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0])
    for stat in after.compare_to(before, "traceback"):
        site = siteOf(stat.traceback)
        sizes[site][0] += stat.size_diff
        sizes[site][1] += stat.count_diff
    total = sum(size for size, _ in sizes.values())
    limits = "default limits" if options.limits else "--no-limits"
    print(
        f"{options.dialect} listener, {limits}: {held} idle connections;"
        f" {total / held:.0f} bytes of Python memory each (tracemalloc)"
    )
    print(f"{'B/conn':>7} {'allocs/conn':>11}  where (ours or Twisted's; innermost)")
    shown = 0
    for (site, innermost), (size, count) in sorted(
        sizes.items(), key=lambda item: -abs(item[1][0])
    ):
        if abs(size) / held < options.smallest:
            continue
        shown += size
        where = site if site == innermost else f"{site}  ({innermost})"
        print(f"{size / held:7.1f} {count / held:11.2f}  {where}")
    print(f"{(total - shown) / held:7.1f} {'':11}  the rest")
    print()
    print("New objects the garbage collector tracks, per connection:")
    grown = afterCensus.copy()
    grown.subtract(beforeCensus)
    for kind, count in grown.most_common():
        if count / held < 0.5:
            break
        print(f"{count / held:7.2f}  {kind}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--dialect", choices=["line", "irc"], default="line")
    parser.add_argument("--limits", action="store_true")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument(
        "--smallest", type=float, default=4.0, help="bytes per connection shown"
    )
    options = parser.parse_args(argv)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    directory = tempfile.mkdtemp(prefix="twisted-chat-idlememory-")
    port = freePort()
    config = Options()
    config.parseOptions(serverArguments(options, port, directory))
    tracemalloc.start(options.frames)
    service = makeService(config, reactor)
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)

    def startLoad() -> None:
        gc.collect()
        # Kept on disk, so that its own objects are not counted as new.
        before = Path(directory) / "before.tracemalloc"
        tracemalloc.take_snapshot().dump(str(before))
        load = LoadGenerator(options, before)
        argv = [
            sys.executable, str(BENCH / "loadgen.py"), "--port", str(port),
            "--dialect", options.dialect, "--mode", "idle",
            "--members", str(options.members),
        ]  # fmt: skip
        reactor.spawnProcess(load, sys.executable, argv, env=os.environ.copy())

    # Start-up work (the store's schema, a first password hash) over first.
    reactor.callLater(2, startLoad)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])
