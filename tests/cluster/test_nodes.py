"""
End-to-end tests of a cluster: three real C{twistd -n chat} nodes on one
PostgreSQL and one Redis (L{tests.cluster.nodes}), with raw line-protocol
clients on each.  A room's messages said on any node reach every member on
every node once, in the database's order, without a gap; and so they still
do after a node is killed with SIGKILL (its clients moving to the others and
resuming) and after Redis goes away and comes back (the nodes catching up
from PostgreSQL).

Only room messages are checked here, not presence, private messages or nicks
across nodes: a client that moves to another node may have to talk under a
guest nick while the dead node's session still holds its own
(docs/SCALING.md, "Failures"), so lines are known by their text.
"""

from twisted.internet.defer import Deferred

from .nodes import ClusterTestCase, Node, RoomClient, saidBy

ROOM = "#cluster"
NODES = 3
CLIENTS_PER_NODE = 2
SAID_EACH = 20
"""Lines each client says at once in the order test."""
SEND_INTERVAL = 0.05
"""Seconds between a talking client's lines in the crash and Redis tests."""
TRAFFIC = 25
"""Messages every client must receive between two steps of those tests."""


class ClusterTests(ClusterTestCase):
    async def allReceive(self, clients: list[RoomClient], more: int) -> None:
        """Wait until every client has received C{more} messages beyond now."""
        await self.everyone(
            [client.waitForCount(len(client.received) + more) for client in clients]
        )

    async def finish(self, clients: list[RoomClient]) -> list[tuple[int, str, str]]:
        """
        Stop the talk, have each client say a last line and wait until every
        client has every last line (so nothing is still on its way), and
        check what every client has against the room's stored history,
        which is returned.
        """
        for client in clients:
            client.stopTalking()
        for client in clients:
            client.say(f"{client.name}-done")
        await self.everyone(
            [
                client.waitForText(f"{other.name}-done")
                for client in clients
                for other in clients
            ]
        )
        stored = self.storedMessages(ROOM)
        sequences = [sequence for sequence, _, _ in stored]
        texts = [text for _, _, text in stored]
        self.assertEqual(sequences, list(range(1, len(stored) + 1)), "stored gap")
        self.assertEqual(len(texts), len(set(texts)), "a message stored twice")
        history = {sequence: (sender, text) for sequence, sender, text in stored}
        problems = [problem for client in clients for problem in client.problems]
        if problems:
            self.fail("\n".join([*problems, self.nodeLogs()]))
        for client in clients:
            self.assertEqual(client.received, history, client.name)
            self.assertEqual(client.order, sequences, client.name)
            self.assertLessEqual(client.confirmed, set(texts), client.name)
        return stored

    async def test_orderAcrossNodes(self) -> None:
        """
        Two clients on each of three nodes each say a burst of lines at the
        same moment: every client receives every line once, all in the same
        order, numbered 1, 2, 3... as stored, each sender's in the order it
        said them.
        """
        nodes = await self.startNodes(NODES)
        clients = await self.connectClients(ROOM, nodes, CLIENTS_PER_NODE)
        for n in range(1, SAID_EACH + 1):
            for client in clients:
                client.say(f"{client.name}-{n}")
        stored = await self.finish(clients)
        self.assertEqual(len(stored), len(clients) * (SAID_EACH + 1))
        for client in clients:
            self.assertEqual(len(client.ports), 1, f"{client.name} reconnected")
            self.assertEqual(
                [text for _, _, text in stored if saidBy(client.name, text)],
                [f"{client.name}-{n}" for n in range(1, SAID_EACH + 1)]
                + [f"{client.name}-done"],
            )

    async def test_nodeKilled(self) -> None:
        """
        A node is killed with SIGKILL while everyone talks: its clients
        resume on the other nodes, the others talk on; the node is started
        again and a newcomer there gets the whole history and is heard.
        Every confirmed line is stored once, and every client has every
        stored line once, in order, without a gap.
        """
        nodes = await self.startNodes(NODES)
        clients = await self.connectClients(ROOM, nodes, CLIENTS_PER_NODE)
        for client in clients:
            client.startTalking(SEND_INTERVAL)
        await self.allReceive(clients, TRAFFIC)

        victim = nodes[-1]
        moved = [c for c in clients if c.ports[0] == victim.port]
        await self.killNode(victim)
        await self.everyone([movedOn(client, victim) for client in moved])
        await self.allReceive(clients, TRAFFIC)

        # Quiet while the node restarts: on a slow machine the talk would
        # otherwise pass the most a resume replays (RESUME_LIMIT), and the
        # newcomer would rightly be told of a gap before it.
        for client in clients:
            client.stopTalking()
        await self.restartNode(victim)
        newcomer = self.startRoomClient("late", ROOM, [victim.port], resumeFrom=0)
        await self.everyone([newcomer.waitCaughtUp()])
        for client in clients:
            client.startTalking(SEND_INTERVAL)
        newcomer.startTalking(SEND_INTERVAL)
        everyone = [*clients, newcomer]
        await self.everyone(
            [client.waitForText("late-3") for client in everyone]
            + [newcomer.waitForCount(len(client.received) + 3) for client in clients]
        )

        await self.finish(everyone)
        for client in moved:
            self.assertEqual(len(client.ports), 2, client.name)
            self.assertNotEqual(client.ports[1], victim.port, client.name)
        for client in clients:
            if client not in moved:
                self.assertEqual(len(client.ports), 1, client.name)

    async def test_redisRestarted(self) -> None:
        """
        Redis is killed while everyone talks: each node goes on serving its
        own clients, and says once that the bus is down.  The talk stops,
        leaving each node behind on what the others said; Redis is started
        again, each node says once that the bus is back, and with no one
        saying anything more every client is given what it missed, from the
        database.  Talk then goes on, and every client ends with every
        stored line once, in order, without a gap.
        """
        nodes = await self.startNodes(NODES)
        await self.everyone(
            [node.waitForLog(r"The bus is connected") for node in nodes]
        )
        clients = await self.connectClients(ROOM, nodes, CLIENTS_PER_NODE)
        for client in clients:
            client.startTalking(SEND_INTERVAL)
        await self.allReceive(clients, TRAFFIC)

        self.redis.stop()
        await self.everyone(
            [node.waitForLog(r"The bus cannot reach") for node in nodes]
        )
        # c0 and c1 of a node are each other's mates, and so on.
        mates = [(client, clients[n ^ 1]) for n, client in enumerate(clients)]
        await self.everyone([hearsMore(client, mate.name, 5) for client, mate in mates])
        for client in clients:
            client.stopTalking()
        await self.everyone(
            [
                client.waitForText(f"{said.name}-{said.sent}")
                for client, mate in mates
                for said in (client, mate)
            ]
        )
        said = len(self.storedMessages(ROOM))
        self.assertTrue(
            [client for client in clients if len(client.received) < said],
            "every node knew everything without Redis: nothing to catch up",
        )

        self.redis.start()
        await self.everyone([node.waitForLog(r"The bus is back") for node in nodes])
        await self.everyone([client.waitForCount(said) for client in clients])
        for client in clients:
            client.startTalking(SEND_INTERVAL)
        await self.allReceive(clients, TRAFFIC)

        await self.finish(clients)
        for client in clients:
            self.assertEqual(len(client.ports), 1, client.name)
        for node in nodes:
            self.assertEqual(node.count(r"The bus cannot reach"), 1, node.output)
            self.assertEqual(node.count(r"The bus is back"), 1, node.output)


def movedOn(client: RoomClient, gone: Node) -> Deferred[None]:
    """Fire once C{client} has resumed on a node other than C{gone}."""
    return client.when(
        lambda: (
            client.line is not None
            and client.ports[-1] != gone.port
            and client.caughtUp.called
        ),
        f"resumed on a node other than {gone.name}",
    )


def hearsMore(client: RoomClient, sender: str, more: int) -> Deferred[None]:
    """Fire once C{client} has received C{more} lines of client C{sender} beyond now."""
    target = client.heardFrom(sender) + more
    return client.when(
        lambda: client.heardFrom(sender) >= target,
        f"heard {more} more from {sender}",
    )
