"""
Stopping on SIGTERM and SIGINT without logging inside the signal handler.

Twisted's own handlers log "Received SIGTERM, shutting down." from inside
the handler.  A Python signal handler runs between two bytecodes of
whatever the main thread was doing; if that was a log call holding the log
observer's lock (a pure-Python re-entrant lock) at the wrong instant, the
handler's own log call waits for that lock forever and the server hangs
instead of stopping (Twisted issue #7736; seen here on a SIGTERM during a
burst of a thousand disconnections, each of them logged).

The handlers here only queue the stop with C{callFromThread}, which appends
to a list and writes a byte to the reactor's waker, taking no lock the main
thread could hold; the log line is written on the next reactor turn.  They
also do not record the signal as the reactor's exit signal, so after the
graceful stop (everyone told, the store flushed) twistd exits with status 0
instead of killing itself with the same signal.
"""

import signal
from contextlib import suppress
from types import FrameType
from typing import Any

from twisted.internet.error import ReactorNotRunning
from twisted.logger import Logger

log = Logger()


def installStopHandlers(reactor: Any) -> None:
    """
    Make SIGTERM, and SIGINT where Twisted handles it, stop C{reactor}
    gracefully.  Call it once the reactor runs, after Twisted has installed
    its own handlers.
    """

    def handler(number: int, frame: FrameType | None) -> None:
        reactor.callFromThread(stopFor, reactor, number)

    signal.signal(signal.SIGTERM, handler)
    if signal.getsignal(signal.SIGINT) not in (signal.SIG_IGN, signal.SIG_DFL):
        signal.signal(signal.SIGINT, handler)


def stopFor(reactor: Any, number: int) -> None:
    """
    Stop C{reactor} because of signal C{number}, in a reactor turn; a second
    signal while it stops changes nothing.
    """
    log.info("Received {signal}, shutting down.", signal=signal.Signals(number).name)
    with suppress(ReactorNotRunning):
        reactor.stop()
