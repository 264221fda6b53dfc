"""
TLS listeners that ask clients for a certificate, so that an IRC client can
log in with one (SASL EXTERNAL) and a member can register one (C{/cert add}).

Twisted's C{ssl:} endpoint string makes a context that never asks
(C{verify=False}), and one that verifies checks the chain against
authorities, refusing the self-signed certificates clients use for this.
L{askForClientCertificates} makes every C{ssl:} listener ask without
requiring one (C{VERIFY_PEER} without C{VERIFY_FAIL_IF_NO_PEER_CERT}) and
accept any certificate: what counts is its fingerprint, of a key the
handshake proved the client holds, never who issued it.
"""

from typing import Any

from OpenSSL import SSL
from twisted.internet.endpoints import SSL4ServerEndpoint
from twisted.internet.interfaces import IOpenSSLContextFactory, IStreamServerEndpoint
from zope.interface import implementer


def _acceptAny(*_: object) -> bool:
    """Any certificate, self-signed or expired, is presented as it is."""
    return True


@implementer(IOpenSSLContextFactory)
class AskingForCertificates:
    """
    The context of C{wrapped}, told to ask the client for a certificate.
    """

    def __init__(self, wrapped: Any) -> None:
        self._wrapped = wrapped
        self._context: SSL.Context | None = None

    def getContext(self) -> SSL.Context:
        """
        The wrapped context, told once: pyOpenSSL refuses to change a
        context once a connection has been made with it.
        """
        if self._context is None:
            context: SSL.Context = self._wrapped.getContext()
            context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_CLIENT_ONCE, _acceptAny)
            self._context = context
        return self._context


def askForClientCertificates(endpoint: IStreamServerEndpoint) -> None:
    """
    Make C{endpoint}, if it is a TLS one, ask clients for a certificate.
    """
    if isinstance(endpoint, SSL4ServerEndpoint):
        wrapped = endpoint._sslContextFactory
        if not isinstance(wrapped, AskingForCertificates):
            endpoint._sslContextFactory = AskingForCertificates(wrapped)
