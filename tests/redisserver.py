"""
A Redis for the tests: one throw-away C{redis-server} per test process,
started the first time a test asks for it and stopped when the process
exits.

It lives in a temporary directory, listens on a free loopback port only,
and keeps nothing on disk (no snapshots, no append-only file): the bus
keeps nothing in Redis either.  A test may stop it and start it again on
the same port, to see the bus lose Redis and find it again.

Without C{redis-server} the tests that need it are skipped, with the
reason, unless C{CI} is set: on CI a missing Redis fails them.
"""

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Final

from twisted.trial.unittest import SkipTest

from tests.postgresserver import freePort

START_TIMEOUT: Final = 30.0
"""Seconds a starting redis-server has to accept connections."""


class RedisMissing(Exception):
    """C{redis-server} is not installed, and CI needs it."""


class ThrowAwayRedis:
    """
    A C{redis-server} in a temporary directory, for this test process.

    @ivar port: its loopback port, the same across restarts.
    """

    def __init__(self, program: str) -> None:
        self._program = program
        self.directory = tempfile.mkdtemp(prefix="twisted_chat-redis-")
        self.port = freePort()
        self._process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self) -> None:
        """Start the server, waiting (bounded) until it accepts connections."""
        self._process = subprocess.Popen(
            [
                self._program,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
                "--logfile",
                os.path.join(self.directory, "log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(os.path.join(self.directory, "log")) as log:
                    raise RuntimeError(f"redis-server did not start:\n{log.read()}")
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def ensureRunning(self) -> None:
        """Start the server unless it runs: a test that stops it cleans up so."""
        if not self.running:
            self.start()

    def stop(self) -> None:
        """Stop the server at once, dropping its connections."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


_shared: ThrowAwayRedis | None = None


def redis() -> ThrowAwayRedis:
    """
    The Redis of this test process, started on first use (and again if a
    test left it stopped).

    @raise SkipTest: if C{redis-server} is not installed and C{CI} is not set.
    @raise RedisMissing: if it is not installed and C{CI} is set.
    """
    global _shared
    if _shared is None:
        program = shutil.which("redis-server")
        if program is None:
            why = "Redis is not installed (no redis-server on PATH)"
            if os.environ.get("CI"):
                raise RedisMissing(why + "; CI must test the Redis bus")
            raise SkipTest(why)
        _shared = ThrowAwayRedis(program)
        atexit.register(_shared.remove)
    _shared.ensureRunning()
    return _shared
