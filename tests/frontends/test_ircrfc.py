"""
Tests for the RFC 1459/2812 commands and replies of the IRC front end
(L{twisted_chat.frontends.irc}): the server's name, PING, the questions
about the server and its users, WHO and WHOX, LIST's conditions, long text
and lines that are answered rather than dropped.
"""

from twisted_chat.frontends.irc.factory import IRCChatFactory
from twisted_chat.limits import UNLIMITED
from twisted_chat.wire.irc import parseMessage

from ..clients import IRCClient, IRCTestCase


class ServerNameTests(IRCTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.factory = IRCChatFactory(
            self.chat, self.accounts, self.clock, rules=UNLIMITED,
            serverName="irc.example.org",
        )  # fmt: skip

    def test_everySourceIsTheName(self) -> None:
        """The welcome's numerics, notices and PONG come from the server's name."""
        client = IRCClient(self.factory, self.clock)
        client.send("NICK alice", "USER alice 0 * :Alice")
        messages = client.messages()
        self.assertEqual({m.source for m in messages}, {"irc.example.org"})
        self.assertIn("irc.example.org", messages[1].params[1])
        self.assertEqual(messages[3].params[1], "irc.example.org")
        client.send("PING :a token", "WHOIS alice")
        pong, *whois = client.messages()
        self.assertEqual(pong.source, "irc.example.org")
        self.assertEqual(pong.params, ("irc.example.org", "a token"))
        (server,) = [m for m in whois if m.command == "312"]
        self.assertEqual(server.params[2], "irc.example.org")


class PingTests(IRCTestCase):
    def test_pingWithoutToken(self) -> None:
        """PING without a token is 409 (no origin), registered or not."""
        client = IRCClient(self.factory, self.clock)
        client.send("PING", "PING :")
        self.assertEqual(client.commands(), ["409", "409"])
        alice = self.register("alice")
        alice.send("PING")
        (noOrigin,) = alice.messages()
        self.assertEqual(noOrigin.command, "409")
        self.assertEqual(noOrigin.params[0], "alice")


class UserTests(IRCTestCase):
    def test_userAndRealNameShown(self) -> None:
        """USER's user name and real name are what WHOIS (311) and WHO (352) show."""
        bob = IRCClient(self.factory, self.clock)
        bob.send("NICK bob", "USER bobby 0 * :Bob the Builder")
        bob.messages()
        alice = self.register("alice")
        alice.send("WHOIS bob", "WHO bob")
        messages = alice.messages()
        (user,) = [m for m in messages if m.command == "311"]
        self.assertEqual(
            user.params[1:], ("bob", "bobby", "chat", "*", "Bob the Builder")
        )
        (who,) = [m for m in messages if m.command == "352"]
        self.assertEqual(who.params[2], "bobby")
        self.assertEqual(who.params[-1], "0 Bob the Builder")

    def test_userNameMadeSafe(self) -> None:
        """A user name keeps only what is safe in a source, at most 16 characters."""
        bob = IRCClient(self.factory, self.clock)
        bob.send("NICK bob", "USER b@o!b*" + "x" * 20 + " 0 * :Bob")
        bob.messages()
        self.assertEqual(self.chat.memberNamed("bob").userName, "bob" + "x" * 13)

    def test_emptyRealName(self) -> None:
        """An empty real name, or too few parameters, is 461 and no registration."""
        client = IRCClient(self.factory, self.clock)
        client.send("NICK bob", "USER bob 0 * :", "USER bob 0 *", "USER bob 0 * :  ")
        self.assertEqual(client.commands(), ["461", "461", "461"])
        self.assertIsNone(client.protocol.member)
        client.send("USER bob 0 * :Bob")
        self.assertEqual(client.commands()[0], "001")


class WhoWasTests(IRCTestCase):
    def test_quitAndRenamed(self) -> None:
        """
        WHOWAS names who used a nick that is gone, by quitting or renaming,
        newest first, with the user and real name it had; at most COUNT.
        """
        alice = self.register("alice")
        for real in ["First", "Second"]:
            bob = IRCClient(self.factory, self.clock)
            bob.send("NICK bob", f"USER bobby 0 * :{real}", "QUIT")
        carol = self.register("carol")
        carol.send("NICK caroline")
        alice.messages()
        alice.send("WHOWAS bob", "WHOWAS carol 1")
        messages = alice.messages()
        self.assertEqual(
            [m.command for m in messages],
            ["314", "312", "314", "312", "369", "314", "312", "369"],
        )
        self.assertEqual(
            messages[0].params[1:], ("bob", "bobby", "chat", "*", "Second")
        )
        self.assertEqual(messages[2].params[-1], "First")
        self.assertEqual(messages[1].params[2], "twisted-chat")
        self.assertEqual(messages[5].params[1], "carol")

    def test_unknown(self) -> None:
        """A nick nobody used is 406 then 369; no nick at all is 431."""
        alice = self.register("alice")
        alice.send("WHOWAS nobody", "WHOWAS")
        self.assertEqual(alice.commands(), ["406", "369", "431"])


class ServerInfoTests(IRCTestCase):
    def test_lusers(self) -> None:
        """LUSERS counts users, operators and public channels (251-255, 265, 266)."""
        alice = self.register("alice")
        alice.send("JOIN #a")
        self.register("bob")
        alice.messages()
        alice.send("LUSERS")
        replies = {m.command: m.params[1:] for m in alice.messages()}
        self.assertEqual(list(replies), ["251", "252", "254", "255", "265", "266"])
        self.assertIn("There are 2 users", replies["251"][0])
        self.assertEqual(replies["252"][0], "0")
        self.assertEqual(replies["254"][0], "2")  # #lobby and #a
        self.assertEqual(replies["265"][:2], ("2", "2"))

    def test_motd(self) -> None:
        """MOTD as a command: 375, 372s, 376; 422 when there is none."""
        alice = self.register("alice")
        alice.send("MOTD")
        self.assertEqual(alice.commands(), ["375", "372", "372", "376"])
        self.factory.motd = ()
        alice.send("MOTD")
        self.assertEqual(alice.commands(), ["422"])

    def test_timeInfoVersionAdmin(self) -> None:
        """TIME (391), INFO (371s, 374), VERSION (351 then 005s), ADMIN (256-259)."""
        alice = self.register("alice")
        alice.send("TIME")
        (time,) = alice.messages()
        self.assertEqual((time.command, time.params[1]), ("391", "twisted-chat"))
        alice.send("INFO")
        commands = alice.commands()
        self.assertEqual(commands[-1], "374")
        self.assertEqual(set(commands[:-1]), {"371"})
        alice.send("VERSION")
        version, *isupport = alice.messages()
        self.assertEqual(version.command, "351")
        self.assertEqual(version.params[2], "twisted-chat")
        self.assertEqual({m.command for m in isupport}, {"005"})
        tokens = [t for m in isupport for t in m.params]
        for token in ["WHOX", "ELIST=MNU", "USERLEN=16"]:
            self.assertIn(token, tokens)
        alice.send("ADMIN")
        self.assertEqual(alice.commands(), ["256", "257", "258", "259"])

    def test_help(self) -> None:
        """HELP and HELPOP: 704, 705s, 706 for a subject; 524 for an unknown one."""
        alice = self.register("alice")
        alice.send("HELP", "HELPOP who", "HELP nonsense")
        messages = alice.messages()
        commands = [m.command for m in messages]
        self.assertEqual(commands[0], "704")
        self.assertEqual(messages[0].params[1], "*")
        self.assertEqual(commands[-1], "524")
        self.assertEqual(messages[-1].params[1], "NONSENSE")
        who = [m for m in messages if m.params[1] == "WHO"]
        self.assertEqual([m.command for m in who], ["704", "705", "706"])

    def test_userhost(self) -> None:
        """USERHOST marks the away with -, the here with +, server operators with *."""
        alice = self.register("alice")
        bob = self.register("bob")
        bob.send("AWAY :lunch")
        self.chat.operators.isServerOperator = (  # type: ignore[method-assign]
            lambda member: member.nick == "alice"
        )
        alice.send("USERHOST alice bob nobody")
        (reply,) = alice.messages()
        self.assertEqual(reply.params[1], "alice*=+alice@chat bob=-bob@chat")


class WhoTests(IRCTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.alice = self.register("alice")
        self.ali = IRCClient(self.factory, self.clock)
        self.ali.send("NICK ali", "USER baba 0 * :Ali Baba", "JOIN #room")
        self.bob = self.register("bob")
        self.bob.send("JOIN #room", "AWAY :out")
        self.alice.messages()

    def test_masks(self) -> None:
        """
        WHO with a mask matches nicks, user names, hosts and real names,
        with * and ?; WHO * lists everyone; G for the away, H for the here.
        """
        self.alice.send("WHO ali*", "WHO *baba*", "WHO b?b", "WHO *")
        messages = self.alice.messages()
        ends = [m.params[1] for m in messages if m.command == "315"]
        self.assertEqual(ends, ["ali*", "*baba*", "b?b", "*"])
        byNick = {m.params[5]: m for m in messages if m.command == "352"}
        self.assertEqual(byNick["bob"].params[6], "G")
        self.assertEqual(byNick["ali"].params[6], "H")
        self.assertEqual(byNick["ali"].params[4], "twisted-chat")
        self.assertEqual(
            [m.params[5] for m in messages if m.command == "352"],
            ["alice", "ali", "ali", "bob", "alice", "ali", "bob"],
        )

    def test_whox(self) -> None:
        """
        WHO #room %tnuhaf,42: 354s with the token and the fields asked, in
        WHOX's order whatever the order asked, then 315.
        """
        self.alice.send("WHO #room %fahunt,42")
        messages = self.alice.messages()
        self.assertEqual([m.command for m in messages], ["354", "354", "315"])
        self.assertEqual(
            messages[0].params[1:], ("42", "baba", "chat", "ali", "H@", "0")
        )
        self.assertEqual(messages[1].params[1:], ("42", "bob", "chat", "bob", "G", "0"))

    def test_whoxRealNameLast(self) -> None:
        """WHOX's real name, with its spaces, is the last parameter."""
        self.alice.send("WHO ali %cnr")
        (reply, _) = self.alice.messages()
        self.assertEqual(reply.params[1:], ("*", "ali", "Ali Baba"))


class ListTests(IRCTestCase):
    def test_masksAndCounts(self) -> None:
        """LIST takes masks (and !masks) and member counts (>N, <N), ELIST's M N U."""
        alice = self.register("alice")
        bob = self.register("bob")
        alice.send("JOIN #apple,#apricot,#banana")
        bob.send("JOIN #apple")
        bob.messages()
        alice.messages()

        def listed(conditions: str) -> list[str]:
            alice.send(f"LIST {conditions}".strip())
            return [m.params[1] for m in alice.messages() if m.command == "322"]

        self.assertEqual(listed(""), ["#apple", "#apricot", "#banana", "#lobby"])
        self.assertEqual(listed("#ap*"), ["#apple", "#apricot"])
        self.assertEqual(listed("#ap*,!#apr*"), ["#apple"])
        self.assertEqual(listed(">1"), ["#apple"])
        self.assertEqual(listed("<2"), ["#apricot", "#banana", "#lobby"])
        self.assertEqual(listed("#nothing"), [])


class LongTextTests(IRCTestCase):
    def relayed(self, text: str, command: str = "PRIVMSG") -> list[bytes]:
        """The lines bob gets when a line member says C{text} in #lobby."""
        bob = self.register("bob")
        bob.send("JOIN #lobby")
        bob.messages()
        line = self.lineMember("al")
        bob.messages()
        line.send(
            f"/me {text}\n".encode() if command == "ACTION" else f"{text}\n".encode()
        )
        self.clock.advance(0)
        data = bob.transport.value()
        return [each + b"\r\n" for each in data.split(b"\r\n")[:-1]]

    def test_fitsInOneLine(self) -> None:
        """Text that fits in 512 bytes with the source is sent as one line."""
        overhead = len(b":al!al@chat PRIVMSG #lobby :\r\n")
        text = "x " * ((512 - overhead) // 2)
        (line,) = self.relayed(text)
        self.assertEqual(len(line), 512)
        self.assertTrue(line.endswith(text.encode() + b"\r\n"))

    def test_actionFits(self) -> None:
        """An action that fits with its CTCP wrapping is one line too."""
        overhead = len(b":al!al@chat PRIVMSG #lobby :\x01ACTION \x01\r\n")
        (line,) = self.relayed("y" * (512 - overhead), "ACTION")
        self.assertTrue(line.endswith(b"y\x01\r\n"))
        self.assertEqual(len(line), 512)

    def test_cutAtCharacters(self) -> None:
        """
        Text that cannot fit is cut, never inside a UTF-8 character, into
        lines that each fit and that together hold all of it.
        """
        text = "é" * 300
        lines = self.relayed(text)
        self.assertEqual(len(lines), 2)
        for line in lines:
            self.assertLessEqual(len(line), 512)
            line.decode("utf-8")
        pieces = [parseMessage(line[:-2]).params[1] for line in lines]
        self.assertEqual("".join(pieces), text)


class BadLineTests(IRCTestCase):
    def test_everyBadLineAnswered(self) -> None:
        """
        A line too long is 417, an unknown command 421, one without the
        parameters it needs 461 (or the RFC's own numeric): none is dropped.
        """
        alice = self.register("alice")
        alice.send("PRIVMSG #lobby :" + "x" * 600)
        alice.send("FROB x", "JOIN", "PART", "TOPIC", "USERHOST", "ISON", "KICK #a")
        alice.send("MODE", "INVITE bob", "OPER x", "KILL", "PONG", "WHOIS", "NICK")
        alice.send("PRIVMSG", "PRIVMSG #lobby", "WHOWAS", "CAP")
        self.assertEqual(
            alice.commands(),
            [
                *["417", "421", "461", "461", "461", "461", "461", "461"],
                *["461", "461", "461", "461", "409", "431", "431"],
                *["411", "412", "431", "410"],
            ],
        )

    def test_tagsTooLong(self) -> None:
        """Tags over their bound are 417 too, and the connection goes on."""
        alice = self.register("alice")
        alice.send("@+x=" + "y" * 9000 + " PING a", "PING b")
        self.assertEqual(alice.commands(), ["417", "PONG"])


class OtherDigitsTests(IRCTestCase):
    def test_countsInOtherDigits(self) -> None:
        """Counts in digits other than ASCII are no counts, not a crash."""
        alice = self.register("alice")
        alice.send("WHOWAS bob ²", "LIST >²,<٣")
        self.assertIn("406", alice.commands())
        self.assertFalse(alice.transport.disconnecting)
