"""Reps on SQLite and PostgreSQL: registering, preferences."""

from __future__ import annotations

from datetime import time

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
