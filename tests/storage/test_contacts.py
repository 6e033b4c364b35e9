"""Contact reads on SQLite and PostgreSQL: lists, /find and duplicates, each scoped by the owner."""

from __future__ import annotations

from datetime import UTC, date, datetime

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


def test_a_list_by_value_puts_the_biggest_deal_first_and_those_without_last(
    repo: Storage, clock: FakeClock
) -> None:
    owner, stranger = make_rep(repo, 1), make_rep(repo, 2)
    ids = {
        name: save(repo, owner, QualificationAnswers(name=name), clock())
        for name in ("No value", "Small", "Big", "Also none")
    }
    for name, value in (("Small", 50_000), ("Big", 9_000_000)):
        assert repo.contacts.set_deal_value(
            owner_id=owner.id, contact_id=ids[name], value=value, currency="EUR"
        )
    # Another rep's id changes nothing (on both databases NULL sorts last only when asked to).
    assert not repo.contacts.set_deal_value(
        owner_id=stranger.id, contact_id=ids["No value"], value=1, currency="EUR"
    )
    page = repo.contacts.list_contacts(
        owner_id=owner.id, status="lead", order=ContactOrder.VALUE, offset=0, limit=10
    )
    assert [item.name for item in page.items] == ["Big", "Small", "Also none", "No value"]
    assert (page.items[0].value, page.items[0].currency) == (9_000_000, "EUR")
    big = repo.contacts.get_contact(owner_id=owner.id, contact_id=ids["Big"])
    assert big is not None and (big.answers.value, big.answers.currency) == (9_000_000, "EUR")
    assert repo.contacts.set_close_month(owner_id=owner.id, contact_id=ids["Big"], month=date(2027, 3, 1))
    stats = repo.stats.stats(
        owner_id=owner.id,
        month_starts=(clock(), clock(), clock()),
        currency="EUR",
    )
    assert sorted((deal.value, deal.close_month) for deal in stats.deals) == [
        (50_000, None),
        (9_000_000, date(2027, 3, 1)),
    ]
    assert (
        repo.stats.stats(
            owner_id=owner.id, month_starts=(clock(), clock(), clock()), currency="NOK"
        ).other_currency_deals
        == 2
    )
