"""
Where the chat keeps what must outlive a connection or a restart: room
messages and their sequence numbers, topics, private messages, accounts.

L{IChatStore} is what the chat core asks of a store.  Three stores provide
it: L{twisted_chat.store.sqlite.SQLiteStore}, the durable one in a file,
L{twisted_chat.store.postgres.PostgresStore}, the durable one several
servers can share, and L{twisted_chat.store.memory.MemoryStore}, which
forgets everything at exit (for C{--db :memory:}, benchmarks and tests).

Every operation is queued in order, and each result is given in that order:
a read sees exactly the writes asked for before it and none asked for after.
The core relies on this to replay history without gaps or duplicates.  A
write's Deferred fires once the write is committed, so the core can deliver
only what is durable.

A room's kept messages are numbered without holes, in one of two ways.
One server alone numbers them itself (L{IChatStore.appendMessage}): a message
whose number does not follow the last one kept in its room is refused
(L{OutOfSequence}); when a commit fails, the messages queued after it with
the next numbers are refused too, and the core gives those numbers out
again.  Several servers writing to one room let the store number them
(L{IChatStore.appendNumbered}), inside the transaction that keeps them, so
no two servers ever give out one number.

A store logs its own failures, without flooding the log on a full disk (see
L{twisted_chat.store.failures}); the core only tells the member.
"""

from dataclasses import dataclass, field

from twisted.internet.defer import Deferred
from zope.interface import Interface

from twisted_chat.chat.events import PrivateMessage, RoomMessage, TopicInfo
from twisted_chat.chat.modes import AuditEntry, Ban, Rank, RoomSettings


class StoreError(Exception):
    """The store could not do what was asked (a full disk, a broken file)."""


class OutOfSequence(StoreError):
    """
    A room message was refused because its number does not follow the last
    one kept in its room: an earlier one was not kept, and its number must
    be given out again, or the room's history would have a hole.

    @ivar lastKept: the number of the room's last kept message.
    """

    def __init__(self, room: str, sequence: int, lastKept: int) -> None:
        super().__init__(
            f"message {sequence} of {room} does not follow the last kept, {lastKept}"
        )
        self.lastKept = lastKept


@dataclass(frozen=True, slots=True)
class StoredRoom:
    """
    What the store remembers of a room between restarts.

    @ivar lastSequence: the sequence number of the room's last committed
        message; the next one gets this plus one.
    @ivar settings: how the room is run, as last saved.
    @ivar ranks: the ranks held by accounts (folded nicks) in the room,
        founder included; members hold no stored rank.
    @ivar bans: the room's bans and mutes, expired ones included (the core
        drops those).
    @ivar created: when the room's row was first written, in milliseconds
        since the epoch (IRC's 329).
    """

    name: str
    lastSequence: int
    topic: TopicInfo
    settings: RoomSettings = field(default_factory=RoomSettings)
    ranks: dict[str, Rank] = field(default_factory=dict)
    bans: tuple[Ban, ...] = ()
    created: int = 0


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """
    A registered nick and its password hash (an argon2 string).

    @ivar suspended: a server operator suspended it: it may not log in.
    """

    nick: str
    passwordHash: str
    created: int
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class StoredState:
    """
    What the chat core needs at start-up: the rooms that have a history
    or moderation state, the registered nicks (folded), how many private
    messages wait for each recipient from each sender (both folded), the
    server-wide bans, and the accounts (folded) granted server operator.
    """

    rooms: list[StoredRoom] = field(default_factory=list)
    registeredNicks: set[str] = field(default_factory=set)
    waitingPrivate: dict[str, dict[str, int]] = field(default_factory=dict)
    serverBans: tuple[Ban, ...] = ()
    serverOperators: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Activity:
    """
    A conversation with messages in a span of time (IRC's C{CHATHISTORY
    TARGETS}).

    @ivar target: a room's name, or the other party's nick as last spelled.
    @ivar latest: when its latest message in the span was said, in
        milliseconds since the epoch.
    """

    target: str
    latest: int


