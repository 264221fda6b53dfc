"""
Accounts: registered nicks and their passwords, checked with C{twisted.cred}.

A L{StoreChecker} (the cred checker) verifies a nick and password against the
store's argon2id hash; a L{ChatRealm} turns the checked nick into an
L{IChatAccount} avatar; L{Accounts} puts them behind a C{Portal} with the
password rules and a L{twisted_chat.chat.loginthrottle.LoginThrottle}, which
counts each login from its start, so that parallel guesses cannot slip past
it, and never lets others' failures lock an owner out.  Hashing runs in a
small thread pool of its own (L{PasswordHasher}) so the reactor never waits on it, and an
unknown nick is checked against a stand-in hash so that it takes as long to
refuse as a wrong password.

Passwords are never logged, stored or echoed: only their hashes are kept.
"""

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

from twisted_chat.chat.errors import BadPassword, LoginFailed
from twisted_chat.chat.loginthrottle import LoginThrottle
from twisted_chat.chat.names import fold
from twisted_chat.limits import (
    NICK_MAX_LENGTH,
    PASSWORD_HASH_THREADS,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
)
from twisted_chat.store import AccountRecord, IChatStore

T = TypeVar("T")
Runner = Callable[..., Deferred[Any]]


class IChatAccount(Interface):
    """The avatar of a logged-in person: the account's nick."""

    nick = Attribute("The registered nick, as it was registered.")


@implementer(IChatAccount)
@dataclass(frozen=True)
class ChatAccount:
    nick: str


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
        if self._hasher.needsRehash(record.passwordHash):
            newHash = await self._hasher.hash(password)
            await self._store.setPasswordHash(fold(nick), newHash)
        return record.nick.encode("utf-8")


@implementer(IRealm)
class ChatRealm:
    """Gives a checked nick its avatar."""

    def requestAvatar(
        self, avatarId: Any, mind: object, *interfaces: Any
    ) -> tuple[Any, ChatAccount, Callable[[], None]]:
        if IChatAccount not in interfaces:
            raise NotImplementedError("twisted_chat only gives IChatAccount avatars")
        return IChatAccount, ChatAccount(avatarId.decode("utf-8")), lambda: None


class Accounts:
    """
    Registering, logging in and changing passwords, for the interpreter.
    """

    def __init__(self, store: IChatStore, hasher: PasswordHasher, clock: IReactorTime):
        self._store = store
        self._hasher = hasher
        self._clock = clock
        self.portal = Portal(ChatRealm(), [StoreChecker(store, hasher)])
        self.throttle = LoginThrottle(clock)

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

    async def login(self, nick: str, password: str, address: str) -> ChatAccount:
        """
        Check C{nick}'s password, as the L{LoginThrottle} allows.

        @param address: where the attempt comes from, for the throttle.
        @raise LoginThrottled: when the throttle refuses, without checking.
        @raise LoginFailed: for a wrong nick or password, alike.
        """
        credentials = UsernamePassword(nick.encode("utf-8"), password.encode("utf-8"))
        # No registered nick is longer than NICK_MAX_LENGTH: cutting longer
        # ones there (and one more, so that they stay apart from real ones)
        # keeps a long made-up nick from costing the throttle memory.
        account = fold(nick)[: NICK_MAX_LENGTH + 1]
        attempt = await self.throttle.admit(account, address)
        try:
            _, avatar, _ = await self.portal.login(credentials, None, IChatAccount)
        except UnauthorizedLogin:
            self.throttle.failed(attempt)
            raise LoginFailed("Wrong nick or password.") from None
        except BaseException:
            # The check could not be made, or it found the password right:
            # either way no wrong guess was answered.
            self.throttle.release(attempt)
            raise
        self.throttle.release(attempt)
        assert isinstance(avatar, ChatAccount)
        return avatar

    async def changePassword(self, nick: str, old: str, new: str, address: str) -> None:
        """
        Replace the password of C{nick}'s account, if C{old} is right.
        """
        checkPassword(new)
        await self.login(nick, old, address)
        await self._store.setPasswordHash(fold(nick), await self._hasher.hash(new))
