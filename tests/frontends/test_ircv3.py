"""
IRCv3 capabilities over StringTransport: each told only to a client that
negotiated it, and the same client without it sees what it saw before.
"""

from twisted_chat.frontends.irc.registration import CAPABILITIES
from twisted_chat.wire.irc import IRCMessage

from ..clients import IRCClient, IRCTestCase


def tagsOf(message: IRCMessage) -> dict[str, str]:
    return dict(message.tags)


class CapabilityListTests(IRCTestCase):
    def test_ls302Values(self) -> None:
        """CAP LS 302 gives values (sasl=PLAIN) and cap-notify unasked."""
        client = IRCClient(self.factory, self.clock)
        client.send("CAP LS 302")
        (ls,) = client.messages()
        offered = ls.params[2].split()
        self.assertIn("sasl=PLAIN", offered)
        for cap in ("batch", "labeled-response", "extended-monitor", "setname"):
            self.assertIn(cap, offered)
        self.assertIn("cap-notify", client.protocol.capabilities)

    def test_lsWithoutVersion(self) -> None:
        """A plain CAP LS gives names without values, and no cap-notify."""
        client = IRCClient(self.factory, self.clock)
        client.send("CAP LS")
        (ls,) = client.messages()
        self.assertEqual(ls.params[2].split(), list(CAPABILITIES))
        self.assertNotIn("cap-notify", client.protocol.capabilities)

    def test_lsWithOtherDigits(self) -> None:
        """A version in digits other than ASCII is no version, not a crash."""
        client = IRCClient(self.factory, self.clock)
        client.send("CAP LS ²")
        (ls,) = client.messages()
        self.assertEqual(ls.params[2].split(), list(CAPABILITIES))
        self.assertFalse(client.transport.disconnecting)

    def test_isupport(self) -> None:
        """The welcome advertises MONITOR, STATUSMSG and UTF8ONLY."""
        client = IRCClient(self.factory, self.clock)
        client.send("NICK alice", "USER alice 0 * :Alice")
        tokens = [p for m in client.messages() if m.command == "005" for p in m.params]
        for token in ("MONITOR=100", "STATUSMSG=~@+", "UTF8ONLY"):
            self.assertIn(token, tokens)


