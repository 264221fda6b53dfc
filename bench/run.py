"""
The benchmark, in one command: twisted_chat side by side with the minimal
Python broadcast baseline (C{bench/baseline.py}) and ngIRCd (the C IRC server
from Debian), on the same loads, in the same run.

    python bench/run.py                      # everything, about twenty minutes
    python bench/run.py --only throughput --members 200 --seconds 3

Each server runs pinned to core 0 and the load generator (C{bench/loadgen.py},
its own process) to core 1.  Server CPU time comes from /proc, so the
figures are per server CPU-second, whatever the load generator could push.
The results are printed as tables and written as JSON (C{--json}) with the
exact command of every run.  docs/PERFORMANCE.md says what each measures.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import select
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SERVER_CORE = 0
LOAD_CORE = 1
TWISTD = str(Path(sys.executable).parent / "twistd")

NGIRCD_CONFIG = """\
[Global]
    Name = bench.invalid
    Info = benchmark
    Listen = 127.0.0.1
    Ports = {port}
    MotdPhrase = bench
    PidFile = {directory}/ngircd.pid
    ServerUID = {uid}
    ServerGID = {gid}
[Limits]
    MaxConnections = 0
    MaxConnectionsIP = 0
    MaxJoins = 0
    MaxNickLength = 30
    PingTimeout = 3600
    PongTimeout = 3600
    MaxPenaltyTime = 0
[Options]
    DNS = no
    Ident = no
    PAM = no
    SyslogFacility = local1
