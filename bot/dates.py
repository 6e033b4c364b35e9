"""When things are due: the one-tap next steps, typed dates, and local time turned into UTC instants.

Everything here receives "now" as an argument: the clock is injected so that tests move time instead of
sleeping. Instants are returned in UTC; local times are computed from the rep's IANA zone.

The typed-date reader never guesses. Every word of the text must be one it knows (bot/date_words.py, per
language, with English understood beside the rep's own); otherwise the text is refused with examples. What
it reads resolves by these rules, the same in every language:

- A day without a time ("friday", "in 3 days", "25.12.") is at 09:00; a part of the day without a time
  ("tomorrow morning", "demain soir") at its hour (morning 09:00, forenoon 10:00, noon 12:00, afternoon
  14:00, evening 18:00).
- An hour from 1 to 6 with no am/pm, no part of the day and no leading zero is in the afternoon
  ("tomorrow at 3" is 15:00, "holnap 2-kor" 14:00); "03:00" and "3 am" are 3 in the morning. A clock
  time with minutes follows the same rule in English and in 12-hour regions ("tomorrow 3:30" is 15:30),
  and is read as written in the other languages in 24-hour regions ("huomenna 3.30" is 03:30).
- A weekday is the next such day after today ("friday" and "next friday" on a Wednesday are both in two
  days); "next week tuesday" / "ensi viikon tiistaina" is the Tuesday of next week; "next week" alone is in
  seven days, as the button.
- A time alone ("14:00", "klo 10") is today if it is still ahead, else tomorrow.
- A day and a month are day first when written with dots ("1.12."), in every region; with a slash they
  follow the rep's region ("12/15" is 15 December for a rep in New York, "15/12" for one in Paris, and a
  slashed date that only reads one way is read that way). In Hungarian, the spaced form "12. 25." is month
  first, as Hungarian dates are written ("2026. 12. 25.").
- A day and month without a year is this year's when it is still ahead. One that passed within the last six
  months is refused with the question "did you mean next year?"; one that passed longer ago ("5.1." typed in
  December) is next year's, and the echo shows the year.
- Nothing is read into the past, and nothing more than two years ahead unless the rep typed the year.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from bot.date_style import DateStyle
from bot.date_words import WORDS, DateWords, PartOfDay, Unit, month_names, weekday_names
from bot.qualification import NextStepChoice

DEFAULT_DUE_TIME = time(9, 0)
# Without a typed year, nothing is read further ahead than this.
HORIZON = timedelta(days=2 * 365 + 1)
# A typed year may be at most this far ahead.
YEARS_AHEAD = 10
# A day.month that passed this recently is asked about; one longer ago is next year's.
RECENTLY_PASSED = timedelta(days=183)
MAX_TEXT = 100

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


def add_months(day: date, months: int) -> date:
    """The same day N months later, or the month's last day when it is shorter (31 Jan + 1 month)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# What the reader returns


@dataclass(frozen=True)
class ParsedDate:
    due: datetime  # UTC
    has_time: bool
    year_typed: bool = False


class Refusal(StrEnum):
    """Why a typed date was not taken; each is a message id suffix ("dates.refused.impossible")."""

    NOT_UNDERSTOOD = "not_understood"
    IMPOSSIBLE = "impossible"  # month 13, 31.2., 25:00
    PAST = "past"
    PASSED = "passed"  # a day.month earlier this year: next year is offered
    TOO_FAR = "too_far"


@dataclass(frozen=True)
class DateRefusal:
    reason: Refusal
    # The instant understood, when there is one: the past one, or for PASSED the same day next year.
    instant: datetime | None = None
    next_year: datetime | None = None


DateReading = ParsedDate | DateRefusal


def is_a_date(reading: DateReading) -> bool:
    """Read as a date, though perhaps one that cannot be a follow-up (past, or too far)."""
    return not isinstance(reading, DateRefusal) or reading.reason is not Refusal.NOT_UNDERSTOOD


# Tokens


class _Kind(StrEnum):
    DAY = "day"
    WEEKDAY = "weekday"
    MONTH = "month"
    NEXT = "next"
    AFTER_NEXT = "after_next"
    NEXT_WEEK = "next_week"
    PART = "part"
    NOON = "noon"
    CLOCK = "clock"
    HOUR_WORD = "hour_word"
    AM = "am"
    PM = "pm"
    IN_BEFORE = "in_before"
    IN_AFTER = "in_after"
    UNIT = "unit"
    HALF_HOUR = "half_hour"
    NUMBER = "number"
    HOUR = "hour"
    HALF_BEFORE = "half_before"
    FILLER = "filler"


