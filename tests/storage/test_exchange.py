"""Imports in storage: a batch is found only by its owner, applied once however many taps claim it at
once, and stopped from another process."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.imports import ImportRow, ParsedFile
from bot.qualification import QualificationAnswers
from storage.engine import create_engine_for
from storage.exchange import (
    IMPORT_CHUNK,
    IMPORT_LEASE,
    ImportBatchRead,
    ImportCancelled,
    ImportClaim,
    ImportResult,
    ImportStop,
)
from storage.migrate import upgrade_to_latest
from tests.factories import FakeClock, Storage, make_rep, save


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


def test_a_national_number_in_a_file_matches_the_contact_stored_in_e164(repo: Storage) -> None:
    # A Helsinki rep's contact was saved as +358 40 123 4567; the file writes it as Finns do.
    rep = make_rep(repo, 1)
    save(repo, rep, QualificationAnswers(name="Aino Virtanen", phone="+358 40 123 4567"), repo.clock())
    rows = [ImportRow(line=2, name="A. Virtanen", phone="040 123 4567")]
    plan = repo.exchange.plan_import(owner_id=rep.id, parsed=ParsedFile(rows=rows))
    assert (plan.new, plan.duplicates) == (0, 1)


def test_an_imported_number_is_found_by_part_of_either_of_its_forms(repo: Storage) -> None:
    """A file's number as Finns write it is stored in its international form, and /find matches a part
    of either form, as for a contact captured in the chat."""
    rep = make_rep(repo, 1)
    rows = [ImportRow(line=2, name="Aino Virtanen", phone="040 123 4567", note="Met at the fair")]
    batch = repo.exchange.plan_import(owner_id=rep.id, parsed=ParsedFile(rows=rows)).batch_id
    assert repo.exchange.claim_import(owner_id=rep.id, batch_id=batch) is ImportClaim.CLAIMED
    assert repo.exchange.apply_import(owner_id=rep.id, batch_id=batch, merge=False) == ImportResult(1, 0, 0)
    for search in ("0401234", "3584012", "fair", "virtanen"):
        found = repo.contacts.find_contacts(owner_id=rep.id, text=search, offset=0, limit=5)
        assert [item.name for item in found.items] == ["Aino Virtanen"], search


def planned(repo: Storage, owner_id: int, count: int) -> int:
    """An import of `count` new people planned for the rep; the batch's id."""
    rows = [ImportRow(line=index + 2, name=f"Person {index}", company="Acme") for index in range(count)]
    return repo.exchange.plan_import(owner_id=owner_id, parsed=ParsedFile(rows=rows)).batch_id


def contacts_of(repo: Storage, owner_id: int) -> int:
    with repo.engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM contact WHERE owner_id = :owner"), {"owner": owner_id}
            ).scalar_one()
        )


def test_two_taps_applying_one_import_at_once_store_it_once(repo: Storage) -> None:
    # A double tap reaching two replicas: two threads claim and apply the same batch at the same moment.
    owner = make_rep(repo)
    batch = planned(repo, owner.id, 3_000)
    start = threading.Barrier(2)

    def tap() -> tuple[ImportClaim, ImportResult | None]:
        start.wait()
        claim = repo.exchange.claim_import(owner_id=owner.id, batch_id=batch)
        if claim is not ImportClaim.CLAIMED:
            return claim, None
        return claim, repo.exchange.apply_import(owner_id=owner.id, batch_id=batch, merge=False)

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: tap(), range(2)))
    claims = sorted((claim for claim, _ in outcomes), key=lambda claim: claim is not ImportClaim.CLAIMED)
    assert claims[0] is ImportClaim.CLAIMED and claims[1] in (ImportClaim.RUNNING, ImportClaim.DONE)
    assert [result for _, result in outcomes if result is not None] == [ImportResult(3_000, 0, 0)]
    assert contacts_of(repo, owner.id) == 3_000
    assert repo.exchange.claim_import(owner_id=owner.id, batch_id=batch) is ImportClaim.DONE


def test_a_second_apply_of_one_claim_waits_for_the_first_and_stores_nothing(repo: Storage) -> None:
    owner = make_rep(repo)
    batch = planned(repo, owner.id, 1_500)
    assert repo.exchange.claim_import(owner_id=owner.id, batch_id=batch) is ImportClaim.CLAIMED
    start = threading.Barrier(2)

    def apply() -> ImportResult | None:
        start.wait()
        return repo.exchange.apply_import(owner_id=owner.id, batch_id=batch, merge=False)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: apply(), range(2)))
    assert sorted(results, key=lambda result: result is None) == [ImportResult(1_500, 0, 0), None]
    assert contacts_of(repo, owner.id) == 1_500


def test_a_claim_whose_process_died_is_cancelled_by_stop(repo: Storage) -> None:
    owner, other = make_rep(repo, 1), make_rep(repo, 2)
    batch = planned(repo, owner.id, 10)
    assert repo.exchange.claim_import(owner_id=owner.id, batch_id=batch) is ImportClaim.CLAIMED
    assert repo.exchange.claim_import(owner_id=owner.id, batch_id=batch) is ImportClaim.RUNNING
    # Someone else's press finds nothing of theirs.
    assert repo.exchange.claim_import(owner_id=other.id, batch_id=batch) is ImportClaim.GONE
    assert repo.exchange.stop_import(owner_id=other.id, batch_id=batch) is ImportStop.GONE
    # The process that claimed it died before it committed anything; past the lease Stop cancels it.
    repo.clock.advance(IMPORT_LEASE + timedelta(seconds=1))
    assert repo.exchange.stop_import(owner_id=owner.id, batch_id=batch) is ImportStop.STOPPED
    found = repo.exchange.import_batch(owner_id=owner.id, batch_id=batch)
    assert found is not None and found.state == "cancelled"
    assert repo.exchange.apply_import(owner_id=owner.id, batch_id=batch, merge=False) is None
    assert repo.exchange.claim_import(owner_id=owner.id, batch_id=batch) is ImportClaim.GONE
    assert contacts_of(repo, owner.id) == 0


@pytest.mark.postgres
def test_stop_written_by_another_process_stops_the_apply_at_its_next_chunk(postgres_url: str) -> None:
    # Two replicas are two Database instances over one PostgreSQL: one applies, the other presses Stop.
    clock = FakeClock()
    engines = [create_engine_for(postgres_url) for _ in range(2)]
    upgrade_to_latest(engines[0])
    applying, stopping = (Storage.on(engine, clock) for engine in engines)
    try:
        owner = make_rep(applying)
        batch = planned(applying, owner.id, 2_000)
        assert applying.exchange.claim_import(owner_id=owner.id, batch_id=batch) is ImportClaim.CLAIMED
        first_chunk, stop_pressed = threading.Event(), threading.Event()
        reported: list[int] = []

        def progress(done: int, total: int) -> None:
            reported.append(done)
            if done == IMPORT_CHUNK:
                first_chunk.set()
                assert stop_pressed.wait(30)

        with ThreadPoolExecutor(1) as pool:
            work = pool.submit(
                applying.exchange.apply_import,
                owner_id=owner.id,
                batch_id=batch,
                merge=False,
                progress=progress,
            )
            assert first_chunk.wait(30)
            assert stopping.exchange.stop_import(owner_id=owner.id, batch_id=batch) is ImportStop.STOPPING
            stop_pressed.set()
            with pytest.raises(ImportCancelled):
                work.result()
        # It stopped right after the chunk it was in, not at the end.
        assert reported == [IMPORT_CHUNK]
        assert contacts_of(applying, owner.id) == 0
    finally:
        for engine in engines:
            engine.dispose()
