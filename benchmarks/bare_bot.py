"""A bare python-telegram-bot process for `benchmarks.http_load`: the floor the framework sets.

A plain PTB Application in webhook mode, with the bot's request and rate-limiter settings
(`HTTPXRequest(connection_pool_size=16)`, `AIORateLimiter(max_retries=2)`) and 16 updates at once, whose
two handlers make the same Bot API calls as the bot's quick capture (benchmarks/capture.py's screens): a
text gets sendMessage with an inline keyboard, a tap gets editMessageText and answerCallbackQuery. No
storage, no logic. Like the bot's own server (runtime/webhook.py), it checks the secret header, processes
the update and only then answers 200; GET /healthz answers 200 {"status": "ok"} once it has started.

Configured by the environment the bot reads: BOT_TOKEN, TELEGRAM_BASE_URL, WEBHOOK_URL (its path),
WEBHOOK_SECRET, LISTEN, PORT.

With BARE_DATABASE_URL it is the floor of a bot that stores its answers: before its calls, each handler
makes BARE_STATEMENTS (1 or 2) statements, with no ORM. With 1 it writes the chat's answer (an upsert,
committed); with 2 it reads the chat's row first, as a bot reads what a tap answers before it writes.
- A PostgreSQL URL: on psycopg's async connections, on the event loop with no thread, the cheapest round
  trips an asyncio process can make.
- A SQLite URL (sqlite:///path): with the standard library's driver and the bot's settings (WAL,
  synchronous=NORMAL, BEGIN IMMEDIATE for the write), each update's statements in one call to a thread of
  their own, since SQLite's driver has no asynchronous form: one hand-over to a thread and back, the
  least a bot that keeps its database work off the event loop pays on SQLite.

    BOT_TOKEN=... TELEGRAM_BASE_URL=http://127.0.0.1:8081/bot WEBHOOK_SECRET=... PORT=8443 \\
        python benchmarks/bare_bot.py
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import signal
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from benchmarks.capture import bare_on_tap, bare_on_text

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CONNECTIONS = 16  # one per update running at once

Handler = Callable[[Update, CallbackContext[Any, Any, Any, Any]], Coroutine[Any, Any, None]]


class Floor(ABC):
    """The statements a storing bot cannot do without, made before the bare handler's calls."""

    def __init__(self, statements: int) -> None:
        self.statements = statements

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def store(self, chat: int, answer: str) -> None: ...

    def then(self, handler: Handler) -> Handler:
        async def stored_first(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
            assert update.effective_chat is not None
            query = update.callback_query
            answer = query.data if query is not None and query.data is not None else "name"
            await self.store(update.effective_chat.id, answer)
            await handler(update, context)

        return stored_first

    @staticmethod
    def at(url: str, statements: int) -> Floor:
        if url.startswith("sqlite:///"):
            return SqliteFloor(url.removeprefix("sqlite:///"), statements)
        return PostgresFloor(url, statements)


class PostgresFloor(Floor):
    """On a few async connections of its own, on the event loop."""

    def __init__(self, url: str, statements: int) -> None:
        super().__init__(statements)
        self.url = url
        self.idle: asyncio.Queue[Any] = asyncio.Queue()

    async def open(self) -> None:
        import psycopg  # only the floor needs it (the postgres extra)

        for _ in range(CONNECTIONS):
            connection = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            self.idle.put_nowait(connection)
        connection = await self.idle.get()
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS bare_floor (chat BIGINT PRIMARY KEY, answers TEXT NOT NULL)"
        )
        self.idle.put_nowait(connection)

    async def close(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    async def store(self, chat: int, answer: str) -> None:
        connection = await self.idle.get()
        try:
            if self.statements > 1:
                await (
                    await connection.execute("SELECT answers FROM bare_floor WHERE chat = %s", (chat,))
                ).fetchone()
            await connection.execute(
                "INSERT INTO bare_floor (chat, answers) VALUES (%s, %s)"
                " ON CONFLICT (chat) DO UPDATE SET answers = excluded.answers",
                (chat, answer),
            )
        except BaseException:
            await connection.close()  # its state is unknown: a fresh one takes its place
            self.idle.put_nowait(await type(connection).connect(self.url, autocommit=True))
            raise
        else:
            self.idle.put_nowait(connection)


class SqliteFloor(Floor):
    """On one connection in one thread of its own: SQLite lets one writer in at a time."""

    def __init__(self, path: str, statements: int) -> None:
        super().__init__(statements)
        self.path = path
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floor")
        self.connection: sqlite3.Connection | None = None

    def _connect(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS bare_floor (chat INTEGER PRIMARY KEY, answers TEXT NOT NULL)"
        )
        self.connection = connection

    def _store(self, chat: int, answer: str) -> None:
        assert self.connection is not None
        if self.statements > 1:
            self.connection.execute("SELECT answers FROM bare_floor WHERE chat = ?", (chat,)).fetchone()
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self.connection.execute(
                "INSERT INTO bare_floor (chat, answers) VALUES (?, ?)"
                " ON CONFLICT (chat) DO UPDATE SET answers = excluded.answers",
                (chat, answer),
            )
            self.connection.execute("COMMIT")
        except BaseException:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise

    async def _in_thread(self, call: Callable[..., None], *args: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(self.thread, call, *args)

    async def open(self) -> None:
        await self._in_thread(self._connect)

    async def close(self) -> None:
        if self.connection is not None:
            await self._in_thread(self.connection.close)
        self.thread.shutdown(wait=True)

    async def store(self, chat: int, answer: str) -> None:
        await self._in_thread(self._store, chat, answer)


def build(floor: Floor | None = None) -> Application[Any, Any, Any, Any, Any, Any]:
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
    on_text, on_tap = (
        (floor.then(bare_on_text), floor.then(bare_on_tap)) if floor else (bare_on_text, bare_on_tap)
    )
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_tap, pattern=r"^b:"))
    return app


async def serve() -> None:
    url = os.environ.get("BARE_DATABASE_URL")
    floor = Floor.at(url, int(os.environ.get("BARE_STATEMENTS", "1"))) if url else None
    if floor is not None:
        await floor.open()
    app = build(floor)
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
        if floor is not None:
            await floor.close()


if __name__ == "__main__":
    asyncio.run(serve())
