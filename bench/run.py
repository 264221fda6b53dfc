"""
The benchmark, in one command: twisted_chat side by side with the minimal
Python broadcast baseline (C{bench/baseline.py}) and ngIRCd (the C IRC server
from Debian), on the same loads, in the same run.

    python bench/run.py                      # everything, about twenty minutes
    python bench/run.py --only throughput --members 200 --seconds 3
    python bench/run.py --before edff296 --only throughput --servers twisted_chat

With C{--before REV}, each twisted_chat server chosen is also run as it was
at git revision REV, named C{twisted_chat@<short hash>}, taking turns with
the current one in the same run, so the tables show a change's before and
after side by side.  REV is checked out into a temporary C{git worktree}
(removed afterwards) and its server is the same C{twistd} with that
checkout first on C{PYTHONPATH}: its C{twisted_chat} package, and so its
plugin's tap module, are the old ones, everything else (Twisted, Python,
the options the bench passes) the same.  The child prints where it
imported C{twisted_chat} from before it starts, and the bench stops if
that is not inside the checkout.

Each server runs pinned to core 0 and the load generator (C{bench/loadgen.py},
its own process) to core 1.  Server CPU time comes from /proc, so the
figures are per server CPU-second, whatever the load generator could push.
A cluster's nodes (C{twisted_chat-cluster-N}, C{bench/cluster.py}) are all
pinned to core 0, the load generator's members spread over their ports,
and their CPU summed; PostgreSQL's and Redis's, on whichever core is free,
are reported beside it.
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
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cluster
from ports import freePort

BENCH = Path(__file__).resolve().parent
SERVER_CORE = 0
LOAD_CORE = 1
TWISTD = str(Path(sys.executable).parent / "twistd")

TWISTD_SAYING_WHERE = (
    "import sys, twisted_chat, twisted.plugins; "
    "print('twisted_chat imported from', twisted_chat.__file__, flush=True); "
    "twisted.plugins.__path__.insert(0, sys.argv.pop(1)); "
    "from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"
)
"""
What C{twistd} does, run as C{python -c} with the checkout's plugin folder
as its first argument, after printing where the C{twisted_chat} it is about
to use comes from: for a server from an older checkout, where that must be
inside the checkout.  The checkout's own C{chat} plugin is found first, not
the installed one, which may name modules the checkout does not have.
"""

IMPORTED_FROM = "twisted_chat imported from "

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
    command: Callable[[int, Path], list[str]] | None
    """The command of the server's one process, from its port; None for a cluster."""
    ready: Callable[[int], bool]
    expectGreeting: str | None = None
    notes: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    """Variables set for the server's process, over the bench's own."""
    checkout: Path | None = None
    """The checkout the server must import twisted_chat from, if not installed."""
    nodes: Callable[[list[int], Path], list[list[str]]] | None = None
    """A cluster's: the command of each node, from their ports, one each."""
    nodeCount: int = 1
    """How many processes serve the load, each on its own port."""
    servicesCpu: Callable[[], dict[str, float]] | None = None
    """CPU-seconds spent so far by the services the server uses, by name."""

    def commands(self, ports: list[int], directory: Path) -> list[list[str]]:
        """The command of every process serving the load, one per port."""
        if self.nodes is not None:
            return self.nodes(ports, directory)
        assert self.command is not None
        return [self.command(ports[0], directory)]


@dataclass
class Run:
    scenario: str
    server: str
    parameters: dict[str, Any]
    serverCommand: str
    loadCommand: str
    result: dict[str, Any] = field(default_factory=dict)


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


def twistedChatIRCMemory(port: int, directory: Path) -> list[str]:
    """The IRC listener of the server with its store in memory."""
    command = twistedChatIRC(port, directory)
    command[command.index("--db") + 1] = ":memory:"
    return command


IDLE_AT_LIMITS = ("--max-connections", "20000", "--login-timeout", "600")
"""
For the idle run at the default limits: room for 10,000 connections, and
a login (registration) timer long enough that guests waiting to log in
are not dropped before they are counted, but still running.
"""


def atDefaultLimits(
    command: Callable[[int, Path], list[str]], *extra: str
) -> Callable[[int, Path], list[str]]:
    """C{command} (one with C{--no-limits}) at the default limits, with C{extra}."""

    def atDefaults(port: int, directory: Path) -> list[str]:
        argv = [arg for arg in command(port, directory) if arg != "--no-limits"]
        return [*argv, *extra]

    return atDefaults


