"""Database errors as the engine raises them, on real SQLite files and a real PostgreSQL: none carries the
values of its statement, and the ones a retry would meet again (a schema that does not match, permission
denied) are told from those that pass (a lock, a lost connection)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from storage.engine import create_engine_for, failure_will_recur
from tests.factories import Storage

NAME = "Annukka Virtanen-Kivelä"


def raised(statement: Callable[[sa.Connection], object], engine: sa.Engine) -> sa_exc.DBAPIError:
    with pytest.raises(sa_exc.DBAPIError) as caught, engine.begin() as connection:
        statement(connection)
    return caught.value


def test_a_failing_statement_does_not_list_its_parameters(repo: Storage) -> None:
    error = raised(
        lambda c: c.execute(
            sa.text("INSERT INTO contact (owner_id, name) VALUES (:owner, :name)"),
            {"owner": 424242, "name": NAME},
        ),
        repo.engine,
    )
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(error)
    if repo.engine.dialect.name == "sqlite":
        assert NAME not in str(error) and "424242" not in str(error)
    # PostgreSQL's DETAIL still quotes the failing row: runtime/logs.py withholds such messages.
    assert not failure_will_recur(error), "another row may well be accepted"


def test_a_schema_that_does_not_match_will_fail_again(repo: Storage) -> None:
    missing_table = raised(lambda c: c.execute(sa.text("SELECT * FROM contact_elsewhere")), repo.engine)
    missing_column = raised(lambda c: c.execute(sa.text("SELECT nickname FROM contact")), repo.engine)
    assert failure_will_recur(missing_table) and failure_will_recur(missing_column)


def test_a_lock_waited_on_too_long_passes(sqlite_url: str) -> None:
    # Without the bot's busy timeout: the second writer is refused at once, "database is locked".
    holder = sa.create_engine(sqlite_url, connect_args={"timeout": 0})
    other = sa.create_engine(sqlite_url, connect_args={"timeout": 0})
    with holder.connect() as holding:
        holding.exec_driver_sql("BEGIN IMMEDIATE")
        locked = raised(lambda c: c.exec_driver_sql("DELETE FROM inbox"), other)
        holding.exec_driver_sql("ROLLBACK")
    holder.dispose()
    other.dispose()
    assert "locked" in str(locked.orig)
    assert not failure_will_recur(locked)


@pytest.mark.postgres
def test_permission_denied_will_fail_again_and_a_lost_server_passes(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    role = f"no_rights_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{role}"')
        connection.exec_driver_sql("CREATE TABLE private_rows (id integer)")
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
    try:

        def as_role_without_rights(connection: sa.Connection) -> None:
            connection.exec_driver_sql(f'SET ROLE "{role}"')
            connection.execute(sa.text("SELECT count(*) FROM private_rows"))

        denied = raised(as_role_without_rights, engine)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
        engine.dispose()
    assert "permission denied" in str(denied.orig)
    assert failure_will_recur(denied)

    nobody = create_engine_for("postgresql+psycopg://postgres@127.0.0.1:1/test")
    with pytest.raises(sa_exc.OperationalError) as unreachable:
        nobody.connect()
    nobody.dispose()
    assert not failure_will_recur(unreachable.value)
