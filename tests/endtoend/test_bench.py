"""
The benchmark still runs: C{bench/run.py} in its shortest form, every
scenario, against the installed server and the minimal baseline, with every
message accounted for.  The figures themselves are not checked; they belong
in docs/PERFORMANCE.md, not in a test.
"""

import json
import os
import subprocess
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
        for server in ("twisted_chat", "twisted_chat-irc"):
            # Members who talk (over the line and IRC dialects) get every
            # message too, counted apart.
            latency = runs["latency", server]["result"]
            self.assertGreater(latency["talkers"], 0)
            self.assertEqual(
                latency["talkingSamples"], latency["talkingSamplesExpected"]
            )
        self.assertNotIn("talkers", runs["latency", "baseline"]["result"])
        for server in ("twisted_chat", "twisted_chat-limits"):
            limited = runs["limits", server]["result"]
            self.assertEqual(limited["samples"], limited["samplesExpected"])
        self.assertEqual(runs["idle", "twisted_chat-guests"]["result"]["held"], 50)
        durable = runs["durability", "twisted_chat"]["result"]
        self.assertEqual(durable["notStored"], 0)
        self.assertGreater(durable["messagesStored"], 0)
        self.assertIn("Fan-out", child.output)
        self.assertIn("twistd", runs["throughput", "twisted_chat"]["serverCommand"])

    async def test_before(self) -> None:
        """
        C{--before REV} also runs each twisted_chat server from a checkout of
        REV, taking turns with the current one: the old server imports its
        twisted_chat from that checkout, and the checkout is gone afterwards.
        """
        if (os.cpu_count() or 1) < 2:
            raise SkipTest("the bench pins the server and the load to two cores")
        if not os.path.exists(os.path.join(os.path.dirname(sys.executable), "twistd")):
            raise SkipTest("the bench runs the twistd installed beside this Python")
        try:
            label = subprocess.run(
                ["git", "-C", REPOSITORY.path, "rev-parse", "--short", "HEAD"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            raise SkipTest("--before needs a git checkout") from None
        results = self.directory.child("results.json")
        child = self.spawn(
            RUN.path, "--before", "HEAD",
            "--only", "throughput", "--servers", "twisted_chat,baseline",
            "--members", "10", "--senders", "2", "--window", "5",
            "--seconds", "0.3", "--repeat", "1", "--json", results.path,
        )  # fmt: skip
        await child.ended.addTimeout(self.timeout - WAIT, reactor)
        self.assertEqual(child.exitCode, 0, child.output + child.errors)
        report = json.loads(results.getContent())
        old = f"twisted_chat@{label}"
        self.assertEqual(
            [run["server"] for run in report["runs"]],
            ["twisted_chat", old, "baseline"],
        )
        runs = {run["server"]: run for run in report["runs"]}
        self.assertEqual(runs[old]["result"]["lost"], 0)
        checkout = report["before"]["checkout"]
        imported = runs[old]["result"]["twistedChatFile"]
        self.assertTrue(imported.startswith(checkout + os.sep), imported)
        self.assertIn(f"PYTHONPATH={checkout}", runs[old]["serverCommand"])
        self.assertNotIn("twistedChatFile", runs["twisted_chat"]["result"])
        self.assertFalse(os.path.exists(checkout))
        worktrees = subprocess.run(
            ["git", "-C", REPOSITORY.path, "worktree", "list", "--porcelain"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        self.assertNotIn(checkout, worktrees)
        self.assertIn("now/before", child.output)
