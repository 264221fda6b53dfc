"""
A stateful property test of the IRC listener beside the line server:
hypothesis drives IRC connections with random commands, random bytes and
random splits (and line-protocol members in the same rooms), closes them and
lets time pass; after every step the chat must make sense and every line
written to an IRC client must be a well-formed IRC message.
"""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.irc.protocol import IRCChatProtocol
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.limits import ConnectionRules
from twisted_chat.wire.irc import MAX_MESSAGE_BYTES, MAX_TAGS_BYTES, parseMessage

from ..clients import Client as LineClient
from ..clients import TCPStringTransport
from ..helpers import FailureLog, assertConsistent, makeAccounts, makeChat, splitAt

CHANNELS = st.sampled_from(
    ["#a", "#B", "#c", "#lobby", "a", "#", "0", "#a,#b", ":#a b", ":"]
)
"""
The line member is in #a and #b, which it made; #c is the IRC clients'
own, where the first of them to join operates it.
"""
MODES = st.sampled_from(
    ["+o", "-o", "+v", "-v", "+q", "-q", "+b", "-b", "b", "I", "+m", "-m", "+i",
     "+k", "-k", "+l", "-l", "+tns-R", "+x", "+ov", "+b-b"]
)  # fmt: skip
MODE_ARGUMENTS = st.lists(
    st.sampled_from(["alice", "Bob", "guest3", "m:*", "*!*@192.0.2.1", "key", "2",
                     "account:alice", "!!", "0"]),
    max_size=3,
).map(" ".join)  # fmt: skip
NICKS = st.sampled_from(
    ["alice", "Bob", "guest3", "server", "9x", "n" * 40, "", ":a b"]
)
TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\0"),
    max_size=30,
)
IRC_LINES = st.one_of(
    st.builds(lambda n: f"NICK {n}", NICKS),
    st.just("USER u 0 * :U"),
    st.sampled_from(
        [
            "CAP LS 302",
            "CAP END",
            "CAP LIST",
            "CAP REQ :server-time",
            "CAP REQ :echo-message sasl",
            "CAP REQ :nonsense",
            "CAP",
        ]
    ),
    st.builds(lambda c: f"JOIN {c}", CHANNELS),
    st.builds(lambda c, t: f"PART {c} :{t}", CHANNELS, TEXT),
    st.builds(lambda c, t: f"PRIVMSG {c} :{t}", st.one_of(CHANNELS, NICKS), TEXT),
    st.builds(lambda c, t: f"NOTICE {c} :{t}", st.one_of(CHANNELS, NICKS), TEXT),
    st.builds(lambda c, t: f"PRIVMSG {c} :\x01ACTION {t}\x01", CHANNELS, TEXT),
    st.builds(lambda c, t: f"TOPIC {c} :{t}", CHANNELS, TEXT),
    st.builds(lambda c: f"TOPIC {c}", CHANNELS),
    st.builds(lambda c: f"NAMES {c}", CHANNELS),
    st.builds(lambda c: f"WHO {c}", st.one_of(CHANNELS, NICKS)),
    st.builds(lambda n: f"WHOIS {n}", NICKS),
    st.builds(lambda c: f"MODE {c}", st.one_of(CHANNELS, NICKS)),
    st.builds(lambda c, m, a: f"MODE {c} {m} {a}", CHANNELS, MODES, MODE_ARGUMENTS),
    st.builds(lambda c, n, t: f"KICK {c} {n} :{t}", CHANNELS, NICKS, TEXT),
    st.builds(lambda n, c: f"INVITE {n} {c}", NICKS, CHANNELS),
    st.builds(lambda c, k: f"JOIN {c} {k}", CHANNELS, MODE_ARGUMENTS),
    st.sampled_from(
        [
            "LIST",
            "AWAY :out",
            "AWAY",
            "PING :x",
            "PONG x",
            "QUIT :bye",
            "ISON alice Bob",
            "USERHOST alice",
            "AUTHENTICATE PLAIN",
            "AUTHENTICATE *",
            "AUTHENTICATE AGFsaWNlAHdyb25n",
            "OPER alice wrong-password",
            "KILL Bob :enough",
            "WALLOPS :hello everyone",
            "FOO bar",
            "PRIVMSG",
            ":",
            "",
        ]
    ),
)
DATA = st.one_of(
    st.lists(IRC_LINES, min_size=1, max_size=8).map(
        lambda lines: "".join(f"{line}\r\n" for line in lines).encode("utf-8")
    ),
    st.binary(max_size=300),
)


