"""
Tests of the limits a line-protocol connection is held to: flood control,
waiting input, clients that do not read, silence, login time, connection
caps and rooms per member.  Over StringTransport, with time from a Clock.
"""

import socket

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import INegotiated
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_chat.connection.admission import Admission, AdmissionRules, Refusal
from twisted_chat.connection.guard import CLOSE_LINGER, ConnectionGuard
from twisted_chat.connection.sockets import socketOf
from twisted_chat.frontends.commands import interpreter
from twisted_chat.frontends.line.protocol import LineChatFactory, LineChatProtocol
from twisted_chat.limits import (
    DEFAULT_RULES,
    SEND_BUFFER_BYTES,
    UNLIMITED,
    ConnectionRules,
)

from ..clients import Client, LineServerTestCase, TCPStringTransport


class FloodTests(LineServerTestCase):
    def connectWith(self, rules: ConnectionRules, nick: str) -> Client:
        self.factory = LineChatFactory(
            self.chat, self.accounts, self.clock, rules=rules
        )
        return self.connect(nick)

    def said(self, client: Client) -> list[str]:
        return [line for line in client.lines() if line.startswith("MSG ")]

    def test_burstThenRate(self) -> None:
        """
        100 lines at t=0: exactly 5 are carried out at t=0 and 5 + 2k by
        t=k seconds, in order; none is lost.  (The queue bound is raised so
        that 100 may wait.)
        """
        rules = ConnectionRules(maxQueuedLines=100, maxQueuedBytes=10_000)
        alice = self.connectWith(rules, "alice")
        self.clock.advance(60)  # a fresh burst after /nick
        alice.send(b"".join(b"line %d\n" % n for n in range(100)))
        seen = self.said(alice)
        self.assertEqual(len(seen), 5)
        for k in range(1, 48):
            self.clock.advance(1)
            seen += self.said(alice)
            self.assertEqual(len(seen), 5 + 2 * k, k)
        self.clock.advance(1)
        seen += self.said(alice)
        self.assertEqual(
            [line.split(":")[-1] for line in seen], [f"line {n}" for n in range(100)]
        )
        self.assertEqual(alice.transport.producerState, "producing")

    def test_readingPausedWhileDelayed(self) -> None:
        """Lines beyond the rate wait in the socket: the server stops reading."""
        alice = self.connectWith(DEFAULT_RULES, "alice")
        self.clock.advance(60)
        alice.send(b"a\n" * 8)
        self.assertEqual(alice.transport.producerState, "paused")
        self.clock.advance(1.5)
        self.assertEqual(alice.transport.producerState, "producing")

    def test_toldOnce(self) -> None:
        """The sender is told once that it is being slowed, not per line."""
        alice = self.connectWith(DEFAULT_RULES, "alice")
        self.clock.advance(60)
        alice.send(b"a\n" * 10)
        lines = alice.lines()
        self.clock.advance(10)
        alice.send(b"b\n" * 10)
        self.clock.advance(10)
        lines += alice.lines()
        notices = [line for line in lines if line.startswith("NOTICE")]
        self.assertEqual(
            notices,
            [
                "NOTICE :You are sending lines faster than 2 a second;"
                " they are being delayed, not lost."
            ],
        )

    def test_othersUnaffected(self) -> None:
        """While one member is slowed, another's lines go through at once."""
        alice = self.connectWith(DEFAULT_RULES, "alice")
        bob = self.connect("bob")
        self.clock.advance(60)
        alice.send(b"flood\n" * 10)
        bob.lines()
        bob.send(b"hello\n")
        self.assertTrue(bob.lines()[-1].endswith("bob :hello"))

    def test_tooManyLinesWaiting(self) -> None:
        """
        More than 20 lines waiting closes the connection with BYE flood;
        the room is told why it left.
        """
        alice = self.connectWith(DEFAULT_RULES, "alice")
        bob = self.connect("bob")
        self.clock.advance(60)
        alice.send(b"x\n" * 26)
        reason = "Excess flood (more than 20 lines or 8192 bytes waiting)"
        self.assertEqual(alice.lines()[-1], f"BYE flood :{reason}")
        self.assertTrue(alice.transport.disconnecting)
        self.assertTrue(bob.lines()[-1].endswith(f":{reason}"))

    def test_twentyLinesWaitingIsAllowed(self) -> None:
        """Up to the bound, lines wait rather than close the connection."""
        alice = self.connectWith(DEFAULT_RULES, "alice")
        self.clock.advance(60)
        alice.send(b"x\n" * 25)
        for _ in range(20):
            self.clock.advance(0.5)
        self.assertEqual(len(self.said(alice)), 25)
        self.assertFalse(alice.transport.disconnecting)

    def test_tooManyBytesWaiting(self) -> None:
        """More than 8192 bytes of lines waiting closes it too."""
        alice = self.connectWith(DEFAULT_RULES, "alice")
        self.clock.advance(60)
        alice.send(b"a\n" * 5 + (b"z" * 3000 + b"\n") * 3)
        self.assertTrue(alice.lines()[-1].startswith("BYE flood :"))

    def test_byteByByte(self) -> None:
        """A client sending a byte at a time is served as well as any."""
        alice = self.connectWith(DEFAULT_RULES, "alice")
        for byte in b"hello there\n":
            alice.send(bytes([byte]))
        self.assertEqual(self.said(alice)[-1].split(":")[-1], "hello there")

    def test_unlimited(self) -> None:
        """A flood rate of 0 turns flood control off."""
        alice = self.connectWith(UNLIMITED, "alice")
        alice.send(b"x\n" * 1000)
        self.assertEqual(len(self.said(alice)), 1000)


