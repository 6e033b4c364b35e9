"""The contact's next follow-up (contact.next_due_at, which orders the lists) after every kind of write,
on SQLite and PostgreSQL; /find's capped count; the digest's bounded sections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot import schedule
from bot.scoring import Score
from storage.contacts import ContactBook
from storage.followups import DIGEST_COUNT_CAP, DIGEST_LINES, FollowUpRepository
from storage.models import Contact, FollowUp
from storage.repository import FIND_COUNT_CAP, ContactOrder, Repository, RepRead
from tests.factories import FakeClock, add_contacts, next_due_mismatches
from tests.storage.test_repository import QUALIFIED, make_rep, save

NO_SCORE = Score(0, ())


def in_next_order(repo: Repository, rep: RepRead) -> list[tuple[str, datetime | None]]:
    page = repo.list_contacts(owner_id=rep.id, status="prospect", order=ContactOrder.NEXT, offset=0, limit=10)
    return [(item.name, item.next_due) for item in page.items]


def open_followup(repo: Repository, contact_id: int) -> int:
    with Session(repo.engine) as session:
        return (
            session.exec(
                select(FollowUp.id).where(
                    FollowUp.contact_id == contact_id, col(FollowUp.state).in_(("pending", "claimed", "sent"))
                )
            ).one()
            or 0
        )


def test_the_list_by_next_follow_up_follows_every_change_of_a_follow_up(
    repo: Repository, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    followups, book = FollowUpRepository(repo), ContactBook(repo)
    now = clock()
    day = timedelta(days=1)
    anna = save(repo, rep, QUALIFIED.model_copy(update={"next_due": now + 3 * day}), now)
    bela = save(repo, rep, QUALIFIED.model_copy(update={"name": "Béla Szabó"}), now)
    cecile = save(repo, rep, QUALIFIED.model_copy(update={"name": "Cécile", "next_due": now + day}), now)
    assert in_next_order(repo, rep) == [
        ("Cécile", now + day),
        ("Anna Virtanen", now + 3 * day),
        ("Béla Szabó", None),
    ]

    assert book.set_followup(owner_id=rep.id, contact_id=anna, due=now + day / 2)
    assert [name for name, _ in in_next_order(repo, rep)] == ["Anna Virtanen", "Cécile", "Béla Szabó"]

    assert followups.reschedule(owner_id=rep.id, followup_id=open_followup(repo, cecile), due=now + day / 4)
    assert in_next_order(repo, rep)[0] == ("Cécile", now + day / 4)

    # Done without a next step: no follow-up left (the newest of those without one comes first).
    done = open_followup(repo, cecile)
    assert followups.complete(owner_id=rep.id, followup_id=done, outcome="met", score=NO_SCORE)
    assert followups.schedule_next(owner_id=rep.id, followup_id=done, due=None)
    assert in_next_order(repo, rep) == [
        ("Anna Virtanen", now + day / 2),
        ("Cécile", None),
        ("Béla Szabó", None),
    ]
    assert book.set_followup(owner_id=rep.id, contact_id=cecile, due=now + 2 * day)
    assert next_due_mismatches(repo.engine) == []

    # A reminder that was sent and not yet acted on is still the contact's next follow-up.
    clock.now = now + day
    claimed = followups.claim_due_reminders(claimer="a", lease=timedelta(minutes=2), limit=10)
    assert [reminder.contact_id for reminder in claimed] == [anna]
    assert followups.mark_reminder_sent(reminder_id=claimed[0].id, claimer="a", message_id=7)
    assert in_next_order(repo, rep)[0] == ("Anna Virtanen", now + day / 2)

    # Lost takes Anna off the prospects; a merge moves Cécile's follow-up to Béla.
    assert followups.mark_lost(owner_id=rep.id, followup_id=claimed[0].id, reason="price")
    assert book.merge(owner_id=rep.id, keep_id=bela, other_id=cecile)
    assert in_next_order(repo, rep) == [("Béla Szabó", now + 2 * day)]

    # A reminder that can never be sent stops being the next follow-up.
    clock.now = now + 3 * day
    for _ in range(schedule.MAX_ATTEMPTS):
        [reminder] = followups.claim_due_reminders(claimer="a", lease=timedelta(minutes=2), limit=10)
        followups.release(
            table="reminder", row_id=reminder.id, claimer="a", retry_after=None, count_attempt=True
        )
    assert in_next_order(repo, rep) == [("Béla Szabó", None)]
    assert next_due_mismatches(repo.engine) == []

    assert book.set_followup(owner_id=rep.id, contact_id=bela, due=now + 5 * day)
    assert book.set_followup(owner_id=rep.id, contact_id=bela, due=None)
    assert in_next_order(repo, rep) == [("Béla Szabó", None)]
    assert next_due_mismatches(repo.engine) == []


def test_find_counts_up_to_its_cap_and_says_there_are_more(repo: Repository) -> None:
    rep, other = make_rep(repo, 1), make_rep(repo, 2)
    add_contacts(repo.engine, rep.id, repo.clock(), FIND_COUNT_CAP + 5)
    add_contacts(repo.engine, other.id, repo.clock(), 3)
    many = repo.find_contacts(owner_id=rep.id, text="virtanen", offset=0, limit=8)
    assert (many.total, many.capped, len(many.items)) == (FIND_COUNT_CAP, True, 8)
    exact = repo.find_contacts(owner_id=rep.id, text="virtanen 100", offset=0, limit=8)
    assert (exact.total, exact.capped) == (6, False)  # 0100, 1000 ... 1004
    assert repo.find_contacts(owner_id=other.id, text="virtanen", offset=0, limit=8).total == 3


def test_the_digest_reads_a_screenful_of_each_section_and_counts_the_rest(
    repo: Repository, clock: FakeClock
) -> None:
    rep, other = make_rep(repo, 1), make_rep(repo, 2)
    now = clock()
    zone = ZoneInfo(rep.timezone)
    long_ago = now - timedelta(days=60)
    add_contacts(repo.engine, rep.id, repo.clock(), DIGEST_COUNT_CAP + 10, last_touch_at=long_ago)
    add_contacts(repo.engine, other.id, repo.clock(), 5, last_touch_at=long_ago)
    born = now.astimezone(zone).date().replace(year=1980)
    add_contacts(repo.engine, rep.id, repo.clock(), 30, status="lead", birthday=born)
    book = ContactBook(repo)
    with Session(repo.engine) as session:
        leads = session.exec(
            select(Contact.id).where(Contact.owner_id == rep.id, Contact.status == "lead")
        ).all()
    overdue = [now - timedelta(days=index + 1) for index in range(3)]
    for contact_id, due in zip(leads, overdue, strict=False):
        assert book.set_followup(owner_id=rep.id, contact_id=contact_id, due=due)

    data = FollowUpRepository(repo).digest_data(rep_id=rep.id, zone=zone)
    assert (data.quiet.total, data.quiet.capped, len(data.quiet.lines)) == (
        DIGEST_COUNT_CAP,
        True,
        DIGEST_LINES,
    )
    assert all(line.when == long_ago for line in data.quiet.lines)
    assert (data.birthdays.total, data.birthdays.capped, len(data.birthdays.lines)) == (
        30,
        False,
        DIGEST_LINES,
    )
    # Overdue, oldest first, each with its due time.
    assert [line.when for line in data.overdue.lines] == sorted(overdue)
    assert data.overdue.total == 3 and data.today.total == 0
    assert FollowUpRepository(repo).digest_data(rep_id=other.id, zone=zone).quiet.total == 5


def test_a_digest_line_per_open_follow_up_of_each_state_soonest_first(
    repo: Repository, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    followups = FollowUpRepository(repo)
    now = clock.now = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 08:00 in Helsinki
    first = save(repo, rep, QUALIFIED.model_copy(update={"next_due": now + timedelta(hours=1)}), now)
    second = save(
        repo, rep, QUALIFIED.model_copy(update={"name": "B", "next_due": now + timedelta(hours=2)}), now
    )
    save(repo, rep, QUALIFIED.model_copy(update={"name": "C", "next_due": now + timedelta(hours=3)}), now)
    clock.now = now + timedelta(hours=2, minutes=30)
    sent = followups.claim_due_reminders(claimer="a", lease=timedelta(minutes=2), limit=1)
    assert [reminder.contact_id for reminder in sent] == [first]
    followups.mark_reminder_sent(reminder_id=sent[0].id, claimer="a", message_id=1)
    held = followups.claim_due_reminders(claimer="a", lease=timedelta(minutes=2), limit=1)
    assert [reminder.contact_id for reminder in held] == [second]
    data = followups.digest_data(rep_id=rep.id, zone=ZoneInfo(rep.timezone))
    assert [line.name for line in data.today.lines] == ["Anna Virtanen", "B", "C"]
    assert data.today.total == 3
