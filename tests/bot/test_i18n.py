"""Translations and locale formats: plural rules per language, dates and numbers per locale, escaping."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translator, language_for

WHEN = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [
        ("en", "📤 1 contact:", "📤 3 contacts:"),
        ("fi", "📤 1 kontakti.", "📤 3 kontaktia."),
        ("nb", "📤 1 kontakt.", "📤 3 kontakter."),
        ("hu", "📤 1 kapcsolat:", "📤 3 kapcsolat:"),
        ("fr", "📤 1 contact\u00a0:", "📤 3 contacts\u00a0:"),
    ],
)
def test_plural_forms_follow_each_languages_rule(language: str, one: str, three: str) -> None:
    t = Translator(language)
    assert t.plural("export.done", 1).startswith(one)
    assert t.plural("export.done", 3).startswith(three)


def test_french_zero_is_singular_and_english_zero_plural() -> None:
    assert Translator("fr").plural("export.done", 0).startswith("📤 0 contact\u00a0:")
    assert Translator("en").plural("export.done", 0).startswith("📤 0 contacts:")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Thu 26 Nov, 14:00"),
        ("fi", "to 26.11. 14.00"),
        ("nb", "tor. 26. nov., 14:00"),
        ("hu", "nov. 26., Cs 14:00"),
        ("fr", "jeu. 26 nov., 14:00"),
    ],
)
def test_dates_and_times_in_each_locale(language: str, expected: str) -> None:
    assert Translator(language).when(WHEN, HELSINKI) == expected


def test_the_digest_time_is_written_as_each_locale_writes_times() -> None:
    assert [Translator(language).wall_time(time(8, 30)) for language in ("en", "fi", "nb", "hu", "fr")] == [
        "08:30",
        "8.30",
        "08:30",
        "8:30",
        "08:30",
    ]


def test_a_count_that_stopped_at_a_cap_says_so() -> None:
    assert Translator("en").count(1000, more=True) == "1,000+"
    assert Translator("fi").plural("digest.section_more", 994, more=True) == "…ja 994+ muuta"
    assert Translator("fi").plural("digest.section_more", 1) == "…ja 1 muu"


def test_numbers_and_percentages_in_each_locale() -> None:
    assert Translator("en").number(12345) == "12,345"
    assert Translator("fr").number(12345) == "12\u202f345"
    assert Translator("fi").percent(0.25) == "25\xa0%"
    assert Translator("en").percent(0.25) == "25%"


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("fi", "fi"),
        ("fi-FI", "fi"),
        ("nb", "nb"),
        ("no", "nb"),
        ("nn", "nb"),
        ("hu", "hu"),
        ("fr-CA", "fr"),
        ("de", "en"),
        (None, "en"),
    ],
)
def test_telegram_language_codes(code: str | None, language: str) -> None:
    assert language_for(code, "en") == language


def test_values_are_escaped_in_html_messages_but_not_in_buttons() -> None:
    t = Translator("en")
    assert t("card.who", name="<b>Zoë & Co</b>") == "👤 <b>&lt;b&gt;Zoë &amp; Co&lt;/b&gt;</b>"
    assert t.plain("capture.log_on", name="A & B") == "📎 Add to A & B"
