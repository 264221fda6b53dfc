"""
Tests for durability and history in L{twisted_chat.chat.core.Chat}: messages
delivered only once committed, and joins, resumes and /history that neither
skip nor repeat a message.

A L{ManualStore} holds every store operation, in order, until flushed, as the
SQLite store's thread would.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.commands import QuitCommand, Say
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import (
    NickRegistered,
    NoSuchNick,
    StoreFailed,
    TooManyWaiting,
)
from twisted_chat.chat.events import (
    AccountInfo,
    Event,
    Goodbye,
    HistoryEnd,
    HistoryGap,
    NickChanged,
    Notice,
    PrivateMessage,
    RoomMessage,
    TopicChanged,
)
from twisted_chat.chat.model import Member
from twisted_chat.frontends.commands.interpreter import CommandInterpreter
from twisted_chat.limits import LOBBY, RESUME_LIMIT
from twisted_chat.store import StoredState, StoreError

from ..helpers import (
    ManualStore,
    RecordingParticipant,
    connectMember,
    makeAccounts,
    makeChat,
)

NOW = 1_700_000_000_000


def sequences(events: list[Event], room: str = "#a") -> list[int]:
    """The sequence numbers of the room messages among C{events}."""
    return [e.sequence for e in events if isinstance(e, RoomMessage) and e.room == room]


def replays(events: list[Event]) -> list[Event]:
    """The replay events (history, gaps, ends) among C{events}."""
    return [
        e
        for e in events
        if isinstance(e, HistoryGap | HistoryEnd)
        or (isinstance(e, RoomMessage) and e.history)
    ]


class DurableTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.store = ManualStore()
        self.chat: Chat
        self.chat, self.clock = makeChat(store=self.store)
        self.alice, self.aliceSees = connectMember(self.chat, "alice")
        self.chat.join(self.alice, "#a")
        self.store.flush()
        self.aliceSees.take()

    def say(self, count: int, member: Member | None = None) -> None:
        for n in range(count):
            self.chat.say(member or self.alice, "#a", f"line {n}")


class DurableBeforeVisibleTests(DurableTestCase):
    def test_deliveredOnlyWhenCommitted(self) -> None:
        """Nobody, not even the sender, sees a message before it is committed."""
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, "#a")
        self.store.flush()
        bobSees.take()
        self.aliceSees.take()
        said = self.chat.say(self.alice, None, "hello")
        self.assertEqual(self.aliceSees.events + bobSees.events, [])
        self.assertNoResult(said)
        self.store.flush()
        message = self.successResultOf(said)
        self.assertEqual(self.aliceSees.events, [message])
        self.assertEqual(bobSees.events, [message])

    def test_storeFailure(self) -> None:
        """A message the store could not commit is not delivered, and the
        sender is told; its number goes to the next message kept."""
        self.store.failNext = True
        said = self.chat.say(self.alice, None, "lost")
        self.store.flush()
        self.failureResultOf(said, StoreFailed)
        self.assertEqual(self.aliceSees.events, [])
        self.chat.say(self.alice, None, "kept")
        self.store.flush()
        self.assertEqual(sequences(self.aliceSees.events), [1])

    def test_failureTakesBackLaterNumbers(self) -> None:
        """
        Messages numbered after one that failed, while it was being
        committed, are refused too; their numbers are given out again, so
        history has no hole and a resume after the last kept has no GAP.
        """
        self.say(1)
        self.store.flush()
        self.store.failNext = True
        failed = [self.chat.say(self.alice, None, f"lost {n}") for n in range(3)]
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, "#a")
        self.store.flush()
        for said in failed:
            self.failureResultOf(said, StoreFailed)
        self.assertEqual(replays(bobSees.events)[-1], HistoryEnd("#a", 1, 1, "join"))
        self.say(2)
        self.store.flush()
        self.assertEqual(sequences(self.aliceSees.take()), [1, 2, 3])
        self.assertEqual(sequences(bobSees.take()), [1, 2, 3])
        kept = self.successResultOf(self.store.memory.messagesBetween("#a", 0, 10, 10))
        self.assertEqual([m.sequence for m in kept], [1, 2, 3])
        carol, carolSees = connectMember(self.chat, "carol")
        self.chat.resume(carol, "#a", 1)
        self.store.flush()
        self.assertEqual([e for e in carolSees.events if isinstance(e, HistoryGap)], [])
        self.assertEqual(sequences(carolSees.events), [2, 3])

    def test_topicDurable(self) -> None:
        """A topic is announced once committed."""
        changed = self.chat.setTopic(self.alice, None, "plans")
        self.assertEqual(self.aliceSees.events, [])
        self.store.flush()
        self.successResultOf(changed)
        self.assertEqual(
            self.aliceSees.events, [TopicChanged("#a", NOW, "alice", "plans")]
        )

    def test_leftBeforeCommit(self) -> None:
        """Someone who left before a message was committed does not get it."""
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, "#a")
        self.store.flush()
        self.chat.say(self.alice, None, "after you left")
        self.chat.part(bob, "#a", "")
        bobSees.take()
        self.store.flush()
        self.assertEqual(bobSees.events, [])


class JoinHistoryTests(DurableTestCase):
    def test_lastMessagesOnJoin(self) -> None:
        """A newcomer gets the room's last messages as history, then the end."""
        self.chat.historyOnJoin = 3
        self.say(5)
        self.store.flush()
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, "#a")
        self.store.flush()
        history = replays(bobSees.events)
        self.assertEqual(sequences(history), [3, 4, 5])
        self.assertTrue(all(e.history for e in history[:3]))  # type: ignore[attr-defined]
        self.assertEqual(history[-1], HistoryEnd("#a", 3, 5, "join"))

    def test_noGapNoDuplicateAcrossTheJoin(self) -> None:
        """
        Messages said before the join but committed after it come once, by
        replay; messages said after the join come once, live.
        """
        self.say(2)
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, "#a")
        self.say(2)
        self.store.flush()
        self.assertEqual(sequences(bobSees.events), [1, 2, 3, 4])
        live = [
            e for e in bobSees.events if isinstance(e, RoomMessage) and not e.history
        ]
        self.assertEqual(sequences(live), [3, 4])

    def test_historyOff(self) -> None:
        """With no history on join, the end still says where live begins."""
        self.chat.historyOnJoin = 0
        self.say(3)
        self.store.flush()
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, "#a")
        self.store.flush()
        self.assertEqual(replays(bobSees.events), [HistoryEnd("#a", 0, 3, "join")])


