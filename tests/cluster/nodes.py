"""
Several real C{twistd -n chat} nodes sharing one PostgreSQL and one Redis,
for the end-to-end cluster tests, and the room clients that talk to them.

L{ClusterTestCase} gives each test a fresh database on the throw-away
PostgreSQL (L{tests.postgresserver}) and a Redis database number of its own on
the throw-away Redis (L{tests.redisserver}: pub/sub channels carry the number,
so no test hears a node left over from another), and starts, kills and
restarts nodes as L{tests.endtoend.processes} starts a single server.
L{RoomClient} is a raw line-protocol participant in one room that records
every message it gets, checks their order as they arrive, and on losing its
node reconnects (to the next node that answers) and resumes from the last
sequence it saw, as the real client does.  Nothing sleeps: every wait is a
Deferred with a timeout.
"""

import itertools
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from twisted.application.internet import ClientService
from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredList, gatherResults
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.interfaces import (
    IProtocol,
    IProtocolFactory,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure
from zope.interface import implementer

from tests.endtoend.processes import WAIT, Child, EventLine, ProcessTestCase
from tests.postgresserver import PostgresForTests, postgres
from tests.redisserver import ThrowAwayRedis, redis
from twisted_chat.chat.events import HistoryEnd, HistoryGap, RoomMessage

NODE_OPTIONS: Final = ("--flood-rate", "0", "--max-queued-lines", "200")
"""
Every node's limits: the test clients send far faster than people, and a
burst of lines waits for its commits.
"""

RECENT_LINES: Final = 8
"""Lines a client keeps to show when something arrives out of order."""

REDIS_DATABASES: Final = 16
"""How many database numbers a default Redis has, for the tests to share."""

_busNumbers = itertools.count()


@dataclass
class Node:
    """
    One running (or killed) node.

    @ivar name: its C{--node-name}, kept across restarts.
    @ivar port: its line-protocol port, kept across restarts.
    @ivar child: its process; a restart replaces it.
    @ivar logs: the output of each of its processes so far, oldest first,
        for the test's messages and for counting log lines.
    """

    name: str
    port: int
    child: Child
    logs: list[Child] = field(default_factory=list)

    @property
    def output(self) -> str:
        """Everything its processes have logged, in order."""
        return "".join(child.output + child.errors for child in self.logs)

    def count(self, pattern: str) -> int:
        """How many lines of its logs, over all its processes, match C{pattern}."""
        return len(re.findall(pattern, self.output, re.MULTILINE))

    def waitForLog(self, pattern: str) -> "Deferred[re.Match[str]]":
        """Fire when the running process logs a line matching C{pattern}."""
        return self.child.waitForOutput(pattern)


@implementer(IStreamClientEndpoint)
class FailoverEndpoint:
    """
    Connects to the first of several loopback ports; a refused attempt moves
    on to the next port for the next attempt, so a client whose node died
    lands on another one (and stays there).
    """

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._index = 0

    @property
    def port(self) -> int:
        """The port the next attempt goes to."""
        return self.ports[self._index]

    def connect(self, protocolFactory: IProtocolFactory) -> "Deferred[IProtocol]":
        def refused(failure: Failure) -> Failure:
            self._index = (self._index + 1) % len(self.ports)
            return failure

        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.port, timeout=2)
        return endpoint.connect(protocolFactory).addErrback(refused)


