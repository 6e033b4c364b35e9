"""Presses that arrive late: a double tap whose two halves reach two replicas, and an old button after a
restart. Neither shows the rep an error, and neither makes a request Telegram refuses (the `fake`
fixture fails the test on any refusal, `start_app` on any handler error)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tests.factories import FakeClock, RepChat, storage_of
from tests.fake_bot_api import FakeBotAPI

ERROR = "Sorry, something went wrong"


def _draft(app: Any, rep: RepChat) -> Any:
    repo = storage_of(app)
    return repo.drafts.get_open_draft(owner_id=repo.reps.get_rep(telegram_id=rep.user_id).id)


async def test_a_double_tap_across_two_replicas_is_saved_once_without_an_error(
    rep: RepChat, start_app: Callable[..., Awaitable[Any]], fake: FakeBotAPI, clock: FakeClock
) -> None:
    other_replica = await start_app()
    twin = RepChat(other_replica, fake, user_id=rep.user_id, first_name=rep.first_name, clock=clock)
    await rep.send("Anna Virtanen, Acme Oy")
    question = rep.last_with_buttons
    yes = rep.button_data("Yes")
    answers = await asyncio.gather(
        rep.press_data(yes, message=question), twin.press_data(yes, message=question)
    )
    assert sorted(answers, key=str) == [None, "That question was already answered."]
    [shown] = [m for m in rep.messages if m.message_id == question.message_id]
    assert "Budget?" in (shown.text or "")
    assert not any(ERROR in (m.text or "") for m in rep.messages)
    draft = _draft(rep.app, rep)
    assert draft.answers.need == "yes" and draft.answers.budget is None and draft.step.value == "budget"


async def test_an_old_button_after_a_restart_changes_nothing_and_redraws_nothing(
    rep: RepChat, start_app: Callable[..., Awaitable[Any]], fake: FakeBotAPI, clock: FakeClock
) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    question = rep.last_with_buttons
    need_yes = rep.button_data("Yes")
    await rep.press_data(need_yes, message=question)
    edits = next(m for m in rep.messages if m.message_id == question.message_id).edited_count
    rep.app = await start_app()  # a new process: it knows nothing of what the message shows
    clock.advance(timedelta(minutes=2))
    answer = await rep.press_data(need_yes, message=question)  # the Need button, from an old screen
    assert answer == "That question was already answered."
    shown = next(m for m in rep.messages if m.message_id == question.message_id)
    assert shown.edited_count == edits, "the message already showed Budget: nothing to redraw"
    assert _draft(rep.app, rep).step.value == "budget"


async def test_a_replica_redraws_a_message_another_replica_changed(
    rep: RepChat, start_app: Callable[..., Awaitable[Any]], fake: FakeBotAPI, clock: FakeClock
) -> None:
    seconds = iter(range(1_800_000_000, 1_800_001_000))
    fake.wall_clock = lambda: float(next(seconds))  # each message and edit a second after the last
    other_replica = await start_app()
    twin = RepChat(other_replica, fake, user_id=rep.user_id, first_name=rep.first_name, clock=clock)
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("Yes")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    await rep.press("Open card")  # on this replica
    card = rep.last_with_buttons
    card_text = card.text
    await twin.press("🏷 Status", message=card)  # the other replica shows the status menu
    [menu] = [m for m in rep.messages if m.message_id == card.message_id]
    assert menu.text != card_text, "the other replica showed the status menu"
    await rep.press("◀ Back", message=card)  # back on the first replica: the card again, not a no-op
    [shown] = [m for m in rep.messages if m.message_id == card.message_id]
    assert shown.text == card_text
