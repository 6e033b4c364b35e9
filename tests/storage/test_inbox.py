"""The inbox on SQLite and PostgreSQL: a fetched batch kept once, handed back oldest first, and gone once
processed."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.factories import Storage


def update(update_id: int, text: str = "Anna Virtanen") -> tuple[int, str]:
    return update_id, json.dumps({"update_id": update_id, "message": {"text": text}})


def rows(repo: Storage) -> int:
    with repo.engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one())


def test_a_batch_is_kept_and_handed_back_oldest_first(repo: Storage) -> None:
    # Telegram's ids are above 2**31 for many bots: the column is a BigInteger.
    big = 2**40
    assert repo.inbox.keep(updates=[update(big + 3), update(big + 1), update(big + 2, "Ola")]) == {
        big + 1,
        big + 2,
        big + 3,
    }
    pending = repo.inbox.pending(limit=10)
    assert [update_id for update_id, _ in pending] == [big + 1, big + 2, big + 3]
    assert json.loads(pending[1][1]) == {"update_id": big + 2, "message": {"text": "Ola"}}
    assert [update_id for update_id, _ in repo.inbox.pending(limit=2)] == [big + 1, big + 2]
    assert [update_id for update_id, _ in repo.inbox.pending(limit=10, after=big + 1)] == [big + 2, big + 3]


def test_a_batch_fetched_again_after_a_crash_keeps_only_what_is_new(repo: Storage) -> None:
    repo.inbox.keep(updates=[update(1), update(2, "first text")])
    # The process died between storing and confirming: Telegram sends 1 and 2 again, and 3 with them.
    assert repo.inbox.keep(updates=[update(1), update(2, "other text"), update(3)]) == {3}
    assert [update_id for update_id, _ in repo.inbox.pending(limit=10)] == [1, 2, 3]
    assert json.loads(repo.inbox.pending(limit=1, after=1)[0][1])["message"]["text"] == "first text"
    assert repo.inbox.keep(updates=[]) == set()


def test_a_processed_update_is_gone(repo: Storage) -> None:
    repo.inbox.keep(updates=[update(1), update(2)])
    repo.inbox.done(update_id=1)
    repo.inbox.done(update_id=1)  # twice (a duplicate delivery) is no error
    assert [update_id for update_id, _ in repo.inbox.pending(limit=10)] == [2]
    repo.inbox.done(update_id=2)
    assert rows(repo) == 0
    # Processed and deleted, then fetched again (its confirmation never reached Telegram): kept again.
    assert repo.inbox.keep(updates=[update(2)]) == {2}


def test_when_an_update_was_stored_is_known_until_it_is_done(repo: Storage) -> None:
    repo.inbox.keep(updates=[update(7)])
    assert repo.inbox.received_at(update_id=7) == repo.clock()
    repo.inbox.done(update_id=7)
    assert repo.inbox.received_at(update_id=7) is None
