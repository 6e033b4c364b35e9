"""Migrating a database that already holds contacts, on SQLite and PostgreSQL, and back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from storage.contacts import ContactOrder
from storage.engine import create_engine_for
from storage.migrate import alembic_config
from storage.models import Contact
from tests.factories import FakeClock, Storage, next_due_mismatches

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A database with no tables yet."""
    url = (
        f"sqlite:///{tmp_path / 'old.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = create_engine_for(url)
    yield engine
    engine.dispose()


def migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_next_follow_up_is_filled_in_for_contacts_made_before_it_existed(empty_engine: sa.Engine) -> None:
    migrate(empty_engine, "0005")
    repo = Storage.on(empty_engine, FakeClock(NOW))
    naive = NOW.replace(tzinfo=None)
    with empty_engine.begin() as connection:
        # The rep as the schema of then has it (today's model has columns added since).
        reps = sa.Table("rep", sa.MetaData(), autoload_with=connection)
        values = {
            "telegram_id": 1,
            "chat_id": 1,
            "language": "fi",
            "timezone": "Europe/Helsinki",
            "digest_time": "08:00",
            "onboarded": True,
            "working_days": "12345",
            "digest_when_empty": False,
            "weekly_summary": False,
            "active": True,
            "access": "open",
            "role": "rep",
            "display_name": "",
            "created_at": naive,
            "updated_at": naive,
        }
        rep_id = connection.execute(
            sa.insert(reps).values({key: value for key, value in values.items() if key in reps.c})
        ).inserted_primary_key[0]
    with empty_engine.begin() as connection:
        contact = sa.Table("contact", sa.MetaData(), autoload_with=connection)
        ids = []
        for name in ("Aino", "Bertil", "Csilla"):
            ids.append(
                connection.execute(
                    sa.insert(contact).values(
                        owner_id=rep_id,
                        name=name,
                        name_key=name.lower(),
                        status="lead",
                        status_rule="bant-v1",
                        status_reasons=[],
                        score=0,
                        score_reasons=[],
                        touches=0,
                        search_text=name.lower(),
                        created_at=naive,
                        updated_at=naive,
                    )
                ).inserted_primary_key[0]
            )
    aino, bertil, csilla = ids
    with empty_engine.begin() as connection:
        # The follow-ups too as the schema of then has them.
        followup = sa.Table("followup", sa.MetaData(), autoload_with=connection)
        for contact_id, due, state in (
            (aino, NOW + timedelta(days=3), "pending"),
            (aino, NOW - timedelta(days=1), "sent"),
            (bertil, NOW - timedelta(days=9), "done"),
            (csilla, NOW + timedelta(days=1), "pending"),
        ):
            connection.execute(
                sa.insert(followup).values(
                    owner_id=rep_id,
                    contact_id=contact_id,
                    due_at=due.replace(tzinfo=None),
                    kind="next",
                    state=state,
                    attempts=0,
                    created_at=naive,
                )
            )

    migrate(empty_engine, "head")
    assert next_due_mismatches(empty_engine) == []
    page = repo.contacts.list_contacts(
        owner_id=rep_id, status="lead", order=ContactOrder.NEXT, offset=0, limit=8
    )
    assert [(item.name, item.next_due) for item in page.items] == [
        ("Aino", NOW - timedelta(days=1)),
        ("Csilla", NOW + timedelta(days=1)),
        ("Bertil", None),
    ]
    # A contact made after the migration sorts with those without a follow-up, newest first.
    with Session(empty_engine) as session:
        session.add(
            Contact(
                owner_id=rep_id,
                name="Dóra",
                name_key="dora",
                status="lead",
                status_rule="bant-v1",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.commit()
    page = repo.contacts.list_contacts(
        owner_id=rep_id, status="lead", order=ContactOrder.NEXT, offset=0, limit=8
    )
    assert [item.name for item in page.items] == ["Aino", "Csilla", "Dóra", "Bertil"]

    migrate(empty_engine, "0005", down=True)
    migrate(empty_engine, "head")
    assert next_due_mismatches(empty_engine) == []


def test_the_awaiting_value_migration_keeps_every_row(empty_engine: sa.Engine) -> None:
    migrate(empty_engine, "0007")
    naive = NOW.replace(tzinfo=None)
    with empty_engine.begin() as connection:
        rep_id = old_rep(
            connection,
            language="hu",
            timezone="Europe/Budapest",
            awaiting="fu-note:12:3",  # the older form: it reads as no question
            awaiting_until=naive + timedelta(minutes=10),
            display_name="Réka",
        )
        old_contact(connection, rep_id, "Aino")
    migrate(empty_engine, "head")
    # SQLite is altered in place: rebuilding `rep` would have deleted its contacts through the cascade.
    repo = Storage.on(empty_engine, FakeClock(NOW))
    stored = repo.reps.get_rep(telegram_id=1)
    assert stored is not None and stored.awaiting is None and stored.display_name == "Réka"
    with empty_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM contact")).scalar_one() == 1
    migrate(empty_engine, "0007", down=True)
    migrate(empty_engine, "head")
    with empty_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM contact")).scalar_one() == 1


def insert_into(table: str, **values: object) -> sa.Insert:
    """An INSERT into a table as the old schema has it, without reflecting it (which would warn)."""
    return sa.insert(sa.table(table, *(sa.column(name) for name in values))).values(**values)


def old_rep(connection: sa.Connection, **values: object) -> int:
    """A rep row as the schemas 0007 to 0010 have it; its id."""
    naive = NOW.replace(tzinfo=None)
    row = {
        "telegram_id": 1,
        "chat_id": 1,
        "digest_time": "08:30",
        "onboarded": True,
        "working_days": "12345",
        "digest_when_empty": False,
        "weekly_summary": False,
        "active": True,
        "access": "open",
        "role": "rep",
        "created_at": naive,
        "updated_at": naive,
    }
    statement = insert_into("rep", **(row | values)).returning(sa.column("id"))
    return int(connection.execute(statement).scalar_one())


def old_contact(connection: sa.Connection, owner_id: int, name: str, **values: object) -> None:
    """A lead as the schemas 0007 to 0010 have it, with no follow-up."""
    naive = NOW.replace(tzinfo=None)
    row = {
        "owner_id": owner_id,
        "name": name,
        "name_key": name.lower(),
        "status": "lead",
        "status_rule": "bant-v1",
        "status_reasons": "[]",
        "score": 0,
        "score_reasons": "[]",
        "touches": 0,
        "search_text": name.lower(),
        "next_due_at": datetime(9999, 12, 31),
        "created_at": naive,
        "updated_at": naive,
    }
    connection.execute(insert_into("contact", **(row | values)))


def test_the_import_claim_migration_keeps_which_import_made_each_contact(empty_engine: sa.Engine) -> None:
    migrate(empty_engine, "0009")
    naive = NOW.replace(tzinfo=None)
    with empty_engine.begin() as connection:
        rep_id = old_rep(connection, language="fi", timezone="Europe/Helsinki", display_name="Aino")
        batch_id = connection.execute(
            insert_into(
                "importbatch", owner_id=rep_id, state="done", rows="[]", merged="{}", created_at=naive
            ).returning(sa.column("id"))
        ).scalar_one()
        old_contact(connection, rep_id, "Pekka", status_rule="imported", import_batch_id=batch_id)

    def made_by() -> list[tuple[object, ...]]:
        with empty_engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text("SELECT import_batch_id FROM contact"))]

    migrate(empty_engine, "head")
    with empty_engine.connect() as connection:
        batch = connection.execute(
            sa.text("SELECT state, stop_requested, lease_until FROM importbatch")
        ).one()
    assert (batch.state, bool(batch.stop_requested), batch.lease_until) == ("done", False, None)
    assert made_by() == [(batch_id,)]
    # Down and up again: the table its contacts refer to is never rebuilt, so /undoimport still finds them.
    migrate(empty_engine, "0009", down=True)
    assert made_by() == [(batch_id,)]
    migrate(empty_engine, "head")
    assert made_by() == [(batch_id,)]
    assert Storage.on(empty_engine, FakeClock(NOW)).exchange.undo_last_import(owner_id=rep_id) == 1


def test_stored_phones_are_read_in_their_owners_country_and_kept_as_e164(empty_engine: sa.Engine) -> None:
    migrate(empty_engine, "0010")
    owners = {}
    with empty_engine.begin() as connection:
        for telegram_id, language, timezone in ((1, "en", "Europe/Helsinki"), (2, "nb", "UTC")):
            owners[telegram_id] = old_rep(
                connection, telegram_id=telegram_id, chat_id=telegram_id, language=language, timezone=timezone
            )
        for owner, name, phone in (
            (1, "Aino", "040-123 4567"),
            (1, "Antti", "ext. 12"),
            (2, "Kari", "912 34 567"),
        ):
            digits = "".join(char for char in phone if char.isdigit())
            old_contact(
                connection,
                owners[owner],
                name,
                phone=phone,
                phone_key=digits[-9:] if len(digits) >= 5 else None,
                search_text=f"{name.lower()} | {digits}",
            )
    migrate(empty_engine, "head")
    with empty_engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT name, phone, phone_key FROM contact ORDER BY name")).all()
    assert [tuple(row) for row in rows] == [
        ("Aino", "+358401234567", "+358401234567"),
        ("Antti", "ext. 12", None),
        ("Kari", "+4791234567", "+4791234567"),
    ]
    repo = Storage.on(empty_engine, FakeClock(NOW))
    finnish, norwegian = owners[1], owners[2]
    found = repo.contacts.find_contacts(owner_id=finnish, text="+358 40 123 4567", offset=0, limit=5)
    assert [item.name for item in found.items] == ["Aino"]
    twins = repo.contacts.find_duplicates(owner_id=norwegian, name=None, phone="+47 912 34 567")
    assert [item.name for item in twins] == ["Kari"]
    migrate(empty_engine, "0010", down=True)
    migrate(empty_engine, "head")
    twins = repo.contacts.find_duplicates(owner_id=norwegian, name=None, phone="91234567")
    assert [item.name for item in twins] == ["Kari"]


def test_the_calendar_migration_adds_a_table_and_keeps_every_rep(empty_engine: sa.Engine) -> None:
    migrate(empty_engine, "0010")
    with empty_engine.begin() as connection:
        rep_id = old_rep(connection, language="nb", timezone="Europe/Oslo", display_name="Kari")

    def reps() -> list[tuple[object, ...]]:
        with empty_engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text("SELECT id, timezone FROM rep"))]

    migrate(empty_engine, "head")
    storage = Storage.on(empty_engine, FakeClock(NOW))
    assert storage.calendar.turn_on(rep_id=rep_id, token_hash="f" * 64) is not None
    assert reps() == [(rep_id, "Europe/Oslo")]
    migrate(empty_engine, "0010", down=True)
    assert "calendar_feed" not in sa.inspect(empty_engine).get_table_names()
    assert reps() == [(rep_id, "Europe/Oslo")]
    migrate(empty_engine, "head")
    assert storage.calendar.feed_status(rep_id=rep_id) is None
    # Erasing the rep takes their subscription with it.
    storage.calendar.turn_on(rep_id=rep_id, token_hash="f" * 64)
    storage.privacy.erase(rep_id=rep_id)
    with empty_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM calendar_feed")).scalar() == 0
