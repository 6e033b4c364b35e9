"""Properties of the date reader over any input: nothing it accepts is in the past, and nothing is more
than two years ahead unless the rep typed the year."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.date_style import DateStyle
from bot.date_words import WORDS, month_names, weekday_names
from bot.dates import HORIZON, DateRefusal, ParsedDate, read_typed_date

LANGUAGES = sorted(WORDS)
ZONES = ["Europe/Helsinki", "America/Chicago", "Europe/Budapest", "Pacific/Auckland", "UTC", "Asia/Kolkata"]


def _vocabulary() -> list[str]:
    words: set[str] = set()
    for language, vocabulary in WORDS.items():
        for group in (
            vocabulary.days,
            vocabulary.parts,
            vocabulary.units,
            vocabulary.numbers,
            vocabulary.hours,
            month_names(language),
            weekday_names(language),
        ):
            words.update(group)
        for phrases in (
            vocabulary.next_words,
            vocabulary.after_next_words,
            vocabulary.next_week,
            vocabulary.clock_words,
            vocabulary.hour_words,
            vocabulary.am_words,
            vocabulary.pm_words,
            vocabulary.in_before,
            vocabulary.in_after,
            vocabulary.half_before,
            vocabulary.half_hour,
        ):
            words.update(phrases)
    return sorted(words)


NUMBERS = st.one_of(
    st.integers(0, 99).map(str),
    st.integers(1000, 2999).map(str),
    st.tuples(st.integers(0, 40), st.sampled_from(".:/-h"), st.integers(0, 99)).map(
        lambda parts: f"{parts[0]}{parts[1]}{parts[2]:02d}"
    ),
    st.tuples(
        st.integers(0, 40), st.integers(0, 14), st.sampled_from(["", ".", ".2026", "/27", ".2031"])
    ).map(lambda parts: f"{parts[0]}.{parts[1]}{parts[2]}"),
    st.tuples(st.integers(0, 30), st.sampled_from(["-kor", "pm", "am", "th", "er", "-én"])).map(
        lambda parts: f"{parts[0]}{parts[1]}"
    ),
)
TOKENS = st.one_of(st.sampled_from(_vocabulary()), NUMBERS)
DAYS = st.one_of(
    st.sampled_from(["", "tomorrow", "huomenna", "i morgen", "holnap", "demain", "friday", "ensi tiistaina"]),
    st.sampled_from(["next week", "jövő héten", "la semaine prochaine", "neste uke", "ensi viikolla"]),
    st.tuples(st.integers(1, 31), st.integers(1, 12)).map(lambda dm: f"{dm[0]}.{dm[1]}."),
    st.tuples(st.integers(1, 31), st.integers(1, 12), st.integers(2020, 2040)).map(
        lambda dmy: f"{dmy[0]}.{dmy[1]}.{dmy[2]}"
    ),
    st.tuples(st.integers(1, 12), st.integers(1, 31)).map(lambda md: f"{md[0]}/{md[1]}"),
    st.tuples(
        st.sampled_from(["in", "om", "dans"]), st.integers(1, 40), st.sampled_from(["days", "dager", "mois"])
    ).map(lambda parts: f"{parts[0]} {parts[1]} {parts[2]}"),
    st.tuples(st.integers(1, 40), st.sampled_from(["päivän päästä", "hét múlva", "kuukauden päästä"])).map(
        lambda amount: f"{amount[0]} {amount[1]}"
    ),
)
TIMES = st.one_of(
    st.just(""),
    st.integers(0, 25).map(lambda hour: f"klo {hour}"),
    st.tuples(st.integers(0, 24), st.integers(0, 59)).map(lambda hm: f"{hm[0]}:{hm[1]:02d}"),
    st.integers(0, 13).map(lambda hour: f"{hour}pm"),
    st.integers(0, 24).map(lambda hour: f"{hour}-kor"),
    st.integers(0, 24).map(lambda hour: f"à {hour}h30"),
    st.sampled_from(["aamulla", "ce soir", "this evening", "i kveld", "du. 3-kor", "noon"]),
)
STRUCTURED = st.tuples(DAYS, TIMES).map(lambda parts: " ".join(parts).strip() or "tomorrow")
TEXTS = st.one_of(STRUCTURED, st.lists(TOKENS, min_size=1, max_size=6).map(" ".join), st.text(max_size=40))
NOWS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))
# A year typed in any form the reader takes: 2027, 25.12.27, 2027-12-25.
YEAR_TYPED = re.compile(r"\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2}")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=TEXTS,
    language=st.sampled_from(LANGUAGES),
    zone=st.sampled_from(ZONES),
    now=NOWS,
    style=st.builds(DateStyle, day_first=st.booleans(), hour12=st.booleans()),
)
def test_no_input_is_read_into_the_past_or_beyond_two_years_without_a_year(
    text: str, language: str, zone: str, now: datetime, style: DateStyle
) -> None:
    reading = read_typed_date(text, language=language, zone=ZoneInfo(zone), now=now, style=style)
    assert isinstance(reading, ParsedDate | DateRefusal)
    if isinstance(reading, ParsedDate):
        assert reading.due > now, text
        if reading.due - now > HORIZON:
            assert reading.year_typed and YEAR_TYPED.search(text), text
        assert reading.due.tzinfo is not None and reading.due.utcoffset() == timedelta(0)
