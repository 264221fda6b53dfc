"""
Every limit the server and client enforce, as one named constant each.

Each constant here is the documented default; where an operator may change it
the twistd plugin has an option named in the constant's comment, and
docs/PROTOCOL.md lists them all.  Keeping them in one module means the
documentation test can check that none is left undocumented.
"""

from dataclasses import dataclass
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

ARRIVAL_GRACE: Final = 0.5
"""
Seconds a new line-protocol connection has, after its welcome, to take its
nick and name its rooms before it is put in the lobby (see
L{twisted_chat.frontends.commands.arrival}).
"""

ARRIVAL_AFTER_LOGIN: Final = 5.0
"""
Seconds a new line-protocol connection that has just logged in (while
arriving, or where login is required) has to name its rooms before it is
put in the lobby: its client sends them once it sees the login accepted, a
round trip later.
"""

ROOM_HISTORY_CAP: Final = 0
"""
Messages kept per room (C{--room-history-cap}); 0, the default, keeps them
all.  Nothing said is deleted unless an operator turns retention on, by
count here or by age with C{--retention-days}.
"""

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

MAX_WAITING_PRIVATE: Final = 100
MAX_WAITING_PER_SENDER: Final = 10
"""
Private messages that may wait for one registered nick who is away
(C{--max-waiting-private}), and of those, from one sender
(C{--max-waiting-per-sender}); past either, a message is refused and not
stored.  They bound what anyone can make the server keep for someone else.
"""

PASSWORD_MIN_LENGTH: Final = 8
PASSWORD_MAX_LENGTH: Final = 128
"""Password lengths, in characters; a password has no spaces."""

CERTIFICATES_PER_ACCOUNT_MAX: Final = 8
"""
Client certificates one account may register for SASL EXTERNAL: enough for
each of a person's devices, few enough that a list of them stays short.
"""

# Logins (see L{twisted_chat.chat.loginthrottle.LoginThrottle} for why they are so).

LOGIN_FAILURE_WINDOW: Final = 15 * 60.0
"""Seconds a login attempt is remembered by the throttle."""

LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: Final = 5
LOGIN_FAILURES_PER_ADDRESS: Final = 20
"""
Login attempts allowed for one account from one address, and from one
address whatever the account, in any L{LOGIN_FAILURE_WINDOW}.  An attempt
counts from the moment it starts, and only a right password gives its place
back; past either limit that address is refused without a check until its
oldest attempt ages out.
"""

LOGIN_PAUSE_FIRST: Final = 1.0
LOGIN_PAUSE_MAX: Final = LOGIN_FAILURE_WINDOW
"""
Once an account has more failed logins in the window, from all addresses
together, than one address may make, an address that has itself failed on it
waits this long after each of its failures, doubling with every further
failure on the account up to the maximum.  Addresses that have not failed on
the account are never made to wait, so an attack cannot lock its owner out.
"""

LOGIN_THROTTLE_ATTEMPTS: Final = 100_000
"""
Login attempts the throttle remembers at most; past it the oldest are
forgotten first, so that varying nicks and addresses cannot grow its memory.
"""

PASSWORD_HASH_THREADS: Final = 2
"""Threads hashing passwords (argon2id, about 64 MiB and 0.1 s each)."""

# Flood control, per connection (C{--flood-burst}, C{--flood-rate}).

FLOOD_BURST: Final = 5
FLOOD_RATE: Final = 2.0
"""
Lines a connection may send at once, then per second (a token bucket, as
ngIRCd and Solanum do).  Lines beyond it are not dropped: the server stops
reading that connection until the next token is due.  A rate of 0 turns
flood control off.
"""

FLOOD_ARRIVAL_BURST: Final = 20
FLOOD_ARRIVAL_SECONDS: Final = 10.0
"""
Lines a new connection may send at once in its first seconds, before flood
control holds it to the burst and rate above (C{--flood-arrival-burst}): an
IRC client's registration, its joins and the queries that follow them
(irssi and WeeChat send a dozen lines in their first second), or a
C{twisted-chat} client's nick, login and rooms, go through without delay,
as ergo's fakelag allows.  What is left of it is gone after that many
seconds; it never refills.
"""

MAX_QUEUED_LINES: Final = 20
MAX_QUEUED_BYTES: Final = 8192
"""
Input a connection may have waiting, read but not yet carried out
(C{--max-queued-lines}, C{--max-queued-bytes}); past either the connection
is closed with C{BYE flood}.
"""

