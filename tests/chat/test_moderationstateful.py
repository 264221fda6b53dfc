"""
A stateful property test of moderation: hypothesis has several members,
some logged in, one a server operator, join and leave rooms, give and take
ranks, change modes, ban, mute, kick, invite and speak, in any order, while
time passes; after every step the rooms must obey their order.
"""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.masks import parseMask
from twisted_chat.chat.model import Member, Room
from twisted_chat.chat.modes import BAN, MUTE, RANK_NAMES, Rank, parseModes
from twisted_chat.chat.orderevents import RankChanged

from ..helpers import RecordingParticipant, assertConsistent, makeChat

PEOPLE = ["alice", "bob", "carol", "dave", "olga"]
"""olga's account is a server operator; alice and bob have accounts."""

ACCOUNTS = {"alice", "bob", "olga"}
ADDRESSES = {
    "alice": "10.0.0.1",
    "bob": "10.0.0.2",
    "carol": "192.168.1.3",
    "dave": "192.168.1.4",
    "olga": "10.9.9.9",
}
ROOMS = st.sampled_from(["#a", "#b"])
WHO = st.sampled_from(PEOPLE)
RANKS = st.sampled_from(list(Rank))
MASKS = st.sampled_from(
    ["bob", "c*", "account:alice", "192.168.0.0/16", "*!*@10.0.0.*", "*", "d?ve"]
)
MODES = st.sampled_from(
    ["+m", "-m", "+i", "-i", "+k", "-k", "+l", "-l", "+R", "-R", "-n", "+n", "-t"]
)


class ModerationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chat, self.clock = makeChat()
        self.chat.operators.granted.add("olga")
        self.seen: dict[str, RecordingParticipant] = {}
        self.members: dict[str, Member] = {}
        self.everyone: list[Member] = []
        for nick in PEOPLE:
            self.arrive(nick)
        # Rooms to start from: alice made #a, everyone came; bob made #b.
        for nick in PEOPLE:
            self.chat.join(self.members[nick], "#a")
        for nick in ("bob", "carol"):
            self.chat.join(self.members[nick], "#b")

    def arrive(self, nick: str) -> None:
        seen = RecordingParticipant()
        if nick in ACCOUNTS:
            member = self.chat.connect(seen, address=ADDRESSES[nick])
            self.chat.registered(nick)
            self.chat.bindAccount(member, nick)
        else:
            member = self.chat.connect(seen, nick=nick, address=ADDRESSES[nick])
        self.seen[nick], self.members[nick] = seen, member
        self.everyone.append(member)

    def rooms(self) -> dict[str, Room]:
        """The rooms someone is in, by folded name, as the members know them."""
        return {
            name: room
            for member in self.members.values()
            for name, room in member.rooms.items()
        }

    def power(self, member: Member, room: Room) -> Rank:
        return self.chat.moderation.power(member, room)

    def attempt(self, action: object, *args: object) -> bool:
        try:
            action(*args)  # type: ignore[operator]
        except ChatError:
            return False
        return True

    # Rules

    @rule(who=WHO, room=ROOMS, key=st.sampled_from([None, "key", "bad"]))
    def join(self, who: str, room: str, key: str | None) -> None:
        self.attempt(self.chat.join, self.members[who], room, key)

    @rule(who=WHO, room=ROOMS)
    def part(self, who: str, room: str) -> None:
        self.attempt(self.chat.part, self.members[who], room, "")

    @rule(who=WHO)
    def reconnect(self, who: str) -> None:
        self.chat.quit(self.members[who], "")
        self.arrive(who)

    @rule(actor=WHO, room=ROOMS, whom=WHO, rank=RANKS)
    def setRank(self, actor: str, room: str, whom: str, rank: Rank) -> None:
        member = self.members[actor]
        place = member.rooms.get(room)
        before = self.power(member, place) if place is not None else None
        wasServerOperator = self.chat.operators.isServerOperator(member)
        events = len(self.seen[whom].events)
        if not self.attempt(self.chat.moderation.setRank, member, room, whom, rank):
            return
        told = [
            event
            for event in self.seen[whom].events[events:]
            if isinstance(event, RankChanged) and event.by == actor
        ]
        if told and not wasServerOperator:
            # Ranks are only given by someone entitled: an operator, or for
            # the founder's rank, the founder.
            assert before is not None and before >= Rank.OPERATOR, (actor, before)
            if rank == Rank.FOUNDER:
                assert before == Rank.FOUNDER, (actor, before)

    @rule(actor=WHO, room=ROOMS, modes=MODES)
    def setModes(self, actor: str, room: str, modes: str) -> None:
        arguments = {"+k": ["key"], "+l": ["3"]}.get(modes, [])
        self.attempt(
            self.chat.moderation.setModes,
            self.members[actor],
            room,
            parseModes(modes, arguments),
        )

    @rule(
        actor=WHO,
        room=ROOMS,
        mask=MASKS,
        mute=st.booleans(),
        minutes=st.sampled_from([None, 1, 5]),
    )
    def ban(
        self, actor: str, room: str, mask: str, mute: bool, minutes: int | None
    ) -> None:
        self.attempt(
            self.chat.moderation.ban,
            self.members[actor],
            room,
            MUTE if mute else BAN,
            mask,
            None if minutes is None else minutes * 60,
        )

    @rule(actor=WHO, room=ROOMS, mask=MASKS, mute=st.booleans())
    def unban(self, actor: str, room: str, mask: str, mute: bool) -> None:
        self.attempt(
            self.chat.moderation.unban,
            self.members[actor],
            room,
            MUTE if mute else BAN,
            mask,
        )

    @rule(actor=WHO, room=ROOMS, whom=WHO)
    def kick(self, actor: str, room: str, whom: str) -> None:
        self.attempt(self.chat.moderation.kick, self.members[actor], room, whom, "")

    @rule(actor=WHO, room=ROOMS, whom=WHO)
    def invite(self, actor: str, room: str, whom: str) -> None:
        self.attempt(
            self.chat.moderation.invite, self.members[actor], room, self.members[whom]
        )

    @rule(actor=WHO, room=ROOMS)
    def claim(self, actor: str, room: str) -> None:
        self.attempt(self.chat.moderation.claim, self.members[actor], room)

    @rule(who=WHO, nick=st.sampled_from(["bob", "cx", "dave", "zed"]))
    def rename(self, who: str, nick: str) -> None:
        if self.attempt(self.chat.changeNick, self.members[who], nick):
            member = self.members.pop(who)
            seen = self.seen.pop(who)
            self.chat.changeNick(member, who)  # back, so the names stay known
            self.members[who], self.seen[who] = member, seen

    @rule(who=WHO, room=ROOMS)
    def say(self, who: str, room: str) -> None:
        member = self.members[who]
        place = self.rooms().get(room)
        if not self.attempt(self.chat.say, member, room, "hello"):
            return
        assert place is not None
        # No one speaks in a moderated room without voice, nor muted.
        if self.power(member, place) < Rank.VOICE:
            assert not place.settings.moderated, (who, room)
            assert self.chat.moderation.bans.matching(place, member, MUTE) is None

    @rule(seconds=st.sampled_from([1, 59, 61, 300]))
    def wait(self, seconds: int) -> None:
        self.clock.advance(seconds)

    # Invariants

    @invariant()
    def noBannedMemberInARoom(self) -> None:
        now = self.chat.now()
        for room in self.rooms().values():
            for member, place in room.members.items():
                if place.rank >= Rank.OPERATOR or self.chat.operators.isServerOperator(
                    member
                ):
                    continue
                for (kind, mask), ban in room.bans.items():
                    if kind == BAN and ban.activeAt(now):
                        assert not parseMask(mask).matches(member), (
                            member,
                            room,
                            mask,
                        )

    @invariant()
    def ranksAreKnown(self) -> None:
        for room in self.rooms().values():
            founders = [
                a for a, rank in room.accountRanks.items() if rank == Rank.FOUNDER
            ]
            assert len(founders) <= 1, founders
            for place in room.members.values():
                assert place.rank in RANK_NAMES

    @invariant()
    def consistent(self) -> None:
        assertConsistent(self.chat, self.everyone)


class ModerationStateTests(SynchronousTestCase):
    def test_moderation(self) -> None:
        machine = ModerationMachine.TestCase
        machine.settings = settings(
            max_examples=60, stateful_step_count=40, deadline=None
        )
        machine().runTest()
