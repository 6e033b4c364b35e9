"""The capture benchmark: many reps capturing contacts at once, timed update by update.

Each simulated rep does the README's quick capture several times: send "Anna Virtanen 17, Acme Oy", tap
Yes, Yes, Decision-maker, "< 1 month", "⏩ Finish", "Tomorrow", "✅ Save" (eight updates). The reps run
as asyncio tasks, so their updates interleave as they would from a hundred phones; one rep's updates stay
in order. The same update stream goes to three applications, each over its own in-process fake Bot API
(tests/fake_bot_api.py), started side by side and measured in turns (one capture round each), so that
other load on a shared machine falls on all three alike:

- the bot, as `runtime.application.build_application` wires it, on SQLite (a temporary file, migrated on
  start);
- the bot on PostgreSQL (a schema of its own, created and dropped here);
- a bare python-telegram-bot Application whose handlers make the same Bot API calls (sendMessage with an
  inline keyboard for the name; editMessageText then answerCallbackQuery for each tap) with no storage and
  no logic: the floor the framework and the fake Bot API set.

What is timed is the wall time of each `Application.process_update` call, i.e. the server-side cost of an
update, including PTB's request encoding and the fake Bot API answering in process (no network unless
`--api-latency-ms` adds a round trip to every request).

How updates reach the application: through `Application.update_processor`, as the update fetcher and the
bot's webhook server hand them over. The bot's processor (runtime/updates.py) runs different chats at once
(CONCURRENT_UPDATES) and one chat's updates in order; the bare bot's is PTB's default, one at a time.
`--bypass-update-processor` awaits `process_update` from every rep task at once instead. With no network
and a synchronous database driver little inside `process_update` yields to the event loop; the ways differ
once `--api-latency-ms` makes handlers wait.

Telegram's quota: the bot's AIORateLimiter allows 30 chat-bound requests a second across all chats (every
sendMessage and editMessageText here counts), so a closed loop of reps would mostly measure that limiter
sleeping. By default the benchmark lifts that overall limit for both the bot and the bare bot (same
limiter class, same retries, `overall_max_rate=0`), so the comparison is about our code;
`--telegram-quota` keeps the limit exactly as the bot configures it.

    python -m benchmarks.capture --reps 100 --captures 5 [--postgres-url URL] [--skip-postgres]
    python -m benchmarks.capture --profile sqlite      # where the time goes, one variant under cProfile
"""

from __future__ import annotations

import os

# PTB 22 deprecates RetryAfter.retry_after as a number; the bot's code already handles the timedelta, and
# without the opt-in every retry would warn. PTB reads the variable when it is used, but set it first.
os.environ["PTB_TIMEDELTA"] = "true"

import argparse
import asyncio
import cProfile
import dataclasses
import functools
import itertools
import platform
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import sqlalchemy as sa
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

import runtime.application
from benchmarks.databases import postgres_schema
from bot.config import Settings
from tests.factories import TOKEN, FakeClock, RepChat
from tests.fake_bot_api import FakeBotAPI

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BASE_URL = "https://bot-api.test/bot"
FIRST_REP_ID = 100_001
WARM_UP_REP_ID = 99_999
BARE = "bare PTB"

# The taps of a quick capture after the name (README: "that is eight interactions").
QUICK_CAPTURE_TAPS = ("Yes", "Yes", "Decision-maker", "< 1 month", "⏩ Finish", "Tomorrow", "✅ Save")
FIRST_NAMES = ("Anna", "Ola", "Zsófia", "Jean", "Aino", "Pekka", "Ingrid", "Élodie")
LAST_NAMES = ("Virtanen", "Nordmann", "Kovács", "Dupont", "Hämäläinen", "Salo", "Berg", "Moreau")
COMPANIES = ("Acme Oy", "Fjord AS", "Duna Kft", "Lumière SA", "Kone", "Nordic Steel AB")

_update_ids = itertools.count(1)


def contact_text(rep_index: int, capture_index: int) -> str:
    """What a rep types to start a capture. The number keeps every name new to its rep, so no capture
    turns into the "you already have this contact" question."""
    first = FIRST_NAMES[(rep_index + capture_index) % len(FIRST_NAMES)]
    last = LAST_NAMES[(rep_index * 3 + capture_index) % len(LAST_NAMES)]
    company = COMPANIES[(rep_index + 2 * capture_index) % len(COMPANIES)]
    return f"{first} {last} {capture_index + 1}, {company}"


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


