"""The broadcast benchmark: many digests due in the same minute, sent under Telegram's 30 messages a second.

Two measurements, each on SQLite (a fresh temporary file) and on PostgreSQL (a schema of its own, created and
dropped here):

1. Broadcast. N reps whose 09:00 UTC digests fall due in the same minute, each with one follow-up due later
   today so that every digest has content (a line and a button). The real application is built as `python
   main.py` builds it (`runtime.application.build_application`, AIORateLimiter included) over the in-process
   fake Bot API with Telegram-like flood control switched on: at most 30 sendMessage a second overall and
   one a second per chat, on a sliding one-second window of real `time.monotonic`, answering 429 beyond
   that. The dispatcher's pacer uses the real `asyncio.sleep` and `time.monotonic`, so what is timed is what
   production does: `Dispatcher.run_once()` from its start to the last digest the fake accepted. The lower
   bound is N/30 seconds; the goal is within 1.1x of it with no 429 at all.

2. Dispatcher cost per reminder. 500 due reminders over 50 reps (ten each; `--cost-reminders`,
   `--cost-reps`), with the pacer's waits set to zero, AIORateLimiter's overall limit lifted and the
   fake's flood control off, so that only our own work is timed: claim (batches of 100), render, send
   through PTB into the in-process fake, mark sent. A second run with a no-op sender isolates the
   database part (claim + mark). Time in the FollowUpRepository's claim, mark and planning methods is
   broken out.

Today's digest rows are seeded with the reps, as they stand in steady state: the dispatcher plans a rep's
next digest in the same run_once that sent the previous one (and that next-day planning is part of what
run_once does here, and is timed). First-day planning of thousands of reps is not part of the broadcast.

    python -m benchmarks.broadcast --reps 600 3000 [--postgres-url URL] [--skip-postgres]
    python -m benchmarks.broadcast --reps 600 --rate 30 --skip-postgres   # the pacer at the full 30/s
"""

from __future__ import annotations

import os

# PTB 22 deprecates RetryAfter.retry_after as a number; the bot's code already handles the timedelta, and
# without the opt-in every 429 would warn. PTB reads the variable when it is used, but set it first.
os.environ["PTB_TIMEDELTA"] = "true"

import argparse
import asyncio
import functools
import itertools
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import sqlalchemy as sa
import telegram
from sqlmodel import Session, col, func, select
from telegram.ext import AIORateLimiter

import runtime.application
from benchmarks.databases import postgres_schema
from bot.config import SUPPORTED_LANGUAGES, Settings
from bot.delivery import Delivery, Result
from bot.i18n import Translator
from bot.text_keys import search_key
from runtime.dispatcher import Dispatcher
from storage.followups import DueDigest, DueReminder
from storage.models import Contact, Digest, FollowUp, Interaction, Rep
from tests.factories import TOKEN, FakeClock
from tests.fake_bot_api import FakeBotAPI

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BASE_URL = "https://bot-api.test/bot"
TELEGRAM_PER_SECOND = 30  # the overall limit the fake enforces, and the bound's denominator

# A Wednesday (all reps work 1234567 anyway). The digests are due at 09:00 UTC; the dispatcher runs half a
# minute into that minute, as a 20-second dispatch tick would.
DIGEST_DAY = datetime(2026, 11, 25, tzinfo=UTC)
DIGEST_TIME = "09:00"
DIGEST_MINUTE = DIGEST_DAY + timedelta(hours=9, seconds=30)

AnyApplication = Any

# The FollowUpRepository methods timed during the broadcast: the first three run between batches, the
# last three between two sends of one batch.
BROADCAST_PHASES = (
    "plan_digests",
    "claim_due_reminders",
    "claim_due_digests",
    "go_cold",
    "digest_data",
    "mark_digest_sent",
)


# ---------------------------------------------------------------------------------------------
# Plumbing: databases, the application, seeding
# ---------------------------------------------------------------------------------------------


