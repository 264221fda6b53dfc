"""
Tests for L{twisted_chat.chat.certificates} and the certificate side of
L{twisted_chat.chat.accounts.Accounts}: the cred checker SASL EXTERNAL logs
in through, registering certificates (the line protocol's C{/cert}), and
registering a nick through L{Accounts.registerNick}, which every front end
shares.
"""

from twisted.cred.error import UnauthorizedLogin
from twisted.internet.defer import ensureDeferred
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.accounts import Accounts, ChatAccount, PasswordHasher
from twisted_chat.chat.certificates import (
    CertificateChecker,
    CertificateFingerprint,
    canonicalFingerprint,
)
from twisted_chat.chat.commands import Certificates, SetNick
from twisted_chat.chat.errors import (
    AccountSuspended,
    AlreadyRegistered,
    BadArguments,
    CertificateInUse,
    InvalidNick,
    LoginFailed,
    NickInUse,
    NoCertificate,
    TooManyCertificates,
)
from twisted_chat.chat.events import Notice
from twisted_chat.frontends.commands.interpreter import CommandInterpreter
from twisted_chat.limits import CERTIFICATES_PER_ACCOUNT_MAX
from twisted_chat.wire.line import parseCommand

from ..helpers import (
    FAST_ARGON2,
    HeldRunner,
    RecordingParticipant,
    connectMember,
    makeAccounts,
    makeChat,
)
from .test_accounts import RecordingMind, errors

PASSWORD = "correct-horse"
ONE = "1" * 64
TWO = "2" * 64


class FingerprintTests(SynchronousTestCase):
    def test_canonical(self) -> None:
        """OpenSSL's colons and upper case are read as the stored form."""
        written = ":".join(["AB"] * 32)
        self.assertEqual(canonicalFingerprint(written), "ab" * 32)
        self.assertEqual(canonicalFingerprint("ab" * 32), "ab" * 32)

    def test_notAFingerprint(self) -> None:
        """Too short, too long or not hex is no fingerprint."""
        for given in ["ab" * 31, "ab" * 33, "zz" * 32, ""]:
            self.assertIsNone(canonicalFingerprint(given), given)


class CheckerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.accounts = makeAccounts(self.chat, self.clock)
        self.successResultOf(ensureDeferred(self.accounts.register("Ann", PASSWORD)))
        self.successResultOf(self.chat.store.addCertificate("ann", ONE))
        self.checker = CertificateChecker(self.chat.store)

    def test_registered(self) -> None:
        """A registered certificate is its account's nick, as registered."""
        found = self.checker.requestAvatarId(CertificateFingerprint(ONE))
        self.assertEqual(self.successResultOf(found), b"Ann")

    def test_unknown(self) -> None:
        """A certificate nobody registered is unauthorised."""
        found = self.checker.requestAvatarId(CertificateFingerprint(TWO))
        self.failureResultOf(found, UnauthorizedLogin)

    def test_suspended(self) -> None:
        """A suspended account's certificate is refused, saying why."""
        self.successResultOf(self.chat.store.setSuspended("ann", True))
        found = self.checker.requestAvatarId(CertificateFingerprint(ONE))
        self.failureResultOf(found, AccountSuspended)

    def test_loginBinds(self) -> None:
        """Logging in with a certificate binds the mind's member to the account."""
        member, _ = connectMember(self.chat)
        mind = RecordingMind(member)
        login = self.accounts.loginWithCertificate(ONE, mind)
        self.assertEqual(self.successResultOf(ensureDeferred(login)).nick, "Ann")
        self.assertEqual((member.nick, member.account), ("Ann", "ann"))
        self.assertEqual(mind.told, [(ChatAccount("Ann"), "ann")])

    def test_loginRefused(self) -> None:
        """An unknown certificate, or one of another account than asked, fails."""
        mind = RecordingMind(None)
        for fingerprint, account in [(TWO, None), (ONE, "bob")]:
            login = self.accounts.loginWithCertificate(fingerprint, mind, account)
            self.failureResultOf(ensureDeferred(login), LoginFailed)
        self.assertEqual(mind.told, [])
        login = self.accounts.loginWithCertificate(ONE, mind, "ANN")
        self.successResultOf(ensureDeferred(login))


class AddCertificateTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.accounts = makeAccounts(self.chat, self.clock)
        for nick in ("Ann", "Bob"):
            self.successResultOf(ensureDeferred(self.accounts.register(nick, PASSWORD)))

    def add(self, nick: str, fingerprint: str | None) -> object:
        return ensureDeferred(self.accounts.addCertificate(nick, fingerprint))

    def test_addListRemove(self) -> None:
        """Added certificates are listed oldest first, and removed one by one."""
        self.successResultOf(self.add("ann", TWO))
        self.successResultOf(self.add("Ann", ONE))
        listed = ensureDeferred(self.accounts.certificates("ANN"))
        self.assertEqual(self.successResultOf(listed), [TWO, ONE])
        self.successResultOf(
            ensureDeferred(self.accounts.removeCertificate("ann", TWO))
        )
        listed = ensureDeferred(self.accounts.certificates("ann"))
        self.assertEqual(self.successResultOf(listed), [ONE])

    def test_refused(self) -> None:
        """
        No certificate, one registered by anyone, one past the limit, or the
        removal of one the account has not, are refused.
        """
        self.failureResultOf(self.add("ann", None), NoCertificate)
        self.successResultOf(self.add("ann", ONE))
        self.failureResultOf(self.add("ann", ONE), CertificateInUse)
        self.failureResultOf(self.add("bob", ONE), CertificateInUse)
        removal = ensureDeferred(self.accounts.removeCertificate("bob", ONE))
        self.failureResultOf(removal, NoCertificate)
        for n in range(1, CERTIFICATES_PER_ACCOUNT_MAX):
            self.successResultOf(self.add("ann", f"{n:064x}"))
        self.failureResultOf(self.add("ann", TWO), TooManyCertificates)


class RegisterNickTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.runner = HeldRunner()
        self.accounts = Accounts(
            self.chat, PasswordHasher(self.clock, FAST_ARGON2, self.runner), self.clock
        )

    def test_beforeMember(self) -> None:
        """A mind without a member yet is told the account it registered."""
        mind = RecordingMind(None)
        registering = ensureDeferred(self.accounts.registerNick(mind, "Ann", PASSWORD))
        self.runner.runAll()
        self.successResultOf(registering)
        self.assertTrue(self.chat.isRegistered("ann"))
        self.assertEqual(mind.told, [(ChatAccount("Ann"), None)])

    def test_refused(self) -> None:
        """
        A bad or guest nick, one someone else holds, and one being
        registered this moment are refused before any hashing.
        """
        connectMember(self.chat, "Bob")
        mind = RecordingMind(None)
        first = ensureDeferred(self.accounts.registerNick(mind, "Ann", PASSWORD))
        for nick, error in [
            ("9lives", InvalidNick),
            ("guest12", InvalidNick),
            ("bob", NickInUse),
            ("ANN", AlreadyRegistered),
        ]:
            again = ensureDeferred(self.accounts.registerNick(mind, nick, PASSWORD))
            self.failureResultOf(again, error)
        self.assertEqual(len(self.runner.held), 1)
        self.runner.runAll()
        self.successResultOf(first)


class CertCommandTests(SynchronousTestCase):
    """The line protocol's C{/cert}."""

    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.accounts = makeAccounts(self.chat, self.clock)

    def start(
        self, certificate: str | None, nick: str = "alice"
    ) -> tuple[CommandInterpreter, RecordingParticipant]:
        participant = RecordingParticipant()
        member = self.chat.connect(participant)
        interpreter = CommandInterpreter(
            self.chat, member, self.accounts, certificate=certificate
        )
        interpreter.execute(SetNick(nick))
        return interpreter, participant

    def type(self, interpreter: CommandInterpreter, line: str) -> None:
        command = parseCommand(line.encode())
        assert command is not None
        interpreter.execute(command)

    def notices(self, participant: RecordingParticipant) -> list[str]:
        return [e.text for e in participant.take() if isinstance(e, Notice)]

    def test_addListDelete(self) -> None:
        """A logged-in member adds its connection's certificate, lists and removes it."""
        alice, sees = self.start(ONE)
        self.type(alice, "/register correct-horse")
        sees.take()
        self.type(alice, "/cert add")
        self.assertEqual(self.notices(sees), [f"Certificate {ONE} added."])
        self.type(alice, "/cert")
        self.assertEqual(
            self.notices(sees), [f"Certificate {ONE}", "1 certificates registered."]
        )
        self.type(alice, "/cert del " + ":".join([ONE[:2].upper()] * 32))
        self.assertEqual(self.notices(sees), [f"Certificate {ONE} removed."])
        self.type(alice, "/cert list")
        self.assertEqual(self.notices(sees), ["0 certificates registered."])

    def test_refused(self) -> None:
        """
        Logged out, without a certificate, or removing none: refused; a
        malformed fingerprint is a usage error.
        """
        loggedOut, sees = self.start(ONE, "bob")
        self.type(loggedOut, "/cert add")
        plain, plainSees = self.start(None)
        self.type(plain, "/register correct-horse")
        self.type(plain, "/cert add")
        self.type(plain, "/cert del")
        self.type(plain, f"/cert del {TWO}")
        self.assertEqual(errors(sees), ["not-logged-in"])
        self.assertEqual(
            errors(plainSees), ["no-certificate", "bad-arguments", "no-certificate"]
        )
        for line in ["/cert del nothex", "/cert add " + ONE, "/cert frob"]:
            self.assertRaises(BadArguments, parseCommand, line.encode())

    def test_parse(self) -> None:
        """/cert alone lists; del takes a fingerprint in either form."""
        self.assertEqual(parseCommand(b"/cert"), Certificates("list"))
        self.assertEqual(parseCommand(b"/cert ADD"), Certificates("add"))
        self.assertEqual(
            parseCommand(f"/cert del {ONE}".encode()), Certificates("del", ONE)
        )
