"""
Tests for L{twisted_chat.chat.names}: the rules every front end shares.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_chat.chat.errors import InvalidNick, InvalidRoomName, ReservedNick
from twisted_chat.chat.names import RESERVED_NICKS, checkNick, checkRoomName, fold
from twisted_chat.limits import NICK_MAX_LENGTH, ROOM_NAME_MAX_LENGTH


class NickRulesTests(SynchronousTestCase):
    def test_ordinaryNicks(self) -> None:
        """Letters, digits and IRC's special characters make a nick."""
        for nick in ["alice", "Bob_2", "[away]", "x", "a-b", "{ok}|`^\\"]:
            self.assertEqual(checkNick(nick), nick)

    def test_longestNick(self) -> None:
        """A nick may be exactly NICK_MAX_LENGTH characters, not one more."""
        checkNick("a" * NICK_MAX_LENGTH)
        self.assertRaises(InvalidNick, checkNick, "a" * (NICK_MAX_LENGTH + 1))

    def test_badNicks(self) -> None:
        """Empty nicks, spaces, room marks, leading digits and non-ASCII fail."""
        for nick in ["", "a b", "#room", "1abc", "-abc", "café", "a:b", "a\x1bb", "*"]:
            self.assertRaises(InvalidNick, checkNick, nick)

    def test_reservedNicks(self) -> None:
        """Reserved nicks are refused in any case, unless allowed."""
        self.assertIn("server", RESERVED_NICKS)
        self.assertRaises(ReservedNick, checkNick, "Server")
        self.assertRaises(ReservedNick, checkNick, "NICKSERV")
        self.assertEqual(checkNick("server", allowReserved=True), "server")

    def test_fold(self) -> None:
        """Names that differ only in ASCII case fold to the same form."""
        self.assertEqual(fold("AliCE"), fold("alice"))
        self.assertEqual(fold("#Lobby"), "#lobby")

    def test_foldedIsItself(self) -> None:
        """A name already in folded form is its own folded form, not a copy."""
        name = "".join(["al", "ice"])
        self.assertIs(fold(name), name)


class RoomRulesTests(SynchronousTestCase):
    def test_ordinaryRooms(self) -> None:
        """A room is # and letters, digits, -, _ or ."""
        for name in ["#lobby", "#a", "#Dev-Team_2.0"]:
            self.assertEqual(checkRoomName(name), name)

    def test_longestRoom(self) -> None:
        """A room name may be ROOM_NAME_MAX_LENGTH characters, # included."""
        checkRoomName("#" + "a" * (ROOM_NAME_MAX_LENGTH - 1))
        self.assertRaises(
            InvalidRoomName, checkRoomName, "#" + "a" * ROOM_NAME_MAX_LENGTH
        )

    def test_badRooms(self) -> None:
        """No #, a bare #, spaces, commas and non-ASCII are refused."""
        for name in ["lobby", "#", "# a", "#a,b", "#café", "##", "#a:b"]:
            self.assertRaises(InvalidRoomName, checkRoomName, name)