class RoomClient:
    """
    A participant in one room, over the raw line protocol: it joins (or
    resumes from a given sequence) on its first connection and resumes from
    the last sequence seen on every later one, records every message of the
    room, and checks as they arrive that their numbers go up by exactly one.

    Its lines say C{NAME-N}, so they are known by their text, not by the
    sender's nick: it asks for the nick C{NAME} on each connection, but
    after moving to another node it may be refused it while the dead node's
    session still holds it (presence across nodes), and then it talks under
    the guest nick it was given.

    @ivar received: sequence number to (sender, text), for every message of
        the room received live or replayed.
    @ivar order: the sequence numbers in the order they arrived.
    @ivar problems: duplicates, gaps and disorder seen; must stay empty.
    @ivar confirmed: the texts of its own lines that came back to it.
    @ivar recent: the last lines received, raw, to show with a problem.
    @ivar ports: the port of each connection it made, in order.
    @ivar caughtUp: fires when the current connection's join or resume
        replay is over; replaced by a new one when the connection is lost.
    """

    def __init__(
        self,
        name: str,
        room: str,
        ports: list[int],
        resumeFrom: int | None = None,
    ) -> None:
        self.name = name
        self.room = room
        self.received: dict[int, tuple[str, str]] = {}
        self.order: list[int] = []
        self.recent: deque[str] = deque(maxlen=RECENT_LINES)
        self.problems: list[str] = []
        self.confirmed: set[str] = set()
        self.ports: list[int] = []
        self.lastSeen = 0
        self.sent = 0
        self.line: _Line | None = None
        self.caughtUp: Deferred[None] = Deferred()
        self._resumeFrom = resumeFrom
        self._waiting: list[tuple[Callable[[], bool], Deferred[None]]] = []
        self._endpoint = FailoverEndpoint(ports)
        self.service = ClientService(
            self._endpoint,
            Factory.forProtocol(lambda: _Line(self)),
            retryPolicy=lambda attempt: 0.05,
        )
        self._talker = LoopingCall(self.sayNext)

    # What the test does

    def sayNext(self) -> None:
        """Say the next numbered line (C{NAME-N}), if caught up on a connection."""
        if self.line is not None and self.caughtUp.called:
            self.sent += 1
            self.line.say(f"{self.name}-{self.sent}")

    def say(self, text: str) -> None:
        """Say C{text} now, on the current connection."""
        assert self.line is not None, f"{self.name} is not connected"
        self.line.say(text)

    def startTalking(self, interval: float) -> None:
        """Say a numbered line every C{interval} seconds until L{stopTalking}."""
        self._talker.start(interval, now=False)

    def stopTalking(self) -> None:
        if self._talker.running:
            self._talker.stop()

    def when(self, condition: Callable[[], bool], what: str) -> Deferred[None]:
        """Fire once C{condition()} holds, checked after every line received."""
        waiter: Deferred[None] = Deferred()
        if condition():
            waiter.callback(None)
            return waiter

        def timedOut(result: Any, timeout: float) -> Any:
            raise AssertionError(
                f"{self.name}: not {what} within {timeout}s; received"
                f" {len(self.received)} messages, up to {self.lastSeen},"
                f" on ports {self.ports}; problems {self.problems}"
            )

        self._waiting.append((condition, waiter))
        return waiter.addTimeout(WAIT, reactor, onTimeoutCancel=timedOut)

    def waitCaughtUp(self) -> Deferred[None]:
        """Fire once connected and through its join or resume replay."""
        return self.when(
            lambda: self.line is not None and self.caughtUp.called, "caught up"
        )

    def waitForText(self, text: str) -> Deferred[None]:
        """Fire once a message saying exactly C{text} was received."""
        return self.when(
            lambda: any(said == text for _, said in self.received.values()),
            f"seen {text!r}",
        )

    def waitForCount(self, count: int) -> Deferred[None]:
        """Fire once C{count} messages of the room were received."""
        return self.when(lambda: len(self.received) >= count, f"seen {count}")

    def heardFrom(self, name: str) -> int:
        """How many lines of client C{name} were received."""
        return sum(1 for _, text in self.received.values() if saidBy(name, text))

    # What the connection tells it

    def connected(self, line: "_Line") -> None:
        self.line = line
        self.ports.append(self._endpoint.port)
        line.say(f"/nick {self.name}")
        if len(self.ports) == 1 and self._resumeFrom is None:
            line.say(f"/join {self.room}")
        else:
            start = self.lastSeen if len(self.ports) > 1 else self._resumeFrom
            line.say(f"/resume {self.room} {start}")

    def _expected(self) -> int | None:
        """The sequence the next message must have, if known."""
        if self.order:
            return self.order[-1] + 1
        return None if self._resumeFrom is None else self._resumeFrom + 1

    def disconnected(self) -> None:
        self.line = None
        if self.caughtUp.called:
            self.caughtUp = Deferred()

    def eventReceived(self, event: object) -> None:
        match event:
            case RoomMessage(room, sequence, _, sender, text) if room == self.room:
                if sequence in self.received:
                    self.problems.append(f"{self.name} got {sequence} twice")
                elif (expected := self._expected()) is not None and (
                    sequence != expected
                ):
                    self.problems.append(
                        f"{self.name} got {sequence} after {self.order[-1:]};"
                        f" its last lines: {list(self.recent)}"
                    )
                self.received[sequence] = (sender, text)
                self.order.append(sequence)
                self.lastSeen = max(self.lastSeen, sequence)
                if saidBy(self.name, text):
                    self.confirmed.add(text)
            case HistoryGap(room, first, last) if room == self.room:
                self.problems.append(f"{self.name} was told of a gap {first}-{last}")
            case HistoryEnd(room, _, through, kind) if (
                room == self.room and kind != "page"
            ):
                if through > self.lastSeen and self.received:
                    self.problems.append(
                        f"{self.name} was told it has everything through {through}"
                        f" but has {self.lastSeen}"
                    )
                self.lastSeen = max(self.lastSeen, through)
                if not self.caughtUp.called:
                    self.caughtUp.callback(None)
        for condition, waiter in list(self._waiting):
            if condition():
                self._waiting.remove((condition, waiter))
                waiter.callback(None)


