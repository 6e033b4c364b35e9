"""The calendar's tokens, addresses and iCalendar body, as pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from bot.calendar import (
    CalendarBirthday,
    CalendarFollowUp,
    FeedContent,
    content_hash,
    feed_address,
    feed_ics,
    hash_matches,
    new_token,
    token_from_path,
    token_hash,
)

STAMP = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_a_token_is_256_random_bits_and_only_its_own_hash_matches() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and {len(token) for token in tokens} == {43}
    token = tokens.pop()
    assert hash_matches(token, token_hash(token))
    assert not hash_matches(tokens.pop(), token_hash(token))
    assert token_from_path(f"/calendar/{token}.ics") == token
    for path in (
        f"/calendar/{token}",
        f"/calendar/{token[:-1]}.ics",
        f"/calendar/{token}x.ics",
        "/calendar/.ics",
    ):
        assert token_from_path(path) is None, path


def test_the_address_in_both_forms() -> None:
    address = feed_address("https://bot.example.com/prospect/", "T" * 43)
    assert address.https == f"https://bot.example.com/prospect/calendar/{'T' * 43}.ics"
    assert address.webcal == f"webcal://bot.example.com/prospect/calendar/{'T' * 43}.ics"


def test_follow_ups_either_side_of_a_dst_change_keep_their_local_time() -> None:
    zone = ZoneInfo("Europe/Oslo")
    summer = datetime(2027, 3, 29, 9, 0, tzinfo=zone)  # the day after clocks went forward
    winter = datetime(2027, 3, 27, 9, 0, tzinfo=zone)
    content = FeedContent(
        "nb",
        "Europe/Oslo",
        [
            CalendarFollowUp(1, winter.astimezone(UTC), False, "Kari", None, None),
            CalendarFollowUp(2, summer.astimezone(UTC), True, "Ola", "Fjord AS", "Ring før lunsj"),
        ],
        [CalendarBirthday(3, "Liv", None, date(1990, 5, 17))],
    )
    body = feed_ics(content, domain="bot.example.com", stamp=STAMP)
    calendar = icalendar.Calendar.from_ical(body)
    found = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    first, second = found["followup-1@bot.example.com"], found["followup-2@bot.example.com"]
    assert (
        first["dtstart"].to_ical() == second["dtstart"].to_ical().replace(b"29", b"27") == b"20270327T090000"
    )
    assert first.decoded("dtstart").utcoffset() == timedelta(hours=1)
    assert second.decoded("dtstart").utcoffset() == timedelta(hours=2)
    assert str(second["summary"]) == "Prøv igjen: Ola (Fjord AS)"
    assert str(second["description"]) == "Ring før lunsj"
    assert found["birthday-3@bot.example.com"]["rrule"] == {"FREQ": ["YEARLY"]}
    assert b"BEGIN:VTIMEZONE" in body and b"TZID:Europe/Oslo" in body


def test_the_content_hash_ignores_the_stamp_and_follows_what_is_shown() -> None:
    content = FeedContent("en", "UTC", [CalendarFollowUp(1, STAMP, False, "Anna", None, None)], [])
    digest = content_hash(content, domain="d")
    assert feed_ics(content, domain="d", stamp=STAMP) != feed_ics(
        content, domain="d", stamp=STAMP + timedelta(1)
    )
    assert content_hash(FeedContent("fr", "UTC", content.followups, []), domain="d") != digest
    assert content_hash(FeedContent("en", "Europe/Paris", content.followups, []), domain="d") != digest
    moved = [CalendarFollowUp(1, STAMP + timedelta(hours=1), False, "Anna", None, None)]
    assert content_hash(FeedContent("en", "UTC", moved, []), domain="d") != digest
    assert content_hash(content, domain="d") == digest
