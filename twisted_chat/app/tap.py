"""
The twistd plugin C{chat}: the service its options
(L{twisted_chat.app.options.Options}) build.

C{twistd -n chat} serves the line protocol on C{tcp:7632:interface=127.0.0.1};
C{--listen} takes any Twisted server endpoint string and may be repeated.
"""

import os
import random
import resource
from contextlib import suppress
from typing import Any

from twisted.application.service import IService
from twisted.internet.error import ReactorNotRunning

from twisted_chat.app.metrics import ReactorLag, makeMetricsSite
from twisted_chat.app.options import MEMORY_DATABASE, Options
from twisted_chat.app.service import (
    BusService,
    EndpointListener,
    RetentionService,
    ServerService,
    StartFailed,
)
from twisted_chat.app.statistics import ServerFigures
from twisted_chat.app.trace import traceService
from twisted_chat.chat.accounts import Accounts, PasswordHasher
from twisted_chat.chat.core import Chat
from twisted_chat.cluster.address import parseBusAddress
from twisted_chat.connection.admission import Admission, AdmissionRules
from twisted_chat.frontends.irc.factory import IRCChatFactory, hostServerName
from twisted_chat.frontends.line.console import Console
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.frontends.web.jsonchat import JSONChatFrontEnd
from twisted_chat.frontends.web.site import SocketResource, makeSite
from twisted_chat.frontends.web.websocket import (
    IRC_BINARY,
    IRC_TEXT,
    JSON_SUBPROTOCOL,
    WebSocketFrontEnd,
)
from twisted_chat.limits import (
    FD_MARGIN,
    MAX_CONNECTIONS,
    UNLIMITED,
    ConnectionRules,
)
from twisted_chat.store import IChatStore
from twisted_chat.store.memory import MemoryStore
from twisted_chat.store.pgaddress import PostgresUnusable, isPostgresURL, parseAddress
from twisted_chat.store.sqlite import DatabaseUnusable, SQLiteStore


def connectionRules(config: Options) -> ConnectionRules:
    """The limits each connection is held to, from the options."""
    if config["no-limits"]:
        return UNLIMITED
    return ConnectionRules(
        floodBurst=config["flood-burst"],
        floodArrivalBurst=config["flood-arrival-burst"],
        floodRate=config["flood-rate"],
        maxQueuedLines=config["max-queued-lines"],
        maxQueuedBytes=config["max-queued-bytes"],
        sendQueueBytes=config["send-queue"],
        sendQueueTimeout=config["send-queue-timeout"],
        sendBufferBytes=config["send-buffer"],
        loginTimeout=config["login-timeout"],
        pingAfter=config["ping-after"],
        idleTimeout=config["idle-timeout"],
    )


def admissionRules(config: Options) -> AdmissionRules:
    """Who may connect, from the options and the file-descriptor limit."""
    available = fileDescriptorLimit() - FD_MARGIN
    if config["no-limits"]:
        return AdmissionRules(
            maxConnections=available,
            maxPerAddress=available,
            newPerAddress=2**62,
        )
    maxConnections = config["max-connections"]
    if maxConnections is None:
        maxConnections = max(1, min(MAX_CONNECTIONS, available))
    return AdmissionRules(
        maxConnections=maxConnections,
        maxPerAddress=config["max-per-address"],
        newPerAddress=config["new-per-address"],
        limitLoopback=config["limit-loopback"],
    )


