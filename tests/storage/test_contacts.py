"""Contact reads on SQLite and PostgreSQL: lists, /find and duplicates, each scoped by the owner."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.qualification import Need, QualificationAnswers
from storage.contacts import ContactOrder
from storage.reps import RepRead
from tests.factories import FakeClock, Storage, make_rep, save


def test_lists_page_and_sort_by_newest_or_score(repo: Storage, clock: FakeClock) -> None:
    rep = make_rep(repo)
    for index in range(12):
        clock.now = datetime(2026, 11, 1 + index, 12, tzinfo=UTC)
        need = Need.YES if index % 3 == 0 else Need.NO
        save(repo, rep, QualificationAnswers(name=f"Lead {index:02d}", need=need), clock())
    first = repo.contacts.list_contacts(
        owner_id=rep.id, status="lead", order=ContactOrder.NEWEST, offset=0, limit=5
    )
    assert first.total == 12
    assert [item.name for item in first.items] == ["Lead 11", "Lead 10", "Lead 09", "Lead 08", "Lead 07"]
    last = repo.contacts.list_contacts(
        owner_id=rep.id, status="lead", order=ContactOrder.NEWEST, offset=10, limit=5
    )
    assert [item.name for item in last.items] == ["Lead 01", "Lead 00"]
    best = repo.contacts.list_contacts(
        owner_id=rep.id, status="lead", order=ContactOrder.SCORE, offset=0, limit=4
    )
    assert [item.name for item in best.items] == ["Lead 09", "Lead 06", "Lead 03", "Lead 00"]


def test_find_ignores_case_and_accents_and_stays_with_the_owner(repo: Storage, clock: FakeClock) -> None:
    owner, stranger = make_rep(repo, 1), make_rep(repo, 2)
    save(repo, owner, QualificationAnswers(name="Aino Hämäläinen", company="Kone"), clock())
    save(repo, owner, QualificationAnswers(name="Ákos Szabó", phone="+36 30 123 4567"), clock())
    save(repo, owner, QualificationAnswers(name="Kari Nordmann", note="Wants a demo of 100% uptime"), clock())
    save(repo, owner, QualificationAnswers(name="Kåre Sørensen", company="Fjord AS"), clock())
    save(repo, owner, QualificationAnswers(name="François Lefèvre", company="Société Générale"), clock())

    def names(text: str, rep: RepRead = owner) -> list[str]:
        return [
            item.name
            for item in repo.contacts.find_contacts(owner_id=rep.id, text=text, offset=0, limit=10).items
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
    repo: Storage, clock: FakeClock
) -> None:
    owner, stranger = make_rep(repo, 1), make_rep(repo, 2)
    save(repo, owner, QualificationAnswers(name="Aino Hämäläinen", phone="+358 40 123 4567"), clock())
    assert [
        m.name for m in repo.contacts.find_duplicates(owner_id=owner.id, name="aino hamalainen", phone=None)
    ] == ["Aino Hämäläinen"]
    assert (
        len(repo.contacts.find_duplicates(owner_id=owner.id, name="Someone Else", phone="040-123 4567")) == 1
    )
    assert (
        repo.contacts.find_duplicates(owner_id=stranger.id, name="Aino Hämäläinen", phone="0401234567") == []
    )