class ResumeTests(DurableTestCase):
    def test_resumeExactlyTheMissing(self) -> None:
        """A reconnecting member gets every message after the one it saw, once."""
        self.say(10)
        self.store.flush()
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.resume(bob, "#a", 6)
        self.say(2)
        self.store.flush()
        self.assertEqual(sequences(bobSees.events), [7, 8, 9, 10, 11, 12])
        self.assertIn(HistoryEnd("#a", 4, 10, "resume"), bobSees.events)
        self.assertNotIn(HistoryGap, [type(e) for e in bobSees.events])

    def test_resumeUpToDate(self) -> None:
        """Resuming from the last message replays nothing."""
        self.say(3)
        self.store.flush()
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.resume(bob, "#a", 3)
        self.store.flush()
        self.assertEqual(replays(bobSees.events), [HistoryEnd("#a", 0, 3, "resume")])

    def test_gapWhenPruned(self) -> None:
        """Messages retention removed are announced as a gap, never skipped."""
        self.say(10)
        self.store.flush()
        self.store.memory.prune(None, 4)
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.resume(bob, "#a", 2)
        self.store.flush()
        events = replays(bobSees.events)
        self.assertEqual(events[0], HistoryGap("#a", 3, 6))
        self.assertEqual(sequences(events), [7, 8, 9, 10])

    def test_gapBeyondTheLimit(self) -> None:
        """More missing messages than a resume gives: the older part is a gap."""
        self.say(RESUME_LIMIT + 5)
        self.store.flush()
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.resume(bob, "#a", 0)
        self.store.flush()
        events = replays(bobSees.events)
        self.assertEqual(events[0], HistoryGap("#a", 1, 5))
        self.assertEqual(len(sequences(events)), RESUME_LIMIT)

    def test_resumeAfterAutomaticJoin(self) -> None:
        """
        Resuming a room the connection already joined (the lobby) sends only
        what the join's replay did not: no message twice.
        """
        self.chat.historyOnJoin = 3
        for n in range(8):
            self.chat.say(self.alice, None, f"x{n}")
        self.chat.join(self.alice, LOBBY)
        for n in range(8):
            self.chat.say(self.alice, LOBBY, f"lobby {n}")
        self.store.flush()
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, LOBBY)
        self.store.flush()
        self.assertEqual(sequences(bobSees.events, LOBBY), [6, 7, 8])
        self.chat.resume(bob, LOBBY, 2)
        self.store.flush()
        self.assertEqual(sequences(bobSees.events, LOBBY), [6, 7, 8, 3, 4, 5])

    def test_resumeSupersedesPendingJoinReplay(self) -> None:
        """A resume arriving before the join's replay replaces it."""
        self.say(6)
        self.store.flush()
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, "#a")
        self.chat.resume(bob, "#a", 4)
        self.store.flush()
        self.assertEqual(sequences(bobSees.events), [5, 6])

    def test_replayDroppedIfLeft(self) -> None:
        """A member who left before its replay arrived does not get it."""
        self.say(3)
        self.store.flush()
        bob, bobSees = connectMember(self.chat, "bob")
        self.chat.join(bob, "#a")
        self.chat.part(bob, "#a", "")
        bobSees.take()
        self.store.flush()
        self.assertEqual(bobSees.events, [])