class TimedFakeBotAPI(FakeBotAPI):
    """The fake Bot API, adding up the time it spends answering: in production that time is a network
    round trip instead, so it is worth knowing how much of an update it is. With `latency` it sleeps
    that long before answering, like a round trip to Telegram."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(token=TOKEN)
        self.latency = latency
        self.busy_seconds = 0.0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            return await super().handle(request)
        finally:
            self.busy_seconds += time.perf_counter() - start


class UpdateFeeder:
    """Hands updates to an application and times each `process_update` (queueing behind other reps'
    updates is not counted: that is latency, not cost)."""

    def __init__(self, app: AnyApplication, *, through_update_processor: bool) -> None:
        self.app = app
        self.through_update_processor = through_update_processor
        self.seconds: list[float] = []

    async def feed(self, update: Update) -> None:
        if self.through_update_processor:
            # Exactly what the update fetcher (polling) and the webhook server do with each update.
            await self.app.update_processor.process_update(update, self._timed(update))
        else:
            await self._timed(update)

    async def _timed(self, update: Update) -> None:
        start = time.perf_counter()
        await self.app.process_update(update)
        self.seconds.append(time.perf_counter() - start)


class TimedRepChat(RepChat):
    """RepChat (send a name, press a button by its label) with its updates going through a feeder."""

    def __init__(
        self, app: AnyApplication, fake: FakeBotAPI, feeder: UpdateFeeder, *, user_id: int, clock: FakeClock
    ) -> None:
        super().__init__(app, fake, user_id=user_id, first_name="Rep", clock=clock)
        self.feeder = feeder

    async def _process(self, payload: dict[str, Any]) -> None:
        # RepChat's one hook for delivering an update; the update is built outside the timed part.
        payload["update_id"] = next(_update_ids)
        await self.feeder.feed(Update.de_json(payload, self.app.bot))


async def quick_capture(rep: TimedRepChat, rep_index: int, capture_index: int) -> None:
    """One quick capture: the name, then the seven taps, each update after the previous one's reply."""
    await rep.send(contact_text(rep_index, capture_index))
    for label in QUICK_CAPTURE_TAPS:
        await rep.press(label)  # fails loudly if the button is not there: the flow went elsewhere
    if "Saved" not in rep.last_text:
        raise AssertionError(f"capture {capture_index} of rep {rep_index} was not saved: {rep.last_text!r}")


@dataclasses.dataclass(frozen=True)
class Result:
    variant: str
    seconds: list[float]
    wall_seconds: float
    fake_api_seconds: float
    database: str = ""  # the server the bot ran on, with its version

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[98] * 1000

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.seconds) * 1000

    @property
    def updates_per_second(self) -> float:
        return len(self.seconds) / self.wall_seconds


@dataclasses.dataclass(frozen=True)
class Options:
    reps: int
    captures: int
    postgres_url: str
    skip_postgres: bool
    telegram_quota: bool
    bypass_update_processor: bool
    api_latency_ms: float
    profile: str | None


class Target:
    """One started application under test: its fake Bot API, its reps, and what was measured on it."""

    def __init__(
        self,
        variant: str,
        app: AnyApplication,
        fake: TimedFakeBotAPI,
        options: Options,
        *,
        database: str = "",
    ) -> None:
        self.variant, self.app, self.fake, self.database = variant, app, fake, database
        self.errors = record_errors(app)
        self.feeder = UpdateFeeder(app, through_update_processor=not options.bypass_update_processor)
        clock = FakeClock()
        self.warm_up_rep = TimedRepChat(app, fake, self.feeder, user_id=WARM_UP_REP_ID, clock=clock)
        self.reps = [
            TimedRepChat(app, fake, self.feeder, user_id=FIRST_REP_ID + index, clock=clock)
            for index in range(options.reps)
        ]
        self.wall_seconds = 0.0

    async def warm_up(self) -> None:
        """One capture, untimed: imports, catalogs and connection pools warm up outside the numbers."""
        await quick_capture(self.warm_up_rep, 0, 0)
        self.feeder.seconds.clear()
        self.fake.busy_seconds = 0.0

    async def capture_round(self, capture_index: int, profiler: cProfile.Profile | None) -> None:
        """Every rep does one quick capture, all at once: one task per rep, their updates interleaving."""
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        await asyncio.gather(
            *(quick_capture(rep, rep_index, capture_index) for rep_index, rep in enumerate(self.reps))
        )
        self.wall_seconds += time.perf_counter() - start
        if profiler is not None:
            profiler.disable()

    def result(self) -> Result:
        # A benchmark of a bot that failed, or that made calls Telegram would refuse, measures nothing.
        if self.errors:
            raise RuntimeError(f"{self.variant}: handlers raised {self.errors[:3]!r}")
        self.fake.assert_no_rejections()
        return Result(
            self.variant, self.feeder.seconds, self.wall_seconds, self.fake.busy_seconds, self.database
        )


