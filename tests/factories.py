"""Factories: Telegram updates as Telegram sends them, and `RepChat`, a rep talking to the bot.

End-to-end tests read like a conversation: `await rep.send("/new")`, `await rep.press("Yes")`, then
assertions on `rep.last_text` and on what the repository stored.

For real processes (tests/system/test_replicas.py, tests/system/test_kill.py, benchmarks/process.py): the
fake Bot API served over HTTP (`fake_bot_api_over_http`), `python main.py` in webhook mode as a process of
its own (`BotProcess`, `bot_environment`, `bot_process`), or in polling mode (`bot_environment(...,
webhook=False)`, `polling_bot_process`), `RepOverWebhook`, a rep whose updates are posted to those
processes as Telegram posts them, and `seed_due_reminders`, reps with reminders already due.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import aiohttp
import httpx
import pytest
import segno
import sqlalchemy as sa
from aiohttp import web
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select
from telegram import Update
from telegram.ext import Application

from bot import capture as flow
from bot.config import Settings
from bot.qualification import QualificationAnswers
from bot.schedule import OPEN_STATES
from runtime.application import build_application, start_services, stop_services
from runtime.calendar import start_calendar_server
from runtime.webhook import HEALTH_PATH, SECRET_HEADER
from storage.database import Database
from storage.models import NO_FOLLOW_UP, Contact, Digest, FollowUp, Rep, UTCDateTime
from storage.repositories import Repositories
from storage.reps import RepRead
from tests.fake_bot_api import FakeBotAPI, SentMessage

TOKEN = "123456:TEST-token"
_callback_ids = itertools.count(1)


@dataclass
class FakeClock:
    """The injected clock: tests move time instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 13, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Storage(Repositories):
    """Every repository over one database, as the application opens them: for tests that drive storage
    without the bot (the `repo` fixture) or check what the bot stored (`storage_of`)."""

    @property
    def engine(self) -> Engine:
        return self.database.engine

    @property
    def clock(self) -> Any:
        return self.database.clock  # a FakeClock in tests: they move it with `.now = ...`

    @classmethod
    def on(cls, engine: Engine, clock: Callable[[], datetime], *, threads: int | None = None) -> Storage:
        return cls(**vars(Repositories.over(Database(engine, clock, threads=threads))))


def storage_of(app: Any) -> Storage:
    """The repositories of a started application (its database, engine and clock)."""
    repositories = app.bot_data.repositories
    assert repositories is not None, "the application was not started"
    return Storage(**vars(repositories))


def traces_of(app: Any, user_id: int, first_name: str | None = None) -> list[str]:
    """Every cell, in every table of the metadata, that holds the user's Telegram id (their private chat's
    id too), as a number or inside text or JSON, or their first name: "table.column" for each."""
    found = []
    with storage_of(app).engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    text = str(value)
                    if value == user_id or str(user_id) in text or (first_name and first_name in text):
                        found.append(f"{table.name}.{column}")
    return found


def make_rep(repo: Storage, telegram_id: int = 1) -> RepRead:
    """A registered rep in Helsinki with the digest at 08:30."""
    return repo.reps.register_rep(
        telegram_id=telegram_id,
        chat_id=telegram_id,
        language="en",
        timezone="Europe/Helsinki",
        digest_time=time(8, 30),
    )


def save(repo: Storage, rep: RepRead, answers: QualificationAnswers, now: datetime) -> int:
    """A capture of these answers saved for the rep, as the capture flow saves one; the contact's id."""
    draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=rep.chat_id, answers=answers, step=None)
    result = flow.evaluate(answers, now=now)
    contact = repo.drafts.save_capture(
        draft=draft, answers=result.answers, classification=result.classification, score=result.score
    )
    assert contact is not None
    return contact.id


