"""
Tests for what an idle connection holds: the parts of a front end that
only some clients use are made when a client first uses them, so that
thousands of idle connections cost little (docs/PERFORMANCE.md, "Idle
memory per connection").
"""

from twisted_chat.frontends.irc.commands import HANDLERS

from ..clients import IRCTestCase


class IRCCommandPartsTests(IRCTestCase):
    def test_everyCommandHasItsHandler(self) -> None:
        """Each command word of the table finds a method of a registered client."""
        client = self.register("alice")
        for command in HANDLERS:
            self.assertTrue(
                callable(client.protocol.commands.handler(command)), command
            )

    def test_unknownCommand(self) -> None:
        """A command word the table does not have finds no handler."""
        client = self.register("alice")
        self.assertIsNone(client.protocol.commands.handler("FROB"))

    def test_idleClientMakesNoParts(self) -> None:
        """A client that has only registered has made none of its command parts."""
        client = self.register("alice")
        made = set(vars(client.protocol.commands))
        self.assertEqual(made, {"client", "chat", "registration"})

    def test_partMadeOnce(self) -> None:
        """A part is made when the client first needs it, then kept."""
        client = self.register("alice")
        client.send("WHOIS alice")
        queries = client.protocol.commands.queries
        client.send("NAMES #nowhere")
        self.assertIs(client.protocol.commands.queries, queries)
