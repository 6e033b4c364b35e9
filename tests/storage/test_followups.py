"""Claims on SQLite and PostgreSQL: each due reminder goes to exactly one dispatcher, leases lapse."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from bot.dispatcher import Delivery, Dispatcher, Result
from storage.engine import create_engine_for
from storage.followups import DueDigest, DueReminder, FollowUpRepository
from storage.models import Contact, FollowUp
from storage.repository import Repository
from tests.factories import FakeClock

DUE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def seed(repo: Repository, reminders: int, *, reps: int = 10) -> None:
    """Reps with contacts and reminders all due at DUE (digests off, so only reminders are due)."""
    rows = []
    for number in range(reps):
        rep = repo.register_rep(
            telegram_id=10_000 + number,
            chat_id=10_000 + number,
            language="en",
            timezone="UTC",
            digest_time=time(9),
        )
        repo.update_rep(rep_id=rep.id, working_days="")
        rows.append(rep.id)
    now = repo.clock()
    with Session(repo.engine) as session:
        contacts = [
            Contact(
                owner_id=rows[index % reps],
                name=f"Contact {index}",
                name_key=f"contact {index}",
                status="lead",
                status_rule="bant-v1",
                created_at=now,
                updated_at=now,
            )
            for index in range(reminders)
        ]
        session.add_all(contacts)
        session.flush()
        session.add_all(
            FollowUp(owner_id=contact.owner_id, contact_id=contact.id or 0, due_at=DUE, created_at=now)
            for contact in contacts
        )
        session.commit()


def test_a_claimed_reminder_is_not_claimed_again_until_its_lease_lapses(
    repo: Repository, clock: FakeClock
) -> None:
    seed(repo, 3, reps=1)
    followups = FollowUpRepository(repo)
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


def test_two_dispatchers_send_a_thousand_reminders_exactly_once(repo: Repository, database_url: str) -> None:
    seed(repo, 1000)
    clock = FakeClock(DUE + timedelta(minutes=1))
    sent: dict[str, list[int]] = {"one": [], "two": []}
    lock = threading.Lock()

    def run(name: str) -> None:
        engine = create_engine_for(database_url)
        followups = FollowUpRepository(Repository(engine, clock))

        async def send_reminder(reminder: DueReminder) -> Delivery:
            with lock:
                sent[name].append(reminder.id)
            await asyncio.sleep(0)
            return Delivery(Result.SENT, message_id=reminder.id)

        async def send_digest(digest: DueDigest) -> Delivery:
            raise AssertionError("no digest is due")

        async def no_wait(seconds: float) -> None:
            await asyncio.sleep(0)

        dispatcher = Dispatcher(
            followups,
            clock=clock,
            send_reminder=send_reminder,
            send_digest=send_digest,
            batch=25,
            sleep=no_wait,
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
