"""
The options of the twistd plugin C{chat}: what each means, its default and
its checks (L{twisted_chat.app.tap} builds the service from them).
"""

import os
import re
import socket
from typing import Any, cast

from twisted.internet.endpoints import serverFromString
from twisted.python import usage

from twisted_chat.app import logs
from twisted_chat.app.logs import writeTo
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.names import checkNick
from twisted_chat.cluster.address import NODE_NAME, BadBusAddress, parseBusAddress
from twisted_chat.frontends.web.peers import normalOrigin, parseProxy
from twisted_chat.limits import (
    DEFAULT_LISTEN,
    FD_MARGIN,
    FLOOD_ARRIVAL_BURST,
    FLOOD_BURST,
    FLOOD_RATE,
    HISTORY_ON_JOIN,
    IDLE_TIMEOUT,
    LOGIN_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_LINE_LENGTH,
    MAX_PER_ADDRESS,
    MAX_QUEUED_BYTES,
    MAX_QUEUED_LINES,
    MAX_ROOMS_PER_MEMBER,
    MAX_WAITING_PER_SENDER,
    MAX_WAITING_PRIVATE,
    MIN_LINE_LENGTH_SETTING,
    NEW_PER_ADDRESS,
    NEW_PER_ADDRESS_WINDOW,
    PING_AFTER,
    RESUME_LIMIT,
    ROOM_HISTORY_CAP,
    SEND_BUFFER_BYTES,
    SEND_QUEUE_BYTES,
    SEND_QUEUE_TIMEOUT,
)
from twisted_chat.store.pgaddress import isPostgresURL, parseAddress
from twisted_chat.wire.irc import checkServerName

DEFAULT_DATABASE = "chat.sqlite3"
"""The SQLite file, in the directory the server runs in."""

MEMORY_DATABASE = ":memory:"

CONSOLE_LOG_FILE = "twistd.log"
"""Where twistd logs with C{--console}, so the log does not scribble on it."""


def checkedEndpoint(description: str) -> str:
    """
    Return a server endpoint string once it is known to parse, or raise a
    usage error saying why not.
    """
    if "sslmethod=" in description:
        # Twisted's default is TLS 1.2 at least; a method could lower it.
        raise usage.UsageError(
            f"bad endpoint {description!r}: sslmethod is not accepted;"
            " TLS 1.2 and later are always used"
        )
    try:
        # Parsing needs no reactor; it checks the type and arguments only.
        serverFromString(cast(Any, None), description)
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise usage.UsageError(f"bad endpoint {description!r}: {error}") from None
    return description


