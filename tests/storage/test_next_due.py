"""The contact's next follow-up (contact.next_due_at, which orders the lists) after every kind of write,
on SQLite and PostgreSQL; /find's capped count; the digest's bounded sections."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot import capture as flow
from bot import schedule
from bot.qualification import QualificationAnswers
from bot.schedule import OPEN_STATES, LostReason
from bot.scoring import Score
from storage.contacts import FIND_COUNT_CAP, ContactOrder
from storage.followups import DIGEST_COUNT_CAP, DIGEST_LINES
from storage.models import Contact, FollowUp
from storage.reps import RepRead
from tests.factories import FakeClock, Storage, add_contacts, make_rep, next_due_mismatches, save
from tests.storage.test_drafts import QUALIFIED

NO_SCORE = Score(0, ())


def in_next_order(repo: Storage, rep: RepRead) -> list[tuple[str, datetime | None]]:
    page = repo.contacts.list_contacts(
        owner_id=rep.id, status="prospect", order=ContactOrder.NEXT, offset=0, limit=10
    )
    return [(item.name, item.next_due) for item in page.items]


def open_followup(repo: Storage, contact_id: int) -> int:
    with Session(repo.engine) as session:
        return (
            session.exec(
                select(FollowUp.id).where(
                    FollowUp.contact_id == contact_id, col(FollowUp.state).in_(OPEN_STATES)
                )
            ).one()
            or 0
        )


def test_the_list_by_next_follow_up_follows_every_change_of_a_follow_up(
    repo: Storage, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    followups, book = repo.followups, repo.contacts
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
    assert book.mark_lost(
        owner_id=rep.id, contact_id=anna, reason=LostReason.BUDGET, followup_id=claimed[0].id
    )
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


def test_find_counts_up_to_its_cap_and_says_there_are_more(repo: Storage) -> None:
    rep, other = make_rep(repo, 1), make_rep(repo, 2)
    add_contacts(repo.engine, rep.id, repo.clock(), FIND_COUNT_CAP + 5)
    add_contacts(repo.engine, other.id, repo.clock(), 3)
    many = repo.contacts.find_contacts(owner_id=rep.id, text="virtanen", offset=0, limit=8)
    assert (many.total, many.capped, len(many.items)) == (FIND_COUNT_CAP, True, 8)
    exact = repo.contacts.find_contacts(owner_id=rep.id, text="virtanen 100", offset=0, limit=8)
    assert (exact.total, exact.capped) == (6, False)  # 0100, 1000 ... 1004
    assert repo.contacts.find_contacts(owner_id=other.id, text="virtanen", offset=0, limit=8).total == 3


def test_the_digest_reads_a_screenful_of_each_section_and_counts_the_rest(
    repo: Storage, clock: FakeClock
) -> None:
    rep, other = make_rep(repo, 1), make_rep(repo, 2)
    now = clock()
    zone = ZoneInfo(rep.timezone)
    long_ago = now - timedelta(days=60)
    born = now.astimezone(zone).date().replace(year=1980)
    add_contacts(
        repo.engine, rep.id, repo.clock(), DIGEST_COUNT_CAP + 10, last_touch_at=long_ago, birthday=born
    )
    add_contacts(repo.engine, other.id, repo.clock(), 5, last_touch_at=long_ago)
    add_contacts(repo.engine, rep.id, repo.clock(), 30, status="lead")
    book = repo.contacts
    with Session(repo.engine) as session:
        leads = session.exec(
            select(Contact.id).where(Contact.owner_id == rep.id, Contact.status == "lead")
        ).all()
    overdue = [now - timedelta(hours=7 * index + 30) for index in range(30)]
    for contact_id, due in zip(leads, overdue, strict=True):
        assert book.set_followup(owner_id=rep.id, contact_id=contact_id, due=due)
    # Some of them are being sent, some were sent and wait for the rep: all are overdue all the same.
    followups = repo.followups
    claimed = followups.claim_due_reminders(claimer="a", lease=timedelta(minutes=2), limit=10)
    for reminder in claimed[::2]:
        assert followups.mark_reminder_sent(reminder_id=reminder.id, claimer="a", message_id=1)

    assert followups.go_cold(rep_id=rep.id, zone=zone) == schedule.COLD_PER_DIGEST
    data = followups.digest_data(rep_id=rep.id, zone=zone)
    assert (data.birthdays.total, data.birthdays.capped, len(data.birthdays.lines)) == (
        DIGEST_COUNT_CAP,
        True,
        DIGEST_LINES,
    )
    # A few of the book gone quiet come back each morning, each with its follow-up and its last touch.
    assert (data.cold.total, data.cold.capped, len(data.cold.lines)) == (schedule.COLD_PER_DIGEST, False, 5)
    assert all(line.when == long_ago and line.followup_id is not None for line in data.cold.lines)
    # Overdue, oldest first whatever their state, each with its due time; the cold ones are not among them.
    assert [line.when for line in data.overdue.lines] == sorted(overdue)[:DIGEST_LINES]
    assert (data.overdue.total, data.overdue.capped, data.today.total) == (30, False, 0)
    assert followups.go_cold(rep_id=other.id, zone=zone) == 5
    assert repo.followups.digest_data(rep_id=other.id, zone=zone).cold.total == 5


def quiet_contact(repo: Storage, rep: RepRead, touched: datetime, status: str = "prospect") -> int:
    add_contacts(repo.engine, rep.id, touched, 1, last_touch_at=touched, status=status)
    with Session(repo.engine) as session:
        return max(session.exec(select(Contact.id).where(Contact.owner_id == rep.id)).all() or [0])


def cold_followups(repo: Storage, contact_id: int) -> list[tuple[str, str, datetime | None]]:
    with Session(repo.engine) as session:
        return [
            (row.kind, row.state, row.quiet_since)
            for row in session.exec(
                select(FollowUp).where(FollowUp.contact_id == contact_id).order_by(col(FollowUp.id))
            )
        ]


def test_a_contact_goes_cold_once_per_silence(repo: Storage, clock: FakeClock) -> None:
    rep = make_rep(repo)
    zone = ZoneInfo(rep.timezone)
    touched = clock() - timedelta(days=15)
    anna = quiet_contact(repo, rep, touched)
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 1
    assert cold_followups(repo, anna) == [("cold", "sent", touched)]
    # Due at this morning's digest, 08:30 in Helsinki: the digest is its reminder.
    assert repo.contacts.get_contact(owner_id=rep.id, contact_id=anna).next_due == datetime(
        2026, 11, 25, 6, 30, tzinfo=UTC
    )
    assert next_due_mismatches(repo.engine) == []
    # Its follow-up taken off without a word from the contact: the same silence brings no second one.
    assert repo.contacts.set_followup(owner_id=rep.id, contact_id=anna, due=None)
    clock.advance(timedelta(days=3))
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 0
    # A note is a touch: fifteen days after it, a new silence, and a new follow-up.
    assert repo.contacts.add_note(owner_id=rep.id, contact_id=anna, note="Called back")
    clock.advance(timedelta(days=13))
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 0
    clock.advance(timedelta(days=2))
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 1
    assert [kind for kind, *_ in cold_followups(repo, anna)] == ["cold", "cold"]


def test_a_contact_never_touched_never_goes_cold(repo: Storage, clock: FakeClock) -> None:
    rep = make_rep(repo)
    add_contacts(repo.engine, rep.id, clock() - timedelta(days=400), 3)  # imported, never met
    assert repo.followups.go_cold(rep_id=rep.id, zone=ZoneInfo(rep.timezone)) == 0


def test_each_status_goes_cold_after_its_own_days_as_the_rep_set_them(
    repo: Storage, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    zone = ZoneInfo(rep.timezone)
    now = clock()
    lead = quiet_contact(repo, rep, now - timedelta(days=20), "lead")  # leads: 30 days
    customer = quiet_contact(repo, rep, now - timedelta(days=91), "customer")  # customers: 90
    repeat = quiet_contact(repo, rep, now - timedelta(days=60), "repeat_buyer")  # as customers
    lost = quiet_contact(repo, rep, now - timedelta(days=400), "lost")  # has its win-back instead
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 1
    assert [bool(cold_followups(repo, one)) for one in (lead, customer, repeat, lost)] == [
        False,
        True,
        False,
        False,
    ]
    repo.reps.update_rep(rep_id=rep.id, quiet_days={"lead": 14, "customer": 0})
    clock.advance(timedelta(days=1))
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 1
    assert [bool(cold_followups(repo, one)) for one in (lead, repeat)] == [True, False]


def test_a_big_book_gone_quiet_comes_back_a_few_a_day(repo: Storage, clock: FakeClock) -> None:
    rep = make_rep(repo)
    zone = ZoneInfo(rep.timezone)
    add_contacts(repo.engine, rep.id, clock(), 8, last_touch_at=clock() - timedelta(days=30))
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == schedule.COLD_PER_DIGEST
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 0  # /today again, the same day
    clock.advance(timedelta(days=1))
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 3


def test_a_digest_line_per_open_follow_up_of_each_state_soonest_first(
    repo: Storage, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    followups = repo.followups
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


def test_two_writers_of_one_contact_leave_its_next_follow_up_right(repo: Storage, clock: FakeClock) -> None:
    """One writer closes a follow-up and has not committed yet while another moves the contact's other one:
    the second waits for the first and then sees what it did (on PostgreSQL by the contact's row lock)."""
    rep = make_rep(repo)
    followups, book = repo.followups, repo.contacts
    now = clock()
    day = timedelta(days=1)
    anna = save(repo, rep, QUALIFIED.model_copy(update={"next_due": now + day}), now)
    bela = save(repo, rep, QUALIFIED.model_copy(update={"name": "Béla", "next_due": now + 2 * day}), now)
    first, second = open_followup(repo, anna), open_followup(repo, bela)
    assert book.merge(owner_id=rep.id, keep_id=anna, other_id=bela)

    moved = threading.Event()
    with repo.database.writing() as session:
        assert followups._transition(
            session, owner_id=rep.id, followup_id=first, from_states=OPEN_STATES, state="done"
        )
        writer = threading.Thread(
            target=lambda: (
                moved.set()
                if followups.reschedule(owner_id=rep.id, followup_id=second, due=now + 5 * day)
                else None
            )
        )
        writer.start()
        time.sleep(0.5)
        assert not moved.is_set(), "the second writer did not wait for the first"
    writer.join(timeout=30)
    assert moved.is_set()
    assert next_due_mismatches(repo.engine) == []
    assert in_next_order(repo, rep) == [("Anna Virtanen", now + 5 * day)]


def test_a_meeting_logged_with_a_next_step_replaces_the_open_one(repo: Storage, clock: FakeClock) -> None:
    rep = make_rep(repo)
    followups = repo.followups
    now = clock()
    anna = save(repo, rep, QUALIFIED.model_copy(update={"next_due": now + timedelta(hours=1)}), now)
    clock.now = now + timedelta(hours=2)
    [sent] = followups.claim_due_reminders(claimer="a", lease=timedelta(minutes=2), limit=10)
    assert followups.mark_reminder_sent(reminder_id=sent.id, claimer="a", message_id=1)

    # The rep met Anna before acting on the reminder, and logs the meeting with a new next step.
    draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=rep.chat_id, answers=QUALIFIED, step=None)
    draft = repo.drafts.update_draft(draft=draft, contact_id=anna)
    assert draft is not None
    result = flow.evaluate(QUALIFIED.model_copy(update={"next_due": now + timedelta(days=7)}), now=clock())
    saved = repo.drafts.save_capture(
        draft=draft, answers=result.answers, classification=result.classification, score=result.score
    )
    assert saved is not None and saved.id == anna and saved.next_due == now + timedelta(days=7)
    assert followups.get_followup(owner_id=rep.id, followup_id=sent.id).state == "closed"  # type: ignore[union-attr]
    assert in_next_order(repo, rep) == [("Anna Virtanen", now + timedelta(days=7))]
    assert next_due_mismatches(repo.engine) == []


