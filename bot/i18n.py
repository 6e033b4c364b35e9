"""Translations and locale formatting: message catalogs per language, read with Babel.

Message ids are namespaced keys ("capture.ask_budget"); each language's catalog maps them to its text.
Catalogs are .po files read at start, so a translator edits one text file and nothing needs compiling.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from bot.config import SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

# The Babel locale each bot language formats dates and numbers with.
_FORMAT_LOCALES = {"en": "en_GB", "fi": "fi_FI", "nb": "nb_NO", "hu": "hu_HU", "fr": "fr_FR"}
# Telegram's language_code values that map onto the bot's languages.
LANGUAGE_ALIASES = {"no": "nb", "nn": "nb"}
# Each language by its own name, as the language picker shows it.
LANGUAGE_NAMES = {"en": "English", "fi": "Suomi", "nb": "Norsk (bokmål)", "hu": "Magyar", "fr": "Français"}


def language_for(code: str | None, default: str) -> str:
    """The bot language for a Telegram language_code ("fi", "en-US", "nn"), or the default."""
    if not code:
        return default
    base = code.replace("_", "-").split("-")[0].lower()
    base = LANGUAGE_ALIASES.get(base, base)
    return base if base in SUPPORTED_LANGUAGES else default


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(language: str) -> Translations:
    path = catalog_path(language)
    if not path.exists():
        path = catalog_path("en")
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(buffer, domain=DOMAIN)
    if language != "en":
        # A message missing from a newer catalog falls back to English rather than showing its id.
        translations.add_fallback(_translations("en"))
    return translations


class Html(str):
    """Text that is already HTML (a translated message): placed into another message as it is, unescaped."""

    __slots__ = ()


@dataclass(frozen=True)
class Translator:
    """The texts and formats of one language. Values passed to a message are HTML-escaped, since every
    message is sent with parse_mode=HTML; `plain` is for button labels and alerts, which are not HTML."""

    language: str

    def __call__(self, message_id: str, /, **values: object) -> Html:
        text = _translations(self.language).gettext(message_id)
        return Html(text.format(**{key: _escape(value) for key, value in values.items()}) if values else text)

    def plain(self, message_id: str, /, **values: object) -> str:
        text = _translations(self.language).gettext(message_id)
        return text.format(**values) if values else text

    def plural(self, message_id: str, count: int, /, *, more: bool = False, **values: object) -> Html:
        """A message whose words depend on a number: the catalog entry has msgid_plural `<id>.plural`.
        With `more`, the number is a cap that counting stopped at ("1,000+")."""
        text = _translations(self.language).ngettext(message_id, f"{message_id}.plural", count)
        escaped = {key: _escape(value) for key, value in values.items()}
        return Html(text.format(count=self.count(count, more=more), **escaped))

    @property
    def locale(self) -> Locale:
        return Locale.parse(_FORMAT_LOCALES.get(self.language, "en_GB"))

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def count(self, value: int, *, more: bool = False) -> str:
        """A count for the reader, "1,000+" (in the locale's digits) where counting stopped at a cap."""
        return self.number(value) + ("+" if more else "")

    def percent(self, value: float) -> str:
        """0.25 -> "25 %" in Finnish, "25%" in English."""
        return format_percent(value, locale=self.locale)

    def when(self, instant: datetime, zone: ZoneInfo) -> str:
        """A day and a time in the rep's zone and locale: "Thu 26 Nov, 14:00"."""
        local = instant.astimezone(zone)
        # CLDR's own pattern for joining a date and a time ("{1}, {0}" in English, "{1} {0}" in Finnish).
        pattern = str(self.locale.datetime_formats["medium"])
        return pattern.format(
            self.clock_time(instant, zone), format_skeleton("MMMEd", local, locale=self.locale)
        )

    def day(self, instant: datetime, zone: ZoneInfo) -> str:
        """A day in the rep's zone and locale: "Thu 26 Nov"."""
        return format_skeleton("MMMEd", instant.astimezone(zone), locale=self.locale)

    def clock_time(self, instant: datetime, zone: ZoneInfo) -> str:
        """A time of day in the rep's zone and locale: "14:00", "14.00"."""
        return format_skeleton("Hm", instant.astimezone(zone), locale=self.locale)

    def wall_time(self, at: time) -> str:
        """A wall-clock time with no day (the digest's time) in the locale: "08:30", "8.30"."""
        return format_skeleton("Hm", datetime.combine(date(2000, 1, 1), at), locale=self.locale)


def _escape(value: object) -> str:
    if isinstance(value, Html):
        return value
    return html.escape(value, quote=False) if isinstance(value, str) else str(value)
