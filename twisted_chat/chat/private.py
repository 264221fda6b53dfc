"""
Private messages: from one member to another, or to a registered nick
that is away, to wait in the store until its next login.

Waiting messages are bounded, in all and from each sender, so nobody can
fill the store by writing to an account that never logs in.  They are
counted before they are written, so that messages sent at the same instant
cannot all pass the bound, and given back if the write fails.
"""

from collections import Counter

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from twisted_chat.chat.durable import durable
from twisted_chat.chat.errors import NoSuchNick, TooManyWaiting
from twisted_chat.chat.events import Notice, PrivateMessage
from twisted_chat.chat.members import NickRegistry
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import fold
from twisted_chat.chat.participants import deliverTo, fanOut
from twisted_chat.chat.textrules import checkText, cleanStored
from twisted_chat.meters import METERS
from twisted_chat.store import IChatStore


class PrivateMessages:
    """
    Sends private messages, and keeps count of those waiting.
    """

    def __init__(
        self, store: IChatStore, nicks: NickRegistry, waiting: dict[str, dict[str, int]]
    ) -> None:
        self._store = store
        self._nicks = nicks
        # Private messages waiting (committed or being committed) for each
        # away recipient, by sender, all folded.
        self._waiting = {
            recipient: Counter(senders) for recipient, senders in waiting.items()
        }

    def send(
        self,
        member: Member,
        nick: str,
        text: str,
        now: int,
        bounds: tuple[int, int],
    ) -> Deferred[None]:
        """
        Commit a private message from C{member}, then deliver it to the
        member called C{nick}, and a copy to the sender; or, if C{nick} is
        registered but away, keep it waiting and tell the sender so.

        @param bounds: how many messages may wait for one away nick, and how
            many of those from one sender.
        @raise TooManyWaiting: if as many messages as may wait for C{nick}
            already do, from anyone or from this sender.
        """
        checkText(text)
        recipient = self._nicks.members.get(fold(nick))
        if recipient is None and not self._nicks.isRegistered(nick):
            raise NoSuchNick(f"Nobody is called {nick}.")
        message = PrivateMessage(
            member.nick,
            recipient.nick if recipient else nick,
            now,
            text,
            account=member.account,
        )

        def committed(_: object) -> None:
            METERS.stored["private"] += 1
            if recipient is None:
                deliverTo(member, message)
                deliverTo(
                    member,
                    Notice(f"{nick} is away; they will get it when they next log in."),
                )
            else:
                fanOut(message, list(dict.fromkeys([recipient, member])))

        held = None
        if recipient is None:
            held = self._holdWaiting(member.nick, nick, *bounds)
        stored = self._store.appendPrivate(message, recipient is not None)
        if held is not None:
            stored.addErrback(self._giveBackWaiting, *held)
        return durable(stored).addCallback(committed)

    def deliverWaiting(self, member: Member, account: str) -> Deferred[None]:
        """
        Send C{member} the private messages that waited for C{account} (a
        folded nick), and stop counting them.
        """

        def deliver(messages: list[PrivateMessage]) -> None:
            for message in messages:
                deliverTo(member, cleanStored(message))

        self._waiting.pop(account, None)
        return durable(self._store.takePendingPrivate(account)).addCallback(deliver)

    def _holdWaiting(
        self, sender: str, recipient: str, inAll: int, perSender: int
    ) -> tuple[Counter[str], str]:
        """
        Count one more private message waiting for C{recipient}, or refuse
        it; return where it was counted, to give the place back if it is not
        stored after all.
        """
        senders = self._waiting.setdefault(fold(recipient), Counter())
        if senders.total() >= inAll:
            raise TooManyWaiting(
                f"{recipient} already has {senders.total()} messages waiting;"
                " this one was not stored."
            )
        key = fold(sender)
        if senders[key] >= perSender:
            raise TooManyWaiting(
                f"You already have {senders[key]} messages waiting for"
                f" {recipient}; this one was not stored."
            )
        senders[key] += 1
        return senders, key

    @staticmethod
    def _giveBackWaiting(failure: Failure, senders: Counter[str], key: str) -> Failure:
        """A waiting message was not stored: its place is free again."""
        senders[key] -= 1
        return failure
