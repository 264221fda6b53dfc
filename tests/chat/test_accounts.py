"""
Tests for L{twisted_chat.chat.accounts} and the account commands: registering,
logging in, changing passwords, throttling, and servers that require login.

Hashing runs synchronously with argon2id at its cheapest parameters, so the
tests stay fast and need no threads.
"""

from typing import Literal

from argon2 import PasswordHasher as Argon2Hasher
from twisted.internet.defer import Deferred, ensureDeferred, fail
from twisted.internet.task import Clock
from twisted.logger import LogEvent, Logger
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_chat.chat.accounts import (
    Accounts,
    ChatAccount,
    ILoginMind,
    PasswordHasher,
    checkPassword,
)
from twisted_chat.chat.commands import (
    ChangePassword,
    Join,
    Login,
    Register,
    Say,
    SetNick,
)
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import BadPassword, LoginFailed, LoginThrottled
from twisted_chat.chat.events import AccountInfo, ErrorReply, Goodbye, Notice, Welcome
from twisted_chat.chat.loginthrottle import LoginAttempt, LoginThrottle, ThrottleSizes
from twisted_chat.chat.model import Member
from twisted_chat.frontends.commands.interpreter import CommandInterpreter
from twisted_chat.limits import (
    LOBBY,
    LOGIN_FAILURE_WINDOW,
    LOGIN_FAILURES_PER_ACCOUNT_ADDRESS,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_PAUSE_FIRST,
    LOGIN_PAUSE_MAX,
)
from twisted_chat.store.memory import MemoryStore

from ..helpers import (
    FAST_ARGON2,
    HeldRunner,
    RecordingParticipant,
    connectMember,
    makeAccounts,
    makeChat,
    runAtOnce,
)

PASSWORD = "correct-horse"


@implementer(ILoginMind)
class RecordingMind:
    """A mind that records what it is told, with its member's account then."""

    def __init__(self, member: Member | None) -> None:
        self.member = member
        self.told: list[tuple[ChatAccount, str | None]] = []

    def loggedIn(self, account: ChatAccount) -> None:
        self.told.append((account, self.member.account if self.member else None))


def errors(participant: RecordingParticipant) -> list[str]:
    return [e.code for e in participant.events if isinstance(e, ErrorReply)]


class RecordingArgon2(Argon2Hasher):
    """
    argon2id at L{FAST_ARGON2}'s parameters, keeping every hash it checks a
    password against, in order.
    """

    def __init__(self) -> None:
        super().__init__(
            FAST_ARGON2.time_cost, FAST_ARGON2.memory_cost, FAST_ARGON2.parallelism
        )
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


class PasswordRulesTests(SynchronousTestCase):
    def test_rules(self) -> None:
        """A password is 8 to 128 characters without spaces."""
        checkPassword("12345678")
        checkPassword("x" * 128)
        for bad in ["short", "x" * 129, "has space in it", "tab\there!"]:
            self.assertRaises(BadPassword, checkPassword, bad)