def fileDescriptorLimit() -> int:
    """How many files this process may have open (its soft limit)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 2**20


def makeStore(db: str, reactor: Any) -> IChatStore:
    """
    The store C{--db} names: memory, a PostgreSQL database (its support,
    psycopg, is imported only then: an extra), or an SQLite file.
    """
    if db == MEMORY_DATABASE:
        return MemoryStore()
    if isPostgresURL(db):
        try:
            from twisted_chat.store.postgres import PostgresStore
        except ImportError as error:
            raise StartFailed(
                f"twistd chat: --db {parseAddress(db)}: PostgreSQL support is not"
                f" installed ({error}); pip install 'twisted_chat[postgresql]'"
            ) from None
        return PostgresStore(db, reactor)
    return SQLiteStore(db, reactor)


def makeCluster(config: Options, store: IChatStore, reactor: Any) -> tuple[Any, Any]:
    """
    With C{--bus}, the cluster's room feed and roster, on one bus (their
    support, txredisapi, is imported only then: an extra); else L{None} for
    both, the core's own.
    """
    if not config["bus"]:
        return None, None
    try:
        from twisted_chat.cluster.bus import RedisBus
        from twisted_chat.cluster.feed import ClusterFeed
        from twisted_chat.cluster.roster import ClusterRoster
    except ImportError as error:
        raise StartFailed(
            f"twistd chat: --bus: cluster support is not installed ({error});"
            " pip install 'twisted_chat[cluster]'"
        ) from None
    feed = ClusterFeed(reactor, store)
    roster = ClusterRoster(reactor, config["node-name"])
    feed.bus = roster.bus = RedisBus.fromAddress(
        reactor, config["bus"], config["node-name"], feed
    )
    feed.bus.presence = roster
    roster.nodeGone = feed.reconnected
    return feed, roster


def busWhere(url: str) -> str:
    """Where C{--bus} is, for the log: host, port and database, nothing else."""
    host, port, database = parseBusAddress(url)
    return f"{host}:{port}/{database}"


def whereKept(db: str) -> str:
    """Where the store C{--db} names keeps what it keeps, for the log."""
    if isPostgresURL(db):
        return f"PostgreSQL at {parseAddress(db)}"
    return os.path.abspath(db)


def makeService(config: Options, reactor: Any = None) -> IService:
    """
    Build the chat service: the store, the core, a listener per endpoint,
    retention if asked for, and the console.
    """
    if reactor is None:
        from twisted.internet import reactor
    store = makeStore(config["db"], reactor)
    feed, roster = makeCluster(config, store, reactor)
    try:
        chat = Chat(
            reactor,
            store,
            historyOnJoin=config["history-on-join"],
            maxRoomsPerMember=config["max-rooms"],
            maxWaitingPrivate=config["max-waiting-private"],
            maxWaitingPerSender=config["max-waiting-per-sender"],
            serverOperators=config["oper"],
            feed=feed,
            presence=roster,
        )
    except (DatabaseUnusable, PostgresUnusable) as error:
        raise StartFailed(f"twistd chat: {error}") from None
    for name in config["oper"]:
        if not chat.isRegistered(name):
            # Else whoever registers the name first would run the server.
            store.abandon()
            raise StartFailed(
                f"twistd chat: --oper {name}: there is no account {name}; start"
                f" without it, /register {name}, then restart with --oper {name}"
                f" (or grant it from the console: /oper {name})"
            )
    accounts = Accounts(chat, PasswordHasher(reactor), reactor)
    factory = LineChatFactory(
        chat,
        accounts,
        reactor,
        rules=connectionRules(config),
        admission=Admission(reactor, admissionRules(config)),
        maxLineLength=config["max-line-length"],
        requireLogin=config["require-login"],
    )

    def stopServer() -> None:
        with suppress(ReactorNotRunning):
            reactor.stop()

    console = (
        Console(chat, accounts, reactor, stopServer) if config["console"] else None
    )
    service = ServerService(chat, accounts, reactor, console)
    if feed is not None:
        # First of the children, so it is stopped last: the goodbyes of a
        # stopping node are still published.
        roster.chat = chat
        # Guests of different nodes numbered apart: their nicks seldom clash.
        chat.remote.numberGuestsFrom(random.randrange(1, 1000) * 1000 + 1)
        BusService(feed.bus, roster).setServiceParent(service)
        service.announce(
            f"Serving rooms shared with the other nodes as {config['node-name']},"
            f" told through Redis at {busWhere(config['bus'])}"
        )
    service.addFrontEnd(factory)
    figures = ServerFigures(service, reactor)
    figures.setServiceParent(service)
    chat.statistics.figures = figures.read
    traced = traceService(os.environ, config["db"])
    if traced is not None:
        traced.setServiceParent(service)
        service.announce(f"Tracing marked messages into {traced.path}")
    if config["db"] == MEMORY_DATABASE:
        service.announce("History and accounts are kept in memory only (--db :memory:)")
    else:
        service.announce(f"History and accounts are kept in {whereKept(config['db'])}")
    if config["retention-days"] or config["room-history-cap"]:
        # Off by default: nothing said is deleted unless the operator asks.
        RetentionService(
            chat,
            reactor,
            config["retention-days"] or None,
            config["room-history-cap"] or None,
        ).setServiceParent(service)
    for description in config["listen"]:
        EndpointListener(reactor, description, factory).setServiceParent(service)
    if config["metrics"]:
        ReactorLag(reactor).setServiceParent(service)
        EndpointListener(
            reactor,
            config["metrics"],
            makeMetricsSite(service, reactor),
            "metrics (/metrics, /health)",
        ).setServiceParent(service)
    serverName = config["server-name"] or hostServerName()
    if config["web"]:
        _serveWeb(config, service, factory, accounts, serverName, reactor)
    if config["irc"]:
        ircFactory = IRCChatFactory(
            chat,
            accounts,
            reactor,
            rules=factory.rules,
            admission=factory.admission,
            requireLogin=config["require-login"],
            serverName=serverName,
        )
        service.addFrontEnd(ircFactory)
        for description in config["irc"]:
            EndpointListener(reactor, description, ircFactory, "IRC").setServiceParent(
                service
            )
    return service


def _serveWeb(
    config: Options,
    service: ServerService,
    lines: LineChatFactory,
    accounts: Accounts,
    serverName: str,
    reactor: Any,
) -> None:
    """
    Serve the web client on each C{--web} endpoint: the page, and the
    WebSocket whose clients speak JSON (the page) or IRC (IRC web
    clients), through front ends of their own held to the same rules,
    admission and graceful stop as the others.
    """
    chat, rules, admission = lines.chat, lines.rules, lines.admission
    json = JSONChatFrontEnd(
        chat,
        accounts,
        reactor,
        rules=rules,
        admission=admission,
        maxLineLength=config["max-line-length"],
        requireLogin=config["require-login"],
        serverName=serverName,
    )
    irc = IRCChatFactory(
        chat,
        accounts,
        reactor,
        rules=rules,
        admission=admission,
        requireLogin=config["require-login"],
        serverName=serverName,
    )
    for frontEnd in (json, irc):
        # Counted as the web's (twisted_chat.meters), whatever they speak.
        frontEnd.kind = "web"
        service.addFrontEnd(frontEnd)
    sockets = WebSocketFrontEnd(
        reactor,
        {JSON_SUBPROTOCOL: json, IRC_TEXT: irc, IRC_BINARY: irc},
        origins=config["web-origin"],
        proxies=config["web-proxy"],
        pingAfter=rules.pingAfter,
        idleTimeout=rules.idleTimeout,
        serverName=serverName,
    )
    # The site's HTTP connections have a count of their own (see
    # frontends/web/httpstage.py): the page's requests do not take the
    # places of the sockets it opens.
    httpAdmission = None if admission is None else Admission(reactor, admission.rules)
    site = makeSite(
        SocketResource(sockets),
        reactor,
        admission=httpAdmission,
        proxies=config["web-proxy"],
    )
    for description in config["web"]:
        EndpointListener(reactor, description, site, "web").setServiceParent(service)
