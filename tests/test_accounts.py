"""
Tests for L{twisted_chat.accounts} and the account commands: registering,
logging in, changing passwords, throttling, and servers that require login.

Hashing runs synchronously with argon2id at its cheapest parameters, so the
tests stay fast and need no threads.
"""

from argon2 import PasswordHasher as Argon2Hasher
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.accounts import Accounts, LoginThrottle, PasswordHasher, checkPassword
from twisted_chat.commands import (
    ChangePassword,
    Join,
    Login,
    Register,
    Say,
    SetNick,
)
from twisted_chat.core import ChatServer
from twisted_chat.errors import BadPassword, LoginFailed, LoginThrottled
from twisted_chat.events import AccountInfo, ErrorReply, Goodbye, Notice, Welcome
from twisted_chat.interpreter import CommandInterpreter
from twisted_chat.limits import (
    LOBBY,
    LOGIN_FAILURE_WINDOW,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_ADDRESS,
)
from twisted_chat.store.memory import MemoryStore

from .helpers import (
    FAST_ARGON2,
    RecordingParticipant,
    makeAccounts,
    makeChat,
    runAtOnce,
)

PASSWORD = "correct-horse"


def errors(participant: RecordingParticipant) -> list[str]:
    return [e.code for e in participant.events if isinstance(e, ErrorReply)]


class PasswordRulesTests(SynchronousTestCase):
    def test_rules(self) -> None:
        """A password is 8 to 128 characters without spaces."""
        checkPassword("12345678")
        checkPassword("x" * 128)
        for bad in ["short", "x" * 129, "has space in it", "tab\there!"]:
            self.assertRaises(BadPassword, checkPassword, bad)


class ThrottleTests(SynchronousTestCase):
    def test_window(self) -> None:
        """After limit failures a key waits until the oldest ages out."""
        clock = Clock()
        throttle = LoginThrottle(clock, 3, 60)
        for _ in range(3):
            self.assertEqual(throttle.wait("k"), 0)
            throttle.failed("k")
            clock.advance(10)
        self.assertEqual(throttle.wait("k"), 30)
        clock.advance(30)
        self.assertEqual(throttle.wait("k"), 0)
        self.assertEqual(throttle.wait("other"), 0)

    def test_forgive(self) -> None:
        """A success clears a key's failures."""
        throttle = LoginThrottle(Clock(), 1, 60)
        throttle.failed("k")
        throttle.forgive("k")
        self.assertEqual(throttle.wait("k"), 0)


class AccountsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.store = MemoryStore()
        self.hashes: list[str] = []
        self.accounts = Accounts(
            self.store, PasswordHasher(self.clock, FAST_ARGON2, runAtOnce), self.clock
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
        verified: list[str] = []
        hasher = PasswordHasher(self.clock, FAST_ARGON2, runAtOnce)
        original = hasher._verify

        def recording(passwordHash: str, password: str) -> bool:
            verified.append(passwordHash)
            return original(passwordHash, password)

        hasher._verify = recording  # type: ignore[method-assign]
        accounts = Accounts(self.store, hasher, self.clock)
        self.successResultOf(accounts.start())
        hashed: list[str] = []
        self.patch(hasher, "hash", lambda password: hashed.append(password))
        self.failureResultOf(accounts.login("zed", PASSWORD, "a"), LoginFailed)
        self.assertEqual(len(verified), 1)
        self.assertTrue(verified[0].startswith("$argon2id$"))
        self.assertEqual(hashed, [], "the stand-in was made beforehand")

    def test_throttledPerAccount(self) -> None:
        """Too many failures for one account refuse even the right password."""
        for n in range(LOGIN_FAILURES_PER_ACCOUNT):
            self.failureResultOf(self.accounts.login("ann", "wrong-one", f"10.0.0.{n}"))
        self.failureResultOf(
            self.accounts.login("ann", PASSWORD, "10.0.1.1"), LoginThrottled
        )
        self.clock.advance(LOGIN_FAILURE_WINDOW)
        self.successResultOf(self.accounts.login("ann", PASSWORD, "10.0.1.1"))

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
            self.store, PasswordHasher(self.clock, stronger, runAtOnce), self.clock
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


class AccountCommandTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat: ChatServer
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
        for _ in range(LOGIN_FAILURES_PER_ACCOUNT + 1):
            intruder.execute(Login("alice", "guess-again"))
        self.assertEqual(
            errors(sees),
            ["login-failed"] * LOGIN_FAILURES_PER_ACCOUNT + ["login-throttled"],
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