Lexicon = dict[tuple[str, ...], dict[_Kind, object]]
_MAX_PHRASE = 4


def _entries(words: DateWords, language: str) -> list[tuple[_Kind, str, object]]:
    entries: list[tuple[_Kind, str, object]] = []
    entries += [(_Kind.DAY, phrase, days) for phrase, days in words.days.items()]
    entries += [(_Kind.WEEKDAY, name, day) for name, day in weekday_names(language).items()]
    entries += [(_Kind.MONTH, name, month) for name, month in month_names(language).items()]
    entries += [(_Kind.NEXT, phrase, True) for phrase in words.next_words]
    entries += [(_Kind.AFTER_NEXT, phrase, True) for phrase in words.after_next_words]
    entries += [(_Kind.NEXT_WEEK, phrase, True) for phrase in words.next_week]
    entries += [(_Kind.PART, phrase, part) for phrase, part in words.parts.items()]
    entries += [(_Kind.NOON, phrase, True) for phrase in words.noon]
    entries += [(_Kind.CLOCK, phrase, True) for phrase in words.clock_words]
    entries += [(_Kind.HOUR_WORD, phrase, True) for phrase in words.hour_words]
    entries += [(_Kind.AM, phrase, True) for phrase in words.am_words]
    entries += [(_Kind.PM, phrase, True) for phrase in words.pm_words]
    entries += [(_Kind.IN_BEFORE, phrase, True) for phrase in words.in_before]
    entries += [(_Kind.IN_AFTER, phrase, True) for phrase in words.in_after]
    entries += [(_Kind.UNIT, phrase, unit) for phrase, unit in words.units.items()]
    entries += [(_Kind.HALF_HOUR, phrase, True) for phrase in words.half_hour]
    entries += [(_Kind.NUMBER, phrase, number) for phrase, number in words.numbers.items()]
    entries += [(_Kind.HOUR, phrase, hour) for phrase, hour in words.hours.items()]
    entries += [(_Kind.HALF_BEFORE, phrase, True) for phrase in words.half_before]
    entries += [(_Kind.FILLER, phrase, True) for phrase in words.fillers]
    return entries


@cache
def _lexicon(language: str) -> Lexicon:
    """The rep's language's words, then English ones it does not use for something else."""
    lexicon: Lexicon = {}
    for source in dict.fromkeys((language, "en")):
        if source not in WORDS:
            continue
        own: Lexicon = {}
        for kind, phrase, value in _entries(WORDS[source], source):
            own.setdefault(tuple(_tokens(phrase)), {}).setdefault(kind, value)
        for phrase_tokens, kinds in own.items():
            lexicon.setdefault(phrase_tokens, kinds)
    return lexicon


_PUNCTUATION = re.compile(r"[,;!?()\"“”«»„]")
_MERIDIEM = re.compile(r"\b([ap])\.\s?m\b\.?")


def _tokens(text: str) -> list[str]:
    """Lower-case words and numbers; a word's closing dot dropped ("tors." is "tors"), a number's kept
    ("12." is a day in "12. desember", "25.12." a date)."""
    cleaned = _PUNCTUATION.sub(" ", text.lower().replace("’", "'").replace("\u00a0", " "))
    cleaned = _MERIDIEM.sub(r"\1m", cleaned)
    # "l'après-midi" is "l'" and "après-midi"; "aujourd'hui" stays one word.
    cleaned = re.sub(r"\b([ld])'(?=\w)", r"\1' ", cleaned)
    cleaned = cleaned.replace("aujourd' hui", "aujourd'hui")
    tokens = []
    for token in cleaned.split():
        if not token[0].isdigit():
            token = token.rstrip(".") or token
        tokens.append(token)
    return tokens


# The reading