class TimedFakeBotAPI(FakeBotAPI):
    """The fake Bot API, noting when each sendMessage was accepted (the fake keeps no timestamps)."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.delivered_at: list[float] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle(request)
        if response.status_code == 200 and request.url.path.endswith("/sendMessage"):
            self.delivered_at.append(time.perf_counter())
        return response


def bot_settings(database_url: str, rate: float | None) -> Settings:
    extra: dict[str, Any] = {} if rate is None else {"broadcast_rate_per_second": rate}
    return Settings(
        bot_token=TOKEN,
        database_url=database_url,
        telegram_base_url=BASE_URL,
        _env_file=None,  # type: ignore[call-arg]
        **extra,
    )


@contextmanager
def fresh_database(kind: str, postgres_url: str) -> Iterator[str | None]:
    """A URL to an empty database of this kind (migrated later by start_services), or None if unavailable."""
    if kind == "SQLite":
        with tempfile.TemporaryDirectory(prefix="broadcast-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'prospect.db'}"
    else:
        # Settings turns a deployer's postgresql:// into SQLAlchemy's postgresql+psycopg://.
        with postgres_schema(bot_settings(postgres_url, None).database_url) as url:
            yield url


@asynccontextmanager
async def running_app(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock, *, lift_overall_limit: bool = False
) -> AsyncIterator[AnyApplication]:
    """The real Application, started as run_polling would start it (without polling or the JobQueue
    ticking: the benchmark calls run_once itself, so no tick competes for the dispatcher's lock)."""
    limiter = functools.partial(AIORateLimiter, overall_max_rate=0) if lift_overall_limit else AIORateLimiter
    # build_application makes its own AIORateLimiter(max_retries=2); for the cost measurement only its
    # overall 30/s is lifted, otherwise it, not our code, would set the pace.
    with mock.patch.object(runtime.application, "AIORateLimiter", limiter):
        app = runtime.application.build_application(settings, request=fake.request(), clock=clock)
    await app.initialize()
    await runtime.application.start_services(app)  # migrates the database, as `python main.py` does on start
    try:
        yield app
    finally:
        await runtime.application.stop_services(app)
        await app.shutdown()


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows into a model's table in multi-row statements; returns their ids in the order given.

    Plain dicts, not model instances: constructing thousands of SQLModel objects alone takes seconds, and
    the table's column defaults fill in the rest as they would for the ORM."""
    table = model.__table__
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(row_id) for row_id in session.execute(statement, rows).scalars()]


def seed_reps(
    engine: sa.Engine,
    count: int,
    *,
    digest_time: str,
    followups_per_rep: int,
    followup_due: datetime,
    first_id: int = 10_000_000,
) -> list[int]:
    """`count` onboarded reps (in the five languages, zone UTC, every day a working day), each with
    `followups_per_rep` contacts that have a note and one open follow-up, and today's digest row;
    returns their chat ids.

    Rows go into the storage models' tables directly: going through the capture flow would time the
    capture, not the dispatcher."""
    created = DIGEST_DAY - timedelta(days=30)
    chats = [first_id + index for index in range(count)]
    with Session(engine) as session, session.begin():
        rep_ids = _insert(
            session,
            Rep,
            [
                {
                    "telegram_id": chat_id,
                    "chat_id": chat_id,
                    "language": SUPPORTED_LANGUAGES[index % len(SUPPORTED_LANGUAGES)],
                    "timezone": "UTC",
                    "digest_time": digest_time,
                    "onboarded": True,
                    "working_days": "1234567",
                    "digest_when_empty": True,
                    "created_at": created,
                    "updated_at": created,
                }
                for index, chat_id in enumerate(chats)
            ],
        )
        owners = [rep_id for rep_id in rep_ids for _ in range(followups_per_rep)]
        names = [f"Anna Virtanen {index % followups_per_rep + 1}" for index in range(len(owners))]
        contact_ids = _insert(
            session,
            Contact,
            [
                {
                    "owner_id": owner,
                    "name": name,
                    "name_key": search_key(name),
                    "company": "Acme & Sons Oy",  # an "&" so that HTML escaping is part of rendering
                    "status": "lead",
                    "status_rule": "default",
                    "status_reasons": ["need.yes", "budget.unknown"],
                    "score": 40,
                    "score_reasons": [["need.yes", 25], ["touches", 5]],
                    "touches": 1,
                    "search_text": search_key(f"{name} Acme & Sons Oy"),
                    "last_touch_at": DIGEST_DAY - timedelta(days=2),
                    "created_at": created,
                    "updated_at": created,
                }
                for owner, name in zip(owners, names, strict=True)
            ],
        )
        pairs = list(zip(owners, contact_ids, strict=True))
        _insert(
            session,
            Interaction,
            [
                {
                    "owner_id": owner,
                    "contact_id": contact_id,
                    "kind": "meeting",
                    "note": "Asked about pricing for 20 seats; wants a demo <next week>.",
                    "answers": {"need": "yes"},
                    "occurred_at": DIGEST_DAY - timedelta(days=2),
                }
                for owner, contact_id in pairs
            ],
        )
        _insert(
            session,
            FollowUp,
            [
                {
                    "owner_id": owner,
                    "contact_id": contact_id,
                    # Distinct due times, as real ones are, so the claim's ORDER BY has work to do.
                    "due_at": followup_due - timedelta(seconds=offset % 600),
                    "created_at": created,
                }
                for offset, (owner, contact_id) in enumerate(pairs)
            ],
        )
        # Today's digest rows, as the dispatcher planned them right after sending yesterday's: a rep's
        # next digest is planned in the same run_once that sent the previous one.
        due = DIGEST_DAY + digest_offset(digest_time)
        _insert(
            session,
            Digest,
            [{"rep_id": rep_id, "local_date": DIGEST_DAY.date(), "due_at": due} for rep_id in rep_ids],
        )
    return chats


