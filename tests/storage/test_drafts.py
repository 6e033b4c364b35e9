"""Capture drafts on SQLite and PostgreSQL: the version guard, the owner's scope, saving a capture once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import capture as flow
from bot.qualification import Authority, Budget, Need, QualificationAnswers, Step, Timeline
from storage.contacts import ContactOrder, ContactRead
from storage.drafts import DraftRead
from tests.factories import FakeClock, Storage, make_rep

QUALIFIED = QualificationAnswers(
    name="Anna Virtanen",
    company="Acme Oy",
    need=Need.YES,
    budget=Budget.YES,
    authority=Authority.DECISION_MAKER,
    timeline=Timeline.UNDER_1_MONTH,
)


def test_a_draft_update_based_on_an_old_version_is_refused(repo: Storage) -> None:
    rep = make_rep(repo)
    draft = repo.drafts.open_draft(
        owner_id=rep.id, chat_id=1, answers=QualificationAnswers(name="Anna"), step=Step.NEED
    )
    first = repo.drafts.update_draft(
        draft=draft, answers=draft.answers.with_answer(Step.NEED, Need.YES), step=Step.BUDGET
    )
    assert first is not None and first.version == draft.version + 1
    # A second replica (or a double tap) working from the same version loses and learns it.
    assert repo.drafts.update_draft(draft=draft, step=Step.AUTHORITY) is None
    current = repo.drafts.get_open_draft(owner_id=rep.id)
    assert current is not None and current.step is Step.BUDGET and current.answers.need is Need.YES


def test_a_draft_is_invisible_to_another_rep(repo: Storage) -> None:
    owner, stranger = make_rep(repo, 1), make_rep(repo, 2)
    draft = repo.drafts.open_draft(
        owner_id=owner.id, chat_id=1, answers=QualificationAnswers(), step=Step.NAME
    )
    assert repo.drafts.get_draft(owner_id=stranger.id, draft_id=draft.id) is None
    forged = DraftRead(**{**draft.__dict__, "owner_id": stranger.id})
    assert repo.drafts.update_draft(draft=forged, step=Step.NEED) is None
    assert repo.drafts.cancel_draft(draft=forged) is False


def test_the_rep_is_read_together_with_their_own_draft_only(repo: Storage) -> None:
    owner, stranger = make_rep(repo, 1), make_rep(repo, 2)
    draft = repo.drafts.open_draft(
        owner_id=owner.id, chat_id=1, answers=QualificationAnswers(name="Anna"), step=Step.NEED
    )
    stored = repo.drafts.get_draft(owner_id=owner.id, draft_id=draft.id)
    assert repo.drafts.get_rep_and_draft(telegram_id=1, draft_id=draft.id) == (owner, stored)
    # Another rep naming it reads only themselves; a number that is no rep reads nothing.
    assert repo.drafts.get_rep_and_draft(telegram_id=2, draft_id=draft.id) == (stranger, None)
    assert repo.drafts.get_rep_and_draft(telegram_id=1, draft_id=draft.id + 1) == (owner, None)
    assert repo.drafts.get_rep_and_draft(telegram_id=3, draft_id=draft.id) is None
    # With no draft named, a text's: the rep's open capture, if any.
    assert repo.drafts.get_rep_and_draft(telegram_id=1) == (owner, stored)
    assert repo.drafts.get_rep_and_draft(telegram_id=2) == (stranger, None)
    assert stored is not None and repo.drafts.cancel_draft(draft=stored)
    assert repo.drafts.get_rep_and_draft(telegram_id=1) == (owner, None)


def test_saving_stores_contact_interaction_and_follow_up_once(repo: Storage, clock: FakeClock) -> None:
    rep = make_rep(repo)
    due = datetime(2026, 11, 26, 7, tzinfo=UTC)
    answers = QUALIFIED.model_copy(update={"note": "Asked about <pricing> & SLA", "next_due": due})
    draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=1, answers=answers, step=None)
    result = flow.evaluate(answers, now=clock())
    contact = repo.drafts.save_capture(
        draft=draft, answers=result.answers, classification=result.classification, score=result.score
    )
    assert contact is not None
    assert (contact.status, contact.status_rule) == ("prospect", "bant-v1")
    assert contact.status_reasons == ("need.yes", "budget.yes", "authority.decider", "timeline.lt1m")
    assert contact.latest_note == "Asked about <pricing> & SLA"
    assert contact.next_due == due
    assert contact.score == result.score.value
    # A second Save of the same draft stores nothing more.
    assert (
        repo.drafts.save_capture(
            draft=draft, answers=result.answers, classification=result.classification, score=result.score
        )
        is None
    )
    assert (
        repo.contacts.list_contacts(
            owner_id=rep.id, status="prospect", order=ContactOrder.NEWEST, offset=0, limit=10
        ).total
        == 1
    )


def test_a_new_contact_is_saved_as_it_reads_back_and_is_found_by_its_number_and_note(
    repo: Storage, clock: FakeClock
) -> None:
    """A new contact is written in one INSERT with what it will be searched by: the same as a read of it
    gives, found by its number in either form and by a word of the meeting's note."""
    rep = make_rep(repo)
    due = datetime(2026, 11, 26, 7, tzinfo=UTC)
    answers = QUALIFIED.model_copy(
        update={"phone": "040 123 4567", "note": "Wants the Müller quote", "next_due": due}
    )
    draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=1, answers=answers, step=None)
    result = flow.evaluate(answers, now=clock())
    saved = repo.drafts.save_capture(
        draft=draft, answers=result.answers, classification=result.classification, score=result.score
    )
    assert saved is not None and saved.phone == "+358401234567"
    assert saved == repo.contacts.get_contact(owner_id=rep.id, contact_id=saved.id)
    # Part of either form of the number: only the stored form gives the international one.
    for search in ("0401234", "3584012", "muller", "Acme"):
        found = repo.contacts.find_contacts(owner_id=rep.id, text=search, offset=0, limit=5)
        assert [item.id for item in found.items] == [saved.id], search
    listed = repo.contacts.list_contacts(
        owner_id=rep.id, status="prospect", order=ContactOrder.NEXT, offset=0, limit=5
    )
    assert [(item.id, item.next_due) for item in listed.items] == [(saved.id, due)]


