"""When things are due: the one-tap next steps, typed dates, and local time turned into UTC instants.

Everything here receives "now" as an argument: the clock is injected so that tests move time instead of
sleeping. Instants are returned in UTC; local times are computed from the rep's IANA zone.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

from bot.qualification import NextStepChoice

DEFAULT_DUE_TIME = time(9, 0)

_DAYS_FOR_CHOICE = {
    NextStepChoice.TOMORROW: 1,
    NextStepChoice.IN_3_DAYS: 3,
    NextStepChoice.NEXT_WEEK: 7,
}


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in a zone.

    A time that does not exist (the spring-forward gap) maps, as zoneinfo does with fold=0, to the instant an
    hour later on the new offset; a time that happens twice (the fall-back fold) maps to its first occurrence.
    Either way exactly one instant, so a reminder for such a time is sent once.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def on_working_day(day: date, working_days: Collection[int]) -> date:
    """The day itself, or the next of the rep's working days (ISO weekdays) after it; with no working days
    set, the day as it falls."""
    if working_days:
        while day.isoweekday() not in working_days:
            day += timedelta(days=1)
    return day


def due_for_choice(
    choice: NextStepChoice, now: datetime, zone: ZoneInfo, working_days: Collection[int]
) -> datetime | None:
    """The instant for a one-tap next step: N days ahead at 09:00 local, on one of the rep's working days;
    None for a step that has no date."""
    days = _DAYS_FOR_CHOICE.get(choice)
    if days is None:
        return None
    day = on_working_day(now.astimezone(zone).date() + timedelta(days=days), working_days)
    return local_to_utc(day, DEFAULT_DUE_TIME, zone)


@dataclass(frozen=True)
class ParsedDate:
    due: datetime  # UTC
    has_time: bool


# A day of the month and a month, as written in a date ("25.12.", "12. 25.").
_DAY = r"(?:3[01]|[12]\d|0?[1-9])"
_MONTH = r"(?:1[0-2]|0?[1-9])"

# Ways of writing "at ten o'clock" that dateparser misreads, rewritten to "10:00" before parsing.
_HOUR_MARKERS = (
    re.compile(
        r"\b(?:klo|kello|kl\.?|at|à|vers)\s*(\d{1,2})(?:[.:h](\d{2})|h)?\b"
    ),  # fi klo 10, kello 10, nb kl. 10, en at 10, fr à 10, à 15h, à 15h30, vers 9h
    re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})?\b"),  # fr 10h, 10h30
    re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))?\s*-?\s*(?:kor|órakor)\b"),  # hu 10-kor, 10 órakor
)
# A day and month with the closing dot ("12.12.", "25.12. 9:30") is a date; dateparser reads "12.12." as
# 12:12 today, so it gets a slash ("12/12"), which it reads as day and month (DATE_ORDER DMY). Only a real
# day and month: "14.30." is a time.
_DAY_MONTH = re.compile(rf"(?<![\d.])({_DAY})\.({_MONTH})\.(?![\d.])")
# A clock time written with a dot after a word or a date ("huomenna 14.30", "25.12. 9.30", "holnap 14.30."),
# as Finnish and Norwegian write it; alone, "12.11" is left to dateparser.
_DOTTED_TIME = re.compile(r"(?<=\s)(\d{1,2})\.([0-5]\d)\.?(?![\d.])")
# A bare hour at the end, after a word ("tomorrow 10", "huomenna 10") or after a date ("25.12. 10").
_TRAILING_HOUR = re.compile(r"(?:(?<=[^\W\d])|(?<=/\d)|(?<=/\d\d))\s+(\d{1,2})$")
_EXPLICIT_TIME = re.compile(r"\d{1,2}:\d{2}|\d\s*(?:am|pm)\b")
# Words for "next" that dateparser does not know before a weekday; dropping them keeps the meaning,
# since future dates are preferred anyway.
_NEXT_WORDS = re.compile(r"\b(?:ensi|neste|jövő|jövő héten|prochain|prochaine)\b")


# Everyday phrases dateparser does not know, rewritten into ones it does, per language.
_PHRASES: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "fi": ((re.compile(r"\bylihuomenna\b"), "2 päivän päästä"),),
    "nb": (
        (re.compile(r"\b(?:i )?overmorgen\b"), "om 2 dager"),
        (re.compile(r"\bpå (?=\w)"), ""),
    ),
    "hu": (
        # Hungarian puts the year and the month first ("2026. 12. 25.", "12. 25."): turned day-first.
        (re.compile(r"\b(\d{4})\.\s*(\d{1,2})\.\s*(\d{1,2})\.?"), r"\3.\2.\1"),
        (re.compile(rf"(?<![\d.])({_MONTH})\.\s*({_DAY})\.(?!\d)"), r"\2.\1."),
        (re.compile(r"\bholnapután\b"), "2 nap múlva"),
        (re.compile(r"\bjövő héten\b"), "7 nap múlva"),
        (re.compile(r"\bhétfőn\b"), "hétfő"),
        (re.compile(r"\bkedden\b"), "kedd"),
        (re.compile(r"\bszerdán\b"), "szerda"),
        (re.compile(r"\bcsütörtökön\b"), "csütörtök"),
        (re.compile(r"\bpénteken\b"), "péntek"),
        (re.compile(r"\bszombaton\b"), "szombat"),
    ),
}


def _hour(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), match.group(2) or "00"
    return f" {hour}:{minute}" if hour < 24 else match.group(0)


def _bare_hour(match: re.Match[str]) -> str:
    hour = int(match.group(1))
    return f" {hour}:00" if hour < 24 else match.group(0)


def normalise_typed_date(text: str, language: str = "en") -> str:
    """Lower-case the text, put the language's everyday phrases and clock times the way dateparser reads
    them."""
    cleaned = " ".join(text.lower().split())
    for pattern, replacement in _PHRASES.get(language, ()):
        cleaned = pattern.sub(replacement, cleaned)
    for pattern in _HOUR_MARKERS:
        cleaned = pattern.sub(_hour, cleaned)
    cleaned = _DAY_MONTH.sub(r"\1/\2", cleaned)
    cleaned = _DOTTED_TIME.sub(_hour, cleaned)
    cleaned = _TRAILING_HOUR.sub(_bare_hour, cleaned)
    # A sentence's full stop after a time ("klo 9.30."): the dates that need their dot are slashed by now.
    cleaned = re.sub(r"(?<=\d)\.$", "", cleaned)
    return " ".join(cleaned.split())


def parse_typed_date(text: str, *, language: str, zone: ZoneInfo, now: datetime) -> ParsedDate | None:
    """A free-text date in the rep's language and zone, or None when it cannot be understood.

    A day without a clock time ("friday", "in 3 days") is taken at 09:00 local, like the one-tap steps.
    """
    cleaned = normalise_typed_date(text, language)
    if not cleaned or len(cleaned) > 100:
        return None
    local_now = now.astimezone(zone).replace(tzinfo=None)
    settings = {
        "TIMEZONE": zone.key,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": local_now,
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
    }
    languages = [language, "en"] if language != "en" else ["en"]
    parsed = None
    for candidate in (cleaned, _NEXT_WORDS.sub("", cleaned).strip()):
        if candidate:
            parsed = dateparser.parse(candidate, languages=languages, settings=settings)
        if parsed is not None:
            break
    if parsed is None:
        return None
    local = parsed.astimezone(zone).replace(tzinfo=None)
    has_time = bool(_EXPLICIT_TIME.search(cleaned))
    # dateparser copies the current clock time into day-only phrases ("tomorrow", "in 3 days");
    # a phrase that moved by whole days without naming a time means "that day", so 09:00.
    day_only = not has_time and (local.time() in (time(0, 0), local_now.time().replace(microsecond=0)))
    if day_only and local.replace(second=0, microsecond=0) != local_now.replace(second=0, microsecond=0):
        return ParsedDate(local_to_utc(local.date(), DEFAULT_DUE_TIME, zone), has_time=False)
    return ParsedDate(local_to_utc(local.date(), local.time().replace(microsecond=0), zone), has_time=True)
