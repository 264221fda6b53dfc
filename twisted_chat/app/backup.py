"""
C{twisted-chat-admin backup}: a consistent copy of a chat's SQLite file,
taken while the server keeps writing to it.

The copy goes through SQLite's online backup API a few pages at a time,
with a pause between steps so the disk is not monopolised.  SQLite starts a
backup over whenever another connection writes to the source between two
steps, so a busy server would keep a paged backup from ever finishing; the
copy therefore reads the source inside one read transaction, whose snapshot
stays fixed while the server commits past it (in WAL mode, which the server
always uses, a reader never holds up a writer).  The copy is written to a
hidden file beside the target, checked (C{PRAGMA integrity_check}, and the
schema version of the snapshot) and renamed into place only when whole, so
the target name never holds half a backup.
"""

import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from twisted_chat.store.schema import (
    SCHEMA_VERSION,
    NotOurDatabase,
    checkOurs,
    schemaVersion,
)

PAGES_PER_STEP: Final = 256
"""Pages copied per step: 1 MiB with SQLite's usual 4 KiB pages."""

STEP_PAUSE: Final = 0.005
"""Seconds to wait between steps, leaving the disk to the server."""

COPY_SUFFIXES: Final = ("", "-journal", "-wal", "-shm")
"""The file SQLite writes the copy to and those it may keep beside it."""


class BackupFailed(Exception):
    """The backup could not be made; the message is one line saying why."""


@dataclass(frozen=True, slots=True)
class BackupDone:
    """
    A backup made.

    @ivar size: the copy's size in bytes.
    @ivar seconds: how long it took.
    @ivar schemaVersion: the copy's schema version.
    """

    target: str
    size: int
    seconds: float
    schemaVersion: int


def backUp(
    source: str,
    target: str,
    *,
    pagesPerStep: int = PAGES_PER_STEP,
    pause: Callable[[], None] = lambda: time.sleep(STEP_PAUSE),
    clock: Callable[[], float] = time.monotonic,
    openCopy: Callable[[str], sqlite3.Connection] = sqlite3.connect,
) -> BackupDone:
    """
    Copy the chat database C{source} to C{target}, replacing any file there
    only once the copy is whole and checked.

    @param pause: called between two steps of the copy.
    @param openCopy: opens the file the copy is written to.
    @raise BackupFailed: if it cannot; no file is left behind.
    """
    started = clock()
    checkPaths(source, target)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        handle, partial = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".partial", dir=directory
        )
    except OSError as error:
        raise BackupFailed(f"cannot write in {directory}: {error.strerror}") from None
    os.close(handle)
    try:
        version = copyDatabase(source, target, partial, pagesPerStep, pause, openCopy)
        try:
            with open(partial, "rb") as written:
                os.fsync(written.fileno())
            os.replace(partial, target)
            syncDirectory(directory)
        except OSError as error:
            raise BackupFailed(f"cannot write {target}: {error.strerror}") from None
    finally:
        for suffix in COPY_SUFFIXES:
            with suppress(FileNotFoundError):
                os.remove(partial + suffix)
    return BackupDone(target, os.path.getsize(target), clock() - started, version)


def checkPaths(source: str, target: str) -> None:
    """
    Refuse a source that is not there and a target that is the source.

    @raise BackupFailed: saying which.
    """
    if not os.path.exists(source):
        raise BackupFailed(f"no such file {source}")
    if os.path.isdir(source):
        raise BackupFailed(f"{source} is a directory")
    if os.path.isdir(target):
        raise BackupFailed(f"{target} is a directory; name the backup file")
    real = os.path.realpath(source)
    if os.path.realpath(target) in {real + suffix for suffix in COPY_SUFFIXES} or (
        os.path.exists(target) and os.path.samefile(source, target)
    ):
        raise BackupFailed(f"{target} is the database itself; back it up elsewhere")


def copyDatabase(
    source: str,
    target: str,
    partial: str,
    pagesPerStep: int,
    pause: Callable[[], None],
    openCopy: Callable[[str], sqlite3.Connection],
) -> int:
    """
    Copy C{source} into the empty file C{partial} (to become C{target})
    from one snapshot, and check the copy.

    @return: the copy's schema version.
    @raise BackupFailed: if the source is not a chat this code knows, or the
        copy cannot be made or is not sound.
    """
    uri = "file:" + quote(os.path.abspath(source)) + "?mode=ro"
    try:
        reader = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as error:
        raise BackupFailed(f"cannot read {source}: {error}") from None
    try:
        reader.execute("PRAGMA busy_timeout = 5000")
        # The snapshot: every step reads it, whatever the server commits.
        reader.execute("BEGIN")
        checkOurs(reader)
        version = schemaVersion(reader)
        if version == 0:
            raise BackupFailed(f"{source} holds no chat yet (schema version 0)")
        if version > SCHEMA_VERSION:
            raise BackupFailed(
                f"{source} has schema version {version}; this twisted_chat knows"
                f" versions up to {SCHEMA_VERSION}: use the server's own"
                " twisted-chat-admin"
            )
        copy = openCopy(partial)
        try:

            def between(status: int, remaining: int, total: int) -> None:
                if remaining:
                    pause()

            reader.backup(copy, pages=pagesPerStep, progress=between)
            # One self-contained file; the server turns WAL on again.
            copy.execute("PRAGMA journal_mode = DELETE")
            checkCopy(copy, version)
        finally:
            copy.close()
    except NotOurDatabase as error:
        raise BackupFailed(f"{source}: {error}") from None
    except sqlite3.Error as error:
        raise BackupFailed(f"cannot back up {source} to {target}: {error}") from None
    finally:
        reader.close()
    return version


def checkCopy(copy: sqlite3.Connection, version: int) -> None:
    """
    Make sure the copy is sound and is the chat it was copied from.

    @raise BackupFailed: if not.
    """
    problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupFailed(f"the copy failed its integrity check: {problems[0]}")
    found = schemaVersion(copy)
    if found != version:
        raise BackupFailed(
            f"the copy has schema version {found}, the database {version}"
        )


def syncDirectory(directory: str) -> None:
    """Make a rename in C{directory} survive a power cut."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def describe(done: BackupDone) -> str:
    """The line that says a backup was made: where, how big, how long."""
    size = float(done.size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            break
        size /= 1024
    shown = f"{done.size} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
    return (
        f"backed up to {done.target}: {shown}, schema version"
        f" {done.schemaVersion}, in {done.seconds:.1f} s"
    )
