"""
Accounts: registered nicks and their passwords, checked with C{twisted.cred}.

A L{StoreChecker} (the cred checker) verifies a nick and password against the
store's argon2id hash; a L{ChatRealm} turns the checked nick into an
L{IChatAccount} avatar; L{Accounts} puts them behind a C{Portal} with the
password rules and a L{LoginThrottle}, which counts each login from its start
so that parallel guesses cannot slip past it, and throttles per account and
address and per address so that others' failures never lock an owner out.  Hashing runs in a small thread pool
of its own (L{PasswordHasher}) so the reactor never waits on it, and an
unknown nick is checked against a stand-in hash so that it takes as long to
refuse as a wrong password.

Passwords are never logged, stored or echoed: only their hashes are kept.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from math import ceil
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
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool
from zope.interface import Attribute, Interface, implementer

from .errors import BadPassword, LoginFailed, LoginThrottled
from .limits import (
    LOGIN_FAILURE_WINDOW,
    LOGIN_FAILURES_PER_ACCOUNT_ADDRESS,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_PAUSE_FIRST,
    LOGIN_PAUSE_MAX,
    LOGIN_THROTTLE_ATTEMPTS,
    NICK_MAX_LENGTH,
    PASSWORD_HASH_THREADS,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
)
from .names import fold
from .store import AccountRecord, IChatStore

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


@dataclass(eq=False, slots=True)
class LoginAttempt:
    """
    One login, from the moment it starts: the place it holds against the
    throttle's limits while its password is checked, kept if it fails.

    @ivar failedAt: when its password was found wrong; C{None} until then.
    @ivar counted: whether it still counts against the limits: not once a
        right password has given its place back or it has aged out.
    @ivar settled: whether its check is over, so the next attempt for the
        same account from the same address may go ahead.
    """

    account: str
    address: str
    started: float
    failedAt: float | None = None
    counted: bool = True
    settled: bool = False
    waiters: list[Deferred[None]] = field(default_factory=list)


class LoginThrottle:
    """
    Decides whether a login may be checked, so that passwords cannot be
    guessed quickly and an account's owner cannot be locked out by others.

    The policy, and why:

      - An attempt counts from the moment it starts, not when its (slow)
        check ends: attempts sent together are counted one after the other,
        so however many arrive at once, no more are checked than the limits
        allow.  A right password gives its place back; a wrong one keeps it.
      - Per account I{and} address: L{LOGIN_FAILURES_PER_ACCOUNT_ADDRESS}
        attempts in any L{LOGIN_FAILURE_WINDOW}, and one check at a time
        (later ones wait their turn).  This is what stops one address
        guessing one account, and it only ever refuses the address that
        failed, never the owner elsewhere.
      - Per address, whatever the account: L{LOGIN_FAILURES_PER_ADDRESS} in
        the window, against one address trying many nicks.
      - Per account, across addresses: never a refusal of an address that
        has not failed on it, since anyone can make an account fail.  Once
        the account has more failures in the window than one address may
        make, an address that has itself failed on it must wait after each
        of its failures, from L{LOGIN_PAUSE_FIRST} doubling with every
        further failure on the account up to L{LOGIN_PAUSE_MAX}: guessing
        from many addresses slows to about one guess per address per window,
        while the owner, from an address that has not failed, gets in.
      - A success forgives nothing but its own place: were it to clear
        failures, anyone's success (the owner's, or an attacker's on an
        account of their own) would give guessing a fresh allowance.

    Attempts age out of the window as time passes, and at most
    L{LOGIN_THROTTLE_ATTEMPTS} are remembered (the oldest forgotten first),
    so nicks and addresses made up by an attacker cannot grow the tables
    without bound.
    """

    log = Logger()

    def __init__(
        self,
        clock: IReactorTime,
        perAccountAddress: int = LOGIN_FAILURES_PER_ACCOUNT_ADDRESS,
        perAddress: int = LOGIN_FAILURES_PER_ADDRESS,
        window: float = LOGIN_FAILURE_WINDOW,
        pauseFirst: float = LOGIN_PAUSE_FIRST,
        pauseMax: float = LOGIN_PAUSE_MAX,
        capacity: int = LOGIN_THROTTLE_ATTEMPTS,
    ) -> None:
        self._clock = clock
        self._perAccountAddress = perAccountAddress
        self._perAddress = perAddress
        self._window = window
        self._pauseFirst = pauseFirst
        self._pauseMax = pauseMax
        self._capacity = capacity
        self._attempts: deque[LoginAttempt] = deque()
        self._byPair: dict[tuple[str, str], list[LoginAttempt]] = {}
        self._byAddress: dict[str, list[LoginAttempt]] = {}
        self._accountFailures: dict[str, int] = {}
        self._forgottenEarly = 0

    async def admit(self, account: str, address: str) -> LoginAttempt:
        """
        Reserve a place for a login to C{account} from C{address} and wait
        for its turn to be checked.

        @param account: the account's folded nick.
        @raise LoginThrottled: if it may not be checked now; no place is held.
        """
        now = self._clock.seconds()
        self._forgetOld(now)
        earlier = self._byPair.get((account, address), [])
        fromAddress = self._byAddress.get(address, [])
        if len(earlier) >= self._perAccountAddress:
            raise _throttled(
                "for that account from your address",
                earlier[0].started + self._window - now,
            )
        if len(fromAddress) >= self._perAddress:
            raise _throttled(
                "from your address", fromAddress[0].started + self._window - now
            )
        self._refuseIfPaused(account, earlier, now)
        ahead = earlier[-1] if earlier else None
        attempt = self._reserve(account, address, now)
        if ahead is not None and not ahead.settled:
            turn: Deferred[None] = Deferred()
            ahead.waiters.append(turn)
            await turn
            try:
                self._refuseIfPaused(
                    account,
                    self._byPair.get((account, address), []),
                    self._clock.seconds(),
                )
            except LoginThrottled:
                self.release(attempt)
                raise
        return attempt

    def failed(self, attempt: LoginAttempt) -> None:
        """The attempt's password was wrong: it keeps its place."""
        attempt.failedAt = self._clock.seconds()
        if attempt.counted:
            failures = self._accountFailures.get(attempt.account, 0)
            self._accountFailures[attempt.account] = failures + 1
        self._settle(attempt)

    def release(self, attempt: LoginAttempt) -> None:
        """
        The attempt's password was right, or it was never checked: it gives
        its place back.
        """
        if attempt.counted:
            self._uncount(attempt)
        self._settle(attempt)

    def pause(self, accountFailures: int) -> float:
        """
        How long an address that has failed on an account with
        C{accountFailures} failures in the window waits after each failure.
        """
        beyond = accountFailures - self._perAccountAddress
        if beyond <= 0:
            return 0.0
        return min(self._pauseMax, self._pauseFirst * 2.0 ** min(beyond - 1, 64))

    def _refuseIfPaused(
        self, account: str, earlier: list[LoginAttempt], now: float
    ) -> None:
        lastFailure = max(
            (a.failedAt for a in earlier if a.failedAt is not None), default=None
        )
        if lastFailure is None:
            return
        wait = lastFailure + self.pause(self._accountFailures.get(account, 0)) - now
        if wait > 0:
            raise _throttled("for that account", wait)

    def _reserve(self, account: str, address: str, now: float) -> LoginAttempt:
        while len(self._attempts) >= self._capacity:
            oldest = self._attempts.popleft()
            if oldest.counted:
                self._uncount(oldest)
                if not self._forgottenEarly:
                    self.log.warn(
                        "Login throttle full ({capacity} attempts): forgetting"
                        " the oldest before their time",
                        capacity=self._capacity,
                    )
                self._forgottenEarly += 1
        if self._forgottenEarly and len(self._attempts) < self._capacity // 2:
            self.log.warn(
                "Login throttle no longer full; {count} attempts were forgotten"
                " before their time",
                count=self._forgottenEarly,
            )
            self._forgottenEarly = 0
        attempt = LoginAttempt(account, address, now)
        self._attempts.append(attempt)
        self._byPair.setdefault((account, address), []).append(attempt)
        self._byAddress.setdefault(address, []).append(attempt)
        return attempt

    def _forgetOld(self, now: float) -> None:
        attempts = self._attempts
        while attempts and (
            not attempts[0].counted or attempts[0].started <= now - self._window
        ):
            oldest = attempts.popleft()
            if oldest.counted:
                self._uncount(oldest)

    def _uncount(self, attempt: LoginAttempt) -> None:
        attempt.counted = False
        pair = (attempt.account, attempt.address)
        _discard(self._byPair, pair, attempt)
        _discard(self._byAddress, attempt.address, attempt)
        if attempt.failedAt is not None:
            failures = self._accountFailures[attempt.account] - 1
            if failures:
                self._accountFailures[attempt.account] = failures
            else:
                del self._accountFailures[attempt.account]

    def _settle(self, attempt: LoginAttempt) -> None:
        attempt.settled = True
        waiters, attempt.waiters = attempt.waiters, []
        for waiter in waiters:
            waiter.callback(None)


K = TypeVar("K")


def _discard(table: dict[K, list[LoginAttempt]], key: K, attempt: LoginAttempt) -> None:
    """Take C{attempt} out of C{table[key]}, and the key out once it is empty."""
    attempts = table[key]
    attempts.remove(attempt)
    if not attempts:
        del table[key]


def _throttled(whence: str, wait: float) -> LoginThrottled:
    return LoginThrottled(
        f"Too many failed logins {whence}; try again in {max(1, ceil(wait))} seconds."
    )


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
