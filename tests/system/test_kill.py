"""A real bot process killed with SIGKILL, then started again on the same SQLite file.

SIGKILL leaves no chance to clean up: no signal handler, no shutdown, no last commit; what survives is what
was already in the database. `python main.py` runs in webhook mode against the fake Bot API served over
HTTP (tests/factories.py), and the kills happen at exact points of a Bot API call (the fake's hooks), so
what was in flight is known rather than guessed:

- a capture killed at the Budget question goes on at Budget after the restart, from the button the rep
  still has on screen, with the answers given before the kill, and is saved once;
- a process killed while sending 300 due reminders: after the restart every one of them is sent, and the
  only one sent twice is the one whose sendMessage Telegram carried out without the dead process learning
  it (docs/architecture.md: at most one duplicate, never a loss);
- an update in flight at the kill is sent again by Telegram (it was never confirmed): the rep ends up
  looking at the question the capture is at, and the button press is answered once.

No PostgreSQL is needed: tests/system/test_replicas.py covers several processes on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import Engine

from bot.i18n import Translator
from bot.schedule import CLAIM_LEASE
from storage.engine import create_engine_for
from tests.factories import (
    TOKEN,
    BotProcess,
    KillAtSend,
    RepOverWebhook,
    bot_environment,
    bot_process,
    fake_bot_api_over_http,
    seed_due_reminders,
)
from tests.fake_bot_api import FakeBotAPI, SentMessage, parse_html

DISPATCH_INTERVAL = 0.2
REPS = 100
# Three reminders per rep: the pacer's one message a second per chat does not slow the broadcast, which
# goes at BROADCAST_RATE_PER_SECOND (28), about eleven seconds for all of them.
REMINDERS = 300
# The process dies inside its 150th sendMessage, with rows it claimed still queued behind it.
KILL_AT = 150
FIRST_CHAT = 30_000
DELIVERY_TIMEOUT = 40.0
USER = 5001


def question_on(fake: FakeBotAPI, message: SentMessage) -> str:
    """The capture step whose buttons the message shows (from `q:<draft>:<step>:<option>`)."""
    steps = {
        data.split(":")[2]
        for row in fake.buttons(message)
        for _, data in row
        if data is not None and data.startswith("q:")
    }
    assert len(steps) == 1, f"not one question on the message: {steps}"
    return steps.pop()


def open_draft(engine: Engine) -> tuple[str | None, dict[str, Any]]:
    """The step and answers of the rep's open capture, as the database has them."""
    with engine.connect() as connection:
        query = sa.text("SELECT step, answers FROM capturedraft WHERE state = 'open'")
        rows = connection.execute(query).all()
    assert len(rows) == 1, f"{len(rows)} open drafts"
    step, answers = rows[0]
    return step, answers if isinstance(answers, dict) else json.loads(answers)


def saved_contacts(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT name, company, need, budget, authority, status, score FROM contact "
                    "WHERE name = 'Anna Virtanen'"
                )
            ).all()
        ]


async def test_a_capture_killed_at_the_budget_question_goes_on_there_after_a_restart(
    sqlite_url: str, fake: FakeBotAPI, tmp_path: Path
) -> None:
    engine = create_engine_for(sqlite_url)
    try:
        async with fake_bot_api_over_http(fake) as bot_api, aiohttp.ClientSession() as http:
            env = bot_environment(sqlite_url, bot_api)
            async with bot_process(env, tmp_path, "before-kill") as first:
                rep = RepOverWebhook(fake, http, [first.url], user_id=USER)
                await rep.send("Anna Virtanen, Acme Oy")
                await rep.press("Yes")  # Need
                on_screen = rep.last_with_buttons
                assert question_on(fake, on_screen) == "budget"
                first.kill()
                assert await first.wait() == -signal.SIGKILL
            # What the dead process left: the draft, at Budget, with the name and the need.
            step, answers = open_draft(engine)
            assert step == "budget"
            assert (answers["name"], answers["company"], answers["need"]) == (
                "Anna Virtanen",
                "Acme Oy",
                "yes",
            )

            async with bot_process(env, tmp_path, "after-restart") as second:
                rep.replicas[:] = [second.url]
                # The rep taps Yes on the Budget question still on their screen: its callback_data was made
                # by the dead process, and the new one takes it.
                assert rep.last_with_buttons.message_id == on_screen.message_id
                await rep.press("Yes", message=on_screen)  # Budget
                assert rep.last_with_buttons.message_id == on_screen.message_id, "edited in place"
                assert question_on(fake, rep.last_with_buttons) == "authority"
                step, answers = open_draft(engine)
                assert (step, answers["need"], answers["budget"]) == ("authority", "yes", "yes")
                for answer in ("Decision-maker", "< 1 month", "⏩ Finish", "Tomorrow"):
                    await rep.press(answer)
                assert await rep.press("✅ Save") == Translator("en").plain("capture.saved_short")
                assert await second.terminate() == 0
        # Once, with the answers from before and after the kill (87: README's Anna).
        assert saved_contacts(engine) == [
            ("Anna Virtanen", "Acme Oy", "yes", "yes", "decider", "prospect", 87)
        ]
    finally:
        engine.dispose()


