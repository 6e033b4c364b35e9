"""Load over real HTTP: the bot as a process against a bare PTB bot, latency per update as a rep feels it.

`python main.py` runs in webhook mode as production runs it, its TELEGRAM_BASE_URL pointed at the fake Bot API
(tests/fake_bot_api.py) served on 127.0.0.1 by this process (tests/factories.py `fake_bot_api_over_http`).
Updates are POSTed to its webhook with the secret header, as Telegram posts them (`RepOverWebhook`). Next to
it runs a bare PTB bot (benchmarks/bare_bot.py): a plain Application in webhook mode making the same Bot API
calls per update (sendMessage with an inline keyboard for a text; editMessageText and answerCallbackQuery for
a tap) with no storage. Each target has its own fake and its own process; the bot runs on SQLite (a temporary
file) and on PostgreSQL (a schema of its own, created and dropped here). The targets take turns, so other
load on the machine falls on all alike.

Latency per update: from the start of the POST that offers it to the moment the fake accepted the bot's
answer for that chat (the last sendMessage / editMessageText for the chat before the webhook answered 200).
Updates are offered at a fixed total rate, spread over the reps (rep k's j-th update at
(k + j * reps) / rate seconds); a rep never sends its next update before its last one was answered.

Scenarios (`--scenario`, several allowed; all by default):

- interactive: `--reps` reps (200) each tapping through `--captures` quick captures (name, Yes, Yes,
  Decision-maker, "< 1 month", "⏩ Finish", "Tomorrow", "✅ Save") at `--rate` updates/s in total (20).
  Goal: p50 within 1.2x and p99 within 1.5x of the bare bot.
- saturation: the offered rate stepped up (`--steps`, `--step-seconds` each) until p99 passes 100 ms or
  the achieved rate falls below 95 % of the offered one; the highest rate that held, bot against bare.
- flood: the interactive load with ALLOWED_USERS set to the reps, while one stranger posts `--flood-rate`
  messages a second (100; `/start <code>` and text alternately). Goal: reps' p99 under 100 ms and the
  stranger answered at most once. The bare bot has no allow-list and is not run here.
- delivery: `--light` reps (40) with one reminder each and one rep with `--heavy` (100), all due in the
  same minute (the heavy rep's rows seeded first), DISPATCH_INTERVAL_SECONDS=0.5, the fake's Telegram-like
  flood control on (30 sendMessage/s overall, 1/s per chat). Goal: the 40 delivered within 1.1x of 40/30 s
  of the first send, the 100 at one a second, zero 429s, none twice.

    python -m benchmarks.http_load                                   # everything, SQLite and PostgreSQL
    python -m benchmarks.http_load --scenario interactive --skip-postgres
    python -m benchmarks.http_load --scenario saturation --steps 20 30 40 60
    python -m benchmarks.http_load --scenario interactive --skip-sqlite    # PostgreSQL against bare
"""

from __future__ import annotations

import os

os.environ["PTB_TIMEDELTA"] = "true"

import argparse
import asyncio
import contextlib
import itertools
import json
import platform
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
import sqlalchemy as sa
import telegram

from benchmarks.capture import QUICK_CAPTURE_TAPS, contact_text
from benchmarks.databases import postgres_schema
from tests.factories import (
    TOKEN,
    BotProcess,
    RepOverWebhook,
    bot_environment,
    fake_bot_api_over_http,
    free_port,
    seed_due_reminders,
)
from tests.fake_bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
BARE_SCRIPT = ROOT / "benchmarks" / "bare_bot.py"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FIRST_REP = 5_000_001
WARM_UP_FIRST = 4_000_001
STRANGER = 6_666_666
ANSWER_METHODS = ("sendMessage", "editMessageText")
P99_LIMIT = 0.100
UPDATE_TIMEOUT = 30.0  # one update, POST to 200; longer fails the run
BARE = "bare PTB"
FLOORS = {1: "bare PTB + 1 {} write", 2: "bare PTB + a {} read and a write"}  # by statements per update


