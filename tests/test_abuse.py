"""
The abuse scenario in its short form: C{bench/abuse.py} against the
installed server at its default limits.  Well-behaved clients chat while
others send byte by byte, never read, flood, send 1 MiB lines and invalid
UTF-8, vanish mid-line and hold connections without a word; the script
checks that the well-behaved ones got every line in order, under 100 ms at
p99, and that the server's memory stayed within its bound.
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
        ]:
            self.assertGreater(abuse.get(kind, 0), 0, kind)