class SilenceTests(LineServerTestCase):
    def test_pingThenTimeout(self) -> None:
        """
        After 90 s of silence a PING; after 150 s the connection is aborted
        with BYE timeout, and its room told.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()
        self.clock.advance(89)
        self.assertEqual(alice.lines(), [])
        self.clock.advance(1)
        self.assertEqual(alice.lines(), ["PING 1700000090"])
        bob.send(b"/pong\n")
        self.clock.advance(60)
        self.assertEqual(
            alice.lines(), ["BYE timeout :No reply to PING for 150 seconds"]
        )
        self.assertTrue(alice.transport.disconnected)
        self.assertIn("QUIT alice", bob.lines()[-1])

    def test_anyLineAnswers(self) -> None:
        """Any line, even a blank one, counts as an answer."""
        alice = self.connect("alice")
        self.clock.advance(90)
        alice.send(b"\n")
        self.clock.advance(80)
        self.assertEqual(alice.lines(), ["PING 1700000090"])
        self.clock.advance(10)
        self.clock.advance(10)
        self.assertEqual(alice.lines(), ["PING 1700000180"])
        self.assertFalse(alice.transport.disconnecting)

    def test_talkingNeverPinged(self) -> None:
        """A client that keeps talking is never pinged."""
        alice = self.connect("alice")
        for _ in range(10):
            self.clock.advance(60)
            alice.send(b"/pong\n")
        self.assertEqual(alice.lines(), [])

    def test_oneTimerForAll(self) -> None:
        """
        However many connections wait to be pinged, they hold one timer on
        the clock between them, not one each.
        """
        for number in range(100):
            self.connect(f"user{number}")
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)

    def test_pingedAtTheNextTick(self) -> None:
        """
        A client that connected between two of the checks' ticks is pinged
        at the first tick after its 90 s of silence: up to a second late.
        """
        alice = self.connect("alice")
        self.clock.advance(0.5)
        bob = self.connect("bob")
        alice.lines()
        self.clock.advance(89.5)
        self.assertEqual(alice.lines(), ["PING 1700000090"])
        self.clock.advance(0.5)
        self.assertEqual(bob.lines(), [])
        self.clock.advance(0.5)
        self.assertEqual(bob.lines(), ["PING 1700000091"])

    def test_keepAlive(self) -> None:
        """TCP keepalive is on, for peers that vanish without a word."""
        self.assertTrue(self.connect().transport.keepAlive)

    def test_tricklingIsSilence(self) -> None:
        """
        A byte every 10 seconds, never a newline, is silence: PING at 90 s,
        BYE timeout at 150 s, however long the unfinished line has grown.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()
        for _ in range(9):
            self.clock.advance(10)
            alice.send(b"x")
            bob.send(b"/pong\n")
        self.assertEqual(alice.lines(), ["PING 1700000090"])
        for _ in range(6):
            self.clock.advance(10)
            alice.send(b"x")
            bob.send(b"/pong\n")
        self.assertEqual(
            alice.lines(), ["BYE timeout :No reply to PING for 150 seconds"]
        )
        self.assertTrue(alice.transport.disconnected)
        self.assertIn("QUIT alice", bob.lines()[-1])

    def test_closeLingers(self) -> None:
        """
        A goodbye closes the server's side first; the whole connection ends
        after CLOSE_LINGER seconds unless the client closes its side first,
        so that nc exits instead of waiting for a line typed in vain.
        """
        alice = self.connect("alice")
        bob = self.connect("bob")
        alice.lines()
        alice.send(b"bye\n")
        self.assertEqual(alice.lines(), ["BYE quit :bye"])
        self.assertTrue(alice.transport.writeClosed)
        self.assertFalse(alice.transport.disconnected)
        self.clock.advance(CLOSE_LINGER)
        self.assertTrue(alice.transport.disconnected)
        bob.send(b"bye\n")
        bob.protocol.connectionLost(Failure(ConnectionDone()))
        self.clock.advance(CLOSE_LINGER)
        self.assertFalse(bob.transport.disconnected)

    def test_lostConnectionNotHalfClosed(self) -> None:
        """
        A connection that is gone (reset by its client) is not half-closed
        as its member quits: that would hand the reactor a closed socket.
        """
        alice = self.connect("alice")
        alice.transport.connected = False
        alice.protocol.connectionLost(Failure(ConnectionLost()))
        self.assertFalse(alice.transport.writeClosed)

    def test_sendBuffer(self) -> None:
        """
        Each client's socket, under any wrapping (TLS), gets the kernel send
        buffer the rules ask for, so a client that does not read cannot make
        the kernel hold megabytes for it.
        """
        handle = socket.socket()
        self.addCleanup(handle.close)
        systemDefault = handle.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)

        class Wrapped:
            """What a TLS transport looks like from above: a handle that is
            not a socket, over the TCP transport."""

            def __init__(self, transport: TCPStringTransport) -> None:
                self.transport = transport

            def getHandle(self) -> object:
                return object()

        inner = SocketStringTransport(handle)
        guard = ConnectionGuard(
            LineChatProtocol(self.factory), inner, DEFAULT_RULES, self.clock
        )
        self.assertIs(socketOf(Wrapped(inner)), handle)
        guard.configureTransport()
        size = handle.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        # Linux doubles what it is asked for, for its own bookkeeping.
        self.assertIn(size, {SEND_BUFFER_BYTES, 2 * SEND_BUFFER_BYTES})
        self.assertLess(size, max(systemDefault, 4 * 1024 * 1024))
        self.assertTrue(inner.noDelay and inner.keepAlive)


