"""Reminders end to end: sent at the due time in the rep's zone, and every button a rep can tap."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_SUBMITTED, JobEvent

from bot.schedule import OPEN_STATES
from storage.contacts import ContactOrder
from storage.models import FollowUp, Interaction
from tests.factories import FakeClock, FakeMonotonic, RepChat, storage_of
from tests.fake_bot_api import FakeBotAPI


async def capture_with_next_step(
    rep: RepChat, name: str = "Anna Virtanen, Acme Oy", step: str = "Tomorrow"
) -> None:
    """Capture a contact with a next step; the rep's digest is switched off so only reminders arrive."""
    repo = storage_of(rep.app)
    await rep.send(name)
    repo.reps.update_rep(rep_id=repo.reps.get_rep(telegram_id=rep.user_id).id, working_days="")
    if "," not in name:
        await rep.press("Skip")
    await rep.press("Yes")
    await rep.press("⏩ Finish")
    await rep.press(step)
    await rep.press("✅ Save")


async def dispatch(app: Any) -> int:
    sent: int = await app.bot_data.dispatcher.run_once()
    return sent


def contact_of(app: Any, rep: RepChat, name: str = "anna") -> Any:
    repo = storage_of(app)
    owner = repo.reps.get_rep(telegram_id=rep.user_id)
    [item] = repo.contacts.find_contacts(owner_id=owner.id, text=name, offset=0, limit=5).items
    return repo.contacts.get_contact(owner_id=owner.id, contact_id=item.id)


