"""The awaiting value and the router's rule: where a typed text goes, by when the question was asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.awaiting import FRESH, LAPSES, PENDING_MAX, Awaiting, Question, TextRoute, route_text
from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import Translator

ASKED = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
NOTE = Awaiting(Question.FOLLOWUP_NOTE, ASKED, followup_id=3, interaction_id=9)


@pytest.mark.parametrize(
    ("after", "route"),
    [
        (timedelta(0), TextRoute.ANSWER),
        (FRESH, TextRoute.ANSWER),
        (FRESH + timedelta(seconds=1), TextRoute.ASK_WHICH),
        (LAPSES - timedelta(seconds=1), TextRoute.ASK_WHICH),
        (LAPSES, TextRoute.CAPTURE),
        (timedelta(days=2), TextRoute.CAPTURE),
    ],
)
def test_text_goes_by_when_the_question_was_asked(after: timedelta, route: TextRoute) -> None:
    assert route_text("Bruno Berg, Nordic AB", NOTE, ASKED + after) is route


def test_without_a_question_text_goes_to_the_capture() -> None:
    assert route_text("Bruno Berg", None, ASKED) is TextRoute.CAPTURE


def test_a_command_is_always_a_command() -> None:
    assert route_text("/today", NOTE, ASKED) is TextRoute.COMMAND
    assert route_text("/cancel", None, ASKED) is TextRoute.COMMAND


def test_the_value_round_trips_and_keeps_text_up_to_its_cap() -> None:
    held = NOTE.holding("x" * (PENDING_MAX + 50))
    back = Awaiting.decode(held.encode())
    assert back == held and back is not None and len(back.pending or "") == PENDING_MAX
    again = held.asked_again(ASKED + timedelta(minutes=9))
    assert again.pending is None and again.asked_at == ASKED + timedelta(minutes=9)
    assert Awaiting.decode(NOTE.encode()) == NOTE


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "timezone",
        "fu-note:12:3",
        "{}",
        '{"q": "nope", "at": 1}',
        '{"q": "timezone", "at": "x"}',
        '{"q": "card_note", "at": 1, "c": "5"}',
        '{"q": "card_note", "at": 1, "c": true}',
        "[1, 2]",
    ],
)
def test_anything_else_stored_reads_as_no_question(stored: str | None) -> None:
    assert Awaiting.decode(stored) is None


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_question_names_itself_when_the_bot_asks_what_a_late_text_was_for(language: str) -> None:
    # The "which was it?" offer labels its first button with the question: a missing label would show
    # the rep a message id.
    t = Translator(language)
    for question in Question:
        key = f"awaiting.answer.{question.value}"
        assert t.plain(key) != key, (language, question)
