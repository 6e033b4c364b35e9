"""The corpus: phrasings as reps type them, in each language, with the local date and time each must mean
for one fixed "now" (Wednesday 25 November 2026, 15:00 in Helsinki), or the reason it must be refused.

Each line is what a rep would type after a meeting; the expectation is what they meant, by the rules
written in bot/dates.py. A line that fails is a time a rep would have missed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.date_style import DateStyle, style_for
from bot.dates import DateRefusal, ParsedDate, Refusal, read_typed_date

NOW = datetime(2026, 11, 25, 13, tzinfo=UTC)  # Wednesday 15:00 in Helsinki
HELSINKI = ZoneInfo("Europe/Helsinki")

PAST, PASSED, IMPOSSIBLE, TOO_FAR, UNKNOWN = (
    Refusal.PAST,
    Refusal.PASSED,
    Refusal.IMPOSSIBLE,
    Refusal.TOO_FAR,
    Refusal.NOT_UNDERSTOOD,
)

CORPUS: dict[str, list[tuple[str, str | Refusal]]] = {
    "en": [
        ("tomorrow 10", "2026-11-26 10:00"),
        ("tomorrow at 10am", "2026-11-26 10:00"),
        ("tomorrow 2pm", "2026-11-26 14:00"),
        ("tomorrow at 3", "2026-11-26 15:00"),
        ("tomorrow at 3:30", "2026-11-26 15:30"),
        ("tomorrow 9 p.m.", "2026-11-26 21:00"),
        ("tmrw 11am", "2026-11-26 11:00"),
        ("next friday 14:00", "2026-11-27 14:00"),
        ("friday", "2026-11-27 09:00"),
        ("Fri 9am", "2026-11-27 09:00"),
        ("on Monday at 11", "2026-11-30 11:00"),
        ("mon 8:30", "2026-11-30 08:30"),
        ("thursday 5 pm", "2026-11-26 17:00"),
        ("wednesday", "2026-12-02 09:00"),
        ("in 2 hours", "2026-11-25 17:00"),
        ("in two hours", "2026-11-25 17:00"),
        ("in 10 minutes", "2026-11-25 15:10"),
        ("in an hour", "2026-11-25 16:00"),
        ("in half an hour", "2026-11-25 15:30"),
        ("in 3 days", "2026-11-28 09:00"),
        ("in a week", "2026-12-02 09:00"),
        ("in 2 weeks", "2026-12-09 09:00"),
        ("in 6 months", "2027-05-25 09:00"),
        ("25.12. 9:30", "2026-12-25 09:30"),
        ("25/12 9:30", "2026-12-25 09:30"),
        ("12/15", "2026-12-15 09:00"),
        ("Dec 25 10am", "2026-12-25 10:00"),
        ("December 3rd at 2pm", "2026-12-03 14:00"),
        ("3 December", "2026-12-03 09:00"),
        ("the 3rd", "2026-12-03 09:00"),
        ("next week", "2026-12-02 09:00"),
        ("next week tuesday", "2026-12-01 09:00"),
        ("tuesday next week at 10", "2026-12-01 10:00"),
        ("next week friday 4pm", "2026-12-04 16:00"),
        ("tomorrow morning", "2026-11-26 09:00"),
        ("tomorrow afternoon", "2026-11-26 14:00"),
        ("tonight at 7", "2026-11-25 19:00"),
        ("this evening", "2026-11-25 18:00"),
        ("at noon tomorrow", "2026-11-26 12:00"),
        ("14:00", "2026-11-26 14:00"),
        ("at 16", "2026-11-25 16:00"),
        ("day after tomorrow", "2026-11-27 09:00"),
        ("the day after tomorrow at 9", "2026-11-27 09:00"),
        ("2026-12-01 10:00", "2026-12-01 10:00"),
        ("1.1. 10:00", "2027-01-01 10:00"),
        ("25.12.2027", "2027-12-25 09:00"),
        ("yesterday 10:00", PAST),
        ("today 10:00", PAST),
        ("20.11.", PASSED),
        ("1.13. 10", IMPOSSIBLE),
        ("31.2.", IMPOSSIBLE),
        ("25:00", IMPOSSIBLE),
        ("in 30 months", TOO_FAR),
        ("banana", UNKNOWN),
        ("next banana", UNKNOWN),
        ("tomorrow or friday", UNKNOWN),
    ],
    "fi": [
        ("huomenna klo 10", "2026-11-26 10:00"),
        ("huomenna 10", "2026-11-26 10:00"),
        ("huomenna klo 14.30", "2026-11-26 14:30"),
        ("huomenna kello 14", "2026-11-26 14:00"),
        ("huomenna klo 3", "2026-11-26 15:00"),
        ("huomenna klo 03.00", "2026-11-26 03:00"),
        ("huomenna aamulla", "2026-11-26 09:00"),
        ("huomenna aamulla klo 9", "2026-11-26 09:00"),
        ("huomenna iltapäivällä", "2026-11-26 14:00"),
        ("huomenna iltapäivällä klo 3", "2026-11-26 15:00"),
        ("huomenna puoli kymmenen", "2026-11-26 09:30"),
        ("tänään klo 16", "2026-11-25 16:00"),
        ("tänä iltana", "2026-11-25 18:00"),
        ("illalla klo 7", "2026-11-25 19:00"),
        ("ylihuomenna klo 9", "2026-11-27 09:00"),
        ("perjantaina", "2026-11-27 09:00"),
        ("ensi perjantaina klo 14", "2026-11-27 14:00"),
        ("pe klo 13", "2026-11-27 13:00"),
        ("to klo 14", "2026-11-26 14:00"),
        ("ma 9.30", "2026-11-30 09:30"),
        ("maanantaina klo 8.30", "2026-11-30 08:30"),
        ("keskiviikkona", "2026-12-02 09:00"),
        ("ensi tiistaina", "2026-12-01 09:00"),
        ("ensi viikon tiistaina klo 10", "2026-12-01 10:00"),
        ("ensi viikolla", "2026-12-02 09:00"),
        ("ensi viikon perjantaina", "2026-12-04 09:00"),
        ("2 tunnin päästä", "2026-11-25 17:00"),
        ("tunnin päästä", "2026-11-25 16:00"),
        ("puolen tunnin päästä", "2026-11-25 15:30"),
        ("10 minuutin päästä", "2026-11-25 15:10"),
        ("3 päivän päästä", "2026-11-28 09:00"),
        ("kahden viikon päästä", "2026-12-09 09:00"),
        ("kuukauden päästä", "2026-12-25 09:00"),
        ("6 kuukauden kuluttua", "2027-05-25 09:00"),
        ("25.12. klo 9.30", "2026-12-25 09:30"),
        ("25.12. 9.30", "2026-12-25 09:30"),
        ("25.12. 10", "2026-12-25 10:00"),
        ("12.12.", "2026-12-12 09:00"),
        ("1.12. klo 10", "2026-12-01 10:00"),
        ("31.12. 23.59", "2026-12-31 23:59"),
        ("25. joulukuuta klo 12", "2026-12-25 12:00"),
        ("3. joulukuuta", "2026-12-03 09:00"),
        ("klo 16", "2026-11-25 16:00"),
        ("klo 14", "2026-11-26 14:00"),
        ("puoli kolme", "2026-11-26 14:30"),
        ("1.1.2027 klo 9", "2027-01-01 09:00"),
        ("eilen klo 10", PAST),
        ("20.11.", PASSED),
        ("1.13. 10", IMPOSSIBLE),
        ("31.2.", IMPOSSIBLE),
        ("klo 25", IMPOSSIBLE),
        ("ensi banaani", UNKNOWN),
    ],
    "nb": [
        ("i morgen kl. 10", "2026-11-26 10:00"),
        ("i morgen 10", "2026-11-26 10:00"),
        ("i morgen klokka 14", "2026-11-26 14:00"),
        ("i morgen klokken 14.30", "2026-11-26 14:30"),
        ("i morgen kl. 10.30.", "2026-11-26 10:30"),
        ("i morgen kl 3", "2026-11-26 15:00"),
        ("klokken 14", "2026-11-26 14:00"),
        ("kl. 16", "2026-11-25 16:00"),
        ("i dag kl 16", "2026-11-25 16:00"),
        ("i kveld", "2026-11-25 18:00"),
        ("i kveld kl 19", "2026-11-25 19:00"),
        ("i morgen tidlig", "2026-11-26 09:00"),
        ("i morgen ettermiddag", "2026-11-26 14:00"),
        ("i morgen formiddag", "2026-11-26 10:00"),
        ("i overmorgen", "2026-11-27 09:00"),
        ("overmorgen kl 9", "2026-11-27 09:00"),
        ("fredag", "2026-11-27 09:00"),
        ("neste fredag", "2026-11-27 09:00"),
        ("på fredag kl. 13", "2026-11-27 13:00"),
        ("tors. kl. 14", "2026-11-26 14:00"),
        ("man kl 8.30", "2026-11-30 08:30"),
        ("på mandag kl 8.30", "2026-11-30 08:30"),
        ("onsdag", "2026-12-02 09:00"),
        ("tirsdag neste uke", "2026-12-01 09:00"),
        ("neste uke tirsdag kl 10", "2026-12-01 10:00"),
        ("neste uke", "2026-12-02 09:00"),
        ("fredag neste uke", "2026-12-04 09:00"),
        ("om 2 timer", "2026-11-25 17:00"),
        ("om en time", "2026-11-25 16:00"),
        ("om en halvtime", "2026-11-25 15:30"),
        ("om 10 minutter", "2026-11-25 15:10"),
        ("om 3 dager", "2026-11-28 09:00"),
        ("om en uke", "2026-12-02 09:00"),
        ("om to uker", "2026-12-09 09:00"),
        ("om 6 måneder", "2027-05-25 09:00"),
        ("25.12. kl. 9.30", "2026-12-25 09:30"),
        ("25.12. 9:30", "2026-12-25 09:30"),
        ("1.12. kl 10", "2026-12-01 10:00"),
        ("12.12.", "2026-12-12 09:00"),
        ("3. desember", "2026-12-03 09:00"),
        ("3. desember kl. 12", "2026-12-03 12:00"),
        ("1.1.", "2027-01-01 09:00"),
        ("halv tre", "2026-11-26 14:30"),
        ("i morgen halv ti", "2026-11-26 09:30"),
        ("25.12.2027 kl 10", "2027-12-25 10:00"),
        ("i går", PAST),
        ("20.11.", PASSED),
        ("31.2.", IMPOSSIBLE),
        ("kl 25", IMPOSSIBLE),
        ("neste banan", UNKNOWN),
    ],
    "hu": [
        ("holnap 10-kor", "2026-11-26 10:00"),
        ("holnap 10:00", "2026-11-26 10:00"),
        ("holnap 14 óra", "2026-11-26 14:00"),
        ("holnap 14 órakor", "2026-11-26 14:00"),
        ("holnap du. 2-kor", "2026-11-26 14:00"),
        ("holnap de. 10-kor", "2026-11-26 10:00"),
        ("holnap délután 3-kor", "2026-11-26 15:00"),
        ("holnap 3-kor", "2026-11-26 15:00"),
        ("holnap reggel", "2026-11-26 09:00"),
        ("holnap reggel 8-kor", "2026-11-26 08:00"),
        ("holnap délután", "2026-11-26 14:00"),
        ("holnap 14.30.", "2026-11-26 14:30"),
        ("holnap fél 10-kor", "2026-11-26 09:30"),
        ("ma este", "2026-11-25 18:00"),
        ("ma 16:00", "2026-11-25 16:00"),
        ("ma este 7-kor", "2026-11-25 19:00"),
        ("16 órakor", "2026-11-25 16:00"),
        ("háromkor", "2026-11-26 15:00"),
        ("fél 3-kor", "2026-11-26 14:30"),
        ("holnapután", "2026-11-27 09:00"),
        ("pénteken", "2026-11-27 09:00"),
        ("pénteken 14-kor", "2026-11-27 14:00"),
        ("jövő péntek", "2026-11-27 09:00"),
        ("csütörtök 9:00", "2026-11-26 09:00"),
        ("hétfőn 8:30", "2026-11-30 08:30"),
        ("kedden 10-kor", "2026-12-01 10:00"),
        ("szerdán", "2026-12-02 09:00"),
        ("jövő héten kedden", "2026-12-01 09:00"),
        ("jövő héten pénteken 10-kor", "2026-12-04 10:00"),
        ("jövő héten", "2026-12-02 09:00"),
        ("2 óra múlva", "2026-11-25 17:00"),
        ("egy óra múlva", "2026-11-25 16:00"),
        ("fél óra múlva", "2026-11-25 15:30"),
        ("10 perc múlva", "2026-11-25 15:10"),
        ("3 nap múlva", "2026-11-28 09:00"),
        ("két hét múlva", "2026-12-09 09:00"),
        ("6 hónap múlva", "2027-05-25 09:00"),
        ("12. 25. 9:30", "2026-12-25 09:30"),
        ("2026. 12. 25. 9:30", "2026-12-25 09:30"),
        ("25.12. 9:30", "2026-12-25 09:30"),
        ("dec. 25. 10-kor", "2026-12-25 10:00"),
        ("december 3.", "2026-12-03 09:00"),
        ("december 3-án 14:00", "2026-12-03 14:00"),
        ("márc. 12-én", "2027-03-12 09:00"),
        ("2027. január 5.", "2027-01-05 09:00"),
        ("tegnap", PAST),
        ("11. 20.", PASSED),
        ("13. 1.", IMPOSSIBLE),
        ("31.2.", IMPOSSIBLE),
        ("jövő banán", UNKNOWN),
    ],
    "fr": [
        ("demain 10h", "2026-11-26 10:00"),
        ("demain à 10h30", "2026-11-26 10:30"),
        ("demain 14 heures", "2026-11-26 14:00"),
        ("demain à 14 heures", "2026-11-26 14:00"),
        ("demain à 14 h 30", "2026-11-26 14:30"),
        ("demain à 14:30", "2026-11-26 14:30"),
        ("demain matin", "2026-11-26 09:00"),
        ("demain après-midi", "2026-11-26 14:00"),
        ("demain soir", "2026-11-26 18:00"),
        ("demain midi", "2026-11-26 12:00"),
        ("demain à 3h de l'après-midi", "2026-11-26 15:00"),
        ("demain à 9h du matin", "2026-11-26 09:00"),
        ("demain à 3h", "2026-11-26 15:00"),
        ("aujourd'hui 16h", "2026-11-25 16:00"),
        ("ce soir", "2026-11-25 18:00"),
        ("ce soir à 20h", "2026-11-25 20:00"),
        ("cet après-midi à 17h", "2026-11-25 17:00"),
        ("à 16h", "2026-11-25 16:00"),
        ("vers 11h", "2026-11-26 11:00"),
        ("après-demain", "2026-11-27 09:00"),
        ("après-demain à 9h", "2026-11-27 09:00"),
        ("vendredi", "2026-11-27 09:00"),
        ("vendredi 14:00", "2026-11-27 14:00"),
        ("vendredi prochain à 11h", "2026-11-27 11:00"),
        ("lundi à 8h30", "2026-11-30 08:30"),
        ("lun. 9h", "2026-11-30 09:00"),
        ("mardi à 14 h 30", "2026-12-01 14:30"),
        ("mercredi", "2026-12-02 09:00"),
        ("mardi de la semaine prochaine", "2026-12-01 09:00"),
        ("la semaine prochaine", "2026-12-02 09:00"),
        ("vendredi de la semaine prochaine à 10h", "2026-12-04 10:00"),
        ("dans 2 heures", "2026-11-25 17:00"),
        ("dans une heure", "2026-11-25 16:00"),
        ("dans une demi-heure", "2026-11-25 15:30"),
        ("dans 10 minutes", "2026-11-25 15:10"),
        ("dans 3 jours", "2026-11-28 09:00"),
        ("dans une semaine", "2026-12-02 09:00"),
        ("dans deux semaines", "2026-12-09 09:00"),
        ("dans 6 mois", "2027-05-25 09:00"),
        ("25/12 9h30", "2026-12-25 09:30"),
        ("25.12. 9:30", "2026-12-25 09:30"),
        ("le 25 décembre à 10h", "2026-12-25 10:00"),
        ("3 déc. 14h", "2026-12-03 14:00"),
        ("1er décembre à 9h", "2026-12-01 09:00"),
        ("1er janvier", "2027-01-01 09:00"),
        ("25/12/2027 à 10h", "2027-12-25 10:00"),
        ("hier", PAST),
        ("20/11", PASSED),
        ("31/02", IMPOSSIBLE),
        ("25h", IMPOSSIBLE),
        ("dans 30 mois", TOO_FAR),
        ("prochain banane", UNKNOWN),
    ],
}


def understood(text: str, language: str, zone: ZoneInfo = HELSINKI, style: DateStyle | None = None) -> str:
    reading = read_typed_date(text, language=language, zone=zone, now=NOW, style=style)
    if isinstance(reading, DateRefusal):
        return reading.reason.value
    return reading.due.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def expected_text(expected: str | Refusal) -> str:
    return expected.value if isinstance(expected, Refusal) else expected


@pytest.mark.parametrize("language", sorted(CORPUS))
def test_each_language_has_at_least_forty_phrasings(language: str) -> None:
    assert len([text for text, expected in CORPUS[language] if not isinstance(expected, Refusal)]) >= 40


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [(language, text, expected) for language, cases in CORPUS.items() for text, expected in cases],
)
def test_corpus(language: str, text: str, expected: str | Refusal) -> None:
    style = style_for(language, "Europe/Helsinki")
    assert understood(text, language, style=style) == expected_text(expected)


def test_upper_case_and_extra_spaces_change_nothing() -> None:
    assert understood("  Huomenna   KLO 10 ", "fi") == "2026-11-26 10:00"
    assert understood("DEMAIN À 14H", "fr") == "2026-11-26 14:00"


def test_english_words_are_understood_beside_the_reps_own() -> None:
    assert understood("tomorrow 10", "fi") == "2026-11-26 10:00"
    assert understood("in 2 hours", "hu") == "2026-11-25 17:00"


CHICAGO = ZoneInfo("America/Chicago")  # 07:00 on Wednesday 25 November


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/15 2pm", "2026-12-15 14:00"),
        ("12/3", "2026-12-03 09:00"),
        ("3/12", "2027-03-12 09:00"),
        ("15/12", "2026-12-15 09:00"),  # only one reading is a date
        ("tomorrow at 3:30", "2026-11-26 15:30"),
        ("tomorrow 3:30am", "2026-11-26 03:30"),
        ("today at 10", "2026-11-25 10:00"),
        ("25.12. 9:30", "2026-12-25 09:30"),  # dots are day first everywhere
    ],
)
def test_an_american_rep_writes_the_month_first(text: str, expected: str) -> None:
    style = style_for("en", "America/Chicago")
    assert style == DateStyle(day_first=False, hour12=True)
    assert understood(text, "en", CHICAGO, style) == expected


def test_a_typed_year_is_marked() -> None:
    reading = read_typed_date("25.12.2027", language="en", zone=HELSINKI, now=NOW)
    assert isinstance(reading, ParsedDate) and reading.year_typed
    reading = read_typed_date("25.12.", language="en", zone=HELSINKI, now=NOW)
    assert isinstance(reading, ParsedDate) and not reading.year_typed


def test_a_passed_day_month_offers_the_same_day_next_year() -> None:
    reading = read_typed_date(
        "1.12. 10:00", language="fi", zone=HELSINKI, now=datetime(2026, 12, 2, 8, tzinfo=UTC)
    )
    assert isinstance(reading, DateRefusal) and reading.reason is Refusal.PASSED
    assert reading.instant == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert reading.next_year == datetime(2027, 12, 1, 8, tzinfo=UTC)
