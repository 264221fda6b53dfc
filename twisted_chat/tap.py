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

from .accounts import Accounts, PasswordHasher
from .console import Console
from .core import ChatServer
from .limits import (
    DEFAULT_LISTEN,
    HISTORY_ON_JOIN,
    MAX_LINE_LENGTH,
    MIN_LINE_LENGTH_SETTING,
    RESUME_LIMIT,
    ROOM_HISTORY_CAP,
)
from .lineserver import LineChatFactory
from .service import ChatListener, ChatService, RetentionService
from .store import IChatStore
from .store.memory import MemoryStore
from .store.sqlite import SQLiteStore

DEFAULT_DATABASE = "chat.sqlite3"
"""The SQLite file, in the directory the server runs in."""

MEMORY_DATABASE = ":memory:"

CONSOLE_LOG_FILE = "twistd.log"
"""Where twistd logs with C{--console}, so the log does not scribble on it."""


class Options(usage.Options):
    synopsis = "[--listen ENDPOINT]... [--db PATH] [--console] [options]"
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
        [
            "require-login",
            None,
            "Refuse guests: connections must /login or /register before chatting.",
        ],
    ]
    optParameters = [
        [
            "db",
            None,
            DEFAULT_DATABASE,
            "SQLite file holding history and accounts (made if missing);"
            " :memory: keeps them in memory only, lost at exit.",
        ],
        [
            "history-on-join",
            None,
            HISTORY_ON_JOIN,
            "Messages replayed to someone joining a room.",
            int,
        ],
        [
            "retention-days",
            None,
            0,
            "Delete messages older than this many days (0: keep them).",
            float,
        ],
        [
            "room-history-cap",
            None,
            ROOM_HISTORY_CAP,
            "Keep at most this many messages per room (0: no cap).",
            int,
        ],
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
        for name in ("history-on-join", "retention-days", "room-history-cap"):
            if self[name] < 0:
                raise usage.UsageError(f"--{name} must not be negative")
        if self["history-on-join"] > RESUME_LIMIT:
            raise usage.UsageError(f"--history-on-join is at most {RESUME_LIMIT}")
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
    Build the chat service: the store, the core, a listener per endpoint,
    retention, and the console.
    """
    if reactor is None:
        from twisted.internet import reactor
    store: IChatStore = (
        MemoryStore()
        if config["db"] == MEMORY_DATABASE
        else SQLiteStore(config["db"], reactor)
    )
    chat = ChatServer(reactor, store, historyOnJoin=config["history-on-join"])
    accounts = Accounts(store, PasswordHasher(reactor), reactor)
    factory = LineChatFactory(
        chat,
        accounts,
        reactor,
        maxLineLength=config["max-line-length"],
        requireLogin=config["require-login"],
    )

    def stopServer() -> None:
        with suppress(ReactorNotRunning):
            reactor.stop()

    console = (
        Console(chat, accounts, reactor, stopServer) if config["console"] else None
    )
    service = ChatService(chat, factory, reactor, console)
    RetentionService(
        chat,
        reactor,
        config["retention-days"] or None,
        config["room-history-cap"] or None,
    ).setServiceParent(service)
    for description in config["listen"]:
        ChatListener(reactor, description, factory).setServiceParent(service)
    return service