def saidBy(name: str, text: str) -> bool:
    """Whether C{text} is a line of the client named C{name}."""
    return text.startswith(f"{name}-")


class _Line(EventLine):
    """A room client's connection, keeping its latest lines as they came."""

    def heard(self, line: bytes) -> None:
        self.client.recent.append(line.decode("utf-8", errors="replace"))


class ClusterTestCase(ProcessTestCase):
    """
    Nodes on one fresh PostgreSQL database and one Redis, and clients on
    them; everything is stopped at the end of the test.

    @ivar database: the URL of this test's database.
    @ivar bus: the C{--bus} URL of this test.
    """

    timeout = 60

    def setUp(self) -> None:
        super().setUp()
        self.postgres: PostgresForTests = postgres()
        self.database = self.postgres.newDatabase()
        # Added first, so run last: after every node is killed.
        self.addCleanup(self.postgres.dropDatabase, self.database)
        self.redis: ThrowAwayRedis = redis()
        self.addCleanup(self.redis.ensureRunning)
        self.nodes: list[Node] = []
        self.addCleanup(self.saveLogs)
        number = next(_busNumbers) % REDIS_DATABASES
        self.bus = f"{self.redis.url}/{number}"

    def nodeCommand(self, name: str) -> list[str]:
        """The options of node C{name}, after its C{--listen}."""
        return [
            *("--db", self.database, "--bus", self.bus, "--node-name", name),
            *NODE_OPTIONS,
        ]

    async def startNode(self, name: str, port: int = 0) -> Node:
        """Start node C{name} (on C{port}, else one the system chooses)."""
        child, port = await self.startServer(*self.nodeCommand(name), port=port)
        node = Node(name, port, child, [child])
        self.nodes.append(node)
        return node

    async def startNodes(self, count: int) -> list[Node]:
        """Start nodes C{n1} to C{nCOUNT} at once, and wait until all listen."""
        nodes: list[Node] = await gatherResults(
            [
                Deferred.fromCoroutine(self.startNode(f"n{n}"))
                for n in range(1, count + 1)
            ]
        )
        return nodes

    async def killNode(self, node: Node) -> None:
        """SIGKILL C{node}'s process and wait until it is gone."""
        assert node.child.transport is not None
        node.child.transport.signalProcess("KILL")
        await node.child.exited()

    async def restartNode(self, node: Node) -> None:
        """Start C{node} again, with the same name on the same port."""
        child, _ = await self.startServer(*self.nodeCommand(node.name), port=node.port)
        node.child = child
        node.logs.append(child)

    async def connectClients(
        self, room: str, nodes: list[Node], perNode: int
    ) -> list[RoomClient]:
        """
        Connect C{perNode} clients to each of C{nodes}, each joined to
        C{room}, and return them once every one has joined.  Client C{C} of
        node C{nN} is named C{nNcC}; when its node is gone it tries the
        other nodes in turn, starting with a different one for each C{C}, so
        a dead node's clients spread over the others.
        """
        clients = []
        for index, node in enumerate(nodes):
            others = nodes[index + 1 :] + nodes[:index]
            for c in range(perNode):
                shift = c % len(others) if others else 0
                fallback = others[shift:] + others[:shift]
                ports = [node.port] + [other.port for other in fallback]
                clients.append(self.startRoomClient(f"{node.name}c{c}", room, ports))
        await self.everyone(client.waitCaughtUp() for client in clients)
        return clients

    def startRoomClient(
        self, name: str, room: str, ports: list[int], resumeFrom: int | None = None
    ) -> RoomClient:
        """Start a L{RoomClient}, stopped (and silenced) at the end of the test."""
        client = RoomClient(name, room, ports, resumeFrom)
        client.service.startService()
        self.addCleanup(client.service.stopService)
        self.addCleanup(client.stopTalking)
        return client

    async def everyone(self, waits: Iterable[Deferred[Any]]) -> None:
        """
        Wait for all of C{waits}; if any fails, fail with what each failed
        wait said, the end of every node's log and the database's newest
        messages.
        """
        results = await DeferredList(list(waits), consumeErrors=True)
        failed = [str(result.value) for ok, result in results if not ok]
        if failed:
            raise AssertionError("\n".join([*failed, self.nodeLogs()]))

    def nodeLogs(self, lines: int = 15) -> str:
        """The last C{lines} lines each node logged, and where the rest is."""
        tails = [
            f"--- {node.name} (port {node.port}), last {lines} lines:\n"
            + "\n".join(node.output.splitlines()[-lines:])
            for node in self.nodes
        ]
        return "\n".join(
            [
                *tails,
                self.databaseSummary(),
                f"--- whole logs in {self.directory.path}",
            ]
        )

    def databaseSummary(self, last: int = 3) -> str:
        """Each room's count and last C{last} messages, as stored now."""
        import psycopg

        try:
            with psycopg.connect(self.database, connect_timeout=2) as connection:
                rows = connection.execute(
                    "SELECT room, sequence, sender, text FROM"
                    " (SELECT *, row_number() OVER"
                    " (PARTITION BY room ORDER BY sequence DESC) AS n"
                    " FROM messages) AS newest WHERE n <= %s"
                    " ORDER BY room, sequence",
                    (last,),
                ).fetchall()
        except psycopg.Error as error:
            return f"--- the database cannot be read: {error}"
        return "--- the database's newest messages:\n" + "\n".join(
            f"{room} {sequence} {sender} :{text}"
            for room, sequence, sender, text in rows
        )

    def saveLogs(self) -> None:
        """Keep each node's whole log in the test's directory, as C{NAME.log}."""
        for node in self.nodes:
            self.directory.child(f"{node.name}.log").setContent(
                node.output.encode("utf-8")
            )

    def storedMessages(self, room: str) -> list[tuple[int, str, str]]:
        """C{room}'s messages in the database: (sequence, sender, text), in order."""
        import psycopg

        with psycopg.connect(self.database) as connection:
            rows = connection.execute(
                "SELECT sequence, sender, text FROM messages WHERE room = %s"
                " ORDER BY sequence",
                (room,),
            ).fetchall()
        return [(int(sequence), sender, text) for sequence, sender, text in rows]
