"""
What the store thread (L{twisted_chat.store.writer}) needs of SQLite: how to
open the file, begin and end a transaction, find a room's last kept number,
make a room's row, and insert a group's messages.

The writer is the same for every database; this module is SQLite's part of
it, as L{twisted_chat.store.pgengine} is PostgreSQL's.  A transaction takes
the file's write lock as it begins, so the rooms the store numbers messages
in need no lock of their own.
"""

import sqlite3
from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache
from typing import Final

from twisted_chat.chat.events import RoomMessage
from twisted_chat.store.schema import checkOurs

Connector = Callable[[str, str], sqlite3.Connection]
"""What opens the database, given its path and synchronous mode: L{connect}."""

ROWS_PER_INSERT: Final = 1000
"""Rows per INSERT statement: 6000 parameters, under SQLite's 32766."""


@lru_cache(maxsize=16)
def _insertStatement(rows: int) -> str:
    return "INSERT INTO messages VALUES " + ",".join(["(?, ?, ?, ?, ?, ?)"] * rows)


def connect(path: str, synchronous: str = "FULL") -> sqlite3.Connection:
    """
    Open the database at C{path} the way the store uses it.

    Transactions are explicit (C{isolation_level=None}): the store says
    where each begins and ends.

    @raise NotOurDatabase: if the file is another program's database.
    @raise sqlite3.Error: if it cannot be opened, or is not a database.
    """
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # Before WAL mode is turned on, which rewrites the file's header.
        checkOurs(connection)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(f"PRAGMA synchronous = {synchronous}")
        connection.execute("PRAGMA busy_timeout = 5000")
    except BaseException:
        connection.close()
        raise
    return connection


class SQLiteEngine:
    """
    SQLite for the store thread: one file, opened once and kept open (a
    file does not go away as a server does, so its connection never needs
    opening again).
    """

    def __init__(
        self, path: str, synchronous: str, openConnection: Connector = connect
    ) -> None:
        self.path = path
        self._synchronous = synchronous
        self._openConnection = openConnection

    def open(self) -> sqlite3.Connection:
        return self._openConnection(self.path, self._synchronous)

    def begin(self, connection: sqlite3.Connection) -> None:
        # IMMEDIATE: take the write lock now, not half-way through the group.
        connection.execute("BEGIN IMMEDIATE")

    def commit(self, connection: sqlite3.Connection) -> None:
        connection.execute("COMMIT")

    def rollback(self, connection: sqlite3.Connection) -> None:
        if connection.in_transaction:
            with suppress(sqlite3.Error):
                connection.execute("ROLLBACK")

    def close(self, connection: sqlite3.Connection) -> None:
        connection.close()

    def broken(self, connection: sqlite3.Connection) -> bool:
        return False

    def lastKept(self, connection: sqlite3.Connection, room: str) -> int:
        """
        The number of the last message kept in C{room} (a folded name): the
        room's row keeps it only once retention has pruned (see
        L{twisted_chat.store.retention}).
        """
        row = connection.execute(
            """
            SELECT max(coalesce((SELECT last_sequence FROM rooms WHERE folded = ?), 0),
                       coalesce((SELECT max(sequence) FROM messages WHERE room = ?), 0))
            """,
            (room, room),
        ).fetchone()
        last: int = row[0]
        return last

    def ensureRoom(
        self, connection: sqlite3.Connection, folded: str, name: str, now: int
    ) -> None:
        connection.execute(
            """
            INSERT INTO rooms (folded, name, created) VALUES (?, ?, ?)
            ON CONFLICT DO NOTHING
            """,
            (folded, name, now),
        )

    def lockRooms(
        self, connection: sqlite3.Connection, rooms: list[str]
    ) -> dict[str, int]:
        """
        The rooms' last kept numbers: the transaction (C{BEGIN IMMEDIATE})
        holds the whole file's write lock already, so no other writer can
        move them on before it ends.
        """
        return {room: self.lastKept(connection, room) for room in rooms}

    def insertMessages(
        self, connection: sqlite3.Connection, messages: list[tuple[str, RoomMessage]]
    ) -> None:
        """
        Insert a group's messages, each with its room's folded name, with as
        few statements as SQLite allows.

        One multi-row INSERT per chunk, not one per message: each statement
        lets go of the GIL and takes it back, and with the reactor thread
        busy every take-back is a switch between threads.
        """
        for start in range(0, len(messages), ROWS_PER_INSERT):
            chunk = messages[start : start + ROWS_PER_INSERT]
            values: list[object] = []
            for room, message in chunk:
                values += (
                    room,
                    message.sequence,
                    message.time,
                    message.sender,
                    message.text,
                    message.action,
                )
            connection.execute(_insertStatement(len(chunk)), values)
