"""Reading a CSV: the words the bot's own export writes (headers, sources) in every language."""

from __future__ import annotations

import pytest

from bot import imports
from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import Translator


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_source_word_is_read_as_its_code(language: str) -> None:
    t = Translator(language)
    for code in ("meeting", "event", "referral", "inbound", "cold_call", "list", "other"):
        assert imports.source_code(t.plain(f"option.source.{code}")) == code, code
        assert imports.source_code(code) == code


def test_a_source_the_bot_does_not_know_is_kept_folded_and_an_empty_one_is_none() -> None:
    assert imports.source_code("LinkedIn ") == "linkedin"  # storage files it as "other"
    assert imports.source_code("  ") is None


@pytest.mark.parametrize("header", ["Helyszín", "Localisation", "Sijainti", "Sted", "Location"])
def test_a_location_header_of_each_language_is_read(header: str) -> None:
    parsed = imports.parse(f"Name;{header}\nAnna;Espoo\n".encode())
    assert parsed.columns == {"name": "Name", "location": header}
    assert parsed.rows[0].location == "Espoo"
