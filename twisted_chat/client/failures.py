"""
The ways a client session ends before it can chat: the server cannot be
talked to, and trying again would not change that.

The session fails its C{finished} with one of these; the command line turns
each into one line saying what the person has to fix.
"""


class ConnectFailure(Exception):
    """
    The server cannot be talked to, and trying again would not change that:
    the person has to fix the address, the port or whom they trust.
    """


class NotSecure(ConnectFailure):
    """
    The TLS handshake failed: the certificate was refused (its authority,
    its host name, a pin) or the server refused ours.

    @ivar what: what was refused, in a few words.
    """

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class NotChat(ConnectFailure):
    """
    Before any welcome the server sent something that is not the line
    protocol: it is some other service, or speaks TLS to a plain client.

    @ivar sample: the first line it sent, or L{None} if that was too long.
    """

    def __init__(self, sample: bytes | None) -> None:
        super().__init__(sample)
        self.sample = sample


class NoWelcome(ConnectFailure):
    """
    The first connection was made, but the server did not greet it in time:
    a TLS port, or some other service, waiting for the client to speak first.

    @ivar seconds: how long the client waited.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class ClosedUnwelcomed(ConnectFailure):
    """
    The server closed the first connection before greeting it.

    @ivar reason: why the connection ended, as the transport said.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LoginRefused(ConnectFailure):
    """
    The server refused the session's login (a wrong password, or too many
    tries), and there are no more tries to be had.

    @ivar nick: the nick the session tried to log in as.
    @ivar text: what the server said.
    """

    def __init__(self, nick: str, text: str) -> None:
        super().__init__(nick, text)
        self.nick = nick
        self.text = text


class Refused(ConnectFailure):
    """
    The server refused the connection instead of greeting it (too many
    connections, from everyone or from this address).

    @ivar reason: what the server said.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NickRefused(ConnectFailure):
    """
    The server would not give the first connection the nick asked for
    (C{--nick}): someone has it, or it is registered.

    @ivar nick: the nick asked for.
    @ivar text: what the server said.
    """

    def __init__(self, nick: str, text: str) -> None:
        super().__init__(nick, text)
        self.nick = nick
        self.text = text