def digest_offset(digest_time: str) -> timedelta:
    hours, minutes = (int(part) for part in digest_time.split(":"))
    return timedelta(hours=hours, minutes=minutes)


class PhaseTimer:
    """Time spent in some methods of one object (the dispatcher's FollowUpRepository) while it runs, call by
    call: which part of the dispatcher's database work sits between batches, outside the pacer's waits,
    and which part runs between two sends (hidden by the pacer unless it outlasts the interval)."""

    def __init__(self, target: object, names: tuple[str, ...]) -> None:
        self.calls: dict[str, list[float]] = {name: [] for name in names}
        for name in names:
            setattr(target, name, self._timed(name, getattr(target, name)))

    @property
    def seconds(self) -> dict[str, float]:
        return {name: sum(calls) for name, calls in self.calls.items()}

    def _timed(self, name: str, method: Any) -> Any:
        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.calls[name].append(time.perf_counter() - started)

        return timed


def warm_catalogs() -> None:
    # Each language's catalog is compiled once per process on first use; steady state has them loaded.
    for language in SUPPORTED_LANGUAGES:
        Translator(language)("digest.title", day="")


def count_rows(engine: sa.Engine, table: Any, state: str) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).where(col(table.state) == state)).one())


# ---------------------------------------------------------------------------------------------
# 1. The broadcast
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broadcast:
    database: str
    reps: int
    rate: float
    last_seconds: float  # run_once start -> last digest accepted by the fake: the measured time
    run_seconds: float  # run_once start -> run_once returned (the last mark and next-day planning too)
    longest_gap: float  # the longest time between two consecutive deliveries
    late_sends: int  # deliveries more than 1.5 pacer intervals after the previous one
    between_batches: float  # seconds in plan_digests and the claims, which the pacer's waits do not hide
    per_digest_db: list[
        float
    ]  # go_cold + digest_data + mark_digest_sent of each digest, run between two sends
    too_many_requests: int

    @property
    def bound(self) -> float:
        return self.reps / TELEGRAM_PER_SECOND

    @property
    def ratio(self) -> float:
        return self.last_seconds / self.bound

    @property
    def at_pace(self) -> float:
        """The last digest's time if every send went out exactly on the pacer's grid from t = 0."""
        return (self.reps - 1) / self.rate

    @property
    def lost(self) -> float:
        return self.last_seconds - self.at_pace


