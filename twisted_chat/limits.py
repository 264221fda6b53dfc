"""
Every limit the server and client enforce, as one named constant each.

Each constant here is the documented default; where an operator may change it
the twistd plugin has an option named in the constant's comment, and
docs/PROTOCOL.md lists them all.  Keeping them in one module means the
documentation test can check that none is left undocumented.
"""

from typing import Final

DEFAULT_PORT: Final = 7632
"""The seed's port, kept so the old habits still work."""

DEFAULT_LISTEN: Final = f"tcp:{DEFAULT_PORT}:interface=127.0.0.1"
"""Where C{twistd -n chat} listens when no C{--listen} is given."""

MAX_LINE_LENGTH: Final = 4096
"""
Longest client line the server accepts, in bytes without the line ending
(C{--max-line-length}).  Longer lines are refused with C{line-too-long} and
discarded; the connection goes on from the next line.
"""

MIN_LINE_LENGTH_SETTING: Final = 512
"""The smallest C{--max-line-length} the server allows, so commands still fit."""

CLIENT_MAX_LINE_LENGTH: Final = 65536
"""
Longest server line the client accepts, in bytes.  A server line carries a
client's text plus a header, and a C{MEMBERS} line carries a whole room's nicks.
"""

NICK_MAX_LENGTH: Final = 30
"""Longest nick, in characters (IRC's NICKLEN)."""

ROOM_NAME_MAX_LENGTH: Final = 50
"""Longest room name, in characters, the leading C{#} included (CHANNELLEN)."""

TOPIC_MAX_LENGTH: Final = 300
"""Longest room topic, in characters (TOPICLEN)."""

LOBBY: Final = "#lobby"
"""The room every new connection joins; it always exists."""

ROOM_HISTORY_CAP: Final = 100_000
"""Messages kept per room (C{--room-history-cap}); older ones are deleted."""

HISTORY_ON_JOIN: Final = 50
"""Messages replayed to someone joining a room (C{--history-on-join})."""

HISTORY_PAGE_DEFAULT: Final = 50
HISTORY_PAGE_MAX: Final = 500
"""How many messages C{/history} gives unless told, and at most."""

RESUME_LIMIT: Final = 1000
"""
Most messages one C{/resume} replays; older missing ones are announced as a
gap, to be paged back with C{/history}.
"""

PASSWORD_MIN_LENGTH: Final = 8
PASSWORD_MAX_LENGTH: Final = 128
"""Password lengths, in characters; a password has no spaces."""

LOGIN_FAILURES_PER_ACCOUNT: Final = 5
LOGIN_FAILURES_PER_ADDRESS: Final = 20
LOGIN_FAILURE_WINDOW: Final = 15 * 60.0
"""
Failed logins allowed, per account and per address, in any window of this
many seconds; past that, logins are refused until the oldest failure ages out.
"""

PASSWORD_HASH_THREADS: Final = 2
"""Threads hashing passwords (argon2id, about 64 MiB and 0.1 s each)."""
