"""
The abuse scenario in its short form: C{bench/abuse.py} against the
installed server at its default limits (its silence limits shortened to
2 and 4 seconds).  Well-behaved clients chat while others send byte by
byte, never read, flood, send 1 MiB lines and invalid UTF-8, vanish
mid-line, hold connections without a word, trickle bytes without a
newline, guess a password 61 times at once and send IRC comma lists; the
script checks that the well-behaved ones got every line in order, under
100 ms at p99, that the server's memory stayed within its bound, and that
each attack was held off as the limits say.
"""

import json
import os
import sys

from twisted.internet import reactor
from twisted.trial.unittest import SkipTest

from .processes import REPOSITORY, WAIT, ProcessTestCase

ABUSE = REPOSITORY.child("bench").child("abuse.py")


class AbuseTests(ProcessTestCase):
    timeout = 90

    async def test_shortRun(self) -> None:
        """
        Six seconds of abuse leave every check passing and every attack
        counted: none of them was skipped for want of a connection.
        """
        if not os.path.exists(os.path.join(os.path.dirname(sys.executable), "twistd")):
            raise SkipTest("the scenario runs the twistd installed beside this Python")
        results = self.directory.child("abuse.json")
        child = self.spawn(ABUSE.path, "--seconds", "6", "--json", results.path)
        await child.ended.addTimeout(self.timeout - WAIT, reactor)
        self.assertEqual(child.exitCode, 0, child.output + child.errors)
        result = json.loads(results.getContent())
        self.assertEqual(result["problems"], [])
        self.assertEqual(result["deliveries"], result["deliveriesExpected"])
        self.assertGreater(result["deliveries"], 0)
        abuse = result["abuse"]
        for kind in [
            "1 MiB lines refused",
            "invalid UTF-8 lines refused",
            "flooders closed with BYE flood",
            "connections dropped mid-line",
            "lines sent a byte at a time",
            "login guesses throttled",
            "right password refused from the guessing address",
            "owner logged in from another address",
            "comma-list room messages",
            "comma-list 407 replies",
            "tricklers dropped with BYE timeout",
        ]:
            self.assertGreater(abuse.get(kind, 0), 0, kind)
        self.assertEqual(abuse["login guesses sent at once"], 61)
        self.assertLessEqual(
            abuse["login guesses checked (login-failed)"], result["loginLimit"]
        )
        self.assertEqual(
            abuse["silent connections dropped with BYE timeout"], result["silent"]
        )