class LatencyFake(FakeBotAPI):
    """The fake Bot API, noting when it accepted each answer (sendMessage / editMessageText) per chat."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.answered_at: dict[int, float] = {}
        self.sent_log: list[tuple[int, float, str]] = []  # sendMessage accepted: chat, when, text
        self.expected_sends = 0
        self.all_sent = asyncio.Event()  # set once `expected_sends` sendMessage were accepted
        self.answers: dict[int, int] = defaultdict(int)
        self.too_many = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle(request)
        if response.status_code == 429:
            self.too_many += 1
        elif response.status_code == 200 and request.url.path.rsplit("/", 1)[-1] in ANSWER_METHODS:
            result = json.loads(response.content).get("result")
            if isinstance(result, dict):
                chat = int(result["chat"]["id"])
                self.answered_at[chat] = time.perf_counter()
                self.answers[chat] += 1
                if request.url.path.endswith("/sendMessage"):
                    self.sent_log.append((chat, self.answered_at[chat], str(result.get("text", ""))))
                    if self.expected_sends and len(self.sent_log) >= self.expected_sends:
                        self.all_sent.set()
        return response


class LoadRep(RepOverWebhook):
    """A rep tapping through quick captures over the webhook, one update at a time, each timed."""

    def __init__(self, fake: LatencyFake, http: aiohttp.ClientSession, url: str, user_id: int, index: int):
        super().__init__(fake, http, [url], user_id, first_name=f"Rep{index}")
        self.latency_fake, self.index = fake, index
        self.capture, self.step = 0, 0

    async def next_update(self) -> tuple[int, float]:
        """Offer the next update of the capture in progress: its step in the capture (0 for the name) and
        the latency to its answer, in seconds."""
        step, began = self.step, time.perf_counter()
        if self.step == 0:
            await asyncio.wait_for(self.send(contact_text(self.index, self.capture)), UPDATE_TIMEOUT)
        else:
            await asyncio.wait_for(self.press(QUICK_CAPTURE_TAPS[self.step - 1]), UPDATE_TIMEOUT)
        answered = self.latency_fake.answered_at.get(self.user_id, 0.0)
        if answered < began:
            raise AssertionError(f"rep {self.user_id}: no answer to update {self.step} of a capture")
        if self.step == len(QUICK_CAPTURE_TAPS):
            if "Saved" not in self.last_text:
                raise AssertionError(f"rep {self.user_id}: capture not saved: {self.last_text!r}")
            self.capture, self.step = self.capture + 1, 0
        else:
            self.step += 1
        return step, answered - began


@dataclass
class Target:
    name: str  # "bot, SQLite", "bot, PostgreSQL", BARE
    fake: LatencyFake
    process: BotProcess
    http: aiohttp.ClientSession
    reps: list[LoadRep] = field(default_factory=list)

    def make_reps(self, count: int, first: int = FIRST_REP) -> list[LoadRep]:
        return [
            LoadRep(self.fake, self.http, self.process.url, first + index, index) for index in range(count)
        ]


@dataclass
class Window:
    """What one target did over one paced run."""

    target: str
    offered_rate: float
    latencies: list[float]
    seconds: float
    lag: list[float]  # how late each update was offered against its slot (the rep still waiting)
    steps: list[int]  # each latency's step in its capture (0: the name; 1-7: the taps)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)

    @property
    def achieved_rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


async def paced(reps: list[LoadRep], rate: float, updates: int, within: float, target: str) -> Window:
    """`updates` updates over `reps` at `rate` per second in total (rep k has slots k, k + len(reps), ...);
    stops offering after `within` seconds."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    deadline = start + within
    latencies: list[float] = []
    lag: list[float] = []
    steps: list[int] = []

    async def one(k: int, rep: LoadRep) -> None:
        slot = k
        while slot < updates:
            at = start + slot / rate
            now = loop.time()
            if now >= deadline:
                return
            if at > now:
                await asyncio.sleep(at - now)
            lag.append(max(0.0, loop.time() - at))
            step, latency = await rep.next_update()
            steps.append(step)
            latencies.append(latency)
            slot += len(reps)

    began = time.perf_counter()
    await asyncio.gather(*(one(k, rep) for k, rep in enumerate(reps)))
    return Window(target, rate, latencies, time.perf_counter() - began, lag, steps)


# ---------------------------------------------------------------------------------------------
# The processes under test
# ---------------------------------------------------------------------------------------------


