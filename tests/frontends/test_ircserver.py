"""
Tests for L{twisted_chat.frontends.irc}: the IRC listener over StringTransport,
side by side with line-protocol members in the same rooms.
"""

import base64

from twisted.internet.address import IPv4Address
from twisted.internet.defer import ensureDeferred
from twisted.internet.testing import StringTransport

from twisted_chat.chat.accounts import Accounts, PasswordHasher
from twisted_chat.connection.admission import Admission, AdmissionRules
from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.frontends.irc.render import serverTime
from twisted_chat.limits import DEFAULT_RULES, UNLIMITED, ConnectionRules
from twisted_chat.wire.irc import IRCMessage, parseMessage

from ..clients import IRCClient, IRCTestCase
from ..helpers import FAST_ARGON2, HeldRunner, connectMember


class RegistrationTests(IRCTestCase):
    def test_welcomeBurst(self) -> None:
        """
        NICK and USER: 001 to 005 (two), LUSERS, then the MOTD; no room
        joined.
        """
        client = IRCClient(self.factory, self.clock)
        client.send("NICK alice", "USER alice 0 * :Alice")
        messages = client.messages()
        self.assertEqual(
            [m.command for m in messages],
            [
                *["001", "002", "003", "004", "005", "005"],
                *["251", "252", "254", "255", "265", "266"],
                *["375", "372", "372", "376"],
            ],
        )
        self.assertEqual(messages[0].params[0], "alice")
        isupport = messages[4].params + messages[5].params
        for token in ["CASEMAPPING=ascii", "CHANTYPES=#", "NICKLEN=30",
                      "CHANNELLEN=50", "TOPICLEN=300", "LINELEN=512"]:  # fmt: skip
            self.assertIn(token, isupport)
        self.assertEqual(self.chat.memberNamed("alice").rooms, {})

    def test_capNegotiation(self) -> None:
        """CAP LS holds registration until CAP END; REQ is ACKed or NAKed."""
        client = IRCClient(self.factory, self.clock)
        client.send("CAP LS 302", "NICK alice", "USER alice 0 * :A")
        (ls,) = client.messages()
        self.assertEqual(ls.command, "CAP")
        self.assertIn("server-time", ls.params[2].split())
        client.send("CAP REQ :server-time echo-message", "CAP REQ :sasl-please")
        ack, nak = client.messages()
        self.assertEqual(ack.params[1:], ("ACK", "server-time echo-message"))
        self.assertEqual(nak.params[1], "NAK")
        client.send("CAP END")
        self.assertEqual(client.commands()[0], "001")
        # CAP LS 302 gives cap-notify without asking.
        self.assertEqual(
            client.protocol.capabilities, {"cap-notify", "server-time", "echo-message"}
        )

    def test_nickInUse(self) -> None:
        """A taken nick (in any case, by either protocol) is 433; another works."""
        self.lineMember("alice")
        client = IRCClient(self.factory, self.clock)
        client.send("NICK Alice", "USER a 0 * :A")
        (refused,) = client.messages()
        self.assertEqual(refused.command, "433")
        self.assertEqual(refused.params[:2], ("*", "Alice"))
        client.send("NICK alice2")
        self.assertEqual(client.commands()[0], "001")

    def test_badAndReservedNicks(self) -> None:
        client = IRCClient(self.factory, self.clock)
        client.send("USER a 0 * :A", "NICK 9lives", "NICK server", "NICK")
        self.assertEqual(client.commands(), ["432", "432", "431"])

    def test_notRegistered(self) -> None:
        """Before registering only registration commands are taken."""
        client = IRCClient(self.factory, self.clock)
        client.send("JOIN #a", "PING x")
        messages = client.messages()
        self.assertEqual([m.command for m in messages], ["451", "PONG"])

    def test_registrationTimeout(self) -> None:
        """
        A connection that does not register in 30 s (here: CAP negotiation
        never ended) is closed, told that registration did not finish.
        """
        self.factory.rules = DEFAULT_RULES
        client = IRCClient(self.factory, self.clock)
        client.send("CAP LS 302", "NICK slow", "USER slow 0 * :Slow")
        self.clock.advance(30)
        error = client.messages()[-1]
        self.assertEqual(error.command, "ERROR")
        self.assertEqual(
            error.params,
            ("Closing Link: Registration did not finish within 30 seconds",),
        )
        self.assertTrue(client.transport.disconnecting)

    def test_tricklingIsSilence(self) -> None:
        """
        A registered client sending a byte every 10 s, never a newline, is
        pinged and then dropped as silent.
        """
        self.factory.rules = DEFAULT_RULES
        client = self.register("alice")
        for _ in range(15):
            self.clock.advance(10)
            client.protocol.dataReceived(b"x")
        messages = client.messages()
        self.assertEqual([m.command for m in messages], ["PING", "ERROR"])
        self.assertTrue(client.transport.disconnecting)

    def test_unknownAndMalformed(self) -> None:
        """
        An unknown command is 421; a line that is not IRC is answered with a
        NOTICE saying what is wrong with it; an empty line is ignored.
        """
        client = self.register("alice")
        client.send("FROBNICATE x", ":", "", "  ", "@a=b", "PING t")
        messages = client.messages()
        self.assertEqual(
            [m.command for m in messages], ["421", "NOTICE", "NOTICE", "PONG"]
        )
        self.assertIn("':' with no source", messages[1].params[-1])
        self.assertIn("no command", messages[2].params[-1])

    def test_badBytesAnswered(self) -> None:
        """
        A NUL or a CR inside a line is named in a NOTICE; the line is not
        carried out and the connection goes on.
        """
        client = self.register("alice")
        client.protocol.dataReceived(
            b"PRIVMSG #a :nul\0here\r\nPRIVMSG #a :cr\rhere\r\nPING t\r\n"
        )
        messages = client.messages()
        self.assertEqual([m.command for m in messages], ["NOTICE", "NOTICE", "PONG"])
        self.assertIn("NUL byte", messages[0].params[-1])
        self.assertIn("CR or LF", messages[1].params[-1])
        self.assertEqual(self.chat.store.messagesBetween("#a", 0, 9, 9).result, [])

    def test_tooLong(self) -> None:
        """
        An over-long line is 417, and the connection goes on: one over the
        read bound, one over IRC's 512 bytes but within the read bound, and
        one whose tags are over 8191 bytes.
        """
        client = self.register("alice")
        client.protocol.dataReceived(b"PRIVMSG #a :" + b"x" * 9000 + b"\r\nPING t\r\n")
        self.assertEqual(client.commands(), ["417", "PONG"])
        client.protocol.dataReceived(b"PRIVMSG #a :" + b"x" * 501 + b"\r\nPING t\r\n")
        messages = client.messages()
        self.assertEqual([m.command for m in messages], ["417", "PONG"])
        self.assertIn("over 512 bytes", messages[0].params[-1])
        client.protocol.dataReceived(
            b"@a=" + b"x" * 8200 + b" PRIVMSG #a :hi\r\nPING t\r\n"
        )
        messages = client.messages()
        self.assertEqual([m.command for m in messages], ["417", "PONG"])
        self.assertIn("tags are over 8191", messages[0].params[-1])

    def test_refusedConnection(self) -> None:
        """Over the connection limits, one ERROR line and the connection closes."""
        self.factory.admission = Admission(self.clock, AdmissionRules(maxPerAddress=1))
        IRCClient(self.factory, self.clock)
        transport = StringTransport()
        protocol = self.factory.buildProtocol(IPv4Address("TCP", "192.0.2.9", 1))
        assert protocol is not None
        protocol.makeConnection(transport)
        self.assertEqual(
            transport.value(),
            b"ERROR :Closing Link: Too many connections from your address"
            b" (1 at once).\r\n",
        )


