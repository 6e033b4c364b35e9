"""The message router: a text typed after a question outside a capture goes to the question while it is
fresh, and later the bot asks what it is for; nothing is saved as a note unasked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.awaiting import FRESH
from tests.e2e.test_reminders import capture_with_next_step, contact_of, dispatch
from tests.factories import FakeClock, RepChat, storage_of


async def _reminder_done(rep: RepChat, app: Any, clock: FakeClock) -> None:
    """Anna's reminder is due; the rep taps Done and Met, and the bot asks for a note."""
    await capture_with_next_step(rep)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    await rep.press("✅ Done")
    await rep.press("Met")
    assert "Logged: Met" in rep.last_text


def _open_draft(app: Any, rep: RepChat) -> Any:
    repo = storage_of(app)
    return repo.drafts.get_open_draft(owner_id=repo.reps.get_rep(telegram_id=rep.user_id).id)


async def test_a_name_typed_long_after_the_note_prompt_is_not_saved_as_a_note(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await _reminder_done(rep, app, clock)
    clock.advance(FRESH + timedelta(minutes=4))  # the rep walked into the next meeting
    await rep.send("Bruno Berg, Nordic AB")
    assert "Bruno Berg, Nordic AB" in rep.last_text and "or a new contact" in rep.last_text
    assert rep.button_labels == ["📝 The reminder's note", "➕ A new contact"]
    assert contact_of(app, rep).latest_note is None, "saved as a note before the rep said so"
    await rep.press("➕ A new contact")
    draft = _open_draft(app, rep)
    assert draft is not None and (draft.answers.name, draft.answers.company) == ("Bruno Berg", "Nordic AB")
    assert "Bruno Berg" in rep.last_text and "Need?" in rep.last_text
    assert contact_of(app, rep).latest_note is None
    assert storage_of(app).reps.get_rep(telegram_id=rep.user_id).awaiting is None


async def test_a_late_note_is_saved_as_a_note_when_the_rep_says_so(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await _reminder_done(rep, app, clock)
    clock.advance(FRESH + timedelta(minutes=1))
    await rep.send("Wants a quote, call back Friday")
    await rep.press("📝 The reminder's note")
    assert "Note saved" in rep.last_text
    assert contact_of(app, rep).latest_note == "Wants a quote, call back Friday"
    assert _open_draft(app, rep) is None


async def test_a_note_typed_at_once_answers_the_prompt(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await _reminder_done(rep, app, clock)
    clock.advance(FRESH - timedelta(seconds=10))
    await rep.send("Bruno Berg, Nordic AB")
    assert "Note saved" in rep.last_text
    assert contact_of(app, rep).latest_note == "Bruno Berg, Nordic AB"


async def test_the_question_lapses_and_text_starts_a_capture(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await _reminder_done(rep, app, clock)
    clock.advance(timedelta(hours=1))
    await rep.send("Bruno Berg, Nordic AB")
    assert "Need?" in rep.last_text
    assert contact_of(app, rep).latest_note is None


async def test_an_old_which_offer_acts_on_nothing(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await _reminder_done(rep, app, clock)
    clock.advance(FRESH + timedelta(minutes=1))
    await rep.send("Bruno Berg, Nordic AB")
    offer = rep.last_with_buttons
    as_note = rep.button_data("📝 The reminder's note")
    await rep.press("➕ A new contact", message=offer)
    assert rep.fake.buttons(offer) == [], "the answered offer keeps no buttons"
    # Its other button, tapped from a stale screen, is spent: no second capture, no note.
    answer = await rep.press_data(as_note, message=offer)
    assert answer == "This button has expired. Nothing was changed."
    assert contact_of(app, rep).latest_note is None
    assert _open_draft(app, rep).answers.name == "Bruno Berg"


async def test_a_command_drops_the_question(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await _reminder_done(rep, app, clock)
    await rep.send("/today")
    await rep.send("Bruno Berg, Nordic AB")
    assert "Need?" in rep.last_text
    assert contact_of(app, rep).latest_note is None


async def test_an_edited_command_or_one_in_a_group_runs_nothing(rep: RepChat, app: Any) -> None:
    await rep.send("/leads")
    sent = len(rep.messages)
    edited = rep._message()
    edited["text"], edited["edit_date"] = "/leads", edited["date"] + 5
    edited["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
    await rep._process({"edited_message": edited})
    in_group = rep._message()
    in_group["chat"] = {"id": -100123, "type": "supergroup", "title": "Sales"}
    in_group["text"], in_group["entities"] = "/leads", [{"type": "bot_command", "offset": 0, "length": 6}]
    await rep._process({"message": in_group})
    assert len(rep.messages) == sent, "an edited or group command ran again"


async def test_two_late_names_both_become_contacts(rep: RepChat, app: Any, clock: FakeClock) -> None:
    await _reminder_done(rep, app, clock)
    clock.advance(FRESH + timedelta(minutes=1))
    await rep.send("Bruno Berg, Nordic AB")
    await rep.send("Carla Cruz, Sol SA")
    # Bruno's capture started; Carla waits behind it, offered as the next one. Neither is a note.
    assert "haven't finished capturing Bruno Berg" in rep.last_text
    await rep.press("➕ Start Carla Cruz")
    assert _open_draft(app, rep).answers.name == "Carla Cruz"
    assert contact_of(app, rep).latest_note is None


async def test_the_rep_s_choice_counts_however_late_it_comes(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await _reminder_done(rep, app, clock)
    clock.advance(timedelta(minutes=14))
    await rep.send("Bruno Berg, Nordic AB")
    clock.advance(timedelta(minutes=10))  # the question itself has lapsed meanwhile
    await rep.press("➕ A new contact")
    assert _open_draft(app, rep).answers.name == "Bruno Berg"