def user_json(
    user_id: int, first_name: str, language_code: str | None, username: str | None
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    if username:
        user["username"] = username
    return user


@dataclass
class FakeMonotonic:
    """The dispatcher's pacing clock: its sleeps move this clock instead of waiting, and are recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RepChat:
    """One rep's private chat with the bot, driven through the real Application over the fake Bot API."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        fake: FakeBotAPI,
        *,
        user_id: int,
        first_name: str = "Maija",
        language_code: str | None = "en",
        username: str | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        self.app, self.fake, self.user_id = app, fake, user_id
        self.first_name, self.language_code, self.username = first_name, language_code, username
        self.clock = clock or FakeClock()
        fake.register_chat(user_id, first_name=first_name, username=username)

    # What the rep does

    async def send(self, text: str) -> None:
        message = self._message()
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        await self._process({"message": message})

    async def send_contact(self, phone: str, first_name: str, last_name: str | None = None) -> None:
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        message = self._message()
        message["contact"] = contact
        await self._process({"message": message})

    async def send_location(self, latitude: float, longitude: float) -> None:
        """Share a location, as the request_location button makes Telegram send it."""
        message = self._message()
        message["location"] = {"latitude": latitude, "longitude": longitude}
        await self._process({"message": message})

    async def forward(
        self, text: str, *, sender: str | None = None, hidden_sender: str | None = None
    ) -> None:
        """Forward a message from the person (a user with or without forwarding privacy)."""
        message = self._message()
        message["text"] = text
        date = int(self.clock().timestamp()) - 3600
        if sender is not None:
            first, _, last = sender.partition(" ")
            origin_user: dict[str, Any] = {"id": 987654, "is_bot": False, "first_name": first}
            if last:
                origin_user["last_name"] = last
            message["forward_origin"] = {"type": "user", "date": date, "sender_user": origin_user}
        else:
            message["forward_origin"] = {
                "type": "hidden_user",
                "date": date,
                "sender_user_name": hidden_sender,
            }
        await self._process({"message": message})

    async def send_document(self, content: bytes, filename: str, mime_type: str = "text/csv") -> None:
        message = self._message()
        message["document"] = self.fake.register_user_file(content, filename, mime_type)
        await self._process({"message": message})

    async def send_photo(self, content: bytes | None = None, *, caption: str | None = None) -> None:
        """Send a photo, as Telegram delivers it: its size list, each a file the bot can fetch with
        getFile. Without content: a photo of a plain wall (no card on it)."""
        message = self._message()
        message["photo"] = self.fake.register_user_photo(content if content is not None else blank_photo())
        if caption is not None:
            message["caption"] = caption
        await self._process({"message": message})

    async def send_sticker(self) -> None:
        message = self._message()
        message["sticker"] = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        await self._process({"message": message})

    async def send_voice(self) -> None:
        message = self._message()
        message["voice"] = {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3}
        await self._process({"message": message})

    async def edit(self, text: str) -> None:
        """Edit a message the user sent a minute ago: Telegram delivers it as an edited_message update."""
        message = self._message()
        message["text"] = text
        message["date"] -= 60
        message["edit_date"] = message["date"] + 60
        await self._process({"edited_message": message})

    async def press(self, label: str, *, message: SentMessage | None = None) -> str | None:
        """Tap the button with this label (exact, else the only one starting with it) on the newest
        message that has buttons; returns the alert or toast text the bot answered with."""
        target = message or self.last_with_buttons
        labels = [(text, data) for row in self.fake.buttons(target) for text, data in row]
        matches = [data for text, data in labels if text == label] or [
            data for text, data in labels if text.startswith(label)
        ]
        if len(matches) != 1 or matches[0] is None:
            raise AssertionError(f"no single button {label!r} among {[text for text, _ in labels]}")
        return await self.press_data(matches[0], message=target)

    async def press_data(self, data: str, *, message: SentMessage | None = None) -> str | None:
        """Deliver a callback query with this data, as if a button carrying it had been tapped."""
        target = message or self.last_with_buttons
        query_id = f"cb-{next(_callback_ids)}"
        self.fake.register_callback_query(query_id)
        query = {
            "id": query_id,
            "from": self._user(),
            "chat_instance": f"ci-{self.user_id}",
            "data": data,
            "message": {
                "message_id": target.message_id,
                "date": target.date,
                "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
                "from": {"id": self.fake.bot_id, "is_bot": True, "first_name": self.fake.bot_first_name},
                "text": target.text or "",
                # Telegram sends the message as it stands: its buttons, and when it was last edited.
                **({"reply_markup": target.reply_markup} if target.reply_markup else {}),
                **({"edit_date": target.edit_date} if target.edit_date else {}),
            },
        }
        await self._process({"callback_query": query})
        answer = self.fake.answered_callbacks.get(query_id)
        assert answer is not None, f"the bot did not answer the callback query {data!r}"
        text = answer.get("text")
        return str(text) if text is not None else None

    # What the rep sees

    @property
    def messages(self) -> list[SentMessage]:
        return [message for message in self.fake.messages(self.user_id) if not message.deleted]

    @property
    def last(self) -> SentMessage:
        return self.fake.last_message(self.user_id)

    @property
    def last_text(self) -> str:
        """The newest text the rep can read (files and pictures skipped)."""
        for message in reversed(self.messages):
            if message.text:
                return message.text
        return ""

    @property
    def last_with_buttons(self) -> SentMessage:
        for message in reversed(self.messages):
            if message.reply_markup and message.reply_markup.get("inline_keyboard"):
                return message
        raise AssertionError("no message with buttons in the chat")

    @property
    def button_labels(self) -> list[str]:
        """The labels of the newest message's buttons (empty when it has none)."""
        return (
            [text for row in self.fake.buttons(self.last) for text, _ in row]
            if self.last.reply_markup
            else []
        )

    def button_data(self, label: str) -> str:
        for row in self.fake.buttons(self.last_with_buttons):
            for text, data in row:
                if text == label and data is not None:
                    return data
        raise AssertionError(f"no button {label!r}")

    # Plumbing

    def _user(self) -> dict[str, Any]:
        return user_json(self.user_id, self.first_name, self.language_code, self.username)

    def _message(self) -> dict[str, Any]:
        return {
            "message_id": self.fake.register_user_message(self.user_id),
            "date": int(self.clock().timestamp()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": self._user(),
        }

    async def _process(self, payload: dict[str, Any]) -> None:
        payload["update_id"] = next(_update_ids)
        update = Update.de_json(payload, self.app.bot)
        # As the application's own fetcher does: through the update processor (one chat's updates in
        # order, different chats at once).
        await self.app.update_processor.process_update(update, self.app.process_update(update))


_update_ids = itertools.count(1)


# Real processes: `python main.py` in webhook mode against the fake Bot API served over HTTP

MAIN = Path(__file__).resolve().parent.parent / "main.py"
WEBHOOK_URL = "https://bot.test/telegram/hook"
WEBHOOK_PATH = "/telegram/hook"
WEBHOOK_SECRET = "replica-Secret_token-42"
# From spawning `python main.py` until its /healthz answers 200 (imports, migrations, setWebhook).
START_TIMEOUT = 40.0

# Awaited with the Bot API method's name ("sendMessage") around the fake's handling of a request.
ApiHook = Callable[[str], Awaitable[None]]


@asynccontextmanager
async def fake_bot_api_over_http(
    fake: FakeBotAPI, *, before: ApiHook | None = None, after: ApiHook | None = None
) -> AsyncIterator[str]:
    """The fake Bot API on 127.0.0.1 for processes of their own; yields its base URL (TELEGRAM_BASE_URL is
    that plus "/bot"). `before` runs before the fake sees a request: a process killed there never reached
    Telegram. `after` runs once the fake carried the request out, before the answer goes back: a delay
    there is a slow Bot API, and a process killed there had its message sent without learning it."""

    async def relay(request: web.Request) -> web.Response:
        method = request.path.rsplit("/", 1)[-1]
        if before is not None:
            await before(method)
        forwarded = httpx.Request(
            request.method, str(request.url), headers=dict(request.headers), content=await request.read()
        )
        answer = await fake.handle(forwarded)
        if after is not None:
            await after(method)
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(
    database_url: str, bot_api: str, *, webhook: bool = True, **settings: object
) -> dict[str, str]:
    """The environment of `python main.py` in webhook mode on 127.0.0.1 (long polling with
    `webhook=False`) against the fake at `bot_api`; `settings` add or override variables
    (DISPATCH_INTERVAL_SECONDS=0.5). PORT is chosen per process."""
    # Settings this machine may have in its environment must not leak into the processes.
    inherited = {
        name: value for name, value in os.environ.items() if name.lower() not in Settings.model_fields
    }
    mode = {"WEBHOOK_URL": WEBHOOK_URL, "WEBHOOK_SECRET": WEBHOOK_SECRET} if webhook else {}
    return {
        **inherited,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "TELEGRAM_BASE_URL": f"{bot_api}/bot",
        **mode,
        "LISTEN": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **{name.upper(): str(value) for name, value in settings.items()},
    }


class BotProcess:
    """One `python main.py` (webhook mode, 127.0.0.1, a free port), its output in `<folder>/<name>.log`.

    Started in `folder`, which should hold no `.env`: a developer's settings must not be read."""

    def __init__(
        self, process: asyncio.subprocess.Process, url: str, log_path: Path, log_file: IO[bytes]
    ) -> None:
        self.process, self.url, self.log_path, self._log_file = process, url, log_path, log_file

    @classmethod
    async def spawn(
        cls, env: Mapping[str, str], folder: Path, name: str, *args: str, port: int | None = None
    ) -> BotProcess:
        """Start the process and return at once (see `wait_until_healthy`); `port` is the one it serves on
        (a free one by default)."""
        port = port or free_port()
        log_path = folder / f"{name}.log"
        log_file = log_path.open("wb")
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(MAIN),
                *args,
                cwd=folder,
                env={**env, "PORT": str(port)},
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
            )
        except BaseException:
            log_file.close()
            raise
        return cls(process, f"http://127.0.0.1:{port}", log_path, log_file)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def wait_until_healthy(
        self, http: aiohttp.ClientSession, within: float = START_TIMEOUT, *, every: float = 0.05
    ) -> None:
        """Until /healthz answers 200 {"status": "ok"} (asked `every` seconds); fails if the process exits
        or takes longer than `within`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            assert self.returncode is None, f"the bot at {self.url} exited with {self.returncode}"
            try:
                async with http.get(self.url + HEALTH_PATH) as response:
                    if response.status == 200 and await response.json() == {"status": "ok"}:
                        return
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
            await asyncio.sleep(every)
        raise AssertionError(f"the bot at {self.url} did not become healthy in {within:.0f} s")

    async def wait_until_polling(
        self, fake: FakeBotAPI, calls_before: int, within: float = START_TIMEOUT, *, every: float = 0.02
    ) -> None:
        """Until the fake saw a getUpdates beyond the `calls_before` it had when the process was spawned (a
        polling process serves no /healthz, and it polls only once started); fails if the process exits
        or takes longer than `within`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(fake.calls("getUpdates")) <= calls_before:
            assert self.returncode is None, f"the bot exited with {self.returncode}"
            assert loop.time() < deadline, f"the bot did not poll in {within:.0f} s"
            await asyncio.sleep(every)

    def kill(self) -> None:
        """SIGKILL: no handler, no clean-up, as when the machine or the OOM killer ends the process.
        Synchronous, so it can be called from an ApiHook at an exact point of a Bot API call."""
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)

    async def wait(self, within: float = 30.0) -> int:
        """The exit code, once the process has ended (at most `within` seconds from now)."""
        return await asyncio.wait_for(self.process.wait(), within)

    async def terminate(self, within: float = 30.0) -> int:
        """SIGTERM, as `docker stop` sends; returns the exit code (0 when it shut down cleanly)."""
        if self.returncode is None:
            self.process.terminate()
        return await self.wait(within)

    async def close(self) -> None:
        """Kill the process if it still runs and close its log; safe to call more than once."""
        if self.returncode is None:
            self.process.kill()
            await self.process.wait()
        self._log_file.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


