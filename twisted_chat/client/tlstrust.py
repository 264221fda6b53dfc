"""
Whom the client trusts over TLS.

Three ways, in this order:

 1. C{--ca FILE}: the server's certificate must be signed by that authority
    and name the host; Twisted's C{optionsForClientTLS} checks both (with
    C{service_identity}).
 2. A pin: the server was trusted on first use, and the SHA-256 fingerprint
    of its certificate is in the known-servers file.  Then exactly that
    certificate is accepted, whoever signed it, and a changed one is a hard
    failure, as SSH does with its known hosts.
 3. Otherwise the system's authorities, with the host name checked.  If
    they do not vouch for the server (a self-signed certificate on a LAN),
    the person is shown the fingerprint and asked whether to trust it; if
    they say yes, it is pinned.

Before the first connection the client looks at the certificate in a
handshake it aborts (L{Inspection}), so that the server never sees a member
come and go.

TLS 1.2 is the least either side speaks (Twisted's default).
"""

import hmac
import os
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from OpenSSL import SSL, crypto
from service_identity import CertificateError, VerificationError
from service_identity.hazmat import DNS_ID, IPAddress_ID, verify_service_identity
from service_identity.pyopenssl import extract_patterns
from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.error import ConnectionClosed
from twisted.internet.interfaces import (
    IHandshakeListener,
    IOpenSSLClientConnectionCreator,
    ITransport,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.internet.ssl import (
    Certificate,
    CertificateOptions,
    optionsForClientTLS,
    platformTrust,
)
from twisted.python.failure import Failure
from zope.interface import implementer

KNOWN_SERVERS = "known_servers"
"""The file of pinned certificates, in the client's configuration directory."""


REFUSED = (SSL.Error, VerificationError)
"""What a refused handshake raises: OpenSSL's refusal, or a wrong host name."""

_NOT_REFUSALS = (SSL.SysCallError, SSL.ZeroReturnError, SSL.WantReadError)
"""OpenSSL errors that only say the connection itself failed or ended."""


class TrustFailure(Exception):
    """The server could not be trusted; the message says why and what to do."""


class NoHandshake(Exception):
    """The server did not complete a TLS handshake in the time allowed."""


def refusal(error: BaseException | None) -> str | None:
    """
    Say in a few words what a failed TLS handshake refused (OpenSSL's
    reason, or the host name the certificate is not for), or L{None} if
    C{error} is not a refusal: the connection merely failed or ended, which
    trying again may mend.
    """
    if isinstance(error, VerificationError):
        names = ", ".join(_identity(each.mismatched_id) for each in error.errors)
        return f"its certificate is not for {names}"
    if not isinstance(error, SSL.Error) or isinstance(error, _NOT_REFUSALS):
        return None
    queue = error.args[0] if error.args and isinstance(error.args[0], list) else []
    reasons = [entry[2] for entry in queue if isinstance(entry, tuple) and entry[2:]]
    said = "; ".join(str(reason) for reason in reasons) or str(error)
    if said == "wrong version number":
        return "it does not speak TLS there (wrong version number)"
    return said or "the TLS handshake failed"


def _identity(identity: object) -> str:
    """The host name or address a certificate was checked against."""
    match identity:
        case DNS_ID(hostname=hostname):
            return bytes(hostname).decode("ascii", errors="replace")
        case IPAddress_ID(ip=address):
            return str(address)
    return str(identity)


def fingerprint(certificate: crypto.X509) -> str:
    """The SHA-256 fingerprint of a certificate, as C{AB:CD:...}."""
    return certificate.digest("sha256").decode("ascii")


def knownServersPath(environ: Mapping[str, str]) -> Path:
    """Where pins are kept: C{$XDG_CONFIG_HOME/twisted-chat/known_servers}."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "twisted-chat" / KNOWN_SERVERS


class KnownServers:
    """
    The pinned certificates: one C{host:port FINGERPRINT} line per server.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def pinFor(self, server: str) -> str | None:
        """The fingerprint pinned for C{server} (C{host:port}), if any."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return None
        for line in text.splitlines():
            words = line.split()
            if len(words) == 2 and words[0] == server:
                return words[1]
        return None

    def remember(self, server: str, pin: str) -> None:
        """Pin C{pin} for C{server}; the file is readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as file:
            file.write(f"{server} {pin}\n")


@implementer(IOpenSSLClientConnectionCreator)
class PinnedCertificate:
    """
    Accept exactly the certificate with fingerprint C{pin}, whoever signed
    it.

    @ivar seen: the fingerprint of the certificate the server last offered.
    @ivar changed: the fingerprint of another certificate, if the server
        ever offered one.
    """

    def __init__(self, hostname: str, pin: str) -> None:
        self.hostname = hostname
        self.pin = pin
        self.seen: str | None = None
        self.changed: str | None = None
        self._context = CertificateOptions().getContext()
        self._context.set_verify(
            SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, self._verify
        )

    def _verify(
        self,
        connection: SSL.Connection,
        certificate: crypto.X509,
        errno: int,
        depth: int,
        ok: int,
    ) -> bool:
        if depth != 0:
            # Who signed it does not matter: the pin names the certificate.
            return True
        self.seen = fingerprint(certificate)
        if hmac.compare_digest(self.seen, self.pin):
            return True
        self.changed = self.seen
        return False

    def clientConnectionForTLS(self, tlsProtocol: Any) -> SSL.Connection:
        return _connectionFor(self._context, tlsProtocol, self.hostname)


def _connectionFor(
    context: SSL.Context, tlsProtocol: Any, hostname: str
) -> SSL.Connection:
    """A client-side OpenSSL connection, naming the host (SNI) if it has one."""
    connection = SSL.Connection(context, None)
    connection.set_app_data(tlsProtocol)
    connection.set_connect_state()
    if not (isIPAddress(hostname) or isIPv6Address(hostname)):
        connection.set_tlsext_host_name(hostname.encode("idna"))
    return connection


@implementer(IHandshakeListener)
class _Handshake(Protocol):
    """Connect, complete the TLS handshake, and hang up."""

    transport: ITransport

    def __init__(self) -> None:
        self.done: Deferred[None] = Deferred()
        self.closed: Deferred[None] = Deferred()

    def handshakeCompleted(self) -> None:
        self.done.callback(None)
        self.transport.loseConnection()

    def giveUp(self) -> None:
        """The server is taking too long: hang up on it."""
        if not self.done.called:
            self.done.errback(NoHandshake())
        self.transport.abortConnection()  # type: ignore[attr-defined]

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self.done.called:
            self.done.errback(reason)
        self.closed.callback(None)


async def shakeHands(
    reactor: Any,
    host: str,
    port: int,
    creator: IOpenSSLClientConnectionCreator,
    *,
    timeout: float = 30.0,
) -> None:
    """
    Complete one TLS handshake with C{host:port} as C{creator} says.

    @param timeout: seconds the server has to accept the connection, and
        then to complete the handshake.
    @raise SSL.Error: if the handshake fails (the certificate refused).
    @raise VerificationError: if the certificate is for another host name.
    @raise NoHandshake: if the server accepts but does not answer in time
        (a plain TCP service waiting for its client to speak first).
    """
    handshake = _Handshake()
    endpoint = wrapClientTLS(
        creator, HostnameEndpoint(reactor, host, port, timeout=timeout)
    )
    await endpoint.connect(Factory.forProtocol(lambda: handshake))
    late = reactor.callLater(timeout, handshake.giveUp)
    try:
        await handshake.done
    finally:
        if late.active():
            late.cancel()
        await handshake.closed


@implementer(IOpenSSLClientConnectionCreator)
class Inspection:
    """
    Look at the server's certificate during a handshake, then abort it.

    The server never completes the handshake, so it never greets a member:
    nobody in the chat sees a client come and go while it decides whom to
    trust.

    @ivar fingerprint: the SHA-256 fingerprint of the server's certificate.
    @ivar trusted: whether the system's authorities vouch for its chain.
    @ivar nameMatches: whether it is made out to the host name asked for.
    """

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        self.fingerprint: str | None = None
        self.trusted = True
        self.nameMatches = False
        self._context = CertificateOptions(trustRoot=platformTrust()).getContext()
        self._context.set_verify(SSL.VERIFY_PEER, self._verify)

    def _verify(
        self,
        connection: SSL.Connection,
        certificate: crypto.X509,
        errno: int,
        depth: int,
        ok: int,
    ) -> bool:
        self.trusted = self.trusted and bool(ok)
        if depth != 0:
            return True
        self.fingerprint = fingerprint(certificate)
        identity = (
            IPAddress_ID(self.hostname)
            if isIPAddress(self.hostname) or isIPv6Address(self.hostname)
            else DNS_ID(self.hostname)
        )
        try:
            verify_service_identity(extract_patterns(certificate), [identity], [])
        except (VerificationError, CertificateError):
            pass
        else:
            self.nameMatches = True
        return False

    def clientConnectionForTLS(self, tlsProtocol: Any) -> SSL.Connection:
        return _connectionFor(self._context, tlsProtocol, self.hostname)


async def inspect(reactor: Any, host: str, port: int, timeout: float) -> Inspection:
    """
    Read the certificate C{host:port} offers, without completing a handshake.

    @raise TrustFailure: if it offers none, or none within C{timeout} seconds.
    """
    inspection = Inspection(host)
    try:
        with suppress(*REFUSED, ConnectionClosed):
            await shakeHands(reactor, host, port, inspection, timeout=timeout)
    except NoHandshake:
        raise TrustFailure(
            f"{host}:{port} did not answer a TLS handshake within {timeout:g} s"
            " (is it a TLS port?)"
        ) from None
    if inspection.fingerprint is None:
        raise TrustFailure(f"{host}:{port} offered no certificate (is it a TLS port?)")
    return inspection


def loadAuthority(caFile: str) -> Certificate:
    """
    Read the authority named by C{--ca}.

    @raise TrustFailure: if the file cannot be read or holds no certificate.
    """
    try:
        data = Path(caFile).read_bytes()
    except OSError as error:
        raise TrustFailure(f"cannot read --ca {caFile}: {error.strerror}") from None
    try:
        return Certificate.loadPEM(data)
    except crypto.Error:
        raise TrustFailure(f"--ca {caFile} holds no PEM certificate") from None


async def chooseTrust(
    reactor: Any,
    host: str,
    port: int,
    *,
    caFile: str | None,
    known: KnownServers,
    ask: Callable[[str], bool] | None,
    timeout: float,
) -> IOpenSSLClientConnectionCreator:
    """
    Decide how to trust C{host:port}, asking the person if need be, and
    return what makes each TLS connection to it.

    @param ask: shows a question and returns the person's yes or no;
        L{None} when there is nobody to ask.
    @param timeout: seconds the server has to connect, and then to answer
        the handshake that shows its certificate.
    @raise TrustFailure: if the server cannot be trusted.
    """
    if caFile is not None:
        return optionsForClientTLS(host, trustRoot=loadAuthority(caFile))
    server = f"{host}:{port}"
    offered = await inspect(reactor, host, port, timeout)
    seen = offered.fingerprint
    assert seen is not None
    pin = known.pinFor(server)
    if pin is not None:
        if not hmac.compare_digest(seen, pin):
            raise TrustFailure(changedMessage(server, pin, seen, known))
        return PinnedCertificate(host, pin)
    if offered.trusted and offered.nameMatches:
        return optionsForClientTLS(host)
    question = (
        f"The certificate of {server} is not signed by an authority this"
        f" machine trusts for that name.\nIts SHA-256 fingerprint is\n"
        f"  {seen}\nCompare it with the one the server's operator gives"
        " you. Trust it, and remember it for this server? [y/N] "
    )
    if ask is None or not ask(question):
        raise TrustFailure(
            f"{server} is not trusted: its certificate (SHA-256 {seen}) is"
            f" not signed by a known authority for that name. Use --ca FILE,"
            f" or run twisted-chat --tls on a terminal once to trust it."
        )
    known.remember(server, seen)
    return PinnedCertificate(host, seen)


def changedMessage(server: str, pin: str, seen: str, known: KnownServers) -> str:
    return (
        f"The certificate of {server} has CHANGED since you trusted it.\n"
        f"  trusted: {pin}\n  now:     {seen}\n"
        "Someone may be intercepting the connection. If the server's operator"
        " replaced the certificate on purpose, remove the line for"
        f" {server} from {known.path} and connect again."
    )
