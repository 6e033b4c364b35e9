"""Webhook mode in one process: the real server on 127.0.0.1 (an ephemeral port) around the real Application
over the fake Bot API. Telegram's secret-token header is required, an update is confirmed only after the bot
answered it, /healthz asks the database, and setWebhook is called once."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.i18n import Translator
from main import healthcheck
from runtime.application import build_application
from runtime.webhook import SECRET_HEADER, WebhookConfigError, WebhookServer, start_webhook
from storage.engine import create_engine_for
from tests.factories import FakeClock, user_json
from tests.fake_bot_api import FakeBotAPI, parse_html

HOOK_URL = "https://bot.test/telegram/hook"
SECRET = "s3cret_Token-for-the-tests"
REP = 5001
_update_ids = itertools.count(1)


@dataclass
class Replica:
    server: WebhookServer
    http: aiohttp.ClientSession
    settings: Settings

    async def post(self, body: bytes, secret: str | None = SECRET) -> tuple[int, bytes]:
        """POST to the webhook as Telegram does; the status and the body of the answer."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with self.http.post("/telegram/hook", data=body, headers=headers) as response:
            return response.status, await response.read()


def webhook_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(
        update={
            "webhook_url": HOOK_URL,
            "webhook_secret": SecretStr(SECRET),
            "listen": "127.0.0.1",
            "port": 0,  # the system chooses; WebhookServer.port tells which
            **changes,
        }
    )


@asynccontextmanager
async def serving(settings: Settings, fake: FakeBotAPI, clock: FakeClock) -> AsyncIterator[Replica]:
    """One replica in webhook mode, stopped afterwards as SIGTERM would stop it."""
    application = build_application(settings, request=fake.request(), clock=clock)
    server = await start_webhook(application, settings)
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{server.port}") as http:
            yield Replica(server, http, settings.model_copy(update={"port": server.port}))
    finally:
        await server.stop()


def help_update(fake: FakeBotAPI) -> bytes:
    """A rep's /help, as Telegram would post it."""
    fake.register_chat(REP, first_name="Maija")
    message = {
        "message_id": fake.register_user_message(REP),
        "date": int(time.time()),
        "chat": {"id": REP, "type": "private", "first_name": "Maija"},
        "from": user_json(REP, "Maija", "en", None),
        "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
    }
    return json.dumps({"update_id": next(_update_ids), "message": message}).encode()


async def test_updates_without_the_secret_token_are_refused(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    async with serving(webhook_settings(settings), fake, clock) as replica:
        for secret in (None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper()):
            assert await replica.post(help_update(fake), secret=secret) == (403, b""), secret
        assert fake.messages(REP) == [], "a refused update reached the bot"


async def test_an_update_is_confirmed_after_the_bot_answered_it(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    async with serving(webhook_settings(settings), fake, clock) as replica:
        status, _ = await replica.post(help_update(fake))
        assert status == 200
        # No waiting: by the time Telegram has its 200, the reply has gone out.
        first_line = parse_html(Translator("en")("help.text")).text.splitlines()[0]
        assert first_line in (fake.last_message(REP).text or "")


async def test_a_body_that_is_not_an_update_is_a_bad_request(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    async with serving(webhook_settings(settings), fake, clock) as replica:
        for body in (
            b"{not json",
            b"",
            b"[1, 2]",
            b'"text"',
            b'{"message": {"text": "/help"}}',
            b'{"update_id": "x"}',
            b'{"update_id": true}',
            b'{"update_id": 1.5, "message": {"text": "/help"}}',
        ):
            status, _ = await replica.post(body)
            assert status == 400, body
        assert fake.messages(REP) == []
        # Only POST is served on the webhook path.
        async with replica.http.get("/telegram/hook") as response:
            assert response.status == 405


async def test_healthz_asks_the_database(settings: Settings, fake: FakeBotAPI, clock: FakeClock) -> None:
    async with serving(webhook_settings(settings), fake, clock) as replica:
        async with replica.http.get("/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok"}
        data = replica.server.application.bot_data
        engine = data.engine
        unreachable = create_engine_for("sqlite:////nonexistent-folder/prospect.db")
        data.engine = unreachable
        try:
            async with replica.http.get("/healthz") as response:
                assert response.status == 503
                assert (await response.json())["status"] == "database unavailable"
        finally:
            data.engine = engine
            unreachable.dispose()


async def test_healthz_fails_when_the_dispatcher_has_not_run_lately(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    async with serving(webhook_settings(settings), fake, clock) as replica:
        health = replica.server.application.bot_data.health
        # The health's own clock, not a wait: an hour from now, the last dispatcher run is an hour old.
        health.clock = lambda: time.time() + 3600
        async with replica.http.get("/healthz") as response:
            assert response.status == 503
            answer = await response.json()
        assert answer["status"] == "stalled"
        assert answer["problems"][0].startswith("dispatcher has not run for ")
        assert await asyncio.to_thread(healthcheck, replica.settings) == 1
        health.clock = time.time
        await replica.server.application.bot_data.dispatcher.tick()
        async with replica.http.get("/healthz") as response:
            assert response.status == 200


async def test_start_sets_the_webhook_once_and_runs_the_dispatcher(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    async with serving(webhook_settings(settings), fake, clock) as replica:
        calls = fake.calls("setWebhook")
        assert len(calls) == 1
        assert calls[0].params["url"] == HOOK_URL
        assert calls[0].params["secret_token"] == SECRET
        assert "callback_query" in calls[0].params["allowed_updates"]
        assert (fake.webhook_url, fake.webhook_secret) == (HOOK_URL, SECRET)
        # post_init ran (the command menu is published) and start() started the job queue with the dispatcher.
        assert fake.calls("setMyCommands")
        application = replica.server.application
        assert application.running
        assert application.job_queue is not None and application.job_queue.scheduler.running
        assert "dispatcher" in [job.name for job in application.job_queue.jobs()]
        assert (await replica.post(help_update(fake)))[0] == 200
    assert not application.running
    assert application.bot_data.engine is None, "post_shutdown closed the database"
    assert len(fake.calls("setWebhook")) == 1
    # Stopping one replica must not take the webhook away from the others.
    assert fake.calls("deleteWebhook") == [] and fake.webhook_url == HOOK_URL


async def test_docker_healthcheck_command(settings: Settings, fake: FakeBotAPI, clock: FakeClock) -> None:
    async with serving(webhook_settings(settings), fake, clock) as replica:
        # healthcheck() blocks (it is a command of its own), so it runs beside the server's event loop.
        assert await asyncio.to_thread(healthcheck, replica.settings) == 0
        port = replica.settings.port
    assert await asyncio.to_thread(healthcheck, webhook_settings(settings, port=port)) == 1


@pytest.mark.parametrize("secret", ["", "has space", "ä", "x" * 257])
async def test_a_secret_telegram_would_refuse_stops_the_start(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock, secret: str
) -> None:
    bad = webhook_settings(settings, webhook_secret=SecretStr(secret))
    application = build_application(bad, request=fake.request(), clock=clock)
    with pytest.raises(WebhookConfigError) as raised:
        await start_webhook(application, bad)
    if secret:
        assert secret not in str(raised.value), "the error shows the secret"
    assert fake.requests == [], "nothing was started"