async def eventually(condition: Callable[[], object], what: str, within: float = 10.0) -> None:
    """Until `condition()` holds, asked every 10 ms: a bound, so a stuck loop fails instead of hanging
    (a wait, not a measurement: nothing is asserted about how long it took)."""

    async def holds() -> None:
        done = bool(condition())
        while not done:
            await asyncio.sleep(0.01)
            done = bool(condition())

    try:
        await asyncio.wait_for(holds(), timeout=within)
    except TimeoutError:
        pytest.fail(f"never happened: {what}")


class KillAtSend:
    """An `after` hook for fake_bot_api_over_http: kills `process` inside its `count`-th sendMessage,
    after the fake carried the message out and before the answer went back, so the message reached the
    rep and the process died without learning it."""

    def __init__(self, count: int) -> None:
        self.count, self.sends = count, 0
        self.process: BotProcess | None = None

    async def __call__(self, method: str) -> None:
        if method == "sendMessage":
            self.sends += 1
            if self.sends == self.count and self.process is not None:
                self.process.kill()

    async def until_killed(self, env: Mapping[str, str], folder: Path, name: str, within: float) -> None:
        """Spawn `python main.py`, wait for the kill, and print the end of its output."""
        self.process = await BotProcess.spawn(env, folder, name)
        try:
            assert await self.process.wait(within) == -signal.SIGKILL
        finally:
            await self.process.close()
            print(f"----- {self.process.log_path.name}\n{self.process.output()[-4000:]}")


