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
