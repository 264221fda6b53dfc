"""
C{twisted-chat-admin}: the operator's tool for work on a chat's database
while no server runs on it.  C{twisted-chat-admin migrate --from FILE --to
postgresql://USER@HOST:PORT/DBNAME} copies a SQLite file into PostgreSQL
(L{twisted_chat.store.pgimport}), for a server moving to C{--db
postgresql://...}.

A separate command, not a server option: the copy runs once, before the
server moves, and a server's options should say how it runs, not what it
did once.  Known failures are one line on standard error and status 1.
"""

import sys
from typing import TextIO

from twisted.python import usage

from twisted_chat.store.pgaddress import parseAddress


class MigrateOptions(usage.Options):
    synopsis = "--from FILE --to postgresql://USER@HOST:PORT/DBNAME"
    longdesc = (
        "Copy a chat's SQLite file into an empty PostgreSQL database: rooms,"
        " messages, accounts, certificates, private messages, moderation and"
        " the audit log. Stop the server first."
    )
    optParameters = [
        ["from", None, None, "The SQLite file (--db of the server until now)."],
        ["to", None, None, "The PostgreSQL database, as a postgresql:// URL."],
    ]

    def postOptions(self) -> None:
        if not self["from"] or not self["to"]:
            raise usage.UsageError("both --from FILE and --to URL are needed")
        try:
            self["address"] = parseAddress(self["to"])
        except ValueError as error:
            raise usage.UsageError(f"--to: a bad PostgreSQL URL: {error}") from None


class AdminOptions(usage.Options):
    synopsis = "COMMAND [options]"
    subCommands = [
        ["migrate", None, MigrateOptions, "Copy a SQLite chat into PostgreSQL."]
    ]

    def postOptions(self) -> None:
        if self.subCommand is None:
            raise usage.UsageError("a command is needed: migrate")


def main(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run the command C{argv} asks for; return the exit status."""
    options = AdminOptions()
    try:
        options.parseOptions(argv)
    except usage.UsageError as error:
        stderr.write(f"twisted-chat-admin: {error}\n")
        return 2
    migrate = options.subOptions
    try:
        from twisted_chat.store.pgimport import copySQLite
    except ImportError as error:
        stderr.write(
            f"twisted-chat-admin: PostgreSQL support is not installed ({error});"
            " pip install 'twisted_chat[postgresql]'\n"
        )
        return 1
    from twisted_chat.store.pgimport import CopyFailed

    try:
        counts = copySQLite(migrate["from"], migrate["address"])
    except CopyFailed as error:
        stderr.write(f"twisted-chat-admin: {error}\n")
        return 1
    copied = ", ".join(f"{count} {table}" for table, count in counts.items())
    stdout.write(f"copied {migrate['from']} to {migrate['address']}: {copied}\n")
    return 0


def run() -> None:
    """The console script."""
    sys.exit(main(sys.argv[1:], sys.stdout, sys.stderr))