def twistedChatWeb(port: int, directory: Path) -> list[str]:
    """The real server with its store, spoken to over its web front end."""
    return [
        TWISTD, "-n", "--pidfile=", "--logfile=-", "chat",
        "--listen", f"unix:{directory / 'line.sock'}",
        "--web", f"tcp:{port}:interface=127.0.0.1",
        "--db", str(directory / "chat.sqlite3"), "--history-on-join", "0",
        "--no-limits",
    ]  # fmt: skip


def twistedChatPostgres(port: int, directory: Path) -> list[str]:
    """
    The real server with its store on PostgreSQL: a fresh database in a
    throw-away cluster on loopback (fsync on), the one the tests start
    (C{tests/postgresserver.py}; C{TWISTED_CHAT_POSTGRES} names another).
    """
    sys.path.insert(0, str(BENCH.parent))
    from tests.postgresserver import postgres

    return [
        TWISTD, "-n", "--pidfile=", "--logfile=-", "chat",
        "--listen", f"tcp:{port}:interface=127.0.0.1",
        "--db", postgres().newDatabase(), "--history-on-join", "0",
        "--no-limits",
    ]  # fmt: skip


def clusterOf(nodes: int) -> Server:
    """C{nodes} twisted_chat nodes on one PostgreSQL database and one Redis."""
    return Server(
        f"twisted_chat-cluster-{nodes}",
        "line",
        None,
        accepts,
        notes=f"{nodes} node(s) with --bus on one PostgreSQL database and one"
        " Redis, the members spread over them, their CPU summed",
        nodes=cluster.nodeCommands(TWISTD),
        nodeCount=nodes,
        servicesCpu=lambda: cluster.servicesCpuSeconds(withRedis=True),
    )


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
    "twisted_chat-metrics": Server(
        "twisted_chat-metrics",
        "line",
        twistedChat("sqlite", "--metrics", "tcp:0:interface=127.0.0.1"),
        accepts,
        notes="--metrics on (/metrics and /health served, the reactor's lag"
        " measured every second)",
    ),
    "twisted_chat-irc": Server(
        "twisted_chat-irc",
        "irc",
        twistedChatIRC,
        accepts,
        notes="the same server, its IRC listener (--irc), spoken to as IRC",
    ),
    "twisted_chat-irc-memory": Server(
        "twisted_chat-irc-memory",
        "irc",
        twistedChatIRCMemory,
        accepts,
        notes="the IRC listener, with --db :memory:",
    ),
    "twisted_chat-guests-limits": Server(
        "twisted_chat-guests-limits",
        "line",
        twistedChat("sqlite", "--require-login", *IDLE_AT_LIMITS, limits=True),
        accepts,
        notes="--require-login at the default per-connection limits (timers,"
        " flood control, send queue), for the idle run",
    ),
    "twisted_chat-irc-limits": Server(
        "twisted_chat-irc-limits",
        "irc",
        atDefaultLimits(twistedChatIRC, *IDLE_AT_LIMITS),
        accepts,
        notes="the IRC listener at the default per-connection limits, for the idle run",
    ),
    "twisted_chat-irc-tags": Server(
        "twisted_chat-irc-tags",
        "irc-tags",
        twistedChatIRC,
        accepts,
        notes="the IRC listener, its clients asking for message-tags and"
        " server-time (time and msgid on every message)",
    ),
    "twisted_chat-postgres": Server(
        "twisted_chat-postgres",
        "line",
        twistedChatPostgres,
        accepts,
        notes="the same server, its store on PostgreSQL (a throw-away"
        " cluster on loopback, fsync on)",
        servicesCpu=lambda: cluster.servicesCpuSeconds(withRedis=False),
    ),
    **{server.name: server for server in map(clusterOf, [1, 2, 3])},
    "twisted_chat-web": Server(
        "twisted_chat-web",
        "web-json",
        twistedChatWeb,
        accepts,
        notes="the same server, its web front end (--web): the web client's"
        " JSON over WebSocket",
    ),
    "twisted_chat-web-irc": Server(
        "twisted_chat-web-irc",
        "web-irc",
        twistedChatWeb,
        accepts,
        notes="the web front end's WebSocket spoken to as a browser IRC"
        " client (text.ircv3.net)",
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


def fromCheckout(server: Server, label: str, checkout: Path) -> Server:
    """
    C{server} as it was in C{checkout}: the same command and options, its
    twistd run with the checkout first on C{PYTHONPATH}.
    """

    def command(port: int, directory: Path) -> list[str]:
        if server.command is None:
            raise ValueError(f"{server.name} is a cluster: no --before for it")
        argv = server.command(port, directory)
        if argv[0] != TWISTD:
            raise ValueError(f"{server.name} is not run by twistd")
        plugins = str(checkout / "twisted" / "plugins")
        return [sys.executable, "-c", TWISTD_SAYING_WHERE, plugins, *argv[1:]]

    path = os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))
    return Server(
        f"{server.name}@{label}",
        server.dialect,
        command,
        server.ready,
        server.expectGreeting,
        f"{server.notes}; as at {label}".lstrip("; "),
        environment={"PYTHONPATH": path},
        checkout=checkout,
    )


