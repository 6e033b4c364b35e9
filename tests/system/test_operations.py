"""`python main.py` as a deployer runs it, as real processes against the fake Bot API served over HTTP.

A start Telegram refuses (a wrong or revoked token) or cannot reach is one line naming the host and what to
check, never the token and never a traceback, in polling and in webhook mode; an error nobody expected is
one JSON object with LOG_FORMAT=json. At DEBUG, in polling and in webhook mode, the output holds neither the
token, nor the webhook secret, nor the rep's name and text. `migrate` and `healthcheck` need no BOT_TOKEN,
and the placeholder token of `.env.example` is refused by name. In polling mode `healthcheck` means
something: the bot's dispatcher and getUpdates loop ran lately, and the process is alive.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from runtime.health import problems_in_file
from tests.factories import (
    MAIN,
    TOKEN,
    WEBHOOK_SECRET,
    RepOverWebhook,
    bot_environment,
    bot_process,
    eventually,
    fake_bot_api_over_http,
    free_port,
    polling_bot_process,
    user_json,
)
from tests.fake_bot_api import FakeBotAPI

REVOKED = "987654321:AAHrevokedSecretPart0123456789abcdefX"
REP_NAME = "Maija Korhonen-Lindqvist"
TEXT = "Annukka Virtanen-Kivelä, Kivelä Logistiikka"
EXITS_WITHIN = 30.0


async def command(env: Mapping[str, str], folder: Path, *args: str) -> tuple[int, str]:
    """`python main.py <args>` run to its end in `folder`: the exit code and everything it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(MAIN),
        *args,
        cwd=folder,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), EXITS_WITHIN)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


