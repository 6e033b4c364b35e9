"""Long polling in one process: the real Application and runtime/polling.py over the fake Bot API, whose
getUpdates forgets what an offset confirms, as Telegram does. A fetched update is in the inbox before the
next getUpdates confirms it, so one cut off by a stop is processed at the next start and not fetched
again; a stranger's update is never stored; getUpdates failures are retried and logged without the token."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.config import Settings
from bot.i18n import Translator
from runtime.application import build_application
from runtime.polling import Polling, start_polling, stop_polling
from storage.engine import create_engine_for
from tests.factories import (
    TOKEN,
    FakeClock,
    Storage,
    eventually,
    make_rep,
    storage_of,
    traces_of,
    user_json,
)
from tests.fake_bot_api import FakeBotAPI, parse_html

REP = 5001
WAIT = 10.0


async def until(condition: Callable[[], object], what: str, within: float = WAIT) -> None:
    await eventually(condition, what, within)


def queue_text(fake: FakeBotAPI, user_id: int, text: str) -> int:
    """A private message from the user, waiting in getUpdates; its update_id."""
    fake.register_chat(user_id, first_name="Maija")
    message: dict[str, Any] = {
        "message_id": fake.register_user_message(user_id),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Maija"},
        "from": user_json(user_id, "Maija", "en", None),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return fake.queue_update({"message": message})


def confirmed(fake: FakeBotAPI, update_id: int) -> bool:
    """Whether a getUpdates asked for an offset past the update: Telegram has forgotten it."""
    return any((call.params.get("offset") or 0) > update_id for call in fake.calls("getUpdates"))


def inbox_ids(storage: Storage) -> list[int]:
    return [update_id for update_id, _ in storage.inbox.pending(limit=1000)]


class Blocker:
    """A handler before every other that holds each update until released: updates "in flight"."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.held: list[int] = []

    async def __call__(self, update: Update, _context: Any) -> None:
        self.held.append(update.update_id)
        await self.released.wait()


class Polled:
    """A started application and its polling loop; `stop` ends them early (the block then does nothing)."""

    def __init__(self, application: Any, loop: Polling) -> None:
        self.application, self.loop, self.stopped = application, loop, False

    async def stop(self, grace: float = 10.0) -> None:
        if not self.stopped:
            self.stopped = True
            await stop_polling(self.application, self.loop, grace=grace)


@asynccontextmanager
async def polling(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock, *, blocker: Blocker | None = None
) -> AsyncIterator[Polled]:
    application = build_application(settings, request=fake.request(), clock=clock)
    if blocker is not None:
        application.add_handler(TypeHandler(Update, blocker), group=-100)
    polled = Polled(
        application, await start_polling(application, poll_timeout=1, retry_first=0.01, retry_max=0.05)
    )
    try:
        yield polled
    finally:
        await polled.stop()


def sqlite_storage(settings: Settings, clock: FakeClock) -> Storage:
    return Storage.on(create_engine_for(settings.database_url), clock)


