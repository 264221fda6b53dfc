"""
The SQL of history read on request (IRC's C{CHATHISTORY}): a room's messages
from a point on, where a time falls in a room's numbering, the private
messages between two nicks, and the conversations active in a span of time.

Each function runs on the store thread with its connection, as a read in
the store's queue (L{twisted_chat.store.writer}), so it sees exactly the
writes asked for before it.  Every query is bounded by a limit and served
by an index (schema version 3).
"""

import sqlite3

from twisted_chat.chat.events import PrivateMessage, RoomMessage
from twisted_chat.chat.names import fold
from twisted_chat.store import Activity


def messagesFrom(
    connection: sqlite3.Connection, room: str, after: int, through: int, limit: int
) -> list[RoomMessage]:
    """The oldest C{limit} messages of C{room} numbered after C{after}."""
    rows = connection.execute(
        """
        SELECT sequence, time, sender, text, action FROM messages
        WHERE room = ? AND sequence > ? AND sequence <= ?
        ORDER BY sequence LIMIT ?
        """,
        (fold(room), after, through, limit),
    )
    return [
        RoomMessage(room, sequence, time, sender, text, bool(action), history=True)
        for sequence, time, sender, text, action in rows
    ]


def sequenceBefore(connection: sqlite3.Connection, room: str, time: int) -> int:
    """The number of the last message of C{room} said before C{time}, or 0."""
    row = connection.execute(
        """
        SELECT sequence FROM messages WHERE room = ? AND time < ?
        ORDER BY time DESC, sequence DESC LIMIT 1
        """,
        (fold(room), time),
    ).fetchone()
    return int(row[0]) if row else 0


def privateBetween(
    connection: sqlite3.Connection,
    nick: str,
    other: str,
    after: int,
    before: int,
    limit: int,
    newest: bool,
) -> list[PrivateMessage]:
    """
    The newest (or oldest) C{limit} private messages between two folded
    nicks in a span of time: each way read by index, then merged.
    """
    order = "DESC" if newest else "ASC"
    rows: list[tuple[int, int, str, str, str]] = []
    for sender, recipient in {(nick, other), (other, nick)}:
        rows += connection.execute(
            f"""
            SELECT time, id, sender, recipient, text FROM private_messages
            WHERE sender_folded = ? AND recipient_folded = ?
                AND time > ? AND time < ?
            ORDER BY time {order}, id {order} LIMIT ?
            """,
            (sender, recipient, after, before, limit),
        ).fetchall()
    rows.sort()
    kept = rows[-limit:] if newest else rows[:limit]
    return [
        PrivateMessage(sender, recipient, time, text)
        for time, _, sender, recipient, text in (kept if limit else [])
    ]


def activeConversations(
    connection: sqlite3.Connection,
    nick: str | None,
    rooms: list[str],
    after: int,
    before: int,
    limit: int,
) -> list[Activity]:
    """
    The rooms of C{rooms} and the private conversations of C{nick} with a
    message in a span of time, the C{limit} most recently active.
    """
    found: list[Activity] = []
    for room in rooms:
        row = connection.execute(
            """
            SELECT time FROM messages WHERE room = ? AND time > ? AND time < ?
            ORDER BY time DESC LIMIT 1
            """,
            (fold(room), after, before),
        ).fetchone()
        if row is not None:
            found.append(Activity(room, row[0]))
    if nick is not None:
        # SQLite gives a bare column (the name) from the row of the max().
        rows = connection.execute(
            """
            SELECT name, max(time) FROM (
                SELECT recipient_folded AS other, recipient AS name, time
                FROM private_messages
                WHERE sender_folded = ? AND time > ? AND time < ?
                UNION ALL
                SELECT sender_folded, sender, time FROM private_messages
                WHERE recipient_folded = ? AND time > ? AND time < ?
            ) GROUP BY other
            """,
            (nick, after, before, nick, after, before),
        )
        found += [Activity(name, latest) for name, latest in rows]
    found.sort(key=lambda activity: activity.latest)
    return found[-limit:] if limit else []
