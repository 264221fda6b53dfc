"""
The bus's address, C{--bus redis://[[USER]:PASSWORD@]HOST:PORT[/DB]}, and a
node's name: read without the Redis client, so the options can be checked
where it is not installed.
"""

import re
from typing import Final
from urllib.parse import urlsplit

NODE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
"""What a node's name may be: it is written in every notice."""


class BadBusAddress(ValueError):
    """A C{--bus} address that is not C{redis://HOST:PORT[/DB]}."""


def parseBusAddress(url: str) -> tuple[str, int, int]:
    """
    The host, port and database number of C{redis://HOST:PORT[/DB]}.

    @raise BadBusAddress: if C{url} is not such an address.
    """
    parts = urlsplit(url)
    try:
        port = parts.port or 6379
        database = int(parts.path.strip("/") or "0")
    except ValueError:
        raise BadBusAddress(f"{url!r} is not redis://HOST:PORT[/DB]") from None
    if parts.scheme != "redis" or not parts.hostname or database < 0:
        raise BadBusAddress(f"{url!r} is not redis://HOST:PORT[/DB]")
    return parts.hostname, port, database


def busCredentials(url: str) -> tuple[str | None, str | None]:
    """The user name and password C{url} gives Redis, if any (Redis's AUTH)."""
    parts = urlsplit(url)
    return parts.username or None, parts.password