async def test_updates_cut_off_by_a_stop_are_processed_at_the_next_start_and_not_fetched_again(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    reps = [REP, REP + 1, REP + 2]
    ids = [queue_text(fake, user, f"Anna Virtanen {user}") for user in reps]
    blocker = Blocker()
    async with polling(settings, fake, clock, blocker=blocker) as polled:
        storage = storage_of(polled.application)
        await until(lambda: len(blocker.held) == 3, "three updates in flight")
        await until(lambda: confirmed(fake, ids[-1]), "the batch confirmed to Telegram")
        assert inbox_ids(storage) == ids, "confirmed before it was stored"
        # Stopped with no time to finish, as a kill would leave them: the rows stay.
        await polled.stop(grace=0)
    assert not any(fake.messages(user) for user in reps)
    leftover = sqlite_storage(settings, clock)
    assert inbox_ids(leftover) == ids

    first_call = len(fake.calls("getUpdates"))
    async with polling(settings, fake, clock):
        await until(lambda: all(fake.messages(user) for user in reps), "every rep answered")
        await until(lambda: not inbox_ids(leftover), "the inbox emptied")
    # Each answered once: Telegram had forgotten them, and the first getUpdates after the start confirmed
    # the leftovers all the same.
    assert [len(fake.messages(user)) for user in reps] == [1, 1, 1]
    assert fake.calls("getUpdates")[first_call].params.get("offset") == ids[-1] + 1
    leftover.engine.dispose()


@pytest.mark.parametrize("hours_ago", [1, 25])
async def test_leftovers_are_confirmed_at_start_only_while_telegram_could_still_have_them(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock, hours_ago: int
) -> None:
    storage = sqlite_storage(settings, clock)
    fake.register_chat(REP)
    payload = Update.de_json(
        {
            "update_id": 4242,
            "message": {
                "message_id": fake.register_user_message(REP),
                "date": int(time.time()),
                "chat": {"id": REP, "type": "private", "first_name": "Maija"},
                "from": user_json(REP, "Maija", "en", None),
                "text": "Anna Virtanen",
            },
        },
        None,
    )
    storage.inbox.keep(updates=[(4242, payload.to_json())])
    clock.advance(timedelta(hours=hours_ago))
    async with polling(settings, fake, clock):
        await until(lambda: fake.messages(REP), "the leftover processed")
        await until(lambda: not inbox_ids(storage), "its row deleted")
    # After a day Telegram no longer has it, and after a quiet week its ids may restart anywhere: an old
    # offset could skip new updates, so none is sent.
    expected = 4243 if hours_ago < 24 else None
    assert fake.calls("getUpdates")[0].params.get("offset") == expected
    storage.engine.dispose()


async def test_a_strangers_update_is_answered_but_never_stored(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    listed, invited_rep, stranger, redeeming = REP, 7001, 6001, 6002
    settings = settings.model_copy(update={"allowed_users": [str(listed)]})
    # A rep who got in with an invite earlier: not on the list, but known to the gate as invited.
    before = sqlite_storage(settings, clock)
    make_rep(before, invited_rep)
    with before.engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE rep SET access = 'invite' WHERE telegram_id = {invited_rep}")
    before.engine.dispose()
    blocker = Blocker()
    async with polling(settings, fake, clock, blocker=blocker) as polled:
        storage = storage_of(polled.application)
        ids = {
            "listed": queue_text(fake, listed, "Anna Virtanen"),
            "stranger": queue_text(fake, stranger, "Ola Nordmann"),
            "invited": queue_text(fake, invited_rep, "Liisa Korhonen"),
            "redeeming": queue_text(fake, redeeming, "/start abcdefgh12345678"),  # an invite code's shape
        }
        await until(lambda: len(blocker.held) == 4, "four updates in flight")
        assert inbox_ids(storage) == sorted([ids["listed"], ids["invited"], ids["redeeming"]])
        blocker.released.set()
        await until(lambda: all(fake.messages(user) for user in (listed, stranger)), "both answered")
        await until(lambda: not inbox_ids(storage), "the inbox emptied")
        # The one with a code's shape was in the inbox while it was handled; neither left a trace.
        assert traces_of(polled.application, stranger) == traces_of(polled.application, redeeming) == []
    refusal = parse_html(Translator("en")("access.refused")).text
    assert fake.messages(stranger)[0].text == refusal


async def test_get_updates_failures_are_retried_and_logged_without_the_token(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("getUpdates", "5xx", times=2)
    fake.inject("getUpdates", "timeout")
    queue_text(fake, REP, "Anna Virtanen")
    # The bot's own lines (httpx's, which carry the token, are kept below INFO by runtime/logs.py).
    with caplog.at_level(logging.DEBUG, logger="runtime"):
        async with polling(settings, fake, clock) as polled:
            application = polled.application
            await until(lambda: fake.messages(REP), "the rep answered")
            assert application.bot_data.repositories is not None, "post_init opened the database"
            assert application.job_queue.get_jobs_by_name("dispatcher"), "the job queue runs"
            assert fake.calls("deleteWebhook"), "a webhook left set would make getUpdates fail"
    assert application.bot_data.engine is None, "post_shutdown closed the database"
    assert not application.running
    failures = [record for record in caplog.records if record.getMessage().startswith("getUpdates failed")]
    assert len(failures) == 3
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert "Anna Virtanen" not in caplog.text


async def test_a_conflict_with_another_poller_is_waited_out(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # A fake of its own: the 409s it answers are refusals, which the shared fixture would fail on.
    fake = FakeBotAPI(token=TOKEN)
    with caplog.at_level(logging.WARNING, logger="runtime"):
        async with polling(settings, fake, clock):
            # Someone set a webhook (or another process polls): Telegram refuses getUpdates with 409.
            fake.webhook_url = "https://elsewhere.test/hook"
            await until(lambda: "another process polls" in caplog.text, "the conflict logged")
            fake.webhook_url = ""
            queue_text(fake, REP, "Anna Virtanen")
            await until(lambda: fake.messages(REP), "the rep answered once the conflict ended")
    assert {rejection.error_code for rejection in fake.rejections} == {409}
    assert TOKEN not in caplog.text


async def test_a_stop_confirms_what_was_fetched_and_processed(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runtime.polling

    # Two in flight fill the loop: it waits before its next getUpdates, the one that would confirm them.
    monkeypatch.setattr(runtime.polling, "IN_FLIGHT_MAX", 2)
    ids = [queue_text(fake, user, f"Anna Virtanen {user}") for user in (REP, REP + 1)]
    blocker = Blocker()
    async with polling(settings, fake, clock, blocker=blocker) as polled:
        await until(lambda: len(blocker.held) == 2, "two updates in flight")
        assert not confirmed(fake, ids[-1])
        stopping = asyncio.create_task(polled.stop(grace=5))
        blocker.released.set()
        await stopping
    assert all(fake.messages(user) for user in (REP, REP + 1))
    assert confirmed(fake, ids[-1]), "processed and cleared, yet Telegram would send them again"
