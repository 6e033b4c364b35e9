"""The capture flow as a state machine: given the answers so far and what the rep did, what comes next.

The state (current question, mode, answers) is saved as a draft row after every step (docs/architecture.md);
these functions only compute the next state, so they know nothing of Telegram or the database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.dates import due_for_choice
from bot.deal import month_of, read_month_code
from bot.qualification import (
    CHOICES,
    NextStepChoice,
    QualificationAnswers,
    Step,
    next_question,
    previous_question,
)
from bot.scoring import Classification, Engagement, Score, classify, score


class DraftState(StrEnum):
    OPEN = "open"
    SAVED = "saved"
    CANCELLED = "cancelled"


class CaptureMode(StrEnum):
    ASK = "ask"  # walking the questions in order
    EDIT = "edit"  # one question chosen from the summary, then back to the summary
    DATE = "date"  # "type a date" was tapped: the next text is the date
    DUPLICATE = "duplicate"  # the name or phone matched a contact: log on it, or create a new one


@dataclass(frozen=True)
class CaptureState:
    """Where a capture stands. step None: the summary card is shown."""

    step: Step | None
    mode: CaptureMode
    answers: QualificationAnswers

    @property
    def at_summary(self) -> bool:
        return self.step is None and self.mode is not CaptureMode.DUPLICATE


def start(answers: QualificationAnswers) -> CaptureState:
    """The first question for what is known already (a shared contact knows the name)."""
    return CaptureState(next_question(answers, after=None), CaptureMode.ASK, answers)


def answer(
    state: CaptureState,
    step: Step,
    value: object,
    *,
    now: datetime,
    zone: ZoneInfo,
    working_days: Collection[int],
) -> CaptureState:
    """The state after the rep answered (or, with None, skipped) `step`; a one-tap next step gets its date
    (on one of the rep's working days)."""
    if step is Step.NEXT_STEP and value is NextStepChoice.DATE:
        return replace(state, step=Step.NEXT_STEP, mode=CaptureMode.DATE)
    answers = state.answers.with_answer(step, value)
    if step is Step.NEXT_STEP and isinstance(value, NextStepChoice):
        answers = answers.model_copy(update={"next_due": due_for_choice(value, now, zone, working_days)})
    if state.mode is CaptureMode.EDIT:
        return CaptureState(None, CaptureMode.ASK, answers)
    return CaptureState(next_question(answers, after=step), CaptureMode.ASK, answers)


# The controls under a question, beside its options' own values.
BACK, SKIP, FINISH = "_back", "_skip", "_fin"


def tap(
    state: CaptureState,
    option: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    working_days: Collection[int],
) -> CaptureState | None:
    """The state after a tap on the current question: one of its options, Back, Skip (not on the name)
    or Finish; None for anything the question does not offer."""
    step = state.step
    if step is None:
        return None
    if option == BACK:
        return back(state)
    if option == FINISH:
        return finish(state)
    if option == SKIP and step is not Step.NAME:
        return answer(state, step, None, now=now, zone=zone, working_days=working_days)
    if step is Step.CLOSE_MONTH:
        month = read_month_code(option)
        if month is None or month < month_of(now.astimezone(zone).date()):
            return None
        return answer(state, step, month, now=now, zone=zone, working_days=working_days)
    value = next((choice for choice in CHOICES.get(step, ()) if choice.value == option), None)
    if value is None:
        return None
    return answer(state, step, value, now=now, zone=zone, working_days=working_days)


def typed_date(state: CaptureState, due: datetime) -> CaptureState:
    """A typed next-step date was understood: the summary shows it for the rep to confirm."""
    answers = state.answers.with_answer(Step.NEXT_STEP, NextStepChoice.DATE).model_copy(
        update={"next_due": due}
    )
    return CaptureState(None, CaptureMode.ASK, answers)


def back(state: CaptureState) -> CaptureState:
    """Back: the previous question, or from an edited question and the date prompt, where it came from."""
    if state.step is None:
        return state
    if state.mode is CaptureMode.EDIT:
        return CaptureState(None, CaptureMode.ASK, state.answers)
    if state.mode is CaptureMode.DATE:
        return replace(state, mode=CaptureMode.ASK)
    previous = previous_question(state.step, state.answers)
    return replace(state, step=previous or state.step)


def finish(state: CaptureState) -> CaptureState:
    """Finish: leave the remaining qualification questions open and go to the next step, then the summary."""
    if state.step is Step.NEXT_STEP or state.step is None:
        return CaptureState(None, CaptureMode.ASK, state.answers)
    return CaptureState(Step.NEXT_STEP, CaptureMode.ASK, state.answers)


def after_duplicate_choice(state: CaptureState, answers: QualificationAnswers) -> CaptureState:
    """Back to the questions once the rep chose log-on-existing or new; what the existing contact already
    tells (its company) is not asked again."""
    step = state.step
    if step in (Step.NAME, Step.COMPANY) and answers.answer_for(step):
        step = next_question(answers, after=step)
    return CaptureState(step, CaptureMode.ASK, answers)


def edit(state: CaptureState, step: Step) -> CaptureState:
    """From the summary, one question to change."""
    return CaptureState(step, CaptureMode.EDIT, state.answers)


@dataclass(frozen=True)
class Evaluation:
    answers: QualificationAnswers
    classification: Classification
    score: Score


def evaluate(
    answers: QualificationAnswers,
    *,
    now: datetime,
    earlier: QualificationAnswers | None = None,
    touches_before: int = 0,
) -> Evaluation:
    """What a capture makes of the contact: for a meeting logged on an existing contact, the questions
    left open keep their earlier answers, and the meeting counts as one more touch."""
    merged = answers.merged_over(earlier) if earlier is not None else answers
    engagement = Engagement(touches=touches_before + 1, last_touch=now)
    return Evaluation(merged, classify(merged), score(merged, engagement, now))