class MessageTagsTests(IRCTestCase):
    def test_msgidFromRoomAndSequence(self) -> None:
        """
        A room message's msgid is its room and number, the same for the
        live message and its replay; a client without message-tags has
        none.
        """
        alice = self.register("alice", "message-tags", "echo-message")
        bob = self.register("bob")
        for client in (alice, bob):
            client.send("JOIN #x")
            client.messages()
        alice.messages()
        alice.send("PRIVMSG #x :hi")
        (live,) = alice.messages()
        self.assertEqual(tagsOf(live)["msgid"], "#x/1")
        (plain,) = bob.messages()
        self.assertEqual(plain.tags, ())
        carol = self.register("carol", "message-tags")
        carol.send("JOIN #x")
        replayed = [m for m in carol.messages() if m.command == "PRIVMSG"]
        self.assertEqual(tagsOf(replayed[0])["msgid"], "#x/1")

    def test_privateMsgid(self) -> None:
        """A private message has a msgid, the same in the sender's echo."""
        alice = self.register("alice", "message-tags", "echo-message")
        bob = self.register("bob", "message-tags")
        alice.send("PRIVMSG bob :psst")
        (echo,) = alice.messages()
        (got,) = bob.messages()
        self.assertEqual(tagsOf(echo)["msgid"], tagsOf(got)["msgid"])

    def test_tagmsgToRoom(self) -> None:
        """
        TAGMSG passes +typing on to the room's clients that negotiated
        message-tags, with a msgid; others get nothing; unknown client
        tags are dropped.
        """
        alice = self.register("alice", "message-tags")
        bob = self.register("bob", "message-tags")
        carol = self.register("carol")
        for client in (alice, bob, carol):
            client.send("JOIN #x")
        for client in (alice, bob, carol):
            client.messages()
        alice.send("@+typing=active;+secret=x;label=1 TAGMSG #x")
        (tagmsg,) = bob.messages()
        self.assertEqual(tagmsg.command, "TAGMSG")
        self.assertEqual(tagmsg.params, ("#x",))
        tags = tagsOf(tagmsg)
        self.assertEqual(tags["+typing"], "active")
        self.assertIn("msgid", tags)
        self.assertNotIn("+secret", tags)
        self.assertEqual(carol.messages(), [])
        self.assertEqual(alice.messages(), [])  # no echo-message

    def test_tagmsgFormattedOncePerWayOfSeeingIt(self) -> None:
        """
        A typing notice to a room is formatted once for the clients that
        see it alike, and once for its sender, not once per client.
        """
        from twisted_chat.frontends.irc import protocol

        clients = [self.register(f"m{n}", "message-tags") for n in range(6)]
        for client in clients:
            client.send("JOIN #x")
        for client in clients:
            client.messages()
        formatted: list[object] = []
        real = protocol.asideMessages

        def counting(*args: object) -> object:
            formatted.append(args[1])
            return real(*args)  # type: ignore[arg-type]

        self.patch(protocol, "asideMessages", counting)
        clients[0].send("@+typing=active TAGMSG #x")
        self.assertEqual(len(formatted), 2)
        for client in clients[1:]:
            self.assertEqual(client.commands(), ["TAGMSG"])
        self.assertEqual(clients[0].messages(), [])

    def test_tagmsgToNick(self) -> None:
        """A reaction by TAGMSG reaches one nick, escaped values intact."""
        alice = self.register("alice", "message-tags")
        bob = self.register("bob", "message-tags")
        alice.send(r"@+draft/react=\:)\s;+draft/reply=#x/1 TAGMSG bob")
        (tagmsg,) = bob.messages()
        self.assertEqual(tagsOf(tagmsg)["+draft/react"], ";) ")
        self.assertEqual(tagsOf(tagmsg)["+draft/reply"], "#x/1")

    def test_tagmsgRefusedWithoutCap(self) -> None:
        """TAGMSG from a client that did not negotiate message-tags: 421."""
        alice = self.register("alice")
        self.register("bob", "message-tags")
        alice.send("@+typing=active TAGMSG bob")
        self.assertEqual(alice.commands(), ["421"])

    def test_clientTagsBounded(self) -> None:
        """Client tags over 4094 bytes are refused with 417."""
        alice = self.register("alice", "message-tags")
        bob = self.register("bob", "message-tags")
        alice.send(f"@+typing={'a' * 4100} TAGMSG bob")
        self.assertEqual(alice.commands(), ["417"])
        self.assertEqual(bob.messages(), [])

    def test_sharedRenderingPerView(self) -> None:
        """
        Clients with the same capabilities share one rendering of a room
        message: the outbox makes one group per view.
        """
        clients = [self.register(f"n{i}", "message-tags") for i in range(3)]
        clients += [self.register(f"p{i}") for i in range(2)]
        for client in clients:
            client.send("JOIN #x")
        for client in clients:
            client.messages()
        member = clients[0].protocol.member
        assert member is not None
        room = member.rooms["#x"]
        groups = self.factory._groupsOf(
            room.recipientsOf(room.lastSequence + 1)[self.factory]
        )
        self.assertEqual(len(groups), 2)


class LabeledResponseTests(IRCTestCase):
    def test_oneReplyLabelled(self) -> None:
        """A labelled PING's one PONG carries the label."""
        alice = self.register("alice", "labeled-response", "batch")
        alice.send("@label=abc PING x")
        (pong,) = alice.messages()
        self.assertEqual(tagsOf(pong)["label"], "abc")

    def test_noReplyIsAck(self) -> None:
        """A labelled command without a reply is answered ACK."""
        alice = self.register("alice", "labeled-response", "batch")
        alice.send("@label=q PONG x")
        (ack,) = alice.messages()
        self.assertEqual((ack.command, tagsOf(ack)["label"]), ("ACK", "q"))

    def test_severalRepliesBatched(self) -> None:
        """Several replies come in a labeled-response batch."""
        alice = self.register("alice", "labeled-response", "batch")
        alice.send("JOIN #x")
        alice.messages()
        alice.send("@label=n NAMES #x")
        messages = alice.messages()
        self.assertEqual(messages[0].command, "BATCH")
        self.assertEqual(messages[0].params[1], "labeled-response")
        self.assertEqual(tagsOf(messages[0])["label"], "n")
        reference = messages[0].params[0][1:]
        self.assertEqual([m.command for m in messages[1:]], ["353", "366", "BATCH"])
        for inner in messages[1:-1]:
            self.assertEqual(tagsOf(inner)["batch"], reference)
        self.assertEqual(messages[-1].params, (f"-{reference}",))

    def test_withoutCapNoLabel(self) -> None:
        """Without labeled-response, the label is ignored."""
        alice = self.register("alice")
        alice.send("@label=abc PING x")
        (pong,) = alice.messages()
        self.assertEqual(pong.tags, ())