class RoomTests(IRCTestCase):
    def test_joinShared(self) -> None:
        """
        An IRC user joining #lobby: JOIN, the names with the line-protocol
        users, and the room's recent history with its original time.
        """
        bob = self.lineMember("bob")
        bob.send(b"before you came\n")
        self.clock.advance(5)
        alice = self.register("alice", "server-time")
        alice.send("JOIN #lobby,#dev")
        messages = alice.messages()
        commands = [m.command for m in messages]
        self.assertEqual(commands[0], "JOIN")
        self.assertEqual(messages[0].source, "alice!alice@chat")
        names = messages[commands.index("353")]
        self.assertEqual(names.params[1:], ("=", "#lobby", "bob alice"))
        history = messages[commands.index("PRIVMSG")]
        self.assertEqual(history.params, ("#lobby", "before you came"))
        self.assertEqual(history.source, "bob!bob@chat")
        self.assertEqual(history.tags, (("time", "2023-11-14T22:13:20.000Z"),))
        self.assertIn("JOIN #lobby alice", " ".join(bob.lines()))
        self.assertEqual(commands.count("JOIN"), 2)

    def test_talkBothWays(self) -> None:
        """Room messages and actions cross between the two protocols."""
        bob = self.lineMember("bob")
        alice = self.register("alice")
        alice.send("JOIN #lobby")
        alice.messages()
        bob.lines()
        alice.send(
            "PRIVMSG #lobby :hello from irc", "PRIVMSG #lobby :\x01ACTION waves\x01"
        )
        said = bob.lines()
        self.assertTrue(said[0].endswith("alice :hello from irc"))
        self.assertTrue(said[1].startswith("ACTION #lobby "))
        self.assertTrue(said[1].endswith("alice :waves"))
        self.assertEqual(alice.messages(), [])  # no echo without echo-message
        bob.send(b"hi alice\n/me bows\n")
        heard = alice.messages()
        self.assertEqual(
            [(m.source, m.params) for m in heard],
            [
                ("bob!bob@chat", ("#lobby", "hi alice")),
                ("bob!bob@chat", ("#lobby", "\x01ACTION bows\x01")),
            ],
        )

    def test_echoMessage(self) -> None:
        """With echo-message, the sender gets its own message back."""
        alice = self.register("alice", "echo-message")
        alice.send("JOIN #lobby")
        alice.messages()
        alice.send("PRIVMSG #lobby :mine")
        (echo,) = alice.messages()
        self.assertEqual(
            (echo.source, echo.params), ("alice!alice@chat", ("#lobby", "mine"))
        )

    def test_sharedAmongIRCClients(self) -> None:
        """
        Among several IRC clients, each sees a room message as its
        capabilities say: with or without its time, and the sender not at
        all without echo-message, message after message.
        """
        alice = self.register("alice")
        bob = self.register("bob")
        carol = self.register("carol", "server-time", "echo-message")
        for client in (alice, bob, carol):
            client.send("JOIN #lobby")
        for client in (alice, bob, carol):
            client.messages()
        alice.send("PRIVMSG #lobby :one", "PRIVMSG #lobby :two")
        bob.send("PRIVMSG #lobby :three")
        self.assertEqual(
            [(m.source, m.params[1]) for m in alice.messages()],
            [("bob!bob@chat", "three")],
        )
        self.assertEqual(
            [(m.source, m.params[1], m.tags) for m in bob.messages()],
            [("alice!alice@chat", "one", ()), ("alice!alice@chat", "two", ())],
        )
        heard = carol.messages()
        self.assertEqual([m.params[1] for m in heard], ["one", "two", "three"])
        self.assertTrue(all(m.tags[0][0] == "time" for m in heard))
        carol.send("PRIVMSG #lobby :mine")
        self.assertEqual([m.params[1] for m in carol.messages()], ["mine"])
        self.assertEqual([m.params[1] for m in alice.messages()], ["mine"])

    def test_privateBothWays(self) -> None:
        bob = self.lineMember("bob")
        alice = self.register("alice")
        alice.send("PRIVMSG bob :psst")
        self.assertIn("PRIVMSG alice bob", bob.lines()[0])
        bob.send(b"/msg alice back\n")
        (private,) = alice.messages()
        self.assertEqual(
            (private.source, private.params), ("bob!bob@chat", ("alice", "back"))
        )

    def test_queriesForSeveralChannels(self) -> None:
        """
        WHO and MODE for several channels at once (as irssi asks after
        joining them) answer for each channel, each with its end.
        """
        bob = self.lineMember("bob")
        bob.send(b"/join #dev\n")
        alice = self.register("alice")
        alice.send("JOIN #lobby,#dev")
        alice.messages()
        alice.send("MODE #lobby,#dev", "WHO #lobby,#dev", "MODE #lobby,#dev b")
        replies = [(m.command, m.params[1]) for m in alice.messages()]
        self.assertEqual(
            replies,
            [("324", "#lobby"), ("324", "#dev"), ("329", "#dev")]
            + [("352", "#lobby")] * 2 + [("315", "#lobby")]
            + [("352", "#dev")] * 2 + [("315", "#dev")]
            + [("368", "#lobby"), ("368", "#dev")],
        )  # fmt: skip

    def test_noticeStaysANotice(self) -> None:
        """
        A NOTICE to a channel or a nick reaches IRC users as a NOTICE (the
        sender too, with echo-message) and line users as USERNOTICE; it is
        not stored, and a notice to nobody is not answered.
        """
        bob = self.lineMember("bob")
        carol = self.register("carol")
        carol.send("JOIN #lobby")
        alice = self.register("alice", "echo-message")
        alice.send("JOIN #lobby")
        carol.messages()
        alice.messages()
        bob.lines()
        alice.send(
            "NOTICE #lobby :the build is green",
            "NOTICE carol :psst",
            "NOTICE bob :hello bob",
            "NOTICE nobody :lost",
        )
        self.assertEqual(
            [(m.command, m.params) for m in carol.messages()],
            [
                ("NOTICE", ("#lobby", "the build is green")),
                ("NOTICE", ("carol", "psst")),
            ],
        )
        self.assertEqual(
            [(m.command, m.params) for m in alice.messages()],
            [
                ("NOTICE", ("#lobby", "the build is green")),
                ("NOTICE", ("carol", "psst")),
                ("NOTICE", ("bob", "hello bob")),
            ],
        )
        seen = bob.lines()
        self.assertEqual([line.split()[0] for line in seen], ["USERNOTICE"] * 2)
        self.assertTrue(seen[0].startswith("USERNOTICE #lobby "), seen)
        self.assertTrue(seen[0].endswith(" alice :the build is green"), seen)
        self.assertTrue(seen[1].startswith("USERNOTICE bob "), seen)
        self.assertEqual(
            self.chat.roomOf(self.chat.memberNamed("bob"), "#lobby").lastSequence, 0
        )
        # Without echo-message, one's own notice to a room (where it is
        # shared with the others) is not sent back; one to oneself arrives.
        carol.send("NOTICE #lobby :from carol", "NOTICE carol :to myself")
        self.assertEqual(
            [(m.command, m.params) for m in carol.messages()],
            [("NOTICE", ("carol", "to myself"))],
        )
        self.assertEqual(
            [(m.command, m.params) for m in alice.messages()],
            [("NOTICE", ("#lobby", "from carol"))],
        )

    def test_ownNoticeAlone(self) -> None:
        """
        The only IRC client in a room (its notice delivered to it alone, not
        in a batch shared with other IRC clients) is not sent its own
        notice back without echo-message; the line member gets it.
        """
        bob = self.lineMember("bob")
        dora = self.register("dora")
        dora.send("JOIN #lobby")
        dora.messages()
        bob.lines()
        dora.send("NOTICE #lobby :the build is green")
        self.assertEqual(dora.messages(), [])
        self.assertTrue(bob.lastLine().startswith("USERNOTICE #lobby "))

    def test_privateActionToSeveral(self) -> None:
        """
        A CTCP ACTION to several nicks reaches each once as an action, not
        with the sender's nick prefixed again for each recipient.
        """
        bob = self.lineMember("bob")
        carol = self.lineMember("carol")
        dave = self.lineMember("dave")
        alice = self.register("alice")
        alice.send("PRIVMSG bob,carol,dave :\x01ACTION waves\x01")
        for line in (bob.lines()[-1], carol.lines()[-1], dave.lines()[-1]):
            self.assertTrue(line.endswith(" :* alice waves"), line)

    def test_errors(self) -> None:
        """
        Refusals are the right numerics (a message to a channel nobody is
        in: 403, as RFC 2812 says); NOTICE gets none.
        """
        alice = self.register("alice")
        alice.send(
            "PRIVMSG nobody :x", "PRIVMSG #nowhere :x", "NOTICE nobody :x",
            "PRIVMSG", "PRIVMSG bob", "JOIN lobby", "PART #lobby", "JOIN",
        )  # fmt: skip
        self.assertEqual(
            alice.commands(), ["401", "403", "411", "412", "403", "442", "461"]
        )

    def test_longMessageSplit(self) -> None:
        """A 4000-byte line-protocol message reaches IRC as several lines."""
        bob = self.lineMember("bob")
        alice = self.register("alice")
        alice.send("JOIN #lobby")
        alice.messages()
        text = " ".join(["word"] * 800)
        bob.send(text.encode() + b"\n")
        pieces = alice.messages()
        self.assertGreater(len(pieces), 5)
        self.assertEqual(" ".join(m.params[1] for m in pieces), text)

    def test_partQuitNickTopic(self) -> None:
        """
        What line-protocol users do is seen by IRC users, and the reverse;
        the topic is set by the room's operator, who made it.
        """
        bob = self.lineMember("bob")
        bob.send(b"/join #plans\n")
        alice = self.register("alice")
        alice.send("JOIN #plans")
        alice.messages()
        bob.lines()
        bob.send(b"/topic #plans plans\n/nick robert\n")
        topic, nick = alice.messages()
        self.assertEqual((topic.command, topic.params), ("TOPIC", ("#plans", "plans")))
        self.assertEqual((nick.source, nick.params), ("bob!bob@chat", ("robert",)))
        alice.send("TOPIC #plans", "NICK alicia")
        replies = alice.messages()
        self.assertEqual([m.command for m in replies], ["332", "333", "NICK"])
        # Who set it, as nick!user@host, and when, in seconds (irssi shows it).
        self.assertEqual(replies[1].params[2:], ("bob!bob@chat", "1700000000"))
        self.assertIn("NICK alice alicia", " ".join(bob.lines()))
        alice.send("PART #plans :bye all")
        self.assertIn("PART #plans alicia", bob.lines()[0])
        alice.send("JOIN #plans", "QUIT :gone")
        self.assertTrue(bob.lines()[-1].endswith(":gone"))
        self.assertEqual(alice.messages()[-1].command, "ERROR")
        self.assertTrue(alice.transport.disconnecting)

    def test_queries(self) -> None:
        """NAMES, WHO, WHOIS, LIST, MODE, AWAY, USERHOST, ISON, PING."""
        self.lineMember("bob")
        alice = self.register("alice")
        alice.send("JOIN #lobby")
        alice.messages()
        alice.send(
            "NAMES #lobby", "WHO #lobby", "WHOIS bob", "WHOIS nobody", "LIST",
            "MODE #lobby", "MODE #lobby b", "MODE #lobby +o bob", "MODE alice",
            "AWAY :lunch", "AWAY", "USERHOST bob nobody", "ISON bob nobody", "PING :t1",
        )  # fmt: skip
        self.assertEqual(
            alice.commands(),
            ["353", "366", "352", "352", "315", "311", "319", "312", "318", "401",
             "318", "321", "322", "323", "324", "368", "482", "221", "306", "305",
             "302", "303", "PONG"],
        )  # fmt: skip

    def test_modesAsAdvertised(self) -> None:
        """
        A channel's modes are what ISUPPORT and 004 advertise; a new one's
        are +nt: only members speak, only operators set the topic.
        """
        client = IRCClient(self.factory, self.clock)
        client.send("NICK alice", "USER a 0 * :A", "JOIN #lobby")
        messages = client.messages()
        (welcome4,) = [m for m in messages if m.command == "004"]
        isupport = [p for m in messages if m.command == "005" for p in m.params]
        self.assertEqual(welcome4.params[-2:], ("biklmnoqstvR", "bkloqv"))
        for token in ["CHANMODES=b,k,l,imnstR", "PREFIX=(qov)~@+", "EXTBAN=,m",
                      "MODES=6", "MAXLIST=b:100"]:  # fmt: skip
            self.assertIn(token, isupport)
        client.send("MODE #lobby", "JOIN #new", "MODE #new")
        messages = client.messages()
        modes = [(m.command, m.params[1:]) for m in messages if m.command[0] == "3"]
        self.assertEqual(
            modes,
            [("324", ("#lobby", "+tn")), ("353", ("=", "#new", "@alice")),
             ("366", ("#new", "End of /NAMES list")), ("324", ("#new", "+tn")),
             ("329", ("#new", "1700000000"))],
        )  # fmt: skip

    def test_awayTold(self) -> None:
        """Writing to, or asking about, an away IRC user gets 301 and why."""
        bob = self.register("bob")
        bob.send("AWAY :at lunch")
        bob.messages()
        alice = self.register("alice")
        alice.send("PRIVMSG bob :there?", "NOTICE bob :fyi", "WHOIS bob")
        replies = alice.messages()
        self.assertEqual(replies[0].command, "301")
        self.assertEqual(replies[0].params[1:], ("bob", "at lunch"))
        self.assertEqual([m.command for m in replies].count("301"), 2)

    def test_awayIsTheMembers(self) -> None:
        """
        AWAY marks the member in the chat core, where every front end can
        read it, not only the IRC connection that set it.
        """
        bob = self.register("bob")
        bob.send("AWAY :at lunch")
        self.assertEqual(self.chat.memberNamed("bob").away, "at lunch")
        bob.send("AWAY")
        self.assertIsNone(self.chat.memberNamed("bob").away)

    def test_namesCutToFit(self) -> None:
        """A long member list comes in several 353 lines, each within 512 bytes."""
        for n in range(60):
            connectMember(self.chat, f"member{n:02d}_long")
            self.chat.join(self.chat.memberNamed(f"member{n:02d}_long"), "#lobby")
        alice = self.register("alice")
        alice.send("NAMES #lobby")
        self.clock.advance(0)
        data = alice.transport.value()
        lines = data.split(b"\r\n")[:-1]
        self.assertTrue(all(len(line) + 2 <= 512 for line in lines))
        names = [parseMessage(line) for line in lines]
        self.assertGreater([m.command for m in names].count("353"), 1)
        nicks = " ".join(m.params[3] for m in names if m.command == "353").split()
        self.assertEqual(len(nicks), 60)

    def test_serverTime(self) -> None:
        self.assertEqual(serverTime(1_764_094_803_456), "2025-11-25T18:20:03.456Z")

    def test_floodControl(self) -> None:
        """IRC clients are held to the same flood control."""
        self.factory.rules = DEFAULT_RULES
        alice = self.register("alice")
        self.clock.advance(60)
        alice.send(*["PRIVMSG nobody :x"] * 8)
        self.assertEqual(alice.commands().count("401"), 5)
        self.clock.advance(1.5)
        self.assertEqual(alice.commands().count("401"), 3)

    def test_arrivalNotDelayed(self) -> None:
        """
        What irssi sends in its first second (registration, a join and the
        queries after it) goes through at once, with no flood notice.
        """
        self.factory.rules = DEFAULT_RULES
        client = IRCClient(self.factory, self.clock)
        client.send(
            "CAP LS 302", "NICK alice", "USER alice 0 * :Alice",
            "CAP REQ :multi-prefix server-time", "CAP END", "MODE alice +i",
            "JOIN #lobby", "MODE #lobby", "WHO #lobby", "MODE #lobby b",
            "PING irssi-lag",
        )  # fmt: skip
        commands = client.commands()
        self.assertNotIn("NOTICE", commands)
        self.assertEqual(commands[-1], "PONG")
        self.assertEqual(client.transport.producerState, "producing")

    def test_arrivalAllowanceEnds(self) -> None:
        """
        The arrival allowance is gone after its seconds: then 5 lines at
        once, as for everyone.
        """
        self.factory.rules = DEFAULT_RULES
        alice = self.register("alice")
        self.clock.advance(10)
        alice.send(*["PRIVMSG nobody :x"] * 8)
        self.assertEqual(alice.commands().count("401"), 5)

    def test_cheapQueries(self) -> None:
        """
        Queries cost half a line: 9 go through at once where 5 messages
        would.
        """
        self.factory.rules = DEFAULT_RULES
        alice = self.register("alice")
        alice.send("JOIN #lobby")
        self.clock.advance(60)
        alice.messages()
        alice.send(*["MODE #lobby"] * 12)
        self.assertEqual(alice.commands().count("324"), 9)

    def test_recipientsCostLines(self) -> None:
        """
        A PRIVMSG to four rooms costs four lines of the flood allowance: ten
        such lines at once carry out 8 messages (a burst of 5, the last line
        in debt), then 2 a second, never more than the burst and the rate
        allow, give or take one line's recipients.
        """
        self.factory.rules = DEFAULT_RULES
        alice = self.register("alice")
        watcher = self.lineMember("watcher")
        rooms = ["#a", "#b", "#c", "#d"]
        for room in rooms:
            alice.send(f"JOIN {room}")
            watcher.send(f"/join {room}\n".encode())
        self.clock.advance(60)  # the last JOIN waited for the flood rate
        self.clock.advance(60)  # a full burst again
        alice.messages()
        watcher.lines()
        alice.send(*[f"PRIVMSG {','.join(rooms)} :n{n}" for n in range(10)])
        said = [line for line in watcher.lines() if line.startswith("MSG ")]
        self.assertEqual(len(said), 8)
        for second in range(1, 21):
            self.clock.advance(1)
            said += [line for line in watcher.lines() if line.startswith("MSG ")]
            self.assertLessEqual(len(said), 5 + 2 * second + 3)
        self.assertEqual(len(said), 40)

    def test_duplicateRecipientsOnce(self) -> None:
        """One room named four times, in any case, gets the message once."""
        alice = self.register("alice")
        watcher = self.lineMember("watcher")
        alice.send("JOIN #a")
        watcher.send(b"/join #a\n")
        watcher.lines()
        alice.send("PRIVMSG #a,#A,#a,,#a :once")
        said = [line for line in watcher.lines() if line.startswith("MSG ")]
        self.assertEqual(len(said), 1)

    def test_tooManyRecipients(self) -> None:
        """
        Five recipients is one more than TARGMAX advertises: 407, and nobody
        gets the message; a NOTICE is refused silently.
        """
        alice = self.register("alice")
        for nick in ["b1", "b2", "b3", "b4", "b5"]:
            self.lineMember(nick)
        bob = self.lineMember("bob")
        alice.send("PRIVMSG bob,b1,b2,b3,b4 :hi", "NOTICE bob,b1,b2,b3,b4 :hi")
        messages = alice.messages()
        self.assertEqual([m.command for m in messages], ["407"])
        self.assertIn("at most 4", messages[0].params[-1])
        self.assertEqual(bob.lines(), [])
        client = IRCClient(self.factory, self.clock)
        client.send("NICK carol", "USER c 0 * :C")
        isupport = next(m for m in client.messages() if m.command == "005")
        self.assertIn("TARGMAX=PRIVMSG:4,NOTICE:4,KICK:4", isupport.params)


