"""
The PostgreSQL store's SQL of history read on request (IRC's
C{CHATHISTORY}): a room's messages from a point on, where a time falls in a
room's numbering, the private messages between two nicks, and the
conversations active in a span of time.

The same reads as L{twisted_chat.store.history} makes of SQLite, in
PostgreSQL's SQL; each runs as a read in the store's queue, so it sees
exactly the writes asked for before it, and each is bounded by a limit and
served by an index.
"""

from twisted_chat.chat.events import PrivateMessage, RoomMessage
from twisted_chat.chat.names import fold
from twisted_chat.store import Activity
from twisted_chat.store.pgengine import Connection


def messagesBetween(
    connection: Connection, room: str, after: int, through: int, limit: int
) -> list[RoomMessage]:
    """The newest C{limit} messages of C{room} in a span of numbers, oldest first."""
    rows = connection.execute(
        """
        SELECT sequence, time, sender, text, action FROM messages
        WHERE room = %s AND sequence > %s AND sequence <= %s
        ORDER BY sequence DESC LIMIT %s
        """,
        (fold(room), after, through, max(limit, 0)),
    ).fetchall()
    return [
        RoomMessage(room, sequence, time, sender, text, action, history=True)
        for sequence, time, sender, text, action in reversed(rows)
    ]


def messagesFrom(
    connection: Connection, room: str, after: int, through: int, limit: int
) -> list[RoomMessage]:
    """The oldest C{limit} messages of C{room} numbered after C{after}."""
    rows = connection.execute(
        """
        SELECT sequence, time, sender, text, action FROM messages
        WHERE room = %s AND sequence > %s AND sequence <= %s
        ORDER BY sequence LIMIT %s
        """,
        (fold(room), after, through, max(limit, 0)),
    )
    return [
        RoomMessage(room, sequence, time, sender, text, action, history=True)
        for sequence, time, sender, text, action in rows
    ]


def sequenceBefore(connection: Connection, room: str, time: int) -> int:
    """The number of the last message of C{room} said before C{time}, or 0."""
    row = connection.execute(
        """
        SELECT sequence FROM messages WHERE room = %s AND time < %s
        ORDER BY time DESC, sequence DESC LIMIT 1
        """,
        (fold(room), time),
    ).fetchone()
    return int(row[0]) if row else 0


def privateBetween(
    connection: Connection,
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
            WHERE sender_folded = %s AND recipient_folded = %s
                AND time > %s AND time < %s
            ORDER BY time {order}, id {order} LIMIT %s
            """,
            (sender, recipient, after, before, max(limit, 0)),
        ).fetchall()
    rows.sort()
    kept = rows[-limit:] if newest else rows[:limit]
    return [
        PrivateMessage(sender, recipient, time, text)
        for time, _, sender, recipient, text in (kept if limit else [])
    ]


def activeConversations(
    connection: Connection,
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
            SELECT time FROM messages WHERE room = %s AND time > %s AND time < %s
            ORDER BY time DESC LIMIT 1
            """,
            (fold(room), after, before),
        ).fetchone()
        if row is not None:
            found.append(Activity(room, row[0]))
    if nick is not None:
        # The other party's name as spelled in their latest message.
        rows = connection.execute(
            """
            SELECT DISTINCT ON (other) name, time FROM (
                SELECT recipient_folded AS other, recipient AS name, time, id
                FROM private_messages
                WHERE sender_folded = %s AND time > %s AND time < %s
                UNION ALL
                SELECT sender_folded, sender, time, id FROM private_messages
                WHERE recipient_folded = %s AND time > %s AND time < %s
            ) AS conversation ORDER BY other, time DESC, id DESC
            """,
            (nick, after, before, nick, after, before),
        )
        found += [Activity(name, latest) for name, latest in rows]
    found.sort(key=lambda activity: activity.latest)
    return found[-limit:] if limit else []
