"""Two real bot processes in webhook mode against one PostgreSQL, as `compose.yaml` runs them.

The fake Bot API is served over HTTP from this test (TELEGRAM_BASE_URL points at it), and the test posts
updates to the replicas as Telegram would. A rep's capture whose updates alternate between the replicas
goes on at the right question and is saved once, even when Save is tapped on both at the same moment;
reminders and digests due for twenty reps are sent exactly once between the two dispatchers.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.i18n import Translator
from handlers.kit.context import utc_now
from storage.engine import create_engine_for
from storage.migrate import upgrade_to_latest
from tests.factories import (
    TOKEN,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    BotProcess,
    RepOverWebhook,
    bot_environment,
    fake_bot_api_over_http,
    seed_due_reminders,
)
from tests.fake_bot_api import FakeBotAPI, parse_html

pytestmark = pytest.mark.postgres

DISPATCH_INTERVAL = 0.5
REPS = 20
REMINDERS = 200
FIRST_CHAT = 20_000
DELIVERY_TIMEOUT = 60.0


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon, so the seeded digests' day cannot end during the test."""
    offset = 12 - now.hour
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3


def seed_due_reminders_and_digests(engine: Engine) -> None:
    """REPS reps with REMINDERS follow-ups between them and one digest each, all due a minute ago."""
    now = utc_now()
    seed_due_reminders(
        engine,
        reps=REPS,
        reminders=REMINDERS,
        first_chat=FIRST_CHAT,
        due=now - timedelta(minutes=1),
        zone=midday_zone(now),
        digests=True,
    )


def delivery_states(engine: Engine) -> tuple[dict[str, int], dict[str, int]]:
    """The seeded reps' follow-ups and digests, counted by state."""
    counts = []
    for table, owner in (("followup", "owner_id"), ("digest", "rep_id")):
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                f"SELECT {table}.state, count(*) FROM {table} JOIN rep ON rep.id = {table}.{owner} "
                f"WHERE rep.telegram_id >= {FIRST_CHAT} GROUP BY {table}.state"
            ).all()
        counts.append({str(state): int(count) for state, count in rows})
    return counts[0], counts[1]


@asynccontextmanager
async def two_replicas(database_url: str, bot_api: str, folder: Path) -> AsyncIterator[list[str]]:
    """Two `python main.py` in webhook mode, as compose runs them after its one-shot `migrate`; yields
    their base URLs once both are healthy. They are stopped with SIGTERM, as `docker stop` does, and must
    exit cleanly; their output is kept in `folder` and must hold no secret and nothing personal."""
    env = bot_environment(
        database_url,
        bot_api,
        DISPATCH_INTERVAL_SECONDS=DISPATCH_INTERVAL,
        # Telegram's ~30 messages a second are shared: 28 divided by the two replicas.
        BROADCAST_RATE_PER_SECOND=14,
    )
    processes: list[BotProcess] = []
    try:
        for name in ("replica-a", "replica-b"):
            processes.append(await BotProcess.spawn(env, folder, name))
        async with aiohttp.ClientSession() as http:
            for process in processes:
                await process.wait_until_healthy(http)
        yield [process.url for process in processes]
        codes = [await process.terminate() for process in processes]
        assert codes == [0, 0], "a replica did not shut down cleanly on SIGTERM"
    finally:
        for process in processes:
            await process.close()
        # Shown by pytest only when the test fails.
        for process in processes:
            print(f"----- {process.log_path.name}\n{process.output()[-4000:]}")
    output = "\n".join(process.output() for process in processes)
    assert output.count("webhook set for bot.test") == 2
    for secret in (TOKEN, TOKEN.partition(":")[2], WEBHOOK_SECRET):
        assert secret not in output, "a secret is in the logs"
    assert "Anna" not in output and not re.search(r"Contact \d", output), "personal data is in the logs"


