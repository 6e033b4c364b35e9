"""What every benchmark needs of a database: a fresh PostgreSQL schema of its own, dropped afterwards."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def postgres_schema(url: str) -> Iterator[str | None]:
    """A fresh schema in the benchmark database, dropped afterwards; the URL that uses it, or None with a
    message when no server answers."""
    admin = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            pass
    except Exception as error:  # any failure to connect means the same here: nothing to measure against
        print(f"PostgreSQL skipped: not reachable at {url} ({type(error).__name__})", file=sys.stderr)
        admin.dispose()
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
