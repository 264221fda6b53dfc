"""
Where a PostgreSQL database is, from C{--db postgresql://USER@HOST:PORT/DB},
and the error that says it cannot be used: both without psycopg, so that the
options can be checked, and a failed start told, by a server installed
without PostgreSQL support (C{pip install 'twisted_chat[postgresql]'} adds
it).
"""

from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

from twisted_chat.store import StoreError

SCHEMES: Final = ("postgresql", "postgres")
"""The URL schemes libpq takes for a PostgreSQL database."""

DEFAULT_PORT: Final = 5432


def isPostgresURL(text: str) -> bool:
    """Whether C{--db} names a PostgreSQL database rather than a file."""
    return text.partition("://")[0].lower() in SCHEMES and "://" in text


@dataclass(frozen=True, slots=True)
class PostgresAddress:
    """
    A PostgreSQL database's URL, and what of it may be shown: never the
    password.

    @ivar url: the URL, as libpq takes it.
    """

    url: str
    host: str
    port: int
    database: str

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"


def parseAddress(url: str) -> PostgresAddress:
    """
    Read a C{postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DBNAME[?...]} URL.

    @raise ValueError: saying what is wrong, in a few words.
    """
    if not isPostgresURL(url):
        raise ValueError("not a postgresql:// URL")
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORT
    except ValueError as error:
        raise ValueError(f"bad URL ({error})") from None
    host = parts.hostname
    if not host:
        raise ValueError("no host (postgresql://USER@HOST:PORT/DBNAME)")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise ValueError("no database name (postgresql://USER@HOST:PORT/DBNAME)")
    return PostgresAddress(url, host, port, database)


class PostgresUnusable(StoreError):
    """
    PostgreSQL cannot be used at start-up: it cannot be reached, or the
    database is not ours.  The message is one line naming where and why.
    """

    def __init__(self, address: PostgresAddress, reason: str, reach: bool) -> None:
        verb = "reach" if reach else "use"
        super().__init__(f"cannot {verb} PostgreSQL at {address}: {reason}")
        self.reason = reason
