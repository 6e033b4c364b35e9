"""A real bot process in long polling mode killed with SIGKILL while working through a batch, then started
again on the same SQLite file: nothing it had fetched is lost.

`python main.py` without WEBHOOK_URL polls the fake Bot API served over HTTP (tests/factories.py), whose
getUpdates forgets what an offset confirms, as Telegram does. Fifty names from ten reps wait for it; it
fetches them in one batch, confirms the batch with its next getUpdates, and dies inside its 20th
sendMessage, after the fake carried it out (the rep got that answer; the process never learnt it). After
the restart every name is answered, and the only ones answered twice are those whose answer had gone
out while their inbox row was still there: the updates in flight at the kill.

With PTB's own run_polling the batch is confirmed and held only in memory: the thirty names not yet
answered at the kill are never answered.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.i18n import Translator
from storage.engine import create_engine_for
from tests.factories import (
    KillAtSend,
    bot_environment,
    fake_bot_api_over_http,
    polling_bot_process,
    seed_due_reminders,
    user_json,
)
from tests.fake_bot_api import FakeBotAPI, parse_html

REPS = 10
NAMES_PER_REP = 5
KILL_AT = 20
FIRST_CHAT = 40_000
TIMEOUT = 20.0


def name_of(rep: int, number: int) -> str:
    return f"Lead {rep:02d}{number}"


def queue_names(fake: FakeBotAPI) -> dict[int, str]:
    """Each rep types five names, interleaved as ten reps typing at once would be; update_id -> name."""
    names = {}
    for number in range(NAMES_PER_REP):
        for rep in range(REPS):
            chat = FIRST_CHAT + rep
            name = name_of(rep, number)
            message: dict[str, Any] = {
                "message_id": fake.register_user_message(chat),
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": chat, "type": "private", "first_name": "Rep"},
                "from": user_json(chat, "Rep", "en", None),
                # "name, company": the capture skips the company question and asks a tap question, so
                # the next name from the same rep gets the offer to start it (and is kept on the draft).
                "text": f"{name}, Acme",
            }
            names[fake.queue_update({"message": message})] = name
    return names


def answered(fake: FakeBotAPI) -> Counter[str]:
    """How many times each name got its answer: the capture's first question naming it, or the offer
    whose button starts it."""
    start_label = Translator("en").plain("capture.start_new_named", name="§").split("§")[0]
    counts: Counter[str] = Counter()
    for call in fake.calls("sendMessage"):
        markup = call.params.get("reply_markup") or {}
        labels = [button["text"] for row in markup.get("inline_keyboard", []) for button in row]
        starts = [label.removeprefix(start_label) for label in labels if label.startswith(start_label)]
        text = parse_html(str(call.params.get("text", ""))).text
        counts.update(starts or _names_in(text)[:1])
    return counts


def _names_in(text: str) -> list[str]:
    return [
        name_of(rep, number)
        for rep in range(REPS)
        for number in range(NAMES_PER_REP)
        if name_of(rep, number) in text
    ]


def inbox_names(engine: sa.Engine, names: dict[int, str]) -> set[str]:
    """The names whose updates are still in the inbox (fetched, not yet processed)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT update_id, payload FROM inbox")).all()
    for update_id, payload in rows:
        assert json.loads(payload)["message"]["text"].startswith(names[int(update_id)])
    return {names[int(update_id)] for update_id, _ in rows}


@pytest.mark.timeout(40)
async def test_a_polling_process_killed_mid_batch_loses_nothing_it_fetched(
    sqlite_url: str, fake: FakeBotAPI, tmp_path: Path
) -> None:
    engine = create_engine_for(sqlite_url)
    # Onboarded reps (no reminders, no digests), so each name's first answer is the capture itself.
    seed_due_reminders(engine, reps=REPS, reminders=0, first_chat=FIRST_CHAT, due=datetime.now(UTC))
    names = queue_names(fake)
    killer = KillAtSend(KILL_AT)

    try:
        async with fake_bot_api_over_http(fake, after=killer) as bot_api:
            env = bot_environment(sqlite_url, bot_api, webhook=False)
            await killer.until_killed(env, tmp_path, "before-kill", TIMEOUT)

            before = answered(fake)
            # Updates of different chats run at once: a send or two beside the 20th may land as well.
            assert sum(before.values()) >= KILL_AT and max(before.values()) == 1
            last = max(names)
            assert any((call.params.get("offset") or 0) > last for call in fake.calls("getUpdates")), (
                "the batch was not confirmed to Telegram before the kill: the test proves nothing"
            )
            left = inbox_names(engine, names)
            # Every name not answered is in the inbox; those answered and still there were in flight.
            assert set(names.values()) - set(before) <= left
            in_flight = left & set(before)
            assert in_flight, "the one killed inside its send is in flight"

            async with polling_bot_process(env, tmp_path, "after-restart", fake) as second:
                deadline = asyncio.get_running_loop().time() + TIMEOUT
                while (now := answered(fake)).keys() != set(names.values()) or inbox_names(engine, names):
                    assert asyncio.get_running_loop().time() < deadline, (
                        f"{len(set(names.values()) - now.keys())} names never answered"
                    )
                    await asyncio.sleep(0.05)
                assert await second.terminate() == 0

        after = answered(fake)
        assert set(after) == set(names.values()), "a name was lost"
        twice = {name for name, count in after.items() if count > 1}
        assert twice == in_flight and max(after.values()) == 2, "answered twice beyond those in flight"
    finally:
        engine.dispose()