@dataclass
class _Reading:
    days: int | None = None  # from today
    weekday: int | None = None
    next_week: bool = False
    day: int | None = None
    month: int | None = None
    year: int | None = None
    amount: int | None = None
    unit: Unit | None = None
    hour: int | None = None
    minute: int = 0
    hour_is_24: bool = False  # written with a leading zero or above 12: no am/pm rule
    clock_written: bool = False  # hours and minutes, as a clock shows them ("3:30", "9.30", "3h30")
    meridiem: str | None = None  # "am" / "pm"
    part: PartOfDay | None = None
    noon: bool = False
    impossible: bool = False

    @property
    def has_day(self) -> bool:
        return (
            self.days is not None
            or self.weekday is not None
            or self.next_week
            or self.day is not None
            or (self.unit is not None and self.unit not in (Unit.MINUTES, Unit.HOURS))
            or (self.part is not None and self.part.days is not None)
        )

    @property
    def has_date(self) -> bool:
        return self.day is not None or self.month is not None


class _NotUnderstood(Exception):
    pass


def _set(reading: _Reading, **values: object) -> None:
    """Set fields that must be set once: a second time or a second date is not understood."""
    for name, value in values.items():
        current = getattr(reading, name)
        if current is not None and current is not False and current != value:
            raise _NotUnderstood(name)
        setattr(reading, name, value)


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_FULL_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\.?$")
_YEAR_FIRST_COMPACT = re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})\.?$")
_YEAR = re.compile(r"^(\d{4})\.?$")
_PAIR = re.compile(r"^(\d{1,2})([./])(\d{1,2})(\.?)$")
_DAY_DOT = re.compile(r"^(\d{1,2})\.$")
_COLON_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(am|pm)?$")
_MERIDIEM_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(am|pm)$")
_H_TIME = re.compile(r"^(\d{1,2})h(\d{2})?$")
_NUMBER = re.compile(r"^\d{1,2}$")
_SUFFIXED = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\.?-?([^\W\d]+)$")


