"""Backups of the whole database, and restoring one.

SQLite is copied with SQLite's own online backup API, which gives a consistent copy even while
the app is writing (a plain file copy can catch a half-written page). PostgreSQL goes through
``pg_dump``/``pg_restore`` in their custom format. The first bytes of a file tell which it is, so
a backup is never restored into the wrong kind of database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    pass


def backup(database_url: str, target: Path) -> None:
    url = make_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a failed backup never leaves a truncated file
    # where the last good one was.
    fd, partial_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(fd)
    partial = Path(partial_name)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(_sqlite_path(url), partial)
        elif url.get_backend_name() == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
                  _libpq_url(url)])
        else:
            raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")
        partial.chmod(0o600)  # the backup holds personal data
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with the backup's."""
    url = make_url(database_url)
    try:
        with source.open("rb") as handle:
            head = handle.read(16)
    except OSError as error:
        raise BackupError(f"cannot read {source}: {error.strerror}") from error
    backend = url.get_backend_name()
    if head.startswith(SQLITE_MAGIC):
        if backend != "sqlite":
            raise BackupError(f"{source} is a SQLite backup; the database is {backend}")
        _check_sqlite_file(source)
        _sqlite_copy(source, _sqlite_path(url))
    elif head.startswith(PG_MAGIC):
        if backend != "postgresql":
            raise BackupError(f"{source} is a PostgreSQL backup; the database is {backend}")
        # --single-transaction: a restore that fails half way leaves the database as it was.
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(source)])
    else:
        raise BackupError(f"{source} is not a backup made by 'flask backup'")


def describe(database_url: str) -> str:
    """The database's address without its password, for confirmation prompts."""
    return make_url(database_url).render_as_string(hide_password=True)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _check_sqlite_file(path: Path) -> None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        result = connection.execute("PRAGMA integrity_check").fetchone()
    connection.close()
    if not result or result[0] != "ok":
        raise BackupError(f"{path} is damaged: {result[0] if result else 'no answer'}")


def _libpq_url(url: URL) -> str:
    # pg_dump speaks libpq URLs: no "+psycopg" driver suffix.
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian package postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603: fixed argv, no shell
    if result.returncode != 0:
        # The URL is in the command line; report only the tool's own words.
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.returncode}")
