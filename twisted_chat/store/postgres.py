"""
The PostgreSQL store: what the SQLite store keeps (room messages, topics,
private messages, accounts, certificates, moderation, the audit log), in a
PostgreSQL database, chosen by C{--db postgresql://USER@HOST:PORT/DBNAME}.

It works as the SQLite store does: the operations are carried out in order
by the store's own thread (L{twisted_chat.store.writer}, the same writer,
with L{twisted_chat.store.pgengine} for PostgreSQL), consecutive writes
committed in one transaction, and a write's Deferred fires only after the
COMMIT.  This module says what each operation reads and writes, and loads
what the core needs at start-up; the SQL of history and of moderation is in
L{twisted_chat.store.pghistory} and L{twisted_chat.store.pgmoderation}, that
of people in L{twisted_chat.store.pgaccounts}, the schema in
L{twisted_chat.store.pgschema}.

PostgreSQL that cannot be reached at start-up stops the start with one line
(L{PostgresUnusable}).  While the server runs, a write that fails (the
database went down) fails as one on a full disk does with SQLite, logged
without flooding; the next operation connects again, so service resumes on
its own once PostgreSQL is back.

Room numbers, two ways.  One server alone numbers a room's messages itself
(L{appendMessage}), and the database refuses any that does not follow the
room's last kept one (a primary key on room and number, and an insert that
moves C{rooms.last_sequence} on from the number before, see
L{twisted_chat.store.pgengine}).  Several servers sharing the database let
it number them (L{appendNumbered}), inside the transaction that keeps them:
the transaction locks the rooms' rows, in the order of their names::

    SELECT folded, last_sequence FROM rooms WHERE folded = ANY(%s)
    ORDER BY folded FOR UPDATE

numbers on from there, and moves C{last_sequence} on as it inserts.  The
rows stay locked until COMMIT, so servers take turns per room, never
deadlock on each other, and no number is given twice or skipped; when a
message gets number S, message S - 1 of its room is already committed; a
rolled-back transaction gives its numbers back with it.
"""

from typing import Any

import psycopg
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from zope.interface import implementer

from twisted_chat.chat.events import PrivateMessage, RoomMessage, TopicInfo
from twisted_chat.chat.modes import AuditEntry, Ban, Rank, RoomSettings
from twisted_chat.chat.names import fold
from twisted_chat.store import (
    Activity,
    IChatStore,
    StoredRoom,
    StoredState,
    pghistory,
    pgmoderation,
)
from twisted_chat.store.pgaccounts import PostgresPeople
from twisted_chat.store.pgaddress import (
    PostgresAddress,
    PostgresUnusable,
    parseAddress,
)
from twisted_chat.store.pgengine import (
    Connection,
    PostgresEngine,
    connect,
    whyUnreachable,
)
from twisted_chat.store.pgschema import (
    NotOurDatabase,
    SchemaTooNew,
    dropSchema,
    migrate,
)
from twisted_chat.store.writer import Numbered, StoreWriter

__all__ = ["PostgresStore", "PostgresUnusable"]


def openForLoad(address: PostgresAddress) -> Connection:
    """
    Connect at start-up, or say in one line why PostgreSQL cannot be reached.

    @raise PostgresUnusable: if it cannot.
    """
    try:
        return connect(address)
    except psycopg.Error as error:
        raise PostgresUnusable(address, whyUnreachable(error), reach=True) from None