async def spawn_bare(
    bot_api: str, folder: Path, name: str, floor: tuple[str, int] | None = None
) -> BotProcess:
    """The bare bot; with `floor` (a database URL and 1 or 2) its handlers make that many statements
    first (benchmarks/bare_bot.py)."""
    port = free_port()
    log_path = folder / f"{log_name(name)}.log"
    log_file = log_path.open("wb")
    env = {
        **bot_environment("sqlite://", bot_api),  # the bare bot reads no DATABASE_URL
        "PYTHONPATH": str(ROOT),
        "PORT": str(port),
    }
    if floor is not None:
        url = sa.engine.make_url(floor[0])  # psycopg and sqlite3 take no SQLAlchemy driver name
        env["BARE_DATABASE_URL"] = url.set(drivername=url.get_backend_name()).render_as_string(False)
        env["BARE_STATEMENTS"] = str(floor[1])
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BARE_SCRIPT),
        cwd=folder,
        env=env,
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )
    return BotProcess(process, f"http://127.0.0.1:{port}", log_path, log_file)


@asynccontextmanager
async def started(
    name: str,
    database_url: str | None,
    folder: Path,
    floor: tuple[str, int] | None = None,
    **settings: object,
) -> AsyncIterator[Target]:
    """One target: its own fake over HTTP, its process (the bot on `database_url`, or the bare bot for None,
    with `floor` its statements) and an HTTP client to post its updates with; all stopped on leaving."""
    fake = LatencyFake()
    async with AsyncExitStack() as stack:
        bot_api = await stack.enter_async_context(fake_bot_api_over_http(fake))
        http = await stack.enter_async_context(
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(60))
        )
        if database_url is None:
            process = await spawn_bare(bot_api, folder, name, floor)
        else:
            env = bot_environment(database_url, bot_api, log_level="WARNING", **settings)
            process = await BotProcess.spawn(env, folder, log_name(name))
        try:
            await process.wait_until_healthy(http)
            target = Target(name, fake, process, http)
            # Untimed: imports on first use, the database's caches and pools, the connection to the fake.
            warm = target.make_reps(5, WARM_UP_FIRST)
            await paced(warm, 20.0, len(warm) * (1 + len(QUICK_CAPTURE_TAPS)), 60.0, name)
            yield target
            fake.assert_no_rejections()
            assert fake.too_many == 0, f"{name}: {fake.too_many} answers of 429"
        except BaseException:
            print(f"----- {process.log_path.name}\n{process.output()[-3000:]}", file=sys.stderr)
            raise
        finally:
            code = await process.terminate()
            await process.close()
            if code != 0:
                print(f"{name} exited with {code}:\n{process.output()[-3000:]}", file=sys.stderr)


@asynccontextmanager
async def all_targets(
    options: argparse.Namespace, folder: Path, *, bare: bool = True, **settings: object
) -> AsyncIterator[list[Target]]:
    async with AsyncExitStack() as stack:
        targets: list[Target] = []
        if not options.skip_sqlite:
            targets.append(
                await stack.enter_async_context(
                    started("bot, SQLite", f"sqlite:///{folder / 'prospect.db'}", folder, **settings)
                )
            )
        if not options.skip_postgres:
            schema_url = stack.enter_context(postgres_schema(options.postgres_url))
            if schema_url is not None:
                targets.append(
                    await stack.enter_async_context(
                        started("bot, PostgreSQL", schema_url, folder, **settings)
                    )
                )
        if options.on_loop:
            # The same bot with its database calls on the event loop (DATABASE_THREADS=0), a file of its
            # own: what the thread pool costs or saves.
            on_loop = {**settings, "database_threads": 0}
            url = f"sqlite:///{folder / 'on-loop.db'}"
            targets.append(
                await stack.enter_async_context(started("bot, SQLite, on the loop", url, folder, **on_loop))
            )
            if not options.skip_postgres:
                loop_schema = stack.enter_context(postgres_schema(options.postgres_url))
                if loop_schema is not None:
                    targets.append(
                        await stack.enter_async_context(
                            started("bot, PostgreSQL, on the loop", loop_schema, folder, **on_loop)
                        )
                    )
        if bare:
            targets.append(await stack.enter_async_context(started(BARE, None, folder)))
        if bare and options.floor:  # like the bare bot, the floor has no allow-list (not for flood)
            # What a bot that stores each answer cannot go below (benchmarks/bare_bot.py).
            floors: list[tuple[str, str]] = []
            if not options.skip_sqlite:
                floors.append(("SQLite", f"sqlite:///{folder / 'floor.db'}"))
            if not options.skip_postgres:
                floor_schema = stack.enter_context(postgres_schema(options.postgres_url))
                if floor_schema is not None:
                    floors.append(("PostgreSQL", floor_schema))
            for database, url in floors:
                for statements, name in FLOORS.items():
                    targets.append(
                        await stack.enter_async_context(
                            started(name.format(database), None, folder, (url, statements))
                        )
                    )
        yield targets


