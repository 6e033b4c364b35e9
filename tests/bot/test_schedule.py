"""Scheduling rules: snoozes, win-backs, backoff and the next digest, across DST and days off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import schedule
from bot.schedule import Snooze, toggle_working_day

NOW = datetime(2026, 11, 25, 13, tzinfo=UTC)  # Wednesday
HELSINKI = ZoneInfo("Europe/Helsinki")
WEEKDAYS = frozenset({1, 2, 3, 4, 5})


def test_snoozes() -> None:
    weekdays = frozenset({1, 2, 3, 4, 5})
    assert schedule.snooze_until(Snooze.HOUR, NOW, HELSINKI, weekdays) == NOW + timedelta(hours=1)
    assert schedule.snooze_until(Snooze.TOMORROW, NOW, HELSINKI, weekdays) == datetime(
        2026, 11, 26, 7, tzinfo=UTC
    )
    assert schedule.snooze_until(Snooze.NEXT_WEEK, NOW, HELSINKI, weekdays) == datetime(
        2026, 12, 2, 7, tzinfo=UTC
    )
    # From a Friday, "tomorrow" is Monday for a rep who works Monday to Friday, Saturday for one with no days.
    friday = NOW + timedelta(days=2)
    assert schedule.snooze_until(Snooze.TOMORROW, friday, HELSINKI, weekdays) == datetime(
        2026, 11, 30, 7, tzinfo=UTC
    )
    assert schedule.snooze_until(Snooze.TOMORROW, friday, HELSINKI, ()) == datetime(
        2026, 11, 28, 7, tzinfo=UTC
    )


def test_win_back_months_end_on_the_last_day_of_a_short_month() -> None:
    assert schedule.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert schedule.add_months(date(2026, 1, 31), 12) == date(2027, 1, 31)
    assert schedule.win_back_due(6, NOW, HELSINKI) == datetime(2027, 5, 25, 6, tzinfo=UTC)


def test_backoff_doubles_up_to_a_ceiling() -> None:
    delays = [schedule.retry_at(attempt, NOW) - NOW for attempt in range(1, 10)]
    assert delays[:3] == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert delays[-1] == schedule.BACKOFF_MAX


def test_next_digest_today_tomorrow_or_after_the_weekend() -> None:
    evening = datetime(2026, 11, 25, 5, tzinfo=UTC)  # 07:00 in Helsinki
    assert schedule.next_digest(evening, HELSINKI, time(8, 30), WEEKDAYS, None) == (
        date(2026, 11, 25),
        datetime(2026, 11, 25, 6, 30, tzinfo=UTC),
    )
    assert schedule.next_digest(NOW, HELSINKI, time(8, 30), WEEKDAYS, None)[0] == date(2026, 11, 26)  # type: ignore[index]
    friday_noon = datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert schedule.next_digest(friday_noon, HELSINKI, time(8, 30), WEEKDAYS, None)[0] == date(2026, 11, 30)  # type: ignore[index]
    assert schedule.next_digest(NOW, HELSINKI, time(8, 30), frozenset(), None) is None


def test_next_digest_skips_days_that_have_one() -> None:
    early = datetime(2026, 11, 25, 5, tzinfo=UTC)
    upcoming = schedule.next_digest(early, HELSINKI, time(8, 30), WEEKDAYS, date(2026, 11, 25))
    assert upcoming is not None and upcoming[0] == date(2026, 11, 26)


def test_a_message_sent_more_than_the_claim_lease_after_its_time_is_late() -> None:
    due = NOW
    assert not schedule.is_late(due, due)
    assert not schedule.is_late(due, due + timedelta(minutes=1))
    assert not schedule.is_late(due, due + schedule.LATE_AFTER)
    assert schedule.is_late(due, due + timedelta(minutes=3))
    # Sent again after a crash: at the earliest once the dead dispatcher's lease ran out, which began no
    # earlier than the due time. That is always late.
    assert schedule.LATE_AFTER <= schedule.CLAIM_LEASE
    assert schedule.is_late(due, due + schedule.CLAIM_LEASE + timedelta(seconds=1))


def test_a_digest_for_a_day_that_is_over_is_stale() -> None:
    assert schedule.digest_is_stale(date(2026, 11, 24), NOW, HELSINKI)
    assert not schedule.digest_is_stale(date(2026, 11, 25), NOW, HELSINKI)


def test_the_local_day_on_a_dst_day_is_23_or_25_hours() -> None:
    spring = schedule.local_day(datetime(2026, 3, 29, 12, tzinfo=UTC), HELSINKI)
    autumn = schedule.local_day(datetime(2026, 10, 25, 12, tzinfo=UTC), HELSINKI)
    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_a_working_day_is_switched_on_and_off() -> None:
    assert toggle_working_day("12345", "3") == "1245"
    assert toggle_working_day("1245", "3") == "12345"
    assert toggle_working_day("", "7") == "7"
    for bad in ("8", "0", "12", "", "x"):
        assert toggle_working_day("12345", bad) is None


def test_put_off_from_the_digest_keeps_the_time_of_day_on_the_next_working_day() -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    friday_morning = datetime(2026, 11, 27, 6, 30, tzinfo=UTC)  # 08:30 in Helsinki
    overdue_call = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday 14:00 in Helsinki
    put_off = schedule.put_off_to_next_day(overdue_call, friday_morning, helsinki, {1, 2, 3, 4, 5})
    assert put_off == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # Monday 14:00: the weekend is skipped
    # The same tap twice gives the same instant.
    assert schedule.put_off_to_next_day(put_off, friday_morning, helsinki, {1, 2, 3, 4, 5}) == put_off