class NotifyTests(IRCTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.watcher = self.register(
            "watcher", "away-notify", "account-notify", "setname", "extended-join",
            "account-tag", "invite-notify",
        )  # fmt: skip
        self.plain = self.register("plain")
        self.alice = self.register("alice", "setname")
        for client in (self.watcher, self.plain, self.alice):
            client.send("JOIN #x")
        for client in (self.watcher, self.plain, self.alice):
            client.messages()

    def test_awayNotify(self) -> None:
        """AWAY is told to those who asked for away-notify only."""
        self.alice.send("AWAY :lunch")
        (away,) = self.watcher.messages()
        self.assertEqual((away.command, away.params), ("AWAY", ("lunch",)))
        self.assertTrue(away.source and away.source.startswith("alice!"))
        self.assertEqual(self.plain.messages(), [])
        self.alice.send("AWAY")
        (back,) = self.watcher.messages()
        self.assertEqual(back.params, ())

    def test_setname(self) -> None:
        """SETNAME tells the room's setname clients, the sender included."""
        self.alice.send("SETNAME :Alice Liddell")
        (own,) = self.alice.messages()
        self.assertEqual((own.command, own.params), ("SETNAME", ("Alice Liddell",)))
        (seen,) = self.watcher.messages()
        self.assertEqual(seen.params, ("Alice Liddell",))
        self.assertEqual(self.plain.messages(), [])
        self.assertEqual(self.chat.memberNamed("alice").realname, "Alice Liddell")

    def test_setnameRefusedWithoutCap(self) -> None:
        """SETNAME without the cap is an unknown command."""
        self.plain.send("SETNAME :x")
        self.assertEqual(self.plain.commands(), ["421"])

    def test_extendedJoinAndAccountNotify(self) -> None:
        """
        A joiner is shown with its account and real name with
        extended-join; a login is told with ACCOUNT; the account rides on
        its messages with account-tag.
        """
        dave = self.register("dave")
        dave.send("JOIN #x")
        (joined,) = [m for m in self.watcher.messages() if m.command == "JOIN"]
        self.assertEqual(joined.params, ("#x", "*", "Dave"))
        (plainJoin,) = [m for m in self.plain.messages() if m.command == "JOIN"]
        self.assertEqual(plainJoin.params, ("#x",))
        member = dave.protocol.member
        assert member is not None
        self.successResultOf(self.chat.bindAccount(member, "dave"))
        (account,) = [m for m in self.watcher.messages() if m.command == "ACCOUNT"]
        self.assertEqual(account.params, ("dave",))
        self.assertEqual([m.command for m in self.plain.messages()], [])
        dave.messages()
        dave.send("PRIVMSG #x :hello")
        (said,) = self.watcher.messages()
        self.assertEqual(tagsOf(said)["account"], "dave")
        (plainSaid,) = self.plain.messages()
        self.assertEqual(plainSaid.tags, ())

    def test_userhostInNames(self) -> None:
        """NAMES shows nick!user@host with userhost-in-names."""
        client = self.register("u", "userhost-in-names")
        client.send("JOIN #x")
        (names,) = [m for m in client.messages() if m.command == "353"]
        self.assertIn("u!u@chat", names.params[-1].split())
        self.plain.send("NAMES #x")
        (plainNames,) = [m for m in self.plain.messages() if m.command == "353"]
        self.assertIn("plain", plainNames.params[-1].split())

    def test_inviteNotify(self) -> None:
        """The room's operators with invite-notify hear of an invitation."""
        # watcher made #x: it is its operator.
        self.alice.send("INVITE plain #y")  # not a room alice is in
        self.alice.messages()
        self.watcher.send("MODE #x +o alice")
        for client in (self.watcher, self.plain, self.alice):
            client.messages()
        outsider = self.register("outsider")
        self.alice.send("INVITE outsider #x")
        (inviting,) = self.alice.messages()
        self.assertEqual(inviting.command, "341")
        (notified,) = self.watcher.messages()
        self.assertEqual(
            (notified.command, notified.params), ("INVITE", ("outsider", "#x"))
        )
        (invite,) = outsider.messages()
        self.assertEqual(invite.command, "INVITE")
        self.assertEqual(self.plain.messages(), [])


class MonitorTests(IRCTestCase):
    def test_monitor(self) -> None:
        """
        MONITOR + answers 730/731 at once, then as nicks come and go; L
        lists; - and C stop it.
        """
        alice = self.register("alice")
        self.register("bob")
        alice.send("MONITOR + bob,carol")
        self.assertEqual(
            [(m.command, m.params[-1]) for m in alice.messages()],
            [("730", "bob!bob@chat"), ("731", "carol")],
        )
        carol = self.register("carol")
        self.assertEqual(
            [(m.command, m.params[-1]) for m in alice.messages()],
            [("730", "carol!carol@chat")],
        )
        carol.send("NICK carla")
        self.assertEqual(
            [(m.command, m.params[-1]) for m in alice.messages()],
            [("731", "carol")],
        )
        alice.send("MONITOR L")
        self.assertEqual(
            [(m.command, m.params[-1]) for m in alice.messages()],
            [("732", "bob,carol"), ("733", "End of MONITOR list")],
        )
        alice.send("MONITOR - bob")
        bob = self.chat.memberIfPresent("bob")
        assert bob is not None
        self.chat.quit(bob, "bye")
        self.assertEqual(alice.messages(), [])
        alice.send("MONITOR C", "MONITOR L")
        self.assertEqual(alice.commands(), ["733"])

    def test_monitorBounded(self) -> None:
        """Past MONITOR=100 nicks, 734 names those not added."""
        alice = self.register("alice")
        alice.send("MONITOR + " + ",".join(f"n{i}" for i in range(99)))
        alice.messages()
        alice.send("MONITOR + x1,x2")
        messages = alice.messages()
        self.assertEqual(messages[0].command, "734")
        self.assertEqual(messages[0].params[2], "x2")

    def test_extendedMonitor(self) -> None:
        """
        With extended-monitor and away-notify, a watched nick's AWAY comes
        though no room is shared; without extended-monitor, it does not.
        """
        alice = self.register("alice", "extended-monitor", "away-notify")
        plain = self.register("plain", "away-notify")
        bob = self.register("bob")
        alice.send("MONITOR + bob")
        plain.send("MONITOR + bob")
        alice.messages()
        plain.messages()
        bob.send("AWAY :gone")
        (away,) = alice.messages()
        self.assertEqual(away.command, "AWAY")
        self.assertEqual(plain.messages(), [])


class StatusMessageTests(IRCTestCase):
    def test_opsOnly(self) -> None:
        """PRIVMSG @#x reaches the room's operators, not its members."""
        op = self.register("op")
        member = self.register("member")
        op.send("JOIN #x")
        member.send("JOIN #x")
        op.messages()
        member.messages()
        member.send("PRIVMSG @#x :help")
        (got,) = op.messages()
        self.assertEqual((got.command, got.params), ("PRIVMSG", ("@#x", "help")))
        self.assertEqual(member.messages(), [])
        member.send("NOTICE +#x :voices and up")
        (notice,) = op.messages()
        self.assertEqual(notice.params[0], "+#x")
        opMember = op.protocol.member
        assert opMember is not None
        self.assertEqual(opMember.rooms["#x"].lastSequence, 0)  # not numbered

    def test_outsiderRefused(self) -> None:
        """A status message from outside the room is refused, 404."""
        op = self.register("op")
        op.send("JOIN #x")
        outsider = self.register("outsider")
        outsider.send("PRIVMSG @#x :hi")
        self.assertEqual(outsider.commands(), ["404"])
