"""Backups: a consistent copy of the database while the bot runs (`python main.py backup PATH`).

The SQLite database runs in WAL mode: recent commits live in `prospect.db-wal` until a checkpoint moves
them into the main file, so copying `prospect.db` alone (cp, a volume snapshot of one file) can miss them,
a table created a moment ago included. SQLite's online backup API copies the pages as one reader sees
them, WAL included, in a single step: readers never block the bot's writers in WAL mode, and the copy is
the database as of one commit. The copy is written beside PATH, switched to a plain rollback journal (one
self-contained file), checked with `PRAGMA integrity_check` and only then renamed to PATH, so a PATH that
exists is always a whole, checked backup.

PostgreSQL has its own tool for this: `pg_dump` (a consistent snapshot too), run when it is installed;
otherwise the commands are explained.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

# How long the backup waits for the bot's write lock in the rare moments it needs one (the copy only
# reads): as long as the bot's own connections wait.
BUSY_TIMEOUT_MS = 15_000


class BackupFailed(Exception):
    """The backup could not be made; the message says why and what to check (no password in it)."""


class PgDumpMissing(BackupFailed):
    """PostgreSQL's pg_dump is not installed where the backup was asked for."""


@dataclass(frozen=True)
class SqliteBackup:
    source: Path
    target: Path
    size: int
    tables: int
    contacts: int | None  # None for a database without the bot's schema yet


def backup_sqlite(source: Path, target: Path) -> SqliteBackup:
    """Copy the SQLite database at `source` to `target`, consistently, while the bot may be writing."""
    if not source.is_file():
        raise BackupFailed(f"there is no database at {source}: check DATABASE_URL")
    if target.exists():
        raise BackupFailed(f"{target} exists already: name a new file (backups are never overwritten)")
    if not target.parent.is_dir():
        raise BackupFailed(f"the folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        # Opened read-write (a WAL database cannot be read with a read-only connection while its -shm
        # index is another user's), but only read from.
        with (
            closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)) as reader,
            closing(sqlite3.connect(partial)) as copy,
        ):
            # pages=-1: all in one step, the database as of one moment. Several smaller steps would
            # restart whenever the bot commits meanwhile.
            reader.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupFailed(
                    f"the copy failed SQLite's integrity check ({'; '.join(problems[:3])}): "
                    f"the database at {source} may be damaged; keep the earlier backups"
                )
            tables, contacts = _summary(copy)
        partial.replace(target)
    except sqlite3.Error as error:
        raise BackupFailed(f"SQLite could not copy {source} ({type(error).__name__}: {error})") from error
    finally:
        partial.unlink(missing_ok=True)
    return SqliteBackup(source, target, target.stat().st_size, tables, contacts)


def _summary(copy: sqlite3.Connection) -> tuple[int, int | None]:
    names = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    contacts = copy.execute("SELECT count(*) FROM contact").fetchone()[0] if "contact" in names else None
    return len(names), contacts


@dataclass(frozen=True)
class PostgresCommands:
    """The libpq environment for the database (password included: pass it as environment, never on a
    command line, where `ps` shows it) and the dump and restore commands, which name no secret."""

    environment: dict[str, str]
    dump: list[str]
    restore: list[str]


def postgres_commands(database_url: str, target: Path) -> PostgresCommands:
    url = make_url(database_url)
    environment = {
        name: str(value)
        for name, value in (
            ("PGHOST", url.host),
            ("PGPORT", url.port),
            ("PGUSER", url.username),
            ("PGPASSWORD", url.password),
            ("PGDATABASE", url.database),
        )
        if value
    }
    # A schema chosen in the URL (options=-csearch_path=...) is dumped alone.
    options = str(url.query.get("options", ""))
    schema = options.removeprefix("-csearch_path=") if options.startswith("-csearch_path=") else None
    dump = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
    if schema:
        dump.append(f"--schema={schema}")
    # --clean --if-exists: over what is there (a damaged database, or an empty one just created).
    restore = ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={url.database}", str(target)]
    return PostgresCommands(environment, dump, restore)


def backup_postgres(database_url: str, target: Path) -> PostgresCommands:
    """Run pg_dump into `target`; BackupFailed when pg_dump is not installed or fails."""
    commands = postgres_commands(database_url, target)
    if target.exists():
        raise BackupFailed(f"{target} exists already: name a new file (backups are never overwritten)")
    if shutil.which("pg_dump") is None:
        raise PgDumpMissing("pg_dump is not installed here")
    done = subprocess.run(
        commands.dump,
        env=os.environ | commands.environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        # pg_dump's own message names the host and the database, never the password.
        raise BackupFailed(f"pg_dump failed: {done.stderr.strip()}")
    return commands
