"""
The C{twisted-chat} command: the terminal client.

L{main} runs under C{task.react}: it connects a
L{twisted_chat.client.ChatClientProtocol} through a client factory and an
endpoint, bridges the keyboard in with L{twisted_chat.keyboard.openTerminal},
and ends when the server says goodbye (exit status 0) or the connection fails
(one line on standard error, exit status 1).
"""

import os
import sys
from typing import Any, TextIO

from twisted.internet import task
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.error import ConnectError
from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    globalLogBeginner,
    textFileLogObserver,
)
from twisted.python import usage

from . import __version__
from .client import ChatClientFactory, ChatClientProtocol, ConnectionLostError
from .keyboard import isInteractive, openTerminal
from .limits import DEFAULT_PORT
from .view import TerminalView, wantsColor

COLOR_CHOICES = ("auto", "always", "never")


class ClientOptions(usage.Options):
    synopsis = (
        "Usage: twisted-chat [--host H] [--port P] [--nick N] [--room R]"
        " [--color auto|always|never]"
    )
    longdesc = (
        "Chat on a twisted_chat server. Type a line to say it in your current"
        " room, /help for the commands, and bye (or Ctrl-D) to leave."
    )
    optParameters = [
        ["host", "H", "localhost", "The server's host name or address."],
        ["port", "p", DEFAULT_PORT, "The server's port.", int],
        ["nick", "n", None, "The nick to take once connected."],
        ["room", "r", None, "A room to join once connected."],
        ["color", None, "auto", "Colour the output: auto, always or never."],
    ]

    def opt_version(self) -> None:
        """Show the version and exit."""
        print(f"twisted-chat {__version__}")
        raise SystemExit(0)

    def postOptions(self) -> None:
        if not 0 < self["port"] < 65536:
            raise usage.UsageError(f"--port must be 1 to 65535, not {self['port']}")
        if self["color"] not in COLOR_CHOICES:
            raise usage.UsageError(
                f"--color must be one of {', '.join(COLOR_CHOICES)}, not {self['color']}"
            )


class ClientFailure(Exception):
    """A known way for the client to fail, told in one line."""


async def main(reactor: Any, argv: list[str], stderr: TextIO = sys.stderr) -> None:
    """
    Run one chat session, as C{twisted-chat ARGV} does.

    @raise SystemExit: with status 2 for bad options, 1 for a failed or lost
        connection.
    """
    options = ClientOptions()
    try:
        options.parseOptions(argv)
    except usage.UsageError as error:
        stderr.write(f"twisted-chat: {error}\nTry twisted-chat --help.\n")
        raise SystemExit(2) from None
    host, port = options["host"], options["port"]
    view = TerminalView(
        lambda line: None,
        color=wantsColor(options["color"], isTerminal=os.isatty(1), environ=os.environ),
    )
    protocol: ChatClientProtocol | None = None

    def lineTyped(text: str) -> None:
        if protocol is not None:
            protocol.sendInput(text)

    def inputEnded() -> None:
        if protocol is not None:
            protocol.quit()

    terminal = openTerminal(
        reactor, lineTyped, inputEnded, interactive=isInteractive(), prompt=view.prompt
    )
    # Typed lines wait in the pipe or terminal until there is a server to send them to.
    terminal.pauseReading()
    view.output = terminal.show
    view.onPromptChange = terminal.setPrompt
    failure: ClientFailure | None = None
    try:
        endpoint = HostnameEndpoint(reactor, host, port)
        factory = ChatClientFactory(view, options["nick"], options["room"])
        try:
            connected = await endpoint.connect(factory)
        except ConnectError as error:
            raise ClientFailure(f"cannot connect to {host}:{port}: {error}") from None
        assert isinstance(connected, ChatClientProtocol)
        protocol = connected
        terminal.resumeReading()
        try:
            await connected.finished
        except ConnectionLostError as error:
            raise ClientFailure(
                f"lost the connection to {host}:{port}: {error}"
            ) from None
    except ClientFailure as error:
        failure = error
    finally:
        await terminal.close()
    if failure is not None:
        stderr.write(f"twisted-chat: {failure}\n")
        raise SystemExit(1)


def run() -> None:
    """
    The console-script entry point.
    """
    # Only what would otherwise vanish (an unexpected traceback) reaches stderr.
    globalLogBeginner.beginLoggingTo(
        [
            FilteringLogObserver(
                textFileLogObserver(sys.stderr),
                [LogLevelFilterPredicate(defaultLogLevel=LogLevel.error)],
            )
        ],
        redirectStandardIO=False,
    )
    task.react(main, [sys.argv[1:]])
