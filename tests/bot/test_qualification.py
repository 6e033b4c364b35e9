"""The question order: what is asked next, what Back returns to, and what is skipped when known."""

from __future__ import annotations

from bot.qualification import (
    DETAIL_STEPS,
    Budget,
    QualificationAnswers,
    Step,
    next_question,
    previous_question,
    split_name_and_company,
)


def test_a_new_capture_asks_every_question_in_order() -> None:
    answers = QualificationAnswers()
    asked = []
    step = next_question(answers, after=None)
    while step is not None:
        asked.append(step)
        answers = answers.with_answer(step, "x" if step in (Step.NAME, Step.COMPANY) else None)
        step = next_question(answers, after=step)
    # With no budget there is no deal to size: its value and close month are left to the summary's Edit.
    deal = (Step.VALUE, Step.CLOSE_MONTH)
    assert asked == [step for step in Step if step not in DETAIL_STEPS and step not in deal]


def test_a_budget_brings_the_deal_value_and_a_value_its_close_month() -> None:
    budget = QualificationAnswers(name="Anna", company="Acme", budget=Budget.YES)
    assert next_question(budget, after=Step.FIT) is Step.VALUE
    assert next_question(budget, after=Step.VALUE) is Step.SOURCE  # skipped: no close month asked
    valued = budget.with_answer(Step.VALUE, 1_200_000)
    assert next_question(valued, after=Step.VALUE) is Step.CLOSE_MONTH
    assert previous_question(Step.SOURCE, valued) is Step.CLOSE_MONTH
    assert previous_question(Step.SOURCE, budget) is Step.VALUE
    assert previous_question(Step.SOURCE, QualificationAnswers()) is Step.FIT


def test_a_known_name_and_company_are_not_asked_again() -> None:
    answers = QualificationAnswers(name="Anna Virtanen", company="Acme Oy")
    assert next_question(answers, after=None) is Step.NEED


def test_a_shared_contact_goes_from_the_name_to_the_company() -> None:
    assert next_question(QualificationAnswers(name="Anna"), after=None) is Step.COMPANY


def test_back_goes_to_the_previous_question_and_stops_at_the_first() -> None:
    assert previous_question(Step.BUDGET) is Step.NEED
    assert previous_question(Step.NEED) is Step.COMPANY
    assert previous_question(Step.NAME) is None


def test_name_and_company_split_on_the_first_comma() -> None:
    assert split_name_and_company(" Anna Virtanen ,  Acme Oy ") == ("Anna Virtanen", "Acme Oy")
    assert split_name_and_company("Anna Virtanen") == ("Anna Virtanen", None)
    assert split_name_and_company("Szabó Ákos, Kft, Budapest") == ("Szabó Ákos", "Kft, Budapest")


def test_later_answers_win_and_open_questions_keep_earlier_answers() -> None:
    earlier = QualificationAnswers(name="Anna", need="yes", budget="no")  # type: ignore[arg-type]
    later = QualificationAnswers(budget="yes")  # type: ignore[arg-type]
    merged = later.merged_over(earlier)
    assert (merged.name, merged.need, merged.budget) == ("Anna", "yes", "yes")
