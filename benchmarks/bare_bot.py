"""A bare python-telegram-bot process for `benchmarks.http_load`: the floor the framework sets.

A plain PTB Application in webhook mode, with the bot's request and rate-limiter settings
(`HTTPXRequest(connection_pool_size=16)`, `AIORateLimiter(max_retries=2)`) and 16 updates at once, whose
two handlers make the same Bot API calls as the bot's quick capture (benchmarks/capture.py's screens): a
text gets sendMessage with an inline keyboard, a tap gets answerCallbackQuery and editMessageText. No
storage, no logic. Like the bot's own server (runtime/webhook.py), it checks the secret header, processes
the update and only then answers 200; GET /healthz answers 200 {"status": "ok"} once it has started.

Configured by the environment the bot reads: BOT_TOKEN, TELEGRAM_BASE_URL, WEBHOOK_URL (its path),
WEBHOOK_SECRET, LISTEN, PORT.

    BOT_TOKEN=... TELEGRAM_BASE_URL=http://127.0.0.1:8081/bot WEBHOOK_SECRET=... PORT=8443 \\
        python benchmarks/bare_bot.py
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import signal
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from benchmarks.capture import bare_on_tap, bare_on_text

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def build() -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_BASE_URL"])
        .request(HTTPXRequest(connection_pool_size=16))
        .get_updates_request(HTTPXRequest())
        .rate_limiter(AIORateLimiter(max_retries=2))
        .concurrent_updates(16)
        .build()
    )
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, bare_on_text))
    app.add_handler(CallbackQueryHandler(bare_on_tap, pattern=r"^b:"))
    return app


async def serve() -> None:
    app = build()
    expected = os.environ["WEBHOOK_SECRET"].encode()
    path = urlsplit(os.environ.get("WEBHOOK_URL", "https://bot.test/telegram/hook")).path or "/"

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=403)
        update = Update.de_json(json.loads(await request.read()), app.bot)
        await app.update_processor.process_update(update, app.process_update(update))
        return web.Response(status=200)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"} if app.running else {"status": "starting"})

    web_app = web.Application()
    web_app.router.add_post(path, receive)
    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app, access_log=None)
    await app.initialize()
    await app.start()
    await runner.setup()
    await web.TCPSite(runner, os.environ.get("LISTEN", "127.0.0.1"), int(os.environ["PORT"])).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await app.stop()
        await app.shutdown()


if __name__ == "__main__":
    asyncio.run(serve())