class Options(usage.Options):
    synopsis = (
        "[--listen ENDPOINT]... [--irc ENDPOINT]... [--web ENDPOINT]... [--db PATH]"
        " [--oper NAME]... [--console]"
        " [options]"
    )
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
        [
            "limit-loopback",
            None,
            "Hold loopback and Unix-socket clients to the per-address limits too.",
        ],
        [
            "no-limits",
            None,
            "Lift flood control, send queues, timeouts and connection limits"
            " (as many connections as file descriptors): for benchmarks only.",
        ],
    ]
    optParameters = [
        [
            "db",
            None,
            DEFAULT_DATABASE,
            "SQLite file holding history and accounts (made if missing);"
            " postgresql://USER@HOST:PORT/DBNAME keeps them in PostgreSQL;"
            " :memory: keeps them in memory only, lost at exit.",
        ],
        [
            "bus",
            None,
            None,
            "redis://HOST:PORT[/DB]: serve the same rooms as the other nodes"
            " sharing this --db (a PostgreSQL one), told of each other's"
            " messages through this Redis.",
        ],
        [
            "node-name",
            None,
            None,
            "This node's name on the --bus, unique among the nodes (default:"
            " this host's name and the process id).",
        ],
        [
            "metrics",
            None,
            None,
            "ENDPOINT: serve /metrics (Prometheus) and /health there, for"
            " monitoring only: keep it private, e.g. tcp:9632:interface=127.0.0.1"
            " (off by default).",
        ],
        [
            "log-format",
            None,
            "text",
            "How the log is written: text (the default), or json (one JSON"
            " object per line, for log shippers).",
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
            "Delete messages older than this many days (0: keep them all).",
            float,
        ],
        [
            "room-history-cap",
            None,
            ROOM_HISTORY_CAP,
            "Keep only this many newest messages per room, deleting older"
            " ones (0: keep them all).",
            int,
        ],
        [
            "max-line-length",
            None,
            MAX_LINE_LENGTH,
            "Longest client line accepted, in bytes.",
            int,
        ],
        ["flood-burst", None, FLOOD_BURST, "Lines a client may send at once.", int],
        [
            "flood-arrival-burst",
            None,
            FLOOD_ARRIVAL_BURST,
            "Lines a new connection may send at once (registering, joining).",
            int,
        ],
        [
            "flood-rate",
            None,
            FLOOD_RATE,
            "Lines a client may send per second after its burst (0: no limit).",
            float,
        ],
        [
            "max-queued-lines",
            None,
            MAX_QUEUED_LINES,
            "Lines waiting to be carried out before a client is closed for flooding.",
            int,
        ],
        [
            "max-queued-bytes",
            None,
            MAX_QUEUED_BYTES,
            "Bytes of lines waiting before a client is closed for flooding.",
            int,
        ],
        [
            "send-queue",
            None,
            SEND_QUEUE_BYTES,
            "Bytes held for a client that does not read before it falls behind"
            " (0: no limit).",
            int,
        ],
        [
            "send-queue-timeout",
            None,
            SEND_QUEUE_TIMEOUT,
            "Seconds a client may stay behind before it is disconnected.",
            float,
        ],
        [
            "send-buffer",
            None,
            SEND_BUFFER_BYTES,
            "Kernel send buffer (SO_SNDBUF) asked for each client's socket, in"
            " bytes (0: the system's default).",
            int,
        ],
        [
            "max-connections",
            None,
            None,
            f"Connections at once (default {MAX_CONNECTIONS}, or the"
            f" file-descriptor limit less {FD_MARGIN}).",
            int,
        ],
        [
            "max-per-address",
            None,
            MAX_PER_ADDRESS,
            "Connections at once from one address (IPv6: one /64).",
            int,
        ],
        [
            "new-per-address",
            None,
            NEW_PER_ADDRESS,
            f"New connections from one address in any"
            f" {NEW_PER_ADDRESS_WINDOW / 60:g} minutes.",
            int,
        ],
        [
            "ping-after",
            None,
            PING_AFTER,
            "Seconds of silence before a client is sent PING (0: never).",
            float,
        ],
        [
            "idle-timeout",
            None,
            IDLE_TIMEOUT,
            "Seconds of silence before a client is disconnected.",
            float,
        ],
        [
            "login-timeout",
            None,
            LOGIN_TIMEOUT,
            "Seconds to log in, with --require-login.",
            float,
        ],
        [
            "max-rooms",
            None,
            MAX_ROOMS_PER_MEMBER,
            "Rooms one member may be in at once.",
            int,
        ],
        [
            "max-waiting-private",
            None,
            MAX_WAITING_PRIVATE,
            "Private messages that may wait for one registered nick who is away.",
            int,
        ],
        [
            "max-waiting-per-sender",
            None,
            MAX_WAITING_PER_SENDER,
            "Private messages from one sender that may wait for one registered"
            " nick who is away (within --max-waiting-private).",
            int,
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self["irc"] = []
        self["oper"] = []
        self["web"] = []
        self["web-origin"] = []
        self["web-proxy"] = []
        # usage keeps a docstring's indentation past its second line; the
        # help wraps the text again, so one line of it is what it needs.
        self.docs = {
            name: " ".join((doc or "").split()) for name, doc in self.docs.items()
        }
        self["server-name"] = None

    def opt_listen(self, description: str) -> None:
        """
        Listen on a Twisted server endpoint, e.g. tcp:7632:interface=0.0.0.0,
        ssl:7633:privateKey=key.pem:certKey=cert.pem or unix:/run/chat.sock
        (repeatable; default tcp:7632:interface=127.0.0.1).
        """
        self["listen"].append(checkedEndpoint(description))

    opt_l = opt_listen

    def opt_irc(self, description: str) -> None:
        """
        Also serve IRC clients on this endpoint, e.g.
        tcp:6667:interface=127.0.0.1 (repeatable; off unless given).
        """
        self["irc"].append(checkedEndpoint(description))

    def opt_web(self, description: str) -> None:
        """
        Also serve the web client (the page, and its WebSocket at /socket,
        which IRC web clients may use too) on this endpoint, e.g.
        tcp:8080:interface=127.0.0.1 (repeatable; ssl: for https).
        """
        self["web"].append(checkedEndpoint(description))

    def opt_web_origin(self, origin: str) -> None:
        """
        Let pages from ORIGIN (https://chat.example.org) open the web
        client's WebSocket, beside the site's own (repeatable).
        """
        normal = normalOrigin(origin)
        if normal is None:
            raise usage.UsageError(
                f"--web-origin {origin}: an origin is http:// or https://, a"
                " host and maybe a port, with no path"
            )
        self["web-origin"].append(normal)

    def opt_web_proxy(self, address: str) -> None:
        """
        Believe the X-Forwarded-For of web requests from ADDRESS (a reverse
        proxy's address or range; repeatable); others' is ignored.
        """
        try:
            self["web-proxy"].append(parseProxy(address))
        except ValueError:
            raise usage.UsageError(
                f"--web-proxy {address}: not an IP address or range"
            ) from None

    def opt_oper(self, name: str) -> None:
        """
        Make the account NAME a server operator: it runs every room, and
        may disconnect users, suspend accounts and ban addresses
        (repeatable; the console's operator always is one).
        """
        try:
            self["oper"].append(checkNick(name))
        except ChatError as error:
            raise usage.UsageError(f"--oper {name}: {error.message}") from None

    def opt_server_name(self, name: str) -> None:
        """
        The server's name in IRC sources and numerics: letters, digits, dots
        and dashes (default: this host's name if it has a dot, else twisted-chat).
        """
        try:
            self["server-name"] = checkServerName(name)
        except ValueError as error:
            raise usage.UsageError(f"--server-name {name}: {error}") from None

    def _checkCluster(self) -> None:
        """C{--bus} needs a shared database and a node name to be told by."""
        if self["node-name"] is not None and not self["bus"]:
            raise usage.UsageError("--node-name needs --bus")
        if not self["bus"]:
            return
        try:
            parseBusAddress(self["bus"])
        except BadBusAddress as error:
            raise usage.UsageError(f"--bus: {error}") from None
        if not isPostgresURL(self["db"]):
            raise usage.UsageError(
                "--bus needs --db postgresql://USER@HOST:PORT/DBNAME: the nodes"
                " share their rooms through one PostgreSQL database"
            )
        if self["node-name"] is None:
            host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()) or "node"
            self["node-name"] = f"{host[:50]}-{os.getpid()}"
        if not NODE_NAME.match(self["node-name"]):
            raise usage.UsageError(
                f"--node-name {self['node-name']!r}: letters, digits, dots, dashes"
                " and underscores, at most 63"
            )

    def postOptions(self) -> None:
        if self["metrics"] is not None:
            self["metrics"] = checkedEndpoint(self["metrics"])
        if self["log-format"] not in ("text", "json"):
            raise usage.UsageError("--log-format is text or json")
        if not self["listen"]:
            self["listen"] = [DEFAULT_LISTEN]
        for name in ("web-origin", "web-proxy"):
            if self[name] and not self["web"]:
                raise usage.UsageError(f"--{name} needs --web")
        if isPostgresURL(self["db"]):
            try:
                parseAddress(self["db"])
            except ValueError as error:
                # Not the URL itself: it may hold a password.
                raise usage.UsageError(f"--db: a bad PostgreSQL URL: {error}") from None
        self._checkCluster()
        for name in (
            "history-on-join",
            "retention-days",
            "room-history-cap",
            "flood-rate",
            "max-queued-lines",
            "max-queued-bytes",
            "send-queue",
            "send-queue-timeout",
            "ping-after",
            "idle-timeout",
            "login-timeout",
        ):
            if self[name] < 0:
                raise usage.UsageError(f"--{name} must not be negative")
        for name in ("flood-burst", "max-per-address", "new-per-address", "max-rooms"):
            if self[name] < 1:
                raise usage.UsageError(f"--{name} must be at least 1")
        if self["max-connections"] is not None and self["max-connections"] < 1:
            raise usage.UsageError("--max-connections must be at least 1")
        if 0 < self["idle-timeout"] <= self["ping-after"]:
            raise usage.UsageError("--idle-timeout must be longer than --ping-after")
        if self["history-on-join"] > RESUME_LIMIT:
            raise usage.UsageError(f"--history-on-join is at most {RESUME_LIMIT}")
        if self["max-line-length"] < MIN_LINE_LENGTH_SETTING:
            raise usage.UsageError(
                f"--max-line-length must be at least {MIN_LINE_LENGTH_SETTING}"
            )
        if self["log-format"] == "json" and self.parent is not None:
            # twistd makes the observer, from its --logger option.
            writeTo(self.parent.get("logfile"), bool(self.parent.get("nodaemon")))
            self.parent["logger"] = logs.FACTORY
        if self["console"]:
            twistd = self.parent
            if twistd is not None and not twistd.get("nodaemon"):
                raise usage.UsageError(
                    "--console needs twistd -n (--nodaemon): a daemon has no"
                    " terminal to type at"
                )
            if twistd is not None and not twistd.get("logfile"):
                twistd["logfile"] = CONSOLE_LOG_FILE