async def measure(targets: list[Target], options: Options, profiler: cProfile.Profile | None) -> list[Result]:
    """Run the captures round by round, taking the variants in turn within each round.

    Interleaving is for fairness on a shared machine: whatever else runs meanwhile slows every variant
    alike, instead of whichever happened to run during that minute. The order rotates each round, so no
    variant always follows the same one.
    """
    for target in targets:
        await target.warm_up()
    for capture_index in range(options.captures):
        shift = capture_index % len(targets)
        for target in targets[shift:] + targets[:shift]:
            await target.capture_round(capture_index, profiler)
    return [target.result() for target in targets]


def record_errors(app: AnyApplication) -> list[BaseException]:
    """Collect whatever a handler raises, so that a failing run stops the benchmark instead of timing it."""
    errors: list[BaseException] = []

    async def record(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        if context.error is not None:
            errors.append(context.error)

    app.add_error_handler(record)
    return errors


def rate_limiter_kwargs(options: Options) -> dict[str, Any]:
    """Telegram's overall 30 requests a second as the bot configures it, or lifted (see the docstring)."""
    return {} if options.telegram_quota else {"overall_max_rate": 0}


# ---------------------------------------------------------------------------------------------
# (a) and (b): the bot, on SQLite and on PostgreSQL
# ---------------------------------------------------------------------------------------------


def bot_settings(database_url: str) -> Settings:
    return Settings(
        bot_token=TOKEN,
        database_url=database_url,
        telegram_base_url=BASE_URL,
        _env_file=None,  # type: ignore[call-arg]
    )


@asynccontextmanager
async def started_bot(variant: str, settings: Settings, options: Options) -> AsyncIterator[Target]:
    """The real Application, built and started as the tests do (and as run_polling would start it)."""
    fake = TimedFakeBotAPI(options.api_latency_ms / 1000)
    limiter = functools.partial(AIORateLimiter, **rate_limiter_kwargs(options))
    # build_application creates its own AIORateLimiter(max_retries=2); only the overall limit is changed.
    with mock.patch.object(runtime.application, "AIORateLimiter", limiter):
        app = runtime.application.build_application(settings, request=fake.request(), clock=FakeClock())
    # The JobQueue is not started (no app.start()): the reminder dispatcher does not run, as nothing
    # falls due at the fixed clock anyway.
    await app.initialize()
    await runtime.application.start_services(app)  # migrates the database, as `python main.py` does on start
    engine = app.bot_data.engine
    version = ".".join(str(part) for part in engine.dialect.server_version_info or ())
    try:
        yield Target(variant, app, fake, options, database=f"{engine.dialect.name} {version}")
    finally:
        await runtime.application.stop_services(app)
        await app.shutdown()


@asynccontextmanager
async def bot_on_sqlite(options: Options) -> AsyncIterator[Target | None]:
    """(a) The bot on a fresh SQLite file."""
    with tempfile.TemporaryDirectory(prefix="capture-bench-") as folder:
        settings = bot_settings(f"sqlite:///{Path(folder) / 'prospect.db'}")
        async with started_bot("bot, SQLite", settings, options) as target:
            yield target


@asynccontextmanager
async def bot_on_postgres(options: Options) -> AsyncIterator[Target | None]:
    """(b) The bot on PostgreSQL, in a schema of its own; None when the server is not reachable."""
    # Settings turns a deployer's postgresql:// into SQLAlchemy's postgresql+psycopg://.
    url = bot_settings(options.postgres_url).database_url
    with postgres_schema(url) as schema_url:
        if schema_url is None:
            yield None
            return
        async with started_bot("bot, PostgreSQL", bot_settings(schema_url), options) as target:
            yield target


# ---------------------------------------------------------------------------------------------
# (c) the bare bot: the same Bot API calls, no storage, no logic
# ---------------------------------------------------------------------------------------------

# The bot's own screens for this flow (texts and keyboards as it renders them in English), so that the
# bare bot's requests are as long as the bot's: the fake Bot API parses the HTML of every text.
_WHO = "<b>Anna Virtanen 17</b>, Acme Oy"
_CONTROLS = ("◀ Back", "Skip", "⏩ Finish")
BARE_SCREENS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    (
        f"📝 {_WHO}\n\n<b>Need?</b> Do they have a real need we can solve?",
        (("Yes", "Partly"), ("No", "Don't know"), _CONTROLS),
    ),
    (f"📝 {_WHO}\n\n<b>Budget?</b> Can they pay for it?", (("Yes", "No"), ("Don't know",), _CONTROLS)),
    (
        f"📝 {_WHO}\n\n<b>Decision-maker?</b> Can they decide on the purchase?",
        (("Decision-maker", "Influencer"), ("Neither", "Don't know"), _CONTROLS),
    ),
    (
        f"📝 {_WHO}\n\n<b>Timeline?</b> When do they mean to buy?",
        (("< 1 month", "1–3 months"), ("3–12 months", "No timeline"), ("Don't know",), _CONTROLS),
    ),
    (f"📝 {_WHO}\n\n<b>Fit?</b> Are they in our target market?", (("Yes", "No"), ("Don't know",), _CONTROLS)),
    (
        f"📝 {_WHO}\n\n<b>Next step?</b> When should I remind you to follow up?",
        (("Tomorrow", "In 3 days"), ("Next week", "📅 Type a date"), ("No next step",), ("◀ Back",)),
    ),
    (
        f"<b>Check and save</b>\n👤 {_WHO}\n\n<b>Prospect</b>: need, budget, decision-maker, timeline under"
        " 1 month\nScore <b>87</b>/100: need +25, budget +20, decision-maker +20\n\nNeed: Yes\nBudget: Yes\n"
        "Authority: Decision-maker\nTimeline: &lt; 1 month\nFit: –\nSource: –\n"
        "⏰ Next step: Thu 26 Nov, 09:00",
        (("✅ Save", "✏️ Edit", "✖ Cancel"),),
    ),
    (
        "✅ Saved <b>Anna Virtanen 17</b>: Prospect, score 87.\nNext step: Thu 26 Nov, 09:00",
        (("Open card",),),
    ),
)