class HistoryCommandTests(DurableTestCase):
    def test_latest(self) -> None:
        """/history N gives the newest N, and the end."""
        self.say(10)
        self.store.flush()
        self.aliceSees.take()
        self.chat.history(self.alice, None, None, 3)
        self.store.flush()
        self.assertEqual(sequences(self.aliceSees.events), [8, 9, 10])
        self.assertEqual(self.aliceSees.events[-1], HistoryEnd("#a", 3, 10, "page"))

    def test_before(self) -> None:
        """/history before SEQ pages back from there."""
        self.say(10)
        self.store.flush()
        self.aliceSees.take()
        self.chat.history(self.alice, "#a", 5, 3)
        self.store.flush()
        self.assertEqual(sequences(self.aliceSees.events), [2, 3, 4])
        self.assertNotIn(HistoryGap, [type(e) for e in self.aliceSees.events])

    def test_pagedIntoRetention(self) -> None:
        """Paging back past what is kept says so."""
        self.say(10)
        self.store.flush()
        self.store.memory.prune(None, 4)
        self.aliceSees.take()
        self.chat.history(self.alice, None, 8, 5)
        self.store.flush()
        self.assertEqual(replays(self.aliceSees.events)[0], HistoryGap("#a", 1, 6))
        self.assertEqual(sequences(self.aliceSees.events), [7])


class AccountBindingTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, _ = makeChat()
        self.chat.registered("Bob")

    def test_registeredNickProtected(self) -> None:
        """A guest may not take a registered nick, nor is one handed out."""
        guest, _ = connectMember(self.chat)
        self.assertRaises(NickRegistered, self.chat.changeNick, guest, "BOB")
        self.chat.registered("guest2")
        self.assertEqual(self.chat.connect(RecordingParticipant()).nick, "guest3")

    def test_bind(self) -> None:
        """Logging in takes the account's nick and says so."""
        member, sees = connectMember(self.chat)
        self.successResultOf(self.chat.bindAccount(member, "Bob"))
        self.assertEqual(
            sees.events,
            [
                NickChanged("guest1", "Bob", NOW),
                AccountInfo("Bob", "You are logged in as Bob."),
            ],
        )
        self.assertEqual(member.account, "bob")
        self.chat.changeNick(member, "robert")
        self.chat.changeNick(member, "bob")

    def test_bindReplacesOlderSession(self) -> None:
        """A second login to an account ends the first session."""
        first, firstSees = connectMember(self.chat)
        self.chat.bindAccount(first, "Bob")
        second, _ = connectMember(self.chat)
        firstSees.take()
        self.chat.bindAccount(second, "Bob")
        self.assertEqual(
            firstSees.events, [Goodbye("replaced", "Logged in from elsewhere")]
        )
        self.assertEqual(second.nick, "Bob")

    def test_offlinePrivateMessages(self) -> None:
        """A message to a registered nick who is away waits for its login."""
        alice, aliceSees = connectMember(self.chat, "alice")
        self.successResultOf(self.chat.sendPrivate(alice, "bob", "call me"))
        self.assertEqual(
            aliceSees.events,
            [
                PrivateMessage("alice", "bob", NOW, "call me"),
                Notice("bob is away; they will get it when they next log in."),
            ],
        )
        self.assertRaises(NoSuchNick, self.chat.sendPrivate, alice, "carol", "hi")
        bob, bobSees = connectMember(self.chat)
        self.chat.bindAccount(bob, "Bob")
        self.assertEqual(
            bobSees.events[-1],
            PrivateMessage("alice", "bob", NOW, "call me", offline=True),
        )
        self.chat.quit(bob, "bye")
        again, againSees = connectMember(self.chat)
        self.chat.bindAccount(again, "Bob")
        self.assertNotIn(PrivateMessage, [type(e) for e in againSees.events])


