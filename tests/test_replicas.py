"""Two real bot processes in webhook mode against one PostgreSQL, as `compose.yaml` runs them.

The fake Bot API is served over HTTP from this test (TELEGRAM_BASE_URL points at it), and the test posts
updates to the replicas as Telegram would. A rep's capture whose updates alternate between the replicas
goes on at the right question and is saved once, even when Save is tapped on both at the same moment;
reminders and digests due for twenty reps are sent exactly once between the two dispatchers.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import aiohttp
import httpx
import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.context import utc_now
from bot.i18n import Translator
from bot.webhook import HEALTH_PATH, SECRET_HEADER
from storage.engine import create_engine_for
from storage.migrate import upgrade_to_latest
from storage.models import Contact, Digest, FollowUp, Rep
from tests.factories import TOKEN, FakeClock, RepChat
from tests.fake_bot_api import FakeBotAPI, parse_html

pytestmark = pytest.mark.postgres

MAIN = Path(__file__).resolve().parent.parent / "main.py"
HOOK_URL = "https://bot.test/telegram/hook"
HOOK_PATH = "/telegram/hook"
SECRET = "replica-Secret_token-42"
DISPATCH_INTERVAL = 0.5
REPS = 20
REMINDERS = 200
FIRST_CHAT = 20_000
START_TIMEOUT = 40.0
DELIVERY_TIMEOUT = 60.0
_update_ids = itertools.count(1)


@asynccontextmanager
async def fake_bot_api_over_http(fake: FakeBotAPI) -> AsyncIterator[str]:
    """The fake Bot API on 127.0.0.1 for processes of their own; yields its base URL."""

    async def relay(request: web.Request) -> web.Response:
        forwarded = httpx.Request(
            request.method, str(request.url), headers=dict(request.headers), content=await request.read()
        )
        answer = await fake.handle(forwarded)
        content_type = answer.headers.get("content-type", "application/json")
        return web.Response(
            status=answer.status_code, body=answer.content, headers={"Content-Type": content_type}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", relay)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


class RepOverWebhook(RepChat):
    """A rep whose updates reach the replicas over HTTP, as Telegram delivers them, taking turns."""

    def __init__(
        self, fake: FakeBotAPI, http: aiohttp.ClientSession, replicas: list[str], user_id: int
    ) -> None:
        # No in-process Application: RepChat only uses one in _process, which goes over HTTP here.
        super().__init__(None, fake, user_id=user_id, clock=FakeClock(datetime.now(UTC)))  # type: ignore[arg-type]
        self.http, self.replicas = http, replicas
        self.delivered_to: list[str] = []
        self._turns = itertools.cycle(replicas)

    async def _process(self, payload: dict[str, Any]) -> None:
        payload["update_id"] = next(_update_ids)
        replica = next(self._turns)
        async with self.http.post(
            replica + HOOK_PATH, json=payload, headers={SECRET_HEADER: SECRET}
        ) as response:
            # 200 comes after the update was processed: what the bot said is in the fake already.
            assert response.status == 200, f"{replica} answered {response.status}"
        self.delivered_to.append(replica)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


def replica_environment(database_url: str, bot_api: str) -> dict[str, str]:
    # Settings this machine may have in its environment must not leak into the replicas.
    inherited = {
        name: value for name, value in os.environ.items() if name.lower() not in Settings.model_fields
    }
    return {
        **inherited,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "TELEGRAM_BASE_URL": f"{bot_api}/bot",
        "WEBHOOK_URL": HOOK_URL,
        "WEBHOOK_SECRET": SECRET,
        "LISTEN": "127.0.0.1",
        "DISPATCH_INTERVAL_SECONDS": str(DISPATCH_INTERVAL),
        # Telegram's ~30 messages a second are shared: 28 divided by the two replicas.
        "BROADCAST_RATE_PER_SECOND": "14",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


async def run_main(env: dict[str, str], cwd: Path, log: IO[bytes], *args: str) -> asyncio.subprocess.Process:
    # cwd is an empty folder, so no developer's .env is read.
    return await asyncio.create_subprocess_exec(
        sys.executable, str(MAIN), *args, cwd=cwd, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
    )


async def wait_until_healthy(
    http: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process
) -> None:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        assert process.returncode is None, f"the replica at {url} exited with {process.returncode}"
        try:
            async with http.get(url + HEALTH_PATH) as response:
                if response.status == 200 and await response.json() == {"status": "ok"}:
                    return
        except aiohttp.ClientConnectionError:
            pass  # not listening yet
        await asyncio.sleep(0.2)
    raise AssertionError(f"the replica at {url} did not become healthy in {START_TIMEOUT:.0f} s")


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon, so the seeded digests' day cannot end during the test."""
    offset = 12 - now.hour
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3