def test_a_failed_send_does_not_undo_what_the_rep_just_did(repo: Storage, clock: FakeClock) -> None:
    """The dispatcher gives back a reminder whose send failed while the rep is marking it done: the rep's
    change stands (the give-back waits for the contact's lock, then finds the reminder no longer claimed)."""
    rep = make_rep(repo)
    followups = repo.followups
    now = clock()
    save(repo, rep, QUALIFIED.model_copy(update={"next_due": now + timedelta(hours=1)}), now)
    clock.now = now + timedelta(hours=2)
    [reminder] = followups.claim_due_reminders(claimer="a", lease=timedelta(minutes=2), limit=10)

    released = threading.Event()

    def give_back() -> None:
        followups.release(
            table="reminder", row_id=reminder.id, claimer="a", retry_after=None, count_attempt=True
        )
        released.set()

    with repo.database.writing() as session:
        assert followups._transition(
            session, owner_id=rep.id, followup_id=reminder.id, from_states=OPEN_STATES, state="done"
        )
        dispatcher = threading.Thread(target=give_back)
        dispatcher.start()
        time.sleep(0.5)
        assert not released.is_set(), "the give-back did not wait for the rep's change"
    dispatcher.join(timeout=30)
    assert released.is_set()
    assert followups.get_followup(owner_id=rep.id, followup_id=reminder.id).state == "done"  # type: ignore[union-attr]
    assert in_next_order(repo, rep) == [("Anna Virtanen", None)]
    assert next_due_mismatches(repo.engine) == []


