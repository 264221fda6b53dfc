"""
Tests that keep docs/PROTOCOL.md and README.md true to the code: every
command, line type, error code and limit is documented, and every example
line in the protocol document is one the code itself would send.
"""

import json
import re

from twisted.python.filepath import FilePath
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat import limits
from twisted_chat.app.service import SHUTDOWN_GRACE
from twisted_chat.chat import events, orderevents
from twisted_chat.chat.commands import COMMANDS
from twisted_chat.chat.errors import ChatError, allErrorCodes
from twisted_chat.chat.names import RESERVED_NICKS
from twisted_chat.frontends.web.jsonchat import encodeEvent
from twisted_chat.frontends.web.jsoncommands import COMMAND_CLASSES, decodeCommand
from twisted_chat.wire import line as wire
from twisted_chat.wire.linetypes import LINE_TYPES

REPOSITORY = FilePath(__file__).parent().parent().parent()
PROTOCOL = REPOSITORY.child("docs").child("PROTOCOL.md").getContent().decode()
README = REPOSITORY.child("README.md").getContent().decode()
STAMP = "2026-11-25T18:20:03.456Z"


def webTable(prefix: str) -> dict[str, str]:
    """The web section's examples, by the command's or event's name."""
    return dict(
        re.findall(
            r"^\| (\w+) \| `(\{\"" + prefix + r"\": [^`]*)` \|", PROTOCOL, re.MULTILINE
        )
    )


class WebDocumentTests(SynchronousTestCase):
    def test_everyCommand(self) -> None:
        """Every JSON command has a row whose example reads as that command."""
        examples = webTable("command")
        self.assertEqual(set(examples), set(COMMAND_CLASSES))
        for name, example in examples.items():
            decoded = decodeCommand(json.loads(example))
            self.assertEqual(type(decoded).__name__, name)

    def test_everyEvent(self) -> None:
        """
        Every event has a row whose example is exactly what the JSON
        subprotocol sends for it.
        """
        examples = webTable("event")
        kinds = {
            name: kind
            for module in (events, orderevents)
            for name, kind in vars(module).items()
            if isinstance(kind, type)
            and issubclass(kind, events.Event)
            and kind is not events.Event
        }
        self.assertEqual(set(examples), set(kinds))
        for name, example in examples.items():
            fields = json.loads(example)
            del fields["event"]
            event = kinds[name](**fields)
            self.assertEqual(encodeEvent(event), example.encode() + b"\r\n")


