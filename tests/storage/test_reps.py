"""Reps on SQLite and PostgreSQL: registering, preferences."""

from __future__ import annotations

from datetime import time

from storage.reps import RepRead
from tests.factories import Storage, make_rep


def test_registering_twice_returns_the_same_rep(repo: Storage) -> None:
    first = make_rep(repo, 42)
    again = make_rep(repo, 42)
    assert again.id == first.id
    updated = repo.reps.update_rep(
        rep_id=first.id, timezone="Europe/Oslo", digest_time=time(7, 30), onboarded=True
    )
    assert (updated.timezone, updated.digest_time, updated.onboarded) == ("Europe/Oslo", time(7, 30), True)


def test_a_reps_own_message_templates_are_kept_by_kind_and_reset(repo: Storage) -> None:
    rep = make_rep(repo, 43)
    assert rep.message_templates == () and rep.template_for("first") is None
    rep = repo.reps.set_message_template(rep_id=rep.id, kind="first", template="Hi {name} 👋 <b>&")
    rep = repo.reps.set_message_template(rep_id=rep.id, kind="winback", template="Again, {name}?")
    again = repo.reps.get_rep(telegram_id=43)
    assert again is not None
    assert again.message_templates == (("first", "Hi {name} 👋 <b>&"), ("winback", "Again, {name}?"))
    rep = repo.reps.set_message_template(rep_id=rep.id, kind="first", template=None)
    assert rep.template_for("first") is None and rep.template_for("winback") == "Again, {name}?"
    repo.reps.set_message_template(rep_id=rep.id, kind="winback", template=None)
    gone = repo.reps.get_rep(telegram_id=43)
    assert gone is not None and gone.message_templates == ()


def test_a_rep_registered_in_one_insert_reads_back_as_registered_and_a_race_finds_the_first(
    repo: Storage,
) -> None:
    """A first contact is one INSERT; a second first contact of the same person (another replica, a
    moment later) gets the rep the first one made, active."""

    def first_contact() -> RepRead:
        return repo.reps.register_rep(
            telegram_id=44,
            chat_id=7,
            language="fi",
            timezone="Europe/Helsinki",
            digest_time=time(8),
            display_name="Anna",
            unknown=True,
        )

    new = first_contact()
    assert new == repo.reps.get_rep(telegram_id=44)
    assert (new.language, new.timezone, new.digest_time, new.active) == (
        "fi",
        "Europe/Helsinki",
        time(8),
        True,
    )
    with repo.engine.connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT quiet_days IS NULL, message_templates IS NULL FROM rep WHERE telegram_id = 44"
        ).one()
    assert tuple(stored) == (True, True)  # SQL NULL, as the ORM stores an unset JSON column
    assert first_contact().id == new.id
