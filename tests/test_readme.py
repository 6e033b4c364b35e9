"""The README's promises that can be run: its table of typed dates, read as the README says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.date_style import style_for
from bot.dates import DateRefusal, read_typed_date
from bot.i18n import Translator

README = Path(__file__).parent.parent / "README.md"
NOW = datetime(2026, 11, 25, 13, tzinfo=UTC)  # "Wednesday 25 November 2026 at 15:00" in Helsinki
HELSINKI = ZoneInfo("Europe/Helsinki")
REFUSED = re.compile(r"^refused: ([a-z ]+?)(?: \(|$)")


def date_examples() -> list[tuple[str, str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- date examples -->")[1].split("<!-- end of date examples -->")[0]
    rows = [line.strip("| ").split(" | ") for line in table.strip().splitlines()[2:]]
    return [(language, typed, understood) for language, typed, understood in rows]


def test_the_readme_has_date_examples_in_every_language() -> None:
    assert {language for language, _, _ in date_examples()} == {"en", "fi", "nb", "hu", "fr"}


@pytest.mark.parametrize(("language", "typed", "understood"), date_examples())
def test_a_readme_date_example(language: str, typed: str, understood: str) -> None:
    reading = read_typed_date(
        typed, language=language, zone=HELSINKI, now=NOW, style=style_for(language, HELSINKI.key)
    )
    refused = REFUSED.match(understood)
    if refused:
        assert isinstance(reading, DateRefusal) and reading.reason.value == refused[1].replace(" ", "_")
        return
    assert not isinstance(reading, DateRefusal), reading
    # The README writes the day as an English rep in Helsinki sees it, whatever the language typed.
    assert Translator("en", now=NOW).when(reading.due, HELSINKI) == understood