def _save(repo: Storage, draft: DraftRead, answers: QualificationAnswers, now: datetime) -> ContactRead:
    result = flow.evaluate(answers, now=now)
    saved = repo.drafts.save_capture(
        draft=draft, answers=result.answers, classification=result.classification, score=result.score
    )
    assert saved is not None
    return saved


def test_a_new_contact_has_its_meeting_in_its_history_and_its_next_step_due(
    repo: Storage, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    due = datetime(2026, 11, 26, 7, tzinfo=UTC)
    answers = QUALIFIED.model_copy(update={"note": "Wants a demo", "next_due": due})
    draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=1, answers=answers, step=None)
    saved = _save(repo, draft, answers, clock())
    history = repo.contacts.history(owner_id=rep.id, contact_id=saved.id, offset=0, limit=5)
    assert history is not None
    assert [(item.kind, item.note, item.changes) for item in history.items] == [
        ("meeting", "Wants a demo", {})
    ]
    clock.now = due
    claimed = repo.followups.claim_due_reminders(claimer="test", lease=timedelta(minutes=2), limit=5)
    assert [(reminder.contact_id, reminder.due_at) for reminder in claimed] == [(saved.id, due)]


def test_a_new_contact_with_no_next_step_has_nothing_due_and_a_changed_draft_saves_nothing(
    repo: Storage, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=1, answers=QUALIFIED, step=None)
    saved = _save(repo, draft, QUALIFIED, clock())
    assert saved.next_due is None
    history = repo.contacts.history(owner_id=rep.id, contact_id=saved.id, offset=0, limit=5)
    assert history is not None and [item.kind for item in history.items] == ["meeting"]
    clock.now += timedelta(days=400)
    assert repo.followups.claim_due_reminders(claimer="test", lease=timedelta(minutes=2), limit=5) == []
    # A draft another tap moved on since it was read: its Save writes no contact, meeting nor follow-up.
    answers = QUALIFIED.model_copy(update={"name": "Bob Smith", "next_due": clock() + timedelta(days=1)})
    second = repo.drafts.open_draft(owner_id=rep.id, chat_id=1, answers=answers, step=None)
    assert repo.drafts.update_draft(draft=second, step=Step.NAME) is not None
    result = flow.evaluate(answers, now=clock())
    stale = repo.drafts.save_capture(
        draft=second, answers=result.answers, classification=result.classification, score=result.score
    )
    assert stale is None
    assert not repo.contacts.find_contacts(owner_id=rep.id, text="Bob", offset=0, limit=5).items
    clock.now += timedelta(days=2)
    assert repo.followups.claim_due_reminders(claimer="test", lease=timedelta(minutes=2), limit=5) == []


def test_a_meeting_logged_on_a_contact_shows_what_changed_and_replaces_its_next_step(
    repo: Storage, clock: FakeClock
) -> None:
    rep = make_rep(repo)
    first_due, second_due = datetime(2026, 11, 26, 7, tzinfo=UTC), datetime(2026, 12, 3, 7, tzinfo=UTC)
    first = QualificationAnswers(name="Anna Virtanen", need=Need.YES, next_due=first_due)
    draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=1, answers=first, step=None)
    contact = _save(repo, draft, first, clock())
    second = QUALIFIED.model_copy(update={"note": "Budget approved", "next_due": second_due})
    meeting = repo.drafts.open_draft(
        owner_id=rep.id, chat_id=1, answers=second, step=None, contact_id=contact.id
    )
    logged = _save(repo, meeting, second, clock())
    assert (logged.id, logged.status, logged.touches, logged.next_due) == (
        contact.id,
        "prospect",
        2,
        second_due,
    )
    history = repo.contacts.history(owner_id=rep.id, contact_id=contact.id, offset=0, limit=5)
    assert history is not None and history.items[0].note == "Budget approved"
    assert history.items[0].changes["status"] == ["lead", "prospect"]
    # Only the new next step is still open: the first one was replaced.
    clock.now = second_due
    claimed = repo.followups.claim_due_reminders(claimer="test", lease=timedelta(minutes=2), limit=5)
    assert [reminder.due_at for reminder in claimed] == [second_due]


def test_a_meeting_on_a_contact_deleted_meanwhile_is_saved_as_a_new_contact(
    repo: Storage, clock: FakeClock
) -> None:
    """Nothing the rep answered is lost when the contact went away (another device, a merge) before Save."""
    rep = make_rep(repo)
    first = QualificationAnswers(name="Anna Virtanen")
    contact = _save(
        repo, repo.drafts.open_draft(owner_id=rep.id, chat_id=1, answers=first, step=None), first, clock()
    )
    answers = QUALIFIED.model_copy(update={"note": "Met again", "phone": "040 123 4567"})
    meeting = repo.drafts.open_draft(
        owner_id=rep.id, chat_id=1, answers=answers, step=None, contact_id=contact.id
    )
    assert repo.contacts.delete(owner_id=rep.id, contact_id=contact.id)
    saved = _save(repo, meeting, answers, clock())
    assert (saved.company, saved.phone, saved.latest_note) == ("Acme Oy", "+358401234567", "Met again")
    assert saved == repo.contacts.get_contact(owner_id=rep.id, contact_id=saved.id)
