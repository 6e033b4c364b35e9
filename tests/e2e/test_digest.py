"""The daily digest at the rep's time, and /today: what is due, what is overdue, who is going quiet."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.factories import FakeClock, RepChat, add_contacts, capture, storage_of
from tests.fake_bot_api import FakeBotAPI


def rep_row(app: Any, rep: RepChat) -> Any:
    return storage_of(app).reps.get_rep(telegram_id=rep.user_id)


async def set_rep(app: Any, rep: RepChat, **changes: Any) -> None:
    """Change the rep's settings directly (the settings flow has tests of its own)."""
    if rep_row(app, rep) is None:
        await rep.send("/help")
    storage_of(app).reps.update_rep(rep_id=rep_row(app, rep).id, **changes)


def digests(rep: RepChat) -> list[str]:
    return [m.text or "" for m in rep.messages if "Your day" in (m.text or "")]


async def dispatch(app: Any) -> int:
    sent: int = await app.bot_data.dispatcher.run_once()
    return sent


async def test_the_digest_comes_at_the_reps_time_with_today_and_overdue(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await set_rep(app, rep, timezone="Europe/Helsinki", digest_time=time(8, 30))
    await capture(rep, "Anna Virtanen, Acme Oy")  # tomorrow 09:00 Helsinki
    await capture(rep, "Pekka Salo", "Next week")
    clock.now = datetime(2026, 11, 26, 6, 29, tzinfo=UTC)  # 08:29 in Helsinki
    await dispatch(app)  # the 09:00 reminder is not due; the 08:30 digest not yet
    assert digests(rep) == []
    clock.now = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
    await dispatch(app)
    [digest] = digests(rep)
    assert "Your day: Thu 26 Nov" in digest
    assert "Today (1)" in digest and "1. 09:00 · Anna Virtanen, Acme Oy" in digest
    assert "Pekka" not in digest
    await rep.press("1. Anna Virtanen")
    assert "Anna Virtanen" in rep.last_text and "Lead:" in rep.last_text
    # A week later Anna's follow-up, never handled, is overdue, and Pekka's is today.
    clock.now = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    await dispatch(app)
    latest = digests(rep)[-1]
    assert "Overdue (1)" in latest and "Thu 26 Nov, 09:00 · Anna Virtanen" in latest
    assert "Today (1)" in latest and "Pekka Salo" in latest


async def test_a_digest_sent_minutes_after_its_time_says_it_is_late(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await set_rep(app, rep, timezone="Europe/Helsinki", digest_time=time(8, 30))
    await capture(rep, "Anna Virtanen, Acme Oy")  # tomorrow 09:00, so both mornings have something to say
    await dispatch(app)  # plans tomorrow's digest
    clock.now = datetime(2026, 11, 26, 6, 33, tzinfo=UTC)  # 08:33 in Helsinki: after a crash and a restart
    await dispatch(app)
    [digest] = digests(rep)
    assert "Sent late: this digest was due Thu 26 Nov, 08:30." in digest
    clock.now = datetime(2026, 11, 27, 6, 31, tzinfo=UTC)  # a minute behind is not late
    await dispatch(app)
    assert "Sent late" not in digests(rep)[-1]


async def test_a_prospect_gone_quiet_goes_cold_once_and_birthdays(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", "No next step", qualified=True)
    repo = storage_of(app)
    with repo.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE contact SET birthday = ?", (date(1980, 12, 11),))
    clock.now = datetime(2026, 12, 11, 8, 0, tzinfo=UTC)  # 16 days without a word: prospects go cold after 14
    await rep.send("/today")
    digest = rep.last_text
    assert "🥶 Going cold (1)" in digest and "1. Anna Virtanen, Acme Oy · last contact Wed 25 Nov" in digest
    assert "Birthdays 🎂 (1)" in digest
    # The digest is its reminder: Done and Snooze on its row, and no reminder message of its own.
    assert rep.button_labels[:3] == ["1. Anna Virtanen", "✅", "💤"]
    await dispatch(app)
    assert not any("Going cold:" in (message.text or "") for message in rep.messages)
    await rep.send("/today")
    assert "Going cold (1)" in rep.last_text  # the same follow-up, not a second one
    await rep.press("✅")
    assert rep.last_text.startswith("🥶 Going cold: Anna Virtanen, Acme Oy")
    await rep.press("Called")
    with repo.engine.connect() as connection:
        kinds = connection.exec_driver_sql("SELECT kind, state FROM followup ORDER BY id").all()
    assert [tuple(row) for row in kinds] == [("cold", "done")]
    clock.now = datetime(2026, 12, 12, 8, 0, tzinfo=UTC)
    await rep.send("/today")
    assert "Going cold" not in rep.last_text  # just called: a new silence, counted from today


async def test_no_digest_on_an_empty_day_unless_asked(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await rep.send("/start")
    clock.now = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    await dispatch(app)
    assert digests(rep) == []
    await set_rep(app, rep, digest_when_empty=True)
    clock.now = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    await dispatch(app)
    [digest] = digests(rep)
    assert "Nothing due today" in digest


async def test_no_digest_on_days_off(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await set_rep(app, rep, digest_when_empty=True)
    clock.now = datetime(2026, 11, 28, 8, 30, tzinfo=UTC)  # Saturday
    await dispatch(app)
    clock.now = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)  # Sunday
    await dispatch(app)
    assert digests(rep) == []
    clock.now = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # Monday
    await dispatch(app)
    assert len(digests(rep)) == 1


async def test_working_days_and_empty_digest_are_set_in_settings(rep: RepChat, app: Any) -> None:
    await rep.send("/settings")
    assert "Mon, Tue, Wed, Thu, Fri" in rep.last_text and "nothing due: no" in rep.last_text
    await rep.press("📅 Working days")
    await rep.press("✓ Fri")
    await rep.press("Sat")
    await rep.press("◀ Back")
    assert "Mon, Tue, Wed, Thu, Sat" in rep.last_text
    await rep.press("🔔 Empty digest")
    assert "nothing due: yes" in rep.last_text
    stored = rep_row(app, rep)
    assert (stored.working_days, stored.digest_when_empty) == ("12346", True)


async def test_a_long_digest_stays_within_telegrams_limit(rep: RepChat, app: Any, clock: FakeClock) -> None:
    for index in range(30):
        await capture(rep, f"{'Contact with a really long name ' * 5}{index}, Company {index}")
    old = clock.now - timedelta(days=30)
    add_contacts(storage_of(app).engine, rep_row(app, rep).id, old, 10, last_touch_at=old)
    clock.now = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    await rep.send("/today")
    # A long section shows its first lines and how many more; the sections after it still show.
    assert "Today (30)" in rep.last_text and "…and 24 more" in rep.last_text
    assert "Going cold (5)" in rep.last_text
    assert (
        "Everyone is in /leads, /prospects, /customers and /lost, the next follow-up first." in rep.last_text
    )
    # The first six follow-ups have a row each (card, ✅, 💤); the others their cards, two to a row.
    assert len(rep.last_text) <= 4096 and len(rep.button_labels) == 6 * 3 + 5


async def test_today_with_nothing_due(rep: RepChat) -> None:
    await rep.send("/today")
    assert "Nothing due today" in rep.last_text


@pytest.mark.parametrize(
    ("zone", "spring_forward", "fall_back"),
    [
        ("Europe/Helsinki", date(2026, 3, 29), date(2026, 10, 25)),
        ("Europe/Oslo", date(2026, 3, 29), date(2026, 10, 25)),
        ("Europe/Budapest", date(2026, 3, 29), date(2026, 10, 25)),
        ("Europe/Paris", date(2026, 3, 29), date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
    ],
)
async def test_the_nine_oclock_digest_is_sent_once_on_dst_days(
    rep: RepChat, app: Any, clock: FakeClock, zone: str, spring_forward: date, fall_back: date
) -> None:
    await set_rep(
        app, rep, timezone=zone, digest_time=time(9, 0), digest_when_empty=True, working_days="1234567"
    )
    local = ZoneInfo(zone)
    for day in (spring_forward, fall_back):
        clock.now = datetime.combine(day - timedelta(days=1), time(12, 0), tzinfo=local).astimezone(UTC)
        end = clock.now + timedelta(days=2)
        before = len(digests(rep))
        while clock.now < end:
            await dispatch(app)
            clock.advance(timedelta(minutes=20))
        sent = digests(rep)[before:]
        assert len(sent) == 2, f"{zone}: one digest on the day before and one on the DST day"
        assert all("Nothing due today" in text for text in sent)


async def test_a_reminder_in_the_dst_gap_and_in_the_fold_is_sent_once(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await set_rep(app, rep, timezone="Europe/Helsinki", working_days="")
    for typed, night in (("29.3.2026 03:30", date(2026, 3, 29)), ("25.10.2026 03:30", date(2026, 10, 25))):
        clock.now = datetime.combine(night - timedelta(days=1), time(12, 0), tzinfo=UTC)
        await rep.send(f"Night Owl {typed[:5]}")
        await rep.press("Skip")
        await rep.press("⏩ Finish")
        await rep.press("📅 Type a date")
        await rep.send(typed)
        await rep.press("✅ Save")
        before = sum("Follow up: Night Owl" in (m.text or "") for m in rep.messages)
        end = clock.now + timedelta(days=1)
        while clock.now < end:
            await dispatch(app)
            clock.advance(timedelta(minutes=15))
        after = sum("Follow up: Night Owl" in (m.text or "") for m in rep.messages)
        assert after - before == 1, typed


async def test_the_monday_digest_sums_up_the_week_when_asked(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", "No next step", qualified=True)
    await capture(rep, "Pekka Salo", "No next step")
    await rep.send("/settings")
    await rep.press("📈 Weekly summary")
    assert "Weekly summary on Mondays: yes" in rep.last_text
    clock.now = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)  # Friday: nothing to say, no digest
    await dispatch(app)
    assert digests(rep) == []
    clock.now = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # Monday
    await dispatch(app)
    [monday] = digests(rep)
    assert "Last week: new leads 1, new prospects 1, won 0." in monday


async def test_a_big_book_gone_quiet_comes_back_a_few_each_morning(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await rep.send("/help")
    repo = storage_of(app)
    add_contacts(repo.engine, rep_row(app, rep).id, clock(), 120, last_touch_at=clock() - timedelta(days=30))
    await rep.send("/today")
    assert "Going cold (5)" in rep.last_text and "Virtanen 0004" in rep.last_text
    await rep.send("/today")
    assert "Going cold (5)" in rep.last_text
    clock.advance(timedelta(days=1))
    await rep.send("/today")
    assert "Going cold (10)" in rep.last_text and "…and 4 more" in rep.last_text


def followup_of(app: Any, rep: RepChat) -> Any:
    """The rep's first follow-up, as stored."""
    repo = storage_of(app)
    with repo.engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT f.id, f.state, f.due_at, f.message_id FROM followup f JOIN rep r ON r.id = f.owner_id "
            "WHERE r.telegram_id = ? ORDER BY f.id",
            (rep.user_id,),
        ).first()
    return row


async def morning_digest(app: Any, rep: RepChat, clock: FakeClock, *, language: str = "en") -> Any:
    """Anna captured with a follow-up tomorrow at 09:00 in Helsinki, and the 08:30 digest that lists it."""
    await set_rep(app, rep, timezone="Europe/Helsinki", digest_time=time(8, 30))
    await capture(rep, "Anna Virtanen, Acme Oy")
    await set_rep(app, rep, language=language)
    clock.now = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # Thursday 08:30 in Helsinki
    await dispatch(app)
    return rep.last


async def test_done_from_the_digest_opens_the_reminders_flow_in_a_message_of_its_own(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    digest = await morning_digest(app, rep, clock)
    read = digest.text
    assert [label for row in rep.fake.buttons(digest) for label, _ in row] == [
        "1. Anna Virtanen",
        "✅",
        "💤",
    ]
    await rep.press("✅", message=digest)
    opened = rep.last
    assert opened.message_id != digest.message_id
    assert "Follow up: Anna Virtanen, Acme Oy" in opened.text and "How did it go?" in opened.text
    # The digest reads as it did; its row keeps only the card.
    assert digest.text == read
    assert [label for row in rep.fake.buttons(digest) for label, _ in row] == ["1. Anna Virtanen"]
    # A second tap on the digest as the rep still saw it opens nothing more.
    before = len(rep.messages)
    toast = await rep.press_data(followup_button(app, rep, "dd"), message=digest)
    assert toast == "This follow-up is already open in a message below: carry on there."
    assert len(rep.messages) == before
    await rep.press("Met", message=opened)
    await rep.send("Wants a quote by Friday")
    assert "Note saved" in rep.last_text
    await rep.press("In 3 days")
    assert "Next step: Mon 30 Nov, 09:00" in rep.last_text
    assert followup_of(app, rep)[1] == "closed"
    [interaction] = interactions_of(app, "met")
    assert interaction == "Wants a quote by Friday"
    # Once done, the old row's ✅ says so and logs nothing twice.
    alert = await rep.press_data(followup_button(app, rep, "dd", state="closed"), message=digest)
    assert alert == "This follow-up was already handled."
    assert len(interactions_of(app, "met")) == 1


async def test_snooze_from_the_digest_puts_it_off_to_the_next_working_day_in_one_tap(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    digest = await morning_digest(app, rep, clock, language="fi")
    read = digest.text
    assert "Päiväsi: to 26.11." in read and "1. 9.00 · Anna Virtanen, Acme Oy" in read
    toast = await rep.press("💤", message=digest)
    assert toast == "💤 Torkutetaan pe 27.11. 9.00 (huomenna) asti."
    assert str(followup_of(app, rep)[2]).startswith("2026-11-27 07:00:00")  # Friday 09:00 in Helsinki
    assert digest.text == read
    [[row]] = rep.fake.buttons(digest)
    assert row[0].startswith("1. Anna Virtanen") and "💤" in row[0]
    before = len(rep.messages)
    clock.now = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 09:00, when it was due: not today any more
    await dispatch(app)
    assert len(rep.messages) == before
    clock.now = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    await dispatch(app)
    assert "Anna Virtanen" in rep.last_text and rep.last.message_id != digest.message_id


async def test_a_digest_row_for_a_follow_up_not_the_reps_own_changes_nothing(
    rep: RepChat, other_rep: RepChat, app: Any, clock: FakeClock
) -> None:
    digest = await morning_digest(app, rep, clock)
    anna = followup_of(app, rep)
    await other_rep.send("/start")
    for data in (f"fu:{anna[0]}:dd", f"fu:{anna[0]}:ds", "fu:999999:ds"):
        alert = await other_rep.press_data(data, message=digest)
        assert alert == "This button has expired. Nothing was changed."
    assert followup_of(app, rep)[1:3] == anna[1:3]


def followup_button(app: Any, rep: RepChat, action: str, *, state: str = "pending") -> str:
    followup = followup_of(app, rep)
    assert followup[1] in (state, "sent")
    return f"fu:{followup[0]}:{action}"


def interactions_of(app: Any, kind: str) -> list[str | None]:
    with storage_of(app).engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT note FROM interaction WHERE kind = ? ORDER BY id", (kind,)
        ).all()
    return [row[0] for row in rows]


async def test_the_days_before_contacts_go_cold_are_set_per_status_in_settings(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await rep.send("/settings")
    await rep.press("🥶 Going cold")
    assert "Lead: 30 days\nProspect: 14 days\nCustomer: 90 days" in rep.last_text
    assert rep.button_labels == ["Lead", "Prospect", "Customer", "◀ Back"]
    await rep.press("Lead")
    assert "Lead: after how many days without contact does a contact go cold?" in rep.last_text
    assert rep.button_labels[:8] == [
        "Never",
        "7 days",
        "14 days",
        "✓ 30 days",
        "60 days",
        "90 days",
        "180 days",
        "◀ Back",
    ]
    assert [len(row) for row in rep.fake.buttons(rep.last)] == [3, 3, 1, 1]  # three to a row on a phone
    await rep.press("7 days")
    await rep.press("Customer")
    await rep.press("Never")
    assert "Lead: 7 days\nProspect: 14 days\nCustomer: Never" in rep.last_text
    assert rep_row(app, rep).quiet_days == {"lead": 7, "customer": 0}
    # Days and statuses not offered are refused, and nothing changes.
    expired = "This button has expired. Nothing was changed."
    for data in ("cd:lead:8", "cd:lost:30", "cd:lost", "cd:lead:x", "st:coldd:lead.7"):
        assert await rep.press_data(data) == expired
    assert rep_row(app, rep).quiet_days == {"lead": 7, "customer": 0}
    # A lead quiet for 8 days now goes cold.
    add_contacts(
        storage_of(app).engine,
        rep_row(app, rep).id,
        clock(),
        1,
        status="lead",
        last_touch_at=clock() - timedelta(days=8),
    )
    await rep.send("/today")
    assert "Going cold (1)" in rep.last_text


async def test_going_cold_in_hungarian(app: Any, fake: FakeBotAPI, clock: FakeClock) -> None:
    rep = RepChat(app, fake, user_id=5020, first_name="Csilla", clock=clock, language_code="hu")
    await rep.send("/settings")
    await rep.press("🥶 Kihűlők")
    assert "Érdeklődő: 30 nap\nPotenciális ügyfél: 14 nap\nÜgyfél: 90 nap" in rep.last_text
    add_contacts(
        storage_of(app).engine, rep_row(app, rep).id, clock(), 1, last_touch_at=clock() - timedelta(days=20)
    )
    await rep.send("/today")
    assert "🥶 Kihűlőben (1): egy ideje nem volt kapcsolat" in rep.last_text
    assert "Virtanen 0000 · utoljára:" in rep.last_text