def without_settings(env: Mapping[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in env.items() if name not in names}


def assert_no_secret(output: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in output, f"{secret!r} is in the output"
        half = secret.partition(":")[2]
        assert not half or half not in output, f"the secret half of {secret!r} is in the output"


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_rejected_token_is_one_line_naming_the_host(
    sqlite_url: str, fake: FakeBotAPI, tmp_path: Path, webhook: bool, level: str
) -> None:
    async with fake_bot_api_over_http(fake) as bot_api:
        env = bot_environment(sqlite_url, bot_api, webhook=webhook, bot_token=REVOKED, log_level=level)
        code, output = await command(env, tmp_path)
    # Telegram's refusal, the one request made: expected here, so not reported by the fixture.
    assert [(r.method, r.error_code) for r in fake.rejections] == [("getMe", 401)]
    fake.rejections.clear()
    assert code == 1, output
    assert_no_secret(output, REVOKED, WEBHOOK_SECRET)
    assert "Traceback" not in output
    [line] = [line for line in output.splitlines() if "CRITICAL" in line]
    assert f"the Bot API at {bot_api} rejected BOT_TOKEN: check the token with @BotFather" in line
    if level == "INFO":
        assert output.strip() == line, "the refusal is the one thing said"


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_an_unreachable_bot_api_is_one_json_line_naming_the_host(
    sqlite_url: str, tmp_path: Path, webhook: bool
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = bot_environment(sqlite_url, nowhere, webhook=webhook, log_format="json")
    code, output = await command(env, tmp_path)
    assert code == 1, output
    assert_no_secret(output, TOKEN, WEBHOOK_SECRET)
    [entry] = [json.loads(line) for line in output.splitlines()]
    assert entry["level"] == "CRITICAL" and "exception" not in entry
    assert entry["message"].startswith(f"cannot reach the Bot API at {nowhere} (httpx.ConnectError")
    assert "check TELEGRAM_BASE_URL" in entry["message"]


async def test_an_unexpected_error_is_one_json_object_without_the_token(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    # The Bot API answers; the database does not (no server on that port): an error nobody handles.
    database = f"postgresql+psycopg://prospect:db-Password-77@127.0.0.1:{free_port()}/prospect"
    async with fake_bot_api_over_http(fake) as bot_api:
        env = bot_environment(database, bot_api, webhook=False, log_format="json")
        code, output = await command(env, tmp_path)
    assert code == 1, output
    assert_no_secret(output, TOKEN, "db-Password-77")
    entries = [json.loads(line) for line in output.splitlines()]  # every line is JSON
    [crash] = [entry for entry in entries if entry["level"] == "CRITICAL"]
    assert crash["message"] == "the bot stopped on an unexpected error"
    assert "sqlalchemy.exc.OperationalError (from psycopg.OperationalError" in crash["exception"]


async def test_migrate_and_healthcheck_need_no_token_and_the_example_token_is_refused(
    tmp_path: Path,
) -> None:
    # The folder a deployer has after `cp .env.example .env`, with nothing else set.
    shutil.copy(MAIN.parent / ".env.example", tmp_path / ".env")
    env = without_settings(
        bot_environment("", "", webhook=False), "BOT_TOKEN", "DATABASE_URL", "TELEGRAM_BASE_URL"
    )

    code, output = await command(env, tmp_path)
    assert code == 1
    assert "Configuration error: BOT_TOKEN: Value error, BOT_TOKEN is still the example" in output
    assert "put the token @BotFather gave you there" in output

    code, output = await command(env, tmp_path, "migrate")
    assert code == 0, output
    assert "database is at the newest schema" in output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'prospect.db'}")
    assert "contact" in sa.inspect(engine).get_table_names()
    engine.dispose()

    code, output = await command(without_settings(env, "BOT_TOKEN"), tmp_path, "healthcheck")
    assert (code, output.strip()) == (1, "no data/health.json: the bot is not running, or is still starting")


async def test_a_polling_bot_is_healthy_while_its_loops_run_and_unhealthy_when_they_stop(
    sqlite_url: str, fake: FakeBotAPI, tmp_path: Path
) -> None:
    health_file = tmp_path / "data" / "health.json"
    async with fake_bot_api_over_http(fake) as bot_api:
        env = bot_environment(
            sqlite_url, bot_api, webhook=False, log_level="DEBUG", dispatch_interval_seconds=0.5
        )
        async with polling_bot_process(env, tmp_path, "polling", fake) as bot:
            fake.register_chat(7401, first_name=REP_NAME)
            fake.queue_update(
                {
                    "message": {
                        "message_id": fake.register_user_message(7401),
                        "date": int(datetime.now(UTC).timestamp()),
                        "chat": {"id": 7401, "type": "private", "first_name": REP_NAME},
                        "from": user_json(7401, REP_NAME, "en", None),
                        "text": TEXT,
                    }
                }
            )
            await eventually(lambda: fake.messages(7401), "the bot answered the rep")
            code, output = await command(without_settings(env, "BOT_TOKEN"), tmp_path, "healthcheck")
            assert (code, output.strip()) == (0, "ok")
            # An hour later with no new beat (the health's clock moved, not waited for), both loops stalled.
            stalled = problems_in_file(health_file, now=time.time() + 3600)
            assert [problem.split(" has not run")[0] for problem in stalled] == ["dispatcher", "getUpdates"]

            bot.kill()  # SIGKILL: the file stays, the process is gone
            await bot.wait()
            code, output = await command(env, tmp_path, "healthcheck")
            assert code == 1 and f"(pid {bot.pid}) is not running" in output
            log = bot.output()
    assert "DEBUG telegram.ext.ExtBot: Set Bot API URL" in log
    assert_no_secret(log, TOKEN)
    for personal in (REP_NAME, "Korhonen", "Annukka", "Kivelä"):
        assert personal not in log, f"{personal!r} is in the log"


async def test_a_stopped_polling_bot_leaves_no_health_behind(
    sqlite_url: str, fake: FakeBotAPI, tmp_path: Path
) -> None:
    async with fake_bot_api_over_http(fake) as bot_api:
        env = bot_environment(sqlite_url, bot_api, webhook=False)
        async with polling_bot_process(env, tmp_path, "polling", fake) as bot:
            await eventually(lambda: (tmp_path / "data" / "health.json").exists(), "the health file")
            assert await bot.terminate() == 0
        code, output = await command(env, tmp_path, "healthcheck")
    assert code == 1 and "the bot is not running" in output


async def test_a_webhook_bot_at_debug_logs_neither_secret_nor_names(
    sqlite_url: str, fake: FakeBotAPI, tmp_path: Path
) -> None:
    async with fake_bot_api_over_http(fake) as bot_api:
        env = bot_environment(sqlite_url, bot_api, log_level="DEBUG")
        async with bot_process(env, tmp_path, "webhook") as bot, aiohttp.ClientSession() as http:
            rep = RepOverWebhook(fake, http, [bot.url], 7402, first_name=REP_NAME)
            await rep.send(TEXT)
            assert "Company" in rep.last_text or "Need" in rep.last_text
            assert await bot.terminate() == 0
            log = bot.output()
    [set_webhook] = [line for line in log.splitlines() if "Calling Bot API endpoint `setWebhook`" in line]
    assert "secret_token" in set_webhook, "the parameter is named, its value is not"
    assert_no_secret(log, TOKEN, WEBHOOK_SECRET)
    for personal in (REP_NAME, "Korhonen", "Annukka", "Kivelä"):
        assert personal not in log, f"{personal!r} is in the log"
