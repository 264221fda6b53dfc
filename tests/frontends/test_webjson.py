"""
Tests of the JSON subprotocol over the WebSocket: commands read from the
core's dataclasses and carried out by the shared interpreter, C{Typed}
lines in the page's room, bad requests answered, events encoded once.
"""

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.commands import Act, Kick, Message, Part, Say, Who
from twisted_chat.chat.moderationcommands import Audit, Mode
from twisted_chat.chat.modes import ModeChange
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.frontends.web.jsonchat import JSONChatFrontEnd
from twisted_chat.frontends.web.jsoncommands import (
    BadRequest,
    decodeCommand,
    inRoom,
)
from twisted_chat.frontends.web.websocket import WebSocketFrontEnd
from twisted_chat.limits import UNLIMITED

from ..clients import Client
from ..helpers import makeAccounts, makeChat
from ..webclient import WebSocketClient


class DecodeTests(SynchronousTestCase):
    def test_commandByClassName(self) -> None:
        """A command is its dataclass, named by its class, fields by name."""
        self.assertEqual(
            decodeCommand({"command": "Message", "target": "#dev", "text": "hi"}),
            Message("#dev", "hi"),
        )
        self.assertEqual(
            decodeCommand({"command": "Act", "text": "waves", "room": "#dev"}),
            Act("waves", "#dev"),
        )

    def test_leftOutFields(self) -> None:
        """A field left out means what the typed command means without it."""
        self.assertEqual(
            decodeCommand({"command": "Part", "room": "#dev"}), Part("#dev", "")
        )
        self.assertEqual(decodeCommand({"command": "Who"}), Who(None))
        self.assertEqual(decodeCommand({"command": "Mode"}), Mode(None, ()))

    def test_nested(self) -> None:
        """A mode change is an object inside the command."""
        self.assertEqual(
            decodeCommand(
                {
                    "command": "Mode",
                    "room": "#dev",
                    "changes": [{"letter": "m", "on": True}],
                }
            ),
            Mode("#dev", (ModeChange("m", True),)),
        )

    def test_badRequests(self) -> None:
        """Unknown commands and fields, wrong types and bounds are refused."""
        for message in [
            [],
            {"text": "no command"},
            {"command": "Nope"},
            {"command": "Command"},
            {"command": "Join"},
            {"command": "Join", "room": 5},
            {"command": "Join", "room": "#a", "colour": "red"},
            {"command": "History", "room": "#a", "limit": True},
            {"command": "History", "room": "#a", "limit": 10**9},
            {"command": "AddBan", "kind": "ignore", "mask": "x", "room": None},
            {"command": "Message", "target": "#a", "text": "one\ntwo"},
            {"command": "Mode", "changes": [{"letter": "Z", "on": True}]},
            # JSON's escape for half a character: not text, not storable.
            {"command": "Message", "target": "#a", "text": "\ud800"},
            {"command": "QuitCommand", "reason": "bye \udfff"},
            {"command": "Login", "nick": "ann", "password": "\ud83d"},
        ]:
            with self.subTest(message=message):
                self.assertRaises(BadRequest, decodeCommand, message)

    def test_inRoom(self) -> None:
        """A typed line takes the page's room where it leaves the room out."""
        self.assertEqual(inRoom(Say("hi"), "#dev"), Message("#dev", "hi"))
        self.assertEqual(inRoom(Act("waves"), "#dev"), Act("waves", "#dev"))
        self.assertEqual(
            inRoom(Kick(None, "bob", "rude"), "#dev"), Kick("#dev", "bob", "rude")
        )
        self.assertEqual(
            inRoom(Kick("#ops", "bob", ""), "#dev"), Kick("#ops", "bob", "")
        )
        self.assertEqual(inRoom(Audit(None, None), "#dev"), Audit(None, None))
        self.assertEqual(inRoom(Say("hi"), None), Say("hi"))


class JSONSubprotocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.accounts = makeAccounts(self.chat, self.clock)
        self.json = JSONChatFrontEnd(
            self.chat, self.accounts, self.clock, rules=UNLIMITED, serverName="web.test"
        )
        self.sockets = WebSocketFrontEnd(self.clock, {"twisted-chat.json": self.json})
        self.lines = LineChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )

    def connect(self, nick: str, *rooms: str) -> WebSocketClient:
        client = WebSocketClient(self.sockets, self.clock)
        client.sendJSON({"command": "SetNick", "nick": nick})
        for room in rooms:
            client.sendJSON({"command": "Join", "room": room})
        client.events()
        return client

    def said(self, client: WebSocketClient) -> list[Any]:
        return [
            (event["sender"], event["text"], event["action"])
            for event in client.events()
            if event["event"] == "RoomMessage"
        ]

    def test_helloThenWelcome(self) -> None:
        """A new client is told the subprotocol's version, then welcomed."""
        client = WebSocketClient(self.sockets, self.clock)
        self.assertEqual(client.status, 101)
        self.assertEqual(client.header("Sec-WebSocket-Protocol"), "twisted-chat.json")
        hello, welcome = client.events()
        self.assertEqual(
            hello,
            {
                "event": "Hello",
                "protocol": "1.0",
                "server": "web.test",
                "requireLogin": False,
            },
        )
        self.assertEqual(welcome["event"], "Welcome")
        self.assertEqual(welcome["nick"], "guest1")

    def test_talksWithLineMembers(self) -> None:
        """A web member and a line member share a room, both ways."""
        ann = self.connect("ann", "#dev")
        bob = Client(self.lines, self.clock)
        bob.send(b"/nick bob\n/join #dev\n")
        bob.lines()
        ann.sendJSON({"command": "Message", "target": "#dev", "text": "hello"})
        self.assertTrue(bob.lastLine().endswith(" ann :hello"))
        bob.send(b"hi ann\n")
        self.assertEqual(
            self.said(ann), [("ann", "hello", False), ("bob", "hi ann", False)]
        )

    def test_typed(self) -> None:
        """
        A typed line is said in the page's room, /me acts there, and a
        command whose room is left out applies there.
        """
        ann = self.connect("ann", "#dev", "#ops")
        ann.sendJSON(
            {"command": "Typed", "room": "#dev", "line": "hello dev"},
            {"command": "Typed", "room": "#dev", "line": "/me waves"},
            {"command": "Typed", "room": "#dev", "line": "/topic dev talk"},
        )
        events = ann.events()
        said = [(e["room"], e["text"], e["action"]) for e in events if "action" in e]
        self.assertEqual(said, [("#dev", "hello dev", False), ("#dev", "waves", True)])
        (topic,) = [event for event in events if event["event"] == "TopicChanged"]
        self.assertEqual((topic["room"], topic["text"]), ("#dev", "dev talk"))

    def test_moderationAndHelp(self) -> None:
        """Moderation and help work as the interpreter carries them out."""
        ann = self.connect("ann", "#dev")
        bob = self.connect("bob", "#dev")
        ann.events()
        ann.sendJSON({"command": "Kick", "room": "#dev", "nick": "bob", "reason": "x"})
        (kicked,) = [e for e in bob.events() if e["event"] == "Kicked"]
        self.assertEqual((kicked["nick"], kicked["by"]), ("bob", "ann"))
        ann.sendJSON({"command": "Help"})
        self.assertIn("HelpText", ann.kinds())

    def test_stats(self) -> None:
        """
        A server operator's Stats command is answered with a Statistic event
        per figure and their count; anyone else's with an error.
        """
        ann = self.connect("ann", "#dev")
        ann.sendJSON({"command": "Stats"})
        (error,) = ann.events()
        self.assertEqual(
            (error["event"], error["code"]), ("ErrorReply", "not-server-operator")
        )
        self.chat.operators.granted.add("ann")
        self.chat.memberNamed("ann").account = "ann"
        ann.sendJSON({"command": "Stats"})
        self.assertEqual(
            ann.events(),
            [
                {"event": "Statistic", "name": "members", "value": "1"},
                {"event": "Statistic", "name": "rooms", "value": "1"},
                {"event": "StatisticsEnd", "count": 2},
            ],
        )

    def test_registerAndLogin(self) -> None:
        """An account is registered and logged in to over JSON."""
        ann = self.connect("ann")
        ann.sendJSON({"command": "Register", "password": "correcthorse"})
        self.clock.advance(1)
        self.assertIn("AccountInfo", ann.kinds())
        other = WebSocketClient(self.sockets, self.clock)
        other.sendJSON({"command": "Login", "nick": "ann", "password": "correcthorse"})
        self.clock.advance(1)
        self.assertIn("AccountInfo", other.kinds())

    def test_badRequestKeepsConnection(self) -> None:
        """A malformed message is answered with bad-request; the client goes on."""
        ann = self.connect("ann", "#dev")
        for payload in [b"not json", b"[1]", b'{"command": "Nope"}', b'{"a":\n1}']:
            ann.send(payload)
            (error,) = ann.events()
            self.assertEqual(
                (error["event"], error["code"]), ("ErrorReply", "bad-request")
            )
        ann.sendJSON({"command": "Message", "target": "#dev", "text": "still here"})
        self.assertEqual(self.said(ann), [("ann", "still here", False)])

    def test_deeplyNested(self) -> None:
        """JSON nested past the parser's depth is a bad request, not a bug."""
        ann = self.connect("ann")
        depth = 2000
        ann.send(
            b'{"command": "Mode", "changes": ' + b"[" * depth + b"]" * depth + b"}"
        )
        (reply,) = ann.events()
        self.assertEqual((reply["event"], reply["code"]), ("ErrorReply", "bad-request"))
        self.assertTrue(ann.protocol.open)

    def test_tooLong(self) -> None:
        """A message over the line limit is refused as too long; the client goes on."""
        ann = self.connect("ann", "#dev")
        ann.send(b'{"command": "Say", "text": "' + b"x" * 5000 + b'"}')
        (error,) = ann.events()
        self.assertEqual(error["code"], "too-long")
        self.assertTrue(ann.protocol.open)

    def test_oversizedCloses(self) -> None:
        """A message far over the limit closes the WebSocket (1009)."""
        ann = self.connect("ann")
        ann.send(b"x" * (4 * 4096 + 1))
        (close,) = [payload for opcode, payload in ann.frames() if opcode == 8]
        self.assertEqual(close[:2], (1009).to_bytes(2, "big"))

    def test_noAccountShown(self) -> None:
        """The sender's account is not in room messages, as on the line protocol."""
        ann = self.connect("ann", "#dev")
        ann.sendJSON({"command": "Register", "password": "correcthorse"})
        self.clock.advance(1)
        ann.events()
        ann.sendJSON({"command": "Message", "target": "#dev", "text": "hi"})
        (message,) = [e for e in ann.events() if e["event"] == "RoomMessage"]
        self.assertNotIn("account", message)
