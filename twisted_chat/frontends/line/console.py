"""
The operator console: the server's own terminal as a chat participant.

This is the seed's server side, kept: with C{twistd -n chat --console} the
person at the server types and reads like any client, as the privileged
member C{server} (a reserved nick).  Lines go through the same parser and
interpreter as a network client's; events are shown by the same view as the
terminal client's, without a wire in between.

Quitting the console (C{bye}, C{/quit}, Ctrl-C or Ctrl-D at the line editor)
stops the server, as C{bye} ended the seed's chat.  When standard input is a
pipe, its end only stops the typing: the console keeps showing the traffic.
"""

import os
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger
from zope.interface import implementer

from twisted_chat.chat.accounts import Accounts
from twisted_chat.chat.core import Chat
from twisted_chat.chat.errors import ChatError
from twisted_chat.chat.events import Event
from twisted_chat.chat.model import Member
from twisted_chat.chat.names import OPERATOR_NICK
from twisted_chat.chat.participants import IParticipant
from twisted_chat.frontends.commands.interpreter import CommandInterpreter
from twisted_chat.terminal.keyboard import Terminal, isInteractive, openTerminal
from twisted_chat.terminal.view import TerminalView, wantsColor
from twisted_chat.terminal.whereabouts import Whereabouts
from twisted_chat.wire import line as wire


@implementer(IParticipant)
class OperatorConsole:
    """
    The operator as a member of the chat, seen through a view.

    @ivar whereabouts: the operator's nick and current room; the console
        notes every event delivered to it there, before the view draws it.
    """

    log = Logger()

    def __init__(
        self,
        chat: Chat,
        accounts: Accounts,
        view: TerminalView,
        whereabouts: Whereabouts,
        stopServer: Callable[[], None],
        *,
        quitOnEndOfInput: bool,
    ) -> None:
        self.chat = chat
        self.accounts = accounts
        self.view = view
        self.whereabouts = whereabouts
        self._stopServer = stopServer
        self._quitOnEndOfInput = quitOnEndOfInput

    def start(self) -> None:
        """Join the chat as C{server}, in the lobby."""
        self.member: Member = self.chat.connect(
            self, nick=OPERATOR_NICK, privileged=True
        )
        self.interpreter = CommandInterpreter(self.chat, self.member, self.accounts)
        self.interpreter.start()

    def lineTyped(self, text: str) -> None:
        if not self.member.present:
            return
        try:
            command = wire.parseCommand(text.encode("utf-8", errors="surrogateescape"))
            if command is not None:
                self.interpreter.execute(command)
        except ChatError as error:
            self.interpreter.reportError(error)

    def inputEnded(self) -> None:
        if self._quitOnEndOfInput:
            self.chat.quit(self.member, "The operator left")
        else:
            self.view.showStatus("console input ended; still showing the chat")

    # IParticipant

    def deliver(self, event: Event) -> None:
        self.whereabouts.note(event)
        self.view.show(event)

    def close(self) -> None:
        self.log.info("The operator quit the console; stopping the server")
        self._stopServer()


class Console:
    """
    The operator console on this process's standard input and output.
    """

    def __init__(
        self,
        chat: Chat,
        accounts: Accounts,
        reactor: Any,
        stopServer: Callable[[], None],
    ) -> None:
        self._chat = chat
        self._accounts = accounts
        self._reactor = reactor
        self._stopServer = stopServer
        self._terminal: Terminal | None = None
        self._view: TerminalView | None = None

    def show(self, text: str) -> None:
        """Show the operator a line from the server itself."""
        if self._view is not None:
            self._view.showStatus(text)

    def start(self) -> None:
        interactive = isInteractive()
        whereabouts = Whereabouts()
        view = TerminalView(
            lambda line: None,
            whereabouts,
            color=wantsColor("auto", isTerminal=os.isatty(1), environ=os.environ),
        )
        console = OperatorConsole(
            self._chat,
            self._accounts,
            view,
            whereabouts,
            self._stopServer,
            quitOnEndOfInput=interactive,
        )
        self._terminal = openTerminal(
            self._reactor,
            console.lineTyped,
            console.inputEnded,
            interactive=interactive,
            prompt=view.prompt,
        )
        view.output = self._terminal.show
        view.onPromptChange = self._terminal.setPrompt
        view.columns = self._terminal.columns
        self._view = view
        console.start()

    async def stop(self) -> None:
        """Give the terminal back as it was."""
        if self._terminal is not None:
            await self._terminal.close()
            self._terminal = None