class SocketStringTransport(TCPStringTransport):
    """A TCP StringTransport over a real (unconnected) socket."""

    def __init__(self, handle: socket.socket) -> None:
        super().__init__()
        self.handle = handle

    def getHandle(self) -> socket.socket:
        return self.handle


@implementer(INegotiated)
class TLSStringTransport(TCPStringTransport):
    """A StringTransport that says it is TLS: its handshake comes later."""

    negotiatedProtocol = None

    def getPeerCertificate(self) -> None:
        """The client sent no certificate."""


class HandshakeTests(LineServerTestCase):
    def connectTLS(self) -> tuple[StringTransport, LineChatProtocol]:
        protocol = self.factory.buildProtocol(None)
        transport = TLSStringTransport()
        protocol.makeConnection(transport)
        self.clock.advance(0)
        return transport, protocol

    def test_memberAfterHandshake(self) -> None:
        """Over TLS, the client becomes a member once the handshake is done."""
        transport, protocol = self.connectTLS()
        self.assertEqual(transport.value(), b"")
        self.assertEqual(self.factory.openConnections, 0)
        protocol.handshakeCompleted()
        self.clock.advance(0)
        self.assertTrue(transport.value().startswith(b"WELCOME guest1 "))
        self.clock.advance(60)
        self.assertFalse(transport.disconnecting)

    def test_closedWhilePaused(self) -> None:
        """
        A TLS connection closed while flood control has stopped reading it
        reads again (a TLS close waits for the client's close_notify), and is
        aborted if the client has not closed its side after the linger.
        """
        transport, protocol = self.connectTLS()
        protocol.handshakeCompleted()
        self.clock.advance(60)
        protocol.dataReceived(b"/join #lobby\n" + b"x\n" * 10)
        self.assertEqual(transport.producerState, "paused")
        self.chat.quit(protocol.member, "Kicked", "kicked")
        self.assertEqual(transport.producerState, "producing")
        self.assertTrue(transport.disconnecting)
        self.assertFalse(transport.disconnected)
        self.clock.advance(CLOSE_LINGER)
        self.assertTrue(transport.disconnected)

    def test_handshakeTimeout(self) -> None:
        """A TLS client that never finishes its handshake is aborted at 30 s."""
        transport, protocol = self.connectTLS()
        self.clock.advance(29)
        self.assertFalse(transport.disconnecting)
        self.clock.advance(1)
        self.assertTrue(transport.disconnected)
        protocol.connectionLost()
        self.assertEqual(self.factory.openConnections, 0)