class IChatStore(Interface):
    """
    The chat's durable memory.  Operations are carried out in the order they
    are asked for; each returns a Deferred that fires in that order.
    """

    def load() -> StoredState:
        """
        Return what the core needs at start-up.  Called once, before the
        reactor runs; it may block.
        """

    def appendMessage(message: RoomMessage) -> Deferred[None]:
        """
        Commit a room message; fires once it is durable.  Fails with
        L{OutOfSequence} unless its number follows the last kept in its room.
        """

    def appendNumbered(message: RoomMessage) -> Deferred[int]:
        """
        Commit a room message, numbered by the store: it gets the room's next
        number (C{message.sequence} is ignored) inside the transaction that
        keeps it; fires with that number once durable.

        This is for several servers writing to one room through one database:
        a number the core chose could be chosen by another server too, a
        number given inside the committing transaction cannot.  When it fires
        with S, the room's message S - 1 is committed too (visible to every
        other reader), so whoever hears of S may read everything before it.
        A failed commit fails it with L{StoreError}, and gives no number out:
        the next message kept gets it.  Numbered messages asked for together
        are numbered in the order they were asked for, after any
        L{appendMessage} asked for before them.
        """

    def saveTopic(topic: TopicInfo) -> Deferred[None]:
        """
        Commit a room's new topic.
        """

    def messagesBetween(
        room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        """
        Return the newest C{limit} stored messages of C{room} with
        C{after < sequence <= through}, oldest first, marked as history.
        """

    def messagesFrom(
        room: str, after: int, through: int, limit: int
    ) -> Deferred[list[RoomMessage]]:
        """
        Return the oldest C{limit} stored messages of C{room} with
        C{after < sequence <= through}, oldest first, marked as history.
        """

    def sequenceBefore(room: str, time: int) -> Deferred[int]:
        """
        Return the number of the last stored message of C{room} said before
        C{time} (milliseconds since the epoch), or 0: where a time falls in
        the room's numbering, numbers and times rising together.
        """

    def privateBetween(
        nick: str, other: str, after: int, before: int, limit: int, newest: bool
    ) -> Deferred[list[PrivateMessage]]:
        """
        Return the stored private messages between two folded nicks, either
        way, said with C{after < time < before}: the newest C{limit} of them
        if C{newest}, else the oldest; oldest first.
        """

    def activeConversations(
        nick: str | None, rooms: list[str], after: int, before: int, limit: int
    ) -> Deferred[list[Activity]]:
        """
        Return the conversations with messages said with C{after < time <
        before}: those of C{rooms}, and the private ones of the folded
        C{nick} (none if L{None}); the C{limit} most recently active, least
        recent first.
        """

    def appendPrivate(message: PrivateMessage, delivered: bool) -> Deferred[None]:
        """
        Commit a private message; an undelivered one waits for
        L{takePendingPrivate}.
        """

    def takePendingPrivate(recipient: str) -> Deferred[list[PrivateMessage]]:
        """
        Return the private messages waiting for C{recipient} (a folded nick),
        oldest first and marked as offline, and mark them delivered.
        """

    def account(nick: str) -> Deferred[AccountRecord | None]:
        """
        Return the account of a folded nick, or L{None}.
        """

    def createAccount(account: AccountRecord) -> Deferred[None]:
        """
        Commit a new account.
        """

    def setPasswordHash(nick: str, passwordHash: str) -> Deferred[None]:
        """
        Commit a new password hash for the account of a folded nick.
        """

    def setSuspended(nick: str, suspended: bool) -> Deferred[None]:
        """
        Commit whether the account of a folded nick is suspended.
        """

    def accountOfCertificate(fingerprint: str) -> Deferred[AccountRecord | None]:
        """
        Return the account that registered a client certificate, by its
        fingerprint (the lower-case hex SHA-256 of its DER form), or L{None}.
        """

    def certificates(nick: str) -> Deferred[list[str]]:
        """
        Return the fingerprints the account of a folded nick registered, in
        the order they were added.
        """

    def addCertificate(nick: str, fingerprint: str) -> Deferred[None]:
        """
        Commit a fingerprint for the account of a folded nick; one already
        registered (by any account) is left as it is.
        """

    def removeCertificate(nick: str, fingerprint: str) -> Deferred[None]:
        """
        Forget a fingerprint of the account of a folded nick; nothing
        happens if it has none such.
        """

    def saveRoomSettings(room: str, settings: RoomSettings) -> Deferred[None]:
        """
        Commit a room's settings (the room's row is made if it has none).
        """

    def saveRank(room: str, account: str, rank: Rank) -> Deferred[None]:
        """
        Commit the rank an account (a folded nick) holds in a room;
        L{Rank.MEMBER} forgets it.
        """

    def saveBan(room: str | None, ban: Ban) -> Deferred[None]:
        """
        Commit a ban or mute of a room, or server-wide if C{room} is
        L{None}; it replaces one of the same kind and mask.
        """

    def removeBan(room: str | None, kind: str, mask: str) -> Deferred[None]:
        """
        Forget a ban or mute of a room, or server-wide if C{room} is
        L{None}; nothing happens if there is none.
        """

    def setServerOperator(account: str, granted: bool) -> Deferred[None]:
        """
        Commit whether an account (a folded nick) is a server operator.
        """

    def forgetRoomModeration(room: str) -> Deferred[None]:
        """
        Put a room's settings back to the defaults and forget its ranks and
        bans (an unfounded room left empty starts afresh).
        """

    def appendAudit(entry: AuditEntry) -> Deferred[None]:
        """
        Commit an entry of the audit log; the store numbers it.
        """

    def auditLog(
        room: str | None, before: int | None, limit: int
    ) -> Deferred[list[AuditEntry]]:
        """
        Return the newest C{limit} audit entries numbered below C{before}
        (or the newest of all), of one room (by name, any case) or of the
        whole server if C{room} is L{None}, newest first, with their ids.
        """

    def prune(olderThan: int | None, perRoomCap: int | None) -> Deferred[int]:
        """
        Delete messages and audit entries older than C{olderThan}
        (milliseconds since the epoch) and all but the newest C{perRoomCap}
        messages of each room; return how many messages were deleted.
        Sequence numbers are never reused.
        """

    def size() -> Deferred[int]:
        """
        Return the bytes the store takes: the database's pages and its
        write-ahead log, or nothing held in memory.
        """

    def close() -> Deferred[None]:
        """
        Finish what was asked and release the store.
        """

    def abandon() -> None:
        """
        The server failed to start: remove what L{load} made (a new, empty
        database file), so the failed start leaves nothing behind.
        """
