"""The capture state machine: answers, Skip, Back, Finish, Edit and typed dates."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import capture as flow
from bot.capture import CaptureMode
from bot.qualification import Budget, Need, NextStepChoice, QualificationAnswers, Step

NOW = datetime(2026, 11, 25, 13, tzinfo=UTC)
HELSINKI = ZoneInfo("Europe/Helsinki")


def answered(state: flow.CaptureState, value: object) -> flow.CaptureState:
    assert state.step is not None
    return flow.answer(state, state.step, value, now=NOW, zone=HELSINKI, working_days=())


def test_answers_move_forward_and_skip_leaves_the_answer_open() -> None:
    state = flow.start(QualificationAnswers(name="Anna", company="Acme"))
    state = answered(state, Need.YES)
    assert state.step is Step.BUDGET
    state = answered(state, None)
    assert state.step is Step.AUTHORITY
    assert state.answers.need is Need.YES and state.answers.budget is None


def test_back_returns_to_the_previous_question_keeping_its_answer() -> None:
    state = answered(flow.start(QualificationAnswers(name="Anna", company="Acme")), Need.YES)
    state = flow.back(state)
    assert state.step is Step.NEED and state.answers.need is Need.YES


def test_finish_jumps_to_the_next_step_then_the_summary() -> None:
    state = flow.finish(flow.start(QualificationAnswers(name="Anna")))
    assert state.step is Step.NEXT_STEP
    state = answered(state, NextStepChoice.TOMORROW)
    assert state.at_summary
    # Tomorrow is 09:00 in the rep's zone: 07:00 UTC in Helsinki in winter.
    assert state.answers.next_due == datetime(2026, 11, 26, 7, tzinfo=UTC)


def test_edit_asks_one_question_and_returns_to_the_summary() -> None:
    summary = flow.CaptureState(None, CaptureMode.ASK, QualificationAnswers(name="Anna", budget=Budget.NO))
    editing = flow.edit(summary, Step.BUDGET)
    assert editing.step is Step.BUDGET and editing.mode is CaptureMode.EDIT
    done = answered(editing, Budget.YES)
    assert done.at_summary and done.answers.budget is Budget.YES
    assert flow.back(flow.edit(summary, Step.NEED)).at_summary


def test_type_a_date_waits_for_text_and_back_leaves_the_prompt() -> None:
    state = flow.CaptureState(Step.NEXT_STEP, CaptureMode.ASK, QualificationAnswers(name="Anna"))
    waiting = answered(state, NextStepChoice.DATE)
    assert waiting.mode is CaptureMode.DATE and waiting.step is Step.NEXT_STEP
    assert flow.back(waiting).mode is CaptureMode.ASK
    due = datetime(2026, 11, 27, 12, tzinfo=UTC)
    done = flow.typed_date(waiting, due)
    assert done.at_summary and done.answers.next_due == due and done.answers.next_step is NextStepChoice.DATE


def test_a_meeting_on_an_existing_contact_keeps_earlier_answers_and_counts_a_touch() -> None:
    earlier = QualificationAnswers(name="Anna", need=Need.YES, budget=Budget.YES)
    result = flow.evaluate(
        QualificationAnswers(name="Anna", budget=Budget.NO), now=NOW, earlier=earlier, touches_before=2
    )
    assert result.answers.need is Need.YES and result.answers.budget is Budget.NO
    assert any(reason.code == "touches" and reason.points == 5 for reason in result.score.reasons)


def tapped(state: flow.CaptureState, option: str) -> flow.CaptureState | None:
    return flow.tap(state, option, now=NOW, zone=HELSINKI, working_days=(1, 2, 3, 4, 5))


def test_a_tap_is_an_option_of_the_question_or_a_control() -> None:
    start = flow.start(QualificationAnswers(name="Anna", company="Acme"))
    assert start.step is Step.NEED
    after_yes = tapped(start, Need.YES.value)
    assert after_yes is not None and after_yes.step is Step.BUDGET and after_yes.answers.need is Need.YES
    skipped = tapped(start, flow.SKIP)
    assert skipped is not None and skipped.step is Step.BUDGET and skipped.answers.need is None
    assert tapped(after_yes, flow.BACK) == flow.back(after_yes)
    assert tapped(after_yes, flow.FINISH) == flow.finish(after_yes)


def test_a_tap_the_question_does_not_offer_changes_nothing() -> None:
    start = flow.start(QualificationAnswers(name="Anna", company="Acme"))
    assert tapped(start, Budget.YES.value + "x") is None
    assert tapped(start, "1d") is None  # a snooze value, not a need
    assert tapped(flow.start(QualificationAnswers()), flow.SKIP) is None, "the name cannot be skipped"
    summary = flow.CaptureState(None, CaptureMode.ASK, start.answers)
    assert tapped(summary, Need.YES.value) is None