class ThrottleTests(SynchronousTestCase):
    """The L{LoginThrottle} alone, its attempts ended by hand."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.throttle = LoginThrottle(
            self.clock, perAccountAddress=3, perAddress=5, window=60
        )

    def admit(self, account: str = "k", address: str = "a") -> LoginAttempt:
        return self.successResultOf(
            ensureDeferred(self.throttle.admit(account, address))
        )

    def refused(self, account: str = "k", address: str = "a") -> str:
        failure = self.failureResultOf(
            ensureDeferred(self.throttle.admit(account, address)), LoginThrottled
        )
        return str(failure.value)

    def test_window(self) -> None:
        """After the limit of failures an address waits until the oldest ages out."""
        for _ in range(3):
            self.throttle.failed(self.admit())
            self.clock.advance(10)
        self.assertIn("try again in 30 seconds", self.refused())
        self.clock.advance(30)
        self.throttle.failed(self.admit())
        self.admit("k", "elsewhere")

    def test_ipv6CountsAsItsSlash64(self) -> None:
        """
        Addresses of one IPv6 /64 are one address to the throttle: changing
        the last bits is no fresh allowance.
        """
        for n in range(5):
            self.throttle.failed(self.admit(f"nick{n}", f"2001:db8::{n + 1}"))
        self.refused("nick9", "2001:db8::ffff")
        self.admit("nick9", "2001:db8:0:1::1")

    def test_countedFromTheStart(self) -> None:
        """Attempts still being checked count: the limit holds them back too."""
        first = self.admit()
        self.assertNoResult(second := ensureDeferred(self.throttle.admit("k", "a")))
        self.assertNoResult(third := ensureDeferred(self.throttle.admit("k", "a")))
        self.refused()
        self.throttle.failed(first)
        self.throttle.failed(self.successResultOf(second))
        self.throttle.failed(self.successResultOf(third))
        self.refused()

    def test_oneCheckAtATime(self) -> None:
        """A second attempt for the same account and address waits for the first."""
        first = self.admit()
        waiting = ensureDeferred(self.throttle.admit("k", "a"))
        self.assertNoResult(waiting)
        self.admit("k", "other address")
        self.admit("other account", "a")
        self.throttle.release(first)
        self.successResultOf(waiting)

    def test_successGivesBackOnlyItsOwnPlace(self) -> None:
        """A right password frees its own place but forgives no failure."""
        for _ in range(2):
            self.throttle.failed(self.admit())
        self.throttle.release(self.admit())
        self.throttle.failed(self.admit())
        self.refused()

    def test_pause(self) -> None:
        """The pause starts past one address's worth of failures and doubles to its cap."""
        throttle = LoginThrottle(Clock())
        limit = LOGIN_FAILURES_PER_ACCOUNT_ADDRESS
        self.assertEqual(
            [throttle.pause(limit + n) for n in range(4)],
            [0, LOGIN_PAUSE_FIRST, 2 * LOGIN_PAUSE_FIRST, 4 * LOGIN_PAUSE_FIRST],
        )
        self.assertEqual(throttle.pause(limit + 10_000), LOGIN_PAUSE_MAX)

    def test_tablesBounded(self) -> None:
        """
        Attempts age out of every table, and past the capacity the oldest
        are forgotten first, however many nicks and addresses are made up.
        """
        throttle = LoginThrottle(self.clock, window=60, capacity=10)
        logged: list[LogEvent] = []
        throttle.log = Logger(observer=logged.append)
        for n in range(100):
            attempt = self.successResultOf(
                ensureDeferred(throttle.admit(f"nick{n}", f"10.0.{n}.1"))
            )
            throttle.failed(attempt)
            sizes = throttle.sizes()
            self.assertLessEqual(sizes.attempts, 10)
            self.assertLessEqual(sizes.pairs, 10)
            self.assertLessEqual(sizes.addresses, 10)
            self.assertLessEqual(sizes.accounts, 10)
        self.assertEqual(len(logged), 1, "the operator is told once")
        self.clock.advance(60)
        self.successResultOf(ensureDeferred(throttle.admit("k", "a")))
        self.assertEqual(throttle.sizes(), ThrottleSizes(1, 1, 1, 0))
        self.assertEqual(logged[-1]["count"], 90)


class AccountsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.store = MemoryStore()
        self.chat = Chat(self.clock, self.store)
        self.hashes: list[str] = []
        self.accounts = Accounts(
            self.chat, PasswordHasher(self.clock, FAST_ARGON2, runAtOnce), self.clock
        )
        self.successResultOf(self.accounts.register("Ann", PASSWORD))

    def test_storedAsArgon2id(self) -> None:
        """Only an argon2id hash is kept, never the password."""
        record = self.successResultOf(self.store.account("ann"))
        assert record is not None
        self.assertTrue(record.passwordHash.startswith("$argon2id$"))
        self.assertNotIn(PASSWORD, record.passwordHash)

    def test_login(self) -> None:
        """The right password logs in, under the registered spelling."""
        account = self.successResultOf(self.accounts.login("ANN", PASSWORD, "1.2.3.4"))
        self.assertEqual(account.nick, "Ann")

    def test_loginBindsTheMind(self) -> None:
        """
        Logging in with a mind makes its member the account's holder (the
        registered spelling of the nick, the account, told by the core)
        before the mind hears of it.
        """
        member, participant = connectMember(self.chat)
        mind = RecordingMind(member)
        self.successResultOf(self.accounts.login("ANN", PASSWORD, "a", mind))
        self.assertEqual((member.nick, member.account), ("Ann", "ann"))
        self.assertEqual(mind.told, [(ChatAccount("Ann"), "ann")])
        self.assertIn(
            AccountInfo("Ann", "You are logged in as Ann."), participant.events
        )

    def test_mindWithoutMember(self) -> None:
        """
        A mind with no member yet (an IRC client still registering) is told
        the account, and L{Accounts.bind} binds the member it makes later,
        taking the account's nick from an older session of it.
        """
        older, _ = connectMember(self.chat)
        self.successResultOf(
            self.accounts.login("ann", PASSWORD, "a", RecordingMind(older))
        )
        mind = RecordingMind(None)
        self.successResultOf(self.accounts.login("ann", PASSWORD, "b", mind))
        self.assertEqual(mind.told, [(ChatAccount("Ann"), None)])
        self.assertTrue(older.present, "nothing is bound before there is a member")
        mind.member, _ = connectMember(self.chat)
        self.successResultOf(
            ensureDeferred(self.accounts.bind(mind, ChatAccount("Ann")))
        )
        self.assertFalse(older.present)
        self.assertEqual((mind.member.nick, mind.member.account), ("Ann", "ann"))

    def test_goneBeforeTheCheckEnds(self) -> None:
        """A member that left while its password was checked is not bound."""
        member, _ = connectMember(self.chat)
        self.chat.quit(member, "bye")
        mind = RecordingMind(member)
        self.successResultOf(self.accounts.login("ann", PASSWORD, "a", mind))
        self.assertEqual((member.account, mind.told), (None, []))

    def test_wrongAndUnknownAlike(self) -> None:
        """A wrong password and an unknown nick fail the same way."""
        wrong = self.failureResultOf(
            self.accounts.login("ann", "nope-nope", "a"), LoginFailed
        )
        unknown = self.failureResultOf(
            self.accounts.login("zed", PASSWORD, "a"), LoginFailed
        )
        self.assertEqual(str(wrong.value), str(unknown.value))

    def test_unknownCostsAHash(self) -> None:
        """Refusing an unknown nick checks a real argon2 hash, as long as a wrong password."""
        argon2 = RecordingArgon2()
        hasher = PasswordHasher(self.clock, argon2, runAtOnce)
        accounts = Accounts(self.chat, hasher, self.clock)
        self.successResultOf(accounts.start())
        hashed: list[str] = []
        self.patch(hasher, "hash", lambda password: hashed.append(password))
        self.failureResultOf(accounts.login("zed", PASSWORD, "a"), LoginFailed)
        self.assertEqual(len(argon2.verified), 1)
        self.assertTrue(argon2.verified[0].startswith("$argon2id$"))
        self.assertEqual(hashed, [], "the stand-in was made beforehand")

    def test_throttledPerAccountAndAddress(self) -> None:
        """
        Too many failures for one account from one address refuse that
        address even the right password, until the window has passed.
        """
        for _ in range(LOGIN_FAILURES_PER_ACCOUNT_ADDRESS):
            self.failureResultOf(
                self.accounts.login("ann", "wrong-one", "6.6.6.6"), LoginFailed
            )
        self.failureResultOf(
            self.accounts.login("ann", PASSWORD, "6.6.6.6"), LoginThrottled
        )
        self.clock.advance(LOGIN_FAILURE_WINDOW)
        self.successResultOf(self.accounts.login("ann", PASSWORD, "6.6.6.6"))

    def test_othersFailuresLockNobodyOut(self) -> None:
        """
        Failures from other addresses, one address's worth or many, never
        refuse the owner's right password from an address that has not failed.
        """
        for _ in range(LOGIN_FAILURES_PER_ACCOUNT_ADDRESS):
            self.failureResultOf(self.accounts.login("ann", "wrong-one", "6.6.6.6"))
        self.successResultOf(self.accounts.login("ann", PASSWORD, "10.0.1.1"))
        for n in range(50):
            self.failureResultOf(self.accounts.login("ann", "wrong-one", f"7.0.0.{n}"))
        self.successResultOf(self.accounts.login("ann", PASSWORD, "10.0.1.2"))

    def test_throttledPerAddress(self) -> None:
        """Too many failures from one address refuse it, whatever the nick."""
        for n in range(LOGIN_FAILURES_PER_ADDRESS):
            self.failureResultOf(
                self.accounts.login(f"user{n}", "wrong-one", "6.6.6.6")
            )
        self.failureResultOf(
            self.accounts.login("ann", PASSWORD, "6.6.6.6"), LoginThrottled
        )
        self.successResultOf(self.accounts.login("ann", PASSWORD, "7.7.7.7"))

    def test_rehash(self) -> None:
        """A hash made with older parameters is replaced at the next login."""
        stronger = Argon2Hasher(time_cost=2, memory_cost=16, parallelism=1)
        accounts = Accounts(
            self.chat, PasswordHasher(self.clock, stronger, runAtOnce), self.clock
        )
        self.successResultOf(accounts.login("ann", PASSWORD, "a"))
        record = self.successResultOf(self.store.account("ann"))
        assert record is not None
        self.assertIn("m=16,t=2", record.passwordHash)

    def test_changePassword(self) -> None:
        """With the old password, the new one replaces it."""
        self.successResultOf(
            self.accounts.changePassword("ann", PASSWORD, "new-secret", "a")
        )
        self.failureResultOf(self.accounts.login("ann", PASSWORD, "a"), LoginFailed)
        self.successResultOf(self.accounts.login("ann", "new-secret", "a"))
        self.failureResultOf(
            self.accounts.changePassword("ann", "wrong-one", "other-one", "a"),
            LoginFailed,
        )


