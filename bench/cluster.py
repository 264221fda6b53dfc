"""
Several twisted_chat nodes for the bench (issue 17), and what the services
they lean on spend.

A cluster of N is N C{twistd chat} processes, each on its own port, on one
fresh PostgreSQL database (the throw-away cluster the tests start,
C{tests/postgresserver.py}) and one throw-away Redis
(C{tests/redisserver.py}); every node has C{--bus}, a cluster of one too,
so that its figure carries the bus's cost.  C{bench/run.py} starts the
nodes, spreads the load generator's members over their ports and sums
their CPU; PostgreSQL's and Redis's own CPU, which no server's figure
counts, are read here (from C{/proc} and from Redis's C{INFO cpu}).
"""

import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from tests.postgresserver import postgres  # noqa: E402
from tests.redisserver import redis  # noqa: E402

REDIS_DATABASE = 0
"""The Redis database number in every node's C{--bus}."""


def nodeCommands(
    twistd: str, *, bus: bool = True
) -> Callable[[list[int], Path], list[list[str]]]:
    """
    The commands of a cluster's nodes, one per port given, named C{n1},
    C{n2}, ...: a fresh database each time, shared by the nodes.  Without
    C{bus} they share the database but not their messages (to check the
    harness against a server that has no C{--bus} yet).
    """

    def commands(ports: list[int], directory: Path) -> list[list[str]]:
        shared = ["--db", postgres().newDatabase(), "--history-on-join", "0"]
        return [
            [twistd, "-n", "--pidfile=", "--logfile=-", "chat"]
            + ["--listen", f"tcp:{port}:interface=127.0.0.1", *shared, "--no-limits"]
            + (busOptions(f"n{number}") if bus else [])
            for number, port in enumerate(ports, 1)
        ]

    return commands


def busOptions(nodeName: str) -> list[str]:
    """A node's C{--bus} (the throw-away Redis, started at the first call) and name."""
    return ["--bus", f"{redis().url}/{REDIS_DATABASE}", "--node-name", nodeName]


def servicesCpuSeconds(*, withRedis: bool) -> dict[str, float]:
    """
    CPU-seconds PostgreSQL (and Redis, if C{withRedis}) have used so far;
    PostgreSQL's only when it is the throw-away cluster, whose processes
    are on this machine.
    """
    spent: dict[str, float] = {}
    cluster = postgres().cluster
    if cluster is not None:
        spent["postgres"] = processTreeCpuSeconds(postmasterOf(Path(cluster.data)))
    if withRedis:
        spent["redis"] = redisCpuSeconds(redis().port)
    return spent


def postmasterOf(data: Path) -> int:
    """The process id of the PostgreSQL server of the data directory C{data}."""
    return int((data / "postmaster.pid").read_text().split()[0])


def processTreeCpuSeconds(parent: int) -> float:
    """
    The user and system CPU of C{parent}, of its children now running, and
    of those that have ended (which the kernel adds to the parent's): so a
    PostgreSQL backend that ends between two readings is still counted.
    """
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == parent:
            ticks += sum(int(value) for value in fields[11:15])
        elif ppid == parent:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def redisCpuSeconds(port: int) -> float:
    """The user and system CPU the Redis on C{port} has used, by its C{INFO cpu}."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"INFO cpu\r\n")
        reply = b""
        while not reply.endswith(b"\r\n\r\n"):
            chunk = connection.recv(4096)
            if not chunk:
                break
            reply += chunk
    fields = dict(
        line.split(":", 1) for line in reply.decode().splitlines() if ":" in line
    )
    return float(fields["used_cpu_user"]) + float(fields["used_cpu_sys"])
