"""
Tests for L{twisted_chat.script}: the twisted-chat command's options.

Running it for real is in L{tests.test_endtoend}.
"""

from io import StringIO

from twisted.internet.defer import ensureDeferred
from twisted.internet.testing import MemoryReactor
from twisted.python.usage import UsageError
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.limits import DEFAULT_PORT
from twisted_chat.script import ClientOptions, main


def parse(*argv: str) -> ClientOptions:
    options = ClientOptions()
    options.parseOptions(list(argv))
    return options


class ClientOptionsTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        """By default: localhost, the seed's port, no nick or room, auto colour."""
        options = parse()
        self.assertEqual(
            (options["host"], options["port"], options["nick"], options["room"]),
            ("localhost", DEFAULT_PORT, None, None),
        )
        self.assertEqual(options["color"], "auto")

    def test_everything(self) -> None:
        """Every option is taken, short or long."""
        options = parse("-H", "chat.lan", "-p", "7000", "-n", "ann", "-r", "#dev")
        options2 = parse("--color", "never")
        self.assertEqual(
            (options["host"], options["port"], options["nick"], options["room"]),
            ("chat.lan", 7000, "ann", "#dev"),
        )
        self.assertEqual(options2["color"], "never")

    def test_badValues(self) -> None:
        """A port out of range, a non-number, or an unknown colour is refused."""
        for argv in [
            ("--port", "0"),
            ("--port", "70000"),
            ("--port", "x"),
            ("--color", "red"),
        ]:
            self.assertRaises(UsageError, parse, *argv)


class MainTests(SynchronousTestCase):
    def test_usageError(self) -> None:
        """Bad options: one explanation on stderr, exit status 2, no terminal touched."""
        stderr = StringIO()
        failure = self.failureResultOf(
            ensureDeferred(main(MemoryReactor(), ["--color", "red"], stderr)),
            SystemExit,
        )
        self.assertEqual(failure.value.code, 2)
        self.assertEqual(
            stderr.getvalue(),
            "twisted-chat: --color must be one of auto, always, never, not red\n"
            "Try twisted-chat --help.\n",
        )