class LoginsInFlightTests(SynchronousTestCase):
    """
    Logins whose argon2 checks take time: the hashing runner holds each
    check until the test finishes it, as the thread pool would.
    """

    def setUp(self) -> None:
        self.clock = Clock()
        self.runner = HeldRunner()
        self.store = MemoryStore()
        self.accounts = Accounts(
            Chat(self.clock, self.store),
            PasswordHasher(self.clock, FAST_ARGON2, self.runner),
            self.clock,
        )
        started = self.accounts.start()
        registered = ensureDeferred(self.accounts.register("ann", PASSWORD))
        self.runner.runAll()
        self.successResultOf(started)
        self.successResultOf(registered)
        self.runner.ran.clear()

    def login(
        self, password: str, address: str, nick: str = "ann"
    ) -> Deferred[ChatAccount]:
        return ensureDeferred(self.accounts.login(nick, password, address))

    def test_parallelGuesses(self) -> None:
        """
        61 logins started at the same instant from one address, the right
        password last: only the per-account-and-address limit of them are
        checked, one at a time, and every other is refused at once, the right
        one included; the right one stays refused from there, not elsewhere.
        """
        guesses = [self.login(f"wrong-{n}", "6.6.6.6") for n in range(60)]
        guesses.append(self.login(PASSWORD, "6.6.6.6"))
        throttled = [d for d in guesses if d.called]
        self.assertEqual(len(throttled), 61 - LOGIN_FAILURES_PER_ACCOUNT_ADDRESS)
        for refused in throttled:
            self.failureResultOf(refused, LoginThrottled)
        self.assertIn(guesses[-1], throttled)
        self.assertEqual(len(self.runner.held), 1, "one check at a time")
        self.runner.runAll()
        for guess in guesses[:LOGIN_FAILURES_PER_ACCOUNT_ADDRESS]:
            self.failureResultOf(guess, LoginFailed)
        self.assertEqual(
            self.runner.checked(),
            [f"wrong-{n}" for n in range(LOGIN_FAILURES_PER_ACCOUNT_ADDRESS)],
        )
        self.failureResultOf(self.login(PASSWORD, "6.6.6.6"), LoginThrottled)
        fromElsewhere = self.login(PASSWORD, "10.0.1.1")
        self.runner.runAll()
        self.assertEqual(self.successResultOf(fromElsewhere).nick, "ann")

    def test_parallelGuessesAcrossNicks(self) -> None:
        """
        Logins to many nicks started at once from one address: only the
        per-address limit of them are checked.
        """
        guesses = [self.login("wrong-one", "6.6.6.6", f"user{n}") for n in range(61)]
        self.assertEqual(len(self.runner.held), LOGIN_FAILURES_PER_ADDRESS)
        self.runner.runAll()
        outcomes = [self.failureResultOf(guess).type for guess in guesses]
        self.assertEqual(outcomes.count(LoginFailed), LOGIN_FAILURES_PER_ADDRESS)
        self.assertEqual(
            outcomes.count(LoginThrottled), 61 - LOGIN_FAILURES_PER_ADDRESS
        )

    def test_pacedGuessing(self) -> None:
        """
        Guesses started every second from one address, to the account and to
        other nicks, each checked three seconds later: in one window exactly
        the limits are checked, per account and address and per address.
        """
        guesses = []
        for second in range(int(LOGIN_FAILURE_WINDOW) - 10):
            guesses.append(self.login(f"ann-guess-{second}", "6.6.6.6"))
            guesses.append(
                self.login(f"other-guess-{second}", "6.6.6.6", f"user{second % 40}")
            )
            if second % 3 == 2:
                self.runner.runAll()
            self.clock.advance(1)
        self.runner.runAll()
        for guess in guesses:
            self.failureResultOf(guess, LoginFailed, LoginThrottled)
        checked = self.runner.checked()
        annChecked = [p for p in checked if p.startswith("ann-")]
        self.assertEqual(len(annChecked), LOGIN_FAILURES_PER_ACCOUNT_ADDRESS)
        self.assertEqual(len(checked), LOGIN_FAILURES_PER_ADDRESS)

    def test_ownersSuccessForgivesNoGuesser(self) -> None:
        """
        The owner logging in from elsewhere gives a guesser no fresh
        allowance: its failures still count.
        """
        for n in range(LOGIN_FAILURES_PER_ACCOUNT_ADDRESS - 1):
            guess = self.login(f"wrong-{n}", "6.6.6.6")
            self.runner.runAll()
            self.failureResultOf(guess, LoginFailed)
        owner = self.login(PASSWORD, "10.0.1.1")
        self.runner.runAll()
        self.successResultOf(owner)
        outcomes = []
        for n in range(3):
            guess = self.login(f"again-{n}", "6.6.6.6")
            self.runner.runAll()
            outcomes.append(self.failureResultOf(guess).type)
        self.assertEqual(outcomes, [LoginFailed, LoginThrottled, LoginThrottled])

    def test_manyAddressesSlowed(self) -> None:
        """
        Once an account has failed more than one address may make it, an
        address that failed waits (doubling) before its next guess, its
        parallel guesses too; the owner from a clean address goes straight in.
        """
        addresses = [f"7.0.0.{n}" for n in range(10)]
        guesses = [self.login("wrong-one", address) for address in addresses]
        self.runner.runAll()
        for guess in guesses:
            self.failureResultOf(guess, LoginFailed)
        pause = LOGIN_PAUSE_FIRST * 2 ** (10 - LOGIN_FAILURES_PER_ACCOUNT_ADDRESS - 1)
        refused = self.failureResultOf(self.login("wrong-two", addresses[0]))
        self.assertIn(f"try again in {pause:.0f} seconds", str(refused.value))
        owner = self.login(PASSWORD, "10.0.1.1")
        self.runner.runAll()
        self.successResultOf(owner)
        # A fresh address's guesses sent together: one is checked, and the
        # others, waiting their turn, find the address has now failed.
        together = [self.login(f"fresh-{n}", "8.8.8.8") for n in range(3)]
        self.runner.runAll()
        outcomes = [self.failureResultOf(guess).type for guess in together]
        self.assertEqual(outcomes, [LoginFailed, LoginThrottled, LoginThrottled])
        self.clock.advance(2 * pause - 1)
        self.failureResultOf(self.login("wrong-two", addresses[0]), LoginThrottled)
        self.clock.advance(1)
        guess = self.login("wrong-two", addresses[0])
        self.runner.runAll()
        self.failureResultOf(guess, LoginFailed)

    def test_uncheckedGivesBack(self) -> None:
        """A login the store could not check holds no place."""
        store = self.store
        self.patch(store, "account", lambda nick: fail(RuntimeError("store down")))
        for _ in range(LOGIN_FAILURES_PER_ADDRESS + 1):
            self.failureResultOf(self.login(PASSWORD, "6.6.6.6"), RuntimeError)
        self.patch(store, "account", MemoryStore.account.__get__(store))
        owner = self.login(PASSWORD, "6.6.6.6")
        self.runner.runAll()
        self.successResultOf(owner)


class AccountCommandTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat: Chat
        self.chat, self.clock = makeChat()
        self.accounts = makeAccounts(self.chat, self.clock)

    def start(
        self, requireLogin: bool = False, address: str = "10.0.0.1"
    ) -> tuple[CommandInterpreter, RecordingParticipant]:
        participant = RecordingParticipant()
        member = self.chat.connect(participant, address=address)
        interpreter = CommandInterpreter(
            self.chat, member, self.accounts, requireLogin=requireLogin
        )
        interpreter.start()
        return interpreter, participant

    def register(
        self, nick: str = "alice"
    ) -> tuple[CommandInterpreter, RecordingParticipant]:
        interpreter, sees = self.start()
        interpreter.execute(SetNick(nick))
        self.successResultOf(interpreter.execute(Register(PASSWORD)))  # type: ignore[arg-type]
        sees.take()
        return interpreter, sees

    def test_register(self) -> None:
        """/register binds the current nick and logs in."""
        interpreter, sees = self.start()
        interpreter.execute(SetNick("alice"))
        sees.take()
        waiting = interpreter.execute(Register(PASSWORD))
        assert waiting is not None
        self.successResultOf(waiting)
        self.assertEqual(
            sees.events, [AccountInfo("alice", "You are logged in as alice.")]
        )
        self.assertTrue(self.chat.isRegistered("ALICE"))

    def test_registerRefused(self) -> None:
        """Guest nicks, taken accounts, weak passwords and second accounts are refused."""
        guest, guestSees = self.start()
        guest.execute(Register(PASSWORD))
        alice, aliceSees = self.register()
        alice.execute(Register(PASSWORD))
        weak, weakSees = self.start()
        weak.execute(SetNick("bob"))
        weak.execute(Register("short"))
        self.assertEqual(errors(guestSees), ["bad-nick"])
        self.assertEqual(errors(aliceSees), ["already-registered"])
        self.assertEqual(errors(weakSees), ["bad-password"])

    def test_guestCannotTakeRegisteredNick(self) -> None:
        """Once registered, a nick is safe from guests even when its owner is away."""
        alice, _ = self.register()
        alice.execute(Say("bye for now"))
        self.chat.quit(alice.member, "bye")
        guest, sees = self.start()
        guest.execute(SetNick("Alice"))
        self.assertEqual(errors(sees), ["nick-registered"])

    def test_login(self) -> None:
        """/login takes the nick back, and waiting private messages arrive."""
        alice, _ = self.register()
        self.chat.quit(alice.member, "bye")
        bob, _ = self.start()
        bob.execute(SetNick("bob"))
        bob.execute(Join(LOBBY))
        self.successResultOf(self.chat.sendPrivate(bob.member, "alice", "see you"))
        again, sees = self.start()
        sees.take()
        self.successResultOf(again.execute(Login("alice", PASSWORD)))  # type: ignore[arg-type]
        self.assertEqual(again.member.nick, "alice")
        self.assertIn(AccountInfo("alice", "You are logged in as alice."), sees.events)
        self.assertEqual(sees.events[-1].offline, True)  # type: ignore[attr-defined]

    def test_loginFails(self) -> None:
        """A wrong password is refused; the throttle then refuses outright."""
        self.register()
        intruder, sees = self.start(address="6.6.6.6")
        for _ in range(LOGIN_FAILURES_PER_ACCOUNT_ADDRESS + 1):
            intruder.execute(Login("alice", "guess-again"))
        self.assertEqual(
            errors(sees),
            ["login-failed"] * LOGIN_FAILURES_PER_ACCOUNT_ADDRESS + ["login-throttled"],
        )

    def test_loginReplacesOldSession(self) -> None:
        """Logging in while an older session holds the nick ends that session."""
        _, aliceSees = self.register()
        again, _ = self.start()
        self.successResultOf(again.execute(Login("alice", PASSWORD)))  # type: ignore[arg-type]
        self.assertIn(Goodbye("replaced", "Logged in from elsewhere"), aliceSees.events)

    def test_changePassword(self) -> None:
        """/password needs a login and the old password."""
        guest, guestSees = self.start()
        guest.execute(ChangePassword(PASSWORD, "another-one"))
        self.assertEqual(errors(guestSees), ["not-logged-in"])
        alice, sees = self.register()
        self.successResultOf(alice.execute(ChangePassword(PASSWORD, "another-one")))  # type: ignore[arg-type]
        self.assertEqual(sees.events, [Notice("Your password has been changed.")])

    def test_requireLogin(self) -> None:
        """With login required, a guest is in no room and may only log in."""
        self.register()
        guest, sees = self.start(requireLogin=True)
        welcome = sees.take()
        self.assertEqual(len(welcome), 1)
        assert isinstance(welcome[0], Welcome)
        self.assertIn("/login", welcome[0].text)
        guest.execute(Say("hello?"))
        guest.execute(Join("#a"))
        self.assertEqual(errors(sees), ["login-required", "login-required"])
        self.successResultOf(guest.execute(Login("alice", PASSWORD)))  # type: ignore[arg-type]
        self.assertEqual(list(guest.member.rooms), [LOBBY])
