"""
The SQLite schema, and the migrations that bring any older file up to date.

The schema's version is SQLite's own C{user_version}.  L{MIGRATIONS}[n]
turns version n into version n + 1; L{migrate} applies the ones a file lacks
at start-up, each in its own transaction.  Never edit a shipped migration:
add the next one.
"""

import sqlite3
from typing import Final

MIGRATIONS: Final = [
    # 0 -> 1: rooms, their messages, private messages, accounts.
    """
    CREATE TABLE rooms (
        folded TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        last_sequence INTEGER NOT NULL DEFAULT 0,
        topic TEXT NOT NULL DEFAULT '',
        topic_nick TEXT,
        topic_time INTEGER
    ) WITHOUT ROWID;

    CREATE TABLE messages (
        room TEXT NOT NULL REFERENCES rooms (folded),
        sequence INTEGER NOT NULL,
        time INTEGER NOT NULL,
        sender TEXT NOT NULL,
        text TEXT NOT NULL,
        action INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (room, sequence)
    ) WITHOUT ROWID;
    CREATE INDEX messages_by_time ON messages (time);

    CREATE TABLE private_messages (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        recipient_folded TEXT NOT NULL,
        text TEXT NOT NULL,
        delivered INTEGER NOT NULL
    );
    CREATE INDEX private_pending ON private_messages (recipient_folded)
        WHERE NOT delivered;
    CREATE INDEX private_by_time ON private_messages (time);

    CREATE TABLE accounts (
        folded TEXT PRIMARY KEY,
        nick TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 1 -> 2: moderation.  A room's row says when it was made: for the rooms
    # already kept, the earliest time the file still knows of (its first kept
    # message or its topic).  Settings have a row only once saved, so a room
    # without one follows the code's defaults.  Ranks are stored by name, so
    # a rank added between two others later needs no migration.  A bans row
    # with the room '' is server-wide: the key (room, kind, mask) stays
    # unique, which it would not with NULL.  Audit ids use AUTOINCREMENT, so
    # they keep rising even after pruning removed the newest.  No CHECK
    # constraints: a write one refused would roll back its whole group.
    """
    ALTER TABLE rooms ADD COLUMN created INTEGER NOT NULL DEFAULT 0;
    UPDATE rooms SET created = coalesce(
        min((SELECT time FROM messages WHERE room = rooms.folded
             ORDER BY sequence LIMIT 1), topic_time),
        (SELECT time FROM messages WHERE room = rooms.folded
         ORDER BY sequence LIMIT 1),
        topic_time,
        0);

    ALTER TABLE accounts ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE room_settings (
        room TEXT PRIMARY KEY REFERENCES rooms (folded),
        topic_lock INTEGER NOT NULL,
        moderated INTEGER NOT NULL,
        invite_only INTEGER NOT NULL,
        join_key TEXT,
        member_limit INTEGER,
        secret INTEGER NOT NULL,
        no_outside INTEGER NOT NULL,
        registered_only INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE room_ranks (
        room TEXT NOT NULL REFERENCES rooms (folded),
        account TEXT NOT NULL,
        rank TEXT NOT NULL,
        PRIMARY KEY (room, account)
    ) WITHOUT ROWID;

    CREATE TABLE bans (
        room TEXT NOT NULL,
        kind TEXT NOT NULL,
        mask TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at INTEGER NOT NULL,
        expires INTEGER,
        reason TEXT NOT NULL,
        PRIMARY KEY (room, kind, mask)
    ) WITHOUT ROWID;

    CREATE TABLE server_operators (
        account TEXT PRIMARY KEY
    ) WITHOUT ROWID;

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        room TEXT,
        room_folded TEXT,
        target TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX audit_by_room ON audit (room_folded, id);
    CREATE INDEX audit_by_time ON audit (time);
    """,
    # 2 -> 3: history read by time and by conversation (IRC's CHATHISTORY).
    # A private message's sender is kept folded too, as its recipient is,
    # so that a conversation is found both ways by index; nicks are ASCII,
    # so SQLite's lower() folds the ones already kept as fold() does.
    """
    ALTER TABLE private_messages ADD COLUMN sender_folded TEXT NOT NULL DEFAULT '';
    UPDATE private_messages SET sender_folded = lower(sender);
    CREATE INDEX private_by_pair
        ON private_messages (sender_folded, recipient_folded, time);
    CREATE INDEX private_from ON private_messages (sender_folded, time);
    CREATE INDEX private_to ON private_messages (recipient_folded, time);
    CREATE INDEX messages_by_room_time ON messages (room, time);
    """,
    # 3 -> 4: client certificates an account registered for SASL EXTERNAL,
    # by the lower-case hex SHA-256 of their DER form.  A fingerprint names
    # one account at most; the rowid keeps the order they were added in.
    """
    CREATE TABLE certificates (
        fingerprint TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts (folded)
    );
    CREATE INDEX certificates_by_account ON certificates (account);
    """,
    # 4 -> 5: room messages are pruned by age through the (room, time)
    # index; the index on time alone only cost every stored message a write.
    """
    DROP INDEX messages_by_time;
    """,
]

SCHEMA_VERSION: Final = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The file was written by a newer twisted_chat; refuse to touch it."""


class NotOurDatabase(Exception):
    """The file is another program's SQLite database; refuse to touch it."""


def schemaVersion(connection: sqlite3.Connection) -> int:
    version: int = connection.execute("PRAGMA user_version").fetchone()[0]
    return version


def checkOurs(connection: sqlite3.Connection) -> None:
    """
    Make sure the database is ours or new: one with no schema version but
    with tables belongs to another program, and must not get our tables.

    @raise NotOurDatabase: if it is another program's.
    @raise sqlite3.DatabaseError: if the file is not a database at all.
    """
    if schemaVersion(connection) != 0:
        return
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]
    if tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise NotOurDatabase(f"it is another program's database (its tables: {shown})")


def migrate(connection: sqlite3.Connection) -> int:
    """
    Bring the schema of C{connection}'s database to L{SCHEMA_VERSION}.

    @return: the version the file had before.
    @raise SchemaTooNew: if the file is newer than this code.
    """
    found = schemaVersion(connection)
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the database has schema version {found}; this twisted_chat"
            f" knows versions up to {SCHEMA_VERSION}"
        )
    for version in range(found, SCHEMA_VERSION):
        # executescript commits first; BEGIN makes the migration all or nothing.
        connection.executescript(
            f"BEGIN; {MIGRATIONS[version]} PRAGMA user_version = {version + 1}; COMMIT;"
        )
    return found