async def test_a_reminder_comes_at_the_due_time_once(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await capture_with_next_step(rep)
    before = len(rep.messages)
    assert await dispatch(app) == 0  # not due yet
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # tomorrow 09:00 in UTC, the rep's zone
    assert await dispatch(app) == 1
    assert len(rep.messages) == before + 1
    text = rep.last_text
    assert "Follow up: Anna Virtanen, Acme Oy" in text
    assert "Lead · score" in text and "Planned for Thu 26 Nov, 09:00" in text
    assert "late" not in text
    labels = ["✅ Done", "💤 Snooze", "📅 Reschedule", "✖ Lost", "📋 Copy message", "👤 Card"]
    assert rep.button_labels == labels
    clock.advance(timedelta(minutes=5))
    assert await dispatch(app) == 0  # exactly once


async def test_done_logs_the_outcome_a_note_and_the_next_step(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    await rep.press("✅ Done")
    assert "How did it go?" in rep.last_text
    await rep.press("Met")
    assert "Logged: Met" in rep.last_text
    await rep.send("Wants a quote by Friday <urgent> & cheap")
    assert "Note saved" in rep.last_text
    await rep.press("In 3 days")
    assert "Next step: Sun 29 Nov, 09:00" in rep.last_text
    anna = contact_of(app, rep)
    assert anna.touches == 2
    assert anna.latest_note == "Wants a quote by Friday <urgent> & cheap"
    assert anna.next_due == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    # The typed note was not taken as a new contact's name.
    assert (
        storage_of(app).drafts.get_open_draft(
            owner_id=storage_of(app).reps.get_rep(telegram_id=rep.user_id).id
        )
        is None
    )
    clock.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert await dispatch(app) == 1


async def test_snooze_one_hour_sends_it_again_an_hour_later(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    await rep.press("💤 Snooze")
    await rep.press("1 hour")
    assert "Snoozed until Thu 26 Nov, 10:00" in rep.last_text
    assert rep.fake.buttons(rep.last) == []
    clock.advance(timedelta(minutes=59))
    assert await dispatch(app) == 0
    clock.advance(timedelta(minutes=1))
    assert await dispatch(app) == 1
    assert "Follow up: Anna Virtanen" in rep.last_text


async def test_reschedule_by_typed_date_confirms_what_it_understood(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    reminder_id = rep.last.message_id
    await rep.press("📅 Reschedule")
    await rep.send("someday maybe")
    assert "couldn't read “someday maybe” as a date" in rep.last_text
    await rep.send("next friday 14:00")
    assert "Understood: Fri 27 Nov, 14:00" in rep.last_text
    reminder = next(m for m in rep.messages if m.message_id == reminder_id)
    assert "When?" in (reminder.text or "") and reminder.reply_markup
    await rep.press("✓ Confirm")
    assert "Moved to Fri 27 Nov, 14:00" in rep.last_text
    # The reminder no longer asks for a date, and has no ◀ Back left to press.
    reminder = next(m for m in rep.messages if m.message_id == reminder_id)
    assert "When?" not in (reminder.text or "") and "Moved to Fri 27 Nov, 14:00" in (reminder.text or "")
    assert not (reminder.reply_markup or {}).get("inline_keyboard")
    assert contact_of(app, rep).next_due == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    clock.now = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert await dispatch(app) == 1


async def test_lost_with_a_reason_and_a_win_back_reminder(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    await rep.press("✖ Lost")
    await rep.press("Competitor")
    assert "Marked lost: Competitor" in rep.last_text
    await rep.press("In 3 months")
    # A date in another year says so: "Fri 26 Feb" alone would read as this February.
    assert "I'll remind you on Fri, 26 Feb 2027 (in 3 months)" in rep.last_text
    anna = contact_of(app, rep)
    assert (anna.status, anna.status_reasons) == ("lost", ("lost.competitor",))
    repo = storage_of(app)
    owner = repo.reps.get_rep(telegram_id=rep.user_id)
    assert (
        repo.contacts.list_contacts(
            owner_id=owner.id, status="lost", order=ContactOrder.NEWEST, offset=0, limit=5
        ).total
        == 1
    )
    clock.now = datetime(2027, 2, 26, 9, 0, tzinfo=UTC)
    assert await dispatch(app) == 1
    assert "Try again: Anna Virtanen" in rep.last_text
    # Lost for a reason, and no score that no longer means anything.
    assert "Lost: Competitor" in rep.last_text and "score" not in rep.last_text
    await rep.press("💤 Snooze")
    assert "Lost: Competitor" in rep.last_text and "score" not in rep.last_text


async def test_a_handled_reminders_buttons_change_nothing(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    followup_id = rep.button_data("💤 Snooze").split(":")[1]
    await rep.press("✅ Done")
    await rep.press("Called")
    await rep.press("No next step")
    assert "No next step scheduled" in rep.last_text
    for data in ("o:met", "s:1h", "lr:budget", "wb:3", "n:tomorrow", "done"):
        answer = await rep.press_data(f"fu:{followup_id}:{data}", message=rep.last)
        assert answer == "This follow-up was already handled."
    anna = contact_of(app, rep)
    assert (anna.status, anna.touches, anna.next_due) == ("lead", 2, None)


async def test_another_reps_reminder_buttons_are_refused(
    rep: RepChat, other_rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    followup_id = rep.button_data("💤 Snooze").split(":")[1]
    await other_rep.send("/today")
    for data in (f"fu:{followup_id}:lr:budget", f"fu:{followup_id}:s:1w", f"fu:{followup_id}:done"):
        answer = await other_rep.press_data(data, message=other_rep.last)
        assert answer == "This button has expired. Nothing was changed."
    assert contact_of(app, rep).status == "lead"
    assert all("Anna" not in (message.text or "") for message in other_rep.messages)


async def test_missed_while_down_are_sent_late_with_the_due_time(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture_with_next_step(rep)
    await capture_with_next_step(rep, "Pekka Salo, Nokia", "In 3 days")
    clock.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # the bot was down for days
    assert await dispatch(app) == 2
    texts = [message.text or "" for message in rep.messages[-2:]]
    assert "Sent late: this was due Thu 26 Nov, 09:00." in texts[0]
    assert "Sent late" in texts[1] and "Sat 28 Nov, 09:00" in texts[1]
    assert await dispatch(app) == 0


async def test_a_reminder_sent_three_minutes_after_its_time_says_it_is_late(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    # Three minutes is what a restart after a crash costs: the dead dispatcher's two-minute lease, then a run.
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 3, tzinfo=UTC)
    assert await dispatch(app) == 1
    assert "Follow up: Anna Virtanen" in rep.last_text
    assert "Sent late: this was due Thu 26 Nov, 09:00." in rep.last_text


async def test_a_reminder_a_minute_behind_is_not_called_late(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 1, tzinfo=UTC)
    assert await dispatch(app) == 1
    assert "late" not in rep.last_text


async def test_a_429_is_waited_out_and_the_reminder_still_arrives(
    rep: RepChat, app: Any, clock: FakeClock, fake: FakeBotAPI, pacing: FakeMonotonic
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    # More 429s than PTB's rate limiter retries by itself: the dispatcher waits them out too.
    fake.inject("sendMessage", "429", times=3)
    assert await dispatch(app) == 1
    assert "Follow up: Anna Virtanen" in rep.last_text
    assert any(seconds >= 1 for seconds in pacing.sleeps)


async def test_5xx_and_timeouts_are_retried_with_backoff(
    rep: RepChat, app: Any, clock: FakeClock, fake: FakeBotAPI
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    fake.inject("sendMessage", "5xx")
    assert await dispatch(app) == 0
    assert await dispatch(app) == 0  # backing off: not before 5 s have passed
    clock.advance(timedelta(seconds=6))
    fake.inject("sendMessage", "timeout")
    assert await dispatch(app) == 0
    clock.advance(timedelta(seconds=11))
    assert await dispatch(app) == 1
    assert "Follow up: Anna Virtanen" in rep.last_text


async def test_a_rep_who_blocked_the_bot_is_inactive_until_start(
    rep: RepChat, app: Any, clock: FakeClock, fake: FakeBotAPI
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    fake.blocked_users.add(rep.user_id)
    assert await dispatch(app) == 0
    repo = storage_of(app)
    assert repo.reps.get_rep(telegram_id=rep.user_id).active is False
    clock.advance(timedelta(days=1))
    assert await dispatch(app) == 0  # nothing more is tried
    fake.blocked_users.discard(rep.user_id)
    await rep.send("/start")
    assert repo.reps.get_rep(telegram_id=rep.user_id).active is True
    assert await dispatch(app) == 1  # the kept reminder, held back for the rep: not the bot's delay
    assert "This was due Thu 26 Nov, 09:00, while you had blocked me" in rep.last_text
    assert "Sent late" not in rep.last_text


async def test_one_bad_row_does_not_stop_the_others(
    rep: RepChat, other_rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture_with_next_step(rep)
    await capture_with_next_step(other_rep, "Ola Nordmann")
    repo = storage_of(app)
    broken = repo.reps.get_rep(telegram_id=rep.user_id)
    # A name Telegram refuses to render is the kind of row a bug could leave behind.
    with repo.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE contact SET name = ? WHERE owner_id = ?", ("x" * 5000, broken.id))
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert await dispatch(app) == 1
    assert "Ola Nordmann" in other_rep.last_text
    rep.fake.rejections.clear()  # the refused message was the point of this test


async def test_killed_between_claim_and_send_it_is_sent_once_the_claim_lapses(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    followups = storage_of(app).followups
    # A dispatcher claims the row and dies before sending.
    [claimed] = followups.claim_due_reminders(claimer="dead-dispatcher", lease=timedelta(minutes=2), limit=10)
    assert await dispatch(app) == 0  # still held by the dead one's lease
    clock.advance(timedelta(minutes=15))  # the restart
    assert await dispatch(app) == 1
    assert "Follow up: Anna Virtanen" in rep.last_text and "Sent late" in rep.last_text
    assert await dispatch(app) == 0
    assert claimed.contact_id == contact_of(app, rep).id


async def test_a_send_whose_answer_was_lost_may_repeat_but_is_never_lost(
    rep: RepChat, app: Any, clock: FakeClock, fake: FakeBotAPI
) -> None:
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    # Telegram delivers the message, but the answer never reaches the bot.
    fake.inject("sendMessage", "timeout_after_send")
    assert await dispatch(app) == 0
    clock.advance(timedelta(seconds=10))
    assert await dispatch(app) == 1
    copies = [m for m in rep.messages if "Follow up: Anna Virtanen" in (m.text or "")]
    assert len(copies) == 2
    clock.advance(timedelta(hours=1))
    assert await dispatch(app) == 0


def lost_as_stored(app: Any, rep: RepChat) -> dict[str, Any]:
    """What marking Anna lost left in the database, without the ids and times that differ per rep."""
    anna = contact_of(app, rep)
    engine = storage_of(app).engine
    with engine.connect() as connection:
        kinds = connection.execute(
            sa.select(Interaction.kind, Interaction.answers, Interaction.changes)
            .where(Interaction.contact_id == anna.id)
            .order_by(Interaction.id)
        ).all()
        states = connection.execute(
            sa.select(FollowUp.state).where(FollowUp.contact_id == anna.id).order_by(FollowUp.id)
        ).all()
    return {
        "status": (anna.status, anna.status_rule, anna.status_reasons, anna.lost_reason),
        "next_due": anna.next_due,
        "history": [(kind, answers, changes) for kind, answers, changes in kinds if kind != "meeting"],
        "open_followups": [state for (state,) in states if state in OPEN_STATES],
        "followups": len(states),
    }


async def test_lost_from_the_card_and_from_a_reminder_store_the_same(
    rep: RepChat, other_rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture_with_next_step(rep)
    await capture_with_next_step(other_rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert await dispatch(app) == 2
    # One rep from the reminder...
    await rep.press("✖ Lost")
    await rep.press("Competitor")
    assert "Marked lost: Competitor" in rep.last_text
    # ...the other from the card, while the reminder is still open.
    await other_rep.send("/find anna")
    await other_rep.press("1.")
    await other_rep.press("🏷 Status")
    await other_rep.press("→ Lost")
    await other_rep.press("Competitor")
    assert "Marked lost: Competitor" in other_rep.last_text

    from_reminder, from_card = lost_as_stored(app, rep), lost_as_stored(app, other_rep)
    assert from_reminder == from_card
    assert from_card == {
        "status": ("lost", "rep", ("lost.competitor",), "competitor"),
        "next_due": None,
        "history": [("lost", {"reason": "competitor"}, {"status": ["lead", "lost"]})],
        "open_followups": [],
        "followups": 1,
    }


async def test_ticks_during_a_run_longer_than_the_interval_return_quietly(
    start_app: Callable[..., Awaitable[Any]], caplog: pytest.LogCaptureFixture
) -> None:
    app = await start_app(dispatch_interval_seconds=0.01)
    dispatcher = app.bot_data.dispatcher
    finish = asyncio.Event()
    runs: list[int] = []

    async def long_run() -> int:
        # A broadcast still going when the next ticks come: it holds the run's lock, as run_once does.
        async with dispatcher._lock:
            runs.append(1)
            await finish.wait()
        return 0

    dispatcher.run_once = long_run
    ticks: list[JobEvent] = []
    app.job_queue.scheduler.add_listener(ticks.append, EVENT_JOB_SUBMITTED | EVENT_JOB_MAX_INSTANCES)
    caplog.set_level(logging.WARNING)
    await app.job_queue.start()
    try:
        for _ in range(1000):  # a bound on the wait, not a timing: the test needs a few ticks
            if len(ticks) >= 8:
                break
            await asyncio.sleep(0.01)
    finally:
        during = len(runs)  # once finished, a tick before the stop may start a run of its own
        finish.set()
        await app.job_queue.stop()
    assert len(ticks) >= 8 and during == 1
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


async def test_stopping_lets_a_running_job_finish_and_starts_none_after_it(
    start_app: Callable[..., Awaitable[Any]], caplog: pytest.LogCaptureFixture
) -> None:
    app = await start_app()
    job_queue = app.job_queue
    finish, started, ended = asyncio.Event(), [], []

    async def job(context: Any) -> None:
        started.append(context.job.name)
        await finish.wait()
        ended.append(context.job.name)

    job_queue.run_once(job, when=0, name="running")
    await job_queue.start()
    caplog.set_level(logging.WARNING)
    try:
        for _ in range(1000):  # a bound on the wait for the scheduler to start the first job
            if started:
                break
            await asyncio.sleep(0.01)
        stopping = asyncio.create_task(job_queue.stop())
        await asyncio.sleep(0)
        # Due while the stop waits for the running job: a tick of the dispatcher, say.
        job_queue.run_once(job, when=0, name="due meanwhile")
        await asyncio.sleep(0.2)
    finally:
        finish.set()
    await stopping
    assert started == ended == ["running"]
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
