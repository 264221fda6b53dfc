"""
Tests of TLS: the server's listener, and whom the client trusts (an
authority with the host name checked, or a pin taken on first use), over
real loopback connections in this process.
"""

from pathlib import Path
from typing import Any

from OpenSSL import SSL
from service_identity import VerificationError
from service_identity.hazmat import IPAddress_ID, IPAddressMismatch
from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.endpoints import (
    SSL4ServerEndpoint,
    TCP4ServerEndpoint,
    serverFromString,
)
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.ssl import (
    Certificate,
    CertificateOptions,
    PrivateCertificate,
    TLSVersion,
    optionsForClientTLS,
)
from twisted.protocols.policies import WrappingFactory
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface import implementer

from twisted_chat.chat.core import Chat
from twisted_chat.chat.events import Joined
from twisted_chat.client.tlstrust import (
    REFUSED,
    KnownServers,
    PinnedCertificate,
    TrustFailure,
    chooseTrust,
    loadAuthority,
    refusal,
    shakeHands,
)
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.store.memory import MemoryStore

from ..certificates import Issued, issue
from ..helpers import connectMember, makeAccounts
from .processes import WAIT


@implementer(IOpenSSLClientConnectionCreator)
class OldClient:
    """A client that speaks TLS 1.1 at most, with ciphers to match."""

    def __init__(self) -> None:
        options = CertificateOptions(
            insecurelyLowerMinimumTo=TLSVersion.TLSv1_0,
            lowerMaximumSecurityTo=TLSVersion.TLSv1_1,
        )
        self.context = options.getContext()
        self.context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")

    def clientConnectionForTLS(self, tlsProtocol: Any) -> SSL.Connection:
        connection = SSL.Connection(self.context, None)
        connection.set_app_data(tlsProtocol)
        connection.set_connect_state()
        return connection


class ClosingFactory(WrappingFactory):
    """Wraps a server factory; C{closed} has a Deferred per connection."""

    def __init__(self, wrapped: Any) -> None:
        super().__init__(wrapped)
        self.closed: list[Deferred[None]] = []

    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        closed: Deferred[None] = Deferred()
        self.closed.append(closed)
        lost = protocol.connectionLost

        def connectionLost(reason: Any) -> None:
            lost(reason)
            closed.callback(None)

        protocol.connectionLost = connectionLost
        return protocol


class TLSTestCase(TestCase):
    def setUp(self) -> None:
        directory = Path(self.mktemp())
        directory.mkdir()
        self.directory = directory
        self.authority = issue(directory, "ca", "Test CA", isAuthority=True)
        self.signed = issue(directory, "server", "localhost", self.authority)
        self.selfSigned = issue(directory, "lan", "chat.lan")
        self.replaced = issue(directory, "lan2", "chat.lan")
        self.known = KnownServers(directory / "config" / "known_servers")

    async def serve(self, issued: Issued) -> int:
        """Serve the chat with TLS on loopback, as --listen ssl:... does."""
        return await self.listen(serverFromString(reactor, issued.listen()))

    async def listen(self, endpoint: Any) -> int:
        self.chat = Chat(reactor, MemoryStore())
        factory = LineChatFactory(self.chat, makeAccounts(self.chat, reactor), reactor)
        tracking = ClosingFactory(factory)
        port = await endpoint.listen(tracking)

        async def stop() -> None:
            await port.stopListening()
            await gatherResults(tracking.closed)

        self.addCleanup(stop)
        return int(port.getHost().port)

    async def trust(self, port: int, **kwargs: Any) -> Any:
        options: dict[str, Any] = {
            "caFile": None,
            "known": self.known,
            "ask": None,
            "timeout": WAIT,
        }
        options.update(kwargs)
        return await chooseTrust(reactor, "localhost", port, **options)