def isTwistedChat(name: str) -> bool:
    """Whether C{name} is one twisted_chat server of this checkout (not a cluster)."""
    return (
        name.startswith("twisted_chat")
        and "@" not in name
        and SERVERS[name].nodes is None
    )


def withBefore(options: Any, names: list[str]) -> list[str]:
    """
    C{names}, each twisted_chat server followed by itself from the
    C{--before} checkout (if one was asked for), so that they take turns.
    """
    if options.before_label is None:
        return names
    return [
        alike
        for name in names
        for alike in (
            [name, f"{name}@{options.before_label}"] if isTwistedChat(name) else [name]
        )
    ]


@contextmanager
def checkedOut(revision: str) -> Iterator[tuple[str, str, Path]]:
    """
    Check C{revision} out into a temporary git worktree of this repository,
    and remove it afterwards; give its commit, short name and path.
    """
    repository = str(BENCH.parent)

    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", "-C", repository, *arguments],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--verify", f"{revision}^{{commit}}")
        label = git("rev-parse", "--short", commit)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"--before {revision}: not a revision of {repository} ({error})")
    parent = Path(tempfile.mkdtemp(prefix="twisted-chat-before-"))
    checkout = parent / label
    try:
        git("worktree", "add", "--detach", "--quiet", str(checkout), commit)
    except subprocess.CalledProcessError as error:
        shutil.rmtree(parent, ignore_errors=True)
        sys.exit(f"--before {revision}: git worktree add failed: {error.stderr}")
    try:
        yield commit, label, checkout
    finally:
        try:
            git("worktree", "remove", "--force", str(checkout))
        except subprocess.CalledProcessError as error:
            print(f"could not remove the worktree {checkout}: {error.stderr}")
        shutil.rmtree(parent, ignore_errors=True)


def pinned(core: int) -> Callable[[], None]:
    def prepare() -> None:
        os.sched_setaffinity(0, {core})
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    return prepare


def cpuSeconds(pids: list[int]) -> float:
    """The user and system CPU the processes C{pids} have used, summed."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def rssKiB(pids: list[int]) -> int:
    """The resident memory of the processes C{pids}, summed."""
    return sum(map(processRssKiB, pids))


def processRssKiB(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def settledRss(pids: list[int]) -> int:
    """
    The server's memory once start-up work is over (twisted_chat makes an
    argon2 hash at start, which briefly takes 64 MiB): read until two
    readings half a second apart agree within 64 KiB.
    """
    previous = rssKiB(pids)
    for _ in range(20):
        time.sleep(0.5)
        current = rssKiB(pids)
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


TRACE_VARIABLE = "TWISTED_CHAT_TRACE"
"""
Names the file a twisted_chat server writes its trace to as it stops
(C{twisted_chat.app.trace}): where each marked message's time went.
"""


@dataclass
class Probes:
    """What is watched inside a server during a run, besides its figures."""

    trace: bool = False
    """Run a twisted_chat server in its trace mode, and keep the report."""
    profiles: Path | None = None
    """Where to write a py-spy profile of the server's measured window."""
    profileName: str = ""


