"""The funnel's numbers on SQLite and PostgreSQL: lost contacts by the stage they were lost from, another
rep's contacts left out."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.qualification import QualificationAnswers
from bot.schedule import LostReason, month_starts
from bot.scoring import Status
from tests.factories import Storage, add_contacts, make_rep, save


def test_a_lost_contact_counts_where_it_was_last_lost_from(repo: Storage) -> None:
    rep, other = make_rep(repo, 1), make_rep(repo, 2)
    first = save(repo, rep, QualificationAnswers(name="Anna Virtanen"), repo.clock.now)
    second = save(repo, rep, QualificationAnswers(name="Pekka Salo"), repo.clock.now)
    add_contacts(repo.engine, rep.id, repo.clock.now, 1, status="lost", lost_reason="other")  # imported lost
    add_contacts(repo.engine, other.id, repo.clock.now, 4, status="lost", lost_reason="budget")
    repo.contacts.mark_lost(owner_id=rep.id, contact_id=first, reason=LostReason.BUDGET)
    # Lost as a lead, reopened, moved on to prospect and lost again: lost from prospect.
    repo.contacts.mark_lost(owner_id=rep.id, contact_id=second, reason=LostReason.BUDGET)
    repo.contacts.change_status(owner_id=rep.id, contact_id=second, status=Status.PROSPECT)
    repo.contacts.mark_lost(owner_id=rep.id, contact_id=second, reason=LostReason.COMPETITOR)

    data = repo.stats.stats(owner_id=rep.id, month_starts=month_starts(repo.clock.now, ZoneInfo("UTC")))

    assert data.by_status == {"lost": 3}
    assert data.lost_by_reason == {"budget": 1, "competitor": 1, "other": 1}
    assert data.lost_from == {"lead": 2, "prospect": 1}
