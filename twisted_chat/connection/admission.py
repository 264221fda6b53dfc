"""
Who may open a connection: the server-wide and per-address limits.

Every front end (the line server, the IRC listener) builds its protocols
through L{admitOrRefuse} with the same L{Admission}, so the limits hold
across them; a connection over them gets one line in its own protocol saying
why.  The limits know addresses as strings and time only through the clock
they are given.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol as Structural
from typing import TypeVar

from twisted.internet.interfaces import IAddress, IReactorTime, ITransport
from twisted.internet.protocol import Protocol
from twisted.logger import Logger

from twisted_chat.addresses import addressKey
from twisted_chat.limits import (
    MAX_CONNECTIONS,
    MAX_PER_ADDRESS,
    NEW_PER_ADDRESS,
    NEW_PER_ADDRESS_WINDOW,
)
from twisted_chat.meters import METERS


@dataclass(frozen=True)
class AdmissionRules:
    """
    @ivar maxConnections: connections at once, from everywhere.
    @ivar maxPerAddress: connections at once from one address (IPv6: /64).
    @ivar newPerAddress: new connections from one address in any C{window}
        seconds.
    @ivar limitLoopback: whether loopback and Unix-socket clients count
        against the per-address limits (they always count in the total).
    """

    maxConnections: int = MAX_CONNECTIONS
    maxPerAddress: int = MAX_PER_ADDRESS
    newPerAddress: int = NEW_PER_ADDRESS
    window: float = NEW_PER_ADDRESS_WINDOW
    limitLoopback: bool = False


class Admission:
    """
    Count open connections, in all and per address, and refuse those over
    the limits with a reason a person can read.
    """

    def __init__(self, clock: IReactorTime, rules: AdmissionRules) -> None:
        self.rules = rules
        self._clock = clock
        self.openConnections = 0
        self._open: dict[str, int] = {}
        self._recent: dict[str, deque[float]] = {}

    def admit(self, host: str) -> "Refused | None":
        """
        Count a new connection from C{host} and return L{None}, or return why
        it is refused (and count nothing).  An admitted connection must be
        L{release}d when it closes.
        """
        rules = self.rules
        if self.openConnections >= rules.maxConnections:
            return Refused(
                f"The server is full ({rules.maxConnections} connections);"
                " try again later.",
                "server-full",
            )
        key, local = addressKey(host)
        limited = rules.limitLoopback or not local
        if limited:
            if self._open.get(key, 0) >= rules.maxPerAddress:
                return Refused(
                    f"Too many connections from your address"
                    f" ({rules.maxPerAddress} at once).",
                    "per-address",
                )
            now = self._clock.seconds()
            recent = self._recentFrom(key, now)
            if len(recent) >= rules.newPerAddress:
                wait = recent[0] + rules.window - now
                return Refused(
                    f"Too many new connections from your address"
                    f" ({rules.newPerAddress} in {rules.window / 60:g} minutes);"
                    f" try again in {max(wait, 1):.0f} seconds.",
                    "new-per-address",
                )
            recent.append(now)
        self.openConnections += 1
        self._open[key] = self._open.get(key, 0) + 1
        return None

    @property
    def addressesRemembered(self) -> int:
        """
        How many addresses' recent connections are remembered, for the
        limit on new ones: what that limit costs in memory, which stays as
        small as the window's traffic however many addresses connect.
        """
        return len(self._recent)

    def release(self, host: str) -> None:
        """A connection admitted from C{host} has closed."""
        key, _ = addressKey(host)
        self.openConnections -= 1
        remaining = self._open.get(key, 0) - 1
        if remaining > 0:
            self._open[key] = remaining
        else:
            self._open.pop(key, None)

    def _recentFrom(self, key: str, now: float) -> deque[float]:
        """
        The times of the connections from C{key} within the window, oldest
        first; addresses with none are forgotten, so the table stays as
        small as the window's traffic.
        """
        horizon = now - self.rules.window
        if len(self._recent) > 4 * self.rules.maxConnections:
            for other in list(self._recent):
                times = self._recent[other]
                while times and times[0] <= horizon:
                    times.popleft()
                if not times:
                    del self._recent[other]
        recent = self._recent.setdefault(key, deque())
        while recent and recent[0] <= horizon:
            recent.popleft()
        return recent


class Admitted(Structural):
    """A protocol that remembers the host it was admitted as from."""

    admittedAs: str | None


AdmittedProtocol = TypeVar("AdmittedProtocol", bound=Admitted)

log = Logger()


class Refused(str):
    """
    Why a connection is refused, for the person; L{code} says which limit,
    for the counts (L{twisted_chat.meters}).
    """

    code: str

    def __new__(cls, text: str, code: str) -> "Refused":
        refused = super().__new__(cls, text)
        refused.code = code
        return refused


def hostOf(address: IAddress | None) -> str:
    """The host a connection comes from, for the per-address limits."""
    return str(getattr(address, "host", None) or "local")


def admitOrRefuse(
    admission: Admission | None,
    address: IAddress | None,
    build: Callable[[], AdmittedProtocol],
    refusalLine: Callable[[str], bytes],
    frontEnd: str = "line",
) -> AdmittedProtocol | "Refusal":
    """
    Build the protocol for a connection from C{address}, or, past the
    limits, a L{Refusal} sending C{refusalLine(reason)}.  L{None} admits all.

    @param frontEnd: which front end the connection came to, for the counts.
    """
    if admission is None:
        return build()
    host = hostOf(address)
    refusal = admission.admit(host)
    if refusal is not None:
        log.info("Refused a connection from {host}: {why}", host=host, why=refusal)
        METERS.refused[frontEnd, refusal.code] += 1
        return Refusal(refusalLine(refusal))
    protocol = build()
    protocol.admittedAs = host
    return protocol


def release(admission: Admission | None, admittedAs: str | None) -> None:
    """A connection built by L{admitOrRefuse} has closed."""
    if admittedAs is not None and admission is not None:
        admission.release(admittedAs)


class Refusal(Protocol):
    """Say why the connection is refused, in one line, and close it."""

    transport: ITransport

    def __init__(self, line: bytes) -> None:
        self.line = line

    def connectionMade(self) -> None:
        self.transport.write(self.line)
        self.transport.loseConnection()
