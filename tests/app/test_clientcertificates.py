"""
Tests for L{twisted_chat.app.clientcertificates}: TLS listeners ask for a
client certificate without requiring one.
"""

from pathlib import Path

from OpenSSL import SSL
from twisted.internet.endpoints import serverFromString
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.app.clientcertificates import (
    AskingForCertificates,
    askForClientCertificates,
)

from ..certificates import issue


class AskForClientCertificatesTests(SynchronousTestCase):
    def test_tlsAsks(self) -> None:
        """
        An ssl: endpoint's context asks for a certificate (VERIFY_PEER),
        does not require one, and is the same context every time.
        """
        directory = Path(self.mktemp())
        directory.mkdir()
        endpoint = serverFromString(Clock(), issue(directory, "server").listen())
        askForClientCertificates(endpoint)
        askForClientCertificates(endpoint)  # twice wraps once
        factory = endpoint._sslContextFactory  # type: ignore[attr-defined]
        self.assertIsInstance(factory, AskingForCertificates)
        self.assertNotIsInstance(factory._wrapped, AskingForCertificates)
        context = factory.getContext()
        mode = context.get_verify_mode()
        self.assertTrue(mode & SSL.VERIFY_PEER)
        self.assertFalse(mode & SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
        self.assertIs(factory.getContext(), context)

    def test_tcpUntouched(self) -> None:
        """A plain TCP endpoint is left as it is."""
        endpoint = serverFromString(Clock(), "tcp:0:interface=127.0.0.1")
        askForClientCertificates(endpoint)
        self.assertFalse(hasattr(endpoint, "_sslContextFactory"))
