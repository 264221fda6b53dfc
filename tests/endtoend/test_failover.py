"""
End-to-end failover: the real C{twisted-chat} client given two real servers,
one of them killed with C{kill -9}.

The two are independent single-node servers (each its own database), so
they share no rooms: this tests the client moving from one to the other,
not what several nodes of one chat share.
"""

from .processes import ProcessTestCase


class FailoverTests(ProcessTestCase):
    async def test_killedServerFailsOver(self) -> None:
        """
        The client connected to the first server, that server killed: the
        client lands on the second by itself, says so, rejoins its room
        there and goes on talking.
        """
        first, firstPort = await self.startServer("--db", "first.sqlite")
        _, secondPort = await self.startServer("--db", "second.sqlite")
        bob = self.spawn(
            "-m",
            "twisted_chat",
            "--host",
            f"127.0.0.1:{firstPort},127.0.0.1:{secondPort}",
            "--nick",
            "bob",
            "--room",
            "#dev",
        )
        await bob.waitForOutput(rf"connected to 127\.0\.0\.1:{firstPort}$")
        await bob.waitForOutput(r"now talking in #dev")
        bob.type("on the first\n")
        await bob.waitForOutput(r"#dev <bob> on the first")
        first.transport.signalProcess("KILL")
        await first.exited()
        await bob.waitForOutput(r"connection lost .*; reconnecting")
        await bob.waitForOutput(rf"connected to 127\.0\.0\.1:{secondPort}$")
        await bob.waitForOutput(r"reconnected after [0-9.]+ s; caught up")
        watcher = await self.connect(secondPort, "carol")
        watcher.say("/join #dev")
        await watcher.waitFor(r"^MEMBERS #dev :.*\bbob\b")
        bob.type("on the second\n")
        await bob.waitForOutput(r"#dev <bob> on the second")
        bob.type("bye\n")
        self.assertEqual(await bob.exited(), 0)
        self.assertEqual(bob.errors, "")
