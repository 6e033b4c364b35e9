"""The database engine: SQLite (the embedded default) or PostgreSQL, with the same code on both."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy import event
from sqlalchemy.engine import Engine

# Under many concurrent writers SQLite's busy handler polls, and an unlucky writer can wait several
# seconds: a rep waiting is better than a rep told "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 15000

# SQLSTATE classes (and one code) of failures that a retry meets again, until someone fixes the database:
# the schema and its access rules (42: undefined table or column, permission denied), a schema that does
# not exist (3F), refused credentials (28), a feature the server lacks (0A), a read-only transaction on a
# standby (25006). A lost connection (08), a deadlock (40), a full server (53) or a restart (57) pass.
_LASTING_SQLSTATES = ("42", "3F", "28", "0A", "25006")
# The same for SQLite, which has no SQLSTATE: its own messages.
_LASTING_SQLITE = (
    "no such table",
    "no such column",
    "has no column named",
    "readonly database",
    "unable to open database file",
    "file is not a database",
)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while one writer writes; busy_timeout makes a writer wait for the lock instead
    # of failing with "database is locked"; SQLite leaves foreign keys off unless asked, per connection.
    assert isinstance(dbapi_connection, sqlite3.Connection)
    # The driver's own implicit BEGIN is turned off so that _begin_immediate below decides how to begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = "prospect_read_only"


def _begin(connection: sa.Connection) -> None:
    # A deferred transaction that reads and then writes asks for the write lock mid-way, and SQLite answers
    # "database is locked" at once, ignoring busy_timeout, when another writer got there first. Taking the
    # write lock at BEGIN makes every writing transaction wait its turn under busy_timeout instead. Reads
    # (marked with the READ_ONLY execution option) begin deferred: in WAL mode they need no lock at all, so
    # a list or a card is answered even while an import or another process writes.
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def create_engine_for(url: str, **kwargs: Any) -> Engine:
    """An engine for a DATABASE_URL (already in SQLAlchemy's form, see Settings). Its errors never carry
    a statement's parameter values (hide_parameters): those are the rep's names, phones and notes."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False}, hide_parameters=True, **kwargs
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin)
        return engine
    # No pre-ping: it costs a round trip on every checkout, several per update. Connections are recycled
    # before a server or a proxy would drop them idle instead, and a dropped one fails one update.
    return sa.create_engine(url, pool_recycle=1800, hide_parameters=True, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def failure_will_recur(error: BaseException) -> bool:
    """Whether a database error will happen again however often the rep tries: the schema or the
    permissions are wrong, not a connection lost, a lock waited on or a deadlock."""
    if not isinstance(error, sa_exc.DBAPIError) or error.connection_invalidated:
        return False
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate.startswith(_LASTING_SQLSTATES)
    if isinstance(orig, sqlite3.Error):
        message = str(orig).lower()
        return any(known in message for known in _LASTING_SQLITE)
    return False
