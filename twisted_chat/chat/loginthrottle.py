"""
The login throttle: whether a password may be checked now, so that passwords
cannot be guessed quickly and an account's owner cannot be locked out by
others.  L{twisted_chat.chat.accounts.Accounts} asks it before every check, for
the line protocol's C{/login} and IRC's SASL alike.

It knows neither passwords nor connections: only account names (folded
nicks), addresses and time, read from the clock it is given.
"""

from collections import deque
from dataclasses import dataclass, field
from math import ceil
from typing import TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from twisted_chat.addresses import addressKey
from twisted_chat.chat.errors import LoginThrottled
from twisted_chat.limits import (
    LOGIN_FAILURE_WINDOW,
    LOGIN_FAILURES_PER_ACCOUNT_ADDRESS,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_PAUSE_FIRST,
    LOGIN_PAUSE_MAX,
    LOGIN_THROTTLE_ATTEMPTS,
)


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


@dataclass(frozen=True, slots=True)
class ThrottleSizes:
    """
    How many entries each of a L{LoginThrottle}'s tables holds: what it
    costs in memory, which its capacity bounds however many nicks and
    addresses an attacker makes up; for an operator's metrics.

    @ivar attempts: the attempts remembered.
    @ivar pairs: the (account, address) pairs with attempts that count.
    @ivar addresses: the addresses with attempts that count.
    @ivar accounts: the accounts with failures that count.
    """

    attempts: int
    pairs: int
    addresses: int
    accounts: int


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
        @param address: the client's host (an IPv6 address counts as its /64).
        @raise LoginThrottled: if it may not be checked now; no place is held.
        """
        address, _ = addressKey(address)
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

    def sizes(self) -> ThrottleSizes:
        """How many entries each of the tables holds now."""
        return ThrottleSizes(
            attempts=len(self._attempts),
            pairs=len(self._byPair),
            addresses=len(self._byAddress),
            accounts=len(self._accountFailures),
        )

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
