"""
Tests for L{twisted_chat.chat.serverops}: server operators and what only
they may do, and the audit log.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.accounts import Accounts, PasswordHasher
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import (
    AccountSuspended,
    BadMask,
    Banned,
    NoSuchAccount,
    NotFounder,
    NotOperator,
    NotPermitted,
    NotServerOperator,
)
from twisted_chat.chat.events import Goodbye, Quit
from twisted_chat.chat.model import Member
from twisted_chat.chat.modes import BAN, Rank, parseModes
from twisted_chat.chat.orderevents import Announcement, AuditEnd, AuditLine, Kicked
from twisted_chat.store.memory import MemoryStore

from ..helpers import FAST_ARGON2, RecordingParticipant, runAtOnce

NOW = 1_700_000_000_000
PASSWORD = "correct-horse"


class ServerOperatorTestCase(SynchronousTestCase):
    """
    A chat whose configuration names the account C{Olga} a server operator;
    the console's operator is here, and olga (logged in), bob and carol.
    """

    def setUp(self) -> None:
        from twisted.internet.task import Clock

        self.clock = Clock()
        self.clock.advance(NOW / 1000)
        self.store = MemoryStore()
        self.chat = Chat(self.clock, self.store, serverOperators=["Olga"])
        self.accounts = Accounts(
            self.chat, PasswordHasher(self.clock, FAST_ARGON2, runAtOnce), self.clock
        )
        self.console, self.consoleSees = self.member("server", privileged=True)
        self.olga, self.olgaSees = self.member("olga")
        self.chat.registered("olga")
        self.successResultOf(self.chat.bindAccount(self.olga, "olga"))
        self.bob, self.bobSees = self.member("bob", "10.0.0.2")
        self.carol, self.carolSees = self.member("carol", "192.168.1.9")
        self.operators = self.chat.operators
        self.forget()

    def member(
        self, nick: str, address: str = "10.0.0.1", privileged: bool = False
    ) -> tuple[Member, RecordingParticipant]:
        participant = RecordingParticipant()
        member = self.chat.connect(
            participant, nick=nick, address=address, privileged=privileged
        )
        participant.take()
        return member, participant

    def forget(self) -> None:
        for seen in (self.consoleSees, self.olgaSees, self.bobSees, self.carolSees):
            seen.take()

    def audit(self, asker: Member, room: str | None = None) -> list[AuditLine]:
        seen = asker.participant
        assert isinstance(seen, RecordingParticipant)
        seen.take()
        self.successResultOf(self.operators.auditLog(asker, room, None, 50))
        lines = seen.take()
        self.assertIsInstance(lines[-1], AuditEnd)
        return [line for line in lines if isinstance(line, AuditLine)]


class WhoTests(ServerOperatorTestCase):
    def test_whoIsAServerOperator(self) -> None:
        """The console, and accounts named by --oper or granted."""
        self.assertTrue(self.operators.isServerOperator(self.console))
        self.assertTrue(self.operators.isServerOperator(self.olga))
        self.assertFalse(self.operators.isServerOperator(self.bob))
        self.chat.registered("bob")
        self.successResultOf(self.chat.bindAccount(self.bob, "bob"))
        self.operators.grant(self.console, "Bob", True)
        self.assertTrue(self.operators.isServerOperator(self.bob))
        self.assertEqual(self.store.serverOperators, {"bob"})
        self.assertRaises(NotPermitted, self.operators.grant, self.olga, "carol", True)
        self.assertRaises(
            NoSuchAccount, self.operators.grant, self.console, "carol", True
        )
        self.assertFalse(self.operators.isServerOperator(self.carol))

    def test_operatesEveryRoom(self) -> None:
        """A server operator acts as an operator in any room, and no ban or
        mode keeps it out."""
        self.chat.join(self.bob, "#bobs")
        self.chat.moderation.setModes(self.bob, "#bobs", parseModes("+ik", ["k"]))
        self.chat.moderation.ban(self.bob, "#bobs", BAN, "olga")
        self.chat.join(self.olga, "#bobs")
        self.chat.moderation.invite(self.olga, "#bobs", self.carol)
        self.chat.join(self.carol, "#bobs")
        self.chat.moderation.kick(self.olga, "#bobs", "carol", "out")
        self.assertIn(Kicked("#bobs", "carol", "olga", NOW, "out"), self.bobSees.events)
        self.assertRaises(
            NotOperator, self.chat.moderation.kick, self.bob, "#bobs", "olga", ""
        )
        self.assertEqual(
            self.chat.roomOf(self.olga, "#bobs").members[self.olga].rank, Rank.MEMBER
        )


class ActionTests(ServerOperatorTestCase):
    def test_kill(self) -> None:
        self.chat.join(self.bob, "#a")
        self.chat.join(self.carol, "#a")
        self.carolSees.take()
        self.assertRaises(NotServerOperator, self.operators.kill, self.carol, "bob", "")
        self.operators.kill(self.olga, "bob", "spam")
        self.assertEqual(
            self.carolSees.events, [Quit("bob", NOW, "Killed by olga: spam")]
        )
        self.assertIn(Goodbye("kicked", "Killed by olga: spam"), self.bobSees.events)
        self.assertRaises(NotPermitted, self.operators.kill, self.olga, "server", "")

    def test_suspend(self) -> None:
        """
        A suspended account may not log in, and its session ends; lifting
        the suspension lets it in again.
        """
        self.successResultOf(self.accounts.register("carol", PASSWORD))
        self.chat.registered("carol")
        self.successResultOf(self.accounts.login("carol", PASSWORD, "a", None))
        self.successResultOf(self.chat.bindAccount(self.carol, "carol"))
        self.assertRaises(
            NotServerOperator,
            self.operators.suspend,
            self.bob,
            "carol",
            True,
        )
        self.successResultOf(self.operators.suspend(self.olga, "Carol", True, "abuse"))
        self.assertFalse(self.carol.present)
        self.assertIn(
            Goodbye("kicked", "Account suspended: abuse"), self.carolSees.events
        )
        self.failureResultOf(
            self.accounts.login("carol", PASSWORD, "a", None), AccountSuspended
        )
        self.successResultOf(self.operators.suspend(self.olga, "carol", False))
        self.successResultOf(self.accounts.login("carol", PASSWORD, "a", None))
        self.failureResultOf(
            self.operators.suspend(self.olga, "nobody", True), NoSuchAccount
        )

    def test_serverBan(self) -> None:
        """
        A server ban disconnects those connected from the range, and refuses
        later connections from it with a line saying until when and why.
        """
        self.operators.ban(self.olga, "192.168.0.0/16", 3600, "school's out")
        self.assertFalse(self.carol.present)
        self.assertTrue(self.bob.present)
        error = self.assertRaises(
            Banned,
            self.chat.connect,
            RecordingParticipant(),
            address="192.168.5.5",
        )
        self.assertEqual(
            error.message,
            "Your address is banned from this server until 2023-11-14 23:13 UTC:"
            " school's out.",
        )
        self.clock.advance(3600)
        self.chat.connect(RecordingParticipant(), address="192.168.5.5")

    def test_serverBanNamesAddresses(self) -> None:
        self.assertRaises(BadMask, self.operators.ban, self.olga, "bob", None, "")
        self.assertRaises(
            NotServerOperator, self.operators.ban, self.bob, "1.2.3.4", None, ""
        )
        self.operators.ban(self.olga, "1.2.3.4", None, "")
        self.operators.unban(self.olga, "*!*@1.2.3.4")
        self.chat.connect(RecordingParticipant(), address="1.2.3.4")

    def test_announce(self) -> None:
        self.operators.announce(self.olga, "restart at noon")
        notice = Announcement("olga", NOW, "restart at noon")
        for seen in (self.consoleSees, self.olgaSees, self.bobSees, self.carolSees):
            self.assertEqual(seen.take(), [notice])
        self.assertRaises(NotServerOperator, self.operators.announce, self.bob, "hi")


class AuditTests(ServerOperatorTestCase):
    def test_everyActionIsWrittenDown(self) -> None:
        """The log keeps who did what to whom, newest first, with reasons."""
        self.chat.join(self.bob, "#a")
        self.chat.join(self.carol, "#a")
        self.chat.moderation.setRank(self.bob, "#a", "carol", Rank.VOICE)
        self.chat.moderation.kick(self.bob, "#a", "carol", "noise")
        self.operators.kill(self.olga, "carol", "more noise")
        lines = self.audit(self.olga)
        self.assertEqual(
            [
                (line.actor, line.action, line.room, line.target, line.reason)
                for line in lines
            ],
            [
                ("olga", "kill", "*", "carol", "more noise"),
                ("bob", "kick", "#a", "carol", "noise"),
                ("bob", "voice", "#a", "carol", ""),
            ],
        )
        self.assertEqual([line.id for line in lines], [3, 2, 1])

    def test_whoReadsIt(self) -> None:
        """Server operators read it all; a founder its room's; nobody else."""
        self.chat.registered("bob")
        self.successResultOf(self.chat.bindAccount(self.bob, "bob"))
        self.chat.join(self.bob, "#a")
        self.chat.moderation.claim(self.bob, "#a")
        self.chat.join(self.carol, "#b")
        self.chat.moderation.setModes(self.carol, "#b", parseModes("+m", []))
        self.assertEqual([line.room for line in self.audit(self.bob, "#a")], ["#a"])
        self.assertEqual(len(self.audit(self.olga)), 2)
        self.assertRaises(
            NotServerOperator, self.operators.auditLog, self.bob, None, None, 5
        )
        self.assertRaises(
            NotFounder, self.operators.auditLog, self.carol, "#b", None, 5
        )


class BoundsTests(ServerOperatorTestCase):
    def test_serverBansBounded(self) -> None:
        """The server keeps at most SERVER_BAN_MAX bans; replacing one is fine."""
        from twisted_chat.chat import serverops
        from twisted_chat.chat.errors import ListFull

        self.patch(serverops, "SERVER_BAN_MAX", 3)
        for n in range(3):
            self.operators.ban(self.olga, f"203.0.113.{n}", None, "")
        self.assertRaises(
            ListFull, self.operators.ban, self.olga, "203.0.113.9", None, ""
        )
        self.operators.ban(self.olga, "203.0.113.0", 60, "again")

    def test_auditPageBounded(self) -> None:
        """One page of the audit log is at most AUDIT_PAGE_MAX entries."""
        from twisted_chat.chat import serverops

        self.patch(serverops, "AUDIT_PAGE_MAX", 2)
        for n in range(4):
            self.operators.announce(self.olga, f"notice {n}")
        self.olgaSees.take()
        self.successResultOf(self.operators.auditLog(self.olga, None, None, 50))
        lines = [e for e in self.olgaSees.take() if isinstance(e, AuditLine)]
        self.assertEqual([line.target for line in lines], ["*", "*"])
        self.assertEqual(len(lines), 2)
