"""Invites on SQLite and PostgreSQL: a code checked without a write, redeemed once, and who joined by one."""

from __future__ import annotations

from datetime import time, timedelta

from storage.teams import Redeemed
from tests.factories import Storage, make_rep


def redeem(repo: Storage, code: str, telegram_id: int) -> Redeemed:
    outcome, _ = repo.teams.redeem(
        code=code,
        telegram_id=telegram_id,
        chat_id=telegram_id,
        language="en",
        timezone="Europe/Helsinki",
        digest_time=time(8, 30),
        display_name="Nina",
    )
    return outcome


def test_checking_a_code_tells_what_redeeming_it_would_do_and_stores_nothing(repo: Storage) -> None:
    admin = make_rep(repo, 1)
    code = repo.teams.create_invite(created_by=admin.id, team_id=None, role="rep", days=7)
    late = repo.teams.create_invite(created_by=admin.id, team_id=None, role="rep", days=1)
    assert repo.teams.check_invite(code="madeUpCode123456") is Redeemed.UNKNOWN
    assert repo.teams.check_invite(code=code) is Redeemed.JOINED
    assert repo.teams.check_invite(code=code) is Redeemed.JOINED  # a check uses nothing up
    assert repo.reps.get_rep(telegram_id=555) is None
    assert redeem(repo, code, 555) is Redeemed.JOINED
    assert repo.teams.check_invite(code=code) is Redeemed.USED
    repo.clock.now += timedelta(days=2)
    assert repo.teams.check_invite(code=late) is Redeemed.EXPIRED


def test_the_invited_are_those_who_redeemed_an_invite(repo: Storage) -> None:
    admin = make_rep(repo, 1)
    assert repo.reps.invited_ids() == frozenset()
    for telegram_id in (555, 556):
        code = repo.teams.create_invite(created_by=admin.id, team_id=None, role="rep", days=7)
        assert redeem(repo, code, telegram_id) is Redeemed.JOINED
    assert repo.reps.invited_ids() == frozenset({555, 556})
