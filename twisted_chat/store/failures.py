"""
A store's failures, logged without flooding the log.

A full disk fails every commit, and a busy server commits many times a
second; near full, commits fail and work by turns.  L{FailureReporter} logs
the first failure with its traceback; while failures go on, at most one line
per L{REPORT_INTERVAL} counts them; and one line says when commits work
again.  The trouble is over once a whole interval has passed without a
failure; only then is a new failure logged with its traceback again.
"""

from typing import Final

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from twisted_chat.store import OutOfSequence

REPORT_INTERVAL: Final = 60.0
"""Seconds between two lines counting the failures of a store in trouble."""


class FailureReporter:
    """
    Logs a store's failures and its recovery, the failures counted in
    operations (messages, reads, other writes) that failed.
    """

    log = Logger()

    def __init__(self, clock: IReactorTime, interval: float = REPORT_INTERVAL):
        self._clock = clock
        self._interval = interval
        self._troubleSince: float | None = None
        self._failing = False
        self._recoveryTold = False
        self._failed = 0
        self._unreported = 0
        self._lastError = ""
        self._nextReport: IDelayedCall | None = None

    @property
    def failing(self) -> bool:
        """Whether the store's last commit failed."""
        return self._failing

    def failed(self, failure: Failure, operations: int) -> None:
        """
        C{operations} failed with C{failure}: log it if it starts a trouble,
        count it otherwise.
        """
        self._failing = True
        self._failed += operations
        if not self._lastError or not failure.check(OutOfSequence):
            # A refusal follows from an earlier failure; that one is the news.
            self._lastError = failure.getErrorMessage()
        if self._troubleSince is not None:
            self._unreported += operations
            return
        self._troubleSince = self._clock.seconds()
        self._recoveryTold = False
        self.log.failure(
            "The store failed ({operations} operations); until it works"
            " again, failures are counted every {interval:g} s",
            failure,
            operations=operations,
            interval=self._interval,
        )
        self._nextReport = self._clock.callLater(self._interval, self._report)

    def committed(self) -> None:
        """
        The store committed: say so if its last commit had failed, unless
        that was said already since the last line saying it fails.
        """
        if not self._failing:
            return
        self._failing = False
        if self._recoveryTold:
            return
        self._recoveryTold = True
        assert self._troubleSince is not None
        self.log.warn(
            "The store works again after {seconds:.0f} s; {total} operations"
            " failed meanwhile",
            seconds=self._clock.seconds() - self._troubleSince,
            total=self._failed,
        )

    def _report(self, again: bool = True) -> None:
        self._nextReport = None
        if not self._unreported:
            if again:
                # A whole interval without a failure: the trouble is over.
                self._troubleSince = None
                self._failed = 0
                self._lastError = ""
            return
        assert self._troubleSince is not None
        fields = dict(
            count=self._unreported,
            interval=self._interval,
            error=self._lastError,
            total=self._failed,
            seconds=self._clock.seconds() - self._troubleSince,
        )
        if self._failing:
            self.log.error(
                "The store is still failing: {count} more operations failed in"
                " the last {interval:g} s ({error}); {total} since {seconds:.0f} s"
                " ago",
                **fields,
            )
            self._recoveryTold = False
        else:
            self.log.warn(
                "The store failed on and off: {count} operations failed in the"
                " last {interval:g} s ({error}); it works now",
                **fields,
            )
        self._unreported = 0
        if again:
            self._nextReport = self._clock.callLater(self._interval, self._report)

    def stop(self) -> None:
        """The store is closing: count what is not counted yet, now."""
        if self._nextReport is not None:
            self._nextReport.cancel()
        self._report(again=False)