@asynccontextmanager
async def bot_process(env: Mapping[str, str], folder: Path, name: str) -> AsyncIterator[BotProcess]:
    """A healthy `python main.py`, always ended (SIGKILL if still running) when the block is left; its
    output's end is printed, which pytest shows when the test failed."""
    process = await BotProcess.spawn(env, folder, name)
    try:
        async with aiohttp.ClientSession() as http:
            await process.wait_until_healthy(http)
        yield process
    finally:
        await process.close()
        print(f"----- {process.log_path.name}\n{process.output()[-4000:]}")


@asynccontextmanager
async def polling_bot_process(
    env: Mapping[str, str], folder: Path, name: str, fake: FakeBotAPI
) -> AsyncIterator[BotProcess]:
    """A `python main.py` in polling mode (`bot_environment(..., webhook=False)`) that has started polling
    the fake, always ended (SIGKILL if still running) when the block is left; its output's end is
    printed."""
    calls_before = len(fake.calls("getUpdates"))
    process = await BotProcess.spawn(env, folder, name)
    try:
        await process.wait_until_polling(fake, calls_before)
        yield process
    finally:
        await process.close()
        print(f"----- {process.log_path.name}\n{process.output()[-4000:]}")


class RepOverWebhook(RepChat):
    """A rep whose updates reach bot processes over HTTP, as Telegram delivers them: to each of
    `replicas` in turn (the list may be changed, e.g. after a restart). An update not answered 200 stays
    in `unconfirmed`, and `redeliver()` posts it again with the same update_id, as Telegram does."""

    def __init__(
        self,
        fake: FakeBotAPI,
        http: aiohttp.ClientSession,
        replicas: list[str],
        user_id: int,
        *,
        first_name: str = "Maija",
    ) -> None:
        # No in-process Application: RepChat only uses one in _process, which goes over HTTP here.
        super().__init__(
            None,  # type: ignore[arg-type]
            fake,
            user_id=user_id,
            first_name=first_name,
            clock=FakeClock(datetime.now(UTC)),
        )
        self.http, self.replicas = http, replicas
        self.delivered_to: list[str] = []
        self.unconfirmed: list[dict[str, Any]] = []
        self._turn = 0

    async def _process(self, payload: dict[str, Any]) -> None:
        payload["update_id"] = next(_update_ids)
        self.unconfirmed.append(payload)
        await self._deliver(payload)

    async def redeliver(self) -> None:
        """Post every unconfirmed update again, oldest first."""
        for payload in list(self.unconfirmed):
            await self._deliver(payload)

    async def _deliver(self, payload: dict[str, Any]) -> None:
        replica = self.replicas[self._turn % len(self.replicas)]
        self._turn += 1
        async with self.http.post(
            replica + WEBHOOK_PATH, json=payload, headers={SECRET_HEADER: WEBHOOK_SECRET}
        ) as response:
            # 200 comes after the update was processed: what the bot said is in the fake already.
            assert response.status == 200, f"{replica} answered {response.status}"
        self.unconfirmed.remove(payload)
        self.delivered_to.append(replica)


