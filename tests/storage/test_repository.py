"""The repository on SQLite and PostgreSQL: reps, drafts with their version guard, captures, lists, search."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot import capture as flow
from bot.qualification import Authority, Budget, Need, QualificationAnswers, Step, Timeline
from storage.repository import ContactOrder, DraftRead, Repository, RepRead
from tests.factories import FakeClock

QUALIFIED = QualificationAnswers(
    name="Anna Virtanen",
    company="Acme Oy",
    need=Need.YES,
    budget=Budget.YES,
    authority=Authority.DECISION_MAKER,
    timeline=Timeline.UNDER_1_MONTH,
)


def make_rep(repo: Repository, telegram_id: int = 1) -> RepRead:
    return repo.register_rep(
        telegram_id=telegram_id,
        chat_id=telegram_id,
        language="en",
        timezone="Europe/Helsinki",
        digest_time=time(8, 30),
    )


def save(repo: Repository, rep: RepRead, answers: QualificationAnswers, now: datetime) -> int:
    draft = repo.open_draft(owner_id=rep.id, chat_id=rep.chat_id, answers=answers, step=None)
    result = flow.evaluate(answers, now=now)
    contact = repo.save_capture(
        draft=draft, answers=result.answers, classification=result.classification, score=result.score
    )
    assert contact is not None
    return contact.id


def test_registering_twice_returns_the_same_rep(repo: Repository) -> None:
    first = make_rep(repo, 42)
    again = make_rep(repo, 42)
    assert again.id == first.id
    updated = repo.update_rep(
        rep_id=first.id, timezone="Europe/Oslo", digest_time=time(7, 30), onboarded=True
    )
    assert (updated.timezone, updated.digest_time, updated.onboarded) == ("Europe/Oslo", time(7, 30), True)


def test_a_draft_update_based_on_an_old_version_is_refused(repo: Repository) -> None:
    rep = make_rep(repo)
    draft = repo.open_draft(
        owner_id=rep.id, chat_id=1, answers=QualificationAnswers(name="Anna"), step=Step.NEED
    )
    first = repo.update_draft(
        draft=draft, answers=draft.answers.with_answer(Step.NEED, Need.YES), step=Step.BUDGET
    )
    assert first is not None and first.version == draft.version + 1
    # A second replica (or a double tap) working from the same version loses and learns it.
    assert repo.update_draft(draft=draft, step=Step.AUTHORITY) is None
    current = repo.get_open_draft(owner_id=rep.id)
    assert current is not None and current.step is Step.BUDGET and current.answers.need is Need.YES


def test_a_draft_is_invisible_to_another_rep(repo: Repository) -> None:
    owner, stranger = make_rep(repo, 1), make_rep(repo, 2)
    draft = repo.open_draft(owner_id=owner.id, chat_id=1, answers=QualificationAnswers(), step=Step.NAME)
    assert repo.get_draft(owner_id=stranger.id, draft_id=draft.id) is None
    forged = DraftRead(**{**draft.__dict__, "owner_id": stranger.id})
    assert repo.update_draft(draft=forged, step=Step.NEED) is None
    assert repo.cancel_draft(draft=forged) is False


def test_saving_stores_contact_interaction_and_follow_up_once(repo: Repository, clock: FakeClock) -> None:
    rep = make_rep(repo)
    due = datetime(2026, 11, 26, 7, tzinfo=UTC)
    answers = QUALIFIED.model_copy(update={"note": "Asked about <pricing> & SLA", "next_due": due})
    draft = repo.open_draft(owner_id=rep.id, chat_id=1, answers=answers, step=None)
    result = flow.evaluate(answers, now=clock())
    contact = repo.save_capture(
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
        repo.save_capture(
            draft=draft, answers=result.answers, classification=result.classification, score=result.score
        )
        is None
    )
    assert (
        repo.list_contacts(
            owner_id=rep.id, status="prospect", order=ContactOrder.NEWEST, offset=0, limit=10
        ).total
        == 1
    )


def test_lists_page_and_sort_by_newest_or_score(repo: Repository, clock: FakeClock) -> None:
    rep = make_rep(repo)
    for index in range(12):
        clock.now = datetime(2026, 11, 1 + index, 12, tzinfo=UTC)
        need = Need.YES if index % 3 == 0 else Need.NO
        save(repo, rep, QualificationAnswers(name=f"Lead {index:02d}", need=need), clock())
    first = repo.list_contacts(owner_id=rep.id, status="lead", order=ContactOrder.NEWEST, offset=0, limit=5)
    assert first.total == 12
    assert [item.name for item in first.items] == ["Lead 11", "Lead 10", "Lead 09", "Lead 08", "Lead 07"]
    last = repo.list_contacts(owner_id=rep.id, status="lead", order=ContactOrder.NEWEST, offset=10, limit=5)
    assert [item.name for item in last.items] == ["Lead 01", "Lead 00"]
    best = repo.list_contacts(owner_id=rep.id, status="lead", order=ContactOrder.SCORE, offset=0, limit=4)
    assert [item.name for item in best.items] == ["Lead 09", "Lead 06", "Lead 03", "Lead 00"]


def test_find_ignores_case_and_accents_and_stays_with_the_owner(repo: Repository, clock: FakeClock) -> None:
    owner, stranger = make_rep(repo, 1), make_rep(repo, 2)
    save(repo, owner, QualificationAnswers(name="Aino Hämäläinen", company="Kone"), clock())
    save(repo, owner, QualificationAnswers(name="Ákos Szabó", phone="+36 30 123 4567"), clock())
    save(repo, owner, QualificationAnswers(name="Kari Nordmann", note="Wants a demo of 100% uptime"), clock())
    save(repo, owner, QualificationAnswers(name="Kåre Sørensen", company="Fjord AS"), clock())
    save(repo, owner, QualificationAnswers(name="François Lefèvre", company="Société Générale"), clock())

    def names(text: str, rep: RepRead = owner) -> list[str]:
        return [
            item.name for item in repo.find_contacts(owner_id=rep.id, text=text, offset=0, limit=10).items
        ]

    assert names("hamalainen") == ["Aino Hämäläinen"]
    assert names("HÄMÄLÄINEN") == ["Aino Hämäläinen"]
    assert names("szabo") == ["Ákos Szabó"]
    assert names("sorensen") == ["Kåre Sørensen"]
    assert names("kare") == ["Kåre Sørensen"]
    assert names("lefevre") == ["François Lefèvre"]
    assert names("societe") == ["François Lefèvre"]
    assert names("301234567") == ["Ákos Szabó"]
    assert names("100%") == ["Kari Nordmann"]
    assert names("_") == []
    assert names("hamalainen", stranger) == []


def test_duplicates_match_name_without_accents_and_phone_in_any_format(
    repo: Repository, clock: FakeClock
) -> None:
    owner, stranger = make_rep(repo, 1), make_rep(repo, 2)
    save(repo, owner, QualificationAnswers(name="Aino Hämäläinen", phone="+358 40 123 4567"), clock())
    assert [m.name for m in repo.find_duplicates(owner_id=owner.id, name="aino hamalainen", phone=None)] == [
        "Aino Hämäläinen"
    ]
    assert len(repo.find_duplicates(owner_id=owner.id, name="Someone Else", phone="040-123 4567")) == 1
    assert repo.find_duplicates(owner_id=stranger.id, name="Aino Hämäläinen", phone="0401234567") == []
