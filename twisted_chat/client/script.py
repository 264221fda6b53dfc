"""
The C{twisted-chat} command: the terminal client.

L{main} runs under C{task.react}: a C{ClientService} keeps a
L{twisted_chat.client.protocol.ChatClientProtocol} connected through a client factory
and an endpoint, reconnecting with backoff after an outage (to the next
server, when several are named: L{twisted_chat.client.servers}); the keyboard is
bridged in with L{twisted_chat.terminal.keyboard.openTerminal}; a
L{twisted_chat.client.session.ClientSession} carries the person's state across
connections.  It ends when the person leaves or the server removes them (exit
status 0), or when the server cannot be reached or talked to (one line on
standard error, exit status 1): nothing answers at any address, the TLS
handshake fails (at first or on a reconnection), what answers does not
greet the client with the chat protocol's C{WELCOME} in time, or it refuses
the login asked for (after three tries when the password was typed).
"""

import getpass
import math
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from twisted.internet import task
from twisted.internet.error import ConnectError, DNSLookupError
from twisted.internet.interfaces import (
    IOpenSSLClientConnectionCreator,
)
from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    globalLogBeginner,
    textFileLogObserver,
)
from twisted.python import usage

from twisted_chat import __version__
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.names import GUEST_PREFIX, checkNick, checkRoomName, fold
from twisted_chat.client.failures import (
    ClosedUnwelcomed,
    ConnectFailure,
    LoginRefused,
    NickRefused,
    NotChat,
    NotSecure,
    NoWelcome,
    Refused,
)
from twisted_chat.client.servers import (
    BadServer,
    Endpoints,
    FailoverEndpoint,
    Server,
    parseServers,
    stayConnected,
    unreachable,
)
from twisted_chat.client.session import ClientSession
from twisted_chat.client.tlstrust import (
    REFUSED,
    KnownServers,
    PinnedCertificate,
    TrustFailure,
    changedMessage,
    chooseTrust,
    knownServersPath,
)
from twisted_chat.limits import CLIENT_MAX_LINE_LENGTH, DEFAULT_PORT
from twisted_chat.terminal.keyboard import isInteractive, openTerminal
from twisted_chat.terminal.safetext import safe
from twisted_chat.terminal.view import TerminalView, wantsColor
from twisted_chat.terminal.whereabouts import Whereabouts

COLOR_CHOICES = ("auto", "always", "never")

PASSWORD_VARIABLE = "TWISTED_CHAT_PASSWORD"
"""The environment variable a password may come from."""

DEFAULT_HOST = "localhost"
"""The server connected to when no C{--host} is given."""

CONNECT_TIMEOUT = 15.0
"""
Seconds a server has to accept a connection, and then to greet it
(C{--connect-timeout}).  A chat server greets at once, or a round trip or
two after a TLS handshake, so this leaves room for a slow link or a busy
server while a TLS port or another service, silently waiting for the
client to speak first, is named well before a person gives up waiting.
"""

NOT_PLAIN_HINT = " (is it a TLS port? try --tls)"
"""
Said when a plain connection is closed, or left waiting, before a welcome:
what a TLS port does to a client that does not start a handshake.
"""

SAMPLE_LENGTH = 60
"""Bytes of what a server that is not a chat server sent, shown to say so."""


