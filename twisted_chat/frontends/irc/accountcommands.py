"""
What an IRC client does with accounts besides logging in (that is SASL,
L{twisted_chat.frontends.irc.sasl}): registering one with C{REGISTER}
(IRCv3 C{draft/account-registration}, before or after the welcome; no
e-mail, so C{VERIFY} is never needed), and the client certificates SASL
EXTERNAL logs in with (C{CERTFP}, this server's own command).

Both go through L{twisted_chat.chat.accounts.Accounts}, as the line
protocol's C{/register} and C{/cert} do, with the same rules; this module
only translates their refusals into IRC's standard replies (C{FAIL}).
"""

from typing import TYPE_CHECKING, Final

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.words.protocols.irc import ERR_NEEDMOREPARAMS
from zope.interface import implementer

from twisted_chat.chat.accounts import ChatAccount, ILoginMind
from twisted_chat.chat.certificates import canonicalFingerprint
from twisted_chat.chat.errors import ChatError, NoCertificate, NotLoggedIn
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.frontends.irc.render import mask
from twisted_chat.limits import PASSWORD_MIN_LENGTH
from twisted_chat.wire.irc import RPL_LOGGEDIN, IRCMessage

if TYPE_CHECKING:
    from twisted_chat.frontends.irc.protocol import IRCChatProtocol

ACCOUNT_REGISTRATION: Final = "before-connect"
"""
The value of the C{draft/account-registration} capability: a client may
register before its welcome (so a server requiring login is no dead end),
and no e-mail is asked for.
"""

REGISTER_FAILURES: Final = {
    "already-registered": "ACCOUNT_EXISTS",
    "bad-nick": "BAD_ACCOUNT_NAME",
    "reserved-nick": "BAD_ACCOUNT_NAME",
    "nick-in-use": "BAD_ACCOUNT_NAME",
    "bad-password": "UNACCEPTABLE_PASSWORD",
}
"""The C{FAIL REGISTER} code of each refusal of the accounts; any other is
C{TEMPORARILY_UNAVAILABLE}."""


CERTFP_FAILURES: Final = {"not-logged-in": "ACCOUNT_REQUIRED"}
"""
The C{FAIL CERTFP} code of a refusal that IRC's standard replies name; any
other is the line protocol's error code in their style (C{NO_CERTIFICATE}).
"""


@implementer(ILoginMind)
class _Registering:
    """
    The mind a client registers with: told the account once it is bound,
    it says 900, and keeps the account for the member registration makes
    if the client has not been welcomed yet.
    """

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client

    @property
    def member(self) -> Member | None:
        return self.client.member

    def loggedIn(self, account: ChatAccount) -> None:
        client = self.client
        if client.member is None:
            client.registration.account = account.nick
        client.numeric(
            RPL_LOGGEDIN, mask(account.nick), account.nick,
            f"You are now logged in as {account.nick}",
        )  # fmt: skip


