"""Imports in storage: a batch is found only by its owner."""

from __future__ import annotations

from bot.imports import ImportRow, ParsedFile
from storage.exchange import ImportBatchRead
from tests.factories import Storage, make_rep


def test_an_import_batch_is_found_by_its_owner_only(repo: Storage) -> None:
    exchange = repo.exchange
    owner, other = make_rep(repo, 1), make_rep(repo, 2)
    plan = exchange.plan_import(owner_id=owner.id, parsed=ParsedFile(rows=[ImportRow(line=2, name="Anna")]))
    assert exchange.import_batch(owner_id=owner.id, batch_id=plan.batch_id) == ImportBatchRead(
        plan.batch_id, owner.id, "pending"
    )
    assert exchange.import_batch(owner_id=other.id, batch_id=plan.batch_id) is None
    assert exchange.import_batch(owner_id=owner.id, batch_id=plan.batch_id + 1) is None
    exchange.cancel_import(owner_id=owner.id, batch_id=plan.batch_id)
    found = exchange.import_batch(owner_id=owner.id, batch_id=plan.batch_id)
    assert found is not None and found.state == "cancelled"
