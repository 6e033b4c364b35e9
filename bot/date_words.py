"""The words the date reader knows, per language: kept as data, so that a phrasing reps use and the reader
misses is one line here, not a new branch in bot/dates.py.

Month and weekday names come from Babel (CLDR), in every form the locale writes them; what CLDR does not
have (inflected forms such as "tiistaina" or "kedden", the everyday words for tomorrow, morning or "in two
hours") is listed below. Every entry is lower case; a trailing dot is dropped from words before they are
looked up ("tors." is "tors", "du." is "du").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from babel import Locale


class Unit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


@dataclass(frozen=True)
class PartOfDay:
    """A part of the day: the hour meant when no time is typed, and whether a typed hour is after noon
    ("this evening at 7" is 19:00). `days` is set when the word also names the day ("tonight")."""

    hour: int
    afternoon: bool
    minute: int = 0
    days: int | None = None


MORNING = PartOfDay(9, afternoon=False)
FORENOON = PartOfDay(10, afternoon=False)
NOON = PartOfDay(12, afternoon=True)
AFTERNOON = PartOfDay(14, afternoon=True)
EVENING = PartOfDay(18, afternoon=True)
TONIGHT = PartOfDay(18, afternoon=True, days=0)
THIS_AFTERNOON = PartOfDay(14, afternoon=True, days=0)
THIS_MORNING = PartOfDay(9, afternoon=False, days=0)
TOMORROW_MORNING = PartOfDay(9, afternoon=False, days=1)


@dataclass(frozen=True)
class DateWords:
    """One language's words. Phrases may have several words ("day after tomorrow"); the reader matches the
    longest first."""

    days: dict[str, int]  # a day by its distance from today: "tomorrow": 1
    weekdays: dict[str, int] = field(default_factory=dict)  # inflected forms Babel lacks: "tiistaina": 1
    months: dict[str, int] = field(default_factory=dict)  # forms Babel lacks
    next_words: tuple[str, ...] = ()  # before a weekday: "next friday" (the coming one)
    after_next_words: tuple[str, ...] = ()  # after a weekday: "vendredi prochain"
    next_week: tuple[str, ...] = ()  # "next week": alone, in 7 days; with a weekday, that day of next week
    parts: dict[str, PartOfDay] = field(default_factory=dict)
    noon: tuple[str, ...] = ()  # 12:00 exactly
    clock_words: tuple[str, ...] = ()  # before a time: "at", "klo", "kl", "à"
    hour_words: tuple[str, ...] = ()  # after an hour: "heures", "h", "óra", "o'clock"
    hour_suffixes: tuple[str, ...] = ()  # glued to an hour: "2-kor", "14órakor"
    am_words: tuple[str, ...] = ()
    pm_words: tuple[str, ...] = ()
    # "in 2 hours": a word before the amount ("in", "om", "dans") or after the unit ("päästä", "múlva").
    in_before: tuple[str, ...] = ()
    in_after: tuple[str, ...] = ()
    units: dict[str, Unit] = field(default_factory=dict)
    half_hour: tuple[str, ...] = ()  # "half an hour", as the amount and unit together
    numbers: dict[str, int] = field(default_factory=dict)  # spelled-out amounts and hours: "two": 2
    hours: dict[str, int] = field(default_factory=dict)  # a word that is an hour by itself: "háromkor"
    # "half three": in Finnish, Norwegian and Hungarian half past the hour BEFORE ("puoli kolme" is 2:30).
    half_before: tuple[str, ...] = ()
    # Suffixes that make a number a day of the month: "25th", "12-én", "1er".
    day_suffixes: tuple[str, ...] = ()
    fillers: tuple[str, ...] = ()  # words that carry no meaning for the date: "on", "the", "le"
    # Hours 1 to `afternoon_until` typed with no am/pm, no part of the day and no leading zero are taken
    # as afternoon working hours ("tomorrow at 3" is 15:00): nobody books a follow-up for 3 a.m.
    afternoon_until: int = 6
    # Whether a clock time with minutes ("3:30") follows that rule too. English speakers write the
    # afternoon that way even where clocks show 24 hours; Finns, Norwegians, Hungarians and the French
    # write 15:30, so their "3:30" is as written (in a 12-hour region, everyone's follows the rule).
    afternoon_clock_times: bool = False


_EN = DateWords(
    days={"yesterday": -1, "today": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "day after tomorrow": 2},
    weekdays={"tues": 1, "weds": 2, "thur": 3, "thurs": 3},
    months={"sept": 9},
    next_words=("next", "this", "coming", "this coming"),
    next_week=("next week",),
    parts={
        "morning": MORNING,
        "in the morning": MORNING,
        "afternoon": AFTERNOON,
        "in the afternoon": AFTERNOON,
        "evening": EVENING,
        "in the evening": EVENING,
        "tonight": TONIGHT,
        "this evening": TONIGHT,
        "this afternoon": THIS_AFTERNOON,
        "this morning": THIS_MORNING,
        "lunchtime": NOON,
    },
    noon=("noon", "midday"),
    clock_words=("at", "@", "by", "around"),
    hour_words=("o'clock", "oclock"),
    am_words=("am", "a.m"),
    pm_words=("pm", "p.m"),
    in_before=("in",),
    units={
        "min": Unit.MINUTES,
        "mins": Unit.MINUTES,
        "minute": Unit.MINUTES,
        "minutes": Unit.MINUTES,
        "h": Unit.HOURS,
        "hr": Unit.HOURS,
        "hrs": Unit.HOURS,
        "hour": Unit.HOURS,
        "hours": Unit.HOURS,
        "day": Unit.DAYS,
        "days": Unit.DAYS,
        "week": Unit.WEEKS,
        "weeks": Unit.WEEKS,
        "month": Unit.MONTHS,
        "months": Unit.MONTHS,
    },
    half_hour=("half an hour", "a half hour", "half hour"),
    numbers={
        "a": 1,
        "an": 1,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "a couple of": 2,
        "a few": 3,
    },
    day_suffixes=("st", "nd", "rd", "th"),
    fillers=("on", "the", "of", "for", "please"),
    afternoon_clock_times=True,
)

_FI = DateWords(
    days={"eilen": -1, "tänään": 0, "huomenna": 1, "huomisna": 1, "ylihuomenna": 2},
    weekdays={
        "maanantai": 0,
        "maanantaina": 0,
        "tiistaina": 1,
        "keskiviikkona": 2,
        "torstaina": 3,
        "perjantaina": 4,
        "lauantaina": 5,
        "sunnuntaina": 6,
    },
    months={"tammikuussa": 1, "helmikuussa": 2, "maaliskuussa": 3},
    next_words=("ensi", "tulevana"),
    next_week=("ensi viikolla", "ensi viikon", "ensi viikko", "seuraavalla viikolla", "seuraavan viikon"),
    parts={
        "aamulla": MORNING,
        "aamupäivällä": FORENOON,
        "päivällä": NOON,
        "keskipäivällä": NOON,
        "iltapäivällä": AFTERNOON,
        "illalla": EVENING,
        "tänä iltana": TONIGHT,
        "tänään illalla": TONIGHT,
        "tänä aamuna": THIS_MORNING,
        "tänään iltapäivällä": THIS_AFTERNOON,
        "huomisaamuna": TOMORROW_MORNING,
        "ap": FORENOON,
        "ip": AFTERNOON,
    },
    clock_words=("klo", "kello", "kelloon", "noin"),
    in_after=("päästä", "kuluttua", "kuluessa"),
    units={
        "minuutin": Unit.MINUTES,
        "min": Unit.MINUTES,
        "tunnin": Unit.HOURS,
        "h": Unit.HOURS,
        "päivän": Unit.DAYS,
        "vrk": Unit.DAYS,
        "viikon": Unit.WEEKS,
        "kuukauden": Unit.MONTHS,
        "kk": Unit.MONTHS,
        "kuun": Unit.MONTHS,
    },
    half_hour=("puolen tunnin", "puolentunnin"),
    numbers={
        "yhden": 1,
        "kahden": 2,
        "kolmen": 3,
        "neljän": 4,
        "viiden": 5,
        "kuuden": 6,
        "seitsemän": 7,
        "kahdeksan": 8,
        "yhdeksän": 9,
        "kymmenen": 10,
        "yksitoista": 11,
        "kaksitoista": 12,
        "yksi": 1,
        "kaksi": 2,
        "kolme": 3,
        "neljä": 4,
        "viisi": 5,
        "kuusi": 6,
        "parin": 2,
        "muutaman": 3,
    },
    half_before=("puoli",),
    fillers=("ja", "on"),
)

_NB = DateWords(
    days={
        "i går": -1,
        "igår": -1,
        "i dag": 0,
        "idag": 0,
        "i morgen": 1,
        "imorgen": 1,
        "i overmorgen": 2,
        "overmorgen": 2,
    },
    weekdays={"tors": 3, "tirs": 1, "onsd": 2, "lørd": 5, "sønd": 6, "mandagen": 0, "fredagen": 4},
    next_words=("neste", "kommende", "førstkommende"),
    next_week=("neste uke", "i neste uke", "uka etter", "neste veke"),
    parts={
        "om morgenen": MORNING,
        "tidlig": MORNING,
        "morgen tidlig": TOMORROW_MORNING,
        "i morgen tidlig": TOMORROW_MORNING,
        "formiddag": FORENOON,
        "på formiddagen": FORENOON,
        "formiddagen": FORENOON,
        "ettermiddag": AFTERNOON,
        "på ettermiddagen": AFTERNOON,
        "ettermiddagen": AFTERNOON,
        "i ettermiddag": THIS_AFTERNOON,
        "kveld": EVENING,
        "på kvelden": EVENING,
        "om kvelden": EVENING,
        "kvelden": EVENING,
        "i kveld": TONIGHT,
        "lunsj": NOON,
        "i lunsjen": NOON,
    },
    clock_words=("kl", "klokka", "klokken", "ca", "rundt"),
    in_before=("om", "innen"),
    units={
        "minutt": Unit.MINUTES,
        "minutter": Unit.MINUTES,
        "min": Unit.MINUTES,
        "time": Unit.HOURS,
        "timer": Unit.HOURS,
        "t": Unit.HOURS,
        "dag": Unit.DAYS,
        "dager": Unit.DAYS,
        "døgn": Unit.DAYS,
        "uke": Unit.WEEKS,
        "uker": Unit.WEEKS,
        "måned": Unit.MONTHS,
        "måneder": Unit.MONTHS,
        "mnd": Unit.MONTHS,
    },
    half_hour=("en halvtime", "halvtime", "en halv time"),
    numbers={
        "en": 1,
        "ett": 1,
        "ei": 1,
        "to": 2,
        "tre": 3,
        "fire": 4,
        "fem": 5,
        "seks": 6,
        "sju": 7,
        "syv": 7,
        "åtte": 8,
        "ni": 9,
        "ti": 10,
        "elleve": 11,
        "tolv": 12,
        "et par": 2,
        "noen": 3,
    },
    half_before=("halv",),
    fillers=("på", "den", "og"),
)

_HU = DateWords(
    days={"tegnap": -1, "ma": 0, "holnap": 1, "holnapután": 2},
    weekdays={
        "hétfőn": 0,
        "kedden": 1,
        "szerdán": 2,
        "csütörtökön": 3,
        "pénteken": 4,
        "szombaton": 5,
        "vasárnap": 6,
        "vasárnapon": 6,
        "sze": 2,
        "csüt": 3,
        "pén": 4,
        "szo": 5,
        "vas": 6,
    },
    months={"márc": 3, "ápr": 4, "máj": 5, "jún": 6, "júl": 7, "szept": 9, "febr": 2},
    next_words=("jövő", "következő"),
    next_week=("jövő héten", "jövő hét", "a jövő héten", "jövőhéten", "következő héten"),
    parts={
        "reggel": MORNING,
        "délelőtt": FORENOON,
        "délben": NOON,
        "délután": AFTERNOON,
        "este": EVENING,
        "ma este": TONIGHT,
        "ma délután": THIS_AFTERNOON,
        "ma reggel": THIS_MORNING,
        "holnap reggel": TOMORROW_MORNING,
    },
    noon=("dél",),
    clock_words=("kb", "körül"),
    hour_words=("óra", "órakor", "órára", "kor"),
    hour_suffixes=("kor", "órakor", "óra", "órára", "ra", "re"),
    am_words=("de", "délelőtt"),
    pm_words=("du", "délután"),
    in_after=("múlva", "múltán"),
    units={
        "perc": Unit.MINUTES,
        "percen": Unit.MINUTES,
        "óra": Unit.HOURS,
        "órán": Unit.HOURS,
        "nap": Unit.DAYS,
        "napon": Unit.DAYS,
        "hét": Unit.WEEKS,
        "héten": Unit.WEEKS,
        "hónap": Unit.MONTHS,
        "hónapon": Unit.MONTHS,
    },
    half_hour=("fél óra",),
    numbers={
        "egy": 1,
        "két": 2,
        "kettő": 2,
        "három": 3,
        "négy": 4,
        "öt": 5,
        "hat": 6,
        "hét": 7,
        "nyolc": 8,
        "kilenc": 9,
        "tíz": 10,
        "tizenegy": 11,
        "tizenkét": 12,
        "pár": 2,
        "néhány": 3,
    },
    hours={
        "egykor": 1,
        "kettőkor": 2,
        "háromkor": 3,
        "négykor": 4,
        "ötkor": 5,
        "hatkor": 6,
        "hétkor": 7,
        "nyolckor": 8,
        "kilenckor": 9,
        "tízkor": 10,
        "tizenegykor": 11,
        "tizenkettőkor": 12,
    },
    half_before=("fél",),
    day_suffixes=("án", "én", "jén", "ján", "a", "e", "ikán", "ikén", "dikán", "dikén"),
    fillers=("az", "a", "és"),
)

_FR = DateWords(
    days={"hier": -1, "aujourd'hui": 0, "aujourdhui": 0, "demain": 1, "après-demain": 2, "après demain": 2},
    next_words=("ce", "ce prochain"),
    after_next_words=("prochain", "prochaine", "qui vient"),
    next_week=("la semaine prochaine", "semaine prochaine", "de la semaine prochaine"),
    parts={
        "matin": MORNING,
        "le matin": MORNING,
        "du matin": MORNING,
        "dans la matinée": FORENOON,
        "en matinée": FORENOON,
        "matinée": FORENOON,
        "après-midi": AFTERNOON,
        "l'après-midi": AFTERNOON,
        "de l'après-midi": AFTERNOON,
        "dans l'après-midi": AFTERNOON,
        "en début d'après-midi": AFTERNOON,
        "soir": EVENING,
        "le soir": EVENING,
        "du soir": EVENING,
        "en soirée": EVENING,
        "ce soir": TONIGHT,
        "cet après-midi": THIS_AFTERNOON,
        "ce matin": THIS_MORNING,
    },
    noon=("midi",),
    clock_words=("à", "a", "vers", "pour", "dès"),
    hour_words=("heures", "heure", "h"),
    in_before=("dans", "d'ici"),
    units={
        "minute": Unit.MINUTES,
        "minutes": Unit.MINUTES,
        "min": Unit.MINUTES,
        "mn": Unit.MINUTES,
        "heure": Unit.HOURS,
        "heures": Unit.HOURS,
        "h": Unit.HOURS,
        "jour": Unit.DAYS,
        "jours": Unit.DAYS,
        "semaine": Unit.WEEKS,
        "semaines": Unit.WEEKS,
        "mois": Unit.MONTHS,
    },
    half_hour=("une demi-heure", "une demi heure", "une demie heure", "30 min"),
    numbers={
        "un": 1,
        "une": 1,
        "deux": 2,
        "trois": 3,
        "quatre": 4,
        "cinq": 5,
        "six": 6,
        "sept": 7,
        "huit": 8,
        "neuf": 9,
        "dix": 10,
        "onze": 11,
        "douze": 12,
        "quelques": 3,
    },
    day_suffixes=("er", "e", "ème"),
    fillers=("le", "la", "l'", "de", "du", "et", "svp"),
)

WORDS: dict[str, DateWords] = {"en": _EN, "fi": _FI, "nb": _NB, "hu": _HU, "fr": _FR}
_BABEL_LOCALES = {"en": "en", "fi": "fi", "nb": "nb", "hu": "hu", "fr": "fr"}


def _word(name: str) -> str:
    return name.lower().rstrip(".")


@cache
def month_names(language: str) -> dict[str, int]:
    """Every way the language writes a month (CLDR's wide and abbreviated, formatted and stand-alone),
    plus the forms listed here."""
    locale = Locale.parse(_BABEL_LOCALES.get(language, "en"))
    names: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in locale.months[context][width].items():
                if len(_word(name)) >= 3:
                    names[_word(name)] = int(number)
    names.update(WORDS[language].months if language in WORDS else {})
    return names


@cache
def weekday_names(language: str) -> dict[str, int]:
    """Every way the language writes a weekday (Monday is 0); one-letter abbreviations are left out ("K",
    "P" in Hungarian would read ordinary letters as days)."""
    locale = Locale.parse(_BABEL_LOCALES.get(language, "en"))
    names: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in locale.days[context][width].items():
                if len(_word(name)) >= 2:
                    names[_word(name)] = int(number)
    names.update(WORDS[language].weekdays if language in WORDS else {})
    return names


@cache
def _full_weekdays(language: str) -> frozenset[str]:
    locale = Locale.parse(_BABEL_LOCALES.get(language, "en"))
    wide = {
        _word(name) for context in ("format", "stand-alone") for name in locale.days[context]["wide"].values()
    }
    inflected = {word for word in (WORDS[language].weekdays if language in WORDS else {}) if len(word) > 4}
    return frozenset(wide | inflected)


def names_a_day(word: str, language: str) -> bool:
    """Whether one word alone can only mean a day: "tomorrow", "huomenna", "friday", "kedden"; not a
    weekday's abbreviation, which is often also a first name ("Tor", "Sam", "Ons")."""
    key = _word(word)
    words = WORDS.get(language)
    return (words is not None and key in words.days) or key in _full_weekdays(language)
