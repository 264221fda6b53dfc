"""
The Redis bus: how a node tells the others "room R has reached sequence S"
after a commit, and hears the same from them, through Redis pub/sub with
C{txredisapi}.

This is Synapse's model: the database is the truth and the order; Redis
only says that something new happened.  A notice carries the event itself
when it is small (L{FAST_PATH_LIMIT}), so the common case needs no database
read; otherwise, or when a notice was missed, the receiving node reads the
range from the database (L{twisted_chat.cluster.cursor} says when).  Redis
keeps nothing: a node that was away from it cannot know what it missed, so
the bus tells its listener L{IBusListener.reconnected} every time its
subscriptions are in place again, and the node catches up from the database.

Two connections per node, as Redis requires: one that publishes, one that
is subscribed to the rooms this node has local members in.  Each is
re-established with a growing delay while the bus runs
(L{twisted_chat.cluster.link}); the bus logs one
line when Redis goes away and one when it is back, never one per attempt.
A notice that could not be published while Redis was away is not lost
either: the last sequence of each such room is published (without its
event) once the publishing connection is back, so the others read from the
database what they could not be told.

The bus is not yet wired into the chat core's delivery (issue 17).
"""

from collections.abc import Callable
from typing import Any, Final

import txredisapi
from twisted.internet.defer import Deferred, succeed
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.interfaces import (
    IReactorTime,
    IStreamClientEndpoint,
)
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import Interface

from twisted_chat.cluster.address import busCredentials, parseBusAddress
from twisted_chat.cluster.link import Link, LinkFactory
from twisted_chat.cluster.notice import (
    MalformedNotice,
    Notice,
    decodeNotice,
    encodeNotice,
)

FAST_PATH_LIMIT: Final = 4096
"""
Largest event, in bytes as the core encoded it, that a notice carries;
a larger one is read from the database by the receivers.
"""

CONNECT_TIMEOUT: Final = 5
"""Seconds a connection attempt to Redis may take."""


def _text(channel: object) -> str:
    """A channel's name, as txredisapi gives it (text or bytes)."""
    if isinstance(channel, bytes):
        return channel.decode("utf-8", "replace")
    return str(channel)


class IPresenceListener(Interface):
    """What the bus tells the node's roster of other nodes' members."""

    def heard(data: bytes | str) -> None:
        """Another node (or this one: the roster tells) published C{data}."""

    def reconnected() -> None:
        """
        The bus is subscribed (again): announcements made before now may
        have been missed, so exchange everything with the other nodes.
        """


class IBusListener(Interface):
    """What the bus tells the node (the chat core's side implements it)."""

    def roomAdvanced(room: str, sequence: int, payload: bytes | None) -> None:
        """
        Another node says C{room} reached C{sequence}, with the event if it
        was small enough (else L{None}: read it from the database).  The
        notice may be a duplicate, late, or follow a missed one: see
        L{twisted_chat.cluster.cursor.RoomCursor}.
        """

    def reconnected() -> None:
        """
        The subscriptions are in place (again): notices published before
        now may have been missed, so read every subscribed room's new events
        from the database.
        """