class _Parser:
    """Reads tokens left to right; each position must be consumed by one rule, or the text is refused."""

    def __init__(
        self, tokens: list[str], language: str, style: DateStyle, *, dates_only: bool = False
    ) -> None:
        self.tokens, self.language, self.style = tokens, language, style
        # A birthday has no time: "3.12" is a day and a month there.
        self.dates_only = dates_only
        self.words = WORDS.get(language, WORDS["en"])
        self.english = WORDS["en"]
        self.lexicon = _lexicon(language)
        self.reading = _Reading()
        self.pending_hour: tuple[int, bool] | None = None
        self.clock_before = False

    # Looking up

    def kinds(self, at: int, length: int) -> dict[_Kind, object]:
        return self.lexicon.get(tuple(self.tokens[at : at + length]), {})

    def phrase(self, at: int, *wanted: _Kind) -> tuple[_Kind, object, int] | None:
        """The longest phrase at `at` of one of these kinds: its kind, value and length."""
        for length in range(min(_MAX_PHRASE, len(self.tokens) - at), 0, -1):
            kinds = self.kinds(at, length)
            for kind in wanted:
                if kind in kinds:
                    return kind, kinds[kind], length
        return None

    def token(self, at: int) -> str:
        return self.tokens[at] if at < len(self.tokens) else ""

    def amount(self, at: int) -> tuple[int, int] | None:
        """A number typed or spelled out at `at`: its value and how many tokens it takes."""
        token = self.token(at)
        if re.fullmatch(r"\d{1,3}", token):
            return int(token), 1
        found = self.phrase(at, _Kind.NUMBER)
        return (int(str(found[1])), found[2]) if found else None

    # The rules

    def run(self) -> _Reading:
        at = 0
        while at < len(self.tokens):
            used = self.relative(at) or self.numeric(at) or self.month_first(at) or self.words_at(at)
            if not used:
                raise _NotUnderstood(self.tokens[at])
            at += used
        if self.pending_hour is not None:
            hour, is_24 = self.pending_hour
            if not (self.reading.has_day or self.reading.part) or self.reading.hour is not None:
                raise _NotUnderstood("number")
            self.time(hour, 0, is_24=is_24)
        return self.reading

    def relative(self, at: int) -> int:
        """ "in 2 hours", "om en uke", "dans une demi-heure", "2 tunnin päästä", "fél óra múlva"."""
        before = self.phrase(at, _Kind.IN_BEFORE)
        if before:
            start = at + before[2]
            half = self.phrase(start, _Kind.HALF_HOUR)
            if half:
                self.duration(30, Unit.MINUTES)
                return start - at + half[2]
            amount = self.amount(start)
            if amount is None:
                return 0
            unit = self.phrase(start + amount[1], _Kind.UNIT)
            if unit is None:
                return 0
            self.duration(amount[0], Unit(str(unit[1])))
            return start - at + amount[1] + unit[2]
        half = self.phrase(at, _Kind.HALF_HOUR)
        after_half = self.phrase(at + half[2], _Kind.IN_AFTER) if half else None
        if half and after_half:
            self.duration(30, Unit.MINUTES)
            return half[2] + after_half[2]
        amount = self.amount(at) or (1, 0)
        unit = self.phrase(at + amount[1], _Kind.UNIT)
        if unit is None:
            return 0
        after = self.phrase(at + amount[1] + unit[2], _Kind.IN_AFTER)
        if after is None:
            return 0
        self.duration(amount[0], Unit(str(unit[1])))
        return amount[1] + unit[2] + after[2]

    def duration(self, amount: int, unit: Unit) -> None:
        if amount <= 0:
            raise _NotUnderstood("amount")
        _set(self.reading, amount=amount, unit=unit)

    def numeric(self, at: int) -> int:
        token = self.token(at)
        if not token or not token[0].isdigit():
            return 0
        if match := _ISO.match(token):
            self.date(int(match[3]), int(match[2]), int(match[1]))
            return 1
        if match := _YEAR_FIRST_COMPACT.match(token):
            self.date(int(match[3]), int(match[2]), int(match[1]))
            return 1
        if match := _FULL_DATE.match(token):
            first, second, year = int(match[1]), int(match[3]), int(match[4])
            self.pair_date(first, second, year, slashed=match[2] == "/")
            return 1
        if match := _YEAR.match(token):
            return self.year_first(at, int(match[1]))
        if used := self.day_month_name(at):
            return used
        if (match := _DAY_DOT.match(token)) and (then := _DAY_DOT.match(self.token(at + 1))):
            # "12. 25." in Hungarian (month first, as Hungarian writes dates), "25. 12." elsewhere.
            first, other = int(match[1]), int(then[1])
            if self.language == "hu":
                self.date(other, first, None)
            else:
                self.date(first, other, None)
            return 2
        if match := _PAIR.match(token):
            return self.pair(at, match[1], match[2], match[3], bool(match[4]))
        if match := _COLON_TIME.match(token):
            self.time(
                int(match[1]), int(match[2]), is_24=match[1].startswith("0"), meridiem=match[3], clock=True
            )
            return 1 + self.meridiem_after(at + 1)
        if match := _MERIDIEM_TIME.match(token):
            self.time(int(match[1]), int(match[2] or 0), is_24=False, meridiem=match[3])
            return 1
        if match := _H_TIME.match(token):
            self.time(int(match[1]), int(match[2] or 0), is_24=match[1].startswith("0"), clock=bool(match[2]))
            return 1
        if match := _SUFFIXED.match(token):
            return self.suffixed(int(match[1]), match[2], match[3])
        if _NUMBER.match(token) or _DAY_DOT.match(token):
            return self.bare_number(at, token)
        return 0

    def suffixed(self, number: int, minutes: str | None, suffix: str) -> int:
        """ "2-kor", "14:30-kor" (Hungarian hours), "25th", "1er", "12-én" (days of the month)."""
        if suffix in self.words.hour_suffixes:
            self.time(number, int(minutes or 0), is_24=False, clock=minutes is not None)
            return 1
        if minutes is None and (suffix in self.words.day_suffixes or suffix in self.english.day_suffixes):
            _set(self.reading, day=number)
            return 1
        if minutes is None and suffix in ("am", "pm"):
            self.time(number, 0, is_24=False, meridiem=suffix)
            return 1
        return 0

    def year_first(self, at: int, year: int) -> int:
        """ "2026. 12. 25." and "2026. december 25." (Hungarian), or a year after a date."""
        month = _DAY_DOT.match(self.token(at + 1))
        day = re.match(r"^(\d{1,2})\.?(?:-?[^\W\d]+)?$", self.token(at + 2))
        if month and day:
            self.date(int(day[1]), int(month[1]), year)
            return 3
        name = self.phrase(at + 1, _Kind.MONTH)
        if name:
            day = re.match(r"^(\d{1,2})\.?(?:-?[^\W\d]+)?$", self.token(at + 1 + name[2]))
            if day:
                self.date(int(day[1]), int(str(name[1])), year)
                return 2 + name[2]
        if self.reading.has_date and self.reading.year is None:
            self.reading.year = year
            return 1
        return 0

    def day_month_name(self, at: int) -> int:
        """ "25 décembre", "25. joulukuuta", "12th of May", "1er janvier 2027"."""
        match = re.match(r"^(\d{1,2})(\.|st|nd|rd|th|er|e|ème)?$", self.token(at))
        if not match:
            return 0
        used = 1
        while self.phrase(at + used, _Kind.FILLER) and self.token(at + used) in ("of", "de"):
            used += 1
        name = self.phrase(at + used, _Kind.MONTH)
        if name is None:
            return 0
        used += name[2]
        year = _YEAR.match(self.token(at + used))
        self.date(int(match[1]), int(str(name[1])), int(year[1]) if year else None)
        return used + (1 if year else 0)

    def month_first(self, at: int) -> int:
        """ "december 25", "Dec 25th, 2026", "március 12.", "márc. 12-én"."""
        name = self.phrase(at, _Kind.MONTH)
        if name is None:
            return 0
        day = re.match(r"^(\d{1,2})(?:\.|-?([^\W\d]+))?$", self.token(at + name[2]))
        if not day or (day[2] and day[2] not in (*self.words.day_suffixes, *self.english.day_suffixes)):
            return 0
        used = name[2] + 1
        year = _YEAR.match(self.token(at + used))
        self.date(int(day[1]), int(str(name[1])), int(year[1]) if year else None)
        return used + (1 if year else 0)

    def pair(self, at: int, first_text: str, separator: str, second_text: str, closing_dot: bool) -> int:
        """ "25.12.", "25/12", "12/15", "14.30", "9.30.": a date or a time.

        A slash is always a date. With dots it is a time after a clock word ("klo 12.30"); a date when a
        time follows ("1.12. 10:00"); a time after a day ("huomenna 14.30."); a date with its closing dot
        ("12.12.", and "1.13.", month 13, refused, never read as 13:13); a time without it ("14.30")."""
        first, second = int(first_text), int(second_text)
        if separator == "/":
            self.pair_date(first, second, None, slashed=True)
            return 1
        can_be_time = len(second_text) == 2 and first <= 23 and second <= 59 and not self.dates_only
        as_time = can_be_time and (
            self.clock_before or (not self.time_follows(at + 1) and (self.reading.has_day or not closing_dot))
        )
        if not as_time:
            self.date(first, second, None)
            return 1
        self.time(first, second, is_24=first_text.startswith("0"), clock=True)
        return 1 + self.meridiem_after(at + 1)

    def time_follows(self, at: int) -> bool:
        token = self.token(at)
        if not token:
            return False
        if _COLON_TIME.match(token) or _MERIDIEM_TIME.match(token) or _H_TIME.match(token):
            return True
        if _NUMBER.match(token) or _SUFFIXED.match(token) or _PAIR.match(token):
            return True
        return bool(self.phrase(at, _Kind.CLOCK, _Kind.HOUR, _Kind.HALF_BEFORE, _Kind.NOON, _Kind.PART))

    def pair_date(self, first: int, second: int, year: int | None, *, slashed: bool) -> None:
        """A day and month in the rep's order; a slashed one that can only be read the other way is read
        that way ("12/15" is 15 December for everyone)."""
        day, month = (first, second) if not slashed or self.style.day_first else (second, first)
        if slashed and not _valid(day, month) and _valid(month, day):
            day, month = month, day
        self.date(day, month, year)

    def date(self, day: int, month: int, year: int | None) -> None:
        _set(self.reading, day=day, month=month)
        if year is not None:
            _set(self.reading, year=year)

    def time(
        self, hour: int, minute: int, *, is_24: bool, meridiem: str | None = None, clock: bool = False
    ) -> None:
        if hour > 23 or minute > 59 or (meridiem and hour > 12 and meridiem == "am"):
            self.reading.impossible = True
        _set(self.reading, hour=hour)
        self.reading.minute, self.reading.hour_is_24 = minute, is_24 or hour > 12 or hour == 0
        self.reading.clock_written = clock
        if meridiem:
            _set(self.reading, meridiem=meridiem)
        self.clock_before = False

    def meridiem_after(self, at: int) -> int:
        found = self.phrase(at, _Kind.AM, _Kind.PM)
        if found is None:
            return 0
        _set(self.reading, meridiem="am" if found[0] is _Kind.AM else "pm")
        return found[2]

    def bare_number(self, at: int, token: str) -> int:
        """A number with no mark: an hour, by what comes after it or before it."""
        number = int(token.rstrip("."))
        is_24 = token.startswith("0")
        hour_word = self.phrase(at + 1, _Kind.HOUR_WORD)
        if hour_word:
            used = 1 + hour_word[2]
            minutes = self.token(at + used)
            if re.fullmatch(r"\d{2}", minutes):
                self.time(number, int(minutes), is_24=is_24, clock=True)
                return used + 1 + self.meridiem_after(at + used + 1)
            self.time(number, 0, is_24=is_24)
            return used + self.meridiem_after(at + used)
        meridiem = self.phrase(at + 1, _Kind.AM, _Kind.PM)
        if meridiem:
            self.time(number, 0, is_24=False, meridiem="am" if meridiem[0] is _Kind.AM else "pm")
            return 1 + meridiem[2]
        if token.endswith("."):
            return 0
        if self.clock_before:
            self.time(number, 0, is_24=is_24)
            return 1
        if self.pending_hour is not None:
            raise _NotUnderstood("number")
        self.pending_hour = (number, is_24)
        return 1

    def words_at(self, at: int) -> int:
        found = self.phrase(at, *_Kind)
        if found is None:
            return 0
        kind, value, used = found
        reading = self.reading
        if kind is _Kind.DAY:
            _set(reading, days=int(str(value)))
        elif kind is _Kind.NEXT_WEEK:
            _set(reading, next_week=True)
        elif kind is _Kind.WEEKDAY:
            _set(reading, weekday=int(str(value)))
            after = self.phrase(at + used, _Kind.AFTER_NEXT, _Kind.NEXT_WEEK)
            if after:
                if after[0] is _Kind.NEXT_WEEK:
                    _set(reading, next_week=True)
                used += after[2]
        elif kind is _Kind.NEXT:
            # "next" must be followed by a weekday ("next friday"); "next banana" is not understood.
            following = self.phrase(at + used, _Kind.WEEKDAY)
            if following is None:
                return 0
        elif kind is _Kind.PART:
            assert isinstance(value, PartOfDay)
            _set(reading, part=value)
        elif kind is _Kind.NOON:
            _set(reading, noon=True)
        elif kind is _Kind.CLOCK:
            self.clock_before = True
        elif kind is _Kind.HOUR:
            self.time(int(str(value)), 0, is_24=False)
        elif kind in (_Kind.AM, _Kind.PM):
            _set(reading, meridiem="am" if kind is _Kind.AM else "pm")
        elif kind is _Kind.HALF_BEFORE:
            return self.half_before(at, used)
        elif kind is _Kind.NUMBER and self.clock_before:
            self.time(int(str(value)), 0, is_24=False)
            hour_word = self.phrase(at + used, _Kind.HOUR_WORD)
            used += hour_word[2] if hour_word else 0
        elif kind is _Kind.NUMBER and (hour_word := self.phrase(at + used, _Kind.HOUR_WORD)):
            self.time(int(str(value)), 0, is_24=False)
            used += hour_word[2]
        elif kind is not _Kind.FILLER:
            return 0
        return used

    def half_before(self, at: int, used: int) -> int:
        """ "puoli kolme", "halv 3", "fél 3-kor": half an hour before the hour named (2:30)."""
        token = self.token(at + used)
        match = re.match(r"^(\d{1,2})(?:-?([^\W\d]+))?$", token)
        if match and (not match[2] or match[2] in self.words.hour_suffixes):
            hour = int(match[1])
            taken = 1
        else:
            named = self.phrase(at + used, _Kind.NUMBER, _Kind.HOUR)
            if named is None:
                return 0
            hour, taken = int(str(named[1])), named[2]
        if not 1 <= hour <= 24:
            return 0
        self.time(hour - 1 if hour > 1 else 12, 30, is_24=False)
        hour_word = self.phrase(at + used + taken, _Kind.HOUR_WORD)
        return used + taken + (hour_word[2] if hour_word else 0)


