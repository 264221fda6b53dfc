"""
Tests for L{twisted_chat.connection.admission}: who may connect.
"""

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.connection.admission import Admission, AdmissionRules, addressKey


class AddressKeyTests(SynchronousTestCase):
    def test_ipv4(self) -> None:
        self.assertEqual(addressKey("192.0.2.7"), ("192.0.2.7", False))

    def test_ipv6CountsAsItsSlash64(self) -> None:
        """Two addresses of one /64 are one; another /64 is another."""
        first, _ = addressKey("2001:db8:1:2::1")
        second, _ = addressKey("2001:db8:1:2:ffff::9")
        other, _ = addressKey("2001:db8:1:3::1")
        self.assertEqual(first, "2001:db8:1:2::/64")
        self.assertEqual(first, second)
        self.assertNotEqual(first, other)

    def test_ipv4Mapped(self) -> None:
        self.assertEqual(addressKey("::ffff:192.0.2.7"), ("192.0.2.7", False))

    def test_local(self) -> None:
        """Loopback and non-IP peers (Unix sockets) are local."""
        self.assertTrue(addressKey("127.0.0.1")[1])
        self.assertTrue(addressKey("::1")[1])
        self.assertTrue(addressKey("local")[1])


class AdmissionTests(SynchronousTestCase):
    def admission(self, **rules: object) -> tuple[Admission, Clock]:
        clock = Clock()
        return Admission(clock, AdmissionRules(**rules)), clock  # type: ignore[arg-type]

    def test_total(self) -> None:
        """Past the total, everyone is refused until someone leaves."""
        admission, _ = self.admission(maxConnections=3)
        for n in range(3):
            self.assertIsNone(admission.admit(f"192.0.2.{n}"))
        refusal = admission.admit("198.51.100.1")
        self.assertEqual(
            refusal, "The server is full (3 connections); try again later."
        )
        admission.release("192.0.2.0")
        self.assertIsNone(admission.admit("198.51.100.1"))

    def test_perAddress(self) -> None:
        """16 at once from one address; the 17th waits for one to close."""
        admission, _ = self.admission()
        for _ in range(16):
            self.assertIsNone(admission.admit("192.0.2.1"))
        self.assertEqual(
            admission.admit("192.0.2.1"),
            "Too many connections from your address (16 at once).",
        )
        self.assertIsNone(admission.admit("192.0.2.2"))
        admission.release("192.0.2.1")
        self.assertIsNone(admission.admit("192.0.2.1"))

    def test_perSlash64(self) -> None:
        """Many addresses of one IPv6 /64 share its limit."""
        admission, _ = self.admission(maxPerAddress=2)
        self.assertIsNone(admission.admit("2001:db8::1"))
        self.assertIsNone(admission.admit("2001:db8::2"))
        self.assertIsNotNone(admission.admit("2001:db8::3"))
        self.assertIsNone(admission.admit("2001:db8:0:1::1"))

    def test_newPerWindow(self) -> None:
        """
        32 new connections from one address in 10 minutes, even if each
        closes at once; the next is allowed when the oldest ages out.
        """
        admission, clock = self.admission()
        for _ in range(32):
            self.assertIsNone(admission.admit("192.0.2.1"))
            admission.release("192.0.2.1")
            clock.advance(1)
        self.assertEqual(
            admission.admit("192.0.2.1"),
            "Too many new connections from your address (32 in 10 minutes);"
            " try again in 568 seconds.",
        )
        clock.advance(568)
        self.assertIsNone(admission.admit("192.0.2.1"))

    def test_loopbackExempt(self) -> None:
        """
        Loopback is exempt from the per-address limits by default, not from
        the total, and not with limitLoopback.
        """
        admission, _ = self.admission(maxConnections=40)
        for _ in range(40):
            self.assertIsNone(admission.admit("127.0.0.1"))
        self.assertIn("full", admission.admit("127.0.0.1") or "")
        limited, _ = self.admission(limitLoopback=True)
        for _ in range(16):
            self.assertIsNone(limited.admit("127.0.0.1"))
        self.assertIsNotNone(limited.admit("127.0.0.1"))

    def test_refusedNotCounted(self) -> None:
        """A refused connection takes no place, and needs no release."""
        admission, _ = self.admission(maxPerAddress=1)
        admission.admit("192.0.2.1")
        admission.admit("192.0.2.1")
        self.assertEqual(admission.openConnections, 1)
        admission.release("192.0.2.1")
        self.assertEqual(admission.openConnections, 0)
        self.assertIsNone(admission.admit("192.0.2.1"))

    def test_forgetsOldAddresses(self) -> None:
        """The table of recent addresses does not grow without bound."""
        admission, clock = self.admission(maxConnections=10)
        for n in range(200):
            admission.admit(f"10.0.{n // 250}.{n % 250}")
            admission.release(f"10.0.{n // 250}.{n % 250}")
        clock.advance(601)
        admission.admit("192.0.2.1")
        self.assertEqual(admission.addressesRemembered, 1)