class SlowConsumerTests(IRCTestCase):
    """
    An IRC client that does not read is held to the same send queue as a
    line-protocol one: past it, channel messages are left out, and it is
    told which when it catches up.
    """

    def setUp(self) -> None:
        super().setUp()
        self.factory.rules = ConnectionRules(floodRate=0, sendQueueBytes=2000)
        self.alice = self.register("alice")
        self.alice.send("JOIN #lobby")
        self.bob = self.lineMember("bob")
        self.alice.messages()

    def flood(self, count: int) -> None:
        """Bob says C{count} long lines in #lobby, one reactor turn each."""
        for n in range(count):
            self.bob.send(b"line %d %s\n" % (n, b"x" * 80))
            self.clock.advance(0)

    def test_trimmedAndTold(self) -> None:
        """
        Past the send queue, the client is not sent the channel's PRIVMSGs
        (those it held are let go too), but is still sent everything else (a
        private message); when it drains it gets a NOTICE naming the channel
        and the messages it missed, after what was kept.  Its own message,
        not echoed, is left out of the batch it shares with another IRC
        client without upsetting the marks of the others.
        """
        alice = self.alice
        carol = self.register("carol")
        carol.send("JOIN #lobby")
        carol.messages()
        alice.messages()
        alice.protocol.guard.pauseProducing()
        alice.send("PRIVMSG #lobby :mine")  # number 1, in one batch with 2
        self.flood(40)  # numbers 2 to 41
        self.bob.send(b"/msg alice psst\n")
        self.clock.advance(0)
        self.assertFalse(alice.transport.disconnecting)
        self.assertEqual(alice.messages(), [])
        alice.protocol.guard.resumeProducing()
        private, gap = alice.messages()
        self.assertEqual(
            (private.command, private.params), ("PRIVMSG", ("alice", "psst"))
        )
        self.assertEqual(
            gap,
            IRCMessage(
                "NOTICE",
                (
                    "alice",
                    "You missed messages 2 to 41 of #lobby while not reading;"
                    " CHATHISTORY BETWEEN #lobby msgid=#lobby/1 msgid=#lobby/42 40"
                    " fetches them",
                ),
                "twisted-chat",
            ),
        )
        self.assertFalse(alice.transport.disconnecting)
        self.assertIn("alice", self.chat.membersOf("#lobby").nicks)
        self.assertEqual(
            [m.params[0] for m in carol.messages() if m.command == "PRIVMSG"],
            ["#lobby"] * 41,
        )

    def test_behindTooLong(self) -> None:
        """Still behind after 60 s: the client is aborted, its room told."""
        self.alice.protocol.guard.pauseProducing()
        self.flood(40)
        self.clock.advance(59)
        self.assertFalse(self.alice.transport.disconnecting)
        self.clock.advance(1)
        self.assertTrue(self.alice.transport.disconnected)
        self.assertTrue(self.bob.lines()[-1].endswith(":Did not read for 60 seconds"))

    def test_drainedInTime(self) -> None:
        """A client that catches up in time is not dropped later."""
        self.alice.protocol.guard.pauseProducing()
        self.flood(40)
        self.clock.advance(30)
        self.alice.protocol.guard.resumeProducing()
        self.clock.advance(60)
        self.assertFalse(self.alice.transport.disconnecting)

    def test_beyondSaving(self) -> None:
        """
        Behind, with more than the queue of lines that cannot be left out
        (private messages), the client is aborted at once.
        """
        self.alice.protocol.guard.pauseProducing()
        self.flood(30)
        for _n in range(30):
            self.bob.send(b"/msg alice %s\n" % (b"y" * 100))
            self.clock.advance(0)
        self.assertTrue(self.alice.transport.disconnected)
        self.assertIn("QUIT alice", " ".join(self.bob.lines()))


