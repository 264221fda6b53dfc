"""
C{--log-format json}: the log as one JSON object per line, for log
shippers, through Twisted's own C{jsonFileLogObserver}; text stays the
default.

twistd makes the log observer itself, from its C{--logger} option if one
was given, as the dotted name of a factory it calls without arguments.  So
the chat's options name L{jsonObserver} there and tell this module, first,
where twistd would have written the log (L{writeTo}: C{--logfile}, rotated
as twistd rotates it, or standard output).  What the events hold is what
the text log says: no password or token is ever put in a log event (the
tests check both formats).
"""

import sys
from typing import Final

from twisted.logger import ILogObserver, jsonFileLogObserver
from twisted.python.logfile import LogFile

FACTORY: Final = "twisted_chat.app.logs.jsonObserver"
"""What twistd's C{--logger} is given for C{--log-format json}."""

_where = ["-"]


def writeTo(logfile: str | None, nodaemon: bool) -> None:
    """Where the JSON log goes: twistd's C{--logfile}, as twistd reads it."""
    _where[0] = logfile or ("-" if nodaemon else "twistd.log")


def jsonObserver() -> ILogObserver:
    """The observer writing one JSON object per line where L{writeTo} said."""
    if _where[0] == "-":
        return jsonFileLogObserver(sys.stdout, recordSeparator="")
    return jsonFileLogObserver(LogFile.fromFullPath(_where[0]), recordSeparator="")