def seed_due_reminders(
    engine: Engine,
    *,
    reps: int,
    reminders: int,
    first_chat: int,
    due: datetime,
    zone: str = "UTC",
    digests: bool = False,
    now: datetime | None = None,
) -> list[int]:
    """`reps` onboarded reps (telegram and chat ids from `first_chat`) and `reminders` follow-ups due at
    `due`, on contacts "Contact 0", "Contact 1" ... owned in turn; with `digests`, one digest per rep due
    then too (sent even if empty). Returns the reps' ids. The reps have no working days, so the
    dispatcher plans no digests of its own for them. `now` stamps the rows (the real clock by default)."""
    now = now or datetime.now(UTC)
    with Session(engine) as session:
        # In one transaction: dispatchers that are already running plan digests for any rep they see.
        rep_rows = [
            Rep(
                telegram_id=first_chat + number,
                chat_id=first_chat + number,
                language="en",
                timezone=zone,
                digest_time="09:00",
                onboarded=True,
                working_days="",
                digest_when_empty=True,
                created_at=now,
                updated_at=now,
            )
            for number in range(reps)
        ]
        session.add_all(rep_rows)
        session.flush()
        rep_ids = [rep.id or 0 for rep in rep_rows]
        contacts = [
            Contact(
                owner_id=rep_ids[index % reps],
                name=f"Contact {index}",
                name_key=f"contact {index}",
                status="lead",
                status_rule="bant-v1",
                next_due_at=due,
                created_at=now,
                updated_at=now,
            )
            for index in range(reminders)
        ]
        session.add_all(contacts)
        session.flush()
        session.add_all(
            FollowUp(owner_id=contact.owner_id, contact_id=contact.id or 0, due_at=due, created_at=now)
            for contact in contacts
        )
        if digests:
            local_date = now.astimezone(ZoneInfo(zone)).date()
            session.add_all(Digest(rep_id=rep_id, local_date=local_date, due_at=due) for rep_id in rep_ids)
        session.commit()
    return rep_ids


