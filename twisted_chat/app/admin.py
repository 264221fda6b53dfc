"""
C{twisted-chat-admin}: the operator's tool for work on a chat's database.
C{twisted-chat-admin migrate --from FILE --to
postgresql://USER@HOST:PORT/DBNAME} copies a SQLite file into PostgreSQL
(L{twisted_chat.store.pgimport}), for a server moving to C{--db
postgresql://...}; it runs while no server does.  C{twisted-chat-admin
backup --db FILE --to FILE} copies a SQLite file while the server runs
(L{twisted_chat.app.backup}).

A separate command, not a server option: each runs once, and a server's
options should say how it runs, not what it did once.  Known failures are
one line on standard error and status 1.
"""

import signal
import sys
from typing import TextIO

from twisted.python import usage

from twisted_chat.app.backup import BackupFailed, backUp, describe
from twisted_chat.store.pgaddress import isPostgresURL, parseAddress


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


class BackupOptions(usage.Options):
    synopsis = "--db FILE --to FILE"
    longdesc = (
        "Copy a chat's SQLite file, consistent as of the moment the copy"
        " starts, while the server keeps running. The copy is checked and"
        " takes the target's name only once whole. For PostgreSQL, use pg_dump."
    )
    optParameters = [
        ["db", None, None, "The SQLite file (the server's --db)."],
        ["to", None, None, "The backup file to write (replaced if there)."],
    ]

    def postOptions(self) -> None:
        if not self["db"] or not self["to"]:
            raise usage.UsageError("both --db FILE and --to FILE are needed")


class AdminOptions(usage.Options):
    synopsis = "COMMAND [options]"
    subCommands = [
        ["migrate", None, MigrateOptions, "Copy a SQLite chat into PostgreSQL."],
        ["backup", None, BackupOptions, "Back up a SQLite chat while it runs."],
    ]

    def postOptions(self) -> None:
        if self.subCommand is None:
            raise usage.UsageError("a command is needed: migrate or backup")


def main(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run the command C{argv} asks for; return the exit status."""
    options = AdminOptions()
    try:
        options.parseOptions(argv)
    except usage.UsageError as error:
        stderr.write(f"twisted-chat-admin: {error}\n")
        return 2
    if options.subCommand == "backup":
        return backup(options.subOptions, stdout, stderr)
    return migrate(options.subOptions, stdout, stderr)


def backup(options: BackupOptions, stdout: TextIO, stderr: TextIO) -> int:
    """Back up a SQLite file; say where, how big and how long, or why not."""
    if isPostgresURL(options["db"]):
        stderr.write(
            "twisted-chat-admin: backup copies a SQLite file; back up PostgreSQL"
            " with pg_dump (see docs/OPERATIONS.md)\n"
        )
        return 1
    try:
        done = backUp(options["db"], options["to"])
    except BackupFailed as error:
        stderr.write(f"twisted-chat-admin: {error}\n")
        return 1
    except KeyboardInterrupt:
        stderr.write(f"twisted-chat-admin: interrupted; {options['to']} not written\n")
        return 1
    stdout.write(describe(done) + "\n")
    return 0


def migrate(options: MigrateOptions, stdout: TextIO, stderr: TextIO) -> int:
    """Copy a SQLite file into PostgreSQL, saying what was copied, or why not."""
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
        counts = copySQLite(options["from"], options["address"])
    except CopyFailed as error:
        stderr.write(f"twisted-chat-admin: {error}\n")
        return 1
    copied = ", ".join(f"{count} {table}" for table, count in counts.items())
    stdout.write(f"copied {options['from']} to {options['address']}: {copied}\n")
    return 0


def interrupt(signum: int, frame: object) -> None:
    """Stop on SIGTERM as on Ctrl-C, so an unfinished copy is removed."""
    raise KeyboardInterrupt()


def run() -> None:
    """The console script."""
    signal.signal(signal.SIGTERM, interrupt)
    sys.exit(main(sys.argv[1:], sys.stdout, sys.stderr))
