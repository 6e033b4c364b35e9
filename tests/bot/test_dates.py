"""Typed dates and one-tap next steps, in the rep's language and zone, with an injected now."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.dates import due_for_choice, local_to_utc, parse_typed_date
from bot.qualification import NextStepChoice

# Wednesday 25 November 2026, 15:00 in Helsinki.
NOW = datetime(2026, 11, 25, 13, tzinfo=UTC)
HELSINKI = ZoneInfo("Europe/Helsinki")


def local(text: str, language: str = "en") -> str | None:
    parsed = parse_typed_date(text, language=language, zone=HELSINKI, now=NOW)
    return parsed.due.astimezone(HELSINKI).strftime("%a %d.%m. %H:%M") if parsed else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 10", "Thu 26.11. 10:00"),
        ("tomorrow at 10am", "Thu 26.11. 10:00"),
        ("tomorrow 2pm", "Thu 26.11. 14:00"),
        ("next friday 14:00", "Fri 27.11. 14:00"),
        ("in 2 hours", "Wed 25.11. 17:00"),
        ("in 10 minutes", "Wed 25.11. 15:10"),
        ("25.12. 9:30", "Fri 25.12. 09:30"),
        ("friday", "Fri 27.11. 09:00"),
        ("in 3 days", "Sat 28.11. 09:00"),
    ],
)
def test_english_phrases(text: str, expected: str) -> None:
    assert local(text) == expected


PHRASES = {
    "fi": [
        ("huomenna klo 10", "Thu 26.11. 10:00"),
        ("huomenna 10", "Thu 26.11. 10:00"),
        ("ylihuomenna klo 9", "Fri 27.11. 09:00"),
        ("ensi perjantaina klo 14", "Fri 27.11. 14:00"),
        ("ensi tiistaina", "Tue 01.12. 09:00"),
        ("maanantaina klo 8.30", "Mon 30.11. 08:30"),
        ("2 tunnin päästä", "Wed 25.11. 17:00"),
        ("10 minuutin päästä", "Wed 25.11. 15:10"),
        ("25.12. 9:30", "Fri 25.12. 09:30"),
        ("tänään klo 16", "Wed 25.11. 16:00"),
        ("huomenna 14.30", "Thu 26.11. 14:30"),
        ("huomenna kello 14", "Thu 26.11. 14:00"),
        ("25.12. 9.30", "Fri 25.12. 09:30"),
        ("12.12.", "Sat 12.12. 09:00"),
        ("25.12. 10", "Fri 25.12. 10:00"),
        ("25.12. klo 9.30.", "Fri 25.12. 09:30"),
        ("klo 10.30.", "Thu 26.11. 10:30"),
        ("31.12. 23.59", "Thu 31.12. 23:59"),
    ],
    "nb": [
        ("i morgen kl. 10", "Thu 26.11. 10:00"),
        ("i morgen 10", "Thu 26.11. 10:00"),
        ("i overmorgen", "Fri 27.11. 09:00"),
        ("neste fredag", "Fri 27.11. 09:00"),
        ("på mandag kl 8.30", "Mon 30.11. 08:30"),
        ("om 2 timer", "Wed 25.11. 17:00"),
        ("om 10 minutter", "Wed 25.11. 15:10"),
        ("25.12. 9:30", "Fri 25.12. 09:30"),
        ("om 3 dager", "Sat 28.11. 09:00"),
        ("i dag kl 16", "Wed 25.11. 16:00"),
        ("i morgen 14.30", "Thu 26.11. 14:30"),
        ("kl. 10.30.", "Thu 26.11. 10:30"),
        ("1.1.", "Fri 01.01. 09:00"),
    ],
    "hu": [
        ("holnap 10-kor", "Thu 26.11. 10:00"),
        ("holnap 10:00", "Thu 26.11. 10:00"),
        ("holnapután", "Fri 27.11. 09:00"),
        ("jövő péntek", "Fri 27.11. 09:00"),
        ("hétfőn 8:30", "Mon 30.11. 08:30"),
        ("2 óra múlva", "Wed 25.11. 17:00"),
        ("10 perc múlva", "Wed 25.11. 15:10"),
        ("12. 25. 9:30", "Fri 25.12. 09:30"),
        ("2026. 12. 25. 9:30", "Fri 25.12. 09:30"),
        ("ma 16:00", "Wed 25.11. 16:00"),
        ("holnap 14.30.", "Thu 26.11. 14:30"),
    ],
    "fr": [
        ("demain 10h", "Thu 26.11. 10:00"),
        ("demain à 10h30", "Thu 26.11. 10:30"),
        ("après-demain", "Fri 27.11. 09:00"),
        ("vendredi 14:00", "Fri 27.11. 14:00"),
        ("lundi à 8h30", "Mon 30.11. 08:30"),
        ("dans 2 heures", "Wed 25.11. 17:00"),
        ("dans 10 minutes", "Wed 25.11. 15:10"),
        ("25.12. 9:30", "Fri 25.12. 09:30"),
        ("dans 3 jours", "Sat 28.11. 09:00"),
        ("aujourd'hui 16h", "Wed 25.11. 16:00"),
        ("demain à 15h", "Thu 26.11. 15:00"),
        ("vendredi à 9h", "Fri 27.11. 09:00"),
        ("aujourd'hui à 17h30", "Wed 25.11. 17:30"),
        ("demain vers 11h", "Thu 26.11. 11:00"),
    ],
}


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [(language, text, expected) for language, cases in PHRASES.items() for text, expected in cases],
)
def test_phrases_in_the_reps_language(language: str, text: str, expected: str) -> None:
    assert local(text, language) == expected


@pytest.mark.parametrize("text", ["banana", "", "   ", "x" * 500])
def test_text_that_is_no_date_is_not_understood(text: str) -> None:
    assert local(text) is None


def test_one_tap_steps_land_on_a_working_day() -> None:
    weekdays = frozenset({1, 2, 3, 4, 5})
    # NOW is a Wednesday: in three days is a Saturday, so the next working day, Monday.
    assert due_for_choice(NextStepChoice.IN_3_DAYS, NOW, HELSINKI, weekdays) == datetime(
        2026, 11, 30, 7, tzinfo=UTC
    )
    assert due_for_choice(NextStepChoice.TOMORROW, NOW, HELSINKI, weekdays) == datetime(
        2026, 11, 26, 7, tzinfo=UTC
    )
    friday = NOW + timedelta(days=2)
    assert due_for_choice(NextStepChoice.TOMORROW, friday, HELSINKI, weekdays) == datetime(
        2026, 11, 30, 7, tzinfo=UTC
    )
    # A rep with no working days set gets the day as it falls.
    assert due_for_choice(NextStepChoice.IN_3_DAYS, NOW, HELSINKI, ()) == datetime(
        2026, 11, 28, 7, tzinfo=UTC
    )


def test_one_tap_steps_are_nine_oclock_local() -> None:
    assert due_for_choice(NextStepChoice.TOMORROW, NOW, HELSINKI, ()) == datetime(2026, 11, 26, 7, tzinfo=UTC)
    assert due_for_choice(NextStepChoice.NEXT_WEEK, NOW, HELSINKI, ()) == datetime(2026, 12, 2, 7, tzinfo=UTC)
    assert due_for_choice(NextStepChoice.NONE, NOW, HELSINKI, ()) is None


def test_a_time_in_the_spring_gap_and_the_autumn_fold_is_one_instant() -> None:
    # 29 March 2026, 03:30 does not exist in Helsinki (clocks jump 03:00 -> 04:00).
    gap = local_to_utc(date(2026, 3, 29), time(3, 30), HELSINKI)
    assert gap == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 25 October 2026, 03:30 happens twice; the first one is taken.
    fold = local_to_utc(date(2026, 10, 25), time(3, 30), HELSINKI)
    assert fold == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
