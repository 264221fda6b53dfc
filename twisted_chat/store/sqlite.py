"""
The durable store: room messages, topics, private messages, accounts and
moderation in one SQLite file in WAL mode.

This module says what each operation reads and writes, and loads what the
core needs at start-up; L{twisted_chat.store.writer} carries the operations
out in order on the store's own thread, committing writes in groups, and
L{twisted_chat.store.moderation} holds the SQL of moderation's tables.  A
write's Deferred fires only after its transaction has committed: the core
delivers a message only then, so nothing anyone saw can be lost in a crash.
"""

import os
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from typing import Any, Final

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IReactorTime
from zope.interface import implementer

from twisted_chat.chat.events import PrivateMessage, RoomMessage, TopicInfo
from twisted_chat.chat.modes import AuditEntry, Ban, Rank, RoomSettings
from twisted_chat.chat.names import fold
from twisted_chat.store import (
    AccountRecord,
    Activity,
    IChatStore,
    StoredRoom,
    StoredState,
    StoreError,
    history,
    moderation,
    retention,
)
from twisted_chat.store.certificates import SQLiteCertificates
from twisted_chat.store.schema import NotOurDatabase, SchemaTooNew, migrate
from twisted_chat.store.sqliteengine import Connector, SQLiteEngine, connect
from twisted_chat.store.writer import Numbered, StoreWriter

SYNCHRONOUS_MODES: Final = ("FULL", "NORMAL")
"""
C{FULL} (the default) makes a commit survive a power cut; C{NORMAL} only a
crash of the server process, for a little more speed.
"""


DATABASE_FILE_SUFFIXES: Final = ("", "-wal", "-shm", "-journal")
"""The database file and the files SQLite keeps beside it."""