def measure(
    server: Server,
    scenario: str,
    loadArguments: list[str],
    probes: Probes | None = None,
) -> Run:
    directory = Path(tempfile.mkdtemp(prefix="twisted-chat-bench-"))
    ports: list[int] = []
    for _ in range(server.nodeCount):
        ports.append(freePort(*ports))
    argvs = server.commands(ports, directory)
    logNames = (
        ["server.log"]
        if len(argvs) == 1
        else [f"node{number}.log" for number in range(1, len(argvs) + 1)]
    )
    with ExitStack() as logs:
        files = [logs.enter_context(open(directory / name, "w")) for name in logNames]
        return _measure(
            server,
            scenario,
            loadArguments,
            directory,
            ports,
            argvs,
            files,
            probes or Probes(),
        )


def _measure(
    server: Server,
    scenario: str,
    loadArguments: list[str],
    directory: Path,
    ports: list[int],
    serverArgvs: list[list[str]],
    serverLogs: list[Any],
    probes: Probes,
) -> Run:
    environment = dict(server.environment)
    traced = probes.trace and server.name.startswith("twisted_chat")
    if traced:
        environment[TRACE_VARIABLE] = str(directory / "trace.json")
    serverProcesses = [
        subprocess.Popen(
            argv,
            cwd=directory,
            env={**os.environ, **environment} if environment else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=pinned(SERVER_CORE),
        )
        for argv, log in zip(serverArgvs, serverLogs, strict=True)
    ]
    pids = [process.pid for process in serverProcesses]
    loadArgv = [
        sys.executable, str(BENCH / "loadgen.py"), "--port", *map(str, ports),
        "--dialect", server.dialect, *loadArguments,
    ]  # fmt: skip
    variables = [f"{name}={value}" for name, value in environment.items()]
    run = Run(
        scenario,
        server.name,
        dict(zip(loadArguments[::2], loadArguments[1::2], strict=False)),
        " & ".join(
            shlex.join([*variables, "taskset", "-c", str(SERVER_CORE), *argv])
            for argv in serverArgvs
        ),
        shlex.join(["taskset", "-c", str(LOAD_CORE), *loadArgv]),
    )
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            while not server.ready(port):
                exited = any(process.poll() is not None for process in serverProcesses)
                if exited or time.monotonic() > deadline:
                    raise RuntimeError(f"{server.name} did not start")
                time.sleep(0.1)
        importedFrom = checkImports(server, directory / "server.log")
        emptyRss = settledRss(pids)
        load = subprocess.Popen(
            loadArgv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=pinned(LOAD_CORE),
        )
        try:
            ready = readJson(load, 900)
            rss = rssKiB(pids)
            servicesBefore = server.servicesCpu() if server.servicesCpu else {}
            cpuBefore = cpuSeconds(pids)
            assert load.stdin is not None
            profiler = startProfile(probes, pids, loadArguments)
            load.stdin.write("go\n")
            load.stdin.flush()
            done = readJson(load, 900)["done"]
            cpu = cpuSeconds(pids) - cpuBefore
            if profiler is not None:
                run.result["profile"] = finishProfile(profiler)
            servicesAfter = server.servicesCpu() if server.servicesCpu else {}
        finally:
            load.kill()
            load.wait()
        run.result = {**run.result, **ready, **done}
        run.result["serverCpuSeconds"] = cpu
        run.result["serverRssKiB"] = rss
        run.result["emptyServerRssKiB"] = emptyRss
        if len(pids) > 1:
            run.result["nodes"] = len(pids)
        if servicesAfter:
            # Not in the figure: PostgreSQL's and Redis's own processes.
            run.result["servicesCpuSeconds"] = {
                name: spent - servicesBefore[name]
                for name, spent in servicesAfter.items()
            }
        if importedFrom is not None:
            run.result["twistedChatFile"] = importedFrom
        if "deliveriesCounted" in done:
            # The CPU time runs from "go" until everything in flight has
            # arrived, so it is set against every delivery, the drain's too.
            run.result["deliveriesPerCpuSecond"] = (
                done["deliveriesCounted"] / cpu if cpu else 0
            )
    finally:
        for process in serverProcesses:
            process.terminate()
        for process in serverProcesses:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if scenario == "durability" and run.result:
            countStored(run, directory / "chat.sqlite3")
        if traced and (directory / "trace.json").exists():
            run.result["trace"] = json.loads((directory / "trace.json").read_text())
        if deliveriesWrong(run.result):
            print(
                f"  {server.name}: deliveries lost or doubled;"
                f" its logs are kept in {directory}"
            )
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return run


PY_SPY = str(Path(sys.executable).parent / "py-spy")
PROFILE_RATE = 250
"""Samples per second py-spy takes of the server."""


