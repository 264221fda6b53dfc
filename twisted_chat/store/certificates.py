"""
What the SQLite store reads and writes of the client certificates accounts
registered for SASL EXTERNAL (migration 2 -> 3 of
L{twisted_chat.store.schema}).

L{SQLiteCertificates} is a part of L{twisted_chat.store.sqlite.SQLiteStore}
kept apart so that neither module grows past one job: it queues each
operation on the store's writer, in order with the others, as the rest of
the store does.
"""

import sqlite3

from twisted.internet.defer import Deferred

from twisted_chat.store import AccountRecord
from twisted_chat.store.writer import StoreWriter


class SQLiteCertificates:
    """
    The certificate operations of L{twisted_chat.store.IChatStore}, on the
    store's writer.
    """

    writer: StoreWriter[sqlite3.Connection]

    def accountOfCertificate(self, fingerprint: str) -> Deferred[AccountRecord | None]:
        def read(connection: sqlite3.Connection) -> AccountRecord | None:
            row = connection.execute(
                """
                SELECT nick, password_hash, created, suspended
                FROM certificates JOIN accounts ON accounts.folded = account
                WHERE fingerprint = ?
                """,
                (fingerprint,),
            ).fetchone()
            if row is None:
                return None
            nick, passwordHash, created, suspended = row
            return AccountRecord(nick, passwordHash, created, bool(suspended))

        return self.writer.submit(read, writes=False)

    def certificates(self, nick: str) -> Deferred[list[str]]:
        def read(connection: sqlite3.Connection) -> list[str]:
            rows = connection.execute(
                "SELECT fingerprint FROM certificates WHERE account = ? ORDER BY rowid",
                (nick,),
            )
            return [fingerprint for (fingerprint,) in rows]

        return self.writer.submit(read, writes=False)

    def addCertificate(self, nick: str, fingerprint: str) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            # Accounts checks first; a clash here must not roll back the
            # other writes of the group.
            connection.execute(
                """
                INSERT INTO certificates (fingerprint, account) VALUES (?, ?)
                ON CONFLICT DO NOTHING
                """,
                (fingerprint, nick),
            )

        return self.writer.submit(write, writes=True)

    def removeCertificate(self, nick: str, fingerprint: str) -> Deferred[None]:
        def write(connection: sqlite3.Connection) -> None:
            connection.execute(
                "DELETE FROM certificates WHERE fingerprint = ? AND account = ?",
                (fingerprint, nick),
            )

        return self.writer.submit(write, writes=True)
