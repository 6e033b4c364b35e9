"""`python main.py backup PATH`: the copy made by storage/backup.py, and what the operator is told."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import DeploymentSettings
from storage.backup import BackupFailed, PgDumpMissing, backup_postgres, backup_sqlite, postgres_commands


def backup(settings: DeploymentSettings, target: str | None) -> int:
    """SQLite: the online backup into `target`, checked. PostgreSQL: pg_dump, or where it is not installed
    the commands to run elsewhere. The exit code; nothing printed holds the database password."""
    if not target:
        print("backup needs a file to write: python main.py backup PATH", file=sys.stderr)
        return 2
    path = Path(target)
    source = settings.sqlite_path()
    try:
        if source is not None:
            done = backup_sqlite(source, path)
            contacts = "" if done.contacts is None else f", {done.contacts} contacts"
            print(
                f"backed up {done.source} to {done.target}: {done.size} bytes, {done.tables} tables"
                f"{contacts}; SQLite's integrity check: ok"
            )
            return 0
        if not settings.database_url.startswith("postgresql"):
            print("backup knows SQLite and PostgreSQL databases only", file=sys.stderr)
            return 1
        commands = backup_postgres(settings.database_url, path)
    except BackupFailed as error:
        print(f"backup failed: {error}", file=sys.stderr)
        if isinstance(error, PgDumpMissing):
            _explain_postgres(settings.database_url, path)
        return 1
    print(f"backed up the PostgreSQL database with pg_dump to {path}")
    print(f"restore it into an empty database with: {' '.join(commands.restore)}")
    return 0


def _explain_postgres(database_url: str, path: Path) -> None:
    commands = postgres_commands(database_url, path)
    names = " ".join(f"{name}=..." for name in commands.environment)
    print(
        "Run PostgreSQL's own tool where it is installed (the postgres image has it), with the database's "
        f"host, port, user, password and name in libpq's variables:\n  {names} {' '.join(commands.dump)}\n"
        f"Restore into an empty database with:\n  {' '.join(commands.restore)}",
        file=sys.stderr,
    )
