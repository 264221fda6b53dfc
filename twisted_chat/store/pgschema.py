"""
The PostgreSQL schema, and the migrations that bring an older database up
to date.

The schema's version is kept in the table C{twisted_chat_schema}.
L{MIGRATIONS}[n] turns version n into version n + 1; L{migrate} applies the
ones a database lacks at start-up, all in one transaction (PostgreSQL's
schema changes are transactional), holding an advisory lock so that servers
started together on one database migrate it once.  Never edit a shipped migration: add the next one.  The list is
PostgreSQL's own; version 1 holds what SQLite's five versions built (see
L{twisted_chat.store.schema}), in PostgreSQL's types.
"""

from typing import Any, Final

import psycopg

MIGRATIONS: Final = [
    # 0 -> 1: everything SQLite's schema version 5 keeps.  A room's row
    # holds the number of its last kept message, advanced with every insert
    # (L{twisted_chat.store.pgengine}); a message is keyed by room and
    # number, so no number is kept twice.  Ids are identities, never reused
    # after pruning.  Server-wide bans have the room '' so the key (room,
    # kind, mask) stays unique.  No CHECK or foreign key constraints (SQLite
    # enforces none either): a write one refused would roll back its whole
    # group, and each costs every message a look-up.
    """
    CREATE TABLE rooms (
        folded TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        last_sequence BIGINT NOT NULL DEFAULT 0,
        topic TEXT NOT NULL DEFAULT '',
        topic_nick TEXT,
        topic_time BIGINT,
        created BIGINT NOT NULL DEFAULT 0
    );

    CREATE TABLE messages (
        room TEXT NOT NULL,
        sequence BIGINT NOT NULL,
        time BIGINT NOT NULL,
        sender TEXT NOT NULL,
        text TEXT NOT NULL,
        action BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (room, sequence)
    );
    CREATE INDEX messages_by_room_time ON messages (room, time);

    CREATE TABLE private_messages (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        time BIGINT NOT NULL,
        sender TEXT NOT NULL,
        sender_folded TEXT NOT NULL,
        recipient TEXT NOT NULL,
        recipient_folded TEXT NOT NULL,
        text TEXT NOT NULL,
        delivered BOOLEAN NOT NULL
    );
    CREATE INDEX private_pending ON private_messages (recipient_folded)
        WHERE NOT delivered;
    CREATE INDEX private_by_time ON private_messages (time);
    CREATE INDEX private_by_pair
        ON private_messages (sender_folded, recipient_folded, time);
    CREATE INDEX private_from ON private_messages (sender_folded, time);
    CREATE INDEX private_to ON private_messages (recipient_folded, time);

    CREATE TABLE accounts (
        folded TEXT PRIMARY KEY,
        nick TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created BIGINT NOT NULL,
        suspended BOOLEAN NOT NULL DEFAULT FALSE
    );

    CREATE TABLE certificates (
        id BIGINT GENERATED ALWAYS AS IDENTITY,
        fingerprint TEXT PRIMARY KEY,
        account TEXT NOT NULL
    );
    CREATE INDEX certificates_by_account ON certificates (account, id);

    CREATE TABLE room_settings (
        room TEXT PRIMARY KEY,
        topic_lock BOOLEAN NOT NULL,
        moderated BOOLEAN NOT NULL,
        invite_only BOOLEAN NOT NULL,
        join_key TEXT,
        member_limit INTEGER,
        secret BOOLEAN NOT NULL,
        no_outside BOOLEAN NOT NULL,
        registered_only BOOLEAN NOT NULL
    );

    CREATE TABLE room_ranks (
        room TEXT NOT NULL,
        account TEXT NOT NULL,
        rank TEXT NOT NULL,
        PRIMARY KEY (room, account)
    );

    CREATE TABLE bans (
        room TEXT NOT NULL,
        kind TEXT NOT NULL,
        mask TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at BIGINT NOT NULL,
        expires BIGINT,
        reason TEXT NOT NULL,
        PRIMARY KEY (room, kind, mask)
    );

    CREATE TABLE server_operators (
        account TEXT PRIMARY KEY
    );

    CREATE TABLE audit (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        time BIGINT NOT NULL,
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
]

SCHEMA_VERSION: Final = len(MIGRATIONS)

TABLES: Final = (
    "audit",
    "server_operators",
    "bans",
    "room_ranks",
    "room_settings",
    "certificates",
    "accounts",
    "private_messages",
    "messages",
    "rooms",
)
"""Our tables, each before the ones it refers to."""

VERSION_TABLE: Final = "twisted_chat_schema"

MIGRATION_LOCK: Final = 0x7477_6368_6174  # "twchat"
"""The advisory lock servers take to migrate one at a time."""

Connection = psycopg.Connection[tuple[Any, ...]]


class SchemaTooNew(Exception):
    """The database was written by a newer twisted_chat; refuse to touch it."""


class NotOurDatabase(Exception):
    """The database holds another program's tables; refuse to touch it."""


def schemaVersion(connection: Connection) -> int:
    """The database's schema version: 0 if it has none of our tables."""
    row = connection.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (VERSION_TABLE,)
    ).fetchone()
    if row is None or not row[0]:
        return 0
    found = connection.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
    return int(found[0]) if found else 0


def checkOurs(connection: Connection) -> None:
    """
    Make sure the database is ours or empty: tables but no schema version
    means another program's, which must not get ours.

    @raise NotOurDatabase: if it is another program's.
    """
    if schemaVersion(connection) != 0:
        return
    tables = [
        name
        for (name,) in connection.execute(
            """
            SELECT table_name FROM information_schema.tables
            WHERE table_schema = current_schema() ORDER BY table_name
            """
        )
    ]
    if tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise NotOurDatabase(f"it is another program's database (its tables: {shown})")


def migrate(connection: Connection) -> int:
    """
    Bring the schema of C{connection}'s database (an autocommit connection)
    to L{SCHEMA_VERSION}, all or nothing.

    @return: the version the database had before.
    @raise SchemaTooNew: if the database is newer than this code.
    @raise NotOurDatabase: if it holds another program's tables.
    """
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        checkOurs(connection)
        found = schemaVersion(connection)
        if found > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"the database has schema version {found}; this twisted_chat"
                f" knows versions up to {SCHEMA_VERSION}"
            )
        if found == 0:
            connection.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER)")
            connection.execute(f"INSERT INTO {VERSION_TABLE} VALUES (0)")
        for version in range(found, SCHEMA_VERSION):
            connection.execute(MIGRATIONS[version])
            connection.execute(
                f"UPDATE {VERSION_TABLE} SET version = %s", (version + 1,)
            )
    return found


def dropSchema(connection: Connection) -> None:
    """Drop our tables: what L{migrate} made on an empty database."""
    with connection.transaction():
        connection.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)}, {VERSION_TABLE}")
