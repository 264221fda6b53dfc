"""
Crash tests: clients talk continuously while the server process is killed
with SIGKILL at random moments, several times, and started again with the
same command.  Nothing any client saw, and nothing whose acceptance was
confirmed to its sender, may be missing or doubled afterwards; every client
that resumed must end with the complete, gap-free sequence.

The clients here are raw line-protocol clients that resume as the real
client does (C{/resume #room LAST} after each reconnection); the real client
is tried against a restarted server in L{tests.endtoend.test_endtoend}.
"""

import os
import random
import re
import signal
import sqlite3

from twisted.application.internet import ClientService
from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory
from twisted.internet.task import LoopingCall, deferLater

from twisted_chat.chat.events import HistoryEnd, HistoryGap, RoomMessage

from .processes import WAIT, EventLine, ProcessTestCase

ROOM = "#chaos"
CLIENTS = 4
SEND_INTERVAL = 0.01
KILLS = 3


class ResumingClient:
    """
    A participant that sends a numbered line every L{SEND_INTERVAL} while
    connected, records every message of L{ROOM} it receives, and resumes
    from the last one after each reconnection.

    @ivar received: sequence number to (sender, text), for every message of
        the room received live or replayed.
    @ivar problems: duplicates and gaps seen, which must stay empty.
    @ivar confirmed: the texts of its own messages that came back to it.
    """

    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.received: dict[int, tuple[str, str]] = {}
        self.problems: list[str] = []
        self.confirmed: set[str] = set()
        self.lastSeen = 0
        self.sent = 0
        self.connections = 0
        self.line: EventLine | None = None
        self.caughtUp: Deferred[None] = Deferred()
        self._waiting: list[tuple[str, Deferred[None]]] = []
        factory = Factory.forProtocol(lambda: EventLine(self))
        self.service = ClientService(
            TCP4ClientEndpoint(reactor, "127.0.0.1", port),
            factory,
            retryPolicy=lambda attempt: 0.05,
        )
        self.sender = LoopingCall(self.sendOne)

    def connected(self, line: "EventLine") -> None:
        self.line = line
        self.connections += 1
        line.say(f"/nick {self.name}")
        if self.connections == 1:
            line.say(f"/join {ROOM}")
        else:
            line.say(f"/resume {ROOM} {self.lastSeen}")

    def disconnected(self) -> None:
        self.line = None
        if self.caughtUp.called:
            self.caughtUp = Deferred()

    def sendOne(self) -> None:
        if self.line is not None and self.caughtUp.called:
            self.sent += 1
            self.line.say(f"{self.name}-{self.sent}")

    def eventReceived(self, event: object) -> None:
        match event:
            case RoomMessage(room, sequence, _, sender, text) if room == ROOM:
                if sequence in self.received:
                    self.problems.append(f"{self.name} got {sequence} twice")
                self.received[sequence] = (sender, text)
                self.lastSeen = max(self.lastSeen, sequence)
                if sender == self.name:
                    self.confirmed.add(text)
                for pattern, waiter in list(self._waiting):
                    if re.fullmatch(pattern, text):
                        self._waiting.remove((pattern, waiter))
                        waiter.callback(None)
            case HistoryGap(room, first, last) if room == ROOM:
                self.problems.append(f"{self.name} was told of a gap {first}-{last}")
            case HistoryEnd(room, _, through, kind) if room == ROOM and kind != "page":
                self.lastSeen = max(self.lastSeen, through)
                if not self.caughtUp.called:
                    self.caughtUp.callback(None)

    def waitForText(self, pattern: str) -> Deferred[None]:
        if any(re.fullmatch(pattern, text) for _, text in self.received.values()):
            return Deferred.fromCoroutine(_nothing())
        waiter: Deferred[None] = Deferred()
        self._waiting.append((pattern, waiter))
        return waiter.addTimeout(WAIT, reactor)


async def _nothing() -> None:
    return None


class CrashTests(ProcessTestCase):
    timeout = 120

    async def test_killedRepeatedly(self) -> None:
        """
        SIGKILL the server at random moments while clients talk: afterwards
        every message received or confirmed is stored exactly once, the file
        is sound, and each client has every message, once, without a gap.
        """
        seed = int.from_bytes(os.urandom(4), "big")
        chance = random.Random(seed)
        note = f"(random seed {seed})"
        database = self.directory.child("chat.sqlite3").path
        # The clients send far faster than a person: lift flood control.
        limits = ("--flood-rate", "0")
        server, port = await self.startServer(*limits)
        clients = [ResumingClient(f"c{n}", port) for n in range(CLIENTS)]
        for client in clients:
            client.service.startService()
            self.addCleanup(client.service.stopService)
        await gatherResults([client.caughtUp for client in clients])
        for client in clients:
            client.sender.start(SEND_INTERVAL)
            self.addCleanup(lambda c=client: c.sender.running and c.sender.stop())

        for _ in range(KILLS):
            await deferLater(reactor, chance.uniform(0.3, 1.0), lambda: None)
            server.transport.signalProcess("KILL")
            await server.exited()
            server, _ = await self.startServer(*limits, port=port)
            await gatherResults([client.caughtUp for client in clients])

        await deferLater(reactor, 0.3, lambda: None)
        for client in clients:
            client.sender.stop()
            client.line.say(f"{client.name}-done")  # type: ignore[union-attr]
        await gatherResults(
            [
                client.waitForText(f"{other.name}-done")
                for client in clients
                for other in clients
            ]
        )
        server.transport.signalProcess(signal.SIGTERM)
        await server.exited()

        connection = sqlite3.connect(database)
        self.addCleanup(connection.close)
        self.assertEqual(
            connection.execute("PRAGMA integrity_check").fetchall(), [("ok",)]
        )
        stored = {
            sequence: (sender, text)
            for sequence, sender, text in connection.execute(
                "SELECT sequence, sender, text FROM messages WHERE room = ?", (ROOM,)
            )
        }
        texts = [text for _, text in stored.values()]
        self.assertEqual(len(texts), len(set(texts)), f"a message stored twice {note}")
        everything = set(range(1, max(stored) + 1))
        self.assertEqual(set(stored), everything, f"the store has a gap {note}")
        for client in clients:
            self.assertEqual(client.problems, [], note)
            self.assertGreater(client.connections, KILLS, note)
            for sequence, message in client.received.items():
                self.assertEqual(stored.get(sequence), message, f"{client.name} {note}")
            self.assertTrue(client.confirmed <= set(texts), f"{client.name} {note}")
            self.assertEqual(set(client.received), everything, f"{client.name} {note}")
        self.assertGreater(len(stored), CLIENTS * KILLS * 5, note)
