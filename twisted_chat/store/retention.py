"""
Forgetting old history, as the retention options say: messages older than a
time, and all but a room's newest.

A room's messages are read by time through the C{(room, time)} index that
CHATHISTORY needs anyway; there is no index on time alone, since every
stored message pays for each index it is in, on the path every message
takes, and retention runs once an hour.  So both rules prune room by room,
each by index: the store's one thread never reads the whole table while
messages wait behind it.
"""

import sqlite3

from twisted_chat.store import moderation


def prune(
    connection: sqlite3.Connection, olderThan: int | None, perRoomCap: int | None
) -> int:
    """
    Delete room messages older than C{olderThan} (and private messages and
    audit entries as old), and all but the newest C{perRoomCap} of each
    room; L{None} leaves that rule out.

    @return: how many room messages were deleted.
    """
    # Remember how far each room's numbers went before deleting any.
    connection.execute(
        """
        UPDATE rooms SET last_sequence = max(last_sequence, coalesce(
            (SELECT max(sequence) FROM messages WHERE room = rooms.folded), 0))
        """
    )
    removed = 0
    rooms = connection.execute("SELECT folded, last_sequence FROM rooms").fetchall()
    if olderThan is not None:
        for room, _ in rooms:
            removed += connection.execute(
                "DELETE FROM messages WHERE room = ? AND time < ?", (room, olderThan)
            ).rowcount
        connection.execute("DELETE FROM private_messages WHERE time < ?", (olderThan,))
        moderation.pruneAudit(connection, olderThan)
    if perRoomCap is not None:
        for room, last in rooms:
            removed += connection.execute(
                "DELETE FROM messages WHERE room = ? AND sequence <= ?",
                (room, last - perRoomCap),
            ).rowcount
    return removed
