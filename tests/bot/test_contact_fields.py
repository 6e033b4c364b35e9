"""Typed field values, tags and birthdays: what is stored, and what is refused with which reason."""

from __future__ import annotations

from datetime import date

import pytest

from bot.contact_fields import Invalid, clean_field, parse_birthday, parse_tags


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
        ("29/2", date(1904, 2, 29)),
        ("1980-03-12", date(1980, 3, 12)),
    ],
)
def test_birthdays(text: str, expected: date) -> None:
    assert parse_birthday(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1980. 03. 12.", date(1980, 3, 12)), ("03. 12.", date(1904, 3, 12)), ("3.12", date(1904, 3, 12))],
)
def test_hungarian_birthdays_put_the_month_first(text: str, expected: date) -> None:
    assert parse_birthday(text, "hu") == expected


@pytest.mark.parametrize("text", ["31.2.", "soon", "12", ""])
def test_impossible_birthdays(text: str) -> None:
    assert parse_birthday(text) is None
