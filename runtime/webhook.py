"""Webhook mode: a small aiohttp server that takes Telegram's updates and answers `/healthz`.

Why not PTB's own `run_webhook`: its handler puts the update on `update_queue` and answers Telegram 200
before any handler has run, so an update in flight when a replica is stopped or dies is gone (Telegram
forgets a confirmed update). Here the update is processed first, the rep's answer is in its draft row,
and only then confirmed with 200; an update whose processing failed unexpectedly is answered 500 and
Telegram sends it again. The same server gives load balancers and Docker a `/healthz` that checks the
database. And since `post_init` / `post_shutdown` only run under PTB's `run_polling` / `run_webhook`,
`start_webhook` and `WebhookServer.stop` call them here, in the order PTB does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.engine import Engine
from telegram import Update

from bot.config import Settings
from runtime.application import BotApplication
from runtime.calendar import add_calendar_routes

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH: Final = "/healthz"
# How long /healthz waits for the database before calling this replica unhealthy.
DATABASE_CHECK_SECONDS: Final = 5.0
# How long a stopping replica lets the updates in flight finish (their drafts saved) before cancelling them.
SHUTDOWN_GRACE_SECONDS: Final = 10.0
# What Telegram accepts as secret_token: it is echoed back in a header.
_SECRET_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")


class WebhookConfigError(ValueError):
    """WEBHOOK_URL or WEBHOOK_SECRET cannot work; the message says why and never shows the secret."""


def webhook_path(url: str) -> str:
    """The path Telegram posts to: the path of WEBHOOK_URL (a proxy in front must pass it unchanged)."""
    return urlsplit(url).path or "/"


def create_web_app(application: BotApplication, *, path: str, secret: str) -> web.Application:
    """POST `path`: Telegram's updates, with its secret-token header; GET /healthz: the replica's health;
    GET /calendar/<token>.ics: a rep's calendar feed."""
    expected = secret.encode()

    async def receive_update(request: web.Request) -> web.Response:
        """One update: checked, processed, and only then confirmed to Telegram."""
        # Compared in constant time, so response timing tells nothing about how much of a guess was right.
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            log.warning("refused a webhook request without the right secret token")
            return web.Response(status=403)
        try:
            payload = json.loads(await request.read())
            # PTB builds an Update from whatever it is given; an update_id that is not a number would
            # fail later, inside processing, as a 500 that Telegram retries for a day.
            if not isinstance(payload, dict) or type(payload.get("update_id")) is not int:
                raise ValueError("an update is a JSON object with a numeric update_id")
            update = Update.de_json(payload, application.bot)
        except Exception:
            # Neither the body nor the error is logged: an update is full of personal data.
            log.warning("refused a webhook request whose body is not an update")
            return web.Response(status=400)
        try:
            # Through the update processor, as polling does: ApplicationBuilder.concurrent_updates applies.
            await application.update_processor.process_update(update, application.process_update(update))
        except Exception:
            # Handler errors reach the error handler inside process_update; this is anything else.
            log.exception("update %s could not be processed; Telegram will send it again", update.update_id)
            return web.Response(status=500)
        return web.Response(status=200)

    async def healthz(_request: web.Request) -> web.Response:
        """200 when the application runs, the database answers a trivial query and the dispatcher has run
        lately (runtime/health.py), else 503."""
        engine = application.bot_data.engine
        if engine is None or not application.running:
            return web.json_response({"status": "starting"}, status=503)
        try:
            # The engine is synchronous: the query runs in a thread so a hung database cannot stall updates.
            await asyncio.wait_for(asyncio.to_thread(_ping, engine), DATABASE_CHECK_SECONDS)
        except Exception as error:
            # Only the kind of failure: a driver's message can name hosts and users.
            log.warning("health check: the database did not answer (%s)", type(error).__name__)
            return web.json_response({"status": "database unavailable"}, status=503)
        stalled = application.bot_data.health.problems()
        if stalled:
            log.warning("health check: %s", "; ".join(stalled))
            return web.json_response({"status": "stalled", "problems": stalled}, status=503)
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post(path, receive_update)
    app.router.add_get(HEALTH_PATH, healthz)
    # The reps' calendar feeds (runtime/calendar.py): GET /calendar/<token>.ics.
    add_calendar_routes(app, application)
    return app


def _ping(engine: Engine) -> None:
    # A raw DBAPI connection: on SQLite a Connection would begin with BEGIN IMMEDIATE (storage/engine.py),
    # taking the write lock just to say hello. Checking it out of the pool pre-pings PostgreSQL as well.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchone()
        cursor.close()
    finally:
        connection.close()


class WebhookServer:
    """A running replica: the application started (job queue included) and the web server listening."""

    def __init__(self, application: BotApplication, runner: web.AppRunner) -> None:
        self.application, self.runner = application, runner

    @property
    def port(self) -> int:
        """The port listened on (PORT, or the one the system chose for PORT=0)."""
        return int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        await _stop(self.application, self.runner)


async def start_webhook(application: BotApplication, settings: Settings) -> WebhookServer:
    """Start as PTB's run_webhook would, but with this server: initialize, post_init (the database, the
    command menu, the dispatcher job), start (the job queue), listen, then setWebhook once."""
    url = settings.webhook_url
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not url:
        raise WebhookConfigError("webhook mode needs WEBHOOK_URL")
    if not _SECRET_SHAPE.fullmatch(secret):
        raise WebhookConfigError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    runner = web.AppRunner(
        create_web_app(application, path=webhook_path(url), secret=secret),
        access_log=None,  # a line per health check, and a feed path holds its token; refusals logged above
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
    )
    try:
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await runner.setup()
        await web.TCPSite(runner, settings.listen, settings.port).start()
        # Listening first: Telegram may deliver the moment the webhook is set. Every replica sets the same
        # URL and secret, which is idempotent; a 429 for replicas starting together is retried by the
        # rate limiter. The webhook is never deleted on stop: the other replicas are still serving.
        await application.bot.set_webhook(url=url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
    except BaseException:
        await _stop(application, runner)
        raise
    log.info("webhook set for %s; listening on %s:%s", urlsplit(url).hostname, settings.listen, settings.port)
    return WebhookServer(application, runner)


async def _stop(application: BotApplication, runner: web.AppRunner) -> None:
    # Updates first (those in flight finish and are confirmed), then the job queue (a dispatcher run in
    # progress completes), then the services: PTB's order of stop, post_stop, shutdown, post_shutdown.
    if runner.server is not None:
        await runner.cleanup()
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


async def run_webhook(application: BotApplication, settings: Settings) -> None:
    """Serve Telegram's webhook until SIGTERM (docker stop) or SIGINT (Ctrl+C), then shut down cleanly."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stopping.set)
    try:
        server = await start_webhook(application, settings)
        try:
            await stopping.wait()
            log.info("stopping: finishing the updates in flight")
        finally:
            await server.stop()
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