# Slow consumers (C{--send-queue}, C{--send-queue-timeout}).

SEND_QUEUE_BYTES: Final = 96 * 1024
"""
Output a connection may have waiting for a client that does not read; past
it the client stops being sent room messages, and is sent a C{GAP} for them
once it catches up.
"""

SEND_QUEUE_TIMEOUT: Final = 60.0
"""Seconds a client may stay behind before it is disconnected."""

SEND_BUFFER_BYTES: Final = 64 * 1024
"""
The kernel's send buffer asked for each client's socket (C{--send-buffer};
C{SO_SNDBUF}, which Linux doubles for its own bookkeeping).  Left to itself
the kernel lets one socket hold up to several MiB for a client that does not
read, before the server's send queue even notices.
"""

# Connections (C{--max-connections}, C{--max-per-address},
# C{--new-per-address}, C{--limit-loopback}).

MAX_CONNECTIONS: Final = 1024
"""Connections at once, or the file-descriptor limit less L{FD_MARGIN}."""

FD_MARGIN: Final = 64
"""File descriptors kept for the store, the log and listening sockets."""

MAX_PER_ADDRESS: Final = 16
"""Connections at once from one address (one /64 for IPv6)."""

NEW_PER_ADDRESS: Final = 32
NEW_PER_ADDRESS_WINDOW: Final = 600.0
"""New connections from one address (one /64) in any window of this many seconds."""

# Timeouts (C{--login-timeout}, C{--ping-after}, C{--idle-timeout}).

LOGIN_TIMEOUT: Final = 30.0
"""Seconds to log in when the server requires it."""

PING_AFTER: Final = 90.0
IDLE_TIMEOUT: Final = 150.0
"""
Seconds of silence from a client after which it is sent C{PING}, and after
which it is disconnected.
"""

HANDSHAKE_TIMEOUT: Final = 30.0
"""Seconds a TLS client has to complete its handshake."""

# Bounded state and replies.

MAX_ROOMS_PER_MEMBER: Final = 20
"""Rooms one member may be in at once (C{--max-rooms})."""

ROOM_LIST_MAX: Final = 500
"""Rooms one C{/rooms} answer lists; the end line counts them all."""

BAN_LIST_MAX: Final = 100
"""Bans and mutes one room keeps (ergo's and InspIRCd's lists are as long)."""

SERVER_BAN_MAX: Final = 1000
"""Server-wide address bans kept."""

WHOWAS_MAX: Final = 200
"""Nicks left behind (by quitting or renaming) that IRC's C{WHOWAS} remembers."""

AUDIT_PAGE_MAX: Final = 100
"""Audit entries one C{/audit} answer lists."""

BAN_DURATION_MAX: Final = 3650 * 24 * 3600
"""
Seconds a ban, mute or server ban may be set for (ten years); longer is for
good, which is what leaving the duration out means.
"""


@dataclass(frozen=True)
class ConnectionRules:
    """
    The limits each client connection is held to, whatever protocol it
    speaks; the defaults are the constants above.  A rate, size or time of
    0 turns that limit off (the benchmarks do).
    """

    floodBurst: int = FLOOD_BURST
    floodRate: float = FLOOD_RATE
    floodArrivalBurst: int = FLOOD_ARRIVAL_BURST
    maxQueuedLines: int = MAX_QUEUED_LINES
    maxQueuedBytes: int = MAX_QUEUED_BYTES
    sendQueueBytes: int = SEND_QUEUE_BYTES
    sendQueueTimeout: float = SEND_QUEUE_TIMEOUT
    sendBufferBytes: int = SEND_BUFFER_BYTES
    loginTimeout: float = LOGIN_TIMEOUT
    pingAfter: float = PING_AFTER
    idleTimeout: float = IDLE_TIMEOUT
    handshakeTimeout: float = HANDSHAKE_TIMEOUT


DEFAULT_RULES: Final = ConnectionRules()
"""The documented defaults."""

UNLIMITED: Final = ConnectionRules(
    floodRate=0,
    maxQueuedLines=0,
    maxQueuedBytes=0,
    sendQueueBytes=0,
    sendQueueTimeout=0,
    sendBufferBytes=0,
    loginTimeout=0,
    pingAfter=0,
    idleTimeout=0,
    handshakeTimeout=0,
)
"""No per-connection limits at all: for tests of other things, and benchmarks."""
