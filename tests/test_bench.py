"""
The benchmark still runs: C{bench/run.py} in its shortest form, every
scenario, against the installed server and the minimal baseline, with every
message accounted for.  The figures themselves are not checked; they belong
in docs/PERFORMANCE.md, not in a test.
"""

import json
import os
import sys

from twisted.internet import reactor
from twisted.trial.unittest import SkipTest

from .processes import REPOSITORY, WAIT, ProcessTestCase

RUN = REPOSITORY.child("bench").child("run.py")


class BenchTests(ProcessTestCase):
    timeout = 120

    async def test_shortRun(self) -> None:
        """
        Each scenario measures and accounts for every message: nothing lost
        in the fan-out, every latency sample back, every idle connection
        held, every committed message in the SQLite file.
        """
        if (os.cpu_count() or 1) < 2:
            raise SkipTest("the bench pins the server and the load to two cores")
        if not os.path.exists(os.path.join(os.path.dirname(sys.executable), "twistd")):
            raise SkipTest("the bench runs the twistd installed beside this Python")
        results = self.directory.child("results.json")
        child = self.spawn(
            RUN.path,
            "--servers", "twisted_chat,twisted_chat-irc,baseline",
            "--members", "20", "--latency-members", "20", "--limits-members", "20",
            "--idle", "50",
            "--senders", "2", "--window", "5", "--seconds", "0.5",
            "--rate", "50", "--latency-seconds", "0.5", "--repeat", "1",
            "--json", results.path,
        )  # fmt: skip
        await child.ended.addTimeout(self.timeout - WAIT, reactor)
        self.assertEqual(child.exitCode, 0, child.output + child.errors)
        report = json.loads(results.getContent())
        runs = {(run["scenario"], run["server"]): run for run in report["runs"]}
        for server in ("twisted_chat", "twisted_chat-irc", "baseline"):
            throughput = runs["throughput", server]["result"]
            self.assertEqual(throughput["lost"], 0)
            self.assertGreater(throughput["deliveriesPerCpuSecond"], 0)
            latency = runs["latency", server]["result"]
            self.assertEqual(latency["samples"], latency["samplesExpected"])
        for server in ("twisted_chat", "twisted_chat-limits"):
            limited = runs["limits", server]["result"]
            self.assertEqual(limited["samples"], limited["samplesExpected"])
        self.assertEqual(runs["idle", "twisted_chat-guests"]["result"]["held"], 50)
        durable = runs["durability", "twisted_chat"]["result"]
        self.assertEqual(durable["notStored"], 0)
        self.assertGreater(durable["messagesStored"], 0)
        self.assertIn("Fan-out", child.output)
        self.assertIn("twistd", runs["throughput", "twisted_chat"]["serverCommand"])
