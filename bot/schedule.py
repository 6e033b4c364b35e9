"""Scheduling rules for follow-ups and digests: pure functions of an injected "now" and the rep's zone."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.dates import DEFAULT_DUE_TIME, local_to_utc, on_working_day

# How long a dispatcher holds the rows it claimed before another may take them (it renews the claim of rows
# still waiting in its queue; a dispatcher that died stops renewing, and its rows are claimed again).
CLAIM_LEASE = timedelta(minutes=2)
# A reminder or digest sent later than this after its due time says it is late, and when it was due. Equal
# to the lease, so a row sent again after a crash (at the earliest once its lease ran out, and it was
# claimed no earlier than its due time) is always marked late; a broadcast's tail that takes longer than
# this is marked too, which is true.
LATE_AFTER = CLAIM_LEASE
# "Going cold": a contact with no open follow-up and no touch for this many days gets a follow-up of its
# own, in the morning's digest. Per status; customers and repeat buyers share the customers' setting, a
# lost contact has its win-back instead. The rep changes them in /settings (0: never).
QUIET_DAYS = {"lead": 30, "prospect": 14, "customer": 90}
QUIET_DAY_CHOICES = (0, 7, 14, 30, 60, 90, 180)
QUIET_STATUSES = {"lead": ("lead",), "prospect": ("prospect",), "customer": ("customer", "repeat_buyer")}
# At most this many contacts go cold in one digest, the longest silent first: a book imported in one day
# falls quiet on one day, and comes back a few a morning instead of all at once.
COLD_PER_DIGEST = 5
# Failed sends wait longer each time, up to a ceiling; after MAX_ATTEMPTS the row is given up on.
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_MAX = timedelta(minutes=10)
MAX_ATTEMPTS = 8
# A digest whose time passed this recently is still planned for today.
PLAN_GRACE = timedelta(minutes=5)


class FollowUpState(StrEnum):
    """Where a follow-up is: open (waiting, being sent, or sent and not yet acted on), or finished."""

    PENDING = "pending"
    CLAIMED = "claimed"  # a dispatcher is sending it
    SENT = "sent"  # the reminder is in the chat, waiting for the rep
    DONE = "done"  # the rep logged an outcome; the next step is still to choose
    LOST = "lost"  # marked lost from the reminder; a win-back may follow
    CLOSED = "closed"
    FAILED = "failed"  # given up on after repeated failed sends


OPEN_STATES = (FollowUpState.PENDING, FollowUpState.CLAIMED, FollowUpState.SENT)


class FollowUpKind(StrEnum):
    NEXT = "next"  # a next step
    WIN_BACK = "winback"  # a lost contact to try again
    COLD = "cold"  # a contact gone quiet (QUIET_DAYS), brought back by the digest


class Snooze(StrEnum):
    HOUR = "1h"
    TOMORROW = "1d"
    NEXT_WEEK = "1w"


class LostReason(StrEnum):
    """Why a lead or prospect did not buy, as the source documents list the reasons."""

    BUDGET = "budget"
    CHANGED_NEEDS = "needs"
    COMPETITOR = "competitor"
    PRIORITIES = "priorities"
    NO_DECISION_MAKER = "nodecider"
    UNRESPONSIVE = "silent"
    POOR_FIT = "fit"
    OTHER = "other"


class Outcome(StrEnum):
    """What happened when the rep followed up."""

    MET = "met"
    CALLED = "called"
    NO_ANSWER = "noanswer"
    MESSAGED = "messaged"  # wrote to them (the card's or reminder's drafted message, or otherwise)
    OTHER = "other"


WIN_BACK_MONTHS = (3, 6, 12)


def snooze_until(choice: Snooze, now: datetime, zone: ZoneInfo, working_days: Collection[int]) -> datetime:
    """1 hour from now, or tomorrow or a week from today at 09:00 local, on one of the rep's working days
    (as the one-tap next steps)."""
    if choice is Snooze.HOUR:
        return now + timedelta(hours=1)
    days = 1 if choice is Snooze.TOMORROW else 7
    day = on_working_day(now.astimezone(zone).date() + timedelta(days=days), working_days)
    return local_to_utc(day, DEFAULT_DUE_TIME, zone)


def put_off_to_next_day(
    due: datetime, now: datetime, zone: ZoneInfo, working_days: Collection[int]
) -> datetime:
    """A follow-up put off from the morning digest: the next working day after today, at the follow-up's
    own time of day (a 14:00 call stays a 14:00 call; an overdue one keeps the time it was planned for).
    The same tap twice gives the same instant."""
    day = on_working_day(now.astimezone(zone).date() + timedelta(days=1), working_days)
    return local_to_utc(day, due.astimezone(zone).time().replace(tzinfo=None), zone)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def win_back_due(months: int, now: datetime, zone: ZoneInfo) -> datetime:
    return local_to_utc(add_months(now.astimezone(zone).date(), months), DEFAULT_DUE_TIME, zone)


def is_late(due: datetime, now: datetime) -> bool:
    """Whether a message due at `due` and sent at `now` says it is late: more than LATE_AFTER after."""
    return now - due > LATE_AFTER


def retry_at(attempts: int, now: datetime) -> datetime:
    """When a send that failed `attempts` times may be tried again: 5 s, 10 s, 20 s ... up to 10 min."""
    delay: timedelta = min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)
    return now + delay


def parse_working_days(text: str) -> frozenset[int]:
    """ "12345" -> ISO weekdays Monday to Friday."""
    return frozenset(int(char) for char in text if char in "1234567")


def toggle_working_day(days: str, day: str) -> str | None:
    """The working days ("12345") with `day` ("1" to "7") switched on or off; None for no such day."""
    if len(day) != 1 or day not in "1234567":
        return None
    return "".join(str(weekday) for weekday in sorted(parse_working_days(days) ^ {int(day)}))


def next_digest(
    now: datetime, zone: ZoneInfo, at: time, working_days: frozenset[int], after: date | None
) -> tuple[date, datetime] | None:
    """The next digest: the first working day, from today on and after `after` (the last day that has a
    digest already), whose digest time is still ahead (or only just passed: a rep who changes the time
    a moment before it, or a dispatcher run that lands on it, still gets today's). Keyed by the local
    date, so a day whose 09:00 happens twice (the autumn fold) or not at all (a spring gap) has one."""
    if not working_days:
        return None
    day = now.astimezone(zone).date()
    if after is not None and after >= day:
        day = after + timedelta(days=1)
    for _ in range(14):
        due = local_to_utc(day, at, zone)
        if day.isoweekday() in working_days and due > now - PLAN_GRACE:
            return day, due
        day += timedelta(days=1)
    return None


def digest_is_stale(local_date: date, now: datetime, zone: ZoneInfo) -> bool:
    """A digest for a day that is over (the bot was down all that day) is skipped, not sent late."""
    return local_date < now.astimezone(zone).date()


@dataclass(frozen=True)
class DayWindow:
    """A local calendar day as UTC instants [start, end)."""

    start: datetime
    end: datetime


def local_day(now: datetime, zone: ZoneInfo) -> DayWindow:
    today = now.astimezone(zone).date()
    return DayWindow(
        local_to_utc(today, time(0, 0), zone), local_to_utc(today + timedelta(days=1), time(0, 0), zone)
    )


def month_starts(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime, datetime]:
    """The starts of last month, this month and next month in the rep's zone, as UTC instants."""
    today = now.astimezone(zone).date()
    this = today.replace(day=1)
    previous = add_months(this, -1)
    following = add_months(this, 1)
    return tuple(local_to_utc(day, time(0, 0), zone) for day in (previous, this, following))  # type: ignore[return-value]


def quiet_days(chosen: Mapping[str, int] | None) -> dict[str, int]:
    """The rep's days of silence per status group (QUIET_DAYS), their own choices over the defaults."""
    return QUIET_DAYS | {group: days for group, days in (chosen or {}).items() if group in QUIET_DAYS}
