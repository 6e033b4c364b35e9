"""Lead or prospect, and the 0-100 score: one rule and one table of weights, kept here as data.

The default follows the source documents: a contact is a prospect when need, budget, authority and timeline
are known and positive (BANT) and the fit with the target market is not negative. Every result carries the
reasons that made it, so the card can say why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.qualification import Authority, Budget, Fit, Need, QualificationAnswers, Timeline


class Status(StrEnum):
    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    REPEAT_BUYER = "repeat_buyer"
    LOST = "lost"


@dataclass(frozen=True)
class QualificationRule:
    """Which answers count as positive for each BANT criterion, and which fit answers disqualify."""

    name: str
    need: frozenset[Need]
    budget: frozenset[Budget]
    authority: frozenset[Authority]
    timeline: frozenset[Timeline]
    fit_disqualifies: frozenset[Fit]


DEFAULT_RULE = QualificationRule(
    name="bant-v1",
    need=frozenset({Need.YES, Need.PARTLY}),
    budget=frozenset({Budget.YES}),
    authority=frozenset({Authority.DECISION_MAKER}),
    timeline=frozenset({Timeline.UNDER_1_MONTH, Timeline.ONE_TO_3_MONTHS, Timeline.THREE_TO_12_MONTHS}),
    fit_disqualifies=frozenset({Fit.NO}),
)


@dataclass(frozen=True)
class ScoreWeights:
    """Points per answer, and for engagement (touches and recency); the total is clamped to 0-100."""

    need: dict[Need, int] = field(default_factory=lambda: {Need.YES: 25, Need.PARTLY: 12})
    budget: dict[Budget, int] = field(default_factory=lambda: {Budget.YES: 20, Budget.NO: -10})
    authority: dict[Authority, int] = field(
        default_factory=lambda: {Authority.DECISION_MAKER: 20, Authority.INFLUENCER: 10}
    )
    timeline: dict[Timeline, int] = field(
        default_factory=lambda: {
            Timeline.UNDER_1_MONTH: 20,
            Timeline.ONE_TO_3_MONTHS: 15,
            Timeline.THREE_TO_12_MONTHS: 5,
            Timeline.NONE: -5,
        }
    )
    fit: dict[Fit, int] = field(default_factory=lambda: {Fit.YES: 10, Fit.NO: -20})
    per_touch: int = 2
    touches_max: int = 5
    quiet_after: timedelta = timedelta(days=30)
    quiet_penalty: int = -10


DEFAULT_WEIGHTS = ScoreWeights()


@dataclass(frozen=True)
class Reason:
    """One part of an explanation: a message id suffix (e.g. "need.yes") and what it contributed."""

    code: str
    points: int = 0


@dataclass(frozen=True)
class Classification:
    status: Status
    rule: str
    # For a prospect: the criteria that qualified it; for a lead: what is missing or negative.
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Score:
    value: int
    reasons: tuple[Reason, ...]

    def main_reasons(self, count: int = 3) -> tuple[Reason, ...]:
        """The reasons that moved the score most, biggest first."""
        return tuple(sorted(self.reasons, key=lambda reason: -abs(reason.points))[:count])


# The card lists this many parts of a score; with more, the last of them is the rest's sum ("other +7").
SCORE_PARTS_SHOWN = 5


def score_parts(
    reasons: tuple[tuple[str, int], ...], shown: int = SCORE_PARTS_SHOWN
) -> tuple[tuple[tuple[str, int], ...], int | None]:
    """The parts of a score to list, biggest first, and the sum of the rest (None when every part is
    listed): what is listed always adds up to the score (before it is clamped to 0-100)."""
    ordered = tuple(sorted(reasons, key=lambda reason: -abs(reason[1])))
    if len(ordered) <= shown:
        return ordered, None
    return ordered[: shown - 1], sum(points for _, points in ordered[shown - 1 :])


@dataclass(frozen=True)
class Engagement:
    """How much contact there has been: the number of interactions and the latest one."""

    touches: int = 1
    last_touch: datetime | None = None


def classify(answers: QualificationAnswers, rule: QualificationRule = DEFAULT_RULE) -> Classification:
    """Lead or prospect by the rule, with the reasons in the order the questions are asked."""
    criteria: list[tuple[str, object, frozenset[object]]] = [
        ("need", answers.need, frozenset(rule.need)),
        ("budget", answers.budget, frozenset(rule.budget)),
        ("authority", answers.authority, frozenset(rule.authority)),
        ("timeline", answers.timeline, frozenset(rule.timeline)),
    ]
    passed = [f"{name}.{value}" for name, value, accepted in criteria if value in accepted]
    failed = [f"{name}.{value or 'unknown'}" for name, value, accepted in criteria if value not in accepted]
    if answers.fit in rule.fit_disqualifies:
        failed.append(f"fit.{answers.fit}")
    if failed:
        return Classification(Status.LEAD, rule.name, tuple(Reason(code) for code in failed))
    return Classification(Status.PROSPECT, rule.name, tuple(Reason(code) for code in passed))


def score(
    answers: QualificationAnswers,
    engagement: Engagement,
    now: datetime,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> Score:
    """0-100 from the answers plus engagement, with every contribution listed."""
    reasons: list[Reason] = []
    tables: list[tuple[str, StrEnum | None, Mapping[Any, int]]] = [
        ("need", answers.need, weights.need),
        ("budget", answers.budget, weights.budget),
        ("authority", answers.authority, weights.authority),
        ("timeline", answers.timeline, weights.timeline),
        ("fit", answers.fit, weights.fit),
    ]
    for name, value, table in tables:
        points = table.get(value, 0) if value is not None else 0
        if points:
            reasons.append(Reason(f"{name}.{value}", points))
    touch_points = min(weights.touches_max, weights.per_touch * engagement.touches)
    if touch_points:
        reasons.append(Reason("touches", touch_points))
    if engagement.last_touch is not None and now - engagement.last_touch > weights.quiet_after:
        reasons.append(Reason("quiet", weights.quiet_penalty))
    total = sum(reason.points for reason in reasons)
    return Score(max(0, min(100, total)), tuple(reasons))
