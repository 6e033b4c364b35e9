"""The status table (every allowed move and every refused one), and what the status fields become after a
meeting, a rep's choice or a loss."""

from __future__ import annotations

import itertools

import pytest

from bot.schedule import LostReason
from bot.scoring import Classification, Reason, Status
from bot.status import (
    ALLOWED_MOVES,
    StatusFields,
    check_move,
    marked_lost,
    set_by_rep,
    status_after_meeting,
)

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


LEAD_BY_ANSWERS = Classification(Status.LEAD, "bant-v1", (Reason("budget.unknown"), Reason("fit.no")))
PROSPECT_BY_ANSWERS = Classification(Status.PROSPECT, "bant-v1", (Reason("need.yes"),))


@pytest.mark.parametrize("kept", [Status.CUSTOMER, Status.REPEAT_BUYER, Status.LOST])
@pytest.mark.parametrize("classification", [LEAD_BY_ANSWERS, PROSPECT_BY_ANSWERS])
def test_a_meeting_keeps_the_status_a_rep_gave_a_customer_repeat_buyer_or_lost_contact(
    kept: Status, classification: Classification
) -> None:
    assert status_after_meeting(kept, "rep", classification) is None


@pytest.mark.parametrize("current", [Status.LEAD, Status.PROSPECT])
def test_a_meeting_reclassifies_a_lead_or_prospect(current: Status) -> None:
    assert status_after_meeting(current, "bant-v1", LEAD_BY_ANSWERS) == StatusFields(
        Status.LEAD, "bant-v1", ("budget.unknown", "fit.no")
    )
    assert status_after_meeting(current, "rep", PROSPECT_BY_ANSWERS) == StatusFields(
        Status.PROSPECT, "bant-v1", ("need.yes",)
    )


def test_a_contact_no_rule_classified_yet_takes_the_classification() -> None:
    assert status_after_meeting(Status.LEAD, "", PROSPECT_BY_ANSWERS) == StatusFields(
        Status.PROSPECT, "bant-v1", ("need.yes",)
    )
    assert status_after_meeting(Status.CUSTOMER, "", LEAD_BY_ANSWERS) == StatusFields(
        Status.LEAD, "bant-v1", ("budget.unknown", "fit.no")
    )


def test_a_status_the_rep_sets_is_theirs_and_no_longer_lost_for_a_reason() -> None:
    assert set_by_rep(Status.CUSTOMER) == StatusFields(Status.CUSTOMER, "rep", ("set.customer",))
    assert set_by_rep(Status.LEAD).lost_reason is None


def test_lost_carries_its_reason() -> None:
    assert marked_lost(LostReason.COMPETITOR) == StatusFields(
        Status.LOST, "rep", ("lost.competitor",), LostReason.COMPETITOR
    )