def log_name(name: str) -> str:
    return name.replace(" + ", "-").replace(", ", "-").replace(" ", "-")


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


async def interactive(options: argparse.Namespace, folder: Path, **settings: object) -> list[Window]:
    """Every target gets the same reps and captures, a slice of reps at a time in rotating order."""
    per_capture = 1 + len(QUICK_CAPTURE_TAPS)
    windows: dict[str, list[Window]] = defaultdict(list)
    async with all_targets(options, folder, **settings) as targets:
        for target in targets:
            target.reps = target.make_reps(options.reps)
        slices = max(1, options.slices)
        size = -(-options.reps // slices)
        for capture in range(options.captures):
            for number in range(slices):
                shift = (capture * slices + number) % len(targets)
                for target in targets[shift:] + targets[:shift]:
                    reps = target.reps[number * size : (number + 1) * size]
                    note(f"  interactive: {target.name}, capture {capture + 1}, reps slice {number + 1}")
                    windows[target.name].append(
                        await paced(
                            reps, options.rate, len(reps) * per_capture, options.max_seconds, target.name
                        )
                    )
    return [merge(name, parts) for name, parts in windows.items()]


def merge(name: str, parts: list[Window]) -> Window:
    return Window(
        name,
        parts[0].offered_rate,
        [value for part in parts for value in part.latencies],
        sum(part.seconds for part in parts),
        [value for part in parts for value in part.lag],
        [value for part in parts for value in part.steps],
    )


def holds(window: Window) -> bool:
    return window.p99 < P99_LIMIT and window.achieved_rate >= 0.95 * window.offered_rate


async def saturation(options: argparse.Namespace, folder: Path) -> list[Window]:
    """Each step offers one rate to every target in turn; a target drops out after its first failing step."""
    results: list[Window] = []
    async with all_targets(options, folder) as targets:
        for target in targets:
            target.reps = target.make_reps(options.reps)
        active = list(targets)
        for number, rate in enumerate(options.steps):
            shift = number % len(active) if active else 0
            for target in active[shift:] + active[:shift]:
                note(f"  saturation: {target.name} at {rate:g}/s")
                window = await paced(
                    target.reps,
                    rate,
                    int(rate * options.step_seconds),
                    options.step_seconds + 20,
                    target.name,
                )
                results.append(window)
            active = [
                target
                for target in active
                if holds(next(w for w in reversed(results) if w.target == target.name))
            ]
            if not active:
                break
    return results


@dataclass
class Flood:
    window: Window
    stranger_sent: int
    stranger_answers: int
    stranger_p50: float
    stranger_p99: float


async def strange(
    stranger: RepOverWebhook, rate: float, within: float, stop: asyncio.Event, times: list[float]
) -> int:
    """A stranger posting `rate` messages a second, each without waiting for the last, until `stop` (at most
    `rate * within` of them); the number sent. Alternately `/start <a code that is no invite>` and text."""

    async def one_message(number: int) -> None:
        began = time.perf_counter()
        text = f"/start {number:08x}deadbeef" if number % 2 == 0 else f"hello {number}"
        await asyncio.wait_for(stranger.send(text), UPDATE_TIMEOUT)
        times.append(time.perf_counter() - began)

    loop = asyncio.get_running_loop()
    start, sent, tasks = loop.time(), 0, []
    while not stop.is_set() and sent < int(rate * within):
        at = start + sent / rate
        if at > loop.time():
            await asyncio.sleep(at - loop.time())
        tasks.append(asyncio.create_task(one_message(sent)))
        sent += 1
    await asyncio.gather(*tasks)
    return sent


async def flood(options: argparse.Namespace, folder: Path) -> list[Flood]:
    """The interactive load with an allow-list of the reps, and a stranger posting `flood_rate`/s."""
    listed = [str(FIRST_REP + index) for index in range(options.reps)]
    listed += [str(WARM_UP_FIRST + index) for index in range(5)]
    results: list[Flood] = []
    per_capture = 1 + len(QUICK_CAPTURE_TAPS)
    async with all_targets(options, folder, bare=False, allowed_users=",".join(listed)) as targets:
        for target in targets:
            note(f"  flood: {target.name}")
            reps = target.make_reps(options.reps)
            stranger = RepOverWebhook(
                target.fake, target.http, [target.process.url], STRANGER, first_name="Eve"
            )
            stop = asyncio.Event()
            times: list[float] = []
            flooding = asyncio.create_task(
                strange(stranger, options.flood_rate, options.max_seconds + 5, stop, times)
            )
            await asyncio.sleep(1.0)  # the flood is on before the reps start
            try:
                window = await paced(
                    reps,
                    options.rate,
                    options.reps * per_capture * options.captures,
                    options.max_seconds,
                    target.name,
                )
            finally:
                stop.set()
                sent = await flooding
            results.append(
                Flood(
                    window,
                    sent,
                    target.fake.answers.get(STRANGER, 0),
                    statistics.median(times),
                    percentile(times, 0.99),
                )
            )
    return results


@dataclass
class Delivered:
    database: str
    spread_last: float  # first reminder sent -> the last of the 40 one-reminder reps
    heavy_sent: int
    heavy_gaps: list[float]  # between the heavy rep's consecutive reminders
    heavy_seconds: float  # first to last of the heavy rep's
    twice: int  # reminders delivered more than once
    missing: int
    too_many: int


async def delivery(options: argparse.Namespace, folder: Path) -> list[Delivered]:
    """`--light` reps with one reminder each and one rep with `--heavy`, all due now, the heavy rep's rows
    seeded first (so claimed first; `--heavy-last` seeds them after); the fake's flood control on (30/s
    overall, 1/s per chat)."""
    results: list[Delivered] = []
    async with AsyncExitStack() as stack:
        urls = [] if options.skip_sqlite else [("SQLite", f"sqlite:///{folder / 'delivery.db'}")]
        if not options.skip_postgres:
            schema_url = stack.enter_context(postgres_schema(options.postgres_url))
            if schema_url is not None:
                urls.append(("PostgreSQL", schema_url))
        for database, url in urls:
            note(f"  delivery: {database}")
            results.append(await delivery_on(database, url, options, folder))
    return results


async def delivery_on(database: str, url: str, options: argparse.Namespace, folder: Path) -> Delivered:
    fake = LatencyFake()
    fake.rate_limit(global_per_second=30, per_chat_per_second=1)
    heavy_chat, light_first = 8_000_000, 8_000_001
    fake.register_chat(heavy_chat)
    for number in range(options.light):
        fake.register_chat(light_first + number)
    async with fake_bot_api_over_http(fake) as bot_api, aiohttp.ClientSession() as http:
        env = bot_environment(url, bot_api, log_level="WARNING", dispatch_interval_seconds=0.5)
        migrate = await BotProcess.spawn(env, folder, f"migrate-{database}", "migrate")
        assert await migrate.wait(60) == 0, migrate.output()
        await migrate.close()
        engine = sa.create_engine(url)
        due = datetime.now(UTC).replace(second=0, microsecond=0)
        seeds = [
            {"reps": 1, "reminders": options.heavy, "first_chat": heavy_chat},
            {"reps": options.light, "reminders": options.light, "first_chat": light_first},
        ]
        for seed in reversed(seeds) if options.heavy_last else seeds:
            seed_due_reminders(engine, due=due, **seed)
        engine.dispose()
        process = await BotProcess.spawn(env, folder, f"delivery-{database}")
        try:
            await process.wait_until_healthy(http)
            fake.expected_sends = options.heavy + options.light
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fake.all_sent.wait(), options.heavy * 1.5 + 60)
            await asyncio.sleep(2.0)  # anything sent twice would come now
            code = await process.terminate()
            assert code == 0, f"the bot exited with {code}"
        finally:
            await process.close()
    log = list(fake.sent_log)
    first = min(at for _chat, at, _text in log) if log else 0.0
    light = [at for chat, at, _text in log if chat != heavy_chat]
    heavy = sorted(at for chat, at, _text in log if chat == heavy_chat)
    texts = [(chat, re.search(r"Contact \d+", text)) for chat, _at, text in log]
    names = [(chat, found.group(0)) for chat, found in texts if found]
    twice = len(names) - len(set(names))
    return Delivered(
        database,
        max(light) - first if light else float("nan"),
        len(heavy),
        [b - a for a, b in itertools.pairwise(heavy)],
        heavy[-1] - heavy[0] if heavy else float("nan"),
        twice,
        options.heavy + options.light - len(set(names)),
        fake.too_many,
    )