class DatabaseUnusable(StoreError):
    """
    The database cannot be used: it cannot be made, opened or read as ours.
    The message is one line naming the file and the reason.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot open the database {path}: {reason}")
        self.path = path
        self.reason = reason


def whyUnusable(path: str, error: Exception) -> str:
    """
    Say why C{path} could not be used.  SQLite's "unable to open database
    file" does not say whether the directory is missing, the path is a
    directory or the directory cannot be written, so those are looked for.
    """
    if isinstance(error, sqlite3.OperationalError):
        directory = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            return "it is a directory"
        if not os.path.exists(directory):
            return f"no such directory {directory}"
        if not os.path.isdir(directory):
            return f"{directory} is not a directory"
        if not os.access(directory, os.W_OK | os.X_OK):
            if os.path.exists(path):
                return (
                    f"cannot write in the directory {directory}"
                    " (SQLite keeps its write-ahead log beside the file)"
                )
            return f"cannot write in the directory {directory}"
        if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
            return "permission denied"
    return str(error)


@implementer(IChatStore)
class SQLiteStore(SQLiteCertificates):
    """
    Room messages, topics, private messages, accounts (their certificates'
    operations are L{SQLiteCertificates}') and moderation in one SQLite file.

    @ivar writer: the store thread that carries out the operations, and
        counts the groups it commits.
    """

    def __init__(
        self,
        path: str,
        reactor: Any,
        synchronous: str = "FULL",
        *,
        clock: IReactorTime | None = None,
        openConnection: Connector = connect,
    ) -> None:
        """
        @param clock: what times the reports of failing commits and dates
            new rooms; the reactor by default.
        @param openConnection: what opens the store thread's connection.
        """
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        self.path = path
        self._synchronous = synchronous
        self._madeFile = False
        self._clock: IReactorTime = clock or reactor
        self.writer: StoreWriter[sqlite3.Connection] = StoreWriter(
            SQLiteEngine(path, synchronous, openConnection), reactor, clock=clock
        )

    def _now(self) -> int:
        """Now, in milliseconds since the epoch: when a room's row is made."""
        return int(self._clock.seconds() * 1000)

    def _write(self, write: Callable[[sqlite3.Connection], None]) -> Deferred[None]:
        return self.writer.submit(write, writes=True)

    def _read(self, read: Callable[..., Any], *args: object) -> Deferred[Any]:
        """Queue C{read(connection, *args)} as a read, in order with the writes."""
        return self.writer.submit(
            lambda connection: read(connection, *args), writes=False
        )

    # Start-up, on the main thread before the reactor runs

    def load(self) -> StoredState:
        """
        Create or migrate the schema, then read the rooms, registered nicks,
        waiting private messages and server-wide moderation.

        @raise DatabaseUnusable: if the file cannot be made or opened, is not
            a database, or is not ours; a file made by this call is removed.
        """
        self._madeFile = not os.path.lexists(self.path)
        try:
            return self._load()
        except (sqlite3.Error, SchemaTooNew, NotOurDatabase) as error:
            self.abandon()
            raise DatabaseUnusable(self.path, whyUnusable(self.path, error)) from None

    def _load(self) -> StoredState:
        connection = connect(self.path, self._synchronous)
        try:
            migrate(connection)
            bans = moderation.readBans(connection)
            rooms = self._loadRooms(connection, bans)
            registered = {
                row[0] for row in connection.execute("SELECT folded FROM accounts")
            }
            waiting: dict[str, dict[str, int]] = {}
            for recipient, sender, count in connection.execute(
                """
                SELECT recipient_folded, lower(sender), count(*)
                FROM private_messages WHERE NOT delivered
                GROUP BY recipient_folded, lower(sender)
                """
            ):
                waiting.setdefault(recipient, {})[sender] = count
            operators = moderation.readServerOperators(connection)
        finally:
            connection.close()
        return StoredState(
            rooms, registered, waiting, tuple(bans.get(None, ())), operators
        )

    def _loadRooms(
        self, connection: sqlite3.Connection, bans: dict[str | None, list[Ban]]
    ) -> list[StoredRoom]:
        """
        Read the rooms worth remembering: those with a history, a topic, or
        moderation state.  A row whose moderation was forgotten, and that
        has nothing else, is left out, as the core forgets such a room.
        """
        settings = moderation.readRoomSettings(connection)
        ranks = moderation.readRanks(connection)
        rows = connection.execute(
            """
            SELECT folded, name,
                   max(last_sequence, coalesce(
                       (SELECT max(sequence) FROM messages
                        WHERE messages.room = rooms.folded), 0)),
                   topic, topic_nick, topic_time, created
            FROM rooms
            """
        )
        rooms = []
        for folded, name, lastSequence, topic, topicNick, topicTime, created in rows:
            room = StoredRoom(
                name,
                lastSequence,
                TopicInfo(name, topicNick, topicTime, topic),
                settings.get(folded, RoomSettings()),
                ranks.get(folded, {}),
                tuple(bans.get(folded, ())),
                created,
            )
            if (
                room.lastSequence > 0
                or room.topic.nick is not None
                or room.settings != RoomSettings()
                or room.ranks
                or room.bans
            ):
                rooms.append(room)
        return rooms

    def abandon(self) -> None:
        """
        Remove the database if this start made it: a server that failed to
        start leaves no empty database behind to puzzle its operator.
        """
        if self._madeFile:
            self._madeFile = False
            for suffix in DATABASE_FILE_SUFFIXES:
                with suppress(OSError):  # not there, or never made
                    os.remove(self.path + suffix)

    # IChatStore

    def appendMessage(self, message: RoomMessage) -> Deferred[None]:
        # Carried as itself: a group inserts all its messages at once.
        return self.writer.submit(message, writes=True)

    def appendNumbered(self, message: RoomMessage) -> Deferred[int]:
        # Numbered by the writer, in the transaction that inserts it.
        return self.writer.submit(Numbered(message), writes=True)

    def saveTopic(self, topic: TopicInfo) -> Deferred[None]:
        now = self._now()

        def write(connection: sqlite3.Connection) -> None:
            room = self.writer.ensureRoom(connection, topic.room, now)
            connection.execute(
                "UPDATE rooms SET topic = ?, topic_nick = ?, topic_time = ? WHERE folded = ?",
                (topic.text, topic.nick, topic.time, room),
            )

        return self._write(write)

    def messagesBetween(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        def read(connection: sqlite3.Connection) -> list[RoomMessage]:
            rows = connection.execute(
                """
                SELECT sequence, time, sender, text, action FROM messages
                WHERE room = ? AND sequence > ? AND sequence <= ?
                ORDER BY sequence DESC LIMIT ?
                """,
                (fold(room), after, through, limit),
            ).fetchall()
            return [
                RoomMessage(
                    room, sequence, time, sender, text, bool(action), history=True
                )
                for sequence, time, sender, text, action in reversed(rows)
            ]

        return self.writer.submit(read, writes=False)

    # History on request: SQL in twisted_chat.store.history, read in order.

    def messagesFrom(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        return self._read(history.messagesFrom, room, after, through, limit)

    def sequenceBefore(self, room: str, time: int) -> Deferred[int]:
        return self._read(history.sequenceBefore, room, time)

    def privateBetween(
        self, nick: str, other: str, after: int, before: int, limit: int, newest: bool
    ) -> Deferred[list[PrivateMessage]]:
        return self._read(
            history.privateBetween, nick, other, after, before, limit, newest
        )

    def activeConversations(
        self, nick: str | None, rooms: list[str], after: int, before: int, limit: int
    ) -> Deferred[list[Activity]]:
        return self._read(
            history.activeConversations, nick, rooms, after, before, limit
        )

    def appendPrivate(self, message: PrivateMessage, delivered: bool) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            connection.execute(
                """
                INSERT INTO private_messages
                    (time, sender, sender_folded, recipient, recipient_folded,
                     text, delivered)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    message.time,
                    message.sender,
                    fold(message.sender),
                    message.recipient,
                    fold(message.recipient),
                    message.text,
                    delivered,
                ),
            )

        return self.writer.submit(write, writes=True)

    def takePendingPrivate(self, recipient: str) -> Deferred[list[PrivateMessage]]:
        def write(connection: sqlite3.Connection) -> list[PrivateMessage]:
            rows = connection.execute(
                """
                SELECT id, sender, recipient, time, text FROM private_messages
                WHERE recipient_folded = ? AND NOT delivered ORDER BY id
                """,
                (recipient,),
            ).fetchall()
            connection.executemany(
                "UPDATE private_messages SET delivered = 1 WHERE id = ?",
                [(row[0],) for row in rows],
            )
            return [
                PrivateMessage(sender, to, time, text, offline=True)
                for _, sender, to, time, text in rows
            ]

        return self.writer.submit(write, writes=True)

    def account(self, nick: str) -> Deferred[AccountRecord | None]:
        def read(connection: sqlite3.Connection) -> AccountRecord | None:
            row = connection.execute(
                """
                SELECT nick, password_hash, created, suspended FROM accounts
                WHERE folded = ?
                """,
                (nick,),
            ).fetchone()
            if row is None:
                return None
            name, passwordHash, created, suspended = row
            return AccountRecord(name, passwordHash, created, bool(suspended))

        return self.writer.submit(read, writes=False)

    def createAccount(self, account: AccountRecord) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            # The core checks first; a clash here would be a bug, and must
            # not roll back the other writes of the group.
            connection.execute(
                """
                INSERT INTO accounts (folded, nick, password_hash, created, suspended)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """,
                (
                    fold(account.nick),
                    account.nick,
                    account.passwordHash,
                    account.created,
                    account.suspended,
                ),
            )

        return self.writer.submit(write, writes=True)

    def setPasswordHash(self, nick: str, passwordHash: str) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            connection.execute(
                "UPDATE accounts SET password_hash = ? WHERE folded = ?",
                (passwordHash, nick),
            )

        return self.writer.submit(write, writes=True)

    def setSuspended(self, nick: str, suspended: bool) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            connection.execute(
                "UPDATE accounts SET suspended = ? WHERE folded = ?", (suspended, nick)
            )

        return self._write(write)

    # Moderation: SQL in twisted_chat.store.moderation; a room's row is made
    # as it is for a topic, when something of the room is first kept.

    def saveRoomSettings(self, room: str, settings: RoomSettings) -> Deferred[None]:
        now = self._now()

        def write(connection: sqlite3.Connection) -> None:
            folded = self.writer.ensureRoom(connection, room, now)
            moderation.saveRoomSettings(connection, folded, settings)

        return self._write(write)

    def saveRank(self, room: str, account: str, rank: Rank) -> Deferred[None]:
        now = self._now()

        def write(connection: sqlite3.Connection) -> None:
            folded = (
                fold(room)
                if rank is Rank.MEMBER
                else self.writer.ensureRoom(connection, room, now)
            )
            moderation.saveRank(connection, folded, account, rank)

        return self._write(write)

    def saveBan(self, room: str | None, ban: Ban) -> Deferred[None]:
        now = self._now()

        def write(connection: sqlite3.Connection) -> None:
            folded = (
                None if room is None else self.writer.ensureRoom(connection, room, now)
            )
            moderation.saveBan(connection, folded, ban)

        return self._write(write)

    def removeBan(self, room: str | None, kind: str, mask: str) -> Deferred[None]:
        return self._write(
            lambda connection: moderation.removeBan(
                connection, None if room is None else fold(room), kind, mask
            )
        )

    def setServerOperator(self, account: str, granted: bool) -> Deferred[None]:
        return self._write(
            lambda connection: moderation.setServerOperator(
                connection, account, granted
            )
        )

    def forgetRoomModeration(self, room: str) -> Deferred[None]:
        return self._write(
            lambda connection: moderation.forgetRoomModeration(connection, fold(room))
        )

    def appendAudit(self, entry: AuditEntry) -> Deferred[None]:
        return self._write(lambda connection: moderation.appendAudit(connection, entry))

    def auditLog(
        self, room: str | None, before: int | None, limit: int
    ) -> Deferred[list[AuditEntry]]:
        return self.writer.submit(
            lambda connection: moderation.auditLog(
                connection, None if room is None else fold(room), before, limit
            ),
            writes=False,
        )

    def prune(self, olderThan: int | None, perRoomCap: int | None) -> Deferred[int]:
        return self.writer.submit(
            lambda connection: retention.prune(connection, olderThan, perRoomCap),
            writes=True,
        )

    def size(self) -> Deferred[int]:
        """
        The database file's size and its write-ahead log's, read off the
        files at once rather than through the store's queue: a store
        struggling with its writes still says how big it is.
        """
        try:
            size = os.path.getsize(self.path)
        except OSError as error:
            return fail(error)
        with suppress(OSError):
            size += os.path.getsize(self.path + "-wal")
        return succeed(size)

    def close(self) -> Deferred[None]:
        """
        Finish every queued operation, close the file, stop the thread.
        """
        return self.writer.close()
