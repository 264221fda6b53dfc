"""
Real processes and a real browser for the browser tests, without the
reactor: the tests are L{SynchronousTestCase}s driving Playwright's sync
API, so the server, the terminal client and a raw line client are plain
subprocesses and sockets here, each read by a thread that tests wait on.

The children are started as tests/endtoend/processes.py starts them (this
checkout first on C{PYTHONPATH}, this Python), from the same helpers.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from twisted_chat.chat.names import fold
from twisted_chat.terminal.view import NICK_COLORS

from ..endtoend.processes import WAIT, childEnvironment

try:
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Dialog,
        Locator,
        Page,
        Playwright,
        sync_playwright,
    )
    from playwright.sync_api import expect as expect
except ImportError:  # pragma: no cover - the skip below says what is missing
    sync_playwright = None  # type: ignore[assignment]
    expect = None  # type: ignore[assignment]

LOOPBACK = "127.0.0.1"
ARTIFACTS_VARIABLE = "TWISTED_CHAT_ARTIFACTS"
"""Where screenshots go; by default browser-artifacts/ in trial's directory."""


def nickColorIndex(nick: str) -> int:
    """The terminal client's colour for C{nick}, as its place in the palette."""
    return zlib.crc32(fold(nick).encode("utf-8")) % len(NICK_COLORS)


def chromium() -> str | None:
    """Debian's Chromium (playwright install cannot fetch one here)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def artifacts() -> Path:
    directory = Path(os.environ.get(ARTIFACTS_VARIABLE) or "browser-artifacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory.absolute()


class Output:
    """Text a thread keeps reading from a pipe or a socket, to wait on."""

    def __init__(self, read: Callable[[], bytes], name: str) -> None:
        self.text = ""
        self._changed = threading.Condition()
        self._read = read
        self.ended = threading.Event()
        threading.Thread(target=self._pump, name=name, daemon=True).start()

    def _pump(self) -> None:
        try:
            while data := self._read():
                with self._changed:
                    self.text += data.decode("utf-8", errors="replace")
                    self._changed.notify_all()
        except OSError:
            pass
        finally:
            self.ended.set()
            with self._changed:
                self._changed.notify_all()

    def waitFor(self, pattern: str, timeout: float = WAIT) -> re.Match[str]:
        """Wait for C{pattern} (multi-line regex) to appear; fail after C{timeout}."""
        compiled = re.compile(pattern, re.MULTILINE)
        found: list[re.Match[str]] = []

        def matched() -> bool:
            match = compiled.search(self.text)
            if match is not None:
                found.append(match)
            return match is not None

        with self._changed:
            if not self._changed.wait_for(matched, timeout):
                raise AssertionError(
                    f"no {pattern!r} within {timeout}s in:\n{self.text}"
                )
        return found[0]


class Child:
    """A child process, standard output and error read together."""

    def __init__(self, arguments: list[str], directory: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *arguments],
            cwd=directory,
            env={**childEnvironment(), "XDG_CONFIG_HOME": str(directory / "config")},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        stdout: IO[bytes] | None = self.process.stdout
        assert stdout is not None
        descriptor = stdout.fileno()
        self.output = Output(
            lambda: os.read(descriptor, 65536), f"output of {arguments}"
        )

    def waitFor(self, pattern: str) -> re.Match[str]:
        return self.output.waitFor(pattern)

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode("utf-8"))
        self.process.stdin.flush()

    def kill(self) -> None:
        """SIGKILL: no goodbye, no clean shutdown, as a crash."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(WAIT)
        self.output.ended.wait(WAIT)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


class LineClient:
    """A raw line-protocol client over a socket: what nc does."""

    def __init__(self, port: int, nick: str) -> None:
        self.socket = socket.create_connection((LOOPBACK, port), timeout=WAIT)
        self.output = Output(lambda: self.socket.recv(65536), f"line client {nick}")
        self.say(f"/nick {nick}")
        self.say("/join #lobby")
        self.output.waitFor(r"^CURRENT #lobby\r?$")

    def say(self, line: str) -> None:
        self.socket.sendall(line.encode("utf-8") + b"\n")

    def waitFor(self, pattern: str) -> re.Match[str]:
        return self.output.waitFor(pattern)

    def close(self) -> None:
        self.socket.close()


class Server:
    """C{twistd -n chat} with a line-protocol and a web listener."""

    def __init__(
        self, directory: Path, *options: str, linePort: int = 0, webPort: int = 0
    ) -> None:
        lineListener = f"tcp:{linePort}:interface={LOOPBACK}"
        webListener = f"tcp:{webPort}:interface={LOOPBACK}"
        self.child = Child(
            [
                "-c",
                "from twisted.scripts.twistd import run; run()",
                "-n",
                "--pidfile=",
                "--logfile=-",
                "chat",
                "--listen",
                lineListener,
                "--web",
                webListener,
                *options,
            ],
            directory,
        )
        self.options = options
        self.directory = directory
        self.linePort = self._port("line-protocol", lineListener)
        self.webPort = self._port("(?!line-protocol)", webListener)
        self.url = f"http://{LOOPBACK}:{self.webPort}/"

    def _port(self, kind: str, description: str) -> int:
        # As it tells its operator: "Listening for KIND clients on
        # 127.0.0.1:PORT (DESCRIPTION)"; both descriptions may be tcp:0.
        match = self.child.waitFor(
            rf"Listening for {kind}.+? on {re.escape(LOOPBACK)}:(\d+)"
            rf" \({re.escape(description)}\)"
        )
        return int(match.group(1))

    def kill(self) -> None:
        self.child.kill()

    def restart(self) -> "Server":
        """The same server again: same ports, same database (the same directory)."""
        return Server(
            self.directory, *self.options, linePort=self.linePort, webPort=self.webPort
        )


