"""What /mydata walks: every table of the schema is exported with the rep's rows, or listed with the reason
it is not, so that a table added later cannot be left out of "everything stored about you" unnoticed."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from storage.privacy import NOT_EXPORTED, REP_ROWS
from tests.factories import Storage

EXPORTED = {rows.name for rows in REP_ROWS}


def test_every_table_is_exported_or_listed_with_the_reason_it_is_not() -> None:
    assert len(EXPORTED) == len(REP_ROWS), "a table is declared twice"
    assert not EXPORTED & set(NOT_EXPORTED), "a table is both exported and listed as not exported"
    unaccounted = set(SQLModel.metadata.tables) - EXPORTED - set(NOT_EXPORTED)
    assert not unaccounted, f"add {sorted(unaccounted)} to storage.privacy.REP_ROWS or NOT_EXPORTED"
    assert set(NOT_EXPORTED) <= set(SQLModel.metadata.tables)
    assert all(len(reason) > 40 for reason in NOT_EXPORTED.values()), "say why, in a sentence"


def test_a_table_that_points_at_a_rep_or_their_records_is_exported() -> None:
    for name in NOT_EXPORTED:
        referenced = {key.column.table.name for key in SQLModel.metadata.tables[name].foreign_keys}
        assert not referenced & EXPORTED, f"{name} refers to {sorted(referenced & EXPORTED)}"


def test_the_migrated_database_has_exactly_the_tables_of_the_models(repo: Storage) -> None:
    """A table made by a migration alone would escape the check above."""
    tables = set(sa.inspect(repo.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(SQLModel.metadata.tables)
