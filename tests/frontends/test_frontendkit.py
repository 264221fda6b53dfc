"""
Tests of the front-end kit through a third front end that lives in the
tests (L{tests.jsonfrontend}): one small module on the kit joins rooms,
talks with line and IRC members, is held to flood control, is trimmed and
told when it stops reading, and is counted in the graceful stop.
"""

import json
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.app.service import SHUTDOWN_REASON, ServerService
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.limits import UNLIMITED, ConnectionRules

from ..clients import Client, IRCClient, TCPStringTransport
from ..helpers import RecordingParticipant, makeAccounts, makeChat
from ..jsonfrontend import JSONConnection, JSONFrontEnd


class JSONClient:
    """One JSON-lines connection over a StringTransport."""

    def __init__(self, frontEnd: JSONFrontEnd) -> None:
        self.clock = frontEnd.clock
        self.transport = TCPStringTransport()
        protocol = frontEnd.buildProtocol(None)
        assert isinstance(protocol, JSONConnection)
        self.protocol = protocol
        protocol.makeConnection(self.transport)

    def send(self, *asked: dict[str, Any]) -> None:
        self.protocol.dataReceived(
            b"".join(json.dumps(one).encode() + b"\n" for one in asked)
        )

    def events(self) -> list[dict[str, Any]]:
        self.clock.advance(0)  # type: ignore[attr-defined]
        data = self.transport.value()
        self.transport.clear()
        return [json.loads(line) for line in data.splitlines()]

    def kinds(self) -> list[str]:
        return [event["event"] for event in self.events()]


class FrontEndKitTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.accounts = makeAccounts(self.chat, self.clock)
        self.json = JSONFrontEnd(self.chat, self.accounts, self.clock)
        self.lines = LineChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )
        self.irc = IRCChatFactory(self.chat, self.accounts, self.clock, rules=UNLIMITED)

    def jsonMember(self, nick: str, frontEnd: JSONFrontEnd | None = None) -> JSONClient:
        client = JSONClient(frontEnd or self.json)
        client.send({"do": "nick", "nick": nick}, {"do": "join", "room": "#lobby"})
        client.events()
        return client

    def test_talksWithEveryFrontEnd(self) -> None:
        """A JSON member, a line member and an IRC member share a room."""
        ann = self.jsonMember("ann")
        bob = Client(self.lines, self.clock)
        bob.send(b"/nick bob\n/join #lobby\n")
        carol = IRCClient(self.irc, self.clock)
        carol.send("NICK carol", "USER carol 0 * :Carol", "JOIN #lobby")
        carol.messages()
        bob.lines()
        ann.send({"do": "say", "room": "#lobby", "text": "hello from json"})
        self.assertTrue(bob.lastLine().endswith(" ann :hello from json"))
        (said,) = carol.messages()
        self.assertEqual(said.params, ("#lobby", "hello from json"))
        bob.send(b"hi ann\n")
        carol.send("PRIVMSG #lobby :hi from irc")
        texts = [
            (event["sender"], event["text"])
            for event in ann.events()
            if event["event"] == "RoomMessage"
        ]
        self.assertEqual(
            texts,
            [("ann", "hello from json"), ("bob", "hi ann"), ("carol", "hi from irc")],
        )

    def test_heldToFloodControl(self) -> None:
        """Past its burst, a JSON client's lines wait: the kit's flood control."""
        ann = self.jsonMember("ann")
        self.clock.advance(60)
        ann.send(*[{"do": "say", "room": "#lobby", "text": f"{n}"} for n in range(10)])
        said = [event for event in ann.events() if event["event"] == "RoomMessage"]
        self.assertEqual(len(said), 5)
        self.assertEqual(ann.transport.producerState, "paused")
        self.clock.advance(3)
        said += [event for event in ann.events() if event["event"] == "RoomMessage"]
        self.assertEqual([event["text"] for event in said], [f"{n}" for n in range(10)])

    def test_trimmedAndTold(self) -> None:
        """
        A JSON client that stops reading is left without room messages past
        its send queue and told of the gap when it reads again.
        """
        slow = JSONFrontEnd(
            self.chat,
            self.accounts,
            self.clock,
            rules=ConnectionRules(floodRate=0, sendQueueBytes=2000),
        )
        ann = self.jsonMember("ann", slow)
        bob = Client(self.lines, self.clock)
        bob.send(b"/nick bob\n/join #lobby\n")
        ann.protocol.guard.pauseProducing()
        for n in range(1, 41):
            bob.send(b"message %d %s\n" % (n, b"x" * 60))
        self.clock.advance(0)  # the turn's writes: held for ann
        ann.protocol.guard.resumeProducing()
        events = ann.events()
        gap = events[-1]
        self.assertEqual(
            (gap["event"], gap["room"], gap["last"]), ("Gap", "#lobby", 40)
        )
        kept = [event for event in events if event["event"] == "RoomMessage"]
        self.assertEqual(len(kept), gap["first"] - 1)

    def test_countedInTheGracefulStop(self) -> None:
        """A stopping server says goodbye to JSON members and waits for them."""
        service = ServerService(self.chat, self.accounts, self.clock)
        service.addFrontEnd(self.json)
        service.startService()
        ann = self.jsonMember("ann")
        stopping = service.stopService()
        self.assertEqual(
            ann.events()[-1],
            {"event": "Goodbye", "kind": "shutdown", "reason": SHUTDOWN_REASON},
        )
        self.assertTrue(ann.transport.disconnecting)
        self.assertNoResult(stopping)
        ann.protocol.connectionLost(Failure(ConnectionDone()))
        self.successResultOf(stopping)


class ServerBanTests(SynchronousTestCase):
    def test_bannedAddressRefused(self) -> None:
        """
        Every front end on the kit refuses a connection from an address a
        server operator banned, in its own words, before it is a member.
        """
        chat, clock = makeChat()
        accounts = makeAccounts(chat, clock)
        console = chat.connect(RecordingParticipant(), privileged=True)
        chat.operators.ban(console, "192.0.2.0/24", None, "abuse")
        lines = LineChatFactory(chat, accounts, clock)
        irc = IRCChatFactory(chat, accounts, clock)
        for frontEnd, said in [
            (lines, b"BYE refused"),
            (irc, b"ERROR"),
        ]:
            transport = TCPStringTransport()
            protocol = frontEnd.buildProtocol(IPv4Address("TCP", "192.0.2.7", 4321))
            protocol.makeConnection(transport)
            self.assertIn(said, transport.value())
            self.assertIn(
                b"Your address is banned from this server: abuse.", transport.value()
            )
            self.assertTrue(transport.disconnecting)
        self.assertEqual(chat.listRooms()[0].memberCount, 0)
        self.assertEqual(len(lines.connections) + len(irc.connections), 0)