class WaitingPrivateTests(DurableTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.chat.registered("bob")
        self.chat.maxWaitingPrivate = 5
        self.chat.maxWaitingPerSender = 3

    def test_boundPerSenderInFlight(self) -> None:
        """
        Messages sent at the same instant, before any is stored, count at
        once: a fourth from one sender is refused, and nothing is stored
        for it.
        """
        for n in range(3):
            self.chat.sendPrivate(self.alice, "bob", f"m{n}")
        error = self.assertRaises(
            TooManyWaiting, self.chat.sendPrivate, self.alice, "bob", "m3"
        )
        self.assertIn("You already have 3 messages waiting for bob", error.message)
        self.store.flush()
        waiting = self.successResultOf(self.store.memory.takePendingPrivate("bob"))
        self.assertEqual([m.text for m in waiting], ["m0", "m1", "m2"])

    def test_boundPerRecipient(self) -> None:
        """
        Senders together may leave at most the recipient's bound; renaming
        oneself does not get around it.
        """
        for n in range(5):
            self.chat.changeNick(self.alice, f"alias{n}")
            self.chat.sendPrivate(self.alice, "bob", "x")
        self.chat.changeNick(self.alice, "alias9")
        error = self.assertRaises(
            TooManyWaiting, self.chat.sendPrivate, self.alice, "bob", "x"
        )
        self.assertIn("bob already has 5 messages waiting", error.message)

    def test_failedWriteGivesBack(self) -> None:
        """A message the store failed to keep frees its place."""
        self.store.failNext = True
        failed = self.chat.sendPrivate(self.alice, "bob", "lost")
        self.store.flush()
        self.failureResultOf(failed, StoreFailed)
        self.flushLoggedErrors(StoreError)
        for n in range(3):
            self.chat.sendPrivate(self.alice, "bob", f"m{n}")
        self.assertRaises(TooManyWaiting, self.chat.sendPrivate, self.alice, "bob", "x")

    def test_loginEmpties(self) -> None:
        """Once the recipient logs in and gets them, more may wait again."""
        for n in range(3):
            self.chat.sendPrivate(self.alice, "bob", f"m{n}")
        self.store.flush()
        bob, _ = connectMember(self.chat)
        self.chat.bindAccount(bob, "bob")
        self.store.flush()
        self.chat.quit(bob, "bye")
        for n in range(3):
            self.chat.sendPrivate(self.alice, "bob", f"again {n}")

    def test_presentRecipientUnbounded(self) -> None:
        """The bound is on what waits: messages to someone here are not held."""
        bob, _ = connectMember(self.chat)
        self.chat.bindAccount(bob, "bob")
        for n in range(10):
            self.chat.sendPrivate(self.alice, "bob", f"m{n}")

    def test_countsFromTheStore(self) -> None:
        """What already waited before a restart counts."""
        store = ManualStore()
        store.memory.load = lambda: StoredState(
            registeredNicks={"bob"}, waitingPrivate={"bob": {"alice": 3}}
        )
        chat, _ = makeChat(store=store)
        chat.maxWaitingPerSender = 3
        alice, _ = connectMember(chat, "alice")
        self.assertRaises(TooManyWaiting, chat.sendPrivate, alice, "bob", "x")


class QuitOrderTests(DurableTestCase):
    def test_quitWaitsForOwnMessages(self) -> None:
        """A quit right after a message lets the message reach everyone first."""
        interpreter = CommandInterpreter(
            self.chat, self.alice, makeAccounts(self.chat, self.clock)
        )
        interpreter.execute(Say("last words"))
        waiting = interpreter.execute(QuitCommand("bye"))
        assert waiting is not None
        self.assertNoResult(waiting)
        self.assertTrue(self.alice.present)
        self.store.flush()
        self.successResultOf(waiting)
        self.assertEqual(
            [type(event) for event in self.aliceSees.events], [RoomMessage, Goodbye]
        )
