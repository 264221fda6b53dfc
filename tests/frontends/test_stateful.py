"""
A stateful property test of the line server: hypothesis drives connections
with random commands, random bytes and random splits, closes them, and lets
time pass; after every step the chat must make sense.
"""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
)
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.limits import ConnectionRules

from ..clients import Client
from ..helpers import FailureLog, assertConsistent, makeAccounts, makeChat, splitAt

ROOMS = st.sampled_from(["#a", "#b", "#A", "#lobby", "c", "#"])
NICKS = st.sampled_from(["alice", "bob", "Alice", "guest7", "server", "x" * 40, ""])
TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
    max_size=20,
)
COMMANDS = st.one_of(
    TEXT,
    st.builds(lambda room: f"/join {room}", ROOMS),
    st.builds(lambda room, why: f"/part {room} {why}", ROOMS, TEXT),
    st.just("/part"),
    st.builds(lambda nick: f"/nick {nick}", NICKS),
    st.builds(lambda to, text: f"/msg {to} {text}", st.one_of(NICKS, ROOMS), TEXT),
    st.builds(lambda text: f"/me {text}", TEXT),
    st.builds(lambda room: f"/who {room}", ROOMS),
    st.just("/rooms"),
    st.builds(lambda room, text: f"/topic {room} {text}", ROOMS, TEXT),
    st.builds(lambda room, n: f"/history {room} {n}", ROOMS, st.integers(0, 600)),
    st.builds(lambda room, n: f"/resume {room} {n}", ROOMS, st.integers(0, 50)),
    st.builds(lambda token: f"/pong {token}", TEXT),
    st.just("/quit"),
    st.just("bye"),
    st.just("/help"),
    st.just("/frobnicate"),
)
LINES = st.lists(COMMANDS, min_size=1, max_size=8).map(
    lambda lines: "".join(f"{line}\n" for line in lines).encode("utf-8")
)
JUNK = st.binary(max_size=300)


class ChatMachine(RuleBasedStateMachine):
    """Connections that do anything, in any order, at any pace."""

    clients = Bundle("clients")

    def __init__(self) -> None:
        super().__init__()
        self.chat, self.clock = makeChat()
        rules = ConnectionRules(sendQueueBytes=4096, maxQueuedLines=10)
        self.factory = LineChatFactory(
            self.chat, makeAccounts(self.chat, self.clock), self.clock, rules=rules
        )
        self.log = FailureLog()
        self.seen: dict[int, dict[str, int]] = {}
        self.made: list[Client] = []

    def teardown(self) -> None:
        self.log.stop()

    @rule(target=clients)
    def connect(self) -> Client:
        client = Client(self.factory, self.clock)
        self.seen[id(client)] = {}
        self.made.append(client)
        return client

    @rule(
        client=clients, data=st.one_of(LINES, JUNK), cuts=st.lists(st.integers(0, 400))
    )
    def send(self, client: Client, data: bytes, cuts: list[int]) -> None:
        """Send C{data}, split at random places, as TCP may deliver it."""
        if client.transport.disconnecting:
            return
        for piece in splitAt(data, cuts):
            client.send(piece)

    @rule(client=consumes(clients), cleanly=st.booleans())
    def disconnect(self, client: Client, cleanly: bool) -> None:
        if cleanly:
            client.vanish()
        else:
            client.vanish(Failure(ConnectionLost()))

    @rule(client=clients)
    def stopReading(self, client: Client) -> None:
        client.protocol.guard.pauseProducing()

    @rule(client=clients)
    def startReading(self, client: Client) -> None:
        client.protocol.guard.resumeProducing()

    @rule(seconds=st.sampled_from([0, 0.2, 1, 5, 31, 95]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(client=clients)
    def read(self, client: Client) -> None:
        """What a client receives: room messages numbered strictly upwards."""
        seen = self.seen[id(client)]
        for line in client.lines():
            words = line.split(" ")
            if words[0] in ("MSG", "ACTION"):
                room, sequence = words[1].lower(), int(words[2])
                assert sequence > seen.get(room, 0), (line, seen)
                seen[room] = sequence

    @invariant()
    def nothingFailed(self) -> None:
        assert not self.log.failures, self.log.failures

    @invariant()
    def noGhosts(self) -> None:
        """
        Everyone in a room is a present member, and each member's current
        room is one it is in.
        """
        assertConsistent(self.chat, [client.member for client in self.made])


class StatefulTests(SynchronousTestCase):
    def test_chatMachine(self) -> None:
        ChatMachine.TestCase.settings = settings(
            max_examples=100, stateful_step_count=50, deadline=None
        )
        ChatMachine.TestCase().runTest()