class ServerTests(TLSTestCase):
    async def test_tls11Refused(self) -> None:
        """
        A client that speaks TLS 1.1 at most is refused; the same client
        gets through to a server that allows TLS 1.1, so the refusal is the
        server's.
        """
        port = await self.serve(self.signed)
        with self.assertRaises(REFUSED):
            await shakeHands(reactor, "127.0.0.1", port, OldClient())
        private = PrivateCertificate.loadPEM(
            self.signed.certPath.read_bytes() + self.signed.keyPath.read_bytes()
        )
        permissive = CertificateOptions(
            privateKey=private.privateKey.original,
            certificate=private.original,
            insecurelyLowerMinimumTo=TLSVersion.TLSv1_0,
        )
        permissive.getContext().set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        oldPort = await self.listen(
            SSL4ServerEndpoint(reactor, 0, permissive, interface="127.0.0.1")
        )
        try:
            await shakeHands(reactor, "127.0.0.1", oldPort, OldClient())
        except REFUSED:
            raise self.skipTest("this OpenSSL cannot speak TLS 1.1 at all") from None

    async def test_chatOverTls(self) -> None:
        """A client trusting the authority gets the greeting over TLS."""
        port = await self.serve(self.signed)
        creator = await self.trust(port, caFile=str(self.authority.certPath))
        await shakeHands(reactor, "localhost", port, creator)


class UnseenTests(TLSTestCase):
    async def test_refusedHandshakeIsNoMember(self) -> None:
        """
        A client that refuses the certificate (or is refused) never joins:
        the room sees nobody come and go.
        """
        port = await self.serve(self.selfSigned)
        _, watcher = connectMember(self.chat, "watcher")
        self.chat.join(self.chat.memberNamed("watcher"), "#lobby")
        watcher.take()
        authority = Certificate.loadPEM(self.authority.certPath.read_bytes())
        with self.assertRaises(REFUSED):
            await shakeHands(
                reactor, "localhost", port, optionsForClientTLS("chat.lan", authority)
            )
        with self.assertRaises(REFUSED):
            await shakeHands(reactor, "127.0.0.1", port, OldClient())
        self.assertEqual(watcher.eventsOfType(Joined), [])

    async def test_inspectionUnseen(self) -> None:
        """Deciding whom to trust makes no member come and go either."""
        port = await self.serve(self.selfSigned)
        _, watcher = connectMember(self.chat, "watcher")
        self.chat.join(self.chat.memberNamed("watcher"), "#lobby")
        watcher.take()
        await self.trust(port, ask=lambda question: True)
        await self.trust(port, ask=None)
        self.assertEqual(watcher.eventsOfType(Joined), [])


class AuthorityTests(TLSTestCase):
    async def test_wrongHostNameRefused(self) -> None:
        """
        A certificate signed by the trusted authority, but for another name,
        is refused; for the right name it is accepted.
        """
        port = await self.serve(self.signed)
        authority = Certificate.loadPEM(self.authority.certPath.read_bytes())
        wrong = optionsForClientTLS("chat.example", trustRoot=authority)
        with self.assertRaises(REFUSED):
            await shakeHands(reactor, "localhost", port, wrong)
        right = optionsForClientTLS("localhost", trustRoot=authority)
        await shakeHands(reactor, "localhost", port, right)

    async def test_otherAuthorityRefused(self) -> None:
        """With --ca, a certificate the authority did not sign is refused."""
        port = await self.serve(self.selfSigned)
        creator = await self.trust(port, caFile=str(self.authority.certPath))
        with self.assertRaises(REFUSED):
            await shakeHands(reactor, "localhost", port, creator)