def startProfile(
    probes: Probes, pids: list[int], loadArguments: list[str]
) -> tuple[subprocess.Popen[bytes], Path] | None:
    """
    Start py-spy on the server for the measured window, on the load
    generator's core: every thread, idle ones included (a thread waiting
    on an C{fsync} or in C{epoll} is idle to py-spy), in py-spy's raw
    (collapsed stacks) format, one file per run.
    """
    if probes.profiles is None or len(pids) != 1:
        return None
    arguments = dict(zip(loadArguments[::2], loadArguments[1::2], strict=False))
    seconds = float(arguments.get("--seconds", arguments.get("--latency-seconds", 10)))
    probes.profiles.mkdir(parents=True, exist_ok=True)
    output = probes.profiles / f"{probes.profileName}.txt"
    command = [
        PY_SPY, "record", "--pid", str(pids[0]), "--threads", "--idle",
        "--nonblocking", "--rate", str(PROFILE_RATE),
        "--duration", str(max(1, int(seconds))), "--format", "raw",
        "--output", str(output),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=pinned(LOAD_CORE),
    )
    return process, output


def finishProfile(profiler: tuple[subprocess.Popen[bytes], Path]) -> str:
    """Wait for py-spy to write its profile; say where it is."""
    process, output = profiler
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return str(output)


def measureDisk(options: Any, members: int) -> Run:
    """
    The disk's own write and C{fsync} of a small record at the latency
    run's paced rate, in a directory made as the servers' are (so on the
    file system of their SQLite files), on the server's core.
    """
    directory = Path(tempfile.mkdtemp(prefix="twisted-chat-bench-"))
    command = [
        sys.executable, str(BENCH / "fsyncprobe.py"), "--directory", str(directory),
        "--rate", str(options.rate), "--seconds", str(options.latency_seconds),
    ]  # fmt: skip
    try:
        finished = subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
            preexec_fn=pinned(SERVER_CORE),
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return Run(
        "latency",
        DISK,
        {"--members": str(members), "--rate": str(options.rate)},
        "",
        shlex.join(["taskset", "-c", str(SERVER_CORE), *command]),
        json.loads(finished.stdout),
    )


DISK = "disk write+fsync"
"""The latency table's row for L{measureDisk}: the disk's floor."""


def deliveriesWrong(result: dict[str, Any]) -> bool:
    """Whether any member had lines missing or twice, on any node."""
    return bool(result.get("lost")) or any(
        node["lost"] or node["doubled"] for node in result.get("byPort", [])
    )


def checkImports(server: Server, log: Path) -> str | None:
    """
    For a server from an older checkout, the file its twisted_chat package
    was imported from, as the server printed it; stop the bench if that is
    not inside the checkout.
    """
    if server.checkout is None:
        return None
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith(IMPORTED_FROM):
            imported = line.removeprefix(IMPORTED_FROM)
            if not Path(imported).is_relative_to(server.checkout):
                raise RuntimeError(
                    f"{server.name} imported twisted_chat from {imported},"
                    f" not from {server.checkout}"
                )
            return imported
    raise RuntimeError(f"{server.name} did not say where twisted_chat came from")


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
    Every other round takes its turns backwards: a server measured right
    after another (the machine warm from it, or still busy freeing it)
    runs as often first as last, so the order favours none.
    """
    tries: dict[str, list[Run]] = {name: [] for name in servers}
    parameters = dict(zip(arguments[::2], arguments[1::2], strict=False))
    for attempt in range(1, options.repeat + 1):
        for name in servers if attempt % 2 == 1 else servers[::-1]:
            if name == DISK:
                run = measureDisk(options, int(parameters["--members"]))
            else:
                label = f"{scenario}-{name}-N{parameters.get('--members')}-{attempt}"
                probes = Probes(
                    trace=options.trace and scenario == "latency",
                    profiles=(
                        options.py_spy
                        if scenario == "latency" and name.startswith("twisted_chat")
                        else None
                    ),
                    profileName=label.replace("@", "-at-"),
                )
                run = measure(SERVERS[name], scenario, arguments, probes)
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
    if all("talkingP99" in run.result for run in runs):
        # The talking members' p99 is a figure of its own: its median over
        # the same tries, whichever try the quiet members' median picked.
        talking = sorted(run.result["talkingP99"] for run in runs)
        kept.result["talkingTries"] = [run.result["talkingP99"] for run in runs]
        kept.result["talkingP99Median"] = talking[len(talking) // 2]
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
    """
    The paced latency load, with each server having carried C{--prefill}
    messages first, and (unless C{--no-fsync-probe}) the disk's own write
    and C{fsync} at the same rate, taking turns with them.
    """
    runs = []
    disk = [] if options.no_fsync_probe else [DISK]
    for members in options.latency_members:
        arguments = [
            "--mode", "latency", "--members", str(members),
            "--rate", str(options.rate), "--seconds", str(options.latency_seconds),
        ]  # fmt: skip
        if options.prefill:
            arguments += ["--prefill", str(options.prefill)]
        runs += repeated(options, "latency", [*servers, *disk], arguments)
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
        options,
        "limits",
        withBefore(options, ["twisted_chat", "twisted_chat-limits"]),
        arguments,
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
        options,
        "durability",
        withBefore(options, ["twisted_chat", "twisted_chat-memory"]),
        arguments,
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
            ("throughput", servicesTable),
            ("latency", latencyTable),
            ("latency", traceTable),
            ("limits", limitsTable),
            ("idle", idleTable),
            ("durability", durabilityTable),
        ]
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines)


def serverWidth(runs: list[Run]) -> int:
    """How wide the server column must be for these runs' names."""
    return max(22, *(len(run.server) for run in runs))