def reminder_counts(fake: FakeBotAPI) -> Counter[str]:
    """How many reminder messages each seeded contact got, over every seeded rep's chat."""
    title = parse_html(Translator("en")("reminder.title", who="§")).text.split("§")[0]
    counts: Counter[str] = Counter()
    for number in range(REPS):
        for message in fake.messages(FIRST_CHAT + number):
            text = message.text or ""
            assert text.startswith(title), "something other than a reminder was sent"
            counts.update(re.findall(r"Contact \d+", text)[:1])
    return counts


def reminder_texts(fake: FakeBotAPI) -> dict[str, list[str]]:
    """Each seeded contact's reminder messages, in the order they were sent."""
    texts: dict[str, list[str]] = {}
    for number in range(REPS):
        for message in fake.messages(FIRST_CHAT + number):
            text = message.text or ""
            texts.setdefault(re.findall(r"Contact \d+", text)[0], []).append(text)
    return texts


def followups(engine: Engine) -> dict[str, list[str]]:
    """The seeded follow-ups' contact names, by state."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT followup.state, contact.name FROM followup JOIN contact ON contact.id = contact_id"
            )
        ).all()
    states: dict[str, list[str]] = {}
    for state, name in rows:
        states.setdefault(str(state), []).append(str(name))
    return states


async def test_reminders_due_at_a_kill_are_all_sent_after_a_restart_and_only_the_one_in_flight_twice(
    sqlite_url: str, fake: FakeBotAPI, tmp_path: Path
) -> None:
    engine = create_engine_for(sqlite_url)
    due = datetime.now(UTC) - timedelta(minutes=1)
    seed_due_reminders(engine, reps=REPS, reminders=REMINDERS, first_chat=FIRST_CHAT, due=due)
    for number in range(REPS):
        fake.register_chat(FIRST_CHAT + number)
    # Inside a send: the reminder reached the rep, and the process dies before it can mark the row sent.
    killer = KillAtSend(KILL_AT)

    try:
        async with fake_bot_api_over_http(fake, after=killer) as bot_api:
            env = bot_environment(sqlite_url, bot_api, DISPATCH_INTERVAL_SECONDS=DISPATCH_INTERVAL)
            await killer.until_killed(env, tmp_path, "before-kill", DELIVERY_TIMEOUT)

            at_kill = followups(engine)
            delivered = reminder_counts(fake)
            assert sum(delivered.values()) == KILL_AT and max(delivered.values()) == 1
            assert len(at_kill["sent"]) == KILL_AT - 1, "every send answered before the kill was marked"
            # Claimed by the dead process and not marked sent: the rest of its batch. Of those, the one
            # Telegram had already taken is in flight: the only one that may arrive twice.
            claimed = set(at_kill["claimed"])
            in_flight = claimed & set(delivered)
            assert len(in_flight) == 1
            assert len(claimed) + len(at_kill["sent"]) + len(at_kill.get("pending", [])) == REMINDERS

            # The dead process's claims hold for the dispatcher's two-minute lease (not a setting). Ending
            # the leases now, and moving those rows' due times back by the lease, stands in for waiting
            # those two minutes: the rows are as they would be then.
            with engine.begin() as connection:
                ended = connection.execute(
                    sa.text(
                        "UPDATE followup SET lease_until = :past, due_at = :waited WHERE state = 'claimed'"
                    ),
                    {"past": datetime.now(UTC) - timedelta(seconds=1), "waited": due - CLAIM_LEASE},
                ).rowcount
            assert ended == len(claimed)

            async with bot_process(env, tmp_path, "after-restart") as second:
                deadline = asyncio.get_running_loop().time() + DELIVERY_TIMEOUT
                while (states := followups(engine)).keys() != {"sent"}:
                    assert asyncio.get_running_loop().time() < deadline, (
                        f"not all sent in time: { {state: len(names) for state, names in states.items()} }"
                    )
                    await asyncio.sleep(0.2)
                # Long enough for a second send of anything to show up.
                await asyncio.sleep(5 * DISPATCH_INTERVAL)
                assert await second.terminate() == 0

        delivered = reminder_counts(fake)
        assert set(delivered) == {f"Contact {index}" for index in range(REMINDERS)}, "a reminder was lost"
        twice = {name for name, count in delivered.items() if count > 1}
        assert twice == in_flight and max(delivered.values()) == 2, "sent twice beyond the one in flight"
        # What the dead process held arrives after the restart more than the lease after its time, and
        # says it is late (the one in flight too, the second time); what was sent on time does not.
        late = parse_html(Translator("en")("reminder.late", when="§")).text.split("§")[0]
        texts = reminder_texts(fake)
        assert all(late in texts[name][-1] for name in claimed), "sent after the crash, not marked late"
        assert not any(late in texts[name][0] for name in set(at_kill["sent"]) | in_flight)
        assert len(followups(engine)["sent"]) == REMINDERS
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "edit_reached_telegram",
    [
        pytest.param(False, id="edit-lost"),
        pytest.param(True, id="edit-done"),
    ],
)
async def test_an_update_in_flight_at_a_kill_is_sent_again_and_shows_where_the_capture_is(
    sqlite_url: str, tmp_path: Path, edit_reached_telegram: bool
) -> None:
    # A fake of its own: the refusals it records are part of what this test checks.
    fake = FakeBotAPI(token=TOKEN)
    doomed: list[BotProcess] = []

    async def before(method: str) -> None:
        if method == "editMessageText" and doomed and not edit_reached_telegram:
            doomed.pop().kill()
            raise web.HTTPBadGateway()  # the edit never reached Telegram

    async def after(method: str) -> None:
        if method == "editMessageText" and doomed and edit_reached_telegram:
            doomed.pop().kill()  # the question was edited; the process never learnt it

    engine = create_engine_for(sqlite_url)
    try:
        async with (
            fake_bot_api_over_http(fake, before=before, after=after) as bot_api,
            aiohttp.ClientSession() as http,
        ):
            env = bot_environment(sqlite_url, bot_api)
            async with bot_process(env, tmp_path, "before-kill") as first:
                rep = RepOverWebhook(fake, http, [first.url], user_id=USER)
                await rep.send("Anna Virtanen, Acme Oy")
                await rep.press("Yes")  # Need
                on_screen = rep.last_with_buttons
                doomed.append(first)
                # Budget: saved, then the process dies while editing the message to the next question, so
                # the update is never confirmed.
                with pytest.raises(aiohttp.ClientError):
                    await rep.press("Yes")
                assert await first.wait() == -signal.SIGKILL
            assert len(rep.unconfirmed) == 1
            assert open_draft(engine)[0] == "authority"

            async with bot_process(env, tmp_path, "after-restart") as second:
                rep.replicas[:] = [second.url]
                # Telegram sends the unconfirmed update again, to whichever process now answers.
                await rep.redeliver()
                assert not rep.unconfirmed
                shown = fake.message(USER, on_screen.message_id)
                assert question_on(fake, shown) == "authority", "the rep is not shown where the capture is"
                # After a kill the bot cannot know whether its last edit reached Telegram, so it redraws the
                # question; where the edit had arrived, Telegram answers that nothing changed. That one
                # harmless refusal is the price of never leaving a rep on a stale question.
                harmless = [r for r in fake.rejections if "message is not modified" in r.description]
                assert len(harmless) == (1 if edit_reached_telegram else 0)
                assert fake.rejections == harmless, f"refused: {fake.rejections}"
                error = parse_html(Translator("en")("errors.internal", reference="§")).text.split("§")[0]
                assert not any(error in (message.text or "") for message in rep.messages)
                # And the capture goes on from the message on screen.
                await rep.press("Decision-maker", message=shown)
                assert question_on(fake, fake.message(USER, on_screen.message_id)) == "timeline"
                assert await second.terminate() == 0
    finally:
        engine.dispose()