def test_find_ranks_its_matches_by_score_and_pages_them(repo: Storage) -> None:
    rep = make_rep(repo)
    for score in (40, 90, 40, 70):
        add_contacts(repo.engine, rep.id, repo.clock(), 1, score=score, name=f"Nagy {score}")
    first = repo.contacts.find_contacts(owner_id=rep.id, text="virtanen", offset=0, limit=3)
    second = repo.contacts.find_contacts(owner_id=rep.id, text="virtanen", offset=3, limit=3)
    assert (first.total, first.capped) == (4, False)
    # Best score first; of equal scores, the newer contact (the higher id) first.
    ids = [item.id for item in (*first.items, *second.items)]
    assert [item.score for item in (*first.items, *second.items)] == [90, 70, 40, 40]
    assert ids[2] > ids[3]


def test_two_contacts_gone_cold_together_merge_into_one_with_one_follow_up(
    repo: Storage, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    zone = ZoneInfo(rep.timezone)
    touched = clock() - timedelta(days=20)
    keep, other = quiet_contact(repo, rep, touched), quiet_contact(repo, rep, touched)
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 2
    assert repo.contacts.merge(owner_id=rep.id, keep_id=keep, other_id=other)
    assert sorted(cold_followups(repo, keep), key=str) == sorted(
        [("cold", "sent", touched), ("cold", "closed", None)], key=str
    )
    assert next_due_mismatches(repo.engine) == []


def save_meeting(repo: Storage, rep: RepRead, contact_id: int) -> Any:
    """A meeting with no next step logged on this contact, as the capture flow saves one; its card."""
    answers = QualificationAnswers(name="Carl")
    draft = repo.drafts.open_draft(
        owner_id=rep.id, chat_id=rep.chat_id, answers=answers, step=None, contact_id=contact_id
    )
    result = flow.evaluate(answers, now=repo.clock())
    return repo.drafts.save_capture(
        draft=draft, answers=result.answers, classification=result.classification, score=result.score
    )


def test_a_touch_ends_the_silence_and_a_planned_step_is_a_next_step(repo: Storage, clock: FakeClock) -> None:
    rep = make_rep(repo)
    zone = ZoneInfo(rep.timezone)
    anna = quiet_contact(repo, rep, clock() - timedelta(days=20))
    bertil = quiet_contact(repo, rep, clock() - timedelta(days=20))
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 2
    # A note on Anna while her cold follow-up is open: she is no longer going cold.
    assert repo.contacts.add_note(owner_id=rep.id, contact_id=anna, note="Called back")
    assert [state for _kind, state, _since in cold_followups(repo, anna)] == ["closed"]
    # A meeting logged on a contact gone cold: the card it answers with has no follow-up left.
    carl = quiet_contact(repo, rep, clock() - timedelta(days=20))
    clock.advance(timedelta(days=1))
    assert repo.followups.go_cold(rep_id=rep.id, zone=zone) == 1
    card = save_meeting(repo, rep, carl)
    assert card.next_due is None
    assert repo.contacts.get_contact(owner_id=rep.id, contact_id=anna).next_due is None
    # Bertil's follow-up moved to a date on the card: the rep's next step, listed as one.
    due = clock() + timedelta(days=2)
    assert repo.contacts.set_followup(owner_id=rep.id, contact_id=bertil, due=due)
    assert [kind for kind, *_ in cold_followups(repo, bertil)] == ["next"]
    clock.advance(timedelta(days=2, hours=1))
    data = repo.followups.digest_data(rep_id=rep.id, zone=zone)
    assert (data.cold.total, data.overdue.total + data.today.total) == (0, 1)
    assert next_due_mismatches(repo.engine) == []
