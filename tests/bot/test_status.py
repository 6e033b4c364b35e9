"""The status table: every allowed move and every refused one."""

from __future__ import annotations

import itertools

import pytest

from bot.scoring import Status
from bot.status import ALLOWED_MOVES, check_move

ALLOWED = {
    (Status.LEAD, Status.PROSPECT),
    (Status.LEAD, Status.CUSTOMER),
    (Status.LEAD, Status.LOST),
    (Status.PROSPECT, Status.LEAD),
    (Status.PROSPECT, Status.CUSTOMER),
    (Status.PROSPECT, Status.LOST),
    (Status.CUSTOMER, Status.REPEAT_BUYER),
    (Status.CUSTOMER, Status.LOST),
    (Status.REPEAT_BUYER, Status.LOST),
    (Status.LOST, Status.LEAD),
}


@pytest.mark.parametrize(("current", "wanted"), sorted(ALLOWED))
def test_allowed_moves(current: Status, wanted: Status) -> None:
    move = check_move(current, wanted)
    assert move.allowed and move.options == ()


@pytest.mark.parametrize(("current", "wanted"), sorted(set(itertools.product(Status, Status)) - ALLOWED))
def test_refused_moves_say_what_is_possible(current: Status, wanted: Status) -> None:
    move = check_move(current, wanted)
    assert not move.allowed
    assert move.options == ALLOWED_MOVES[current] and move.options


def test_every_status_has_a_way_on() -> None:
    assert set(ALLOWED_MOVES) == set(Status)