def next_due_mismatches(engine: Engine) -> list[tuple[int, datetime, datetime]]:
    """Contacts whose next_due_at is not their soonest open follow-up's due time (NO_FOLLOW_UP for none):
    (id, stored, expected). Empty when the repository kept the column in step."""
    with Session(engine) as session:
        stored = dict(session.exec(select(Contact.id, Contact.next_due_at)).all())
        soonest = dict(
            session.exec(
                select(FollowUp.contact_id, func.min(FollowUp.due_at, type_=UTCDateTime()))
                .where(col(FollowUp.state).in_(OPEN_STATES))
                .group_by(col(FollowUp.contact_id))
            ).all()
        )
    return [
        (contact_id, value, soonest.get(contact_id, NO_FOLLOW_UP))
        for contact_id, value in stored.items()
        if value != soonest.get(contact_id, NO_FOLLOW_UP)
    ]


def add_contacts(engine: Engine, owner_id: int, now: datetime, count: int, **values: object) -> None:
    """`count` prospects "Virtanen 0000", "Virtanen 0001" ... of one rep in one bulk insert (a big book
    without capturing each), with `values` overriding any column."""
    rows = [
        {
            "owner_id": owner_id,
            "name": f"Virtanen {index:04d}",
            "name_key": f"virtanen {index:04d}",
            "search_text": f"virtanen {index:04d}",
            "status": "prospect",
            "status_rule": "bant-v1",
            "status_reasons": [],
            "score_reasons": [],
            "created_at": now,
            "updated_at": now,
            **values,
        }
        for index in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(Contact), rows)


