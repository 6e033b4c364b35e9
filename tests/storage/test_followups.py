"""Claims on SQLite and PostgreSQL: each due reminder goes to exactly one dispatcher, leases lapse."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from bot.delivery import Delivery, Result
from runtime.dispatcher import Dispatcher
from storage.engine import create_engine_for
from storage.followups import DueDigest, DueReminder
from storage.models import FollowUp
from tests.factories import FakeClock, FakeMonotonic, Storage, seed_due_reminders

DUE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def seed(repo: Storage, reminders: int, *, reps: int = 10) -> None:
    """Reps with contacts and reminders all due at DUE (digests off, so only reminders are due)."""
    seed_due_reminders(
        repo.engine, reps=reps, reminders=reminders, first_chat=10_000, due=DUE, now=repo.clock()
    )


def test_a_claimed_reminder_is_not_claimed_again_until_its_lease_lapses(
    repo: Storage, clock: FakeClock
) -> None:
    seed(repo, 3, reps=1)
    followups = repo.followups
    clock.now = DUE
    first = followups.claim_due_reminders(claimer="a", lease=timedelta(minutes=2), limit=10)
    assert len(first) == 3
    assert followups.claim_due_reminders(claimer="b", lease=timedelta(minutes=2), limit=10) == []
    assert followups.mark_reminder_sent(reminder_id=first[0].id, claimer="a", message_id=1)
    clock.advance(timedelta(minutes=3))
    again = followups.claim_due_reminders(claimer="b", lease=timedelta(minutes=2), limit=10)
    assert sorted(row.id for row in again) == sorted(row.id for row in first[1:])
    # The dead claimer's late mark does not take the row back from the living one.
    assert not followups.mark_reminder_sent(reminder_id=first[1].id, claimer="a", message_id=2)


def seed_backlog(repo: Storage, *, backlog: int, singles: int) -> list[int]:
    """One rep with `backlog` reminders due at DUE and `singles` reps with one each, due a second later (the
    big rep's rows are the oldest); the reps' ids, the big one first."""
    [big] = seed_due_reminders(
        repo.engine, reps=1, reminders=backlog, first_chat=10_000, due=DUE, now=repo.clock()
    )
    others = seed_due_reminders(
        repo.engine,
        reps=singles,
        reminders=singles,
        first_chat=20_000,
        due=DUE + timedelta(seconds=1),
        now=repo.clock(),
    )
    return [big, *others]


def test_a_reps_backlog_is_claimed_a_chunk_at_a_time_and_by_one_claimer(
    repo: Storage, clock: FakeClock
) -> None:
    big, *_ = seed_backlog(repo, backlog=100, singles=40)
    followups, lease = repo.followups, timedelta(minutes=2)
    clock.now = DUE + timedelta(minutes=1)
    first = followups.claim_due_reminders(claimer="a", lease=lease, limit=60, per_chat=10)
    mine = [row for row in first if row.recipient.rep_id == big]
    # Ten of the big rep's, and every other rep's one, though all the big rep's are older.
    assert len(mine) == 10 and len(first) == 50
    assert followups.claim_due_reminders(claimer="a", lease=lease, limit=60, per_chat=10) == []
    # Another dispatcher leaves the big rep alone while "a" is sending to them.
    assert followups.claim_due_reminders(claimer="b", lease=lease, limit=60, per_chat=10) == []
    for row in mine[:4]:
        assert followups.mark_reminder_sent(reminder_id=row.id, claimer="a", message_id=row.id)
    more = followups.claim_due_reminders(claimer="a", lease=lease, limit=60, per_chat=10)
    assert len(more) == 4 and {row.recipient.rep_id for row in more} == {big}
    assert not {row.id for row in more} & {row.id for row in first}


def test_two_claimers_at_the_same_instant_never_split_one_reps_backlog(
    repo: Storage, clock: FakeClock
) -> None:
    # Two dispatchers (replicas) claiming in the same instant, on threads of their own, again and again.
    # A claim smaller than the rep's quota: what the first takes, the second would find past it.
    big, *_ = seed_backlog(repo, backlog=100, singles=0)
    followups, lease = repo.followups, timedelta(minutes=2)
    clock.now = DUE + timedelta(minutes=1)
    for round_ in range(20):
        start = threading.Barrier(2)

        def claim(claimer: str, start: threading.Barrier = start) -> list[int]:
            start.wait()
            rows = followups.claim_due_reminders(claimer=claimer, lease=lease, limit=5, per_chat=10)
            return [row.id for row in rows if row.recipient.rep_id == big]

        with ThreadPoolExecutor(2) as pool:
            a, b = pool.map(claim, (f"a{round_}", f"b{round_}"))
        assert not (a and b), f"round {round_}: both claimers hold the big rep's reminders"
        with repo.engine.begin() as connection:  # everything given back for the next round
            connection.execute(
                sa.update(FollowUp)
                .where(col(FollowUp.state) == "claimed")
                .values(state="pending", claimed_by=None, lease_until=None)
            )


def test_a_renewed_claim_is_not_taken_by_another_claimer(repo: Storage, clock: FakeClock) -> None:
    seed(repo, 3, reps=1)
    followups, lease = repo.followups, timedelta(minutes=2)
    clock.now = DUE
    held = followups.claim_due_reminders(claimer="a", lease=lease, limit=10)
    ids = [row.id for row in held]
    clock.advance(timedelta(seconds=90))
    assert followups.renew(table="reminder", row_ids=ids, claimer="a", lease=lease) == set(ids)
    clock.advance(timedelta(seconds=90))  # three minutes after the claim, 90 s after the renewal
    assert followups.claim_due_reminders(claimer="b", lease=lease, limit=10) == []
    # Once "a" stops renewing (it died), its lease runs out and "b" takes the rows; "a", should it wake,
    # renews none of them.
    clock.advance(timedelta(minutes=3))
    taken = followups.claim_due_reminders(claimer="b", lease=lease, limit=10)
    assert sorted(row.id for row in taken) == sorted(ids)
    assert followups.renew(table="reminder", row_ids=ids, claimer="a", lease=lease) == set()


def test_two_dispatchers_send_a_thousand_reminders_exactly_once(repo: Storage, database_url: str) -> None:
    seed(repo, 1000, reps=200)  # a broadcast: five each, so the overall rate is what bounds it
    clock = FakeClock(DUE + timedelta(minutes=1))
    sent: dict[str, list[int]] = {"one": [], "two": []}
    lock = threading.Lock()

    def run(name: str) -> None:
        engine = create_engine_for(database_url)
        followups = Storage.on(engine, clock).followups

        async def send_reminder(reminder: DueReminder) -> Delivery:
            with lock:
                sent[name].append(reminder.id)
            await asyncio.sleep(0)
            return Delivery(Result.SENT, message_id=reminder.id)

        async def send_digest(digest: DueDigest) -> Delivery:
            raise AssertionError("no digest is due")

        pacing = FakeMonotonic()

        async def no_wait(seconds: float) -> None:
            await pacing.sleep(seconds)
            await asyncio.sleep(0)

        dispatcher = Dispatcher(
            followups,
            clock=clock,
            send_reminder=send_reminder,
            send_digest=send_digest,
            batch=25,
            sleep=no_wait,
            monotonic=pacing,
        )
        asyncio.run(dispatcher.run_once())
        engine.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in sent]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    everything = sent["one"] + sent["two"]
    assert len(everything) == 1000
    assert len(set(everything)) == 1000, "a reminder was sent twice"
    assert sent["one"] and sent["two"], "both dispatchers did some of the work"
    with repo.engine.connect() as connection:
        states = dict(connection.exec_driver_sql("SELECT state, count(*) FROM followup GROUP BY state").all())
    assert states == {"sent": 1000}