def _full_year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def _valid(day: int, month: int, year: int = 2028) -> bool:
    """A real day of a real month (in a leap year, so that 29.2. is a day)."""
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


# Resolving a reading into an instant


def _clock(reading: _Reading, words: DateWords, style: DateStyle) -> time | None:
    """The wall-clock time read, with the am/pm rules applied; None when no time was given.

    A bare hour from 1 to 6 is afternoon; so is a clock time ("3:30") in English and in a 12-hour region,
    where it is written without am/pm. Otherwise a clock time is read as written: "klo 3.30" is 03:30."""
    if reading.noon and reading.hour is None:
        return time(12, 0)
    if reading.hour is None:
        if reading.part is not None:
            return time(reading.part.hour, reading.part.minute)
        return None
    hour = reading.hour
    if reading.meridiem == "am":
        hour = 0 if hour == 12 else hour
    elif reading.meridiem == "pm" or (reading.part is not None and reading.part.afternoon):
        hour = hour + 12 if hour < 12 else hour
    elif (
        not reading.hour_is_24
        and 1 <= hour <= words.afternoon_until
        and (style.hour12 or words.afternoon_clock_times or not reading.clock_written)
    ):
        hour += 12
    return time(hour, reading.minute)


def _weekday_date(reading: _Reading, today: date) -> date:
    assert reading.weekday is not None
    if reading.next_week:
        return today - timedelta(days=today.weekday()) + timedelta(days=7 + reading.weekday)
    ahead = (reading.weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _resolve(
    reading: _Reading, words: DateWords, style: DateStyle, zone: ZoneInfo, now: datetime
) -> DateReading:
    local_now = now.astimezone(zone)
    today = local_now.date()
    if reading.impossible:
        return DateRefusal(Refusal.IMPOSSIBLE)
    at = _clock(reading, words, style)
    has_time = at is not None
    clock = at or DEFAULT_DUE_TIME

    if reading.unit in (Unit.MINUTES, Unit.HOURS):
        if reading.has_day or reading.hour is not None or reading.part is not None:
            return DateRefusal(Refusal.NOT_UNDERSTOOD)
        assert reading.amount is not None
        delta = (
            timedelta(minutes=reading.amount)
            if reading.unit is Unit.MINUTES
            else timedelta(hours=reading.amount)
        )
        due = (now + delta).replace(second=0, microsecond=0)
        return _checked(due, now, has_time=True, year_typed=False)

    sources = sum(
        (
            reading.days is not None,
            reading.weekday is not None,
            reading.has_date,
            reading.unit is not None,
            reading.next_week and reading.weekday is None,
        )
    )
    if sources > 1:
        return DateRefusal(Refusal.NOT_UNDERSTOOD)
    part_days = reading.part.days if reading.part is not None else None
    if part_days is not None:
        if reading.days not in (None, part_days) or sources - (reading.days is not None) > 0:
            return DateRefusal(Refusal.NOT_UNDERSTOOD)
        reading.days = part_days

    if reading.has_date:
        return _resolve_date(reading, clock, zone, now, has_time=has_time)
    if reading.days is not None:
        day = today + timedelta(days=reading.days)
    elif reading.weekday is not None:
        day = _weekday_date(reading, today)
    elif reading.next_week:
        day = today + timedelta(days=7)
    elif reading.unit is not None:
        assert reading.amount is not None
        if reading.unit is Unit.DAYS:
            day = today + timedelta(days=reading.amount)
        elif reading.unit is Unit.WEEKS:
            day = today + timedelta(weeks=reading.amount)
        else:
            if reading.amount > 36:
                return DateRefusal(Refusal.TOO_FAR)
            day = add_months(today, reading.amount)
    elif has_time:
        # A time alone: today while it is ahead, else tomorrow.
        day = today if local_to_utc(today, clock, zone) > now else today + timedelta(days=1)
    else:
        return DateRefusal(Refusal.NOT_UNDERSTOOD)
    return _checked(local_to_utc(day, clock, zone), now, has_time=has_time, year_typed=False)


def _resolve_date(
    reading: _Reading, clock: time, zone: ZoneInfo, now: datetime, *, has_time: bool
) -> DateReading:
    today = now.astimezone(zone).date()
    if reading.month is None:
        # A day of the month alone ("the 25th"): this month's while ahead, else next month's.
        assert reading.day is not None
        for months in (0, 1, 2):
            first = add_months(today.replace(day=1), months)
            if _valid(reading.day, first.month, first.year):
                candidate = first.replace(day=reading.day)
                if local_to_utc(candidate, clock, zone) > now:
                    return _checked(local_to_utc(candidate, clock, zone), now, has_time=has_time)
        return DateRefusal(Refusal.IMPOSSIBLE)
    assert reading.day is not None
    if reading.year is not None:
        year = _full_year(str(reading.year)) if reading.year < 100 else reading.year
        if not _valid(reading.day, reading.month, year):
            return DateRefusal(Refusal.IMPOSSIBLE)
        if year > today.year + YEARS_AHEAD:
            return DateRefusal(Refusal.TOO_FAR)
        due = local_to_utc(date(year, reading.month, reading.day), clock, zone)
        return _checked(due, now, has_time=has_time, year_typed=True)
    if not _valid(reading.day, reading.month):
        return DateRefusal(Refusal.IMPOSSIBLE)
    if not _valid(reading.day, reading.month, today.year):
        # 29 February in a year that has none: the next year that has one is too far to guess.
        return DateRefusal(Refusal.IMPOSSIBLE)
    this_year = date(today.year, reading.month, reading.day)
    due = local_to_utc(this_year, clock, zone)
    if due > now:
        return _checked(due, now, has_time=has_time)
    if this_year == today:
        return DateRefusal(Refusal.PAST, instant=due)
    next_day = _next_year(this_year)
    next_due = local_to_utc(next_day, clock, zone) if next_day else None
    if today - this_year <= RECENTLY_PASSED or next_due is None:
        return DateRefusal(Refusal.PASSED, instant=due, next_year=next_due)
    return _checked(next_due, now, has_time=has_time)


def _next_year(day: date) -> date | None:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return None


def _checked(due: datetime, now: datetime, *, has_time: bool, year_typed: bool = False) -> DateReading:
    if due <= now:
        return DateRefusal(Refusal.PAST, instant=due)
    if not year_typed and due - now > HORIZON:
        return DateRefusal(Refusal.TOO_FAR)
    return ParsedDate(due, has_time=has_time, year_typed=year_typed)


def read_typed_date(
    text: str, *, language: str, zone: ZoneInfo, now: datetime, style: DateStyle | None = None
) -> DateReading:
    """A free-text date in the rep's language, zone and way of writing dates: the instant understood, or
    why it was not taken (see the module docstring for the rules)."""
    tokens = _tokens(text)
    if not tokens or len(text) > MAX_TEXT:
        return DateRefusal(Refusal.NOT_UNDERSTOOD)
    words = WORDS.get(language, WORDS["en"])
    style = style or DateStyle()
    try:
        reading = _Parser(tokens, language, style).run()
    except _NotUnderstood:
        return DateRefusal(Refusal.NOT_UNDERSTOOD)
    return _resolve(replace(reading), words, style, zone, now)


def parse_typed_date(
    text: str, *, language: str, zone: ZoneInfo, now: datetime, style: DateStyle | None = None
) -> ParsedDate | None:
    """The instant a typed date means, or None when it is refused for any reason."""
    reading = read_typed_date(text, language=language, zone=zone, now=now, style=style)
    return reading if isinstance(reading, ParsedDate) else None


# Birthdays

NO_YEAR = 1904  # a leap year: 29 February is a birthday too


def read_birthday(text: str, language: str = "en", style: DateStyle | None = None) -> date | None:
    """A birthday as typed: a day and a month, with or without the year, in the same forms as dates ("12.3.",
    "12.3.1980", "12 March", "március 12.", "1980-03-12"; a slash in the rep's order). Without a year it is
    stored in year 1904, which nothing shows."""
    tokens = _tokens(text)
    if not tokens or len(text) > MAX_TEXT:
        return None
    try:
        reading = _Parser(tokens, language, style or DateStyle(), dates_only=True).run()
    except _NotUnderstood:
        return None
    only_a_date = replace(reading, day=None, month=None, year=None) == _Reading()
    if not only_a_date or reading.day is None or reading.month is None:
        return None
    year = reading.year if reading.year is not None else NO_YEAR
    if year < 1900:  # "12.3.80": which century is a guess
        return None
    return date(year, reading.month, reading.day) if _valid(reading.day, reading.month, year) else None