class _Subscriber(txredisapi.SubscriberProtocol):  # type: ignore[misc]
    """The subscribed connection, handing every message to the bus."""

    def __init__(
        self,
        received: Callable[[object, bytes | str], None],
        dbid: int,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        super().__init__(dbid=dbid or None, username=username, password=password)
        self._received = received

    def messageReceived(self, pattern: object, channel: object, message: Any) -> None:
        self._received(channel, message)


class RedisBus:
    """
    A node's notices to and from the other nodes, through one Redis.

    @ivar listener: told what the other nodes publish (set it before
        L{start}).
    """

    log = Logger()

    def __init__(
        self,
        clock: IReactorTime,
        endpoint: IStreamClientEndpoint,
        nodeName: str,
        listener: IBusListener,
        *,
        database: int = 0,
        fastPathLimit: int = FAST_PATH_LIMIT,
        description: str = "Redis",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.nodeName = nodeName
        self.listener = listener
        self._fastPathLimit = fastPathLimit
        self._description = description
        self._prefix = f"twisted_chat:{database}:room:"
        self._clusterChannel = f"twisted_chat:{database}:cluster"
        self.presence: IPresenceListener | None = None
        self._rooms: dict[str, list[Deferred[None]]] = {}
        self._unsent: dict[str, int] = {}
        self._state = "starting"
        self._malformed = 0
        self._refusalSaid = False
        self._publisher = Link(
            clock,
            endpoint,
            LinkFactory(
                clock,
                lambda: txredisapi.RedisProtocol(
                    dbid=database or None, username=username, password=password
                ),
                self._linkRefused,
            ),
            self._publisherReady,
            self._linkDown,
        )
        self._subscriber = Link(
            clock,
            endpoint,
            LinkFactory(
                clock,
                lambda: _Subscriber(self._received, database, username, password),
                self._linkRefused,
            ),
            self._subscriberReady,
            self._linkDown,
        )

    @classmethod
    def fromAddress(
        cls, reactor: Any, url: str, nodeName: str, listener: IBusListener
    ) -> "RedisBus":
        """
        The bus for C{--bus redis://[[USER]:PASSWORD@]HOST:PORT[/DB]}.  The
        password, if any, is given to Redis (AUTH) on every connection.  The database number
        separates clusters sharing one Redis (pub/sub channels are not per
        database, so it is part of each channel's name).

        @param reactor: provides C{IReactorTCP} and C{IReactorTime}.
        @raise BadBusAddress: if C{url} is not such an address.
        """
        host, port, database = parseBusAddress(url)
        username, password = busCredentials(url)
        endpoint = TCP4ClientEndpoint(reactor, host, port, timeout=CONNECT_TIMEOUT)
        return cls(
            reactor,
            endpoint,
            nodeName,
            listener,
            database=database,
            description=f"Redis at {host}:{port}",
            username=username,
            password=password,
        )

    # Running

    def start(self) -> None:
        """Connect both connections, and keep them connected until L{stop}."""
        self._publisher.start()
        self._subscriber.start()

    def stop(self) -> Deferred[None]:
        """Close both connections; fires once they are closed."""
        self._state = "stopped"
        closing = [self._publisher.stop(), self._subscriber.stop()]
        done: Deferred[None] = closing[0]
        done.addCallback(lambda _: closing[1])
        return done

    @property
    def connected(self) -> bool:
        """Whether both connections are usable now."""
        return (
            self._publisher.protocol is not None
            and self._subscriber.protocol is not None
        )

    def _linkDown(self) -> None:
        if self._state in ("up", "starting"):
            self._state = "down"
            self.log.warn(
                "The bus cannot reach {redis}: serving this node's own members"
                " only, trying again until it is back",
                redis=self._description,
            )

    def _linkRefused(self, why: str) -> None:
        if not self._refusalSaid:
            self._refusalSaid = True
            self.log.error(
                "{redis} refused the bus's connection: {why}",
                redis=self._description,
                why=why,
            )

    def _linkUp(self) -> None:
        if self.connected and self._state != "up":
            self._refusalSaid = False
            word = "back" if self._state == "down" else "connected"
            self._state = "up"
            self.log.info(
                "The bus is {word}: {redis}", word=word, redis=self._description
            )

    # Publishing

    def _channel(self, room: str) -> str:
        return self._prefix + room

    def publishRoom(self, room: str, sequence: int, payload: bytes | None) -> None:
        """
        Tell the other nodes that C{room} reached C{sequence}, after the
        commit that gave it that number; C{payload} is the event as the core
        encoded it, sent along only if within the fast-path limit.  While
        Redis is away the room's last sequence is kept and published (without
        its event) when it is back.
        """
        if payload is not None and len(payload) > self._fastPathLimit:
            payload = None
        protocol = self._publisher.protocol
        if protocol is None:
            self._remember(room, sequence)
            return
        self._send(protocol, Notice(self.nodeName, room, sequence, payload))

    def _remember(self, room: str, sequence: int) -> None:
        self._unsent[room] = max(sequence, self._unsent.get(room, 0))

    def _send(self, protocol: Any, notice: Notice) -> None:
        sent: Deferred[object] = protocol.publish(
            self._channel(notice.room), encodeNotice(notice)
        )

        def failed(reason: Failure) -> None:
            self._remember(notice.room, notice.sequence)

        sent.addErrback(failed)

    def _publisherReady(self, protocol: Any) -> None:
        unsent, self._unsent = self._unsent, {}
        for room, sequence in unsent.items():
            self._send(protocol, Notice(self.nodeName, room, sequence, None))
        self._linkUp()
        if self.presence is not None and self._subscriber.protocol is not None:
            # What this node announced while it could not publish is lost:
            # it says everything again (when the subscriber comes back
            # second, it does so then).
            self.presence.reconnected()

    # Subscribing

    def subscribe(self, room: str) -> Deferred[None]:
        """
        Hear the notices of C{room} (a room with local members).  Fires once
        Redis has confirmed the subscription, on this connection or, if Redis
        is away, on the next one.
        """
        confirmed: Deferred[None] = Deferred()
        waiting = self._rooms.get(room)
        if waiting is None:
            self._rooms[room] = [confirmed]
            protocol = self._subscriber.protocol
            if protocol is not None:
                self._subscribeOn(protocol, [room])
        elif waiting:
            waiting.append(confirmed)
        else:
            confirmed.callback(None)
        return confirmed

    def unsubscribe(self, room: str) -> Deferred[None]:
        """
        Stop hearing C{room}'s notices (its last local member left): none is
        handed to the listener from now on.  Fires once Redis has confirmed
        it (at once if Redis is away: a new connection will not subscribe).
        """
        protocol = self._subscriber.protocol
        if self._rooms.pop(room, None) is None or protocol is None:
            return succeed(None)
        confirmed: Deferred[object] = protocol.unsubscribe([self._channel(room)])
        confirmed.addCallback(lambda _: None)
        confirmed.addErrback(lambda _: None)  # lost: the next one is not subscribed
        return confirmed  # type: ignore[return-value]

    @property
    def rooms(self) -> frozenset[str]:
        """The rooms subscribed to."""
        return frozenset(self._rooms)

    def _subscribeOn(
        self, protocol: Any, rooms: list[str], cluster: bool = False
    ) -> Deferred[None]:
        channels = [self._channel(room) for room in rooms]
        if cluster:
            channels.append(self._clusterChannel)
        subscribed: Deferred[object] = protocol.subscribe(channels)

        def confirmed(_: object) -> None:
            for room in rooms:
                waiting = self._rooms.get(room)
                if waiting:
                    self._rooms[room] = []
                    for d in waiting:
                        d.callback(None)

        subscribed.addCallback(confirmed)
        subscribed.addErrback(lambda _: None)  # lost: the next connection subscribes
        return subscribed  # type: ignore[return-value]

    def _subscriberReady(self, protocol: Any) -> None:
        def subscribed(_: object) -> None:
            if self._subscriber.protocol is protocol:
                self._linkUp()
                self.listener.reconnected()
                if self.presence is not None:
                    self.presence.reconnected()

        rooms = list(self._rooms)
        cluster = self.presence is not None
        if rooms or cluster:
            self._subscribeOn(protocol, rooms, cluster).addCallback(subscribed)
        else:
            subscribed(None)

    # Presence

    def publishPresence(self, data: bytes) -> None:
        """
        Tell every other node what C{data} says of this node's members; it
        is dropped while Redis is away (the nodes exchange everything they
        know once it is back: L{IPresenceListener.reconnected}).
        """
        protocol = self._publisher.protocol
        if protocol is not None:
            sent: Deferred[object] = protocol.publish(self._clusterChannel, data)
            sent.addErrback(lambda _: None)

    def _received(self, channel: object, message: bytes | str) -> None:
        """
        Hand a message to the listener it is for.  A bug there is logged and
        the message dropped: raised into txredisapi, it would close the
        connection and every node would resynchronise with this one.
        """
        try:
            self._dispatch(channel, message)
        except Exception:
            self.log.failure("Handling a message from the bus failed")

    def _dispatch(self, channel: object, message: bytes | str) -> None:
        if self.presence is not None and _text(channel) == self._clusterChannel:
            self.presence.heard(message)
            return
        try:
            notice = decodeNotice(message)
        except MalformedNotice as e:
            self._malformed += 1
            if self._malformed == 1:
                self.log.warn(
                    "Ignoring a malformed notice on the bus ({why}); later ones"
                    " are ignored without a word",
                    why=str(e),
                )
            return
        if notice.node == self.nodeName or notice.room not in self._rooms:
            return
        self.listener.roomAdvanced(notice.room, notice.sequence, notice.payload)
