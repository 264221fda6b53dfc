"""
Copying a chat's SQLite file into PostgreSQL, for a server moving from
C{--db chat.sqlite3} to C{--db postgresql://...}: every table, in one
transaction, into a database holding no chat yet.

Rows are copied as they are, ids included (audit entries and private
messages keep their numbers, and the database's identities go on from the
highest), and each room's C{last_sequence} becomes the number of its last
message, kept or pruned, as the PostgreSQL store keeps it.
"""

import os
import sqlite3
from typing import Final

import psycopg

from twisted_chat.store import StoreError
from twisted_chat.store import schema as sqliteschema
from twisted_chat.store.pgaddress import PostgresAddress
from twisted_chat.store.pgengine import Connection, connect, whyUnreachable
from twisted_chat.store.pgschema import migrate

COPIED: Final = [
    (
        "rooms",
        "folded, name, last_sequence, topic, topic_nick, topic_time, created",
        """
        SELECT folded, name,
               max(last_sequence, coalesce(
                   (SELECT max(sequence) FROM messages
                    WHERE messages.room = rooms.folded), 0)),
               topic, topic_nick, topic_time, created
        FROM rooms
        """,
    ),
    (
        "messages",
        "room, sequence, time, sender, text, action",
        "SELECT room, sequence, time, sender, text, action != 0 FROM messages",
    ),
    (
        "private_messages",
        "id, time, sender, sender_folded, recipient, recipient_folded, text, delivered",
        """
        SELECT id, time, sender, sender_folded, recipient, recipient_folded,
               text, delivered != 0
        FROM private_messages
        """,
    ),
    (
        "accounts",
        "folded, nick, password_hash, created, suspended",
        "SELECT folded, nick, password_hash, created, suspended != 0 FROM accounts",
    ),
    (
        "certificates",
        "id, fingerprint, account",
        "SELECT rowid, fingerprint, account FROM certificates",
    ),
    (
        "room_settings",
        "room, topic_lock, moderated, invite_only, join_key, member_limit,"
        " secret, no_outside, registered_only",
        """
        SELECT room, topic_lock != 0, moderated != 0, invite_only != 0,
               join_key, member_limit, secret != 0, no_outside != 0,
               registered_only != 0
        FROM room_settings
        """,
    ),
    ("room_ranks", "room, account, rank", "SELECT room, account, rank FROM room_ranks"),
    (
        "bans",
        "room, kind, mask, set_by, set_at, expires, reason",
        "SELECT room, kind, mask, set_by, set_at, expires, reason FROM bans",
    ),
    ("server_operators", "account", "SELECT account FROM server_operators"),
    (
        "audit",
        "id, time, actor, action, room, room_folded, target, reason",
        """
        SELECT id, time, actor, action, room, room_folded, target, reason
        FROM audit
        """,
    ),
]
"""Each table: its name, the columns copied, and how SQLite gives them."""

IDENTITIES: Final = ("private_messages", "audit", "certificates")
"""The tables whose ids PostgreSQL numbers on from the highest copied."""


class CopyFailed(StoreError):
    """The copy could not be made; the message says why, in one line."""


def openSQLite(path: str) -> sqlite3.Connection:
    """
    Open the SQLite file, brought to the current schema (as a server
    starting on it would).

    @raise CopyFailed: if there is no such file, or it is not a chat's.
    """
    if not os.path.isfile(path):
        raise CopyFailed(f"no such file {path}")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        sqliteschema.checkOurs(connection)
        sqliteschema.migrate(connection)
    except (
        sqlite3.Error,
        sqliteschema.NotOurDatabase,
        sqliteschema.SchemaTooNew,
    ) as error:
        connection.close()
        raise CopyFailed(f"cannot read {path}: {error}") from None
    return connection


def copySQLite(path: str, address: PostgresAddress) -> dict[str, int]:
    """
    Copy the chat in the SQLite file at C{path} into the PostgreSQL
    database at C{address}, which must hold no chat yet.

    @return: how many rows each table received.
    @raise CopyFailed: saying why nothing was copied.
    """
    source = openSQLite(path)
    try:
        try:
            target = connect(address)
        except psycopg.Error as error:
            raise CopyFailed(
                f"cannot reach PostgreSQL at {address}: {whyUnreachable(error)}"
            ) from None
        try:
            return _copy(source, target, address)
        except psycopg.Error as error:
            raise CopyFailed(
                f"copying into PostgreSQL at {address} failed, nothing was"
                f" copied: {' '.join(str(error).split())}"
            ) from None
        finally:
            target.close()
    finally:
        source.close()


def _copy(
    source: sqlite3.Connection, target: Connection, address: PostgresAddress
) -> dict[str, int]:
    migrate(target)
    counts: dict[str, int] = {}
    with target.transaction():
        for table in ("rooms", "accounts", "private_messages", "audit"):
            row = target.execute(f"SELECT EXISTS (SELECT FROM {table})").fetchone()
            if row and row[0]:
                raise CopyFailed(
                    f"PostgreSQL at {address} already holds a chat (its {table});"
                    " copy into an empty database"
                )
        with target.cursor() as cursor:
            for table, columns, query in COPIED:
                count = 0
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in source.execute(query):
                        copy.write_row(row)
                        count += 1
                counts[table] = count
        for table in IDENTITIES:
            target.execute(
                f"""
                SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                              coalesce(max(id), 0) + 1, false)
                FROM {table}
                """
            )
    return counts
