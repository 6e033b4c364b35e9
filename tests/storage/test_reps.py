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
