"""
What the PostgreSQL store reads and writes of moderation (rooms' settings,
ranks, bans and mutes, server operators, the audit log) and what retention
deletes.

The same as L{twisted_chat.store.moderation} and
L{twisted_chat.store.retention} do with SQLite, in PostgreSQL's SQL: plain
functions on a connection, called inside the operations
L{twisted_chat.store.postgres.PostgresStore} queues on its store thread and
by its start-up load.  A room named alone is named by its folded name
(L{None} for server-wide bans); the caller makes the room's row first where
one is needed.
"""

from typing import Final

from twisted_chat.chat.modes import AuditEntry, Ban, Rank, RoomSettings
from twisted_chat.chat.names import fold
from twisted_chat.store.moderation import SERVER_WIDE
from twisted_chat.store.pgengine import Connection


def _banRoom(room: str | None) -> str:
    return SERVER_WIDE if room is None else room


# Start-up


def readRoomSettings(connection: Connection) -> dict[str, RoomSettings]:
    """The settings saved for each room, by folded name."""
    return {
        room: RoomSettings(
            topicLock=topicLock,
            moderated=moderated,
            inviteOnly=inviteOnly,
            key=key,
            limit=limit,
            secret=secret,
            noOutside=noOutside,
            registeredOnly=registeredOnly,
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


def readRanks(connection: Connection) -> dict[str, dict[str, Rank]]:
    """The ranks held in each room, by folded room name and account."""
    ranks: dict[str, dict[str, Rank]] = {}
    for room, account, rank in connection.execute(
        "SELECT room, account, rank FROM room_ranks ORDER BY room, account"
    ):
        ranks.setdefault(room, {})[account] = Rank[rank.upper()]
    return ranks


def readBans(connection: Connection) -> dict[str | None, list[Ban]]:
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


def readServerOperators(connection: Connection) -> set[str]:
    """The accounts granted server operator."""
    return {
        account
        for (account,) in connection.execute("SELECT account FROM server_operators")
    }


# Writes, inside the store thread's transaction


def saveRoomSettings(connection: Connection, room: str, settings: RoomSettings) -> None:
    connection.execute(
        """
        INSERT INTO room_settings
            (room, topic_lock, moderated, invite_only, join_key,
             member_limit, secret, no_outside, registered_only)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (room) DO UPDATE SET
            topic_lock = excluded.topic_lock, moderated = excluded.moderated,
            invite_only = excluded.invite_only, join_key = excluded.join_key,
            member_limit = excluded.member_limit, secret = excluded.secret,
            no_outside = excluded.no_outside,
            registered_only = excluded.registered_only
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


def saveRank(connection: Connection, room: str, account: str, rank: Rank) -> None:
    """Keep C{account}'s rank in C{room}; L{Rank.MEMBER} forgets it."""
    if rank is Rank.MEMBER:
        connection.execute(
            "DELETE FROM room_ranks WHERE room = %s AND account = %s", (room, account)
        )
    else:
        connection.execute(
            """
            INSERT INTO room_ranks VALUES (%s, %s, %s)
            ON CONFLICT (room, account) DO UPDATE SET rank = excluded.rank
            """,
            (room, account, rank.name.lower()),
        )


def saveBan(connection: Connection, room: str | None, ban: Ban) -> None:
    """Keep a ban of C{room}, or a server-wide one; it replaces its kind and mask."""
    connection.execute(
        """
        INSERT INTO bans (room, kind, mask, set_by, set_at, expires, reason)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (room, kind, mask) DO UPDATE SET
            set_by = excluded.set_by, set_at = excluded.set_at,
            expires = excluded.expires, reason = excluded.reason
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


def removeBan(connection: Connection, room: str | None, kind: str, mask: str) -> None:
    connection.execute(
        "DELETE FROM bans WHERE room = %s AND kind = %s AND mask = %s",
        (_banRoom(room), kind, mask),
    )


def setServerOperator(connection: Connection, account: str, granted: bool) -> None:
    if granted:
        connection.execute(
            "INSERT INTO server_operators VALUES (%s) ON CONFLICT DO NOTHING",
            (account,),
        )
    else:
        connection.execute(
            "DELETE FROM server_operators WHERE account = %s", (account,)
        )


def forgetRoomModeration(connection: Connection, room: str) -> None:
    """
    Forget a room's settings (so it has the defaults), ranks and bans.  Its
    row stays: its numbering and topic may still matter.
    """
    for table in ("room_settings", "room_ranks", "bans"):
        connection.execute(f"DELETE FROM {table} WHERE room = %s", (room,))


def appendAudit(connection: Connection, entry: AuditEntry) -> None:
    """Keep an audit entry; the table numbers it."""
    connection.execute(
        """
        INSERT INTO audit (time, actor, action, room, room_folded, target, reason)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
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
    connection: Connection, room: str | None, before: int | None, limit: int
) -> list[AuditEntry]:
    """
    The newest C{limit} audit entries below C{before}, of one room or of
    all, newest first.
    """
    conditions = []
    parameters: list[object] = []
    if room is not None:
        conditions.append("room_folded = %s")
        parameters.append(room)
    if before is not None:
        conditions.append("id < %s")
        parameters.append(before)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = connection.execute(
        f"""
        SELECT id, time, actor, action, room, target, reason FROM audit {where}
        ORDER BY id DESC LIMIT %s
        """,
        (*parameters, max(limit, 0)),
    )
    return [
        AuditEntry(time, actor, action, room, target, reason, number)
        for number, time, actor, action, room, target, reason in rows
    ]


# Retention


PRUNING_LOCK: Final = 0x7477_6368_6174  # "twchat"
"""The advisory lock a server holds while it applies retention."""


def prune(connection: Connection, olderThan: int | None, perRoomCap: int | None) -> int:
    """
    Delete room messages older than C{olderThan} (and private messages and
    audit entries as old), and all but the newest C{perRoomCap} of each
    room; L{None} leaves that rule out.  Each room's last number stays in
    its row, so numbers are never given again.  Room by room, by index.

    Several servers sharing the database each apply retention; one at a
    time does it (an advisory lock held until the transaction ends), and
    the others, finding it taken, leave it to that one.

    @return: how many room messages were deleted (0 if another server is
        pruning now).
    """
    row = connection.execute(
        "SELECT pg_try_advisory_xact_lock(%s)", (PRUNING_LOCK,)
    ).fetchone()
    if not row or not row[0]:
        return 0
    removed = 0
    rooms = connection.execute("SELECT folded, last_sequence FROM rooms").fetchall()
    if olderThan is not None:
        for room, _ in rooms:
            removed += connection.execute(
                "DELETE FROM messages WHERE room = %s AND time < %s", (room, olderThan)
            ).rowcount
        connection.execute("DELETE FROM private_messages WHERE time < %s", (olderThan,))
        connection.execute("DELETE FROM audit WHERE time < %s", (olderThan,))
    if perRoomCap is not None:
        for room, last in rooms:
            removed += connection.execute(
                "DELETE FROM messages WHERE room = %s AND sequence <= %s",
                (room, last - perRoomCap),
            ).rowcount
    return removed
