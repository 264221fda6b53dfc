"""
End-to-end tests: a real C{twistd -n chat} process on loopback TCP, with
raw line clients (what C{nc} does) and the real C{twisted-chat} client with
piped standard input, as a person would use them.
"""

import signal
from pathlib import Path

from twisted_chat.client.tlstrust import KNOWN_SERVERS, KnownServers

from ..certificates import issue
from .processes import ProcessTestCase, freePort


class EndToEndTests(ProcessTestCase):
    async def test_conversation(self) -> None:
        """
        A raw client and two twisted-chat clients talk in the lobby and in a
        second room, exchange a private message, rename, and leave with bye.
        """
        _, port = await self.startServer()
        alice = await self.connect(port, "alice")
        alice.say("/join #two")
        alice.say("/join #lobby")
        bob = self.startClient(port, "--nick", "bob")
        carol = self.startClient(port, "--nick", "carol", "--room", "#two")
        await bob.waitForOutput(r"you are now bob")
        await carol.waitForOutput(r"now talking in #two")

        bob.type("hello everyone\n")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ bob :hello everyone$")
        alice.say("hi bob")
        await bob.waitForOutput(r"#lobby <alice> hi bob")
        carol.type("anyone in two?\n")
        await alice.waitFor(r"^MSG #two \d+ \S+ carol :anyone in two\?$")
        alice.say("/msg carol psst")
        await carol.waitForOutput(r"\*alice\* psst")
        carol.type("/msg alice got it\n/nick caroline\n")
        await alice.waitFor(r"^PRIVMSG carol alice \S+ :got it$")
        await alice.waitFor(r"^NICK carol caroline ")

        bob.type("/join #two\nbye from bob\nbye\n")
        await carol.waitForOutput(r"#two <bob> bye from bob")
        carol.type("bye\n")
        await alice.waitFor(r"^MSG #two \d+ \S+ bob :bye from bob$")
        await alice.waitFor(r"^QUIT bob \S+ :bye$")
        await alice.waitFor(r"^QUIT caroline \S+ :bye$")
        self.assertEqual(await bob.exited(), 0)
        self.assertEqual(await carol.exited(), 0)
        self.assertIn("-!- disconnected: bye", bob.output)
        self.assertEqual(bob.errors + carol.errors, "")

    async def test_pipedInputEnds(self) -> None:
        """
        printf 'hello' | twisted-chat: the line is sent, the end of input
        quits cleanly, and the client exits 0 once the server has closed.
        """
        _, port = await self.startServer()
        alice = await self.connect(port, "alice")
        bob = self.startClient(port, "--nick", "bob")
        bob.type("hello\nlast line without newline")
        bob.endInput()
        self.assertEqual(await bob.exited(), 0)
        await alice.waitFor(r"^MSG #lobby \d+ \S+ bob :hello$")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ bob :last line without newline$")
        await alice.waitFor(r"^QUIT bob \S+ :Leaving$")
        self.assertIn("<bob> last line without newline", bob.output)

    async def test_tls(self) -> None:
        """
        twistd chat --listen ssl:... and twisted-chat --tls --ca: the real
        client talks over TLS to a raw client on plain TCP, and leaves.
        """
        directory = Path(self.directory.path)
        authority = issue(directory, "ca", "Test CA", isAuthority=True)
        certificate = issue(directory, "server", "localhost", authority)
        server, port = await self.startServer("--listen", certificate.listen())
        tlsPort = server.ports[certificate.listen()]
        alice = await self.connect(port, "alice")
        bob = self.startClient(
            tlsPort, "--tls", "--ca", str(authority.certPath), "--nick", "bob"
        )
        await bob.waitForOutput(r"you are now bob")
        bob.type("hello over tls\n")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ bob :hello over tls$")
        alice.say("hi bob")
        await bob.waitForOutput(r"<alice> hi bob")
        bob.type("bye\n")
        self.assertEqual(await bob.exited(), 0)
        self.assertEqual(bob.errors, "")

    async def test_tlsUntrusted(self) -> None:
        """
        A self-signed server and no terminal to ask: the client refuses it
        in one line that gives the fingerprint, and exits 1.
        """
        directory = Path(self.directory.path)
        certificate = issue(directory, "lan", "chat.lan")
        server, _ = await self.startServer("--listen", certificate.listen())
        client = self.startClient(server.ports[certificate.listen()], "--tls")
        self.assertEqual(await client.exited(), 1)
        self.assertIn(certificate.fingerprint, client.errors)
        self.assertIn("not trusted", client.errors)

    async def test_tlsCertificateRefused(self) -> None:
        """
        twisted-chat --tls --ca with the wrong authority, or for a host the
        certificate is not for: one line on standard error saying so, and
        exit status 1, even with input still open; never "reconnecting".
        """
        directory = Path(self.directory.path)
        authority = issue(directory, "ca", "Test CA", isAuthority=True)
        other = issue(directory, "other", "Other CA", isAuthority=True)
        certificate = issue(directory, "server", "localhost", authority)
        forLan = issue(directory, "lan", "chat.lan", authority)
        server, _ = await self.startServer(
            "--listen", certificate.listen(), "--listen", forLan.listen()
        )
        tlsPort = server.ports[certificate.listen()]
        lanPort = server.ports[forLan.listen()]
        wrongAuthority = self.startClient(tlsPort, "--tls", "--ca", str(other.certPath))
        wrongHost = self.startClient(
            lanPort, "--tls", "--ca", str(authority.certPath), "--nick", "bob"
        )
        self.assertEqual(await wrongAuthority.exited(), 1)
        self.assertEqual(await wrongHost.exited(), 1)
        self.assertEqual(
            wrongAuthority.errors,
            f"twisted-chat: cannot connect securely to localhost:{tlsPort}"
            f" with --ca {other.certPath}: certificate verify failed\n",
        )
        self.assertEqual(
            wrongHost.errors,
            f"twisted-chat: cannot connect securely to localhost:{lanPort}"
            f" with --ca {authority.certPath}: its certificate is not for localhost\n",
        )
        self.assertEqual(wrongAuthority.output + wrongHost.output, "")

    async def test_plainClientToTlsPort(self) -> None:
        """
        A plain client pointed at a TLS port: if it says nothing, the server
        says nothing, and the client gives up after --connect-timeout; if it
        asks for a nick, the server hangs up.  Either way one line names
        the likely mistake, and the exit status is 1.
        """
        directory = Path(self.directory.path)
        certificate = issue(directory, "lan", "chat.lan")
        server, _ = await self.startServer("--listen", certificate.listen())
        tlsPort = server.ports[certificate.listen()]
        silent = self.startClient(tlsPort, "--connect-timeout", "1")
        talking = self.startClient(tlsPort, "--nick", "bob")
        self.assertEqual(await silent.exited(), 1)
        self.assertEqual(await talking.exited(), 1)
        self.assertEqual(
            silent.errors,
            f"twisted-chat: no twisted_chat welcome from localhost:{tlsPort}"
            " within 1 s (is it a TLS port? try --tls)\n",
        )
        self.assertEqual(
            talking.errors,
            f"twisted-chat: localhost:{tlsPort} closed the connection before the"
            " twisted_chat welcome (is it a TLS port? try --tls)\n",
        )
        self.assertEqual(silent.output + talking.output, "")

    async def test_certificateChangedWhileAway(self) -> None:
        """
        The server restarts with a certificate from another authority: the
        clients that were chatting over TLS, one trusting an authority and
        one a pinned certificate, stop trying at the first reconnection, in
        one message and exit status 1, instead of looping.
        """
        directory = Path(self.directory.path)
        authority = issue(directory, "ca", "Test CA", isAuthority=True)
        before = issue(directory, "before", "localhost", authority)
        other = issue(directory, "other", "Other CA", isAuthority=True)
        after = issue(directory, "after", "localhost", other)
        server, port = await self.startServer("--listen", before.listen())
        tlsPort = server.ports[before.listen()]
        KnownServers(
            Path(self.directory.path) / "config" / "twisted-chat" / KNOWN_SERVERS
        ).remember(f"localhost:{tlsPort}", before.fingerprint)
        trusting = self.startClient(
            tlsPort, "--tls", "--ca", str(authority.certPath), "--nick", "ann"
        )
        pinning = self.startClient(tlsPort, "--tls", "--nick", "bob")
        await trusting.waitForOutput(r"you are now ann")
        await pinning.waitForOutput(r"you are now bob")
        server.transport.signalProcess("KILL")
        await server.exited()
        await self.startServer("--listen", after.listen(tlsPort), port=port)
        self.assertEqual(await trusting.exited(), 1)
        self.assertEqual(await pinning.exited(), 1)
        self.assertEqual(
            trusting.errors,
            f"twisted-chat: cannot connect securely to localhost:{tlsPort}"
            f" with --ca {authority.certPath}: certificate verify failed\n",
        )
        self.assertIn("has CHANGED", pinning.errors)
        self.assertIn(after.fingerprint, pinning.errors)
        for client in (trusting, pinning):
            self.assertNotIn("reconnected", client.output)
            self.assertNotIn("Traceback", client.errors)

    async def test_connectionRefused(self) -> None:
        """With no server, the client says so in one line and exits 1."""
        port = freePort()
        client = self.startClient(port)
        self.assertEqual(await client.exited(), 1)
        self.assertEqual(client.errors.count("\n"), 1)
        self.assertIn(
            f"twisted-chat: cannot connect to localhost:{port}", client.errors
        )
        self.assertIn("refused", client.errors)

    async def test_killedServerRestarted(self) -> None:
        """
        kill -9 the server and start it again with the same command: the
        real client reconnects by itself and misses nothing, history and
        accounts are still there, and a newcomer sees the history.
        """
        server, port = await self.startServer()
        alice = await self.connect(port, "alice")
        alice.say("/register alice-password")
        await alice.waitFor(r"^ACCOUNT alice ")
        bob = self.startClient(port, "--nick", "bob", "--room", "#dev")
        await bob.waitForOutput(r"now talking in #dev")
        bob.type("before the crash\n")
        await bob.waitForOutput(r"#dev <bob> before the crash")
        server.transport.signalProcess("KILL")
        await server.exited()
        await bob.waitForOutput(r"connection lost .*; reconnecting")
        await self.startServer(port=port)
        carol = await self.connect(port, "carol")
        carol.say("/join #dev")
        await carol.waitFor(r"^HISTORY #dev 1 \S+ bob :before the crash$")
        carol.say("while bob was away")
        carol.say("/nick alice")
        await carol.waitFor(r"^ERROR nick-registered ")
        await bob.waitForOutput(r"reconnected after [0-9.]+ s; caught up")
        await bob.waitForOutput(r"#dev <carol> while bob was away")
        bob.type("bye\n")
        self.assertEqual(await bob.exited(), 0)
        self.assertEqual(bob.output.count("<carol> while bob was away"), 1)
        self.assertEqual(bob.output.count("<bob> before the crash"), 1)
        self.assertEqual(bob.errors, "")

    async def test_portInUse(self) -> None:
        """A second server on a port in use stops at once, saying why."""
        _, port = await self.startServer()
        second = self.spawn(
            "-c",
            "from twisted.scripts.twistd import run; run()",
            "-n",
            "--pidfile=",
            "chat",
            "--listen",
            f"tcp:{port}:interface=127.0.0.1",
        )
        self.assertEqual(await second.exited(), 1)
        self.assertIn(
            f"cannot listen on tcp:{port}:interface=127.0.0.1: Address already in use",
            second.output + second.errors,
        )
        self.assertNotIn("Traceback", second.output + second.errors)

    async def test_badInputOverTcp(self) -> None:
        """
        Over real TCP, a 1 MiB line, invalid UTF-8, an unknown command and a
        client vanishing mid-line each get their answer; others see nothing
        of it but the departure.
        """
        _, port = await self.startServer()
        alice = await self.connect(port, "alice")
        mallory = await self.connect(port, "mallory")
        mallory.transport.write(b"x" * (1 << 20) + b"\n\xff\xfe\n/frob\nstill here\n")
        await mallory.waitFor(r"^ERROR line-too-long ")
        await mallory.waitFor(r"^ERROR invalid-utf8 ")
        await mallory.waitFor(r"^ERROR unknown-command ")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ mallory :still here$")
        mallory.transport.write(b"half a li")
        mallory.transport.abortConnection()
        # A reset if mallory had unread lines, else a plain close: either way
        # she is gone, announced, and her half line never said.
        await alice.waitFor(r"^QUIT mallory \S+ :Connection (lost|closed)$")
        alice.say("/who")
        await alice.waitFor(r"^MEMBERS #lobby :alice$")
        self.assertNotIn("half a li", alice.received)
        self.assertNotIn("ERROR", alice.received)

    async def test_operatorConsole(self) -> None:
        """
        twistd -n chat --console: the operator talks as server, sees the
        clients, and bye stops the server cleanly, clients told why.
        """
        server, port = await self.startServer("--console")
        await server.waitForOutput(r"now talking in #lobby")
        alice = await self.connect(port, "alice")
        server.type("hello from the operator\n")
        await alice.waitFor(r"^MSG #lobby \d+ \S+ server :hello from the operator$")
        alice.say("hi operator")
        await server.waitForOutput(r"#lobby <alice> hi operator")
        server.type("bye\n")
        await alice.waitFor(r"^QUIT server \S+ :bye$")
        await alice.waitFor(r"^BYE shutdown :Server shutting down$")
        self.assertEqual(await server.exited(), 0)

    async def test_sigterm(self) -> None:
        """
        SIGTERM: every client is told the server is going before it stops,
        and the real client waits to reconnect rather than exit.

        Everyone is told, the store is closed, and the process exits 0.
        """
        server, port = await self.startServer()
        alice = await self.connect(port, "alice")
        client = self.startClient(port)
        await client.waitForOutput(r"now talking in #lobby")
        server.transport.signalProcess(signal.SIGTERM)
        await alice.waitFor(r"^BYE shutdown :Server shutting down$")
        self.assertEqual(await server.exited(), 0)
        self.assertIn("Received SIGTERM, shutting down.", server.output)
        self.assertIn("Server Shut Down", server.output)
        await client.waitForOutput(r"connection lost \(the server is restarting\)")
        client.endInput()
        self.assertEqual(await client.exited(), 0)
