"""
Tests for L{twisted_chat.app.statistics}: the running server's figures
behind a server operator's C{/stats}.
"""

from typing import Any

from twisted.internet.defer import Deferred, fail
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.app.service import ServerService
from twisted_chat.app.statistics import (
    SAMPLE_INTERVAL,
    STORE_TIMEOUT,
    ServerFigures,
    quantile,
)
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.meters import METERS
from twisted_chat.store.memory import MemoryStore

from ..clients import Client, IRCClient
from ..helpers import makeAccounts, makeChat


class QuantileTests(SynchronousTestCase):
    def test_nearestRank(self) -> None:
        """A quantile is the value at its rank, the lowest that covers it."""
        values = [float(n) for n in range(100, 0, -1)]
        self.assertEqual(quantile(values, 0.5), 50.0)
        self.assertEqual(quantile(values, 0.99), 99.0)
        self.assertEqual(quantile([3.0], 0.99), 3.0)


class SilentStore(MemoryStore):
    """A store whose size never comes."""

    def size(self) -> Deferred[int]:
        return Deferred()


class BrokenStore(MemoryStore):
    def size(self) -> Deferred[int]:
        return fail(OSError("disk gone"))


class ServerFiguresTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.store = MemoryStore()
        self.makeServer()

    def makeServer(self) -> None:
        self.chat, self.clock = makeChat(store=self.store)
        accounts = makeAccounts(self.chat, self.clock)
        self.service = ServerService(self.chat, accounts, self.clock)
        self.line = LineChatFactory(self.chat, accounts, self.clock)
        self.irc = IRCChatFactory(self.chat, accounts, self.clock)
        self.service.addFrontEnd(self.line)
        self.service.addFrontEnd(self.irc)
        self.figures = ServerFigures(self.service, self.clock)
        self.figures.startService()
        self.addCleanup(self.figures.stopService)

    def read(self) -> dict[str, str]:
        figures = self.successResultOf(self.figures.read())
        return {figure.name: figure.value for figure in figures}

    def commit(self, count: int) -> None:
        """Count C{count} room messages as committed."""
        METERS.stored["room"] += count

    def test_figures(self) -> None:
        """
        Every figure is named, in the order /stats tells them: uptime,
        connections per front end, members, rooms, messages of the last
        minute and hour, the store's size, commit times, slow readers.
        """
        figures = self.successResultOf(self.figures.read())
        self.assertEqual(
            [figure.name for figure in figures],
            ["uptime-seconds", "connections-irc", "connections-line", "members",
             "rooms", "messages-last-minute", "messages-last-hour", "store-bytes",
             "commit-p50-ms", "commit-p99-ms", "slow-readers"],
        )  # fmt: skip

    def test_uptimeConnectionsMembersRooms(self) -> None:
        """
        The uptime counts from the service's start; connections are counted
        per front end, members here and the rooms they are in.
        """
        self.clock.advance(7980.4)
        ann = Client(self.line, self.clock)
        ann.send(b"/nick ann\n/join #a\n/join #b\n")
        Client(self.line, self.clock)
        bob = IRCClient(self.irc, self.clock)
        bob.send("NICK bob", "USER bob 0 * :Bob")
        figures = self.read()
        self.assertEqual(
            [figures[name] for name in ("uptime-seconds", "connections-line",
             "connections-irc", "members", "rooms")],
            ["7980", "2", "1", "3", "2"],
        )  # fmt: skip

    def test_messagesOverTheLastMinuteAndHour(self) -> None:
        """
        The messages of the last minute and hour are counted from samples
        taken every few seconds; before a minute has passed, since the start.
        """
        self.commit(5)
        self.assertEqual(self.read()["messages-last-minute"], "5")
        for _ in range(int(3600 / SAMPLE_INTERVAL)):
            self.commit(1)
            self.clock.advance(SAMPLE_INTERVAL)
        figures = self.read()
        # One a sample: the minute holds 12 of them; the hour began at the
        # start, before the first 5.
        self.assertEqual(figures["messages-last-minute"], "12")
        self.assertEqual(figures["messages-last-hour"], "725")
        self.commit(1)
        self.clock.advance(SAMPLE_INTERVAL)
        self.assertEqual(self.read()["messages-last-hour"], "720")
        self.clock.advance(3 * 3600)
        self.assertEqual(self.read()["messages-last-hour"], "0")

    def test_commitTimes(self) -> None:
        """
        The commit times are the quantiles of the latest commits, in
        milliseconds; with none yet, C{-}.
        """
        kept = list(METERS.recentCommits)
        self.addCleanup(METERS.recentCommits.extend, kept)
        self.addCleanup(METERS.recentCommits.clear)
        METERS.recentCommits.clear()
        figures = self.read()
        self.assertEqual(
            (figures["commit-p50-ms"], figures["commit-p99-ms"]), ("-", "-")
        )
        for milliseconds in range(1, 101):
            METERS.commitTook(milliseconds / 1000)
        figures = self.read()
        self.assertEqual(
            (figures["commit-p50-ms"], figures["commit-p99-ms"]), ("50.00", "99.00")
        )

    def test_slowReaders(self) -> None:
        """A client whose output is held is a slow reader until it reads."""
        ann = Client(self.line, self.clock)
        Client(self.line, self.clock)
        self.assertEqual(self.read()["slow-readers"], "0")
        ann.transport.producer.pauseProducing()
        self.assertEqual(self.read()["slow-readers"], "1")
        ann.transport.producer.resumeProducing()
        self.assertEqual(self.read()["slow-readers"], "0")

    def test_storeSize(self) -> None:
        """The store's size, as it says."""
        self.assertEqual(self.read()["store-bytes"], "0")

    def test_storeNotAnswering(self) -> None:
        """
        A store that does not say its size in time, or fails, leaves it
        C{-}; the other figures still come.
        """
        self.store = SilentStore()
        self.makeServer()
        reading: Deferred[Any] = self.figures.read()
        self.assertNoResult(reading)
        self.clock.advance(STORE_TIMEOUT)
        figures = {
            figure.name: figure.value for figure in self.successResultOf(reading)
        }
        self.assertEqual((figures["store-bytes"], figures["members"]), ("-", "0"))
        self.store = BrokenStore()
        self.makeServer()
        self.assertEqual(self.read()["store-bytes"], "-")
        self.assertEqual(self.clock.getDelayedCalls(), [self.figures._loop.call])
