"""
Moderation across a restart: what a founded room and the server's
operators keep in the SQLite store comes back in a new chat on the same
file.
"""

from twisted.internet import reactor
from twisted.python.filepath import FilePath
from twisted.trial.unittest import TestCase

from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import Banned, Muted
from twisted_chat.chat.model import Member
from twisted_chat.chat.modes import BAN, MUTE, Rank, parseModes
from twisted_chat.store.sqlite import SQLiteStore

from ..helpers import RecordingParticipant


class RestartTests(TestCase):
    def setUp(self) -> None:
        self.path = FilePath(self.mktemp())
        self.path.parent().makedirs(ignoreExistingDirectory=True)

    def start(self) -> tuple[Chat, SQLiteStore]:
        store = SQLiteStore(self.path.path, reactor)
        return Chat(reactor, store), store

    def member(self, chat: Chat, nick: str, address: str, account: bool) -> Member:
        member = chat.connect(RecordingParticipant(), nick=nick, address=address)
        if account:
            chat.registered(nick)
            chat.bindAccount(member, nick)
        return member

    async def test_foundedRoomSurvives(self) -> None:
        """
        The founder, ranks given to accounts, settings, bans, mutes, server
        bans and granted server operators all survive a restart; an
        unfounded room's order does not.
        """
        chat, store = self.start()
        console = chat.connect(RecordingParticipant(), privileged=True)
        alice = self.member(chat, "alice", "10.0.0.1", account=True)
        bob = self.member(chat, "bob", "10.0.0.2", account=True)
        chat.join(alice, "#kept")
        chat.join(bob, "#kept")
        chat.moderation.claim(alice, "#kept")
        chat.moderation.setRank(alice, "#kept", "bob", Rank.VOICE)
        chat.moderation.setModes(alice, "#kept", parseModes("+sk", ["sesame"]))
        chat.moderation.ban(alice, "#kept", BAN, "troll*", reason="no trolls")
        chat.moderation.ban(alice, "#kept", MUTE, "10.0.0.0/8")
        chat.join(bob, "#loose")
        chat.moderation.setModes(bob, "#loose", parseModes("+m", []))
        chat.operators.ban(console, "192.0.2.0/24", None, "abuse")
        chat.operators.grant(console, "bob", True)
        await store.close()

        chat, store = self.start()
        self.addCleanup(store.close)
        kept = chat.join(
            self.member(chat, "carol", "10.0.0.3", False), "#kept", "sesame"
        )
        self.assertEqual(kept.accountRanks, {"alice": Rank.FOUNDER, "bob": Rank.VOICE})
        self.assertTrue(kept.settings.secret)
        self.assertEqual(kept.settings.key, "sesame")
        alice = self.member(chat, "alice", "10.0.0.1", account=True)
        chat.join(alice, "#kept", "sesame")
        self.assertEqual(kept.members[alice].rank, Rank.FOUNDER)
        troll = self.member(chat, "trollface", "203.0.113.9", False)
        self.assertRaises(Banned, chat.join, troll, "#kept", "sesame")
        carol = chat.memberNamed("carol")
        self.assertRaises(Muted, chat.say, carol, "#kept", "hi")
        self.assertRaises(
            Banned, chat.connect, RecordingParticipant(), address="192.0.2.7"
        )
        bob = self.member(chat, "bob", "10.0.0.2", account=True)
        self.assertTrue(chat.operators.isServerOperator(bob))
        loose = chat.join(self.member(chat, "dave", "10.0.0.4", False), "#loose")
        self.assertFalse(loose.settings.moderated)
