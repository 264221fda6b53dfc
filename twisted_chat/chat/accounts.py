"""
Accounts: registered nicks and their passwords, and the one way of logging
in to them, through C{twisted.cred}.

A L{StoreChecker} (the cred checker) verifies a nick and password against the
store's argon2id hash.  The L{ChatRealm} turns the checked nick into an
L{IChatAccount} avatar and binds it to whoever logs in: as in
C{twisted.words}, the connection logging in is cred's I{mind}
(L{ILoginMind}), and the realm makes its member the account's holder and
then tells the mind.  A front end whose member does not exist yet (IRC's
SASL, answered before registration ends) is told the account and binds the
member it then makes with L{Accounts.bind}: the same step, later.
L{Accounts} puts the checker and the realm behind a C{Portal} with the
password rules and a L{twisted_chat.chat.loginthrottle.LoginThrottle}, which
counts each login from its start, so that parallel guesses cannot slip past
it, and never lets others' failures lock an owner out.  Hashing runs in a
small thread pool of its own (L{PasswordHasher}) so the reactor never waits on it, and an
unknown nick is checked against a stand-in hash so that it takes as long to
refuse as a wrong password.  A second checker,
L{twisted_chat.chat.certificates.CertificateChecker}, logs in with a client
certificate an account registered (IRC's SASL EXTERNAL), through the same
realm.

Passwords are never logged, stored or echoed: only their hashes are kept.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword, UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm, Portal
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool
from zope.interface import Attribute, Interface, implementer

from twisted_chat.chat.certificates import CertificateChecker, CertificateFingerprint
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import (
    AccountSuspended,
    AlreadyRegistered,
    BadPassword,
    CertificateInUse,
    InvalidNick,
    LoginFailed,
    LoginThrottled,
    NickInUse,
    NoCertificate,
    StoreFailed,
    TooManyCertificates,
)
from twisted_chat.chat.loginthrottle import LoginThrottle
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import GUEST_PREFIX, checkNick, fold
from twisted_chat.limits import (
    CERTIFICATES_PER_ACCOUNT_MAX,
    NICK_MAX_LENGTH,
    PASSWORD_HASH_THREADS,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
)
from twisted_chat.meters import METERS
from twisted_chat.store import AccountRecord, IChatStore, StoreError

T = TypeVar("T")
Runner = Callable[..., Deferred[Any]]

GUEST_NICK = re.compile(rf"{GUEST_PREFIX}[0-9]+", re.ASCII | re.IGNORECASE)
"""The nicks given to guests, which nobody may register."""


class IChatAccount(Interface):
    """The avatar of a logged-in person: the account's nick."""

    nick = Attribute("The registered nick, as it was registered.")


@implementer(IChatAccount)
@dataclass(frozen=True)
class ChatAccount:
    nick: str


class ILoginMind(Interface):
    """
    The connection logging in (cred's mind): the realm binds its member,
    if it has one yet, to the account, then tells it.
    """

    member = Attribute(
        "The L{Member} logging in, or L{None} while the connection has none"
        " (an IRC client still registering)."
    )

    def loggedIn(account: ChatAccount) -> None:
        """
        The login succeeded and the member, if any, now holds C{account}:
        tell the person in the front end's own words (the core has told a
        bound member with L{twisted_chat.chat.events.AccountInfo}).
        """


def checkPassword(password: str) -> str:
    """
    Return C{password} if it may be used, or raise L{BadPassword}.
    """
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH or any(
        char.isspace() for char in password
    ):
        raise BadPassword(
            f"A password is {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH}"
            " characters, without spaces."
        )
    return password