class ClientOptions(usage.Options):
    synopsis = (
        "Usage: twisted-chat [--host H[:P][,H[:P]...]]... [--port P] [--nick N]"
        " [--room R[,R...]]..."
        " [--login [--password-file F]] [--tls [--ca FILE]]"
        " [--color auto|always|never] [--connect-timeout S]"
    )
    longdesc = (
        "Chat on a twisted_chat server. Type a line to say it in your current"
        " room, /help for the commands, and bye (or Ctrl-D) to leave."
    )
    optParameters = [
        [
            "port",
            "p",
            DEFAULT_PORT,
            "The server's port (of each --host named without one).",
            int,
        ],
        ["nick", "n", None, "The nick to take once connected."],
        ["color", None, "auto", "Colour the output: auto, always or never."],
        [
            "connect-timeout",
            None,
            CONNECT_TIMEOUT,
            "Seconds the server has to accept the connection, and then to greet"
            " it; past either, the client gives up.",
            float,
        ],
        [
            "password-file",
            None,
            None,
            "Log in as --nick with the password on this file's first line.",
        ],
        [
            "ca",
            None,
            None,
            "With --tls: trust the server only if this PEM authority signed its"
            " certificate.",
        ],
    ]
    optFlags = [
        [
            "tls",
            None,
            "Connect with TLS; the server's certificate is checked against the"
            " system's authorities (or --ca), else trusted on first use and pinned.",
        ],
        [
            "login",
            None,
            "Log in as --nick; the password comes from --password-file,"
            f" ${PASSWORD_VARIABLE}, or a prompt.",
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["rooms"] = []
        self["hosts"] = []
        self["servers"] = []

    def opt_host(self, hosts: str) -> None:
        """
        The server: HOST or HOST:PORT ([::1]:7632 for IPv6), on --port if
        none is given [default: localhost].  Several servers serving the
        same rooms (a comma list, or --host again): connect to the first
        that answers; if the connection is lost or that server shuts down,
        reconnect to the next one and resume every room where you left off.
        """
        self["hosts"].append(hosts)

    # The help shows a docstring as written: one line of it.
    opt_host.__doc__ = " ".join((opt_host.__doc__ or "").split())
    opt_H = opt_host

    def opt_room(self, rooms: str) -> None:
        """
        Join these rooms (a comma list; repeatable) instead of the lobby.
        """
        for room in rooms.split(","):
            name = room.strip()
            if name and not name.startswith("#"):
                name = "#" + name
            try:
                checkRoomName(name)
            except ChatError as error:
                raise usage.UsageError(
                    f"--room {safe(room)}: {error.message}"
                ) from None
            if fold(name) not in map(fold, self["rooms"]):
                self["rooms"].append(name)

    opt_r = opt_room

    def opt_version(self) -> None:
        """Show the version and exit."""
        print(f"twisted-chat {__version__}")
        raise SystemExit(0)

    def postOptions(self) -> None:
        if self["ca"] and not self["tls"]:
            raise usage.UsageError("--ca needs --tls")
        if not 0 < self["port"] < 65536:
            raise usage.UsageError(f"--port must be 1 to 65535, not {self['port']}")
        try:
            self["servers"] = parseServers(
                self["hosts"] or [DEFAULT_HOST], self["port"]
            )
        except BadServer as error:
            raise usage.UsageError(f"--host {safe(str(error))}") from None
        self["host"] = self["servers"][0].host
        if not 0 < self["connect-timeout"] < math.inf:
            raise usage.UsageError(
                "--connect-timeout must be a number of seconds more than 0,"
                f" not {self['connect-timeout']:g}"
            )
        if self["color"] not in COLOR_CHOICES:
            raise usage.UsageError(
                f"--color must be one of {', '.join(COLOR_CHOICES)}, not {self['color']}"
            )
        if self["nick"] is not None:
            # The server's rules, checked before connecting: a nick it would
            # refuse would leave the person a guest.
            try:
                checkNick(self["nick"])
            except ChatError as error:
                raise usage.UsageError(
                    f"--nick {safe(self['nick'])}: {error.message}"
                ) from None
            if (
                self["nick"].lower().startswith(GUEST_PREFIX)
                and self["nick"][len(GUEST_PREFIX) :].isdigit()
            ):
                raise usage.UsageError(
                    f"--nick {safe(self['nick'])}: guest nicks are the server's"
                    " to give; choose another"
                )


async def main(reactor: Any, argv: list[str], stderr: TextIO = sys.stderr) -> None:
    """
    Run one chat session, as C{twisted-chat ARGV} does.

    @raise SystemExit: with status 2 for bad options or no password, 1 when
        the server cannot be reached or talked to, or refuses the login.
    """
    options = ClientOptions()
    try:
        options.parseOptions(argv)
        password = findPassword(options, os.environ)
    except usage.UsageError as error:
        stderr.write(f"twisted-chat: {error}\nTry twisted-chat --help.\n")
        raise SystemExit(2) from None
    servers: list[Server] = options["servers"]
    timeout = options["connect-timeout"]
    # How each server is trusted over TLS: each against its own pin.
    creators: dict[Server, IOpenSSLClientConnectionCreator] = {}
    unreached: dict[Server, BaseException] = {}
    first = 0
    if options["tls"]:
        # Trust is chosen now, while the person can still be asked, for the
        # first server that answers; for the others, when they are needed.
        for index, server in enumerate(servers):
            try:
                creators[server] = await chooseTrust(
                    reactor,
                    server.host,
                    server.port,
                    caFile=options["ca"],
                    known=known(),
                    ask=askYesOrNo if isInteractive() else None,
                    timeout=timeout,
                )
            except (ConnectError, DNSLookupError) as error:
                unreached[server] = error
                continue
            except TrustFailure as error:
                stderr.write(f"twisted-chat: {error}\n")
                raise SystemExit(1) from None
            except (*REFUSED, OSError) as error:
                stderr.write(f"twisted-chat: TLS with {server} failed: {error}\n")
                raise SystemExit(1) from None
            first = index
            break
        else:
            stderr.write(f"twisted-chat: {unreachable(unreached, timeout)}\n")
            raise SystemExit(1)
    # The session keeps who and where the person is; the view draws it.
    whereabouts = Whereabouts()
    view = TerminalView(
        lambda line: None,
        whereabouts,
        color=wantsColor(options["color"], isTerminal=os.isatty(1), environ=os.environ),
    )
    session = ClientSession(
        view,
        whereabouts,
        reactor,
        welcomeTimeout=timeout,
        nick=options["nick"],
        rooms=options["rooms"],
        password=password,
    )
    terminal = openTerminal(
        reactor,
        session.lineTyped,
        session.inputEnded,
        interactive=isInteractive(),
        prompt=view.prompt,
    )
    if (
        password is not None
        and isInteractive()
        and not (options["password-file"] or os.environ.get(PASSWORD_VARIABLE))
    ):
        # The password was typed: a wrong one may be typed again.
        session.askPassword = terminal.askSecret
    # Typed lines wait in the pipe or terminal until a server has greeted us.
    terminal.pauseReading()
    view.output = terminal.show
    view.onPromptChange = terminal.setPrompt
    view.columns = terminal.columns
    endpoints = Endpoints(
        reactor, timeout=timeout, creators=creators, caFile=options["ca"], view=view
    )
    endpoint = FailoverEndpoint(
        servers,
        endpoints.plain if not options["tls"] else endpoints.secure,
        first=first,
        connecting=(lambda server: session.connectingTo(str(server)))
        if len(servers) > 1
        else None,
    )
    failure: str | None = None
    try:
        await stayConnected(reactor, endpoint, session, terminal.resumeReading)
    except (ConnectError, DNSLookupError, TrustFailure, *REFUSED, OSError):
        failure = unreachable({**unreached, **endpoint.failures}, timeout)
    except ConnectFailure as error:
        server = endpoint.current
        pinned = creators.get(server)
        if isinstance(pinned, PinnedCertificate) and pinned.changed is not None:
            # The certificate changed between two connections.
            failure = changedMessage(
                server.pinName, pinned.pin, pinned.changed, known()
            )
        else:
            failure = explain(
                error, str(server), tls=options["tls"], caFile=options["ca"]
            )
    finally:
        await terminal.close()
    if failure is not None:
        stderr.write(f"twisted-chat: {failure}\n")
        raise SystemExit(1)


def explain(
    failure: ConnectFailure, server: str, *, tls: bool, caFile: str | None
) -> str:
    """
    Say in one line why the server at C{server} cannot be talked to, with
    what the person might try.
    """
    hint = "" if tls else NOT_PLAIN_HINT
    match failure:
        case LoginRefused(nick=nick, text=text):
            return f"login as {nick} failed: {safe(text)}"
        case Refused(reason=reason):
            return f"{server} refused the connection: {safe(reason)}"
        case NickRefused(nick=nick, text=text):
            return f"cannot take the nick {safe(nick)}: {safe(text)}"
        case NotSecure(what=what):
            authority = f" with --ca {caFile}" if caFile else ""
            return f"cannot connect securely to {server}{authority}: {what}"
        case NotChat(sample=None):
            return (
                f"{server} does not speak the twisted_chat protocol: it sent a line"
                f" over {CLIENT_MAX_LINE_LENGTH} bytes"
            )
        case NotChat(sample=bytes() as sample):
            shown = safe(sample[:SAMPLE_LENGTH].decode("utf-8", errors="replace"))
            more = "..." if len(sample) > SAMPLE_LENGTH else ""
            return (
                f"{server} does not speak the twisted_chat protocol: it sent"
                f' "{shown}{more}"'
            )
        case NoWelcome(seconds=seconds):
            return f"no twisted_chat welcome from {server} within {seconds:g} s{hint}"
        case ClosedUnwelcomed(reason="closed"):
            return (
                f"{server} closed the connection before the twisted_chat welcome{hint}"
            )
        case ClosedUnwelcomed(reason=reason):
            return (
                f"the connection to {server} ended before the twisted_chat welcome"
                f" ({reason}){hint}"
            )
    return f"cannot talk to {server}: {failure}"


def askYesOrNo(question: str) -> bool:
    """Ask the person on the terminal; only a yes is a yes."""
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def known() -> KnownServers:
    return KnownServers(knownServersPath(os.environ))


def findPassword(options: ClientOptions, environ: Mapping[str, str]) -> str | None:
    """
    Return the password to log in with, if the person wants to log in:
    from C{--password-file}, else C{TWISTED_CHAT_PASSWORD}, else a prompt
    with echo off (C{--login} on a terminal).  Never from an argument.

    @raise usage.UsageError: if a login is wanted and no password can be had.
    """
    if options["password-file"]:
        try:
            with open(options["password-file"], encoding="utf-8") as passwordFile:
                password = passwordFile.readline().rstrip("\r\n")
        except OSError as error:
            raise usage.UsageError(
                f"cannot read --password-file: {error.strerror}"
            ) from None
    elif environ.get(PASSWORD_VARIABLE):
        password = environ[PASSWORD_VARIABLE]
    elif options["login"]:
        if not sys.stdin.isatty():
            raise usage.UsageError(
                f"--login needs a terminal to ask for the password, --password-file,"
                f" or {PASSWORD_VARIABLE}"
            )
        password = getpass.getpass(f"Password for {options['nick']}: ")
    else:
        return None
    if not options["nick"]:
        raise usage.UsageError("logging in needs --nick")
    return password


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
