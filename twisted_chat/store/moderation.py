"""
What the SQLite store reads and writes of moderation: rooms' settings, ranks,
bans and mutes, server operators, and the audit log.

These are plain functions on a connection, called inside the operations
L{twisted_chat.store.sqlite.SQLiteStore} queues on its store thread (and by
its start-up load): that module says when each runs, this one only what SQL
it runs, so neither grows past one job.  A room named alone is named by its
folded name (L{None} for server-wide bans); the caller makes the room's row
first where one is needed.  The tables are
migration 1 -> 2 of L{twisted_chat.store.schema}.
"""

import sqlite3
from typing import Final

from twisted_chat.chat.modes import AuditEntry, Ban, Rank, RoomSettings
from twisted_chat.chat.names import fold

SERVER_WIDE: Final = ""
"""
The C{bans.room} of a server-wide ban: no room is named so, and unlike NULL
it keeps the key C{(room, kind, mask)} unique.
"""


def _banRoom(room: str | None) -> str:
    return SERVER_WIDE if room is None else room


# Start-up


def readRoomSettings(connection: sqlite3.Connection) -> dict[str, RoomSettings]:
    """The settings saved for each room, by folded name."""
    return {
        room: RoomSettings(
            topicLock=bool(topicLock),
            moderated=bool(moderated),
            inviteOnly=bool(inviteOnly),
            key=key,
            limit=limit,
            secret=bool(secret),
            noOutside=bool(noOutside),
            registeredOnly=bool(registeredOnly),
        )
        for (
            room,
            topicLock,
            moderated,
            inviteOnly,
            key,
            limit,
            secret,
            noOutside,
            registeredOnly,
        ) in connection.execute(
            """
            SELECT room, topic_lock, moderated, invite_only, join_key,
                   member_limit, secret, no_outside, registered_only
            FROM room_settings
            """
        )
    }


def readRanks(connection: sqlite3.Connection) -> dict[str, dict[str, Rank]]:
    """The ranks held in each room, by folded room name and account."""
    ranks: dict[str, dict[str, Rank]] = {}
    for room, account, rank in connection.execute(
        "SELECT room, account, rank FROM room_ranks ORDER BY room, account"
    ):
        ranks.setdefault(room, {})[account] = Rank[rank.upper()]
    return ranks


def readBans(connection: sqlite3.Connection) -> dict[str | None, list[Ban]]:
    """
    The bans and mutes of each room, by folded name, and the server-wide
    ones under L{None}; oldest first.
    """
    bans: dict[str | None, list[Ban]] = {}
    for room, kind, mask, setBy, setAt, expires, reason in connection.execute(
        """
        SELECT room, kind, mask, set_by, set_at, expires, reason FROM bans
        ORDER BY room, set_at, kind, mask
        """
    ):
        bans.setdefault(room if room != SERVER_WIDE else None, []).append(
            Ban(mask, kind, setBy, setAt, expires, reason)
        )
    return bans


def readServerOperators(connection: sqlite3.Connection) -> set[str]:
    """The accounts granted server operator."""
    return {
        account
        for (account,) in connection.execute("SELECT account FROM server_operators")
    }


# Writes, inside the store thread's transaction


def saveRoomSettings(
    connection: sqlite3.Connection, room: str, settings: RoomSettings
) -> None:
    connection.execute(
        """
        INSERT OR REPLACE INTO room_settings
            (room, topic_lock, moderated, invite_only, join_key,
             member_limit, secret, no_outside, registered_only)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            room,
            settings.topicLock,
            settings.moderated,
            settings.inviteOnly,
            settings.key,
            settings.limit,
            settings.secret,
            settings.noOutside,
            settings.registeredOnly,
        ),
    )


def saveRank(
    connection: sqlite3.Connection, room: str, account: str, rank: Rank
) -> None:
    """Keep C{account}'s rank in C{room}; L{Rank.MEMBER} forgets it."""
    if rank is Rank.MEMBER:
        connection.execute(
            "DELETE FROM room_ranks WHERE room = ? AND account = ?", (room, account)
        )
    else:
        connection.execute(
            "INSERT OR REPLACE INTO room_ranks VALUES (?, ?, ?)",
            (room, account, rank.name.lower()),
        )


def saveBan(connection: sqlite3.Connection, room: str | None, ban: Ban) -> None:
    """Keep a ban of C{room}, or a server-wide one; it replaces its kind and mask."""
    connection.execute(
        """
        INSERT OR REPLACE INTO bans
            (room, kind, mask, set_by, set_at, expires, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        (
            _banRoom(room),
            ban.kind,
            ban.mask,
            ban.setBy,
            ban.setAt,
            ban.expires,
            ban.reason,
        ),
    )


def removeBan(
    connection: sqlite3.Connection, room: str | None, kind: str, mask: str
) -> None:
    connection.execute(
        "DELETE FROM bans WHERE room = ? AND kind = ? AND mask = ?",
        (_banRoom(room), kind, mask),
    )


def setServerOperator(
    connection: sqlite3.Connection, account: str, granted: bool
) -> None:
    if granted:
        connection.execute(
            "INSERT INTO server_operators VALUES (?) ON CONFLICT DO NOTHING",
            (account,),
        )
    else:
        connection.execute("DELETE FROM server_operators WHERE account = ?", (account,))


def forgetRoomModeration(connection: sqlite3.Connection, room: str) -> None:
    """
    Forget a room's settings (so it has the defaults), ranks and bans.  Its
    row stays: its numbering and topic may still matter.
    """
    for table in ("room_settings", "room_ranks", "bans"):
        connection.execute(f"DELETE FROM {table} WHERE room = ?", (room,))


def appendAudit(connection: sqlite3.Connection, entry: AuditEntry) -> None:
    """Keep an audit entry; the table numbers it."""
    connection.execute(
        """
        INSERT INTO audit (time, actor, action, room, room_folded, target, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        (
            entry.time,
            entry.actor,
            entry.action,
            entry.room,
            None if entry.room is None else fold(entry.room),
            entry.target,
            entry.reason,
        ),
    )


def auditLog(
    connection: sqlite3.Connection, room: str | None, before: int | None, limit: int
) -> list[AuditEntry]:
    """
    The newest C{limit} audit entries below C{before}, of one room or of
    all, newest first.
    """
    conditions = []
    parameters: list[object] = []
    if room is not None:
        conditions.append("room_folded = ?")
        parameters.append(room)
    if before is not None:
        conditions.append("id < ?")
        parameters.append(before)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = connection.execute(
        f"""
        SELECT id, time, actor, action, room, target, reason FROM audit {where}
        ORDER BY id DESC LIMIT ?
        """,
        (*parameters, max(limit, 0)),
    )
    return [
        AuditEntry(time, actor, action, room, target, reason, number)
        for number, time, actor, action, room, target, reason in rows
    ]


def pruneAudit(connection: sqlite3.Connection, olderThan: int) -> None:
    connection.execute("DELETE FROM audit WHERE time < ?", (olderThan,))