def seed_due_reminders_and_digests(engine: Engine) -> None:
    """REPS reps with REMINDERS follow-ups between them and one digest each, all due a minute ago."""
    now = utc_now()
    zone = midday_zone(now)
    with Session(engine) as session:
        # Rows of their own, in one transaction: the dispatchers are running and plan digests for any rep
        # they see. No working days: only the digest seeded below is due, and it is sent even if empty.
        reps = [
            Rep(
                telegram_id=FIRST_CHAT + number,
                chat_id=FIRST_CHAT + number,
                language="en",
                timezone=zone,
                digest_time="09:00",
                onboarded=True,
                working_days="",
                digest_when_empty=True,
                created_at=now,
                updated_at=now,
            )
            for number in range(REPS)
        ]
        session.add_all(reps)
        session.flush()
        rep_ids = [rep.id or 0 for rep in reps]
        due = now - timedelta(minutes=1)
        contacts = [
            Contact(
                owner_id=rep_ids[index % REPS],
                name=f"Contact {index}",
                name_key=f"contact {index}",
                status="lead",
                status_rule="bant-v1",
                created_at=now,
                updated_at=now,
            )
            for index in range(REMINDERS)
        ]
        session.add_all(contacts)
        session.flush()
        session.add_all(
            FollowUp(owner_id=contact.owner_id, contact_id=contact.id or 0, due_at=due, created_at=now)
            for contact in contacts
        )
        local_date = now.astimezone(ZoneInfo(zone)).date()
        session.add_all(Digest(rep_id=rep_id, local_date=local_date, due_at=due) for rep_id in rep_ids)
        session.commit()


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
    env = replica_environment(database_url, bot_api)
    logs = [folder / "replica-a.log", folder / "replica-b.log"]
    files = [open_log(path) for path in logs]
    processes: list[asyncio.subprocess.Process] = []
    try:
        urls = []
        for log in files:
            port = free_port()
            processes.append(await run_main({**env, "PORT": str(port)}, folder, log))
            urls.append(f"http://127.0.0.1:{port}")
        async with aiohttp.ClientSession() as http:
            for url, process in zip(urls, processes, strict=True):
                await wait_until_healthy(http, url, process)
        yield urls
        for process in processes:
            process.terminate()
        codes = [await asyncio.wait_for(process.wait(), 30) for process in processes]
        assert codes == [0, 0], "a replica did not shut down cleanly on SIGTERM"
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        for file in files:
            file.close()
        # Shown by pytest only when the test fails.
        for path in logs:
            print(f"----- {path.name}\n{path.read_text(errors='replace')[-4000:]}")
    output = "\n".join(path.read_text(errors="replace") for path in logs)
    assert output.count("webhook set for bot.test") == 2
    for secret in (TOKEN, TOKEN.partition(":")[2], SECRET):
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
            assert (fake.webhook_url, fake.webhook_secret) == (HOOK_URL, SECRET)
            for number in range(REPS):
                fake.register_chat(FIRST_CHAT + number)
            seed_due_reminders_and_digests(engine)
            # While both dispatchers are sending, a rep captures someone through both replicas in turn.
            await capture_across_replicas(RepOverWebhook(fake, http, replicas, user_id=5001), engine)
            await wait_until_all_sent(engine)
            assert_each_sent_once(fake, engine)
    finally:
        engine.dispose()