class LoginTimeoutTests(LineServerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.factory = LineChatFactory(
            self.chat, self.accounts, self.clock, requireLogin=True
        )

    def test_notLoggedIn(self) -> None:
        """Without a login in 30 s, the connection is closed."""
        guest = self.connect()
        self.clock.advance(29)
        self.assertEqual(guest.lines(), [])
        self.clock.advance(1)
        self.assertEqual(
            guest.lines(), ["BYE timeout :Not logged in within 30 seconds"]
        )
        self.assertTrue(guest.transport.disconnecting)

    def test_closedAtTheNextTick(self) -> None:
        """
        A guest that connected between two of the checks' ticks is closed
        at the first tick after its 30 s: up to a second late.
        """
        self.connect()
        self.clock.advance(0.5)
        guest = self.connect()
        self.clock.advance(30)
        self.assertEqual(guest.lines(), [])
        self.clock.advance(0.5)
        self.assertEqual(
            guest.lines(), ["BYE timeout :Not logged in within 30 seconds"]
        )

    def test_loggedIn(self) -> None:
        """A member that registered in time stays."""
        alice = self.connect("alice")
        alice.send(b"/register correct-horse\n")
        self.clock.advance(30)
        self.assertNotIn("BYE", " ".join(alice.lines()))
        self.assertFalse(alice.transport.disconnecting)


class SlowConsumerTests(LineServerTestCase):
    def setUp(self) -> None:
        super().setUp()
        rules = ConnectionRules(floodRate=0, sendQueueBytes=2000)
        self.factory = LineChatFactory(
            self.chat, self.accounts, self.clock, rules=rules
        )
        self.alice = self.connect("alice")
        self.bob = self.connect("bob")
        self.alice.lines()

    def test_registeredAsProducer(self) -> None:
        """The transport can tell the connection its buffer is full."""
        self.assertIs(self.alice.transport.producer, self.alice.protocol.guard)
        self.assertTrue(self.alice.transport.streaming)

    def test_heldWhileFull(self) -> None:
        """
        While the transport is full nothing more is written; once it
        drains, what was held follows in order.
        """
        self.alice.protocol.guard.pauseProducing()
        self.bob.send(b"one\ntwo\n")
        self.assertEqual(self.alice.lines(), [])
        self.alice.protocol.guard.resumeProducing()
        self.assertEqual(
            [line.split(":")[-1] for line in self.alice.lines()], ["one", "two"]
        )

    def test_fallsBehindThenGap(self) -> None:
        """
        Past the send queue, room messages are left out and the client gets
        a GAP for them when it drains; bob, meanwhile, gets everything.
        """
        self.alice.protocol.guard.pauseProducing()
        for n in range(1, 41):
            self.bob.send(b"message %d %s\n" % (n, b"x" * 60))
        self.bob.send(b"/msg alice psst\n")
        self.assertEqual(len(self.bob.lines()), 41)
        self.alice.protocol.guard.resumeProducing()
        lines = self.alice.lines()
        self.assertTrue(lines[-1].startswith("GAP #lobby "), lines)
        _, _, first, last = lines[-1].split()
        self.assertEqual(int(last), 40)
        kept = [line for line in lines if line.startswith("MSG")]
        self.assertEqual(len(kept), int(first) - 1)
        self.assertIn("PRIVMSG bob alice", lines[-2])
        self.assertFalse(self.alice.transport.disconnecting)

    def test_behindTooLong(self) -> None:
        """A client still behind after 60 s is aborted with BYE slow."""
        self.alice.protocol.guard.pauseProducing()
        for _n in range(40):
            self.bob.send(b"%s\n" % (b"x" * 80))
        self.clock.advance(0)
        self.clock.advance(59)
        self.assertFalse(self.alice.transport.disconnecting)
        self.clock.advance(1)
        self.assertTrue(self.alice.transport.disconnected)
        self.assertTrue(self.bob.lines()[-1].endswith(":Did not read for 60 seconds"))

    def test_drainedInTime(self) -> None:
        """A client that catches up in time is not dropped later."""
        self.alice.protocol.guard.pauseProducing()
        for _n in range(40):
            self.bob.send(b"%s\n" % (b"x" * 80))
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
        self.bob.send(b"%s\n" % (b"x" * 2100))
        for _n in range(30):
            self.clock.advance(1)
            self.bob.send(b"/msg alice %s\n" % (b"y" * 100))
        self.assertTrue(self.alice.transport.disconnected)
        self.assertIn("QUIT alice", " ".join(self.bob.lines()))

    def test_closeWhileBehindAborts(self) -> None:
        """
        Closing a client that is not reading aborts it: a graceful close
        would wait forever for it to read.
        """
        self.alice.protocol.guard.pauseProducing()
        self.chat.quit(self.chat.memberNamed("alice"), "gone")
        self.assertTrue(self.alice.transport.disconnected)


class AdmissionTests(LineServerTestCase):
    def setUp(self) -> None:
        super().setUp()
        admission = Admission(self.clock, AdmissionRules(maxPerAddress=2))
        self.factory = LineChatFactory(
            self.chat, self.accounts, self.clock, admission=admission
        )

    def connectFrom(self, host: str) -> tuple[StringTransport, object]:
        protocol = self.factory.buildProtocol(IPv4Address("TCP", host, 40000))
        transport = StringTransport()
        protocol.makeConnection(transport)
        self.clock.advance(0)
        return transport, protocol

    def test_refusedInOneLine(self) -> None:
        """Over the limit: one BYE refused line, then the connection closes."""
        self.connectFrom("192.0.2.1")
        self.connectFrom("192.0.2.1")
        transport, protocol = self.connectFrom("192.0.2.1")
        self.assertIsInstance(protocol, Refusal)
        self.assertEqual(
            transport.value(),
            b"BYE refused :Too many connections from your address (2 at once).\r\n",
        )
        self.assertTrue(transport.disconnecting)
        self.assertEqual(self.factory.openConnections, 2)

    def test_placeFreedOnClose(self) -> None:
        """A closed connection frees its place."""
        _first, protocol = self.connectFrom("192.0.2.1")
        self.connectFrom("192.0.2.1")
        protocol.connectionLost()  # type: ignore[attr-defined]
        transport, _ = self.connectFrom("192.0.2.1")
        self.assertTrue(transport.value().startswith(b"WELCOME"))


class RoomLimitTests(LineServerTestCase):
    def test_maxRooms(self) -> None:
        """
        A member in 20 rooms may not join another, and the room it asked
        for is not made.
        """
        alice = self.connect("alice")
        for n in range(19):
            alice.send(b"/join #room%d\n" % n)
            self.clock.advance(1)
        alice.lines()
        alice.send(b"/join #onetoomany\n")
        self.assertEqual(
            alice.lines(),
            [
                "ERROR too-many-rooms :You are in 20 rooms, the most allowed;"
                " /part one first."
            ],
        )
        self.assertNotIn("#onetoomany", [r.room for r in self.chat.listRooms()])
        alice.send(b"/join #room3\n")
        self.assertEqual(alice.lines(), ["CURRENT #room3"])

    def test_roomListBounded(self) -> None:
        """/rooms lists at most ROOM_LIST_MAX rooms and counts them all."""
        self.patch(interpreter, "ROOM_LIST_MAX", 2)
        alice = self.connect("alice")
        alice.send(b"/join #a\n/join #b\n")
        alice.lines()
        alice.send(b"/rooms\n")
        lines = alice.lines()
        self.assertEqual(len([line for line in lines if line.startswith("ROOM ")]), 2)
        self.assertEqual(lines[-1], "ENDROOMS 3")
