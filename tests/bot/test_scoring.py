"""Lead or prospect, and the score: the default rule from the source documents, and its explanations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.qualification import Authority, Budget, Fit, Need, QualificationAnswers, Timeline
from bot.scoring import Engagement, Status, classify, score, score_parts

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
QUALIFIED = QualificationAnswers(
    need=Need.YES, budget=Budget.YES, authority=Authority.DECISION_MAKER, timeline=Timeline.UNDER_1_MONTH
)


def test_need_budget_authority_and_timeline_make_a_prospect() -> None:
    result = classify(QUALIFIED)
    assert result.status is Status.PROSPECT
    assert [reason.code for reason in result.reasons] == [
        "need.yes",
        "budget.yes",
        "authority.decider",
        "timeline.lt1m",
    ]
    assert result.rule == "bant-v1"


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"need": Need.NO}, "need.no"),
        ({"need": None}, "need.unknown"),
        ({"budget": Budget.UNKNOWN}, "budget.unknown"),
        ({"authority": Authority.INFLUENCER}, "authority.influencer"),
        ({"timeline": Timeline.NONE}, "timeline.none"),
        ({"fit": Fit.NO}, "fit.no"),
    ],
)
def test_one_criterion_short_is_a_lead_that_says_why(change: dict[str, object], missing: str) -> None:
    result = classify(QUALIFIED.model_copy(update=change))
    assert result.status is Status.LEAD
    assert [reason.code for reason in result.reasons] == [missing]


def test_partial_need_and_unknown_fit_still_qualify() -> None:
    result = classify(QUALIFIED.model_copy(update={"need": Need.PARTLY, "fit": Fit.UNKNOWN}))
    assert result.status is Status.PROSPECT


def test_nothing_known_is_a_lead_missing_all_four() -> None:
    result = classify(QualificationAnswers(name="Anna"))
    assert [reason.code for reason in result.reasons] == [
        "need.unknown",
        "budget.unknown",
        "authority.unknown",
        "timeline.unknown",
    ]


def test_score_adds_answer_points_and_engagement() -> None:
    result = score(QUALIFIED.model_copy(update={"fit": Fit.YES}), Engagement(touches=1, last_touch=NOW), NOW)
    assert result.value == 25 + 20 + 20 + 20 + 10 + 2
    assert result.main_reasons(3)[0].code == "need.yes"


def test_score_is_clamped_and_explains_penalties() -> None:
    bad = QualificationAnswers(need=Need.NO, budget=Budget.NO, fit=Fit.NO, timeline=Timeline.NONE)
    quiet = Engagement(touches=0, last_touch=NOW - timedelta(days=45))
    result = score(bad, quiet, NOW)
    assert result.value == 0
    assert {reason.code for reason in result.reasons} == {"budget.no", "fit.no", "timeline.none", "quiet"}


def test_more_touches_score_higher_up_to_a_cap() -> None:
    def with_touches(touches: int) -> int:
        return score(QUALIFIED, Engagement(touches=touches, last_touch=NOW), NOW).value

    assert with_touches(1) < with_touches(2) < with_touches(3) == with_touches(10)


def test_the_listed_parts_of_a_score_add_up_to_it() -> None:
    five = (
        ("need.yes", 25),
        ("touches", 2),
        ("budget.yes", 20),
        ("authority.decision_maker", 20),
        ("fit.yes", 10),
    )
    listed, rest = score_parts(five)
    assert rest is None and [code for code, _ in listed][:2] == ["need.yes", "budget.yes"]
    seven = (*five, ("timeline.under_1_month", 20), ("quiet", -10))
    listed, rest = score_parts(seven)
    assert len(listed) == 4 and rest is not None
    assert sum(points for _, points in listed) + rest == sum(points for _, points in seven)
