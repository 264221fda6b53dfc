"""
Who is here under which nick: the present members by nick, the nicks that
have an account, and the rules for taking a nick.

A nick names one present member at a time, and a registered nick only the
member logged in to its account; a newcomer who names none gets a free
guest nick.  Nicks compare folded (L{twisted_chat.chat.names.fold}), so the
registry is keyed by the folded nick while a member keeps its own spelling.
"""

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from twisted_chat.chat.errors import NickInUse, NickRegistered, NoSuchNick
from twisted_chat.chat.events import NickChanged
from twisted_chat.chat.model import Member, audienceOf
from twisted_chat.chat.names import GUEST_PREFIX, checkNick, fold
from twisted_chat.chat.participants import IParticipant, fanOut
from twisted_chat.chat.watch import Watchers

if TYPE_CHECKING:
    from twisted_chat.chat.presence import IPresence


class NickRegistry:
    """
    The present members by nick, and the registered nicks.

    @ivar members: every present member, by folded nick.
    @ivar registered: the folded nicks that have an account.
    @ivar watchers: who watches which nick, told here as nicks come and go.
    """

    def __init__(self, registered: Iterable[str], presence: "IPresence") -> None:
        self.members: dict[str, Member] = {}
        self._presence = presence
        self.registered = set(registered)
        self.watchers = Watchers()
        self._guestNumbers = itertools.count(1)

    def add(
        self,
        participant: IParticipant,
        nick: str | None,
        privileged: bool,
        address: str,
    ) -> Member:
        """
        Make a member for C{participant}, called C{nick} or a free guest nick.

        @raise twisted_chat.chat.errors.ChatError: if C{nick} may not be used.
        """
        if nick is None:
            nick = self.freeGuestNick()
        else:
            self.checkAvailable(nick, privileged, None)
        member = Member(nick, participant, privileged, address)
        self.members[fold(nick)] = member
        self.watchers.tell(nick, True)
        return member

    def named(self, nick: str) -> Member:
        """
        Find a present member by nick, or raise L{NoSuchNick}.
        """
        member = self.members.get(fold(nick))
        if member is None:
            raise NoSuchNick(f"Nobody is called {nick}.")
        return member

    def checkAvailable(self, nick: str, privileged: bool, account: str | None) -> None:
        """
        Refuse C{nick} unless it is valid, nobody present has it, and it is
        not registered to an account other than C{account}.

        @param privileged: true for the operator, who may use reserved nicks.
        """
        checkNick(nick, allowReserved=privileged)
        folded = fold(nick)
        if folded in self.members:
            raise NickInUse(f"The nick {nick} is taken; choose another.")
        if folded in self.registered and folded != account:
            raise NickRegistered(
                f"The nick {nick} is registered; /login {nick} PASSWORD to use it."
            )

    def checkChange(self, member: Member, nick: str) -> None:
        """
        Refuse C{nick} as C{member}'s new nick unless it may take it; a new
        spelling of its own nick needs only to be valid.
        """
        if fold(nick) != fold(member.nick):
            self.checkAvailable(nick, member.privileged, member.account)
        else:
            checkNick(nick, allowReserved=member.privileged)

    def rename(self, member: Member, nick: str, now: int) -> None:
        """
        Call C{member} C{nick} from now on, and tell it and everyone who
        shares a room with it.
        """
        event = NickChanged(member.nick, nick, now)
        del self.members[fold(member.nick)]
        self.members[fold(nick)] = member
        old, member.nick = member.nick, nick
        fanOut(event, list(audienceOf(member)))
        if member.node is None:
            self._presence.renamed(member, old)
        if fold(old) != fold(nick):
            self.watchers.tell(old, False)
            self.watchers.tell(nick, True, member.account)

    def remove(self, member: Member) -> None:
        """Forget a member that has left, freeing its nick."""
        del self.members[fold(member.nick)]
        self.watchers.clear(member)
        self.watchers.tell(member.nick, False)

    def isRegistered(self, nick: str) -> bool:
        """Whether C{nick} has an account."""
        return fold(nick) in self.registered

    def register(self, nick: str) -> None:
        """Note that C{nick} now has an account."""
        self.registered.add(fold(nick))

    def numberGuestsFrom(self, first: int) -> None:
        """
        Number new guests from C{first} on: nodes of a cluster number from
        far apart, so their guests' nicks seldom clash.
        """
        self._guestNumbers = itertools.count(first)

    def freeGuestNick(self) -> str:
        """A guest nick nobody here has and no account holds."""
        while True:
            nick = f"{GUEST_PREFIX}{next(self._guestNumbers)}"
            if fold(nick) not in self.members and fold(nick) not in self.registered:
                return nick