def delivery_table(results: list[Delivered], light: int) -> str:
    bound = light / 30
    lines = [
        f"| database | last of the {light} one-reminder reps s | bound {light}/30 s | ratio "
        "| heavy rep: sent | first to last s | gap min / median / max s | 429s | twice | missing |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        gaps = r.heavy_gaps or [float("nan")]
        lines.append(
            f"| {r.database} | {r.spread_last:.2f} | {bound:.2f} | {r.spread_last / bound:.2f}x "
            f"| {r.heavy_sent} "
            f"| {r.heavy_seconds:.1f} | {min(gaps):.2f} / {statistics.median(gaps):.2f} / {max(gaps):.2f} "
            f"| {r.too_many} | {r.twice} | {r.missing} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def interactive_table(windows: list[Window]) -> str:
    bare = next((window for window in windows if window.target == BARE), None)
    lines = [
        "| target | updates | offered /s | achieved /s | p50 ms | p99 ms | max ms "
        "| p50 / bare | p99 / bare |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in windows:
        r50 = f"{w.p50 / bare.p50:.2f}x" if bare else "-"
        r99 = f"{w.p99 / bare.p99:.2f}x" if bare else "-"
        lines.append(
            f"| {w.target} | {len(w.latencies)} | {w.offered_rate:g} | {w.achieved_rate:.1f} | {ms(w.p50)} "
            f"| {ms(w.p99)} | {ms(max(w.latencies))} | {r50} | {r99} |"
        )
    return "\n".join(lines)


STEP_NAMES = ("the name", *QUICK_CAPTURE_TAPS)


def step_table(windows: list[Window]) -> str:
    """p50 / p99 of each update of the capture, per target: which updates make the tail."""
    lines = [
        "| update | " + " | ".join(f"{w.target} p50 / p99 ms" for w in windows) + " |",
        "|---|" + "---:|" * len(windows),
    ]
    for number, name in enumerate(STEP_NAMES):
        cells = []
        for w in windows:
            values = [value for value, step in zip(w.latencies, w.steps, strict=True) if step == number]
            cells.append(
                f"{ms(statistics.median(values))} / {ms(percentile(values, 0.99))}" if values else "-"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def saturation_table(windows: list[Window]) -> str:
    lines = [
        "| target | offered /s | updates | achieved /s | p50 ms | p99 ms | offered late p99 ms | held |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for w in sorted(windows, key=lambda w: (w.target, w.offered_rate)):
        lines.append(
            f"| {w.target} | {w.offered_rate:g} | {len(w.latencies)} | {w.achieved_rate:.1f} | {ms(w.p50)} "
            f"| {ms(w.p99)} | {ms(percentile(w.lag, 0.99))} | {'yes' if holds(w) else 'no'} |"
        )
    best: dict[str, float] = {}
    for w in windows:
        if holds(w):
            best[w.target] = max(best.get(w.target, 0.0), w.offered_rate)
    lines.append("")
    lines.append(
        "Highest rate held (p99 < 100 ms, >= 95 % achieved): "
        + ", ".join(f"{name} {rate:g}/s" for name, rate in best.items())
    )
    return "\n".join(lines)


def flood_table(results: list[Flood]) -> str:
    lines = [
        "| target | rep updates | p50 ms | p99 ms | max ms | stranger messages | stranger answered "
        "| stranger POST p50 / p99 ms | reps' p99 < 100 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in results:
        w = f.window
        lines.append(
            f"| {w.target} | {len(w.latencies)} | {ms(w.p50)} | {ms(w.p99)} | {ms(max(w.latencies))} "
            f"| {f.stranger_sent} | {f.stranger_answers} | {ms(f.stranger_p50)} / {ms(f.stranger_p99)} "
            f"| {'yes' if w.p99 < P99_LIMIT else 'no'} |"
        )
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs (nproc), {platform.platform()}, Python {platform.python_version()}, "
        f"python-telegram-bot {telegram.__version__}, aiohttp {aiohttp.__version__}, "
        f"SQLAlchemy {sa.__version__}, SQLite {sqlite3.sqlite_version}"
    )


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


async def run(options: argparse.Namespace) -> None:
    print(f"http_load on {machine()}")
    print(f"load average at the start: {load_average()} (1, 5, 15 min)")
    for scenario in options.scenario:
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"http-load-{scenario}-") as directory:
            folder = Path(directory)
            note(f"{scenario} ...")
            if scenario == "interactive":
                windows = await interactive(options, folder)
                table = f"{interactive_table(windows)}\n\nBy update:\n\n{step_table(windows)}"
                head = (
                    f"{options.reps} reps x {options.captures} quick captures (8 updates each) at "
                    f"{options.rate:g} updates/s"
                )
            elif scenario == "saturation":
                table = saturation_table(await saturation(options, folder))
                head = f"{options.reps} reps, {options.step_seconds:g} s per step, steps {options.steps}"
            elif scenario == "delivery":
                table = delivery_table(await delivery(options, folder), options.light)
                head = (
                    f"{options.light} reps with one reminder and one rep with {options.heavy}, all due now "
                    f"(the heavy rep's rows seeded {'last' if options.heavy_last else 'first'}), "
                    "the fake's flood control on"
                )
            else:
                table = flood_table(await flood(options, folder))
                head = (
                    f"{options.reps} reps (allow-listed) x {options.captures} captures at {options.rate:g}"
                    f" updates/s, one stranger at {options.flood_rate:g} messages/s"
                )
        print(f"\n### {scenario}: {head}\n\n{table}\n")
        print(f"{time.perf_counter() - began:.0f} s; load average at the end: {load_average()}")


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.http_load", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--scenario",
        nargs="+",
        choices=("interactive", "saturation", "flood", "delivery"),
        default=["interactive", "saturation", "flood", "delivery"],
    )
    parser.add_argument("--reps", type=int, default=200, help="reps (200)")
    parser.add_argument("--captures", type=int, default=1, help="quick captures per rep (1)")
    parser.add_argument("--rate", type=float, default=20.0, help="updates/s offered in total (20)")
    parser.add_argument("--slices", type=int, default=4, help="turns per capture the reps are split in (4)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="cap on one paced run (120)")
    parser.add_argument(
        "--steps",
        type=float,
        nargs="+",
        default=[20, 30, 40, 60, 80],
        help="saturation rates (20 30 40 60 80)",
    )
    parser.add_argument("--step-seconds", type=float, default=8.0, help="seconds per saturation step (8)")
    parser.add_argument("--flood-rate", type=float, default=100.0, help="stranger's messages/s (100)")
    parser.add_argument("--light", type=int, default=40, help="delivery: reps with one reminder (40)")
    parser.add_argument("--heavy", type=int, default=100, help="delivery: the one rep's reminders (100)")
    parser.add_argument(
        "--heavy-last", action="store_true", help="delivery: seed the heavy rep's rows after the others'"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true", help="the bot on PostgreSQL only (and bare)")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run the bare bot with one statement per update, and with two: on SQLite in a thread, on "
        "PostgreSQL on an async connection; the floor of any bot that stores each answer there",
    )
    parser.add_argument(
        "--on-loop",
        action="store_true",
        help="also run the bot with its database calls on the event loop (DATABASE_THREADS=0)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    asyncio.run(run(parse_options(argv)))


if __name__ == "__main__":
    main()
