"""
Tests of the WebSocket at C{/socket}: its handshake (Origin, subprotocols,
the client's address behind a proxy), IRC carried over it, and the kit's
rules (flood control, the send queue and its gap, admission, bans) holding
for its clients as for TCP ones.
"""

from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.app.service import SHUTDOWN_REASON, ServerService
from twisted_chat.connection.admission import Admission, AdmissionRules
from twisted_chat.connection.guard import ConnectionGuard
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.line.protocol import LineChatFactory
from twisted_chat.frontends.web.jsonchat import JSONChatFrontEnd
from twisted_chat.frontends.web.peers import parseProxy
from twisted_chat.frontends.web.websocket import WebSocketFrontEnd
from twisted_chat.limits import UNLIMITED, ConnectionRules

from ..clients import Client
from ..helpers import RecordingParticipant, makeAccounts, makeChat
from ..webclient import BINARY, CLOSE, PING, PONG, TEXT, WebSocketClient


class WebSocketTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.chat, self.clock = makeChat()
        self.accounts = makeAccounts(self.chat, self.clock)
        self.lines = LineChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )
        self.build()

    def build(
        self,
        rules: ConnectionRules = UNLIMITED,
        admission: Admission | None = None,
        **options: object,
    ) -> None:
        self.json = JSONChatFrontEnd(
            self.chat, self.accounts, self.clock, rules=rules, admission=admission
        )
        self.irc = IRCChatFactory(
            self.chat, self.accounts, self.clock, rules=rules, admission=admission
        )
        self.sockets = WebSocketFrontEnd(
            self.clock,
            {
                "twisted-chat.json": self.json,
                "text.ircv3.net": self.irc,
                "binary.ircv3.net": self.irc,
            },
            **options,  # type: ignore[arg-type]
        )

    def connect(self, **options: object) -> WebSocketClient:
        return WebSocketClient(self.sockets, self.clock, **options)  # type: ignore[arg-type]

    # Origin

    def test_foreignOriginRefused(self) -> None:
        """A page from another site may not open a socket: 403, no member."""
        client = self.connect(origin="https://evil.example", host="chat.test")
        self.assertEqual(client.status, 403)
        self.assertEqual(self.json.openConnections, 0)

    def test_ownOriginAccepted(self) -> None:
        """The site's own page may, whatever its port's spelling."""
        self.build(serverName="chat.test")
        for origin, host in [
            ("http://chat.test:8080", "chat.test:8080"),
            ("http://chat.test", "chat.test:80"),
            ("HTTP://Chat.Test:8080", "chat.test:8080"),
        ]:
            with self.subTest(origin=origin):
                self.assertEqual(self.connect(origin=origin, host=host).status, 101)
        wrongScheme = self.connect(origin="https://chat.test:8080")
        self.assertEqual(wrongScheme.status, 403)

    def test_ownOriginOfAKnownHostOnly(self) -> None:
        """
        A page is the site's own only on a name the server is known by (an
        address, localhost, the server's name, a --web-origin's host): a
        page on the attacker's name, made to resolve to the server (DNS
        rebinding), sends that name as its Host, and is refused.
        """
        self.build(serverName="chat.test", origins=["https://app.example"])
        for origin, host, status in [
            ("http://evil.example:8080", "evil.example:8080", 403),
            ("http://127.0.0.1:8080", "127.0.0.1:8080", 101),
            ("http://[::1]:8080", "[::1]:8080", 101),
            ("http://localhost:8080", "localhost:8080", 101),
            ("http://chat.test:8080", "chat.test:8080", 101),
            ("http://app.example:8080", "app.example:8080", 101),
        ]:
            with self.subTest(origin=origin):
                self.assertEqual(self.connect(origin=origin, host=host).status, status)

    def test_allowedOrigin(self) -> None:
        """An origin named with --web-origin may too; others still may not."""
        self.build(origins=["https://app.example"])
        self.assertEqual(self.connect(origin="https://app.example").status, 101)
        self.assertEqual(self.connect(origin="https://other.example").status, 403)

    def test_nullOriginRefused(self) -> None:
        """
        A sandboxed page's C{null} origin is no origin of the site's
        (Autobahn refuses it before asking: 400).
        """
        self.assertIn(self.connect(origin="null").status, (400, 403))

    # Subprotocols

    def test_preferenceOrder(self) -> None:
        """The first subprotocol the client offers that the server speaks is chosen."""
        client = self.connect(
            protocols=("x.example", "binary.ircv3.net", "text.ircv3.net")
        )
        self.assertEqual(client.header("Sec-WebSocket-Protocol"), "binary.ircv3.net")

    def test_noneOfferedIsIRC(self) -> None:
        """A client offering no subprotocol speaks IRC in text messages."""
        client = self.connect(protocols=())
        self.assertEqual(client.status, 101)
        self.assertIsNone(client.header("Sec-WebSocket-Protocol"))
        client.send(b"NICK ann")
        client.send(b"USER ann 0 * :Ann")
        frames = client.frames()
        self.assertEqual({opcode for opcode, _ in frames}, {TEXT})
        self.assertTrue(frames[0][1].startswith(b":twisted-chat 001 ann "))

    def test_unknownOnlyRefused(self) -> None:
        """A client offering only subprotocols the server does not speak is refused."""
        client = self.connect(protocols=("graphql-ws",))
        self.assertEqual(client.status, 400)

    # IRC over the WebSocket

    def test_ircBothWays(self) -> None:
        """
        An IRC web client registers, joins, and talks with a line member,
        one IRC line per message, without CRLF.
        """
        carol = self.connect(protocols=("text.ircv3.net",))
        carol.send(b"NICK carol")
        carol.send(b"USER carol 0 * :Carol")
        carol.send(b"JOIN #dev")
        self.assertIn(b":carol!carol@chat JOIN #dev", carol.messages())
        bob = Client(self.lines, self.clock)
        bob.send(b"/nick bob\n/join #dev\n")
        carol.messages()
        bob.lines()
        carol.send(b"PRIVMSG #dev :hello from the web")
        self.assertTrue(bob.lastLine().endswith(" carol :hello from the web"))
        bob.send(b"hi carol\n")
        (said,) = carol.messages()
        self.assertEqual(said, b":bob!bob@chat PRIVMSG #dev :hi carol")

    def test_binaryFrames(self) -> None:
        """
        binary.ircv3.net is answered in binary messages, and invalid UTF-8
        is read as over TCP, replaced rather than refused.
        """
        dave = self.connect(protocols=("binary.ircv3.net",))
        dave.send(b"NICK dave", BINARY)
        dave.send(b"USER dave 0 * :Dave", BINARY)
        dave.send(b"JOIN #dev", BINARY)
        frames = dave.frames()
        self.assertEqual({opcode for opcode, _ in frames}, {BINARY})
        bob = Client(self.lines, self.clock)
        bob.send(b"/nick bob\n/join #dev\n")
        bob.lines()
        dave.send(b"PRIVMSG #dev :caf\xe9", BINARY)
        self.assertTrue(bob.lastLine().endswith(" dave :caf\ufffd"))

    def test_lineBreakInsideRefused(self) -> None:
        """
        A message holding a line break is one line, refused whole: it
        cannot smuggle a second command.
        """
        carol = self.connect(protocols=("text.ircv3.net",))
        carol.send(b"NICK carol")
        carol.send(b"USER carol 0 * :Carol")
        carol.messages()
        carol.send(b"JOIN #dev\r\nJOIN #evil")
        (notice,) = carol.messages()
        self.assertIn(b"NOTICE carol :That line was ignored", notice)
        self.assertEqual(self.chat.memberNamed("carol").rooms, {})

    # The kit's rules

    def test_floodControl(self) -> None:
        """Past its burst, a web client's messages wait, and reading the socket stops."""
        self.build(rules=ConnectionRules(sendQueueBytes=0))
        ann = self.connect()
        ann.sendJSON({"command": "Join", "room": "#dev"})
        self.clock.advance(60)
        ann.events()
        ann.sendJSON(
            *[
                {"command": "Message", "target": "#dev", "text": f"{n}"}
                for n in range(8)
            ]
        )
        said = [e["text"] for e in ann.events() if e["event"] == "RoomMessage"]
        self.assertEqual(said, [f"{n}" for n in range(5)])
        self.assertEqual(ann.transport.producerState, "paused")
        self.clock.advance(3)
        said = [e["text"] for e in ann.events() if e["event"] == "RoomMessage"]
        self.assertEqual(said, ["5", "6", "7"])

    def test_slowReaderMissed(self) -> None:
        """
        A browser that stops reading: the socket itself tells the guard,
        room messages past the send queue are left out, and the client is
        told which when it reads again.
        """
        self.build(rules=ConnectionRules(floodRate=0, sendQueueBytes=2000))
        ann = self.connect()
        ann.sendJSON({"command": "Join", "room": "#lobby"})
        ann.events()
        bob = Client(self.lines, self.clock)
        bob.send(b"/nick bob\n/join #lobby\n")
        producer = ann.transport.producer
        self.assertIsInstance(producer, ConnectionGuard)
        producer.pauseProducing()  # the socket's buffer is full
        for n in range(1, 41):
            bob.send(b"message %d %s\n" % (n, b"x" * 60))
        self.clock.advance(0)
        self.assertEqual(ann.messages(), [])
        producer.resumeProducing()
        events = ann.events()
        missed = events[-1]
        self.assertEqual(
            (missed["event"], missed["room"], missed["last"]), ("Missed", "#lobby", 40)
        )
        kept = [event for event in events if event["event"] == "RoomMessage"]
        self.assertEqual(len(kept), missed["first"] - 1)

    def test_admissionPerAddress(self) -> None:
        """Web clients count against the per-address limit, and are told when over."""
        admission = Admission(self.clock, AdmissionRules(maxPerAddress=1))
        self.build(admission=admission)
        first = self.connect()
        self.assertEqual(first.kinds(), ["Hello", "Welcome"])
        second = self.connect()
        (goodbye,) = second.events()
        self.assertEqual((goodbye["event"], goodbye["kind"]), ("Goodbye", "refused"))
        self.assertIn(CLOSE, [opcode for opcode, _ in second.frames()] or [CLOSE])

    def test_forwardedForFromProxyOnly(self) -> None:
        """
        X-Forwarded-For names the client only when a named proxy sends it;
        from anyone else it is ignored.
        """
        self.build(proxies=[parseProxy("10.0.0.1")])
        forwarded = (("X-Forwarded-For", "198.51.100.7, 10.0.0.1"),)
        viaProxy = self.connect(peer="10.0.0.1", headers=forwarded)
        viaProxy.sendJSON({"command": "SetNick", "nick": "ann"})
        direct = self.connect(peer="203.0.113.9", headers=forwarded)
        direct.sendJSON({"command": "SetNick", "nick": "bob"})
        self.assertEqual(self.chat.memberNamed("ann").address, "198.51.100.7")
        self.assertEqual(self.chat.memberNamed("bob").address, "203.0.113.9")

    def test_serverBan(self) -> None:
        """A server-banned address is refused over the WebSocket too."""
        console = self.chat.connect(
            RecordingParticipant(), nick="server", privileged=True
        )
        self.chat.operators.ban(console, "203.0.113.0/24", None, "spam")
        client = self.connect(peer="203.0.113.5")
        (goodbye,) = client.events()
        self.assertEqual((goodbye["event"], goodbye["kind"]), ("Goodbye", "refused"))

    def test_pongShowsPresence(self) -> None:
        """Answering the WebSocket's pings keeps a silent client from being dropped."""
        self.build(
            rules=ConnectionRules(pingAfter=90, idleTimeout=150),
            pingAfter=90,
            idleTimeout=150,
        )
        ann = self.connect()
        ann.events()
        for _ in range(4):
            self.clock.advance(90)
            pings = [data for opcode, data in ann.frames() if opcode == PING]
            self.assertEqual(len(pings), 1)
            ann.send(pings[0], PONG)
        self.assertTrue(ann.protocol.open)
        self.assertNotIn("Ping", ann.kinds())

    def test_pingFloodDropped(self) -> None:
        """
        A client pinging faster than the flood rate is dropped (1008), as
        a flooder of lines would be; within it, its pings are answered.
        """
        self.build(rules=ConnectionRules(floodBurst=3, floodRate=1))
        ann = self.connect()
        ann.events()
        for _ in range(3):
            ann.send(b"p", PING)
        self.assertEqual([opcode for opcode, _ in ann.frames()], [PONG] * 3)
        ann.send(b"p", PING)
        closing = ann.frames()
        self.assertEqual([opcode for opcode, _ in closing], [CLOSE])
        self.assertEqual(closing[0][1][:2], (1008).to_bytes(2, "big"))
        # Pings sent while the socket closes get nothing, and no more log.
        logged: list[object] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        for _ in range(50):
            ann.send(b"p", PING)
        self.assertEqual(ann.frames(), [])
        self.assertEqual([e for e in logged if "pinging" in str(e)], [])

    def test_noPongWhileNotReading(self) -> None:
        """
        A client that does not read is not answered: its pongs would pile
        up in the server's memory, past the send queue.
        """
        self.build(rules=ConnectionRules(floodRate=0))
        ann = self.connect()
        ann.events()
        producer = ann.transport.producer
        assert isinstance(producer, ConnectionGuard)
        producer.pauseProducing()
        for _ in range(100):
            ann.send(b"p" * 125, PING)
        self.assertEqual(ann.frames(), [])
        producer.resumeProducing()
        ann.send(b"p", PING)
        self.assertEqual([opcode for opcode, _ in ann.frames()], [PONG])

    def test_gracefulStop(self) -> None:
        """A stopping server says goodbye to web members and closes their sockets."""
        service = ServerService(self.chat, self.accounts, self.clock)
        service.addFrontEnd(self.json)
        service.startService()
        ann = self.connect()
        ann.events()
        service.stopService()
        frames = ann.frames()
        self.assertEqual(frames[-1][0], CLOSE)
        self.assertIn(SHUTDOWN_REASON.encode(), frames[-2][1])
