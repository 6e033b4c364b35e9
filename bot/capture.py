"""The capture flow as a state machine: given the answers so far and what the rep did, what comes next.

The state (current question, mode, answers) is saved as a draft row after every step (docs/architecture.md);
these functions only compute the next state, so they know nothing of Telegram or the database.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.contact_fields import Invalid, clean_field
from bot.date_words import names_a_day
from bot.dates import DateReading, due_for_choice, is_a_date
from bot.deal import month_of, read_month_code
from bot.phones import read_phone
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


# Text typed where the flow does not ask for it


def is_a_next_step(text: str, reading: DateReading, language: str) -> bool:
    """Text typed at "Next step?" (which waits for a tap) that is a date, not the next person's name:
    read as one, and more than a word, or with a digit, or a word that names nothing but a day
    ("tomorrow", "friday"). A weekday's abbreviation alone is often a first name ("Tor", "Sam")."""
    words = text.split()
    return is_a_date(reading) and (
        len(words) > 1 or any(char.isdigit() for char in text) or names_a_day(words[0], language)
    )


# The fewest digits of a phone number typed alone to start a capture: fewer is more often an amount or a
# code than a number (a Finnish landline with its area code has seven or more, a Norwegian number eight).
PHONE_DIGITS_MIN = 7


def detail_alone(
    text: str, *, region: str | None, reads_as_date: Callable[[str], bool]
) -> QualificationAnswers | None:
    """A new capture's answers when the text that starts it is a phone number or an email address alone
    (the name is then asked first); None for anything else, which is a name. Some dates and amounts are
    valid numbers too ("25.12.2026" in Finland, "100 000"): a number has at least PHONE_DIGITS_MIN digits
    and does not read as a date (`reads_as_date`, in the rep's words)."""
    typed = " ".join(text.split())
    if not any(char.isalpha() for char in typed):
        digits = sum(char.isdigit() for char in typed)
        if digits >= PHONE_DIGITS_MIN and read_phone(typed, region).valid and not reads_as_date(typed):
            return QualificationAnswers(phone=typed)
    elif "@" in typed and " " not in typed:
        try:
            return QualificationAnswers(email=clean_field("email", typed))
        except Invalid:
            return None
    return None
