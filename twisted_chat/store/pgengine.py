"""
What the store thread (L{twisted_chat.store.writer}) needs of PostgreSQL:
how to connect, begin and end a transaction, tell a lost connection, find a
room's last kept number, make a room's row, lock rooms' rows, and insert a
group's messages.

The writer is the same for every database; this module is PostgreSQL's part
of it, as L{twisted_chat.store.sqliteengine} is SQLite's.  It talks through
psycopg 3's blocking API, on the store's one thread, with autocommit on: the
writer says where each transaction begins and ends, and a read outside one
holds no snapshot open.

The database itself keeps room numbers whole: a message is keyed by room and
number, so no number is kept twice, and a group's messages are inserted by
one statement that first moves the room's C{last_sequence} on from the
number before the first of them (a compare-and-set on the room's row, which
holds the row's lock until commit) and inserts only if it did.  So a message
is kept only if it follows the room's last kept one, even if something other
than this writer's own check (its cache of the last numbers) wrote to the
room in between; the whole group then fails and is rolled back.

Messages the store numbers (several servers writing to one room) go through
the same statement.  Before numbering them, the writer locks their rooms'
rows (L{_LOCK_ROOMS}), in the order of their folded names, and reads their
last numbers there; the rows stay locked until COMMIT, so the
compare-and-set then always holds, and another server numbering in the same
room waits until this transaction has committed or rolled back, then reads
the number it left (READ COMMITTED reads the row again once its lock is
free).  So no number is given twice, none is skipped, and when a message
gets number S, message S - 1 of its room is already committed.
"""

import re
from contextlib import suppress
from typing import Any, Final

import psycopg

from twisted_chat.chat.events import RoomMessage
from twisted_chat.store import StoreError
from twisted_chat.store.pgaddress import PostgresAddress

Connection = psycopg.Connection[tuple[Any, ...]]

CONNECT_TIMEOUT: Final = 10
"""
Seconds to wait for PostgreSQL to answer a connection, unless the URL says
(C{?connect_timeout=N}): the store's thread waits that long, with the
operations queued behind it, when the server is unreachable.
"""

_INSERT_MESSAGES: Final = """
    WITH advanced AS (
        UPDATE rooms SET last_sequence = numbered.last
        FROM unnest(%s::text[], %s::bigint[], %s::bigint[])
            AS numbered (folded, first, last)
        WHERE rooms.folded = numbered.folded
            AND rooms.last_sequence = numbered.first - 1
        RETURNING rooms.folded
    )
    INSERT INTO messages (room, sequence, time, sender, text, action)
    SELECT * FROM unnest(
        %s::text[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::boolean[]
    ) AS message (room, sequence, time, sender, text, action)
    WHERE message.room IN (SELECT folded FROM advanced)
"""
"""
A group's messages in one statement, whatever their number: the rooms'
numbers are moved on first, and only the messages of rooms that moved on
from the number before their first message are inserted.
"""

_LOCK_ROOMS: Final = """
    SELECT folded, last_sequence FROM rooms WHERE folded = ANY(%s)
    ORDER BY folded FOR UPDATE
"""
"""
Lock rooms' rows until the transaction ends, in the order of their names
(the rows are locked as they come out of the sort), and read their last
numbers once locked.
"""


class NumberingMoved(StoreError):
    """
    A room's last kept number was not the one the writer expected: another
    writer kept messages in it.  The group is rolled back and the writer
    reads the numbers again.
    """


def connect(address: PostgresAddress) -> Connection:
    """
    Connect to the database the way the store uses it: autocommit, so the
    store says where each transaction begins and ends.

    @raise psycopg.OperationalError: if PostgreSQL cannot be reached.
    """
    options: dict[str, Any] = {"autocommit": True, "application_name": "twisted_chat"}
    if "connect_timeout" not in address.url:
        options["connect_timeout"] = CONNECT_TIMEOUT
    return psycopg.connect(address.url, **options)


def whyUnreachable(error: Exception) -> str:
    """
    libpq's reason for a failed connection, on one line and without what
    the caller says anyway (where it tried to connect).
    """
    text = " ".join(str(error).split())
    text = re.sub(
        r"^connection failed: (connection to server at .*?, port \d+ failed: )?",
        "",
        text,
    )
    text = re.sub(r"^FATAL: ", "", text)
    return text or type(error).__name__


class PostgresEngine:
    """
    PostgreSQL for the store thread.  A connection the server dropped (it
    restarted, or went away) is broken; the writer opens a new one on its
    next operation.
    """

    def __init__(self, address: PostgresAddress) -> None:
        self.address = address

    def open(self) -> Connection:
        return connect(self.address)

    def begin(self, connection: Connection) -> None:
        connection.execute("BEGIN")

    def commit(self, connection: Connection) -> None:
        connection.execute("COMMIT")

    def rollback(self, connection: Connection) -> None:
        if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with suppress(psycopg.Error):
                connection.execute("ROLLBACK")

    def close(self, connection: Connection) -> None:
        connection.close()

    def broken(self, connection: Connection) -> bool:
        return connection.closed or connection.broken

    def lastKept(self, connection: Connection, room: str) -> int:
        row = connection.execute(
            "SELECT last_sequence FROM rooms WHERE folded = %s", (room,)
        ).fetchone()
        return int(row[0]) if row else 0

    def ensureRoom(
        self, connection: Connection, folded: str, name: str, now: int
    ) -> None:
        connection.execute(
            """
            INSERT INTO rooms (folded, name, created) VALUES (%s, %s, %s)
            ON CONFLICT DO NOTHING
            """,
            (folded, name, now),
        )

    def lockRooms(self, connection: Connection, rooms: list[str]) -> dict[str, int]:
        return {
            folded: int(last)
            for folded, last in connection.execute(_LOCK_ROOMS, (rooms,))
        }

    def insertMessages(
        self, connection: Connection, messages: list[tuple[str, RoomMessage]]
    ) -> None:
        """
        Insert a group's messages, each room's numbered on from its last
        kept: one statement moves each room's number on and inserts.

        @raise NumberingMoved: if a room's last kept number was not the one
            before its first message here.
        """
        spans: dict[str, list[int]] = {}
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
        for room, message in messages:
            span = spans.get(room)
            if span is None:
                spans[room] = [message.sequence, message.sequence]
            elif message.sequence == span[1] + 1:
                span[1] = message.sequence
            else:
                raise StoreError(f"message {message.sequence} of {room} leaves a hole")
            for column, value in zip(
                columns,
                (
                    room,
                    message.sequence,
                    message.time,
                    message.sender,
                    message.text,
                    message.action,
                ),
                strict=True,
            ):
                column.append(value)
        rooms = list(spans)
        inserted = connection.execute(
            _INSERT_MESSAGES,
            (
                rooms,
                [spans[room][0] for room in rooms],
                [spans[room][1] for room in rooms],
                *columns,
            ),
        ).rowcount
        if inserted != len(messages):
            raise NumberingMoved(
                "a room's numbering moved on in the database: another writer"
                " kept messages in it"
            )