class ProtocolDocumentTests(SynchronousTestCase):
    def test_commands(self) -> None:
        """Every command's usage is in the commands table."""
        for spec in COMMANDS.values():
            usage = spec.usage.replace("|", "\\|")
            self.assertIn(f"| `{usage}` |", PROTOCOL, spec.name)

    def test_lineTypes(self) -> None:
        """Every server line type has a row with an example."""
        documented = set(re.findall(r"^\| `([A-Z]+)[ `]", PROTOCOL, re.MULTILINE))
        self.assertEqual(documented, set(LINE_TYPES))

    def test_examplesAreTrue(self) -> None:
        """Each example server line is exactly what the server would send."""
        examples = re.findall(
            r"^\| `[A-Z]+[^`]*` \| `([^`]*)` \|", PROTOCOL, re.MULTILINE
        )
        self.assertEqual(len(examples), len(LINE_TYPES))
        for example in examples:
            line = example.encode()
            self.assertEqual(wire.formatEvent(wire.parseEvent(line)), line + b"\r\n")

    def test_sampleSession(self) -> None:
        """Each server line of the sample sessions parses and formats back."""
        lines = re.findall(r"^S: (.*)$", PROTOCOL, re.MULTILINE)
        self.assertGreater(len(lines), 40)
        for line in lines:
            data = re.sub(r"(?<= )T(?= |$)", STAMP, line).encode()
            self.assertEqual(wire.formatEvent(wire.parseEvent(data)), data + b"\r\n")

    def test_sampleSessionCommands(self) -> None:
        """
        Each client line of the sample session is valid, or is refused with
        the error the session shows next.
        """
        session = re.findall(r"^([CS]): (.*)$", PROTOCOL, re.MULTILINE)
        for index, (side, line) in enumerate(session):
            if side != "C":
                continue
            try:
                wire.parseCommand(line.encode())
            except ChatError as error:
                self.assertEqual(
                    session[index + 1], ("S", f"ERROR {error.code} :{error.message}")
                )

    def test_errorCodes(self) -> None:
        """Every error code has a row."""
        for code in allErrorCodes():
            self.assertTrue(f"| `{code}` |" in PROTOCOL, code)

    def test_limits(self) -> None:
        """Every limit's value is stated."""
        for text in [
            f"**{limits.MAX_LINE_LENGTH} bytes**",
            f"**{limits.CLIENT_MAX_LINE_LENGTH} bytes**",
            f"| Nick length | {limits.NICK_MAX_LENGTH} characters |",
            f"| Room name length | {limits.ROOM_NAME_MAX_LENGTH} characters",
            f"| Topic length | {limits.TOPIC_MAX_LENGTH} characters |",
            f"(at least {limits.MIN_LINE_LENGTH_SETTING})",
            f"| {SHUTDOWN_GRACE:g} seconds |",
            f"| Messages replayed on joining a room | {limits.HISTORY_ON_JOIN} |",
            f"| {limits.ARRIVAL_GRACE:g} seconds after its welcome;"
            f" {limits.ARRIVAL_AFTER_LOGIN:g} seconds after its login |",
            f"(at most {limits.RESUME_LIMIT})",
            f"| {limits.HISTORY_PAGE_DEFAULT}, at most {limits.HISTORY_PAGE_MAX} |",
            f"| {limits.RESUME_LIMIT}; older missing ones are a `GAP` |",
            f"| Messages kept per room | all | `--room-history-cap N`"
            f" (default {limits.ROOM_HISTORY_CAP}: no cap) |",
            f"| {limits.PASSWORD_MIN_LENGTH} to {limits.PASSWORD_MAX_LENGTH} characters |",
            f"| {limits.LOGIN_FAILURES_PER_ACCOUNT_ADDRESS} in any"
            f" {limits.LOGIN_FAILURE_WINDOW / 60:g} minutes |",
            f"| {limits.LOGIN_FAILURES_PER_ADDRESS} in any"
            f" {limits.LOGIN_FAILURE_WINDOW / 60:g} minutes |",
            f"| {limits.LOGIN_PAUSE_FIRST:g} second, doubling with each further"
            f" failure, at most {limits.LOGIN_PAUSE_MAX:g} seconds |",
            f"| {limits.LOGIN_THROTTLE_ATTEMPTS}; the oldest are forgotten first |",
            f"| Lines a client may send at once | {limits.FLOOD_BURST} |",
            f"in its first {limits.FLOOD_ARRIVAL_SECONDS:g} seconds"
            f" | {limits.FLOOD_ARRIVAL_BURST} |",
            f"| {limits.FLOOD_RATE:g} | `--flood-rate R`",
            f"| {limits.MAX_QUEUED_LINES} lines or {limits.MAX_QUEUED_BYTES} bytes |",
            f"| {limits.SEND_QUEUE_BYTES} bytes | `--send-queue BYTES`",
            f"| {limits.SEND_QUEUE_TIMEOUT:g} seconds | `--send-queue-timeout S`",
            f"| {limits.SEND_BUFFER_BYTES} bytes | `--send-buffer BYTES`",
            f"| {limits.MAX_CONNECTIONS}, or the file-descriptor limit less"
            f" {limits.FD_MARGIN} |",
            f"| {limits.MAX_PER_ADDRESS} | `--max-per-address N`",
            f"| {limits.NEW_PER_ADDRESS} in any"
            f" {limits.NEW_PER_ADDRESS_WINDOW / 60:g} minutes |",
            f"| {limits.PING_AFTER:g} seconds | `--ping-after S`",
            f"| {limits.IDLE_TIMEOUT:g} seconds | `--idle-timeout S`",
            f"| {limits.LOGIN_TIMEOUT:g} seconds | `--login-timeout S`",
            f"| Time to complete a TLS handshake | {limits.HANDSHAKE_TIMEOUT:g} seconds |",
            f"| {limits.MAX_ROOMS_PER_MEMBER} | `--max-rooms N`",
            f"| {limits.MAX_WAITING_PRIVATE} | `--max-waiting-private N`",
            f"| {limits.MAX_WAITING_PER_SENDER} | `--max-waiting-per-sender N`",
            f"| {limits.ROOM_LIST_MAX}; `ENDROOMS` counts them all |",
            f"| Bans and mutes one room keeps | {limits.BAN_LIST_MAX} |",
            f"| Server bans | {limits.SERVER_BAN_MAX} |",
            f"| Audit entries one `/audit` gives | {limits.AUDIT_PAGE_MAX} |",
            f"| {limits.BAN_DURATION_MAX // 86400} days"
            f" (`{limits.BAN_DURATION_MAX // 86400}d`);",
        ]:
            self.assertTrue(text in PROTOCOL, text)

    def test_reservedNicks(self) -> None:
        """Every reserved nick is listed."""
        for nick in RESERVED_NICKS:
            self.assertTrue(f"`{nick}`" in PROTOCOL, nick)


class ReadmeTests(SynchronousTestCase):
    def test_setUpCommands(self) -> None:
        """The README shows the two set-up commands CI and users rely on."""
        for text in [
            "python -m twisted.trial tests",
            "twistd -n chat",
            "pip install",
            limits.DEFAULT_LISTEN,
            "chat.sqlite3",
        ]:
            self.assertTrue(text in README, text)
