"""How a rep writes dates and clock times: day or month first, a 24- or a 12-hour clock.

It follows the rep's region, read from their time zone: the zone's country (tzdata's zone.tab) and the
rep's language give a CLDR locale ("en" in America/Chicago is en_US: month first, 2:00 PM; "en" in
Europe/Helsinki is en_FI: day first, 24 hours), and that locale's own short patterns say which. A rep can
override it in /settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from babel import Locale, UnknownLocaleError


class DateStyleChoice(StrEnum):
    """The /settings choice: from the region, or one of the three ways of writing dates."""

    AUTO = "auto"
    DAY_24 = "d24"  # 31.12. 14:00
    DAY_12 = "d12"  # 31/12 2:00 pm
    MONTH_12 = "m12"  # 12/31 2:00 PM


@dataclass(frozen=True)
class DateStyle:
    day_first: bool = True
    hour12: bool = False


_CHOSEN = {
    DateStyleChoice.DAY_24: DateStyle(day_first=True, hour12=False),
    DateStyleChoice.DAY_12: DateStyle(day_first=True, hour12=True),
    DateStyleChoice.MONTH_12: DateStyle(day_first=False, hour12=True),
}


@cache
def _zone_countries() -> dict[str, str]:
    """Zone id -> ISO country code, from the zone.tab that the tzdata package ships."""
    countries: dict[str, str] = {}
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            countries[parts[2]] = parts[0]
    return countries


def zone_country(zone: str) -> str | None:
    return _zone_countries().get(zone)


@cache
def region_locale(language: str, zone: str) -> Locale | None:
    """The CLDR locale of this language in the zone's country (en_US, fr_CA, en_FI), or of the country's
    own language when CLDR has no such pair (English in Budapest writes as Hungary does); None for a zone
    without a country (UTC)."""
    country = zone_country(zone)
    if country is None:
        return None
    for tag in (f"{language}_{country}", f"und_{country}"):
        try:
            return Locale.parse(tag)
        except (UnknownLocaleError, ValueError):
            continue
    return None


@cache
def _region_style(language: str, zone: str) -> DateStyle | None:
    locale = region_locale(language, zone)
    if locale is None:
        return None
    date_pattern = str(locale.date_formats["short"].pattern)
    # Quoted text is literal: fr_CA writes "HH 'h' mm", a 24-hour clock.
    time_pattern = re.sub(r"'[^']*'", "", str(locale.time_formats["short"].pattern))
    # A year-first pattern (y-MM-dd, y. MM. dd.) says nothing about day-month order in a short date; such
    # regions write a day and a month day first ("12.3." in Hungary).
    month_first = not date_pattern.startswith("y") and date_pattern.find("M") < date_pattern.find("d")
    return DateStyle(day_first=not month_first, hour12="h" in time_pattern or "K" in time_pattern)


def style_for(language: str, zone: str, choice: str = DateStyleChoice.AUTO) -> DateStyle:
    """The rep's way of writing dates: their choice, else their region's, else day first and 24 hours
    (the way all five languages' home countries write)."""
    chosen = _CHOSEN.get(DateStyleChoice(choice)) if choice in set(DateStyleChoice) else None
    if chosen is not None:
        return chosen
    return _region_style(language, zone) or DateStyle()