class BrowserTestCase(SynchronousTestCase):
    """
    Starts Playwright and Chromium for each test, and the processes the
    test asks for; stops them all, whatever happens.
    """

    playwright: "Playwright"
    browser: "Browser"

    def setUp(self) -> None:
        executable = chromium()
        missing = []
        if sync_playwright is None:
            missing.append("Playwright for Python (pip install playwright)")
        if executable is None:
            missing.append("Chromium (apt-get install chromium)")
        if missing:
            reason = "browser tests need " + " and ".join(missing)
            if os.environ.get("CI"):
                self.fail(reason + "; CI is set, so this is a failure, not a skip")
            raise SkipTest(reason)
        self.directory = Path(self.mktemp()).absolute()
        self.directory.mkdir(parents=True)
        self.playwright = sync_playwright().start()
        self.addCleanup(self.playwright.stop)
        self.browser = self.playwright.chromium.launch(executable_path=executable)
        self.addCleanup(self.browser.close)
        self.consoles: dict[str, list[str]] = {}
        self.dialogs: list[str] = []
        self.addCleanup(self._noScriptErrors)

    def _noScriptErrors(self) -> None:
        # Run last (cleanups run in reverse): an uncaught exception in any
        # page's scripts fails the test, whatever it checked.
        errors = [
            f"{name}: {message}"
            for name, messages in self.consoles.items()
            for message in messages
            if message.startswith("pageerror:")
        ]
        self.assertEqual(errors, [])

    def startServer(self, *options: str) -> Server:
        server = Server(self.directory, *options)
        self.addCleanup(server.kill)
        return server

    def restartServer(self, server: Server) -> Server:
        again = server.restart()
        self.addCleanup(again.kill)
        return again

    def startTerminalClient(self, server: Server, nick: str) -> Child:
        """The real twisted-chat client, piped (no terminal, no colour)."""
        client = Child(
            ["-m", "twisted_chat", "--port", str(server.linePort), "--nick", nick],
            self.directory,
        )
        self.addCleanup(client.kill)
        client.waitFor(rf"you are now {nick}")
        return client

    def connectLineClient(self, server: Server, nick: str) -> LineClient:
        client = LineClient(server.linePort, nick)
        self.addCleanup(client.close)
        return client

    def openPage(
        self,
        server: Server,
        name: str,
        *,
        prepare: Callable[["Page"], None] | None = None,
        **context: Any,
    ) -> "Page":
        """
        A page in its own context (its own tab, as another person's
        browser); C{prepare} is called with it before it loads.
        """
        page = self.browser.new_context(**context).new_page()
        if prepare is not None:
            prepare(page)
        self.addCleanup(page.context.close)
        messages = self.consoles.setdefault(name, [])
        page.on("console", lambda message: messages.append(_describe(message)))
        page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
        page.on("dialog", self._dialogOpened)
        # Policy violations are events in the page too: count them there,
        # from before the page's own scripts run.
        page.add_init_script(
            "window.cspViolations = [];"
            " document.addEventListener('securitypolicyviolation',"
            " (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.goto(server.url)
        return page

    def _dialogOpened(self, dialog: "Dialog") -> None:
        # Any alert, confirm or prompt at all is a script that should not
        # have run: note it for the test to fail on, and close it.
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def signIn(
        self,
        server: Server,
        nick: str,
        *,
        register: str | None = None,
        prepare: Callable[["Page"], None] | None = None,
        **context: Any,
    ) -> "Page":
        """
        Open the page and chat under C{nick}, in the lobby: as a guest, or
        registering it with the password C{register}.
        """
        page = self.openPage(server, nick, prepare=prepare, **context)
        page.fill("#signin-nick", nick)
        if register is None:
            page.click("#signin-guest")
        else:
            page.fill("#signin-password", register)
            page.click("#signin-register")
        expect(page.locator("#view-title")).to_have_text("#lobby")
        expect(page.locator("#whoami")).to_contain_text(nick)
        return page

    def screenshot(self, page: "Page", name: str) -> Path:
        path = artifacts() / f"{self.id().rsplit('.', 2)[-2]}.{name}.png"
        page.screenshot(path=path)
        return path

    def say(self, page: "Page", line: str) -> None:
        """Type a line in the message box and press Enter."""
        page.fill("#compose", line)
        page.press("#compose", "Enter")
        expect(page.locator("#compose")).to_have_value("")


def _describe(message: "ConsoleMessage") -> str:
    return f"{message.type}: {message.text}"


def shownLog(page: "Page") -> "Locator":
    """The log of the conversation shown."""
    return page.locator("#logs .log:not([hidden])")
