"""Translations and locale formatting: message catalogs per language, read with Babel.

Message ids are namespaced keys ("capture.ask_budget"); each language's catalog maps them to its text.
Catalogs are .po files read at start, so a translator edits one text file and nothing needs compiling.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from bot.config import SUPPORTED_LANGUAGES
from bot.date_style import DateStyle, DateStyleChoice, style_for

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


# Month first in English is American English; other languages keep their own locale and name the month.
_MONTH_FIRST_LOCALES = {"en": "en_US"}
# Beyond this, the echo of a date says how far ahead it is ("in 6 months"); nearer, the weekday says it.
_FAR_AHEAD = timedelta(days=14)


@dataclass(frozen=True)
class Translator:
    """The texts and formats of one language. Values passed to a message are HTML-escaped, since every
    message is sent with parse_mode=HTML; `plain` is for button labels and alerts, which are not HTML.

    Dates and times follow the rep's way of writing them (bot/date_style.py: their region, or their choice
    in /settings). Given `now`, a date shows its year whenever it is not this year's, and `echo` adds how
    far ahead it is."""

    language: str
    now: datetime | None = None
    zone: ZoneInfo | None = None
    date_style: str = DateStyleChoice.AUTO

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

    def style(self, zone: ZoneInfo | None = None) -> DateStyle:
        """Day or month first, 24 or 12 hours: for the rep's zone (or this one), and their choice."""
        where = self.zone or zone
        return style_for(self.language, where.key if where else "UTC", self.date_style)

    def _date_locale(self, style: DateStyle) -> Locale:
        if not style.day_first and self.language in _MONTH_FIRST_LOCALES:
            return Locale.parse(_MONTH_FIRST_LOCALES[self.language])
        return self.locale

    def when(self, instant: datetime, zone: ZoneInfo) -> str:
        """A weekday, a date and a time in the rep's zone and way of writing: "Thu 26 Nov, 14:00", "Thu,
        Nov 26, 2:00 PM"; with the year when it is not this year's ("Fri 1 Jan 2027, 09:00")."""
        # CLDR's own pattern for joining a date and a time ("{1}, {0}" in English, "{1} {0}" in Finnish).
        pattern = str(self.locale.datetime_formats["medium"])
        return pattern.format(self.clock_time(instant, zone), self.day(instant, zone))

    def day(self, instant: datetime, zone: ZoneInfo) -> str:
        """A day in the rep's zone and locale: "Thu 26 Nov", with the year when it is not this year's."""
        local = instant.astimezone(zone)
        skeleton = "yMMMEd" if self._other_year(local, zone) else "MMMEd"
        return format_skeleton(skeleton, local, locale=self._date_locale(self.style(zone)))

    def _other_year(self, local: datetime, zone: ZoneInfo) -> bool:
        return self.now is not None and local.year != self.now.astimezone(zone).year

    def clock_time(self, instant: datetime, zone: ZoneInfo) -> str:
        """A time of day in the rep's zone and locale: "14:00", "14.00", "2:00 PM"."""
        skeleton = "hm" if self.style(zone).hour12 else "Hm"
        return format_skeleton(skeleton, instant.astimezone(zone), locale=self._date_locale(self.style(zone)))

    def wall_time(self, at: time) -> str:
        """A wall-clock time with no day (the digest's time) in the locale: "08:30", "8.30", "8:30 AM"."""
        style = self.style()
        return format_skeleton(
            "hm" if style.hour12 else "Hm",
            datetime.combine(date(2000, 1, 1), at),
            locale=self._date_locale(style),
        )

    def echo(self, instant: datetime, zone: ZoneInfo, *, with_time: bool = True) -> str:
        """A date read back to the rep so that it cannot be misread: weekday, date, time, the year when it
        is not this year's, and how near it is where that helps ("tomorrow", "in 6 months")."""
        when = self.when(instant, zone) if with_time else self.day(instant, zone)
        relative = self.relative(instant, zone)
        return self.plain("dates.relative", when=when, relative=relative) if relative else when

    def relative(self, instant: datetime, zone: ZoneInfo) -> str | None:
        if self.now is None or instant <= self.now:
            return None
        ahead = instant - self.now
        days = (instant.astimezone(zone).date() - self.now.astimezone(zone).date()).days
        if ahead < timedelta(hours=3):
            return str(format_timedelta(ahead, add_direction=True, locale=self.locale))
        if days == 0:
            return self.plain("dates.today")
        if days == 1:
            return self.plain("dates.tomorrow")
        if ahead >= _FAR_AHEAD:
            return str(format_timedelta(ahead, add_direction=True, locale=self.locale))
        return None


def _escape(value: object) -> str:
    if isinstance(value, Html):
        return value
    return html.escape(value, quote=False) if isinstance(value, str) else str(value)