class IRCMachine(RuleBasedStateMachine):
    clients = Bundle("clients")

    def __init__(self) -> None:
        super().__init__()
        self.chat, self.clock = makeChat()
        accounts = makeAccounts(self.chat, self.clock)
        rules = ConnectionRules(sendQueueBytes=4096, maxQueuedLines=10)
        self.irc = IRCChatFactory(self.chat, accounts, self.clock, rules=rules)
        self.line = LineChatFactory(self.chat, accounts, self.clock, rules=rules)
        self.log = FailureLog()
        self.lineMember = LineClient(self.line, self.clock)
        self.lineMember.send(b"/join #a\n/join #b\n")
        self.made: list[IRCChatProtocol] = []

    def teardown(self) -> None:
        self.log.stop()

    @rule(target=clients)
    def connect(self) -> tuple[IRCChatProtocol, TCPStringTransport]:
        protocol = self.irc.buildProtocol(IPv4Address("TCP", "192.0.2.1", 1))
        assert isinstance(protocol, IRCChatProtocol)
        transport = TCPStringTransport()
        protocol.makeConnection(transport)
        self.made.append(protocol)
        return protocol, transport

    @rule(client=clients, data=DATA, cuts=st.lists(st.integers(0, 400)))
    def send(self, client: tuple[IRCChatProtocol, TCPStringTransport], data: bytes,
             cuts: list[int]) -> None:  # fmt: skip
        protocol, transport = client
        if transport.disconnecting:
            return
        for piece in splitAt(data, cuts):
            protocol.dataReceived(piece)

    @rule(text=TEXT)
    def lineMemberSays(self, text: str) -> None:
        self.lineMember.send(f"/msg #a {text or 'x'}\n".encode())

    @rule(client=consumes(clients), cleanly=st.booleans())
    def disconnect(self, client: tuple[IRCChatProtocol, TCPStringTransport],
                   cleanly: bool) -> None:  # fmt: skip
        protocol, _ = client
        reason = Failure(ConnectionDone()) if cleanly else Failure(ConnectionLost())
        protocol.connectionLost(reason)

    @rule(seconds=st.sampled_from([0, 0.5, 5, 31, 95]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(client=clients)
    def read(self, client: tuple[IRCChatProtocol, TCPStringTransport]) -> None:
        """Every line written to an IRC client is a well-formed message."""
        _, transport = client
        self.clock.advance(0)
        data = transport.value()
        transport.clear()
        assert data.count(b"\n") == data.count(b"\r\n"), data
        for line in data.split(b"\r\n")[:-1]:
            assert len(line) <= MAX_MESSAGE_BYTES + MAX_TAGS_BYTES, line
            parseMessage(line)

    @invariant()
    def nothingFailed(self) -> None:
        assert not self.log.failures, self.log.failures

    @invariant()
    def noGhosts(self) -> None:
        """
        Everyone in a room is a present member, and each member's current
        room is one it is in.
        """
        members = [p.member for p in self.made if p.member is not None]
        assertConsistent(self.chat, [self.lineMember.member, *members])


class IRCStatefulTests(SynchronousTestCase):
    def test_ircMachine(self) -> None:
        IRCMachine.TestCase.settings = settings(
            max_examples=80, stateful_step_count=40, deadline=None
        )
        IRCMachine.TestCase().runTest()
