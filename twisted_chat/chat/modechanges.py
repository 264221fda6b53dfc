"""
Changing a room's modes at once, as IRC's C{MODE} does: settings, ranks
and lists in one string of changes.

Settings change together, told to the room as one
L{twisted_chat.chat.orderevents.ModesChanged} in IRC's form; ranks and bans are
the rules' own actions (L{twisted_chat.chat.moderation.RoomModeration}),
each told and checked as when asked for alone.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from twisted_chat.chat.audit import AuditTrail, kept
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.modes import (
    BAN,
    MUTE,
    RANK_LETTERS,
    SETTING_LETTERS,
    ModeChange,
    Rank,
    RoomSettings,
    banKindOf,
    changeSetting,
    modeString,
)
from twisted_chat.chat.orderevents import ModesChanged
from twisted_chat.chat.roombans import restrict
from twisted_chat.store import IChatStore

if TYPE_CHECKING:
    from twisted_chat.chat.moderation import RoomModeration


class ModeChanges:
    """Carries out strings of mode changes for the rules they belong to."""

    def __init__(
        self,
        rules: "RoomModeration",
        store: IChatStore,
        now: Callable[[], int],
        trail: AuditTrail,
    ) -> None:
        self._rules = rules
        self._store = store
        self._now = now
        self._trail = trail

    def apply(self, actor: Member, roomName: str, changes: list[ModeChange]) -> None:
        """
        Apply C{changes} to a room: settings at once, told as one
        L{ModesChanged}; ranks and lists as the rules' C{setRank} and C{ban}
        do.
        A list letter without an argument lists it.
        """
        rules = self._rules
        room = rules.visibleRoom(roomName, actor)
        settings = room.settings
        applied: list[str] = []
        arguments: list[str] = []
        for change in changes:
            if change.letter in SETTING_LETTERS:
                rules.require(actor, room, Rank.OPERATOR, "change its modes")
                before = settings
                settings = changeSetting(settings, change)
                if settings != before:
                    applied.append("+-"[not change.on] + change.letter)
                    if change.on and change.letter in "kl":
                        arguments.append(
                            str(getattr(settings, SETTING_LETTERS[change.letter]))
                        )
            elif change.letter in "qov":
                rules.require(actor, room, Rank.OPERATOR, "give or take ranks")
                rank = RANK_LETTERS[change.letter]
                assert change.argument is not None
                target = rules.memberIn(room, change.argument)
                held = room.members[target].rank
                if change.on:
                    rules.setRank(actor, room.name, target.nick, max(rank, held))
                elif held == rank:
                    rules.setRank(
                        actor,
                        room.name,
                        target.nick,
                        Rank(rank - 1) if rank == Rank.FOUNDER else Rank.MEMBER,
                    )
            elif change.argument is None:
                rules.listBans(actor, room.name, BAN)
                rules.listBans(actor, room.name, MUTE)
            else:
                kind, mask = banKindOf(change.argument)
                if change.on:
                    rules.ban(actor, room.name, kind, mask)
                else:
                    rules.unban(actor, room.name, kind, mask)
        if settings == room.settings:
            return
        self.applySettings(actor, room, settings, modeString(applied, arguments))

    def applySettings(
        self, actor: Member, room: Room, settings: RoomSettings, told: str
    ) -> None:
        """Make C{settings} the room's, keep them if founded, tell the room."""
        room.settings = settings
        restrict(room)
        if room.founded:
            kept(self._store.saveRoomSettings(room.name, settings))
        self._rules._tellRoom(
            room, ModesChanged(room.name, actor.nick, self._now(), told)
        )
        self._trail.record(actor, "mode", room.name, told)
