"""Phone numbers read in the rep's country and kept as E.164."""

from __future__ import annotations

import pytest

from bot.phones import display, phone_key, read_phone, region_for, search_digits


@pytest.mark.parametrize(
    ("timezone", "language", "region"),
    [
        ("Europe/Helsinki", "en", "FI"),
        ("Europe/Oslo", "fi", "NO"),
        ("Europe/Budapest", "hu", "HU"),
        ("Europe/Paris", "fr", "FR"),
        ("UTC", "nb", "NO"),
        ("UTC", "en", None),
    ],
)
def test_the_country_comes_from_the_zone_else_the_language(
    timezone: str, language: str, region: str | None
) -> None:
    assert region_for(timezone, language) == region


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("040 123 4567", "FI", "+358401234567"),
        ("+358 40 123 4567", None, "+358401234567"),
        ("09 123 456", "FI", "+3589123456"),
        ("912 34 567", "NO", "+4791234567"),
        ("+47 912 34 567", "FI", "+4791234567"),
        ("06 1 234 5678", "HU", "+3612345678"),
        ("06 12 34 56 78", "FR", "+33612345678"),
    ],
)
def test_a_valid_number_is_stored_as_e164_and_keyed_on_it(
    typed: str, region: str | None, stored: str
) -> None:
    phone = read_phone(typed, region)
    assert (phone.stored, phone.key, phone.valid) == (stored, stored, True)


def test_a_number_that_cannot_be_read_is_kept_as_typed_and_keyed_on_its_digits() -> None:
    assert read_phone("040 123 4567", None) == read_phone("040  123 4567", None)
    phone = read_phone("040  123 4567", None)
    assert (phone.stored, phone.key, phone.valid) == ("040 123 4567", "0401234567", False)
    assert phone_key("ext 12", "FI") is None


def test_the_reader_sees_the_international_form_and_search_has_both() -> None:
    assert display("+358401234567") == "+358 40 1234567"
    assert display("ext. 12345") == "ext. 12345"
    assert search_digits("+358401234567") == "358401234567 0401234567"
