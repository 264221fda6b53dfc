"""
Server operators: who they are, and what only they may do.

A server operator is the console's operator, an account named by
C{--oper}, or an account granted from the console (stored).  Server
operators act as operators in every room (L{twisted_chat.chat.moderation})
and may disconnect anyone (I{kill}), suspend an account, ban an address or
a range from the whole server, send a notice to everyone, and read the
audit log; a room's founder may read its room's part of the log.  Every
action is written to the audit log.
"""

import time
from collections.abc import Callable, Iterable

from twisted.internet.defer import Deferred

from twisted_chat.chat.audit import AuditTrail, kept
from twisted_chat.chat.errors import (
    BadArguments,
    BadMask,
    Banned,
    ListFull,
    NoSuchAccount,
    NotFounder,
    NotPermitted,
    NotServerOperator,
)
from twisted_chat.chat.events import Notice
from twisted_chat.chat.masks import inNetwork, parseMask
from twisted_chat.chat.members import NickRegistry
from twisted_chat.chat.model import Member
from twisted_chat.chat.modes import BAN, AuditEntry, Ban, Rank, activeBans
from twisted_chat.chat.names import fold
from twisted_chat.chat.orderevents import Announcement, AuditEnd, AuditLine, BanChanged
from twisted_chat.chat.participants import deliverTo, fanOut
from twisted_chat.chat.roombans import tellBans
from twisted_chat.chat.rooms import RoomDirectory
from twisted_chat.chat.textrules import because, checkText, cleanText
from twisted_chat.limits import AUDIT_PAGE_MAX, SERVER_BAN_MAX
from twisted_chat.store import IChatStore

Quit = Callable[[Member, str, str], None]


