"""Alembic's environment: runs the migrations on the connection or URL that storage.migrate hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.engine import create_engine_for

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine_for(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as new_connection:
            _run(new_connection)
        engine.dispose()
    else:
        _run(connection)


# Made by a migration for one database only, not declared on the models: the indexes /find reads,
# PostgreSQL's trigram index (migration 0006) and SQLite's search-text index (0007). Autogenerate leaves
# them alone.
MIGRATION_ONLY = {"ix_contact_search_trgm", "ix_contact_owner_search"}


def _include(item: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "index" and name in MIGRATION_ONLY)


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=_include,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
