"""
Tests for L{twisted_chat.app.stopsignals}: stopping on a signal without logging
inside the signal handler.
"""

import signal
from typing import Any

from twisted.internet.error import ReactorNotRunning
from twisted.logger import LogEvent, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.app.stopsignals import installStopHandlers


class StoppableReactor:
    """Records what a signal handler asks of the reactor."""

    def __init__(self) -> None:
        self.queued: list[tuple[Any, tuple[Any, ...]]] = []
        self.stops = 0

    def callFromThread(self, function: Any, *arguments: Any) -> None:
        self.queued.append((function, arguments))

    def stop(self) -> None:
        if self.stops:
            raise ReactorNotRunning("already stopping")
        self.stops += 1

    def runQueued(self) -> None:
        queued, self.queued = self.queued, []
        for function, arguments in queued:
            function(*arguments)


class StopHandlerTests(SynchronousTestCase):
    def setUp(self) -> None:
        for number in (signal.SIGTERM, signal.SIGINT):
            self.addCleanup(signal.signal, number, signal.getsignal(number))
        self.events: list[LogEvent] = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)
        self.reactor = StoppableReactor()

    def handler(self, number: int) -> Any:
        handler = signal.getsignal(number)
        assert callable(handler)
        return handler

    def test_handlerOnlyQueues(self) -> None:
        """
        Inside the signal handler nothing is logged (the log lock may be
        half-taken by the code the signal interrupted) and nothing stopped:
        the stop is queued, and logged when the reactor runs it.
        """
        installStopHandlers(self.reactor)
        self.handler(signal.SIGTERM)(signal.SIGTERM, None)
        self.assertEqual(self.events, [])
        self.assertEqual(self.reactor.stops, 0)
        self.reactor.runQueued()
        self.assertEqual(self.reactor.stops, 1)
        self.assertEqual(
            [formatEvent(event) for event in self.events],
            ["Received SIGTERM, shutting down."],
        )

    def test_secondSignal(self) -> None:
        """A second signal while the reactor stops changes nothing."""
        installStopHandlers(self.reactor)
        handler = self.handler(signal.SIGTERM)
        handler(signal.SIGTERM, None)
        handler(signal.SIGTERM, None)
        self.reactor.runQueued()
        self.assertEqual(self.reactor.stops, 1)

    def test_sigint(self) -> None:
        """SIGINT, where it is handled at all, stops the same way."""
        signal.signal(signal.SIGINT, signal.default_int_handler)
        installStopHandlers(self.reactor)
        self.handler(signal.SIGINT)(signal.SIGINT, None)
        self.assertEqual(self.events, [])
        self.reactor.runQueued()
        self.assertEqual(self.reactor.stops, 1)

    def test_ignoredSigintLeftAlone(self) -> None:
        """A SIGINT that was ignored (as under nohup) stays ignored."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        installStopHandlers(self.reactor)
        self.assertIs(signal.getsignal(signal.SIGINT), signal.SIG_IGN)