async def capture_across_replicas(rep: RepOverWebhook, engine: Engine) -> None:
    """Anna is captured with each update going to the other replica, and Save is tapped on both at once."""
    await rep.send("Anna Virtanen, Acme Oy")
    for answer in ("Yes", "Yes", "Decision-maker", "< 1 month", "⏩ Finish", "Tomorrow"):
        await rep.press(answer)
    assert set(rep.delivered_to) == set(rep.replicas)
    # A double tap on Save landing on both replicas at the same moment: the draft's version lets one win.
    card = rep.last_with_buttons
    save = rep.button_data("✅ Save")
    answers = await asyncio.gather(rep.press_data(save, message=card), rep.press_data(save, message=card))
    en = Translator("en")
    assert sorted(map(str, answers)) == sorted([en.plain("capture.saved_short"), en.plain("common.expired")])
    with engine.connect() as connection:
        saved = connection.execute(
            sa.text("SELECT id, name, company, status, score FROM contact WHERE name = :name"),
            {"name": "Anna Virtanen"},
        ).all()
        next_steps = connection.execute(
            sa.text("SELECT count(*) FROM followup WHERE contact_id = :id"), {"id": saved[0].id}
        ).scalar_one()
    # Saved once, with every answer, whichever replica took it: need and authority went to the second
    # replica, budget and timeline to the first.
    assert [tuple(row)[1:] for row in saved] == [("Anna Virtanen", "Acme Oy", "prospect", 87)]
    assert next_steps == 1


async def wait_until_all_sent(engine: Engine) -> None:
    deadline = asyncio.get_running_loop().time() + DELIVERY_TIMEOUT
    while (states := delivery_states(engine)) != ({"sent": REMINDERS}, {"sent": REPS}):
        assert asyncio.get_running_loop().time() < deadline, f"not all sent in time: {states}"
        await asyncio.sleep(0.25)
    # Long enough for a second send of anything to show up.
    await asyncio.sleep(4 * DISPATCH_INTERVAL)


def assert_each_sent_once(fake: FakeBotAPI, engine: Engine) -> None:
    """Every seeded reminder reached its rep's chat exactly once, and every rep exactly one digest."""
    en = Translator("en")
    reminder_title = parse_html(en("reminder.title", who="§")).text.split("§")[0]
    digest_title = parse_html(en("digest.title", day="§")).text.split("§")[0]
    reminded: Counter[str] = Counter()
    for number in range(REPS):
        texts = [message.text or "" for message in fake.messages(FIRST_CHAT + number)]
        reminders = [text for text in texts if text.startswith(reminder_title)]
        digests = [text for text in texts if text.startswith(digest_title)]
        assert len(digests) == 1, f"rep {number} got {len(digests)} digests"
        assert len(reminders) + len(digests) == len(texts), "something else was sent"
        reminded.update(re.findall(r"Contact \d+", text)[0] for text in reminders)
    assert reminded == Counter(f"Contact {index}" for index in range(REMINDERS)), "sent twice or never"
    with engine.connect() as connection:
        dispatchers = connection.exec_driver_sql(
            "SELECT count(DISTINCT claimed_by) FROM followup WHERE state = 'sent'"
        ).scalar_one()
    assert dispatchers == 2, "both replicas' dispatchers sent some of the reminders"


@pytest.mark.timeout(120)  # two processes on one PostgreSQL, started and stopped
async def test_two_replicas_share_a_capture_and_send_each_reminder_once(
    postgres_url: str, fake: FakeBotAPI, tmp_path: Path
) -> None:
    engine = create_engine_for(postgres_url)
    # The schema first, as compose's one-shot `migrate` does (`python main.py migrate` runs this function):
    # replicas starting together on an empty database would race to create it.
    upgrade_to_latest(engine)
    try:
        async with (
            fake_bot_api_over_http(fake) as bot_api,
            two_replicas(postgres_url, bot_api, tmp_path) as replicas,
            aiohttp.ClientSession() as http,
        ):
            # Each replica set the webhook once, at its start.
            assert len(fake.calls("setWebhook")) == 2
            assert (fake.webhook_url, fake.webhook_secret) == (WEBHOOK_URL, WEBHOOK_SECRET)
            for number in range(REPS):
                fake.register_chat(FIRST_CHAT + number)
            seed_due_reminders_and_digests(engine)
            # While both dispatchers are sending, a rep captures someone through both replicas in turn.
            await capture_across_replicas(RepOverWebhook(fake, http, replicas, user_id=5001), engine)
            await wait_until_all_sent(engine)
            assert_each_sent_once(fake, engine)
    finally:
        engine.dispose()