class IRCAccounts:
    """The account commands of one IRC client: REGISTER, VERIFY and CERTFP."""

    log = Logger()

    def __init__(self, client: "IRCChatProtocol") -> None:
        self.client = client

    def _fail(self, command: str, code: str, *params: str) -> None:
        """Send the standard reply C{FAIL command code params...}."""
        server = self.client.factory.serverName
        self.client.send(IRCMessage("FAIL", (command, code, *params), server))

    @property
    def _account(self) -> str | None:
        """The account the client is logged in to, if any, welcomed or not."""
        member = self.client.member
        return (
            member.account if member is not None else self.client.registration.account
        )

    # REGISTER, VERIFY

    def register(self, params: tuple[str, ...]) -> Deferred[None] | None:
        """
        C{REGISTER <account> <email> <password>}: make an account for the
        client's nick (C{*} or the nick itself names it; the e-mail is not
        kept, none being sent) and log the client in to it.  The lines
        after it wait for the Deferred returned.
        """
        client = self.client
        if len(params) < 3:
            client.numeric(ERR_NEEDMOREPARAMS, "REGISTER", "Not enough parameters")
            return None
        asked, _, password = params[:3]
        nick = client.member.nick if client.member else client.registration.nick
        if self._account is not None:
            self._fail("REGISTER", "ALREADY_AUTHENTICATED", self._account,
                       "You are logged in to an account already")  # fmt: skip
            return None
        if nick is None:
            self._fail("REGISTER", "NEED_NICK", "*", "Choose a nick with NICK first")
            return None
        if asked != "*" and fold(asked) != fold(nick):
            self._fail("REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", asked,
                       f"The account is named for your nick, {nick}")  # fmt: skip
            return None
        accounts = client.factory.accounts
        registering = ensureDeferred(
            accounts.registerNick(_Registering(client), nick, password)
        )

        def registered(_: object) -> None:
            self.client.send(
                IRCMessage(
                    "REGISTER", ("SUCCESS", nick, f"Account {nick} registered"),
                    client.factory.serverName,
                )
            )  # fmt: skip

        def refused(failure: Failure) -> None:
            if not isinstance(failure.value, ChatError):
                self.log.failure("Registering {nick} failed", failure, nick=nick)
                self._fail("REGISTER", "TEMPORARILY_UNAVAILABLE", nick,
                           "The account could not be made; try again later")  # fmt: skip
                return
            error = failure.value
            code = REGISTER_FAILURES.get(error.code, "TEMPORARILY_UNAVAILABLE")
            if error.code == "bad-password" and len(password) < PASSWORD_MIN_LENGTH:
                code = "WEAK_PASSWORD"
            self._fail("REGISTER", code, nick, error.message)

        return registering.addCallbacks(registered, refused)

    def verify(self, params: tuple[str, ...]) -> None:
        """
        C{VERIFY <account> <code>}: no registration here waits for a code,
        so there is never one to check.
        """
        if len(params) < 2:
            self.client.numeric(ERR_NEEDMOREPARAMS, "VERIFY", "Not enough parameters")
        elif self._account is not None:
            self._fail("VERIFY", "ALREADY_AUTHENTICATED", self._account,
                       "You are logged in to an account already")  # fmt: skip
        else:
            self._fail("VERIFY", "INVALID_CODE", params[0],
                       "No registration here waits for a code")  # fmt: skip

    # CERTFP

    def certfp(self, params: tuple[str, ...]) -> Deferred[None] | None:
        """
        C{CERTFP [LIST|ADD|DEL [fingerprint]]}: list the client certificates
        of the client's account, add the one this connection presents, or
        remove this connection's or the one named; as the line protocol's
        C{/cert}.  Told in server notices, refused with C{FAIL CERTFP}.
        """
        action = params[0].upper() if params else "LIST"
        named = params[1] if len(params) > 1 else None
        fingerprint = canonicalFingerprint(named) if named is not None else None
        if action not in ("LIST", "ADD", "DEL") or (named and fingerprint is None):
            self._fail("CERTFP", "INVALID_PARAMS", action,
                       "Usage: CERTFP [LIST|ADD|DEL [fingerprint]]")  # fmt: skip
            return None
        working = ensureDeferred(self._certificates(action, fingerprint))

        def refused(failure: Failure) -> None:
            failure.trap(ChatError)
            error = failure.value
            assert isinstance(error, ChatError)
            code = CERTFP_FAILURES.get(error.code, error.code.upper().replace("-", "_"))
            self._fail("CERTFP", code, action, error.message)

        return working.addErrback(refused)

    async def _certificates(self, action: str, fingerprint: str | None) -> None:
        client = self.client
        account = self._account
        if account is None:
            raise NotLoggedIn("Log in first (SASL, or REGISTER).")
        accounts = client.factory.accounts
        if action == "ADD":
            await accounts.addCertificate(account, client.clientCertificate)
            client.tell(f"Certificate {client.clientCertificate} added.")
        elif action == "DEL":
            removed = fingerprint or client.clientCertificate
            if removed is None:
                raise NoCertificate("Name the certificate: CERTFP DEL fingerprint.")
            await accounts.removeCertificate(account, removed)
            client.tell(f"Certificate {removed} removed.")
        else:
            listed = await accounts.certificates(account)
            for registered in listed:
                client.tell(f"Certificate {registered}")
            client.tell(f"{len(listed)} certificates registered.")