class TrustOnFirstUseTests(TLSTestCase):
    async def test_askedThenPinned(self) -> None:
        """
        A self-signed certificate: the person is shown its fingerprint and
        asked; a yes pins it, and the next time nobody is asked.
        """
        port = await self.serve(self.selfSigned)
        questions: list[str] = []

        def ask(question: str) -> bool:
            questions.append(question)
            return True

        creator = await self.trust(port, ask=ask)
        self.assertIsInstance(creator, PinnedCertificate)
        self.assertIn(self.selfSigned.fingerprint, questions[0])
        self.assertEqual(
            self.known.pinFor(f"localhost:{port}"), self.selfSigned.fingerprint
        )
        await shakeHands(reactor, "localhost", port, creator)
        again = await self.trust(port, ask=lambda question: self.fail(question))
        await shakeHands(reactor, "localhost", port, again)

    async def test_noSaysNo(self) -> None:
        """Refusing, or nobody to ask, is a failure that gives the fingerprint."""
        port = await self.serve(self.selfSigned)
        for ask in [None, lambda question: False]:
            with self.assertRaises(TrustFailure) as caught:
                await self.trust(port, ask=ask)
            self.assertIn(self.selfSigned.fingerprint, str(caught.exception))
        self.assertIsNone(self.known.pinFor(f"localhost:{port}"))

    async def test_changedCertificateRefused(self) -> None:
        """
        Under a pin, another certificate (even one for the same name) is a
        hard failure that says so and shows both fingerprints.
        """
        port = await self.serve(self.replaced)
        self.known.remember(f"localhost:{port}", self.selfSigned.fingerprint)
        with self.assertRaises(TrustFailure) as caught:
            await self.trust(port, ask=lambda question: True)
        message = str(caught.exception)
        self.assertIn("CHANGED", message)
        self.assertIn(self.selfSigned.fingerprint, message)
        self.assertIn(self.replaced.fingerprint, message)

    async def test_changeLaterIsNoticed(self) -> None:
        """A pinned creator reports a changed certificate when it meets one."""
        port = await self.serve(self.replaced)
        pinned = PinnedCertificate("localhost", self.selfSigned.fingerprint)
        with self.assertRaises(REFUSED):
            await shakeHands(reactor, "localhost", port, pinned)
        self.assertEqual(pinned.changed, self.replaced.fingerprint)

    def test_pinsFilePrivate(self) -> None:
        """The pins file is the user's alone."""
        self.known.remember("chat.lan:7633", "AB:CD")
        self.assertEqual(self.known.path.stat().st_mode & 0o777, 0o600)
        self.assertEqual(self.known.pinFor("chat.lan:7633"), "AB:CD")
        self.assertIsNone(self.known.pinFor("chat.lan:7632"))


class SilentServerTests(TLSTestCase):
    async def test_noHandshake(self) -> None:
        """
        A server that accepts and says nothing (a plain service waiting for
        its client to speak) does not keep the client deciding whom to
        trust for ever: it gives up after the timeout, saying so.
        """
        tracking = ClosingFactory(Factory.forProtocol(Protocol))
        listening = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
            tracking
        )

        async def stop() -> None:
            await listening.stopListening()
            await gatherResults(tracking.closed)

        self.addCleanup(stop)
        port = listening.getHost().port
        with self.assertRaises(TrustFailure) as caught:
            await self.trust(port, timeout=0.1)
        self.assertEqual(
            str(caught.exception),
            f"localhost:{port} did not answer a TLS handshake within 0.1 s"
            " (is it a TLS port?)",
        )


class RefusalTests(SynchronousTestCase):
    """What the client says a failed handshake refused."""

    def test_openSSL(self) -> None:
        """OpenSSL's refusal is given by its reason."""
        error = SSL.Error([("SSL routines", "", "certificate verify failed")])
        self.assertEqual(refusal(error), "certificate verify failed")

    def test_notTLS(self) -> None:
        """A peer that does not speak TLS at all is named as such."""
        error = SSL.Error([("SSL routines", "", "wrong version number")])
        self.assertEqual(
            refusal(error), "it does not speak TLS there (wrong version number)"
        )

    def test_hostName(self) -> None:
        """A certificate for another name or address names the one asked for."""
        error = VerificationError(
            errors=[IPAddressMismatch(mismatched_id=IPAddress_ID("127.0.0.1"))]
        )
        self.assertEqual(refusal(error), "its certificate is not for 127.0.0.1")

    def test_droppedIsNoRefusal(self) -> None:
        """
        A connection that failed or ended is no refusal: trying again may
        mend it.
        """
        for error in [
            SSL.SysCallError(104, "ECONNRESET"),
            SSL.ZeroReturnError(),
            ConnectionLost(),
            None,
        ]:
            self.assertIsNone(refusal(error), error)


class AuthorityFileTests(SynchronousTestCase):
    def test_missing(self) -> None:
        """A --ca file that cannot be read is named, with why."""
        error = self.assertRaises(TrustFailure, loadAuthority, "/nonexistent/ca.pem")
        self.assertEqual(
            str(error),
            "cannot read --ca /nonexistent/ca.pem: No such file or directory",
        )

    def test_notACertificate(self) -> None:
        """A --ca file that holds no certificate (a key, say) is named."""
        path = Path(self.mktemp())
        path.write_text("not a certificate\n")
        error = self.assertRaises(TrustFailure, loadAuthority, str(path))
        self.assertEqual(str(error), f"--ca {path} holds no PEM certificate")