async def measure_broadcast(database: str, url: str, reps: int, rate: float | None) -> Broadcast:
    """N digests due at 09:00, sent by one run_once under the fake's 30/s and 1/s-per-chat flood control."""
    fake = TimedFakeBotAPI()
    clock = FakeClock(DIGEST_MINUTE)
    settings = bot_settings(url, rate)
    async with running_app(settings, fake, clock) as app:
        data = app.bot_data
        # One follow-up at 15:00 today per rep: not due now (so it is not claimed as a reminder), but
        # listed in the digest's "today" section, so every digest is a real message with a button.
        chats = seed_reps(
            data.engine,
            reps,
            digest_time=DIGEST_TIME,
            followups_per_rep=1,
            followup_due=DIGEST_DAY + timedelta(hours=15),
        )
        for chat_id in chats:
            fake.register_chat(chat_id)
        # The seeded rows are the ones the bot would have planned: planning now finds nothing to add.
        clock.now = DIGEST_MINUTE - timedelta(minutes=10)  # a dispatcher tick shortly before the minute
        assert data.repositories.followups.plan_digests() == 0
        clock.now = DIGEST_MINUTE
        warm_catalogs()
        phases = PhaseTimer(data.repositories.followups, BROADCAST_PHASES)
        fake.rate_limit(global_per_second=TELEGRAM_PER_SECOND, per_chat_per_second=1)
        dispatcher: Dispatcher = data.dispatcher
        started = time.perf_counter()
        sent = await dispatcher.run_once()
        run_seconds = time.perf_counter() - started

        delivered = fake.delivered_at
        assert sent == reps == len(delivered), f"sent {sent}, fake accepted {len(delivered)}, of {reps}"
        assert count_rows(data.engine, Digest, "sent") == reps
        fake.assert_no_rejections()
        interval = 1.0 / settings.broadcast_rate_per_second
        gaps = [later - earlier for earlier, later in itertools.pairwise(delivered)]
        calls = phases.calls
        return Broadcast(
            database=database,
            reps=reps,
            rate=settings.broadcast_rate_per_second,
            last_seconds=delivered[-1] - started,
            run_seconds=run_seconds,
            longest_gap=max(gaps, default=0.0),
            late_sends=sum(1 for gap in gaps if gap > 1.5 * interval),
            between_batches=sum(
                sum(calls[name]) for name in ("plan_digests", "claim_due_reminders", "claim_due_digests")
            ),
            per_digest_db=[
                cold_s + data_s + mark_s
                for cold_s, data_s, mark_s in zip(
                    calls["go_cold"], calls["digest_data"], calls["mark_digest_sent"], strict=True
                )
            ],
            too_many_requests=fake.too_many_requests,
        )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def broadcast_table(results: list[Broadcast]) -> str:
    lines = [
        "| database | reps | pacer /s | last digest s | bound N/30 s | ratio | 429s "
        "| on the pacer's grid s | lost s | plan + claim s | per-digest DB ms mean / p99 "
        "| late sends | longest gap ms | run_once s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        mean_db = sum(r.per_digest_db) / len(r.per_digest_db) * 1000
        lines.append(
            f"| {r.database} | {r.reps} | {r.rate:g} | {r.last_seconds:.2f} | {r.bound:.2f} "
            f"| {r.ratio:.3f}x | {r.too_many_requests} | {r.at_pace:.2f} | {r.lost:.2f} "
            f"| {r.between_batches:.2f} | {mean_db:.1f} / {percentile(r.per_digest_db, 0.99) * 1000:.1f} "
            f"| {r.late_sends} | {r.longest_gap * 1000:.0f} | {r.run_seconds:.2f} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 2. The dispatcher's own cost per reminder
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    database: str
    sender: str
    reminders: int
    seconds: float
    phases: dict[str, float]  # seconds in each timed FollowUpRepository method

    def ms(self, seconds: float) -> float:
        return seconds / self.reminders * 1000


COST_PHASES = ("claim_due_reminders", "mark_reminder_sent", "plan_digests", "claim_due_digests")


async def _noop_reminder(_reminder: DueReminder) -> Delivery:
    return Delivery(Result.SENT, message_id=1)


async def _noop_digest(_digest: DueDigest) -> Delivery:
    return Delivery(Result.SENT, message_id=1)


async def measure_dispatch_cost(database: str, url: str, reminders: int, reps: int, *, noop: bool) -> Cost:
    """One run_once over `reminders` due reminders with nothing waiting: no pacing, no Telegram quota."""
    fake = TimedFakeBotAPI()
    clock = FakeClock(DIGEST_MINUTE)
    async with running_app(bot_settings(url, None), fake, clock, lift_overall_limit=True) as app:
        data = app.bot_data
        # Today's digests are seeded for 18:00: each batch's plan_digests finds nothing to add, as in
        # steady state, and no digest competes with the reminders.
        chats = seed_reps(
            data.engine,
            reps,
            digest_time="18:00",
            followups_per_rep=reminders // reps,
            followup_due=DIGEST_MINUTE - timedelta(seconds=1),
        )
        for chat_id in chats:
            fake.register_chat(chat_id)
        warm_catalogs()
        if noop:
            # The same dispatcher logic and database work, with a sender that renders and sends nothing.
            dispatcher = Dispatcher(
                data.repositories.followups,
                clock=clock,
                send_reminder=_noop_reminder,
                send_digest=_noop_digest,
            )
        else:
            dispatcher = data.dispatcher
        # Pacing off: each chat has reminders/reps reminders, which would otherwise wait 1 s each.
        dispatcher.pacer.interval = 0.0
        dispatcher.pacer.per_chat = 0.0
        phases = PhaseTimer(data.repositories.followups, COST_PHASES)
        started = time.perf_counter()
        sent = await dispatcher.run_once()
        seconds = time.perf_counter() - started
        expected = reps * (reminders // reps)
        assert sent == expected, f"sent {sent} of {expected}"
        assert count_rows(data.engine, FollowUp, "sent") == expected
        assert len(fake.delivered_at) == (0 if noop else expected)
        fake.assert_no_rejections()
        sender = "no-op sender" if noop else "real sender"
        return Cost(database, sender, expected, seconds, dict(phases.seconds))


def cost_table(results: list[Cost]) -> str:
    lines = [
        "| database | sender | reminders | run_once s | ms per reminder | claim ms | mark ms "
        "| plan + digest claim ms | render + send + rest ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        claim, mark = r.phases["claim_due_reminders"], r.phases["mark_reminder_sent"]
        planning = r.phases["plan_digests"] + r.phases["claim_due_digests"]
        rest = r.seconds - claim - mark - planning
        lines.append(
            f"| {r.database} | {r.sender} | {r.reminders} | {r.seconds:.2f} | {r.ms(r.seconds):.2f} "
            f"| {r.ms(claim):.2f} | {r.ms(mark):.2f} | {r.ms(planning):.2f} | {r.ms(rest):.2f} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    reps: list[int]
    rate: float | None
    postgres_url: str
    skip_postgres: bool
    cost_reminders: int
    cost_reps: int


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.broadcast", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--reps", type=int, nargs="+", default=[600, 3000], help="digests per run (600 3000)")
    parser.add_argument(
        "--rate", type=float, default=None, help="the pacer's messages/s (default: the setting's, 28)"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help=f"({DEFAULT_POSTGRES_URL})")
    parser.add_argument("--skip-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--cost-reminders", type=int, default=500, help="reminders for the cost (500)")
    parser.add_argument("--cost-reps", type=int, default=50, help="reps they belong to (50)")
    args = parser.parse_args(argv)
    return Options(
        reps=args.reps,
        rate=args.rate,
        postgres_url=args.postgres_url,
        skip_postgres=args.skip_postgres,
        cost_reminders=args.cost_reminders,
        cost_reps=args.cost_reps,
    )


def machine_line(load_before: float) -> str:
    # The load average matters here: the pacer waits in real time, so CPU taken by other processes shows
    # up as database work that no longer fits between two sends.
    return (
        f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, python-telegram-bot "
        f"{telegram.__version__}, SQLAlchemy {sa.__version__}, SQLite {sqlite3.sqlite_version}; "
        f"1-minute load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )


async def run(options: Options) -> None:
    load_before = os.getloadavg()[0]
    databases = ["SQLite"] if options.skip_postgres else ["SQLite", "PostgreSQL"]
    broadcasts: list[Broadcast] = []
    costs: list[Cost] = []
    for database in databases:
        for reps in options.reps:
            # A fresh database per run: the previous run's sent digests and next-day rows would change
            # what the claims and the planning scan.
            with fresh_database(database, options.postgres_url) as url:
                if url is None:
                    break
                result = await measure_broadcast(database, url, reps, options.rate)
                broadcasts.append(result)
                # Progress on stderr: a 3,000-digest run takes two minutes before the tables appear.
                print(broadcast_table([result]).splitlines()[-1], file=sys.stderr)
        for noop in (False, True):
            with fresh_database(database, options.postgres_url) as url:
                if url is None:
                    break
                cost = await measure_dispatch_cost(
                    database, url, options.cost_reminders, options.cost_reps, noop=noop
                )
                costs.append(cost)
                print(cost_table([cost]).splitlines()[-1], file=sys.stderr)
    print("Broadcast: digests due in the same minute, fake Bot API enforcing 30/s overall and 1/s per chat\n")
    print(broadcast_table(broadcasts))
    print("\nDispatcher cost per reminder: pacing off, no Telegram quota, in-process fake Bot API\n")
    print(cost_table(costs))
    print(f"\n{machine_line(load_before)}")


def main(argv: list[str] | None = None) -> None:
    asyncio.run(run(parse_options(argv)))


if __name__ == "__main__":
    main()
