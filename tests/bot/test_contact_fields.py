"""Typed field values, tags and birthdays: what is stored, and what is refused with which reason."""

from __future__ import annotations

from datetime import date

import pytest

from bot.contact_fields import Invalid, clean_field, parse_tags
from bot.date_style import DateStyle
from bot.dates import read_birthday


def test_fields_are_trimmed_and_dash_clears() -> None:
    assert clean_field("role", "  Sales   director ") == "Sales director"
    assert clean_field("role", "-") is None


@pytest.mark.parametrize(
    ("field", "text", "problem"),
    [
        ("email", "anna at acme", "email"),
        ("phone", "call me", "phone"),
        ("name", "-", "name_required"),
        ("role", "x" * 121, "too_long"),
    ],
)
def test_bad_values_are_refused_with_a_reason(field: str, text: str, problem: str) -> None:
    with pytest.raises(Invalid) as caught:
        clean_field(field, text)
    assert caught.value.problem == problem


def test_tags_split_on_commas_drop_hashes_and_duplicates() -> None:
    assert parse_tags("vip, #Retail ,VIP;  trade   fair") == ["vip", "Retail", "trade fair"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.3.", date(1904, 3, 12)),
        ("12.3.1980", date(1980, 3, 12)),
        ("3.12", date(1904, 12, 3)),
        ("29/2", date(1904, 2, 29)),
        ("1980-03-12", date(1980, 3, 12)),
        ("12 March", date(1904, 3, 12)),
        ("March 12th 1980", date(1980, 3, 12)),
    ],
)
def test_birthdays(text: str, expected: date) -> None:
    assert read_birthday(text) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # Day first, as the prompt says ("nap.hónap., pl. 12.3. (március 12.)"); the spaced form with
        # the year first, or without it, is the Hungarian standard, month first.
        ("hu", "12.3.", date(1904, 3, 12)),
        ("hu", "12.3.1980", date(1980, 3, 12)),
        ("hu", "1980. 03. 12.", date(1980, 3, 12)),
        ("hu", "03. 12.", date(1904, 3, 12)),
        ("hu", "március 12.", date(1904, 3, 12)),
        ("hu", "márc. 12-én", date(1904, 3, 12)),
        ("fi", "12. maaliskuuta", date(1904, 3, 12)),
        ("nb", "12. mars 1980", date(1980, 3, 12)),
        ("fr", "12 mars", date(1904, 3, 12)),
        ("fr", "12/03/1980", date(1980, 3, 12)),
    ],
)
def test_birthdays_in_each_language(language: str, text: str, expected: date) -> None:
    assert read_birthday(text, language) == expected


def test_a_slashed_birthday_follows_the_reps_order() -> None:
    american = DateStyle(day_first=False, hour12=True)
    assert read_birthday("3/12", "en", american) == date(1904, 3, 12)
    assert read_birthday("3/12", "en") == date(1904, 12, 3)
    # Dots are day first everywhere.
    assert read_birthday("3.12.", "en", american) == date(1904, 12, 3)


@pytest.mark.parametrize("text", ["31.2.", "soon", "12", "", "12.3.80", "tomorrow", "12.3. 10:00", "1.13."])
def test_impossible_birthdays(text: str) -> None:
    assert read_birthday(text) is None
