"""
Writing down moderation: the audit trail, and the store writes moderation
makes.

A moderation action holds as soon as it is made (a ban must bite at once),
and is written to the store afterwards; a write that fails is logged by the
store (L{twisted_chat.store.failures}) and the action still holds for as
long as the server runs, so the writes here only keep a store failure from
becoming an unhandled error.
"""

from collections.abc import Callable

from twisted.internet.defer import Deferred

from twisted_chat.chat.model import Member
from twisted_chat.chat.modes import AuditEntry
from twisted_chat.store import IChatStore, StoreError


def kept(written: Deferred[None]) -> None:
    """Let a moderation write go on its own: the store reports failures."""
    written.addErrback(lambda failure: failure.trap(StoreError))


class AuditTrail:
    """Appends every moderation action to the store's audit log."""

    def __init__(self, store: IChatStore, now: Callable[[], int]) -> None:
        self._store = store
        self._now = now

    def record(
        self,
        actor: Member,
        action: str,
        room: str | None,
        target: str,
        reason: str = "",
    ) -> None:
        """
        Write down that C{actor} did C{action} to C{target}, in C{room} or
        server-wide (C{room} L{None}).
        """
        entry = AuditEntry(self._now(), actor.nick, action, room, target, reason)
        kept(self._store.appendAudit(entry))
