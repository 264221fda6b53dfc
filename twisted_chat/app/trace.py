"""
The bench's trace mode (L{twisted_chat.tracing}), turned on by the
environment: with C{TWISTED_CHAT_TRACE=PATH} the server stamps the path of
the load generator's marked messages, times the collector and the store's
commits, and writes the report to PATH as JSON when it stops.

The variable is read once, here, as the service is built; without it no
trace exists and the hooks in the hot path find L{None}.
"""

from collections.abc import Mapping

from twisted.application.service import Service

from twisted_chat import tracing
from twisted_chat.app.options import MEMORY_DATABASE
from twisted_chat.store.pgaddress import isPostgresURL

TRACE_VARIABLE = "TWISTED_CHAT_TRACE"
"""The environment variable naming the file the trace is written to."""


class TraceService(Service):
    """Keeps the trace while the server runs, and writes it at the end."""

    def __init__(self, path: str, trace: tracing.Trace) -> None:
        self.path = path
        self.trace = trace

    def startService(self) -> None:
        super().startService()
        tracing.TRACE = self.trace
        self.trace.start()

    def stopService(self) -> None:
        super().stopService()
        self.trace.stop()
        tracing.TRACE = None
        self.trace.write(self.path)


def traceService(environment: Mapping[str, str], db: str) -> TraceService | None:
    """
    The trace service if C{environment} asks for one, watching the WAL of
    the SQLite file C{db} (not of a memory or PostgreSQL store).
    """
    path = environment.get(TRACE_VARIABLE)
    if not path:
        return None
    sqlite = db != MEMORY_DATABASE and not isPostgresURL(db)
    return TraceService(path, tracing.Trace(db if sqlite else None))