class SASLTests(IRCTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.successResultOf(self.accounts.register("alice", "correct-horse"))
        self.chat.registered("alice")

    def authenticate(self, client: IRCClient, nick: str, password: str) -> list[str]:
        payload = base64.b64encode(f"\0{nick}\0{password}".encode()).decode()
        client.send("CAP LS 302", "CAP REQ :sasl", "NICK alice", "USER a 0 * :A")
        client.messages()
        client.send("AUTHENTICATE PLAIN")
        self.assertEqual(client.messages(), [IRCMessage("AUTHENTICATE", ("+",))])
        client.send(f"AUTHENTICATE {payload}", "CAP END")
        return client.commands()

    def test_loginAsAccount(self) -> None:
        """SASL PLAIN with the account's password: 900, 903, then welcome."""
        self.lineMember("bob").send(b"/msg alice while you were out\n")
        client = IRCClient(self.factory, self.clock)
        commands = self.authenticate(client, "alice", "correct-horse")
        self.assertEqual(commands[:3], ["900", "903", "001"])
        self.assertEqual(commands[-1], "PRIVMSG")
        member = self.chat.memberNamed("alice")
        self.assertEqual(member.account, "alice")
        self.assertIs(member.participant, client.protocol)

    def test_wrongPassword(self) -> None:
        """A wrong password is 904, and the registered nick stays refused."""
        client = IRCClient(self.factory, self.clock)
        commands = self.authenticate(client, "alice", "wrong-horse")
        self.assertEqual(commands, ["904", "433"])

    def test_registeredNickNeedsLogin(self) -> None:
        """Without SASL, a registered nick is refused (433)."""
        client = IRCClient(self.factory, self.clock)
        client.send("NICK alice", "USER a 0 * :A")
        self.assertEqual(client.commands(), ["433"])

    def test_requireLogin(self) -> None:
        """With --require-login, an IRC client without SASL is turned away."""
        self.factory.requireLogin = True
        client = IRCClient(self.factory, self.clock)
        client.send("NICK carol", "USER c 0 * :C")
        self.assertEqual(client.messages()[-1].command, "ERROR")
        self.assertTrue(client.transport.disconnecting)
        other = IRCClient(self.factory, self.clock)
        self.assertIn("001", self.authenticate(other, "alice", "correct-horse"))

    def test_badPayloadAndAbort(self) -> None:
        client = IRCClient(self.factory, self.clock)
        client.send("CAP REQ :sasl", "AUTHENTICATE PLAIN")
        client.messages()
        client.send("AUTHENTICATE !!notbase64", "AUTHENTICATE PLAIN", "AUTHENTICATE *")
        self.assertEqual(client.commands(), ["904", "AUTHENTICATE", "906"])
        client.send("AUTHENTICATE SCRAM-SHA-256")
        self.assertEqual(client.commands(), ["908", "904"])

    def test_payloadInPieces(self) -> None:
        """
        A payload of more than 400 base64 bytes comes in 400-byte pieces
        and is put together; one over the bound (1600) is refused unchecked.
        """
        client = IRCClient(self.factory, self.clock)
        client.send("CAP REQ :sasl", "AUTHENTICATE PLAIN")
        client.messages()
        # The right password, but more than 1600 bytes of base64 in all.
        tooLong = base64.b64encode(b"alice" * 300 + b"\0alice\0correct-horse")
        pieces = [tooLong[n : n + 400].decode() for n in range(0, len(tooLong), 400)]
        self.assertGreater(len(pieces), 4)
        client.send(*(f"AUTHENTICATE {piece}" for piece in pieces))
        self.assertEqual(client.commands(), ["904"])
        # A long authorisation id makes a right payload longer than 400.
        payload = base64.b64encode(b"alice" * 80 + b"\0alice\0correct-horse")
        pieces = [payload[n : n + 400].decode() for n in range(0, len(payload), 400)]
        self.assertEqual(len(pieces[0]), 400)
        client.send("AUTHENTICATE PLAIN")
        client.messages()
        client.send(*(f"AUTHENTICATE {piece}" for piece in pieces))
        self.assertEqual(client.commands(), ["900", "903"])


class SASLThrottleTests(IRCTestCase):
    """
    SASL PLAIN held to the login throttle while its argon2 checks take time
    (the hashing runner holds each until the test finishes it).
    """

    def setUp(self) -> None:
        super().setUp()
        self.runner = HeldRunner()
        self.accounts = Accounts(
            self.chat,
            PasswordHasher(self.clock, FAST_ARGON2, self.runner),
            self.clock,
        )
        self.factory = IRCChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED
        )
        registered = ensureDeferred(self.accounts.register("alice", "correct-horse"))
        self.runner.runAll()
        self.successResultOf(registered)
        self.chat.registered("alice")
        self.runner.ran.clear()

    def startAuthenticating(self, host: str, password: str, nick: str) -> IRCClient:
        client = IRCClient(self.factory, self.clock, host)
        client.send("CAP LS 302", "CAP REQ :sasl", f"NICK {nick}", "USER a 0 * :A")
        client.send("AUTHENTICATE PLAIN")
        client.messages()
        payload = base64.b64encode(f"\0alice\0{password}".encode()).decode()
        client.send(f"AUTHENTICATE {payload}")
        return client

    def outcome(self, client: IRCClient) -> str:
        (reply,) = [m for m in client.messages() if m.command in ("903", "904")]
        if reply.command == "903":
            return "in"
        return "throttled" if "Too many" in reply.params[-1] else "failed"

    def test_parallelConnections(self) -> None:
        """
        Sixteen connections from one address each guess alice's password at
        once, the right one last: only five guesses are checked, one at a
        time, the rest (the right one too) are refused unchecked; the right
        password from another address then gets in.
        """
        clients = [
            self.startAuthenticating("192.0.2.9", f"wrong-{n}", f"guess{n}")
            for n in range(15)
        ]
        clients.append(self.startAuthenticating("192.0.2.9", "correct-horse", "me"))
        self.assertEqual(len(self.runner.held), 1)
        self.runner.runAll()
        outcomes = [self.outcome(client) for client in clients]
        self.assertEqual(outcomes, ["failed"] * 5 + ["throttled"] * 11)
        self.assertEqual(len(self.runner.checked()), 5)
        again = self.startAuthenticating("192.0.2.9", "correct-horse", "me2")
        self.assertEqual(self.outcome(again), "throttled")
        owner = self.startAuthenticating("198.51.100.7", "correct-horse", "me3")
        self.runner.runAll()
        self.assertEqual(self.outcome(owner), "in")
