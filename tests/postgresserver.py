"""
A PostgreSQL for the tests: the server named by C{TWISTED_CHAT_POSTGRES} (a
URL to a database the tests may create databases from), or else one
throw-away cluster per test process, started the first time a test asks for
it and stopped when the process exits.

The throw-away cluster lives in a temporary directory, listens on a loopback
port only, trusts loopback connections, and runs without fsync: it is for
tests, and thrown away.  Commits are still written before they are
confirmed (C{synchronous_commit} stays on), so a commit survives the server
being killed, as the tests that restart it need.  PostgreSQL refuses to run as root, so under root it
runs as the C{postgres} user.

Without PostgreSQL's binaries the tests that need it are skipped, with the
reason, unless C{CI} is set: on CI a missing PostgreSQL fails them.
"""

import atexit
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import suppress
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from twisted.trial.unittest import SkipTest

ENVIRONMENT: Final = "TWISTED_CHAT_POSTGRES"
"""The variable naming an existing PostgreSQL to test against."""

SERVICE_USER: Final = "postgres"
"""Who runs the throw-away cluster when the tests run as root."""


class PostgresMissing(Exception):
    """PostgreSQL's binaries are not installed, and CI needs them."""


def binaries() -> str | None:
    """The directory of PostgreSQL's server binaries, the newest installed."""
    found = shutil.which("pg_ctl")
    if found is not None:
        return os.path.dirname(found)
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda path: int(path.split("/")[-3]),
    )
    return os.path.dirname(versions[-1]) if versions else None


def freePort() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def withDatabase(url: str, database: str) -> str:
    """C{url} naming C{database} instead of its own."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


class ThrowAwayCluster:
    """
    A PostgreSQL cluster in a temporary directory, for this test process.

    @ivar url: the URL of its C{postgres} database, as its superuser.
    """

    def __init__(self, bin: str) -> None:
        self._bin = bin
        self._asService = os.geteuid() == 0
        self.directory = tempfile.mkdtemp(prefix="twisted_chat-pg-")
        if self._asService:
            shutil.chown(self.directory, SERVICE_USER)
        self.data = os.path.join(self.directory, "data")
        self.port = freePort()
        self.running = False
        user = SERVICE_USER if self._asService else os.environ.get("USER", "postgres")
        self.url = f"postgresql://{user}@127.0.0.1:{self.port}/postgres"
        self._run(
            "initdb",
            "--pgdata",
            self.data,
            "--auth",
            "trust",
            "--no-sync",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
        )
        self.start()

    def _run(self, program: str, *arguments: str) -> None:
        command = [os.path.join(self._bin, program), *arguments]
        if self._asService:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, cwd=self.directory, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )

    def start(self) -> None:
        """Start the server, waiting (bounded) until it accepts connections."""
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.directory}",
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c max_connections=50",
            ]
        )
        self._run(
            "pg_ctl",
            "start",
            "--pgdata",
            self.data,
            "--wait",
            "--timeout",
            "60",
            "--log",
            os.path.join(self.directory, "log"),
            "-o",
            options,
        )
        self.running = True

    def ensureRunning(self) -> None:
        """Start the server unless it runs: a test that stops it cleans up so."""
        if not self.running:
            self.start()

    def stop(self) -> None:
        """Stop the server at once, dropping its connections."""
        self._run("pg_ctl", "stop", "--pgdata", self.data, "--mode", "immediate")
        self.running = False

    def remove(self) -> None:
        with suppress(RuntimeError):  # not running
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class PostgresForTests:
    """
    Where the tests make their databases: one fresh, empty database per
    test, so no test sees another's rows.

    @ivar cluster: the throw-away cluster, or L{None} if the tests use the
        server named by C{TWISTED_CHAT_POSTGRES} (which they cannot restart).
    """

    def __init__(self, url: str, cluster: ThrowAwayCluster | None) -> None:
        self.url = url
        self.cluster = cluster
        self._names = itertools.count(1)
        self._shared: str | None = None

    def newDatabase(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return withDatabase(self.url, name)

    def emptiedDatabase(self) -> str:
        """
        The URL of this process's shared database, emptied of rows (its
        schema stays; identities go on rising): much quicker than a new
        database, for the tests that only need no one else's rows.
        """
        import psycopg

        if self._shared is None:
            self._shared = self.newDatabase()
            return self._shared
        with psycopg.connect(self._shared, autocommit=True) as connection:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename != 'twisted_chat_schema'"
                )
            ]
            # DELETE, not TRUNCATE: a few rows go faster than new files.
            with connection.transaction():
                for table in tables:
                    connection.execute(f"DELETE FROM {table}")  # type: ignore[arg-type]
        return self._shared

    def dropDatabase(self, url: str) -> None:
        """Drop a database L{newDatabase} made, whoever is still connected."""
        import psycopg

        name = urlsplit(url).path.lstrip("/")
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_shared: PostgresForTests | None = None


def postgres() -> PostgresForTests:
    """
    The PostgreSQL of this test process, started on first use.

    @raise SkipTest: if PostgreSQL is not installed and C{CI} is not set.
    @raise PostgresMissing: if it is not installed and C{CI} is set.
    """
    global _shared
    if _shared is not None:
        return _shared
    url = os.environ.get(ENVIRONMENT)
    if url:
        _shared = PostgresForTests(url, None)
        return _shared
    bin = binaries()
    if bin is None:
        why = f"PostgreSQL is not installed (no pg_ctl) and {ENVIRONMENT} is not set"
        if os.environ.get("CI"):
            raise PostgresMissing(why + "; CI must test the PostgreSQL store")
        raise SkipTest(why)
    cluster = ThrowAwayCluster(bin)
    atexit.register(cluster.remove)
    _shared = PostgresForTests(cluster.url, cluster)
    return _shared
