"""
What the PostgreSQL store reads and writes of people: accounts, the client
certificates they registered for SASL EXTERNAL, and private messages.

L{PostgresPeople} is a part of L{twisted_chat.store.postgres.PostgresStore}
kept apart so that neither module grows past one job: it queues each
operation on the store's writer, in order with the others, as the rest of
the store does (and as L{twisted_chat.store.sqlite.SQLiteStore} does with
SQLite).
"""

from twisted.internet.defer import Deferred

from twisted_chat.chat.events import PrivateMessage
from twisted_chat.chat.names import fold
from twisted_chat.store import AccountRecord
from twisted_chat.store.pgengine import Connection
from twisted_chat.store.writer import StoreWriter

_ACCOUNT_COLUMNS = "nick, password_hash, created, suspended"


class PostgresPeople:
    """
    The account, certificate and private-message operations of
    L{twisted_chat.store.IChatStore}, on the store's writer.
    """

    writer: StoreWriter[Connection]

    # Private messages

    def appendPrivate(self, message: PrivateMessage, delivered: bool) -> Deferred[None]:
        def write(connection: Connection) -> None:
            connection.execute(
                """
                INSERT INTO private_messages
                    (time, sender, sender_folded, recipient, recipient_folded,
                     text, delivered)
                VALUES (%s, %s, %s, %s, %s, %s, %s)
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
        def write(connection: Connection) -> list[PrivateMessage]:
            rows = connection.execute(
                """
                UPDATE private_messages SET delivered = TRUE
                WHERE recipient_folded = %s AND NOT delivered
                RETURNING id, sender, recipient, time, text
                """,
                (recipient,),
            ).fetchall()
            return [
                PrivateMessage(sender, to, time, text, offline=True)
                for _, sender, to, time, text in sorted(rows)
            ]

        return self.writer.submit(write, writes=True)

    # Accounts

    def account(self, nick: str) -> Deferred[AccountRecord | None]:
        def read(connection: Connection) -> AccountRecord | None:
            row = connection.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE folded = %s", (nick,)
            ).fetchone()
            return None if row is None else AccountRecord(*row)

        return self.writer.submit(read, writes=False)

    def createAccount(self, account: AccountRecord) -> Deferred[None]:
        def write(connection: Connection) -> None:
            # The core checks first; a clash here would be a bug, and must
            # not roll back the other writes of the group.
            connection.execute(
                """
                INSERT INTO accounts (folded, nick, password_hash, created, suspended)
                VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
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
        def write(connection: Connection) -> None:
            connection.execute(
                "UPDATE accounts SET password_hash = %s WHERE folded = %s",
                (passwordHash, nick),
            )

        return self.writer.submit(write, writes=True)

    def setSuspended(self, nick: str, suspended: bool) -> Deferred[None]:
        def write(connection: Connection) -> None:
            connection.execute(
                "UPDATE accounts SET suspended = %s WHERE folded = %s",
                (suspended, nick),
            )

        return self.writer.submit(write, writes=True)

    # Certificates

    def accountOfCertificate(self, fingerprint: str) -> Deferred[AccountRecord | None]:
        def read(connection: Connection) -> AccountRecord | None:
            row = connection.execute(
                f"""
                SELECT {_ACCOUNT_COLUMNS}
                FROM certificates JOIN accounts ON accounts.folded = account
                WHERE fingerprint = %s
                """,
                (fingerprint,),
            ).fetchone()
            return None if row is None else AccountRecord(*row)

        return self.writer.submit(read, writes=False)

    def certificates(self, nick: str) -> Deferred[list[str]]:
        def read(connection: Connection) -> list[str]:
            rows = connection.execute(
                "SELECT fingerprint FROM certificates WHERE account = %s ORDER BY id",
                (nick,),
            )
            return [fingerprint for (fingerprint,) in rows]

        return self.writer.submit(read, writes=False)

    def addCertificate(self, nick: str, fingerprint: str) -> Deferred[None]:
        def write(connection: Connection) -> None:
            # Accounts checks first; a clash here must not roll back the
            # other writes of the group.
            connection.execute(
                """
                INSERT INTO certificates (fingerprint, account) VALUES (%s, %s)
                ON CONFLICT DO NOTHING
                """,
                (fingerprint, nick),
            )

        return self.writer.submit(write, writes=True)

    def removeCertificate(self, nick: str, fingerprint: str) -> Deferred[None]:
        def write(connection: Connection) -> None:
            connection.execute(
                "DELETE FROM certificates WHERE fingerprint = %s AND account = %s",
                (fingerprint, nick),
            )

        return self.writer.submit(write, writes=True)
