"""
End-to-end tests of the log: C{--log-format json} writes one JSON object
per line; in either format, no password a client sends is ever written.
"""

import json

from .processes import ProcessTestCase

SECRETS = ("first-Secret-1", "wrong-Guess-2", "second-Secret-3")


class LogTests(ProcessTestCase):
    async def passwordsSent(self, *options: str) -> str:
        """
        Register, fail a login, log in, change the password and fail again,
        on a server started with C{options}; return all it wrote.
        """
        server, port = await self.startServer(*options)
        ann = await self.connect(port, "ann")
        first, wrong, second = SECRETS
        ann.say(f"/register {first}")
        await ann.waitFor(r"^ACCOUNT ann ")
        bob = await self.connect(port, "bob")
        bob.say(f"/login ann {wrong}")
        await bob.waitFor(r"^ERROR login-failed ")
        ann.say(f"/password {first} {second}")
        await ann.waitFor(r"^NOTICE ")
        bob.say(f"/login ann {second}")
        await bob.waitFor(r"^ACCOUNT ann ")
        server.transport.signalProcess("TERM")
        await server.exited()
        return server.output + server.errors

    async def test_noPasswordInTheTextLog(self) -> None:
        """The text log names the logins, never a password."""
        written = await self.passwordsSent()
        self.assertIn("History and accounts are kept in", written)
        for secret in SECRETS:
            self.assertNotIn(secret, written)

    async def test_jsonLog(self) -> None:
        """
        With C{--log-format json} each line is one JSON object, those of the
        chat's events with their text; no password is in any.
        """
        written = await self.passwordsSent("--log-format", "json")
        events = [json.loads(line) for line in written.splitlines() if line]
        texts = [event.get("text", "") for event in events]
        self.assertTrue(any("History and accounts are kept in" in t for t in texts))
        self.assertTrue(all("log_time" in event for event in events))
        for secret in SECRETS:
            self.assertNotIn(secret, written)