@asynccontextmanager
async def running_app(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock, pacing: FakeMonotonic | None = None
) -> AsyncIterator[tuple[Any, list[BaseException]]]:
    """The real Application, started as run_polling would start it, over the fake Bot API, with the
    dispatcher's pacer on a fake monotonic clock; the handlers' errors are collected for the caller."""
    application = build_application(settings, request=fake.request(), clock=clock)
    errors: list[BaseException] = []

    async def record(update: object, context: Any) -> None:
        errors.append(context.error)

    application.add_error_handler(record)
    await application.initialize()
    await start_services(application)
    pacing = pacing or FakeMonotonic()
    pacer = application.bot_data.dispatcher.pacer
    pacer.monotonic, pacer.sleep = pacing, pacing.sleep
    try:
        yield application, errors
    finally:
        await stop_services(application)
        await application.shutdown()


async def capture(
    rep: RepChat, name: str, next_step: str = "Tomorrow", *, qualified: bool = False, note: str | None = None
) -> None:
    """The quick capture a rep does after a meeting: the name ("name, company" skips the company question),
    with `qualified` the four answers that make a prospect, with `note` a typed note, then ⏩ Finish, the
    next step and Save."""
    await rep.send(name)
    if "," not in name:
        await rep.press("Skip")
    if qualified:
        for label in ("Yes", "Yes", "Decision-maker", "< 1 month"):
            await rep.press(label)
    await rep.press("⏩ Finish")
    if note:
        await rep.press("◀ Back")  # from the next step back to the note
        await rep.send(note)
    await rep.press(next_step)
    await rep.press("✅ Save")


# Business cards, drawn as a phone would photograph them (tests of card reading)

