"""
The slash-command language of the line protocol, carried out on the chat core.

A line-protocol front end (the TCP line server, the operator console) parses
each line into a L{twisted_chat.commands.Command} and hands it to its member's
L{CommandInterpreter}.  The interpreter decides what the command means; the
front ends only translate.  Other front ends (IRC) have their own language and
call L{twisted_chat.core.ChatServer} directly.
"""

from .commands import (
    COMMANDS,
    Act,
    Command,
    Help,
    Join,
    Kick,
    ListRooms,
    Message,
    Part,
    QuitCommand,
    Say,
    SetNick,
    Topic,
    Who,
)
from .core import ChatServer, Member
from .errors import ChatError, UnknownCommand
from .events import ErrorReply, Event, HelpText, RoomListEnd, Welcome
from .names import isRoomName


class CommandInterpreter:
    """
    Carries out one member's commands and tells it about its mistakes.
    """

    def __init__(self, chat: ChatServer, member: Member) -> None:
        self.chat = chat
        self.member = member

    def start(self) -> None:
        """
        Greet a new member with its nick and put it in the lobby.
        """
        nick = self.member.nick
        self._reply(
            Welcome(
                nick,
                f"Welcome to twisted_chat, {nick}! Type /help for the commands.",
            )
        )
        self.chat.join(self.member, self.chat.lobbyName)

    def execute(self, command: Command) -> None:
        """
        Carry out C{command}; a L{ChatError} becomes an C{ERROR} reply.
        """
        try:
            self._dispatch(command)
        except ChatError as error:
            self.reportError(error)

    def reportError(self, error: ChatError) -> None:
        """
        Tell the member why its last line was refused.
        """
        self._reply(ErrorReply(error.code, error.message))

    def _dispatch(self, command: Command) -> None:
        chat, member = self.chat, self.member
        match command:
            case Say(text):
                chat.say(member, None, text)
            case Act(text):
                chat.say(member, None, text, action=True)
            case Message(target, text) if isRoomName(target):
                chat.say(member, target, text)
            case Message(target, text):
                chat.sendPrivate(member, target, text)
            case SetNick(nick):
                chat.changeNick(member, nick)
            case Join(room):
                chat.join(member, room)
            case Part(room, reason):
                chat.part(member, room, reason)
            case Who(room):
                self._reply(chat.membersOf(self._roomName(room)))
            case ListRooms():
                entries = chat.listRooms()
                for entry in entries:
                    self._reply(entry)
                self._reply(RoomListEnd(len(entries)))
            case Topic(room, None):
                self._reply(chat.topicOf(self._roomName(room)))
            case Topic(room, str() as text):
                chat.setTopic(member, room, text)
            case QuitCommand(reason):
                chat.quit(member, reason)
            case Kick(nick, reason):
                chat.kick(member, nick, reason)
            case Help(name):
                self._help(name)
            case _:
                raise TypeError(f"no handler for {command!r}")

    def _roomName(self, room: str | None) -> str:
        """
        The named room, or the member's current one.
        """
        return room if room is not None else self.chat.roomOf(self.member, None).name

    def _help(self, name: str | None) -> None:
        specs = [
            spec
            for spec in COMMANDS.values()
            if self.member.privileged or not spec.operatorOnly
        ]
        if name is not None:
            specs = [spec for spec in specs if spec.name == name.lstrip("/").lower()]
            if not specs:
                raise UnknownCommand(f"There is no command /{name}; type /help.")
        else:
            self._reply(
                HelpText(
                    "Lines not starting with / go to your current room;"
                    " //text sends text starting with /. Commands:"
                )
            )
        width = max(len(spec.usage) for spec in specs)
        for spec in specs:
            self._reply(HelpText(f"  {spec.usage.ljust(width)}  {spec.summary}"))

    def _reply(self, event: Event) -> None:
        self.member.participant.deliver(event)
