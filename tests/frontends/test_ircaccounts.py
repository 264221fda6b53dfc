"""
Tests for the IRC account commands over StringTransport: REGISTER and
VERIFY (draft/account-registration), SASL EXTERNAL with a client
certificate on a (fake) TLS connection, and CERTFP.
"""

import base64
from pathlib import Path

from OpenSSL.crypto import X509
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import ISSLTransport
from twisted.internet.task import Clock
from zope.interface import implementer

from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.irc.protocol import IRCChatProtocol
from twisted_chat.frontends.stream import clientCertificateOf
from twisted_chat.wire.irc import IRCMessage

from ..certificates import issue
from ..clients import IRCClient, IRCTestCase, TCPStringTransport

PASSWORD = "correct-horse"


@implementer(ISSLTransport)
class TLSStringTransport(TCPStringTransport):
    """A transport that says it is TLS, with the client's certificate, if any."""

    def __init__(self, certificate: X509 | None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.certificate = certificate

    def getPeerCertificate(self) -> X509 | None:
        return self.certificate


class TLSClient(IRCClient):
    """An IRC connection over a fake TLS transport."""

    def __init__(
        self, factory: IRCChatFactory, clock: Clock, certificate: X509 | None
    ) -> None:
        self.clock = clock
        peer = IPv4Address("TCP", "192.0.2.9", 5000)
        self.transport = TLSStringTransport(certificate, peerAddress=peer)
        protocol = factory.buildProtocol(peer)
        assert isinstance(protocol, IRCChatProtocol)
        self.protocol = protocol
        protocol.makeConnection(self.transport)


def fails(messages: list[IRCMessage]) -> list[tuple[str, ...]]:
    return [m.params[:2] for m in messages if m.command == "FAIL"]


class RegisterTests(IRCTestCase):
    def test_capability(self) -> None:
        """CAP LS 302 offers account registration before connecting, PLAIN only in clear."""
        client = IRCClient(self.factory, self.clock)
        client.send("CAP LS 302")
        (ls,) = client.messages()
        offered = ls.params[-1].split()
        self.assertIn("draft/account-registration=before-connect", offered)
        self.assertIn("sasl=PLAIN", offered)

    def test_beforeConnect(self) -> None:
        """
        REGISTER before the welcome makes the account, logs in (900, then
        REGISTER SUCCESS), and the member made holds it.
        """
        client = IRCClient(self.factory, self.clock)
        client.send("CAP LS 302", "NICK alice", f"REGISTER * * {PASSWORD}")
        messages = client.messages()
        self.assertEqual([m.command for m in messages[1:]], ["900", "REGISTER"])
        self.assertEqual(messages[-1].params[:2], ("SUCCESS", "alice"))
        client.send("USER a 0 * :A", "CAP END")
        self.assertEqual(client.commands()[0], "001")
        self.assertEqual(self.chat.memberNamed("alice").account, "alice")
        self.assertTrue(self.chat.isRegistered("alice"))

    def test_afterWelcome(self) -> None:
        """REGISTER with the nick as account name, once welcomed, logs in too."""
        client = self.register("bob")
        client.send(f"REGISTER bob bob@example.com {PASSWORD}")
        commands = client.commands()
        self.assertIn("900", commands)
        self.assertEqual(commands[-1], "REGISTER")
        self.assertEqual(self.chat.memberNamed("bob").account, "bob")

    def test_failures(self) -> None:
        """Each refusal is its FAIL REGISTER code, the account unmade."""
        self.register("taken")
        owner = self.register("owner")
        owner.send(f"REGISTER * * {PASSWORD}")
        owner.messages()
        client = IRCClient(self.factory, self.clock)
        client.send(f"REGISTER * * {PASSWORD}")
        client.send("NICK guest7", f"REGISTER * * {PASSWORD}")
        client.send("NICK taken", f"REGISTER * * {PASSWORD}")
        client.send("NICK Owner", f"REGISTER * * {PASSWORD}")
        client.send("NICK carol", f"REGISTER dave * {PASSWORD}")
        client.send("REGISTER * * short", "REGISTER * * :has space in it")
        client.send("REGISTER * *")
        self.assertEqual(
            fails(client.messages()),
            [
                ("REGISTER", "NEED_NICK"),
                ("REGISTER", "BAD_ACCOUNT_NAME"),
                ("REGISTER", "BAD_ACCOUNT_NAME"),
                ("REGISTER", "ACCOUNT_EXISTS"),
                ("REGISTER", "ACCOUNT_NAME_MUST_BE_NICK"),
                ("REGISTER", "WEAK_PASSWORD"),
                ("REGISTER", "UNACCEPTABLE_PASSWORD"),
            ],
        )
        self.assertFalse(self.chat.isRegistered("carol"))
        owner.send(f"REGISTER * * {PASSWORD}")
        self.assertEqual(
            fails(owner.messages()), [("REGISTER", "ALREADY_AUTHENTICATED")]
        )

    def test_storeFailure(self) -> None:
        """An account the store cannot keep is TEMPORARILY_UNAVAILABLE."""
        from twisted.internet.defer import fail

        from twisted_chat.store import StoreError

        self.patch(
            self.chat.store, "createAccount", lambda _: fail(StoreError("disk full"))
        )
        client = self.register("erin")
        client.send(f"REGISTER * * {PASSWORD}")
        self.assertEqual(
            fails(client.messages()), [("REGISTER", "TEMPORARILY_UNAVAILABLE")]
        )
        self.assertFalse(self.chat.isRegistered("erin"))

    def test_verify(self) -> None:
        """VERIFY has never a code to check."""
        client = self.register("frank")
        client.send("VERIFY frank 1234")
        self.assertEqual(fails(client.messages()), [("VERIFY", "INVALID_CODE")])
        client.send(f"REGISTER * * {PASSWORD}", "VERIFY frank 1234")
        self.assertEqual(
            fails(client.messages()), [("VERIFY", "ALREADY_AUTHENTICATED")]
        )


class ExternalTests(IRCTestCase):
    def setUp(self) -> None:
        super().setUp()
        directory = Path(self.mktemp())
        directory.mkdir()
        self.certificate = X509.from_cryptography(
            issue(directory, "client").certificate
        )
        self.other = X509.from_cryptography(issue(directory, "other").certificate)
        self.fingerprint = clientCertificateOf(TLSStringTransport(self.certificate))
        assert self.fingerprint is not None

    def withCertificate(self, nick: str = "alice") -> TLSClient:
        """A TLS client that registered its certificate for the account C{nick}."""
        client = TLSClient(self.factory, self.clock, self.certificate)
        client.send(f"NICK {nick}", "USER a 0 * :A", f"REGISTER * * {PASSWORD}")
        client.send("CERTFP ADD")
        client.messages()
        client.send("QUIT")
        return client

    def authenticate(self, client: IRCClient, nick: str = "me") -> list[IRCMessage]:
        client.send("CAP LS 302", "CAP REQ :sasl", f"NICK {nick}", "USER a 0 * :A")
        client.messages()
        client.send("AUTHENTICATE EXTERNAL")
        return client.messages()

    def test_fingerprint(self) -> None:
        """The fingerprint is the SHA-256 of the DER form, in lower-case hex."""
        expected = self.certificate.digest("sha256").decode().replace(":", "").lower()
        self.assertEqual(self.fingerprint, expected)
        self.assertIsNone(clientCertificateOf(TCPStringTransport()))
        self.assertIsNone(clientCertificateOf(TLSStringTransport(None)))

    def test_offeredOverTLS(self) -> None:
        """Over TLS, CAP LS offers sasl=PLAIN,EXTERNAL."""
        client = TLSClient(self.factory, self.clock, None)
        client.send("CAP LS 302")
        self.assertIn("sasl=PLAIN,EXTERNAL", client.messages()[0].params[-1].split())

    def test_login(self) -> None:
        """A registered certificate logs in to its account: 900, 903, the welcome."""
        self.withCertificate()
        client = TLSClient(self.factory, self.clock, self.certificate)
        self.assertEqual(
            self.authenticate(client), [IRCMessage("AUTHENTICATE", ("+",))]
        )
        client.send("AUTHENTICATE +", "CAP END")
        self.assertEqual(client.commands()[:3], ["900", "903", "001"])
        self.assertEqual(self.chat.memberNamed("alice").account, "alice")

    def test_authzid(self) -> None:
        """An authorisation id of another account is refused; its own passes."""
        self.withCertificate()
        client = TLSClient(self.factory, self.clock, self.certificate)
        self.authenticate(client)
        client.send("AUTHENTICATE " + base64.b64encode(b"bob").decode())
        self.assertEqual(client.commands(), ["904"])
        client.send("AUTHENTICATE EXTERNAL")
        client.messages()
        client.send("AUTHENTICATE " + base64.b64encode(b"Alice").decode())
        self.assertEqual(client.commands(), ["900", "903"])

    def test_refused(self) -> None:
        """
        In clear, EXTERNAL is not offered (908, 904); over TLS, no
        certificate or an unregistered one is 904.
        """
        self.withCertificate()
        plain = IRCClient(self.factory, self.clock)
        self.assertEqual([m.command for m in self.authenticate(plain)], ["908", "904"])
        bare = TLSClient(self.factory, self.clock, None)
        self.assertEqual([m.command for m in self.authenticate(bare)], ["904"])
        stranger = TLSClient(self.factory, self.clock, self.other)
        self.authenticate(stranger)
        stranger.send("AUTHENTICATE +")
        self.assertEqual(stranger.commands(), ["904"])

    def test_certfp(self) -> None:
        """CERTFP lists, refuses a second registration, and removes."""
        client = TLSClient(self.factory, self.clock, self.certificate)
        client.send("NICK alice", "USER a 0 * :A")
        client.messages()
        client.send("CERTFP ADD")
        self.assertEqual(fails(client.messages()), [("CERTFP", "ACCOUNT_REQUIRED")])
        client.send(f"REGISTER * * {PASSWORD}", "CERTFP ADD", "CERTFP")
        notices = [m.params[-1] for m in client.messages() if m.command == "NOTICE"]
        self.assertEqual(
            notices[-3:],
            [
                f"Certificate {self.fingerprint} added.",
                f"Certificate {self.fingerprint}",
                "1 certificates registered.",
            ],
        )
        client.send("CERTFP ADD", "CERTFP DEL nothex", "CERTFP FROB")
        self.assertEqual(
            fails(client.messages()),
            [
                ("CERTFP", "CERTIFICATE_IN_USE"),
                ("CERTFP", "INVALID_PARAMS"),
                ("CERTFP", "INVALID_PARAMS"),
            ],
        )
        client.send(f"CERTFP DEL {self.fingerprint.upper()}", "CERTFP DEL")
        messages = client.messages()
        self.assertEqual(
            messages[0].params[-1], f"Certificate {self.fingerprint} removed."
        )
        self.assertEqual(fails(messages), [("CERTFP", "NO_CERTIFICATE")])
