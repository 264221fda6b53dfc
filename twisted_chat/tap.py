"""
The twistd plugin C{chat}: its options and the service they build.

C{twistd -n chat} serves the line protocol on C{tcp:7632:interface=127.0.0.1};
C{--listen} takes any Twisted server endpoint string and may be repeated.
"""

from contextlib import suppress
from typing import Any, cast

from twisted.application.service import IService
from twisted.internet.endpoints import serverFromString
from twisted.internet.error import ReactorNotRunning
from twisted.python import usage

from .console import Console
from .core import ChatServer
from .limits import DEFAULT_LISTEN, MAX_LINE_LENGTH, MIN_LINE_LENGTH_SETTING
from .lineserver import LineChatFactory
from .service import ChatListener, ChatService

CONSOLE_LOG_FILE = "twistd.log"
"""Where twistd logs with C{--console}, so the log does not scribble on it."""


class Options(usage.Options):
    synopsis = "[--listen ENDPOINT]... [--console] [--max-line-length BYTES]"
    longdesc = (
        "A many-user chat server speaking a line protocol that plain nc or"
        " telnet can use. Clients: twisted-chat, nc, telnet."
    )
    optFlags = [
        [
            "console",
            None,
            "Take part from this terminal as the operator 'server' (needs -n);"
            " bye or /quit there stops the server.",
        ],
    ]
    optParameters = [
        [
            "max-line-length",
            None,
            MAX_LINE_LENGTH,
            "Longest client line accepted, in bytes.",
            int,
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []

    def opt_listen(self, description: str) -> None:
        """
        Listen on a Twisted server endpoint, e.g. tcp:7632:interface=0.0.0.0
        or unix:/run/chat.sock (repeatable; default tcp:7632:interface=127.0.0.1).
        """
        try:
            # Parsing needs no reactor; it checks the type and arguments only.
            serverFromString(cast(Any, None), description)
        except (ValueError, KeyError, TypeError, OSError) as error:
            raise usage.UsageError(f"bad endpoint {description!r}: {error}") from None
        self["listen"].append(description)

    opt_l = opt_listen

    def postOptions(self) -> None:
        if not self["listen"]:
            self["listen"] = [DEFAULT_LISTEN]
        if self["max-line-length"] < MIN_LINE_LENGTH_SETTING:
            raise usage.UsageError(
                f"--max-line-length must be at least {MIN_LINE_LENGTH_SETTING}"
            )
        if self["console"]:
            twistd = self.parent
            if twistd is not None and not twistd.get("nodaemon"):
                raise usage.UsageError(
                    "--console needs twistd -n (--nodaemon): a daemon has no"
                    " terminal to type at"
                )
            if twistd is not None and not twistd.get("logfile"):
                twistd["logfile"] = CONSOLE_LOG_FILE


def makeService(config: Options, reactor: Any = None) -> IService:
    """
    Build the chat service: the core, a listener per endpoint, the console.
    """
    if reactor is None:
        from twisted.internet import reactor
    chat = ChatServer(clock=reactor)
    factory = LineChatFactory(chat, maxLineLength=config["max-line-length"])

    def stopServer() -> None:
        with suppress(ReactorNotRunning):
            reactor.stop()

    console = Console(chat, reactor, stopServer) if config["console"] else None
    service = ChatService(chat, factory, reactor, console)
    for description in config["listen"]:
        ChatListener(reactor, description, factory).setServiceParent(service)
    return service
