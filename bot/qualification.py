"""The qualification questions, their answers and their order: the capture flow as data and pure functions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Step(StrEnum):
    """One question of the capture flow, in the order it is asked."""

    NAME = "name"
    COMPANY = "company"
    # A contact's details, asked only when the rep picks them from the summary's Edit (a business card
    # fills them in); the questions in order skip them.
    ROLE = "role"
    PHONE = "phone"
    EMAIL = "email"
    WEBSITE = "website"
    ADDRESS = "address"
    NEED = "need"
    BUDGET = "budget"
    AUTHORITY = "authority"
    TIMELINE = "timeline"
    FIT = "fit"
    # The deal: asked in order only when the budget is there (bot.deal), else from the summary's Edit.
    VALUE = "value"
    CLOSE_MONTH = "close_month"
    SOURCE = "source"
    NOTE = "note"
    NEXT_STEP = "next"


class Need(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    UNKNOWN = "unknown"


class Budget(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Authority(StrEnum):
    DECISION_MAKER = "decider"
    INFLUENCER = "influencer"
    NONE = "none"
    UNKNOWN = "unknown"


class Timeline(StrEnum):
    UNDER_1_MONTH = "lt1m"
    ONE_TO_3_MONTHS = "1to3m"
    THREE_TO_12_MONTHS = "3to12m"
    NONE = "none"
    UNKNOWN = "unknown"


class Fit(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Source(StrEnum):
    MEETING = "meeting"
    EVENT = "event"
    REFERRAL = "referral"
    INBOUND = "inbound"
    COLD_CALL = "cold_call"
    LIST = "list"
    OTHER = "other"


class NextStepChoice(StrEnum):
    """The one-tap next steps; a typed date is stored as an instant with the choice DATE."""

    TOMORROW = "tomorrow"
    IN_3_DAYS = "in3days"
    NEXT_WEEK = "nextweek"
    DATE = "date"
    NONE = "none"


# The steps answered with one tap, and their options in the order the buttons show them.
CHOICES: dict[Step, tuple[StrEnum, ...]] = {
    Step.NEED: tuple(Need),
    Step.BUDGET: tuple(Budget),
    Step.AUTHORITY: tuple(Authority),
    Step.TIMELINE: tuple(Timeline),
    Step.FIT: tuple(Fit),
    Step.SOURCE: tuple(Source),
    Step.NEXT_STEP: (
        NextStepChoice.TOMORROW,
        NextStepChoice.IN_3_DAYS,
        NextStepChoice.NEXT_WEEK,
        NextStepChoice.DATE,
        NextStepChoice.NONE,
    ),
}

DETAIL_STEPS = (Step.ROLE, Step.PHONE, Step.EMAIL, Step.WEBSITE, Step.ADDRESS)
# Steps answered by typing; NEXT_STEP takes typed text only after "type a date" was tapped.
TEXT_STEPS = frozenset({Step.NAME, Step.COMPANY, Step.NOTE, *DETAIL_STEPS})
# Typed, but read as an amount (bot.deal.parse_amount) rather than kept as text.
AMOUNT_STEPS = frozenset({Step.VALUE})

NAME_MAX = 200
COMPANY_MAX = 200
NOTE_MAX = 1500


class QualificationAnswers(BaseModel):
    """Everything a capture collects; None means not asked yet or skipped."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    company: str | None = None
    phone: str | None = None
    # From a business card (or typed through Edit): the first phone above, any others here.
    role: str | None = None
    email: str | None = None
    website: str | None = None
    address: str | None = None
    other_phones: tuple[str, ...] | None = None
    need: Need | None = None
    budget: Budget | None = None
    authority: Authority | None = None
    timeline: Timeline | None = None
    fit: Fit | None = None
    source: Source | None = None
    # The deal: its value in minor units of `currency` (bot/deal.py), and the month it should close.
    value: int | None = None
    currency: str | None = None
    close_month: date | None = None
    note: str | None = None
    next_step: NextStepChoice | None = None
    next_due: datetime | None = None

    def answer_for(self, step: Step) -> object:
        """The stored answer of one step (None when skipped or not asked)."""
        return getattr(self, "next_step" if step is Step.NEXT_STEP else step.value)

    def with_answer(self, step: Step, value: object) -> QualificationAnswers:
        """A copy with one step answered (or cleared with None)."""
        field = "next_step" if step is Step.NEXT_STEP else step.value
        update: dict[str, object] = {field: value}
        if step is Step.NEXT_STEP and value is not NextStepChoice.DATE:
            update["next_due"] = None
        if step is Step.VALUE and value is None:
            update["currency"] = None
        return self.model_copy(update=update)

    def merged_over(self, earlier: QualificationAnswers) -> QualificationAnswers:
        """These answers, falling back to the earlier ones where this capture left a question open."""
        values = {
            field: getattr(self, field) if getattr(self, field) is not None else getattr(earlier, field)
            for field in type(self).model_fields
        }
        return QualificationAnswers(**values)


def split_name_and_company(text: str) -> tuple[str, str | None]:
    """'Anna Virtanen, Acme Oy' → ('Anna Virtanen', 'Acme Oy'); a name alone has no company."""
    name, _, company = text.partition(",")
    return name.strip(), (company.strip() or None)


# The bot's languages that write a person's family name first ("Szabó Zsófia").
FAMILY_NAME_FIRST = frozenset({"hu"})


def given_and_family(name: str, language: str) -> tuple[str, str]:
    """A contact's given names and family name, in the order the rep's language writes a name: Hungarian
    family name first, the others last ("Anna Virtanen"). A name of one word is a family name alone."""
    words = name.split()
    if len(words) < 2:
        return "", name.strip()
    if language in FAMILY_NAME_FIRST:
        return " ".join(words[1:]), words[0]
    return " ".join(words[:-1]), words[-1]


def greeting_name(name: str, language: str) -> str:
    """The word a contact is greeted by: the first of the name, or the last where the rep's language writes
    the family name first ("Szabó Zsófia", "Kovácsné Szabó Anna": Zsófia, Anna)."""
    words = name.split()
    if not words:
        return name
    return words[-1] if language in FAMILY_NAME_FIRST else words[0]


def next_question(answers: QualificationAnswers, after: Step | None) -> Step | None:
    """The question that follows `after` (None: the first), or None when the summary is next.

    Going forward, the name and the company are asked only while unknown: a rep who started with
    "Anna Virtanen, Acme Oy" or shared a contact is not asked again (Back still reaches them).
    """
    steps = list(Step)
    start = 0 if after is None else steps.index(after) + 1
    for step in steps[start:]:
        if step in DETAIL_STEPS or not _deal_asked(step, answers):
            continue
        if step is Step.NAME and answers.name:
            continue
        if step is Step.COMPANY and answers.company:
            continue
        return step
    return None


def _deal_asked(step: Step, answers: QualificationAnswers) -> bool:
    """The deal's value is asked in order when they have the budget, its close month when it has a value."""
    if step is Step.VALUE:
        return answers.budget is Budget.YES or answers.value is not None
    if step is Step.CLOSE_MONTH:
        return answers.value is not None
    return True


def previous_question(before: Step, answers: QualificationAnswers | None = None) -> Step | None:
    """The question Back returns to (None: there is none before this one); the deal's questions only
    when they would be asked going forward."""
    steps = [
        step
        for step in Step
        if step is before or (step not in DETAIL_STEPS and (answers is None or _deal_asked(step, answers)))
    ]
    index = steps.index(before)
    return steps[index - 1] if index > 0 else None
