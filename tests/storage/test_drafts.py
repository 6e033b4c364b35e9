"""Capture drafts on SQLite and PostgreSQL: the version guard, the owner's scope, saving a capture once."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import capture as flow
from bot.qualification import Authority, Budget, Need, QualificationAnswers, Step, Timeline
from storage.contacts import ContactOrder
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