def bare_keyboard(screen: int) -> InlineKeyboardMarkup:
    """A screen's keyboard; every button leads to the next screen, which its callback_data names."""
    rows = BARE_SCREENS[screen][1]
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"b:{screen + 1}:{label[:8]}") for label in row]
            for row in rows
        ]
    )


async def bare_on_text(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
    """A name: send the first question with its keyboard (the bot's sendMessage)."""
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, BARE_SCREENS[0][0], parse_mode=ParseMode.HTML, reply_markup=bare_keyboard(0)
    )


async def bare_on_tap(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
    """A tap: edit the message to the next screen, then answer the query (the bot's two calls, in its
    order: the press is answered last)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    screen = int(query.data.split(":")[1])
    await query.edit_message_text(
        BARE_SCREENS[screen][0], parse_mode=ParseMode.HTML, reply_markup=bare_keyboard(screen)
    )
    await query.answer()


@asynccontextmanager
async def bare_bot(options: Options) -> AsyncIterator[Target | None]:
    """(c) A bare Application with the bot's framework configuration (request, rate limiter), nothing else."""
    fake = TimedFakeBotAPI(options.api_latency_ms / 1000)
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(BASE_URL)
        .request(fake.request())
        .get_updates_request(fake.request())
        .rate_limiter(AIORateLimiter(max_retries=2, **rate_limiter_kwargs(options)))
        .build()
    )
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, bare_on_text))
    app.add_handler(CallbackQueryHandler(bare_on_tap, pattern=r"^b:"))
    await app.initialize()
    try:
        yield Target(BARE, app, fake, options)
    finally:
        await app.shutdown()


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def markdown_table(results: list[Result]) -> str:
    bare = next((result for result in results if result.variant == BARE), None)
    lines = [
        "| variant | updates | p50 ms | p99 ms | mean ms | updates/s | p50 / bare p50 "
        "| fake Bot API ms/update |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        ratio = f"{result.p50_ms / bare.p50_ms:.2f}x" if bare else "–"
        lines.append(
            f"| {result.variant} | {len(result.seconds)} | {result.p50_ms:.2f} | {result.p99_ms:.2f} "
            f"| {result.mean_ms:.2f} | {result.updates_per_second:.0f} | {ratio} "
            f"| {result.fake_api_seconds / len(result.seconds) * 1000:.2f} |"
        )
    return "\n".join(lines)


def setup_lines(options: Options, results: list[Result]) -> str:
    """What was run and on what, for the README next to the table."""
    feeding = (
        "process_update awaited from every rep task at once"
        if options.bypass_update_processor
        else "updates fed through Application.update_processor, as deployed"
    )
    quota = (
        "Telegram's 30/s overall quota as the bot configures it"
        if options.telegram_quota
        else "AIORateLimiter's overall 30/s quota lifted for every variant"
    )
    network = f"{options.api_latency_ms:g} ms per Bot API request" if options.api_latency_ms else "no network"
    databases = ", ".join(result.database for result in results if result.database)
    return (
        f"{options.reps} reps x {options.captures} quick captures (+1 warm-up capture); {feeding};\n"
        f"{quota}; {network}.\n"
        f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, python-telegram-bot "
        f"{telegram.__version__}, SQLAlchemy {sa.__version__}; databases: {databases or 'none'}.\n"
        # On a shared machine other work skews wall times; the load average says whether it did.
        f"Load average at the end: {' '.join(f'{load:.2f}' for load in os.getloadavg())} (1, 5, 15 min)."
    )


def _package_of(filename: str, function: str) -> str:
    """Which library (or which folder of ours) a profiled function belongs to."""
    if filename == "~":  # C functions: name the module they come from when cProfile says it
        for library in ("sqlite3", "psycopg", "json", "re"):
            if library in function:
                return f"{library} (C)"
        return "builtins (C)"
    path = Path(filename)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].split(".")[0]
    here = Path.cwd()
    if path.is_relative_to(here):
        return path.relative_to(here).parts[0]
    return "stdlib"