class PasswordHasher:
    """
    argon2id hashing and checking, off the reactor thread.

    @param runner: runs a function in the hashing threads and returns a
        Deferred of its result; by default a dedicated thread pool.
    """

    def __init__(
        self,
        reactor: Any,
        hasher: Argon2Hasher | None = None,
        runner: Runner | None = None,
        threads: int = PASSWORD_HASH_THREADS,
    ) -> None:
        self._hasher = hasher or Argon2Hasher()
        self._reactor = reactor
        self._pool: ThreadPool | None = None
        if runner is None:
            self._pool = ThreadPool(0, threads, name="twisted_chat-passwords")
            runner = self._runInPool
        self._run = runner
        self._standIn: str | None = None

    def start(self) -> None:
        """Start the hashing threads (the chat service does, as it starts)."""
        if self._pool is not None and not self._pool.started:
            self._pool.start()

    def stop(self) -> None:
        """Stop the hashing threads, so the process can exit."""
        if self._pool is not None and self._pool.started and not self._pool.joined:
            self._pool.stop()

    def _runInPool(self, function: Callable[..., T], *args: object) -> Deferred[T]:
        assert self._pool is not None
        if not self._pool.started:
            raise RuntimeError("the password hasher is not started")
        return deferToThreadPool(self._reactor, self._pool, function, *args)

    def hash(self, password: str) -> Deferred[str]:
        return self._run(self._hasher.hash, password)

    def verify(self, passwordHash: str, password: str) -> Deferred[bool]:
        return self._run(self._verify, passwordHash, password)

    def _verify(self, passwordHash: str, password: str) -> bool:
        try:
            return self._hasher.verify(passwordHash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needsRehash(self, passwordHash: str) -> bool:
        return self._hasher.check_needs_rehash(passwordHash)

    async def standIn(self) -> str:
        """
        A hash to check unknown nicks against, made with today's parameters.
        """
        if self._standIn is None:
            self._standIn = await self.hash("not anybody's password")
        return self._standIn


@implementer(ICredentialsChecker)
class StoreChecker:
    """
    Checks a nick and password against the account in the store; upgrades
    the stored hash when the hashing parameters have moved on.
    """

    credentialInterfaces = (IUsernamePassword,)

    def __init__(self, store: IChatStore, hasher: PasswordHasher) -> None:
        self._store = store
        self._hasher = hasher

    def requestAvatarId(self, credentials: Any) -> Deferred[bytes | tuple[()]]:
        """
        Return the account's nick, as registered, in UTF-8.
        """
        return ensureDeferred(self._check(credentials))

    async def _check(self, credentials: Any) -> bytes | tuple[()]:
        nick = credentials.username.decode("utf-8")
        password = credentials.password.decode("utf-8")
        record = await self._store.account(fold(nick))
        passwordHash = record.passwordHash if record else await self._hasher.standIn()
        matches = await self._hasher.verify(passwordHash, password)
        if record is None or not matches:
            raise UnauthorizedLogin()
        if record.suspended:
            # Said only to whoever knows the password: it is no secret then.
            raise AccountSuspended(
                f"The account {record.nick} is suspended; ask a server operator."
            )
        if self._hasher.needsRehash(record.passwordHash):
            newHash = await self._hasher.hash(password)
            await self._store.setPasswordHash(fold(nick), newHash)
        return record.nick.encode("utf-8")


Avatar = tuple[type[Interface], object, Callable[[], None]]


@implementer(IRealm)
class ChatRealm:
    """
    Gives a checked nick its avatar and binds it to the mind that logged in.

    The logout callable does nothing: a member holds its account until it
    quits or another session of the account replaces it, and the core ends
    both.
    """

    def __init__(self, chat: Chat) -> None:
        self._chat = chat

    def requestAvatar(
        self, avatarId: Any, mind: object, *interfaces: Any
    ) -> Deferred[Avatar]:
        """
        Bind the avatar to C{mind}'s member; a mind of L{None} only checks
        (changing a password checks the old one without logging in again).
        """
        if IChatAccount not in interfaces:
            raise NotImplementedError("twisted_chat only gives IChatAccount avatars")
        account = ChatAccount(avatarId.decode("utf-8"))
        if mind is None:
            return Deferred.fromCoroutine(self._checked(account))
        return Deferred.fromCoroutine(self.bind(ILoginMind(mind), account))

    async def _checked(self, account: ChatAccount) -> Avatar:
        return IChatAccount, account, _stayLoggedIn

    async def bind(self, mind: ILoginMind, account: ChatAccount) -> Avatar:
        """
        Make C{mind}'s member, if it has one, the holder of C{account} (it
        takes the nick and the private messages that waited for it), then
        tell the mind.  A member that left while its password was checked
        is no one's to bind or tell.
        """
        member: Member | None = mind.member
        if member is not None:
            if not member.present:
                return IChatAccount, account, _stayLoggedIn
            await self._chat.bindAccount(member, account.nick)
        mind.loggedIn(account)
        return IChatAccount, account, _stayLoggedIn


def _stayLoggedIn() -> None:
    """Logging out is quitting, which the core carries out."""


class Accounts:
    """
    Registering, logging in and changing passwords, for every front end.
    """

    def __init__(self, chat: Chat, hasher: PasswordHasher, clock: IReactorTime):
        self._store: IChatStore = chat.store
        self._hasher = hasher
        self._clock = clock
        self._chat = chat
        self._realm = ChatRealm(chat)
        self.portal = Portal(
            self._realm,
            [StoreChecker(self._store, hasher), CertificateChecker(self._store)],
        )
        self.throttle = LoginThrottle(clock)
        self._registering: set[str] = set()

    def start(self) -> Deferred[str]:
        """
        Start hashing, and make the stand-in hash now, so that even the first
        login with an unknown nick takes no longer to refuse than a wrong
        password.
        """
        self._hasher.start()
        return ensureDeferred(self._hasher.standIn())

    def stop(self) -> None:
        self._hasher.stop()

    async def register(self, nick: str, password: str) -> None:
        """
        Make an account for C{nick} (which the caller has checked is free).
        """
        passwordHash = await self._hasher.hash(checkPassword(password))
        created = int(self._clock.seconds() * 1000)
        await self._store.createAccount(AccountRecord(nick, passwordHash, created))

    async def registerNick(self, mind: ILoginMind, nick: str, password: str) -> None:
        """
        Make an account for C{nick}, as whoever holds it or will asks (a
        member for its own nick, an IRC client still registering for the
        nick it asked for), and bind it to C{mind} as L{bind} does: every
        front end registers through here, with the same rules.

        @raise InvalidNick: for a guest nick, or one that breaks the rules.
        @raise AlreadyRegistered: if the nick has an account, or is being
            registered by someone else this very moment.
        @raise NickInUse: if someone else holds the nick now.
        @raise BadPassword: if the password breaks the rules.
        @raise StoreFailed: if the account could not be stored.
        """
        checkNick(nick)
        if GUEST_NICK.fullmatch(nick):
            raise InvalidNick("Guest nicks cannot be registered; choose a nick first.")
        folded = fold(nick)
        if self._chat.isRegistered(nick) or folded in self._registering:
            raise AlreadyRegistered(f"The nick {nick} is registered already.")
        holder = self._chat.memberIfPresent(nick)
        if holder is not None and holder is not mind.member:
            raise NickInUse(f"Someone else is using the nick {nick}.")
        # Hashing takes a while: nobody else may register the nick meanwhile.
        self._registering.add(folded)
        try:
            await self.register(nick, password)
        except StoreError:
            raise StoreFailed("The account could not be stored; try again.") from None
        finally:
            self._registering.discard(folded)
        self._chat.registered(nick)
        member = mind.member
        if member is None or fold(member.nick) == folded:
            # A member that took another nick meanwhile logs in with /login.
            await self._realm.bind(mind, ChatAccount(nick))

    async def bind(self, mind: ILoginMind, account: ChatAccount) -> None:
        """
        Bind C{mind}'s member to C{account} without a password: one that
        has just registered it, or one made after the account was checked
        for it (an IRC client's, after SASL); as L{login} binds.
        """
        await self._realm.bind(mind, account)

    async def login(
        self, nick: str, password: str, address: str, mind: ILoginMind | None = None
    ) -> ChatAccount:
        """
        Check C{nick}'s password, as the L{LoginThrottle} allows, and bind
        the account to C{mind} (see L{ChatRealm}).

        @param address: where the attempt comes from, for the throttle.
        @param mind: who logs in; L{None} only checks the password.
        @raise LoginThrottled: when the throttle refuses, without checking.
        @raise LoginFailed: for a wrong nick or password, alike.
        """
        credentials = UsernamePassword(nick.encode("utf-8"), password.encode("utf-8"))
        # No registered nick is longer than NICK_MAX_LENGTH: cutting longer
        # ones there (and one more, so that they stay apart from real ones)
        # keeps a long made-up nick from costing the throttle memory.
        account = fold(nick)[: NICK_MAX_LENGTH + 1]
        try:
            attempt = await self.throttle.admit(account, address)
        except LoginThrottled:
            METERS.logins["throttled"] += 1
            raise
        try:
            _, avatar, _ = await self.portal.login(credentials, mind, IChatAccount)
        except UnauthorizedLogin:
            self.throttle.failed(attempt)
            METERS.logins["failed"] += 1
            raise LoginFailed("Wrong nick or password.") from None
        except BaseException:
            # The check could not be made, or it found the password right:
            # either way no wrong guess was answered.
            self.throttle.release(attempt)
            raise
        self.throttle.release(attempt)
        METERS.logins["succeeded"] += 1
        assert isinstance(avatar, ChatAccount)
        return avatar

    async def changePassword(self, nick: str, old: str, new: str, address: str) -> None:
        """
        Replace the password of C{nick}'s account, if C{old} is right.
        """
        checkPassword(new)
        await self.login(nick, old, address)
        await self._store.setPasswordHash(fold(nick), await self._hasher.hash(new))

    async def loginWithCertificate(
        self, fingerprint: str, mind: ILoginMind, account: str | None = None
    ) -> ChatAccount:
        """
        Log C{mind} in to the account that registered the client
        certificate C{fingerprint} (see L{ChatRealm}).  No throttle: a
        certificate cannot be guessed, its key being proved by TLS.

        @param account: the account the client asked for (SASL's
            authorisation id), if any: another is refused.
        @raise LoginFailed: if no account registered it, or another did.
        """
        credentials = CertificateFingerprint(fingerprint)
        try:
            _, avatar, _ = await self.portal.login(credentials, None, IChatAccount)
        except UnauthorizedLogin:
            raise LoginFailed("No account registered that certificate.") from None
        assert isinstance(avatar, ChatAccount)
        if account and fold(account) != fold(avatar.nick):
            raise LoginFailed(f"That certificate is not {account}'s.")
        await self._realm.bind(mind, avatar)
        return avatar

    async def certificates(self, nick: str) -> list[str]:
        """The fingerprints C{nick}'s account registered, oldest first."""
        return await self._store.certificates(fold(nick))

    async def addCertificate(self, nick: str, fingerprint: str | None) -> None:
        """
        Register the client certificate C{fingerprint} (the one the member's
        connection presents: holding its key is the proof) for C{nick}'s
        account, so that SASL EXTERNAL logs in to it.

        @raise NoCertificate: if the connection presents none.
        @raise CertificateInUse: if an account registered it already.
        @raise TooManyCertificates: past L{CERTIFICATES_PER_ACCOUNT_MAX}.
        """
        if fingerprint is None:
            raise NoCertificate(
                "Your connection presents no client certificate: connect over"
                " TLS with one."
            )
        if await self._store.accountOfCertificate(fingerprint) is not None:
            raise CertificateInUse("That certificate is registered already.")
        if len(await self.certificates(nick)) >= CERTIFICATES_PER_ACCOUNT_MAX:
            raise TooManyCertificates(
                f"An account registers {CERTIFICATES_PER_ACCOUNT_MAX} certificates"
                " at most; remove one first."
            )
        await self._store.addCertificate(fold(nick), fingerprint)

    async def removeCertificate(self, nick: str, fingerprint: str) -> None:
        """
        Forget one of the certificates C{nick}'s account registered.

        @raise NoCertificate: if it registered none by that fingerprint.
        """
        if fingerprint not in await self.certificates(nick):
            raise NoCertificate("You registered no certificate with that fingerprint.")
        await self._store.removeCertificate(fold(nick), fingerprint)
