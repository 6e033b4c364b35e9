"""The live calendar: a rep's private subscription address, and the iCalendar feed (RFC 5545) it serves of
their open follow-ups and their contacts' birthdays.

The address holds a token of 256 random bits. Only its SHA-256 is stored, so a copy of the database gives
no working address; a presented token is hashed and compared with the stored hash in constant time. The
feed's body is a function of what it shows and of when that last changed (`changed_at`, the DTSTAMP), so
an unchanged calendar reads the same on every poll and its ETag lets a calendar app poll for a 304.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar

from bot.i18n import Translator

# 32 bytes: 256 bits, 43 characters of A-Z a-z 0-9 _ -.
TOKEN_BYTES: Final = 32
TOKEN_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{43}")
FEED_PREFIX: Final = "/calendar/"
FEED_SUFFIX: Final = ".ics"
# A follow-up is a slot of this length in the rep's day.
FOLLOW_UP_MINUTES: Final = 15
# What calendar apps that honour it (RFC 7986 REFRESH-INTERVAL, Outlook's X-PUBLISHED-TTL) poll at.
REFRESH: Final = timedelta(hours=1)
PRODUCT: Final = "-//Prospect bot//Calendar//EN"
# The DTSTAMP of the body whose hash is the content's: any fixed instant.
_HASHED_STAMP: Final = datetime(2000, 1, 1, tzinfo=UTC)


def new_token() -> str:
    """A fresh token for a subscription address."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    """Whether `token` could have been made by `new_token` (anything else is refused without a query)."""
    return TOKEN_SHAPE.fullmatch(token) is not None


def hash_matches(token: str, stored_hash: str) -> bool:
    """The token hashes to the stored hash, compared in constant time."""
    return hmac.compare_digest(token_hash(token).encode(), stored_hash.encode())


def token_from_path(path: str) -> str | None:
    """The token of a feed's path (`/calendar/<token>.ics`), or None."""
    if not (path.startswith(FEED_PREFIX) and path.endswith(FEED_SUFFIX)):
        return None
    token = path[len(FEED_PREFIX) : -len(FEED_SUFFIX)]
    return token if well_formed(token) else None


@dataclass(frozen=True)
class FeedAddress:
    """A subscription address in its two forms: https (to paste) and webcal (to open in a calendar app)."""

    https: str
    webcal: str


def feed_address(base_url: str, token: str) -> FeedAddress:
    """The address of the feed with this token, under the bot's public URL."""
    url = f"{base_url.rstrip('/')}{FEED_PREFIX}{token}{FEED_SUFFIX}"
    return FeedAddress(https=url, webcal="webcal://" + url.split("://", 1)[1])


def uid_domain(base_url: str) -> str:
    """The right-hand side of the events' UIDs: the bot's host, so they are unique beyond this bot."""
    return urlsplit(base_url).hostname or "prospect-bot"


@dataclass(frozen=True)
class CalendarFollowUp:
    """An open follow-up as the calendar shows it."""

    id: int
    due_at: datetime
    winback: bool
    name: str
    company: str | None
    note: str | None


@dataclass(frozen=True)
class CalendarBirthday:
    """A contact's birthday (year 1904: given without the year)."""

    contact_id: int
    name: str
    company: str | None
    birthday: date


@dataclass(frozen=True)
class FeedContent:
    """Everything one rep's feed shows, in the rep's language and zone."""

    language: str
    timezone: str
    followups: Sequence[CalendarFollowUp]
    birthdays: Sequence[CalendarBirthday]


def _who(t: Translator, kind: str, name: str, company: str | None) -> str:
    if company:
        return t.plain(f"calendar.{kind}_company", name=name, company=company)
    return t.plain(f"calendar.{kind}", name=name)


def feed_ics(content: FeedContent, *, domain: str, stamp: datetime) -> bytes:
    """The iCalendar body: one event per follow-up at its time in the rep's zone (with its VTIMEZONE),
    one all-day event per birthday repeating yearly; UIDs stable per follow-up and per contact, so a
    moved follow-up or a changed birthday updates in place."""
    t = Translator(content.language)
    zone = ZoneInfo(content.timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", t.plain("calendar.name"))
    calendar.add("x-wr-timezone", zone.key)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # REFRESH, as Outlook reads it
    for followup in content.followups:
        event = icalendar.Event()
        event.add("uid", f"followup-{followup.id}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", followup.due_at.astimezone(zone))
        event.add("duration", timedelta(minutes=FOLLOW_UP_MINUTES))
        kind = "winback" if followup.winback else "followup"
        event.add("summary", _who(t, kind, followup.name, followup.company))
        if followup.note:
            event.add("description", followup.note)
        calendar.add_component(event)
    for birthday in content.birthdays:
        event = icalendar.Event()
        event.add("uid", f"birthday-{birthday.contact_id}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", birthday.birthday)
        event.add("rrule", _yearly(birthday.birthday))
        event.add("summary", _who(t, "birthday", birthday.name, birthday.company))
        event.add("transp", "TRANSPARENT")  # a birthday does not make the rep busy
        calendar.add_component(event)
    if content.followups:
        # The zone's rules over the years the follow-ups fall in, rather than icalendar's 1970-2038.
        times = [followup.due_at.astimezone(zone) for followup in content.followups]
        first, last = min(times).date(), max(times).date()
        calendar.add_missing_timezones(
            first_date=date(first.year, 1, 1), last_date=date(last.year + 1, 12, 31)
        )
    return bytes(calendar.to_ical())


def _yearly(day: date) -> dict[str, object]:
    # Yearly from 29 February would skip three years in four (RFC 5545 drops invalid dates): such a
    # birthday falls on February's last day instead.
    if (day.month, day.day) == (2, 29):
        return {"freq": "yearly", "bymonth": 2, "bymonthday": -1}
    return {"freq": "yearly"}


def content_hash(content: FeedContent, *, domain: str) -> str:
    """The hash of what the feed shows, whatever its DTSTAMP: it changes exactly when the body would."""
    return hashlib.sha256(feed_ics(content, domain=domain, stamp=_HASHED_STAMP)).hexdigest()
