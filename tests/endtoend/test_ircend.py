"""
End to end: an IRC client this project did not write (Twisted's own
C{IRCClient}) and the real C{twisted-chat} client, on a real C{twistd chat
--irc}, talk in a room and privately, both ways, and see each other come and
go; an IRC operator's ban and mute hold line-protocol users back.
"""

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory
from twisted.words.protocols.irc import IRCClient

from .processes import ProcessTestCase, Waiters


class RecordingIRCClient(IRCClient):
    """Twisted's IRC client, writing down what it sees, one line each."""

    nickname = "alice"

    def __init__(self) -> None:
        self.seen = ""
        self.waiters = Waiters(lambda: self.seen)
        self.signedOnDeferred: Deferred[None] = Deferred()
        self.lostDeferred: Deferred[None] = Deferred()

    def note(self, line: str) -> None:
        self.seen += line + "\n"
        self.waiters.check(self.seen)

    def waitFor(self, pattern: str) -> Deferred[object]:
        return self.waiters.waitFor(self.seen, pattern)

    def signedOn(self) -> None:
        self.signedOnDeferred.callback(None)

    def joined(self, channel: str) -> None:
        self.note(f"joined {channel}")

    def userJoined(self, user: str, channel: str) -> None:
        self.note(f"JOIN {user} {channel}")

    def userQuit(self, user: str, quitMessage: str) -> None:
        self.note(f"QUIT {user} {quitMessage}")

    def privmsg(self, user: str, channel: str, message: str) -> None:
        self.note(f"PRIVMSG {user.split('!')[0]} {channel} {message}")

    def action(self, user: str, channel: str, data: str) -> None:
        self.note(f"ACTION {user.split('!')[0]} {channel} {data}")

    def modeChanged(
        self, user: str, channel: str, set: bool, modes: str, args: tuple[object, ...]
    ) -> None:
        # Twisted's client reads which modes take an argument from ISUPPORT.
        given = " ".join(str(arg) for arg in args if arg is not None)
        self.note(f"MODE {channel} {'+' if set else '-'}{modes} {given}")

    def irc_RPL_NAMREPLY(self, prefix: str, params: list[str]) -> None:
        self.note(f"NAMES {params[2]} {params[3]}")

    def connectionLost(self, reason: object) -> None:
        super().connectionLost(reason)  # type: ignore[arg-type]
        self.lostDeferred.callback(None)


class IRCEndToEndTests(ProcessTestCase):
    async def startWithIRC(self, *options: str) -> tuple[int, int]:
        """Start twistd chat with an IRC listener; return both ports."""
        irc = "tcp:0:interface=127.0.0.1"
        server, port = await self.startServer("--irc", irc, *options)
        return port, server.ircPorts[irc]

    async def signOn(self, ircPort: int) -> RecordingIRCClient:
        """Connect Twisted's IRC client as alice and wait until registered."""
        alice = RecordingIRCClient()
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", ircPort)
        await endpoint.connect(Factory.forProtocol(lambda: alice))
        self.addCleanup(lambda: alice.transport.abortConnection())
        await alice.signedOnDeferred
        return alice

    async def test_ircAndTwistedChatUsers(self) -> None:
        port, ircPort = await self.startWithIRC()
        bob = self.startClient(port, "--nick", "bob")
        await bob.waitForOutput(r"now talking in #lobby")

        alice = await self.signOn(ircPort)
        alice.join("#lobby")
        await alice.waitFor(r"^NAMES #lobby bob alice$")
        await bob.waitForOutput(r"alice joined #lobby")

        alice.say("#lobby", "hello from irc")
        await bob.waitForOutput(r"#lobby <alice> hello from irc")
        alice.describe("#lobby", "waves")
        await bob.waitForOutput(r"#lobby \* alice waves")
        bob.type("hi alice\n/me bows\n")
        await alice.waitFor(r"^PRIVMSG bob #lobby hi alice$")
        await alice.waitFor(r"^ACTION bob #lobby bows$")

        alice.msg("bob", "psst")
        await bob.waitForOutput(r"\*alice\* psst")
        bob.type("/msg alice back to you\n")
        await alice.waitFor(r"^PRIVMSG bob alice back to you$")

        alice.quit("see you")
        await bob.waitForOutput(r"alice quit \(see you\)")
        await alice.lostDeferred
        self.assertEqual(bob.errors, "")

    async def test_theyAlsoSeeQuits(self) -> None:
        """The IRC user sees a twisted-chat user leave, with the reason."""
        port, ircPort = await self.startWithIRC()
        alice = await self.signOn(ircPort)
        alice.join("#lobby")
        await alice.waitFor(r"^joined #lobby$")
        bob = self.startClient(port, "--nick", "bob")
        # Seen once, under the nick it chose: never as a guest first.
        await alice.waitFor(r"^JOIN bob #lobby$")
        self.assertNotIn("guest", alice.seen)
        bob.type("bye\n")
        await alice.waitFor(r"^QUIT bob bye$")
        self.assertEqual(await bob.exited(), 0)

    async def test_operatorBansAndMutes(self) -> None:
        """
        An IRC user who makes a channel operates it: its ban keeps a line
        user out (C{banned}), and its mute keeps another from speaking
        there (C{muted}).  On the memory store: this is a test of the rules
        across processes, not of what is kept.
        """
        port, ircPort = await self.startWithIRC("--db", ":memory:")
        alice = await self.signOn(ircPort)
        alice.join("#ops")
        await alice.waitFor(r"^NAMES #ops @alice$")
        alice.sendLine("MODE #ops +b bob")
        alice.sendLine("MODE #ops +b m:carol")
        await alice.waitFor(r"^MODE #ops \+b bob!\*@\*$")
        await alice.waitFor(r"^MODE #ops \+b m:carol!\*@\*$")
        bob = await self.connect(port, "bob")
        bob.say("/join #ops")
        await bob.waitFor(r"^ERROR banned :You are banned from #ops\.$")
        carol = await self.connect(port, "carol")
        carol.say("/join #ops")
        await alice.waitFor(r"^JOIN carol #ops$")
        carol.say("/msg #ops may I?")
        await carol.waitFor(r"^ERROR muted :You are muted in #ops\.$")
        self.assertNotIn("may I?", alice.seen)