def print_profile(profiler: cProfile.Profile, updates: int) -> None:
    """Top functions by own time and by cumulative time, and own time added up per package."""
    stats = pstats.Stats(profiler)
    per_package: dict[str, float] = defaultdict(float)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, own, _cumulative, _callers) in raw.items():
        per_package[_package_of(filename, function)] += own
    total = sum(per_package.values())
    print(f"\n### Own time per package (profiled, {updates} updates, {total:.2f} s total)\n")
    print("| package | s | % | ms/update |\n|---|---:|---:|---:|")
    for package, seconds in sorted(per_package.items(), key=lambda item: -item[1])[:15]:
        print(f"| {package} | {seconds:.2f} | {seconds / total:.0%} | {seconds / updates * 1000:.2f} |")
    print()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

Variant = Callable[[Options], AbstractAsyncContextManager[Target | None]]
VARIANTS: dict[str, Variant] = {"sqlite": bot_on_sqlite, "postgres": bot_on_postgres, "bare": bare_bot}


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.capture", description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100, help="simulated reps capturing at once (100)")
    parser.add_argument("--captures", type=int, default=5, help="quick captures per rep (5)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help=f"({DEFAULT_POSTGRES_URL})")
    parser.add_argument("--skip-postgres", action="store_true", help="measure SQLite and the bare bot only")
    parser.add_argument(
        "--telegram-quota",
        action="store_true",
        help="keep AIORateLimiter's overall 30 requests/s as deployed (by default lifted for every variant)",
    )
    parser.add_argument(
        "--bypass-update-processor",
        action="store_true",
        help="await process_update from every rep at once, not one at a time as the update fetcher does",
    )
    parser.add_argument(
        "--api-latency-ms",
        type=float,
        default=0.0,
        help="a round trip to Telegram, slept by the fake Bot API before each answer (0)",
    )
    parser.add_argument("--profile", choices=sorted(VARIANTS), help="run only this variant, under cProfile")
    args = parser.parse_args(argv)
    return Options(
        reps=args.reps,
        captures=args.captures,
        postgres_url=args.postgres_url,
        skip_postgres=args.skip_postgres,
        telegram_quota=args.telegram_quota,
        bypass_update_processor=args.bypass_update_processor,
        api_latency_ms=args.api_latency_ms,
        profile=args.profile,
    )


async def run(options: Options) -> None:
    if options.profile is not None:
        names, profiler = [options.profile], cProfile.Profile()
    else:
        names = ["sqlite", "bare"] if options.skip_postgres else ["sqlite", "postgres", "bare"]
        profiler = None
    async with AsyncExitStack() as stack:
        started = [await stack.enter_async_context(VARIANTS[name](options)) for name in names]
        targets = [target for target in started if target is not None]
        if not targets:
            return
        results = await measure(targets, options, profiler)
    print(markdown_table(results))
    print(f"\n{setup_lines(options, results)}")
    if profiler is not None:
        print_profile(profiler, len(results[0].seconds))


def main(argv: list[str] | None = None) -> None:
    asyncio.run(run(parse_options(argv)))


if __name__ == "__main__":
    main()
