"""
Keeping a connection's replies behind its earlier effects.

A room message is delivered only once the store has committed it (durable
before visible), while most replies (a C{PONG}, a query's answer, a part)
could be sent at once.  A client that sends a message and then a C{PING},
or a message and then C{PART}, must still see the effects in the order it
asked for them: the others have the message before the C{PONG} comes back,
and before the part.  Clients and conformance suites rely on it.

So a front end tracks each store write a command of its connection starts
(L{EffectOrder.track}): messages, private messages, topics.  The store
completes writes in the order they were asked for, so waiting for all of
them is waiting for the latest.  Writes may follow writes at once, which
keeps commits grouped and a talkative client fast; any other command waits
(L{EffectOrder.after}) until every write before it has been delivered, and
the connection's later lines wait with it, as the guard makes them wait for
any Deferred a command returns.
"""

from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred


class EffectOrder:
    """
    The latest store write of one connection, until it has been delivered.

    Tracking a write only remembers it: a message is the hot path, and a
    callback or a Deferred per message would cost more than all the rest of
    tracking.  A command that must wait hangs its one callback on the
    latest write then.
    """

    __slots__ = ("_latest",)

    def __init__(self) -> None:
        self._latest: Deferred[Any] | None = None

    @property
    def settled(self) -> bool:
        """Whether every write tracked has been delivered (or refused)."""
        return self._latest is None or self._latest.called

    def track(self, effect: Deferred[Any]) -> None:
        """
        Note C{effect}, a store write started for this connection, with
        whatever its front end does with its outcome already added.
        """
        self._latest = effect

    def after(self, run: Callable[[], Deferred[Any] | None]) -> Deferred[Any] | None:
        """
        Call C{run} now if nothing tracked is on its way, else once all of
        it has been delivered; the Deferred returned holds the connection's
        later lines until C{run} (and any Deferred it returns) is done.
        """
        latest = self._latest
        if latest is None or latest.called:
            self._latest = None
            return run()
        waited: Deferred[None] = Deferred()

        def delivered(result: object) -> object:
            # Passed on untouched: this callback only listens.
            waited.callback(None)
            return result

        latest.addBoth(delivered)
        return waited.addCallback(lambda _: run())