"""


@dataclass
class Server:
    """How to start one server under test, and how it speaks."""

    name: str
    dialect: str
    command: Callable[[int, Path], list[str]]
    ready: Callable[[int], bool]
    expectGreeting: str | None = None
    notes: str = ""


@dataclass
class Run:
    scenario: str
    server: str
    parameters: dict[str, Any]
    serverCommand: str
    loadCommand: str
    result: dict[str, Any] = field(default_factory=dict)


def freePort() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def twistedChat(
    store: str, *extra: str, limits: bool = False
) -> Callable[[int, Path], list[str]]:
    """
    The real server from the installed plugin; its limits (flood control,
    send queues, timeouts, connection caps) lifted with --no-limits unless
    C{limits} asks for the defaults.
    """

    def command(port: int, directory: Path) -> list[str]:
        database = str(directory / "chat.sqlite3") if store == "sqlite" else ":memory:"
        lifted = [] if limits else ["--no-limits"]
        return [
            TWISTD, "-n", "--pidfile=", "--logfile=-", "chat",
            "--listen", f"tcp:{port}:interface=127.0.0.1",
            "--db", database, "--history-on-join", "0", *lifted, *extra,
        ]  # fmt: skip

    return command


def twistedChatIRC(port: int, directory: Path) -> list[str]:
    """The real server with its store, spoken to over its IRC listener."""
    return [
        TWISTD, "-n", "--pidfile=", "--logfile=-", "chat",
        "--listen", f"unix:{directory / 'line.sock'}",
        "--irc", f"tcp:{port}:interface=127.0.0.1",
        "--db", str(directory / "chat.sqlite3"), "--history-on-join", "0",
        "--no-limits",
    ]  # fmt: skip


def baseline(*extra: str) -> Callable[[int, Path], list[str]]:
    def command(port: int, directory: Path) -> list[str]:
        return [sys.executable, str(BENCH / "baseline.py"), "--port", str(port), *extra]

    return command


def ngircd(port: int, directory: Path) -> list[str]:
    config = directory / "ngircd.conf"
    config.write_text(
        NGIRCD_CONFIG.format(
            port=port, directory=directory, uid=os.getuid(), gid=os.getgid()
        )
    )
    return ["ngircd", "--nodaemon", "--config", str(config)]


SERVERS = {
    "twisted_chat": Server("twisted_chat", "line", twistedChat("sqlite"), accepts),
    "twisted_chat-memory": Server(
        "twisted_chat-memory", "line", twistedChat("memory"), accepts
    ),
    "twisted_chat-guests": Server(
        "twisted_chat-guests",
        "line",
        twistedChat("sqlite", "--require-login"),
        accepts,
        notes="--require-login: connections wait greeted, in no room",
    ),
    "twisted_chat-limits": Server(
        "twisted_chat-limits",
        "line",
        twistedChat("sqlite", limits=True),
        accepts,
        notes="the default limits: flood control, send queues, timeouts, caps",
    ),
    "twisted_chat-irc": Server(
        "twisted_chat-irc",
        "irc",
        twistedChatIRC,
        accepts,
        notes="the same server, its IRC listener (--irc), spoken to as IRC",
    ),
    "baseline": Server("baseline", "raw", baseline(), accepts),
    "baseline-shared": Server(
        "baseline-shared",
        "raw",
        baseline("--shared"),
        accepts,
        notes="one joined batch written to everyone each turn",
    ),
    "ngircd": Server("ngircd", "irc", ngircd, accepts),
}


def pinned(core: int) -> Callable[[], None]:
    def prepare() -> None:
        os.sched_setaffinity(0, {core})
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    return prepare


def cpuSeconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rssKiB(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def settledRss(pid: int) -> int:
    """
    The server's memory once start-up work is over (twisted_chat makes an
    argon2 hash at start, which briefly takes 64 MiB): read until two
    readings half a second apart agree within 64 KiB.
    """
    previous = rssKiB(pid)
    for _ in range(20):
        time.sleep(0.5)
        current = rssKiB(pid)
        if abs(current - previous) < 64:
            return current
        previous = current
    return previous


def readJson(process: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the load generator ended early")
            if line.startswith("{"):
                return dict(json.loads(line))
    raise RuntimeError("the load generator did not answer in time")


def measure(server: Server, scenario: str, loadArguments: list[str]) -> Run:
    directory = Path(tempfile.mkdtemp(prefix="twisted-chat-bench-"))
    port = freePort()
    serverArgv = server.command(port, directory)
    with open(directory / "server.log", "w") as serverLog:
        return _measure(
            server, scenario, loadArguments, directory, port, serverArgv, serverLog
        )


def _measure(
    server: Server,
    scenario: str,
    loadArguments: list[str],
    directory: Path,
    port: int,
    serverArgv: list[str],
    serverLog: Any,
) -> Run:
    serverProcess = subprocess.Popen(
        serverArgv,
        cwd=directory,
        stdout=serverLog,
        stderr=subprocess.STDOUT,
        preexec_fn=pinned(SERVER_CORE),
    )
    loadArgv = [
        sys.executable, str(BENCH / "loadgen.py"), "--port", str(port),
        "--dialect", server.dialect, *loadArguments,
    ]  # fmt: skip
    run = Run(
        scenario,
        server.name,
        dict(zip(loadArguments[::2], loadArguments[1::2], strict=False)),
        shlex.join(["taskset", "-c", str(SERVER_CORE), *serverArgv]),
        shlex.join(["taskset", "-c", str(LOAD_CORE), *loadArgv]),
    )
    try:
        deadline = time.monotonic() + 30
        while not server.ready(port):
            if serverProcess.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} did not start")
            time.sleep(0.1)
        emptyRss = settledRss(serverProcess.pid)
        load = subprocess.Popen(
            loadArgv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=pinned(LOAD_CORE),
        )
        try:
            ready = readJson(load, 900)
            rss = rssKiB(serverProcess.pid)
            cpuBefore = cpuSeconds(serverProcess.pid)
            assert load.stdin is not None
            load.stdin.write("go\n")
            load.stdin.flush()
            done = readJson(load, 900)["done"]
            cpu = cpuSeconds(serverProcess.pid) - cpuBefore
        finally:
            load.kill()
            load.wait()
        run.result = {**ready, **done}
        run.result["serverCpuSeconds"] = cpu
        run.result["serverRssKiB"] = rss
        run.result["emptyServerRssKiB"] = emptyRss
        if "deliveriesCounted" in done:
            # The CPU time runs from "go" until everything in flight has
            # arrived, so it is set against every delivery, the drain's too.
            run.result["deliveriesPerCpuSecond"] = (
                done["deliveriesCounted"] / cpu if cpu else 0
            )
    finally:
        serverProcess.terminate()
        try:
            serverProcess.wait(10)
        except subprocess.TimeoutExpired:
            serverProcess.kill()
            serverProcess.wait()
        if scenario == "durability" and run.result:
            countStored(run, directory / "chat.sqlite3")
        shutil.rmtree(directory, ignore_errors=True)
    return run


def countStored(run: Run, database: Path) -> None:
    """
    After a durability run, count the messages the store holds: every one
    the load generator sent must be there (a server without a file store
    has nothing to count).
    """
    if not database.exists():
        return
    with closing(sqlite3.connect(database)) as connection:
        (stored,) = connection.execute("SELECT count(*) FROM messages").fetchone()
    run.result["messagesStored"] = stored
    run.result["notStored"] = run.result["messagesSent"] - stored


def repeated(
    options: Any, scenario: str, servers: list[str], arguments: list[str]
) -> list[Run]:
    """
    Measure each server C{--repeat} times, taking turns so that a slow
    spell of the machine falls on all of them, and keep each one's median.
    """
    tries: dict[str, list[Run]] = {name: [] for name in servers}
    for _ in range(options.repeat):
        for name in servers:
            run = measure(SERVERS[name], scenario, arguments)
            report(run)
            tries[name].append(run)
    return [median(name, runs, MEDIAN_OF[scenario]) for name, runs in tries.items()]


MEDIAN_OF = {
    "throughput": "deliveriesPerCpuSecond",
    "durability": "deliveriesPerCpuSecond",
    "latency": "p99",
    "limits": "p99",
    "idle": "serverRssKiB",
}
"""The figure whose median picks the run kept, per scenario."""


def median(name: str, runs: list[Run], key: str) -> Run:
    ordered = sorted(runs, key=lambda run: run.result[key])
    kept = ordered[len(ordered) // 2]
    kept.result["tries"] = [run.result[key] for run in runs]
    return kept


def throughputRuns(options: Any, servers: list[str]) -> list[Run]:
    runs = []
    for members in options.members:
        arguments = [
            "--mode", "throughput", "--members", str(members),
            "--senders", str(options.senders), "--window", str(options.window),
            "--seconds", str(options.seconds),
        ]  # fmt: skip
        runs += repeated(options, "throughput", servers, arguments)
    return runs


def latencyRuns(options: Any, servers: list[str]) -> list[Run]:
    runs = []
    for members in options.latency_members:
        arguments = [
            "--mode", "latency", "--members", str(members),
            "--rate", str(options.rate), "--seconds", str(options.latency_seconds),
        ]  # fmt: skip
        runs += repeated(options, "latency", servers, arguments)
    return runs


def idleRuns(options: Any, servers: list[str]) -> list[Run]:
    runs = []
    for count in options.idle:
        arguments = ["--mode", "idle", "--members", str(count)]
        runs += repeated(options, "idle", servers, arguments)
    return runs


LIMITS_SENDERS = 100
"""
Senders in the default-limits run: the paced rate spread over them, each
well under the default flood rate (2 lines a second), as people would.
"""


def limitsRuns(options: Any) -> list[Run]:
    """The same paced load with the limits lifted and at their defaults."""
    arguments = [
        "--mode", "latency", "--members", str(options.limits_members),
        "--rate", str(options.rate), "--seconds", str(options.latency_seconds),
        "--latency-senders", str(LIMITS_SENDERS),
    ]  # fmt: skip
    return repeated(
        options, "limits", ["twisted_chat", "twisted_chat-limits"], arguments
    )


DURABILITY_MEMBERS = 11
"""Members in the durability run's room, ten of them senders."""


