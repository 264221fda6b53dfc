"""
Tests for L{twisted_chat.app.collector}: the garbage collector set for a
server.
"""

import gc

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.app.collector import YOUNG_THRESHOLD, tuneCollector


class TuneCollectorTests(SynchronousTestCase):
    def setUp(self) -> None:
        before = gc.get_threshold()
        self.addCleanup(gc.set_threshold, *before)
        self.addCleanup(gc.unfreeze)

    def test_youngThreshold(self) -> None:
        """
        The youngest generation is collected every L{YOUNG_THRESHOLD} new
        objects; the older generations keep their thresholds.
        """
        _, middle, oldest = gc.get_threshold()
        tuneCollector()
        self.assertEqual(gc.get_threshold(), (YOUNG_THRESHOLD, middle, oldest))

    def test_frozen(self) -> None:
        """What exists when the server has started is left out of collections."""
        gc.unfreeze()
        tuneCollector()
        self.assertGreater(gc.get_freeze_count(), 0)