class ServerOperators:
    """
    The server operators, the server-wide bans, and what operators do.

    @param named: accounts (folded or not) that are server operators by
        configuration (C{--oper}).
    @param granted: accounts granted from the console, as stored.
    @param quit: takes a member off the server (L{Chat.quit}).
    """

    def __init__(
        self,
        store: IChatStore,
        nicks: NickRegistry,
        directory: RoomDirectory,
        now: Callable[[], int],
        quit: Quit,
        *,
        named: Iterable[str] = (),
        granted: Iterable[str] = (),
        bans: Iterable[Ban] = (),
    ) -> None:
        self._store = store
        self._nicks = nicks
        self._directory = directory
        self._now = now
        self._quit = quit
        self._trail = AuditTrail(store, now)
        self.configured = frozenset(fold(name) for name in named)
        self.granted = set(granted)
        self.bans = {ban.mask: ban for ban in bans}

    def isServerOperator(self, member: Member) -> bool:
        """Whether C{member} is the console's operator or an operator's account."""
        return member.privileged or (
            member.account is not None
            and (member.account in self.configured or member.account in self.granted)
        )

    def require(self, member: Member, doing: str) -> None:
        """@raise NotServerOperator: unless C{member} is a server operator."""
        if not self.isServerOperator(member):
            raise NotServerOperator(f"Only server operators may {doing}.")

    # Connections

    def checkAddress(self, address: str) -> None:
        """
        @raise Banned: if a server-wide ban covers C{address}, saying why
            and until when, so the person can tell who to ask.
        """
        if not self.bans:
            return
        now = self._now()
        for ban in list(self.bans.values()):
            if not ban.activeAt(now):
                self._lapse(ban)
            elif _covers(ban, address):
                until = "" if ban.expires is None else f" until {_when(ban.expires)}"
                why = f": {ban.reason}" if ban.reason else ""
                raise Banned(f"Your address is banned from this server{until}{why}.")

    # Actions

    def grant(self, actor: Member, account: str, granted: bool) -> None:
        """Make an account a server operator, or no longer; the console only."""
        if not actor.privileged:
            raise NotPermitted("Only the console's operator grants server operators.")
        folded = fold(account)
        if granted and not self._nicks.isRegistered(folded):
            # Else whoever registers the name first would be one.
            raise NoSuchAccount(f"There is no account {account}; it must exist first.")
        if granted:
            self.granted.add(folded)
        else:
            self.granted.discard(folded)
        kept(self._store.setServerOperator(folded, granted))
        deliverTo(
            actor,
            Notice(
                f"{account} is {'now' if granted else 'no longer'} a server operator."
            ),
        )
        self._audit(actor, "oper" if granted else "deoper", account)

    def kill(self, actor: Member, nick: str, reason: str) -> None:
        """Disconnect the member called C{nick}."""
        self.require(actor, "disconnect users")
        target = self._nicks.named(nick)
        if target.privileged:
            raise NotPermitted("The console's operator cannot be disconnected.")
        reason = cleanText(reason)
        self._audit(actor, "kill", target.nick, reason)
        self._quit(target, f"Killed by {actor.nick}{because(reason)}", "kicked")

    def suspend(
        self, actor: Member, account: str, suspended: bool, reason: str = ""
    ) -> Deferred[None]:
        """
        Suspend an account (it may not log in; its session ends) or lift
        the suspension.
        """
        self.require(actor, "suspend accounts")
        folded = fold(account)
        reason = cleanText(reason)

        def found(record: object) -> None:
            if record is None:
                raise NoSuchAccount(f"There is no account {account}.")
            kept(self._store.setSuspended(folded, suspended))
            action = "suspend" if suspended else "unsuspend"
            self._audit(actor, action, account, reason)
            deliverTo(actor, Notice(f"{account} is {action}ed."))
            holder = self._nicks.members.get(folded)
            if suspended and holder is not None and holder.account == folded:
                self._quit(holder, f"Account suspended{because(reason)}", "kicked")

        return self._store.account(folded).addCallback(found)

    def ban(
        self, actor: Member, maskText: str, duration: float | None, reason: str
    ) -> None:
        """
        Ban an address or range from the server; those connected from it
        are disconnected, and later connections from it refused.
        """
        self.require(actor, "ban addresses")
        mask = parseMask(maskText)
        if mask.network is None or mask.nick is not None:
            raise BadMask("A server ban names an address or a range: 10.0.0.0/8.")
        if mask.text not in self.bans and len(self.bans) >= SERVER_BAN_MAX:
            raise ListFull(f"{SERVER_BAN_MAX} server bans are kept; lift one first.")
        now = self._now()
        ban = Ban.made(mask.text, BAN, actor.nick, now, duration, cleanText(reason))
        self.bans[ban.mask] = ban
        kept(self._store.saveBan(None, ban))
        self._audit(actor, "server-ban", ban.mask, ban.reason)
        deliverTo(
            actor,
            BanChanged(
                "*", actor.nick, now, BAN, ban.mask, True, ban.expires, ban.reason
            ),
        )
        for member in list(self._nicks.members.values()):
            if not self.isServerOperator(member) and mask.matches(member):
                said = because(ban.reason)
                self._quit(member, f"Banned from the server{said}", "kicked")

    def unban(self, actor: Member, maskText: str) -> None:
        """Lift a server-wide ban."""
        self.require(actor, "lift server bans")
        mask = parseMask(maskText).text
        if self.bans.pop(mask, None) is None:
            raise BadArguments(f"There is no server ban on {mask}.")
        kept(self._store.removeBan(None, BAN, mask))
        self._audit(actor, "server-unban", mask)
        deliverTo(
            actor, BanChanged("*", actor.nick, self._now(), BAN, mask, False, None, "")
        )

    def activeBans(self, asker: Member) -> list[Ban]:
        """The server-wide bans that hold now, for a server operator."""
        self.require(asker, "see server bans")
        return activeBans(self.bans.values(), BAN, self._now(), self._lapse)

    def listBans(self, asker: Member) -> None:
        """Tell a server operator the server-wide bans."""
        tellBans(asker, "*", BAN, self.activeBans(asker))

    def operatorAccounts(self, asker: Member) -> list[str]:
        """The accounts that are server operators, for a server operator."""
        self.require(asker, "see the server operators")
        return sorted(self.configured | self.granted)

    def announce(self, actor: Member, text: str) -> None:
        """Send every member a notice from a server operator."""
        self.require(actor, "send notices to everyone")
        checkText(text)
        fanOut(
            Announcement(actor.nick, self._now(), text),
            list(self._nicks.members.values()),
        )
        self._audit(actor, "announce", "*", text)

    def auditLog(
        self, asker: Member, roomName: str | None, before: int | None, limit: int
    ) -> Deferred[None]:
        """
        Send C{asker} a page of the audit log, newest first: the whole
        server's to a server operator, a room's to its founder too.
        """
        if roomName is None:
            self.require(asker, "read the audit log")
        elif not self.isServerOperator(asker):
            room = self._directory.rooms.get(fold(roomName))
            if (
                room is None
                or asker.account is None
                or room.accountRanks.get(asker.account) != Rank.FOUNDER
            ):
                raise NotFounder(
                    f"Only the founder of {roomName} and server operators read its log."
                )
        limit = max(1, min(limit, AUDIT_PAGE_MAX))

        def show(entries: list[AuditEntry]) -> None:
            for entry in entries:
                deliverTo(
                    asker,
                    AuditLine(
                        entry.id, entry.time, entry.actor, entry.action,
                        entry.room or "*", entry.target, entry.reason,
                    ),
                )  # fmt: skip
            deliverTo(asker, AuditEnd(len(entries)))

        return self._store.auditLog(roomName, before, limit).addCallback(show)

    # Helpers

    def _lapse(self, ban: Ban) -> None:
        self.bans.pop(ban.mask, None)
        kept(self._store.removeBan(None, ban.kind, ban.mask))

    def _audit(self, actor: Member, action: str, target: str, reason: str = "") -> None:
        self._trail.record(actor, action, None, target, reason)


def _covers(ban: Ban, address: str) -> bool:
    network = parseMask(ban.mask).network
    return network is not None and inNetwork(address, network)


def _when(milliseconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(milliseconds / 1000))
