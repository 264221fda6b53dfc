"""
SASL for IRC clients still registering (IRCv3 sasl 3.1): C{AUTHENTICATE
PLAIN} against the same accounts as the line protocol's C{/login}, and
C{AUTHENTICATE EXTERNAL} with a client certificate the account registered,
offered only over TLS, where a certificate can be presented at all.

The registration (L{twisted_chat.frontends.irc.registration.Registration})
is the mind either logs in with: it keeps the account for the member it
makes, and says 900 and 903.
"""

import base64
import binascii
from typing import TYPE_CHECKING, Final

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.python.failure import Failure

from twisted_chat.chat.errors import ChatError
from twisted_chat.wire.irc import (
    ERR_SASLABORTED,
    ERR_SASLALREADY,
    ERR_SASLFAIL,
    RPL_SASLMECHS,
    IRCMessage,
)

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol
    from twisted_chat.frontends.irc.registration import Registration

SASL_CHUNK: Final = 400
"""AUTHENTICATE carries base64 in pieces of this many bytes (IRCv3 SASL)."""

SASL_MAX_PIECES: Final = 4
"""Pieces one payload may take: more than any login needs."""


def mechanismsFor(client: "IRCChatProtocol") -> str:
    """
    The SASL mechanisms offered to C{client}: EXTERNAL only over TLS, since
    a client certificate is presented only there.
    """
    return "PLAIN,EXTERNAL" if client.isTLS else "PLAIN"


class SASL:
    """
    One client's SASL exchange: the mechanism it chose, and the pieces of
    the payload it has sent.
    """

    def __init__(self, client: "IRCChatProtocol", registration: "Registration"):
        self.client = client
        self.registration = registration
        self._mechanism: str | None = None
        self._pieces: list[str] = []

    def authenticate(self, params: tuple[str, ...]) -> Deferred[None] | None:
        """
        C{AUTHENTICATE PLAIN} or C{EXTERNAL}, then the base64 of the payload
        in pieces of 400 bytes (C{+} for an empty one): PLAIN's
        C{authzid NUL authcid NUL password}, EXTERNAL's authzid alone.
        """
        client = self.client
        if "sasl" not in client.capabilities or client.member is not None:
            self._fail()
            return None
        if self.registration.account is not None:
            client.numeric(ERR_SASLALREADY, "You have already authenticated using SASL")
            return None
        argument = params[0] if params else ""
        if argument == "*":
            self._mechanism = None
            client.numeric(ERR_SASLABORTED, "SASL authentication aborted")
            return None
        if self._mechanism is None:
            self._begin(argument.upper())
            return None
        if argument != "+":
            self._pieces.append(argument)
        if len(argument) == SASL_CHUNK:
            return None  # more to come
        mechanism, self._mechanism = self._mechanism, None
        pieces, self._pieces = self._pieces, []
        if sum(map(len, pieces)) > SASL_MAX_PIECES * SASL_CHUNK:
            self._fail()
            return None
        try:
            payload = base64.b64decode("".join(pieces), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            self._fail()
            return None
        if mechanism == "EXTERNAL":
            return self._checkExternal(payload)
        return self._checkPlain(payload)

    def _begin(self, mechanism: str) -> None:
        """Start C{mechanism}, if it is offered and can succeed."""
        client = self.client
        offered = mechanismsFor(client)
        if mechanism not in offered.split(","):
            client.numeric(RPL_SASLMECHS, offered, "are available SASL mechanisms")
            self._fail()
            return
        if mechanism == "EXTERNAL" and client.clientCertificate is None:
            self._fail("your connection presents no client certificate")
            return
        self._mechanism = mechanism
        client.send(IRCMessage("AUTHENTICATE", ("+",)))

    def _fail(self, why: str | None = None) -> None:
        text = "SASL authentication failed"
        self.client.numeric(ERR_SASLFAIL, f"{text}: {why}" if why else text)

    def _checkPlain(self, payload: str) -> Deferred[None] | None:
        """
        Check the nick and password C{payload} carries against the
        accounts; the lines after it wait for the Deferred returned.
        """
        client = self.client
        try:
            _, nick, password = payload.split("\0")
        except ValueError:
            self._fail()
            return None
        return self._answer(
            client.factory.accounts.login(
                nick, password, client.peerHost, self.registration
            )
        )

    def _checkExternal(self, authzid: str) -> Deferred[None] | None:
        """
        Log in to the account that registered the client's certificate (or
        to the one C{authzid} names, if it is that one).
        """
        fingerprint = self.client.clientCertificate
        if fingerprint is None:
            self._fail()
            return None
        return self._answer(
            self.client.factory.accounts.loginWithCertificate(
                fingerprint, self.registration, authzid or None
            )
        )

    def _answer(self, login: object) -> Deferred[None]:
        """
        The Deferred of C{login}, a coroutine: success was told by the mind
        (900, 903); a refusal is 904 with its reason.
        """

        def failed(failure: Failure) -> None:
            failure.trap(ChatError)
            self._fail(str(failure.value))

        checking: Deferred[object] = ensureDeferred(login)  # type: ignore[arg-type]
        return checking.addCallbacks(lambda _: None, failed)