@implementer(IChatStore)
class PostgresStore(PostgresPeople):
    """
    Room messages, topics, moderation and history in PostgreSQL (people's
    operations are L{PostgresPeople}').

    @ivar writer: the store thread that carries out the operations, and
        counts the groups it commits.
    """

    def __init__(
        self,
        url: str | PostgresAddress,
        reactor: Any,
        *,
        clock: IReactorTime | None = None,
        engine: PostgresEngine | None = None,
    ) -> None:
        """
        @param url: the database, as C{postgresql://USER@HOST:PORT/DBNAME}.
        @param clock: what times the reports of failing commits and dates
            new rooms; the reactor by default.
        @param engine: how the store thread talks to PostgreSQL.
        @raise ValueError: if C{url} is not such a URL.
        """
        self.address = url if isinstance(url, PostgresAddress) else parseAddress(url)
        self._clock: IReactorTime = clock or reactor
        self._madeSchema = False
        self.writer: StoreWriter[Connection] = StoreWriter(
            engine or PostgresEngine(self.address), reactor, clock=clock
        )

    def _now(self) -> int:
        """Now, in milliseconds since the epoch: when a room's row is made."""
        return int(self._clock.seconds() * 1000)

    def _write(self, write: Any, *args: object) -> Deferred[None]:
        """Queue C{write(connection, *args)} as a write."""
        return self.writer.submit(
            lambda connection: write(connection, *args), writes=True
        )

    def _read(self, read: Any, *args: object) -> Deferred[Any]:
        """Queue C{read(connection, *args)} as a read, in order with the writes."""
        return self.writer.submit(
            lambda connection: read(connection, *args), writes=False
        )

    # Start-up, on the main thread before the reactor runs

    def load(self) -> StoredState:
        """
        Create or migrate the schema, then read the rooms, registered nicks,
        waiting private messages and server-wide moderation.

        @raise PostgresUnusable: if PostgreSQL cannot be reached, or the
            database is not ours.
        """
        connection = openForLoad(self.address)
        try:
            try:
                self._madeSchema = migrate(connection) == 0
                return self._load(connection)
            except (SchemaTooNew, NotOurDatabase) as error:
                raise PostgresUnusable(self.address, str(error), reach=False) from None
            except psycopg.OperationalError as error:
                raise PostgresUnusable(
                    self.address, whyUnreachable(error), reach=True
                ) from None
            except psycopg.Error as error:
                reason = " ".join(str(error).split())
                raise PostgresUnusable(self.address, reason, reach=False) from None
        finally:
            connection.close()

    def _load(self, connection: Connection) -> StoredState:
        bans = pgmoderation.readBans(connection)
        rooms = self._loadRooms(connection, bans)
        registered = {
            row[0] for row in connection.execute("SELECT folded FROM accounts")
        }
        waiting: dict[str, dict[str, int]] = {}
        for recipient, sender, count in connection.execute(
            """
            SELECT recipient_folded, sender_folded, count(*)
            FROM private_messages WHERE NOT delivered
            GROUP BY recipient_folded, sender_folded
            """
        ):
            waiting.setdefault(recipient, {})[sender] = count
        operators = pgmoderation.readServerOperators(connection)
        return StoredState(
            rooms, registered, waiting, tuple(bans.get(None, ())), operators
        )

    def _loadRooms(
        self, connection: Connection, bans: dict[str | None, list[Ban]]
    ) -> list[StoredRoom]:
        """
        Read the rooms worth remembering: those with a history, a topic, or
        moderation state, as the SQLite store does.
        """
        settings = pgmoderation.readRoomSettings(connection)
        ranks = pgmoderation.readRanks(connection)
        rooms = []
        for (
            folded,
            name,
            lastSequence,
            topic,
            topicNick,
            topicTime,
            created,
        ) in connection.execute(
            """
                SELECT folded, name, last_sequence, topic, topic_nick,
                       topic_time, created
                FROM rooms
                """
        ):
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
        Drop the tables if this start made them: a server that failed to
        start leaves the database as it found it.
        """
        if self._madeSchema:
            self._madeSchema = False
            try:
                connection = openForLoad(self.address)
            except PostgresUnusable:
                return  # gone since: nothing to be done
            try:
                dropSchema(connection)
            except psycopg.Error:
                pass  # the tables stay, empty: harmless
            finally:
                connection.close()

    # Rooms

    def appendMessage(self, message: RoomMessage) -> Deferred[None]:
        # Carried as itself: a group inserts all its messages at once.
        return self.writer.submit(message, writes=True)

    def appendNumbered(self, message: RoomMessage) -> Deferred[int]:
        # Numbered by the writer, in the transaction that inserts it.
        return self.writer.submit(Numbered(message), writes=True)

    def saveTopic(self, topic: TopicInfo) -> Deferred[None]:
        now = self._now()

        def write(connection: Connection) -> None:
            room = self.writer.ensureRoom(connection, topic.room, now)
            connection.execute(
                """
                UPDATE rooms SET topic = %s, topic_nick = %s, topic_time = %s
                WHERE folded = %s
                """,
                (topic.text, topic.nick, topic.time, room),
            )

        return self.writer.submit(write, writes=True)

    # History, read in order with the writes

    def messagesBetween(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        return self._read(pghistory.messagesBetween, room, after, through, limit)

    def messagesFrom(
        self, room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        return self._read(pghistory.messagesFrom, room, after, through, limit)

    def sequenceBefore(self, room: str, time: int) -> Deferred[int]:
        return self._read(pghistory.sequenceBefore, room, time)

    def privateBetween(
        self, nick: str, other: str, after: int, before: int, limit: int, newest: bool
    ) -> Deferred[list[PrivateMessage]]:
        return self._read(
            pghistory.privateBetween, nick, other, after, before, limit, newest
        )

    def activeConversations(
        self, nick: str | None, rooms: list[str], after: int, before: int, limit: int
    ) -> Deferred[list[Activity]]:
        return self._read(
            pghistory.activeConversations, nick, rooms, after, before, limit
        )

    # Moderation: a room's row is made, as for a topic, when something of
    # the room is first kept.

    def saveRoomSettings(self, room: str, settings: RoomSettings) -> Deferred[None]:
        now = self._now()

        def write(connection: Connection) -> None:
            folded = self.writer.ensureRoom(connection, room, now)
            pgmoderation.saveRoomSettings(connection, folded, settings)

        return self.writer.submit(write, writes=True)

    def saveRank(self, room: str, account: str, rank: Rank) -> Deferred[None]:
        now = self._now()

        def write(connection: Connection) -> None:
            folded = (
                fold(room)
                if rank is Rank.MEMBER
                else self.writer.ensureRoom(connection, room, now)
            )
            pgmoderation.saveRank(connection, folded, account, rank)

        return self.writer.submit(write, writes=True)

    def saveBan(self, room: str | None, ban: Ban) -> Deferred[None]:
        now = self._now()

        def write(connection: Connection) -> None:
            folded = (
                None if room is None else self.writer.ensureRoom(connection, room, now)
            )
            pgmoderation.saveBan(connection, folded, ban)

        return self.writer.submit(write, writes=True)

    def removeBan(self, room: str | None, kind: str, mask: str) -> Deferred[None]:
        folded = None if room is None else fold(room)
        return self._write(pgmoderation.removeBan, folded, kind, mask)

    def setServerOperator(self, account: str, granted: bool) -> Deferred[None]:
        return self._write(pgmoderation.setServerOperator, account, granted)

    def forgetRoomModeration(self, room: str) -> Deferred[None]:
        return self._write(pgmoderation.forgetRoomModeration, fold(room))

    def appendAudit(self, entry: AuditEntry) -> Deferred[None]:
        return self._write(pgmoderation.appendAudit, entry)

    def auditLog(
        self, room: str | None, before: int | None, limit: int
    ) -> Deferred[list[AuditEntry]]:
        folded = None if room is None else fold(room)
        return self._read(pgmoderation.auditLog, folded, before, limit)

    def prune(self, olderThan: int | None, perRoomCap: int | None) -> Deferred[int]:
        return self.writer.submit(
            lambda connection: pgmoderation.prune(connection, olderThan, perRoomCap),
            writes=True,
        )

    def size(self) -> Deferred[int]:
        def measure(connection: Any) -> int:
            row = connection.execute(
                "SELECT pg_database_size(current_database())"
            ).fetchone()
            return int(row[0])

        return self.writer.submit(measure, writes=False)

    def close(self) -> Deferred[None]:
        """
        Finish every queued operation, close the connection, stop the thread.
        """
        return self.writer.close()