def currentName(run: Run) -> str:
    """The server C{run} measured, without the revision of a C{--before} run."""
    return run.server.partition("@")[0]


def throughputTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    w = serverWidth(runs)
    olds = any("@" in run.server for run in runs)
    lines = [
        "Fan-out: deliveries per second and per server CPU-second"
        " (ratios of twisted_chat, with its store, to each"
        + ("; now/before: each server now to itself at --before)" if olds else ")"),
        f"{'N':>5} {'server':{w}} {'deliv/s':>10} {'cpu-s':>6}"
        f" {'deliv/cpu-s':>12} {'ratio':>6} {'lost':>5}"
        + (f" {'now/before':>10}" if olds else ""),
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
            now = next(
                (
                    n
                    for n in group
                    if "@" in run.server and n.server == currentName(run)
                ),
                None,
            )
            nowBefore = (
                f"{now.result['deliveriesPerCpuSecond'] / perCpu:.2f}"
                if now and perCpu
                else ""
            )
            lines.append(
                f"{members:>5} {run.server:{w}} {r['deliveriesPerSecond']:>10.0f}"
                f" {r['serverCpuSeconds']:>6.2f} {perCpu:>12.0f}"
                f" {ratio:>6} {r['lost']:>5}" + (f" {nowBefore:>10}" if olds else "")
            )
    return lines


def microsecondsEach(seconds: float | None, count: int) -> str:
    """C{seconds} shared among C{count}, in whole microseconds; "-" if unknown."""
    return "-" if seconds is None else f"{1e6 * seconds / count:.0f}"


def servicesTable(runs: list[Run]) -> list[str]:
    """
    For the servers on PostgreSQL (and Redis): the CPU each part spent per
    message, which the fan-out table's figure counts only for the nodes,
    and what each node's members lost or had twice.
    """
    runs = [run for run in runs if "servicesCpuSeconds" in run.result]
    if not runs:
        return []
    w = serverWidth(runs)
    lines = [
        "Where the CPU goes: microseconds per message sent, in the chat"
        " servers (all nodes), PostgreSQL and Redis; deliveries per CPU-second"
        " of all of them; lost/doubled deliveries per node",
        f"{'N':>5} {'server':{w}} {'msgs':>7} {'nodes':>7} {'pg':>6} {'redis':>6}"
        f" {'deliv/all-cpu-s':>15}  lost/doubled by node",
    ]
    for run in runs:
        r = run.result
        services = r["servicesCpuSeconds"]
        everything = r["serverCpuSeconds"] + sum(services.values())
        byNode = " ".join(
            f"n{node['node']}:{node['lost']}/{node['doubled']}"
            for node in r.get("byPort", [])
        )
        lines.append(
            f"{run.parameters['--members']:>5} {run.server:{w}}"
            f" {r['messagesSent']:>7}"
            f" {microsecondsEach(r['serverCpuSeconds'], r['messagesSent']):>7}"
            f" {microsecondsEach(services.get('postgres'), r['messagesSent']):>6}"
            f" {microsecondsEach(services.get('redis'), r['messagesSent']):>6}"
            f" {r['deliveriesCounted'] / everything:>15.0f}  {byNode}"
        )
    return lines


def latencyTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    w = serverWidth(runs)
    lines = [
        "Latency at a paced rate: milliseconds from send to delivery, to the",
        "members who only read, and (talk p99) to those who also say a line a second",
        f"{'N':>5} {'server':{w}} {'rate':>5} {'p50':>7} {'p90':>7} {'p99':>7}"
        f" {'max':>7} {'talk p99':>9}",
    ]
    for run in runs:
        r = run.result
        talking = r.get("talkingP99Median", r.get("talkingP99"))
        lines.append(
            f"{run.parameters['--members']:>5} {run.server:{w}} {run.parameters['--rate']:>5}"
            f" {r['p50']:>7.2f} {r['p90']:>7.2f} {r['p99']:>7.2f} {r['max']:>7.2f}"
            f" {'-' if talking is None else format(talking, '.2f'):>9}"
        )
    return lines


TRACE_STAGES = (
    "sent→read",
    "read→said",
    "said→commitBegan",
    "commitBegan→committed",
    "committed→resumed",
    "resumed→posted",
    "said→posted",
    "posted→firstWrite",
    "firstWrite→lastWrite",
    "read→lastWrite",
    "sent→lastWrite",
)
"""The trace's stages, in the order of a message's path (see twisted_chat.tracing)."""


def traceTable(runs: list[Run]) -> list[str]:
    """
    For the runs in trace mode: each stage's p50, p99 and maximum, the
    median stage of the slowest hundredth of the messages, and the
    collector's pauses and the store's commits in the measured window.
    """
    runs = [run for run in runs if "trace" in run.result]
    if not runs:
        return []
    lines = [
        "Where the time goes (trace mode): per stage, p50 / p99 / max in ms;"
        " 'tail': the stage's median among the slowest 1% of messages"
    ]
    for members in sorted({int(r.parameters["--members"]) for r in runs}):
        group = [r for r in runs if int(r.parameters["--members"]) == members]
        lines.append(
            f"{'N=' + str(members):24}" + "".join(f" {run.server:>28}" for run in group)
        )
        for stage in TRACE_STAGES:
            cells = []
            for run in group:
                figures = run.result["trace"]["stages"].get(stage)
                tail = run.result["trace"]["tail"].get("medians", {}).get(stage)
                cells.append(
                    f"{figures['p50']:.2f}/{figures['p99']:.2f}/{figures['max']:.1f}"
                    f" t{tail:.2f}"
                    if figures and figures.get("count") and tail is not None
                    else "-"
                )
            if any(cell != "-" for cell in cells):
                lines.append(f"{stage:24}" + "".join(f" {c:>28}" for c in cells))
        for run in group:
            trace = run.result["trace"]
            commits = trace["commits"]
            plain, ran = commits["withoutCheckpoint"], commits["withCheckpoint"]
            pauses = ", ".join(
                f"{where} {c['count']}x total {c['totalMs']:.1f} max {c['maxMs']:.1f} ms"
                for where, c in sorted(trace["collections"].items())
            )
            tail = trace["tail"]
            lines.append(
                f"  {run.server}: {trace['messages']} traced;"
                f" {commits['count']} commits of {commits['messagesPerCommit']:.2f} msgs"
                + (
                    f", p50/p99/max {plain['p50']:.2f}/{plain['p99']:.2f}"
                    f"/{plain['max']:.1f} ms without checkpoint"
                    if plain.get("count")
                    else ""
                )
                + (
                    f"; {ran['count']} ran a checkpoint: p50/max"
                    f" {ran['p50']:.2f}/{ran['max']:.1f} ms"
                    if ran.get("count")
                    else ""
                )
                + f"; collections: {pauses or 'none'}"
                + "; on/waiting for the CPU: "
                + ", ".join(
                    f"{name} {t['cpuMs']:.0f}/{t['waitingMs']:.0f} ms"
                    for name, t in trace.get("scheduling", {}).items()
                    if "passwords" not in name
                )
                + (
                    f"; tail (>= {tail['from']:.2f} ms): {tail['count']} messages,"
                    f" {tail['withCollection']} during a collection"
                    if tail.get("count")
                    else ""
                )
            )
    return lines


def limitsTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    w = serverWidth(runs)
    lines = [
        f"The cost of the default limits: {LIMITS_SENDERS} senders sharing a paced"
        " rate; milliseconds from send to delivery, server CPU per message",
        f"{'N':>5} {'server':{w}} {'rate':>5} {'p50':>7} {'p99':>7} {'max':>7}"
        f" {'CPU ms/msg':>10}",
    ]
    for run in runs:
        r = run.result
        lines.append(
            f"{run.parameters['--members']:>5} {run.server:{w}} {run.parameters['--rate']:>5}"
            f" {r['p50']:>7.2f} {r['p99']:>7.2f} {r['max']:>7.2f}"
            f" {1000 * r['serverCpuSeconds'] / r['messagesSent']:>10.2f}"
        )
    return lines


def idleTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    w = serverWidth(runs)
    lines = [
        "Idle connections: server memory and connections accepted per second",
        f"{'conns':>6} {'server':{w}} {'RSS MiB':>8} {'KiB/conn':>9} {'accepts/s':>10}",
    ]
    for run in runs:
        r = run.result
        perConnection = (r["serverRssKiB"] - r["emptyServerRssKiB"]) / r["held"]
        lines.append(
            f"{r['held']:>6} {run.server:{w}} {r['serverRssKiB'] / 1024:>8.1f}"
            f" {perConnection:>9.2f} {r['acceptsPerSecond']:>10.0f}"
        )
    return lines


def durabilityTable(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    w = serverWidth(runs)
    lines = [
        "Durability: messages committed (and delivered to"
        f" {DURABILITY_MEMBERS} members) per second",
        f"{'server':{w}} {'msgs/s':>8} {'msgs/cpu-s':>10} {'lost':>5} {'stored':>8}",
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
            f"{run.server:{w}} {messages / r['seconds']:>8.0f}"
            f" {r['messagesSent'] / r['serverCpuSeconds']:>10.0f}"
            f" {r['lost']:>5} {stored:>8}"
        )
    return lines


def measureAll(options: Any, scenarios: list[str], servers: list[str]) -> list[Run]:
    """Every scenario asked for, each on the servers it is run on."""
    runs: list[Run] = []
    if "throughput" in scenarios:
        runs += throughputRuns(options, withBefore(options, servers))
    if "latency" in scenarios:
        runs += latencyRuns(options, withBefore(options, servers))
    if "limits" in scenarios:
        runs += limitsRuns(options)
    if "idle" in scenarios:
        # Idle connections hold no messages: neither the store nor the way
        # lines are batched makes a difference.  A line client is greeted
        # and named, an IRC one registered (NICK and USER), both in no room,
        # as ngIRCd's are.
        idleServers = [
            "twisted_chat-guests" if name == "twisted_chat" else name
            for name in servers
            if name
            not in ("twisted_chat-memory", "twisted_chat-irc-memory", "baseline-shared")
        ]
        runs += idleRuns(options, withBefore(options, idleServers))
    if "durability" in scenarios:
        runs += durabilityRuns(options)
    return runs


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
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also run each twisted_chat server as it was at this git revision",
    )
    parser.add_argument(
        "--prefill",
        type=int,
        default=0,
        metavar="M",
        help="latency: have each server carry M messages first (the issue's 150000)",
    )
    parser.add_argument(
        "--no-fsync-probe",
        action="store_true",
        help="latency: leave out the disk's own write+fsync at the paced rate",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="latency: run twisted_chat servers in their trace mode and print"
        " where each message's time went",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="latency: profile twisted_chat servers' measured windows with"
        " py-spy (all threads), one raw file per run in DIR",
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
    options.before_label = None
    before: dict[str, str] | None = None
    if options.before is None:
        runs = measureAll(options, scenarios, servers)
    else:
        with checkedOut(options.before) as (commit, label, checkout):
            options.before_label = label
            for name, server in list(SERVERS.items()):
                if isTwistedChat(name):
                    SERVERS[f"{name}@{label}"] = fromCheckout(server, label, checkout)
            before = {
                "revision": options.before,
                "commit": commit,
                "label": label,
                "checkout": str(checkout),
            }
            runs = measureAll(options, scenarios, servers)
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
                "before": before,
                "runs": [run.__dict__ for run in runs],
            },
            indent=2,
        )
    )
    print(f"\nwritten to {options.json}")


if __name__ == "__main__":
    main(sys.argv[1:])