def durabilityRuns(options: Any) -> list[Run]:
    arguments = [
        "--mode", "throughput", "--members", str(DURABILITY_MEMBERS),
        "--senders", str(DURABILITY_MEMBERS - 1),
        "--window", "32", "--seconds", str(options.seconds),
    ]  # fmt: skip
    return repeated(
        options, "durability", ["twisted_chat", "twisted_chat-memory"], arguments
    )


def report(run: Run) -> None:
    print(
        f"  {run.scenario:11} {run.server:22} {json.dumps(run.parameters)}", flush=True
    )


def table(runs: list[Run]) -> str:
    """The figures of C{runs} as text tables, one per scenario measured."""
    sections = [
        section([run for run in runs if run.scenario == scenario])
        for scenario, section in [
            ("throughput", throughputTable),
            ("latency", latencyTable),
            ("limits", limitsTable),
            ("idle", idleTable),
            ("durability", durabilityTable),
        ]
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines)


def throughputTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    lines = [
        "Fan-out: deliveries per second and per server CPU-second"
        " (ratios of twisted_chat, with its store, to each)",
        f"{'N':>5} {'server':22} {'deliv/s':>10} {'cpu-s':>6}"
        f" {'deliv/cpu-s':>12} {'ratio':>6} {'lost':>5}",
    ]
    for members in sorted({int(r.parameters["--members"]) for r in runs}):
        group = [r for r in runs if int(r.parameters["--members"]) == members]
        ours = next((r for r in group if r.server == "twisted_chat"), None)
        mine = ours.result["deliveriesPerCpuSecond"] if ours else None
        for run in group:
            r = run.result
            perCpu = r["deliveriesPerCpuSecond"]
            ratio = (
                f"{mine / perCpu:.2f}" if mine and perCpu and run is not ours else ""
            )
            lines.append(
                f"{members:>5} {run.server:22} {r['deliveriesPerSecond']:>10.0f}"
                f" {r['serverCpuSeconds']:>6.2f} {perCpu:>12.0f}"
                f" {ratio:>6} {r['lost']:>5}"
            )
    return lines


def latencyTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    lines = [
        "Latency at a paced rate: milliseconds from send to delivery",
        f"{'N':>5} {'server':22} {'rate':>5} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}",
    ]
    for run in runs:
        r = run.result
        lines.append(
            f"{run.parameters['--members']:>5} {run.server:22} {run.parameters['--rate']:>5}"
            f" {r['p50']:>7.2f} {r['p90']:>7.2f} {r['p99']:>7.2f} {r['max']:>7.2f}"
        )
    return lines


def limitsTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    lines = [
        f"The cost of the default limits: {LIMITS_SENDERS} senders sharing a paced"
        " rate; milliseconds from send to delivery, server CPU per message",
        f"{'N':>5} {'server':22} {'rate':>5} {'p50':>7} {'p99':>7} {'max':>7}"
        f" {'CPU ms/msg':>10}",
    ]
    for run in runs:
        r = run.result
        lines.append(
            f"{run.parameters['--members']:>5} {run.server:22} {run.parameters['--rate']:>5}"
            f" {r['p50']:>7.2f} {r['p99']:>7.2f} {r['max']:>7.2f}"
            f" {1000 * r['serverCpuSeconds'] / r['messagesSent']:>10.2f}"
        )
    return lines


def idleTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    lines = [
        "Idle connections: server memory and connections accepted per second",
        f"{'conns':>6} {'server':22} {'RSS MiB':>8} {'KiB/conn':>9} {'accepts/s':>10}",
    ]
    for run in runs:
        r = run.result
        perConnection = (r["serverRssKiB"] - r["emptyServerRssKiB"]) / r["held"]
        lines.append(
            f"{r['held']:>6} {run.server:22} {r['serverRssKiB'] / 1024:>8.1f}"
            f" {perConnection:>9.2f} {r['acceptsPerSecond']:>10.0f}"
        )
    return lines


def durabilityTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    lines = [
        "Durability: messages committed (and delivered to"
        f" {DURABILITY_MEMBERS} members) per second",
        f"{'server':22} {'msgs/s':>8} {'msgs/cpu-s':>10} {'lost':>5} {'stored':>8}",
    ]
    for run in runs:
        r = run.result
        messages = r["deliveries"] / DURABILITY_MEMBERS
        stored = (
            f"{r['messagesStored']}/{r['messagesSent']}"
            if "messagesStored" in r
            else "-"
        )
        lines.append(
            f"{run.server:22} {messages / r['seconds']:>8.0f}"
            f" {r['messagesSent'] / r['serverCpuSeconds']:>10.0f}"
            f" {r['lost']:>5} {stored:>8}"
        )
    return lines


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        choices=["throughput", "latency", "limits", "idle", "durability"],
        action="append",
    )
    parser.add_argument(
        "--servers",
        default=(
            "twisted_chat,twisted_chat-memory,twisted_chat-irc,"
            "baseline,baseline-shared,ngircd"
        ),
    )
    parser.add_argument("--members", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--latency-members", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--limits-members", type=int, default=200)
    parser.add_argument("--idle", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per figure; the median is kept"
    )
    parser.add_argument("--json", default=str(BENCH / "results.json"))
    options = parser.parse_args(argv)
    scenarios = options.only or [
        "throughput",
        "latency",
        "limits",
        "idle",
        "durability",
    ]
    servers = options.servers.split(",")
    if not shutil.which("ngircd") and "ngircd" in servers:
        print("ngircd is not installed (apt-get install ngircd); leaving it out")
        servers.remove("ngircd")
    if (os.cpu_count() or 1) < 2:
        sys.exit("the bench needs two cores: one for the server, one for the load")
    runs: list[Run] = []
    if "throughput" in scenarios:
        runs += throughputRuns(options, servers)
    if "latency" in scenarios:
        runs += latencyRuns(options, servers)
    if "limits" in scenarios:
        runs += limitsRuns(options)
    if "idle" in scenarios:
        # Idle connections hold no messages: neither the store nor the way
        # lines are batched makes a difference.
        idleServers = [
            "twisted_chat-guests" if name == "twisted_chat" else name
            for name in servers
            if name
            not in ("twisted_chat-memory", "twisted_chat-irc", "baseline-shared")
        ]
        runs += idleRuns(options, idleServers)
    if "durability" in scenarios:
        runs += durabilityRuns(options)
    print()
    print(table(runs))
    Path(options.json).write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.UTC).isoformat(),
                "machine": {
                    "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(),
                    "python": sys.version.split()[0],
                    "kernel": platform.release(),
                },
                "argv": [sys.executable, *sys.argv],
                "runs": [run.__dict__ for run in runs],
            },
            indent=2,
        )
    )
    print(f"\nwritten to {options.json}")


if __name__ == "__main__":
    main(sys.argv[1:])
