"""
Logging in with a client certificate (IRC's SASL EXTERNAL): the credentials
a TLS connection presents, and the C{twisted.cred} checker that finds the
account which registered them.

A certificate is named by its fingerprint, the SHA-256 of its DER form in
lower-case hex (as ergo and other servers show it): the account that
registered it is whoever holds the certificate's private key, which the TLS
handshake has proved.  No chain is checked, so a self-signed certificate
serves as well as any; the fingerprint is what is trusted.
"""

import re
from dataclasses import dataclass
from typing import Any, Final

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import ICredentials
from twisted.cred.error import UnauthorizedLogin
from twisted.internet.defer import Deferred, ensureDeferred
from zope.interface import Attribute, implementer

from twisted_chat.chat.errors import AccountSuspended
from twisted_chat.store import IChatStore

_FINGERPRINT: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)


def canonicalFingerprint(given: str) -> str | None:
    """
    The fingerprint C{given} names, in lower-case hex, colons left out (as
    OpenSSL writes it, C{AB:CD:...}, or as it is kept), or L{None} if it is
    no SHA-256 fingerprint.
    """
    folded = given.replace(":", "").lower()
    return folded if _FINGERPRINT.fullmatch(folded) else None


class ICertificateFingerprint(ICredentials):
    """
    Credentials: the fingerprint of the client certificate a TLS connection
    presented, its key proved by the handshake.
    """

    fingerprint = Attribute("The certificate's SHA-256, in lower-case hex.")


@implementer(ICertificateFingerprint)
@dataclass(frozen=True)
class CertificateFingerprint:
    fingerprint: str


@implementer(ICredentialsChecker)
class CertificateChecker:
    """
    Finds the account that registered a certificate's fingerprint, beside
    L{twisted_chat.chat.accounts.StoreChecker} in the accounts' C{Portal}.
    """

    credentialInterfaces = (ICertificateFingerprint,)

    def __init__(self, store: IChatStore) -> None:
        self._store = store

    def requestAvatarId(self, credentials: Any) -> Deferred[bytes | tuple[()]]:
        """Return the account's nick, as registered, in UTF-8."""
        return ensureDeferred(self._check(ICertificateFingerprint(credentials)))

    async def _check(self, credentials: ICertificateFingerprint) -> bytes | tuple[()]:
        record = await self._store.accountOfCertificate(credentials.fingerprint)
        if record is None:
            raise UnauthorizedLogin()
        if record.suspended:
            raise AccountSuspended(
                f"The account {record.nick} is suspended; ask a server operator."
            )
        return record.nick.encode("utf-8")
