"""
End to end: a founded room's order survives a restart of the real server
on the same database (the IRC side of keeping order is in C{test_ircend}).
"""

import signal

from .processes import ProcessTestCase

PASSWORD = "correct-horse"


class ModerationRestartTests(ProcessTestCase):
    async def test_founderAndBansSurviveARestart(self) -> None:
        """
        dana registers, makes #kept, claims it and bans troll*; after a
        SIGTERM and a new start on the same file, a troll is refused with
        the ban's reason, and dana, logged in again, is its founder.
        """
        server, port = await self.startServer()
        dana = await self.connect(port, "dana")
        dana.say(f"/register {PASSWORD}")
        await dana.waitFor(r"^ACCOUNT dana ")
        dana.say("/join #kept")
        await dana.waitFor(r"^CURRENT #kept$")
        dana.say("/claim")
        await dana.waitFor(r"^RANK #kept dana founder dana \S+ operator$")
        dana.say("/ban troll* 1h trolling")
        await dana.waitFor(r"^BAN #kept \S+ dana ban troll\*!\*@\* \S+ :trolling$")
        server.transport.signalProcess(signal.SIGTERM)
        self.assertEqual(await server.exited(), 0)

        server, port = await self.startServer()
        troll = await self.connect(port, "trollface")
        troll.say("/join #kept")
        await troll.waitFor(r"^ERROR banned :You are banned from #kept: trolling\.$")
        again = await self.connect(port, "someone")
        again.say(f"/login dana {PASSWORD}")
        await again.waitFor(r"^ACCOUNT dana ")
        again.say("/join #kept")
        await again.waitFor(r"^MEMBERS #kept :~dana$")
        again.say("/bans")
        await again.waitFor(r"^BANLIST #kept \S+ dana ban troll\*!\*@\* \S+ :trolling$")
