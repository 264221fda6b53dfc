"""
A room's bans and mutes: the bounded list, expiry, and whom they name.

L{RoomBans} keeps the lists and tells the room of changes; whether someone
may change them, and putting out those a new ban names, are the rules'
(L{twisted_chat.chat.moderation}).  A ban or mute that has lapsed is dropped
the next time the list is read, so no timer runs per ban.  Only a founded
room's lists are stored: a room nobody founded starts afresh when it
empties (L{twisted_chat.chat.model.Room.emptied}).
"""

from collections.abc import Callable

from twisted_chat.chat.audit import AuditTrail, kept
from twisted_chat.chat.errors import BadArguments, BadMask, ListFull
from twisted_chat.chat.events import Event
from twisted_chat.chat.masks import parseMask
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.modes import MUTE, Ban, activeBans
from twisted_chat.chat.orderevents import BanChanged, BanListEnd, BanListEntry
from twisted_chat.chat.participants import deliverTo
from twisted_chat.chat.textrules import cleanText
from twisted_chat.limits import BAN_LIST_MAX
from twisted_chat.store import IChatStore


class RoomBans:
    """The bans and mutes of every room, kept in the rooms themselves."""

    def __init__(
        self,
        store: IChatStore,
        now: Callable[[], int],
        trail: AuditTrail,
        tell: Callable[[Room, Event], None],
    ) -> None:
        self._store = store
        self._now = now
        self._trail = trail
        self._tell = tell

    def matching(
        self, room: Room, member: Member, kind: str, nick: str | None = None
    ) -> Ban | None:
        """
        The active ban or mute of C{kind} in C{room} naming C{member} (as if
        called C{nick}, if given).
        """
        now = self._now()
        for (banKind, mask), ban in list(room.bans.items()):
            if banKind != kind:
                continue
            if not ban.activeAt(now):
                self._lapse(room, ban)
            elif _names(mask, member, nick):
                return ban
        return None

    def add(
        self,
        actor: Member,
        room: Room,
        kind: str,
        maskText: str,
        duration: float | None,
        reason: str,
    ) -> Ban:
        """
        Ban or mute whom C{maskText} names, for C{duration} seconds or for
        good, replacing one on the same mask; tell the room.

        @raise ListFull: if the room keeps as many as it may.
        """
        mask = parseMask(maskText).text
        if (kind, mask) not in room.bans and len(room.bans) >= BAN_LIST_MAX:
            raise ListFull(
                f"{room.name} has {BAN_LIST_MAX} bans and mutes, the most kept;"
                " lift one first."
            )
        now = self._now()
        ban = Ban.made(mask, kind, actor.nick, now, duration, cleanText(reason))
        room.bans[kind, mask] = ban
        restrict(room)
        if room.founded:
            kept(self._store.saveBan(room.name, ban))
        changed = BanChanged(
            room.name, actor.nick, now, kind, mask, True, ban.expires, ban.reason
        )
        self._tell(room, changed)
        self._trail.record(actor, kind, room.name, mask, ban.reason)
        return ban

    def remove(self, actor: Member, room: Room, kind: str, maskText: str) -> None:
        """Lift a ban or mute, named by its mask in any form; tell the room."""
        mask = parseMask(maskText).text
        if room.bans.pop((kind, mask), None) is None:
            raise BadArguments(f"There is no {kind} on {mask} in {room.name}.")
        restrict(room)
        if room.founded:
            kept(self._store.removeBan(room.name, kind, mask))
        changed = BanChanged(
            room.name, actor.nick, self._now(), kind, mask, False, None, ""
        )
        self._tell(room, changed)
        self._trail.record(actor, "un" + kind, room.name, mask)

    def tell(self, asker: Member, room: Room, kind: str) -> None:
        """Send C{asker} the room's active bans (or mutes), then their count."""
        active = activeBans(
            room.bans.values(), kind, self._now(), lambda ban: self._lapse(room, ban)
        )
        tellBans(asker, room.name, kind, active)

    def _lapse(self, room: Room, ban: Ban) -> None:
        room.bans.pop((ban.kind, ban.mask), None)
        restrict(room)
        if room.founded:
            kept(self._store.removeBan(room.name, ban.kind, ban.mask))


def tellBans(asker: Member, where: str, kind: str, bans: list[Ban]) -> None:
    """
    Send C{asker} the C{bans} of C{kind} of a room (or C{*}, the server's),
    then their count.
    """
    for ban in bans:
        deliverTo(
            asker,
            BanListEntry(
                where, kind, ban.mask, ban.setBy, ban.setAt, ban.expires, ban.reason
            ),
        )
    deliverTo(asker, BanListEnd(where, kind, len(bans)))


def restrict(room: Room) -> None:
    """Note whether speaking in C{room} must be checked: moderated, or muted."""
    room.restricted = room.settings.moderated or any(
        kind == MUTE for kind, _ in room.bans
    )


def _names(mask: str, member: Member, nick: str | None) -> bool:
    """
    Whether the stored C{mask} names C{member}; one that no longer reads as
    a mask (kept by an older version) names nobody, rather than locking the
    room.
    """
    try:
        return parseMask(mask).matches(member, nick)
    except BadMask:
        return False