CARD_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CARD_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def business_card(lines: Sequence[str], *, qr: str | None = None, tilt: float = 3.0) -> bytes:
    """A JPEG of a white card on a grey table: the first line big and bold (the name), the rest in
    small print; a QR code with this payload in the corner; turned by `tilt` degrees, as held by hand."""
    card = Image.new("RGB", (1050, 600), "white")
    draw = ImageDraw.Draw(card)
    y = 60
    for index, line in enumerate(lines):
        font = ImageFont.truetype(str(CARD_FONT_BOLD if index == 0 else CARD_FONT), 52 if index == 0 else 30)
        draw.text((60, y), line, font=font, fill=(25, 25, 35))
        y += 70 if index == 0 else 44
    if qr is not None:
        code = io.BytesIO()
        segno.make(qr, error="m").save(code, kind="png", scale=5, border=2)
        picture = Image.open(io.BytesIO(code.getvalue())).convert("RGB").resize((260, 260))
        card.paste(picture, (750, 300))
    photo = Image.new("RGB", (1400, 1000), (110, 110, 115))
    turned = card.rotate(tilt, Image.Resampling.BICUBIC, expand=True, fillcolor=(110, 110, 115))
    photo.paste(turned, ((1400 - turned.width) // 2, (1000 - turned.height) // 2))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=85)
    return out.getvalue()


def blank_photo() -> bytes:
    """A photo with nothing written on it: a wall, a floor, a pocket."""
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (182, 176, 170)).save(out, format="JPEG", quality=85)
    return out.getvalue()


# The chat page of `python main.py try`, in a real browser (the `browser_page` fixture)

# How long the page may take to show what the bot answered: a bound on a wait, not a measurement.
PAGE_WAIT_MS = 20_000


def try_environment() -> dict[str, str]:
    """The environment of `python main.py try`: none of this machine's bot settings, the logs unbuffered."""
    inherited = {
        name: value for name, value in os.environ.items() if name.lower() not in Settings.model_fields
    }
    return {**inherited, "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}


@asynccontextmanager
async def try_process(folder: Path) -> AsyncIterator[BotProcess]:
    """`python main.py try --port <free>` started in `folder` (its database is `folder`/data/try.db), once
    its chat page answers; always ended when the block is left, the end of its output printed."""
    port = free_port()
    process = await BotProcess.spawn(try_environment(), folder, "try", "try", "--port", str(port), port=port)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        async with aiohttp.ClientSession() as http:
            while True:
                assert process.returncode is None, f"python main.py try exited with {process.returncode}"
                assert loop.time() < deadline, f"the chat page did not answer in {START_TIMEOUT:.0f} s"
                try:
                    async with http.get(process.url + "/api/users") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass  # not listening yet
                await asyncio.sleep(0.05)
        yield process
    finally:
        await process.close()
        print(f"----- {process.log_path.name}\n{process.output()[-4000:]}")


class ChatPage:
    """A rep at the chat page in a real browser: they type, tap, attach and read, as on their phone; every
    step waits (boundedly) for what the page shows, as a person would."""

    def __init__(self, page: Any, url: str) -> None:
        self.page, self.url = page, url

    async def open(self, rep_id: int) -> None:
        await self.page.goto(f"{self.url}/?rep={rep_id}")
        await self.page.wait_for_selector("#rep option", state="attached")

    @property
    def bot_messages(self) -> Any:
        return self.page.locator(".message.bot")

    @property
    def last_bot_message(self) -> Any:
        return self.bot_messages.last

    async def send(self, text: str) -> None:
        """Type a message and tap send; returns once the page shows it sent."""
        from playwright.async_api import expect

        sent = self.page.locator(".message.user .text").filter(has_text=text)
        before = await sent.count()
        await self.page.fill("#text", text)
        await self.page.click("#send")
        await expect(sent).to_have_count(before + 1, timeout=PAGE_WAIT_MS)

    async def press(self, label: str) -> None:
        """Tap the button with this label on the newest message that has buttons, and wait until the bot
        answered the press (as the app's spinner does)."""
        message = self.page.locator(".message.bot:has(.keyboard)").last
        button = message.locator(".keyboard button").filter(has_text=label)
        exact = button.get_by_text(label, exact=True)
        target = exact if await exact.count() == 1 else button
        async with self.page.expect_response(lambda response: response.url.endswith("/press")) as answer:
            await target.click(timeout=PAGE_WAIT_MS)
        assert (await answer.value).status == 200

    async def expect_last(self, text: str) -> None:
        """Until the bot's newest message shows `text`."""
        from playwright.async_api import expect

        await expect(self.last_bot_message).to_contain_text(text, timeout=PAGE_WAIT_MS)

    async def button_labels(self) -> list[str]:
        message = self.page.locator(".message.bot:has(.keyboard)").last
        return [label.strip() for label in await message.locator(".keyboard button").all_inner_texts()]


@asynccontextmanager
async def calendar_feeds(app: Any) -> AsyncIterator[aiohttp.ClientSession]:
    """The calendar feeds of a started application served as long polling serves them (CALENDAR_PORT),
    on 127.0.0.1; yields an HTTP client whose base URL is that server."""
    runner = await start_calendar_server(app, app.bot_data.settings)
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{runner.addresses[0][1]}") as http:
            yield http
    finally:
        await runner.cleanup()


class Statements:
    """The SQL statements the application's engine runs while `recording`, in order."""

    def __init__(self, app: Any) -> None:
        self.engine = app.bot_data.engine
        self.seen: list[str] = []
        self.on = False
        sa.event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.on:
            self.seen.append(" ".join(statement.split()))

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        self.seen, self.on = [], True
        try:
            yield self.seen
        finally:
            self.on = False

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)
