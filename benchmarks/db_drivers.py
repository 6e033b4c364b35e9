"""Database drivers: storage calls on the event loop, on a thread pool, or through an async driver.

Which way keeps the event loop free and answers most? One run measures, on SQLite (a temporary file set up by
`storage.engine.create_engine_for`) and on PostgreSQL (a schema of its own, created and dropped here), the
statements of the bot's quick capture, run by 16 and then 64 reps at once as coroutines on one event loop,
and then at a rep's pace:

- **on the loop**: the real repositories over `Database(engine, clock, threads=0)`; `Database.run` calls the
  synchronous driver (sqlite3, psycopg) on the event loop itself, so nothing else runs meanwhile;
- **thread pool**: the same over `Database(engine, clock)`, the deployed default: `Database.run` hands each
  call to a thread of a pool sized to the connection pool (15) and awaits it;
- **async driver**: SQLAlchemy's asyncio engine (`create_async_engine`) with aiosqlite or psycopg's async
  mode, the pool sized alike. The very same repository methods run over its `sync_engine` inside
  `sqlalchemy.util.greenlet_spawn`, the bridge by which `AsyncSession` and `AsyncConnection` run every ORM
  and Core operation: the statements are the same, byte for byte, and each driver call is awaited on the
  loop. A storage layer rewritten to `AsyncSession` would cross that bridge once per statement instead of
  once per call (the cost of one crossing is printed: a few microseconds).

One rep's capture is eight updates, each the calls its handler makes today, one `await` per call, each
starting with the preamble's read of the rep together with the capture the update concerns
(`get_rep_and_draft`):

1. the name: that read (the rep's open capture: none), one call that looks for duplicates
   (`find_duplicates`) and opens the draft (`open_draft`), and `update_draft` with the message id;
2. six taps (Need: Yes, Budget: Yes, Decision-maker, "< 1 month", Finish, Tomorrow): that read (the draft the
   button names) and the version-guarded `update_draft`;
3. Save: that read and `save_capture` (the draft closed at its version, the contact, its interaction and its
   follow-up inserted: one statement on PostgreSQL).

At saturation a rep sends its next update as soon as the last one is done, after one pass through the event
loop (where the bot would send its answer); an update's latency runs from then to its last call's return, so
time spent waiting for the loop, a thread or a connection is in it. Alongside, a heartbeat coroutine sleeps
1 ms in a loop; its lag (how late each wake-up is) is what every other chat's update would wait before it even
starts. Then at a rep's pace: PACED_REPS reps take turns at `--rate` updates a second in all (20, the
interactive load of benchmarks/http_load.py), so the process idles between updates as the bot does, and each
update's latency runs from its start to its last call's return. The three variants take turns, in rotating
order, in rounds of `--seconds / --rounds` (and `--paced-seconds / --rounds`) each, so other load on the
machine falls on all of them alike; each does an untimed warm-up first. A run fails if a storage call raises
(a "database is locked" included) or if a guarded update loses (no two updates of one rep overlap).

    python -m benchmarks.db_drivers [--seconds 4] [--rounds 2] [--rate 20] [--paced-seconds 10]
                                    [--threads N] [--postgres-url URL] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as daytime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from benchmarks.databases import postgres_schema
from bot.qualification import (
    Authority,
    Budget,
    Need,
    NextStepChoice,
    QualificationAnswers,
    Step,
    Timeline,
)
from bot.scoring import Engagement, classify, score
from storage.database import Database, pool_capacity
from storage.drafts import DraftRead
from storage.engine import READ_ONLY, SQLITE_BUSY_TIMEOUT_MS, _begin, create_engine_for, is_sqlite
from storage.migrate import upgrade_to_latest
from storage.repositories import Repositories
from storage.reps import RepRead

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONCURRENCY = (16, 64)
HEARTBEAT_SECONDS = 0.001
WARM_UP_SECONDS = 0.5
UPDATES_PER_CAPTURE = 8
PACED_REPS = 50


class Call(Protocol):
    """How a variant awaits one storage call: `await call(repositories.reps.get_rep, telegram_id=...)`."""

    def __call__(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Awaitable[Any]: ...


def clock() -> datetime:
    return datetime.now(UTC)


# The taps of the quick capture after the name: the step answered, its answer, the step asked next.
TAPS: tuple[tuple[Step, object, Step | None], ...] = (
    (Step.NEED, Need.YES, Step.BUDGET),
    (Step.BUDGET, Budget.YES, Step.AUTHORITY),
    (Step.AUTHORITY, Authority.DECISION_MAKER, Step.TIMELINE),
    (Step.TIMELINE, Timeline.UNDER_1_MONTH, Step.FIT),
    (Step.FIT, None, Step.NEXT_STEP),  # "⏩ Finish": the rest skipped, on to the next step
    (Step.NEXT_STEP, NextStepChoice.TOMORROW, None),
)


class LostUpdate(RuntimeError):
    """A guarded write lost although no other update of the rep ran: the benchmark is wrong, not slow."""


@dataclass
class CapturingRep:
    """One rep tapping through quick captures, one update at a time, through one variant's storage."""

    repositories: Repositories
    call: Call
    rep: RepRead
    update: int = 0  # which of the capture's eight updates comes next
    captures: int = 0
    draft: DraftRead | None = None
    answers: QualificationAnswers = field(default_factory=QualificationAnswers)

    async def next_update(self) -> int:
        """The storage calls of the rep's next update, as its handler makes them (the preamble's read of the
        rep with the capture the update concerns, then the handler's calls); which update it was (0 for the
        name, 7 for Save)."""
        call, drafts, update = self.call, self.repositories.drafts, self.update
        named = self.draft.id if update and self.draft is not None else None
        read = await call(drafts.get_rep_and_draft, telegram_id=self.rep.telegram_id, draft_id=named)
        assert read is not None, f"rep {self.rep.id} is not there"
        if update == 0:
            await self._name(read[1])
        else:
            assert self.draft is not None
            draft = read[1]
            if draft is None or draft.version != self.draft.version:
                raise LostUpdate(f"draft {self.draft.id} changed under rep {self.rep.id}")
            if update <= len(TAPS):
                await self._tap(draft, *TAPS[update - 1])
            else:
                await self._save(draft)
        self.update = (update + 1) % UPDATES_PER_CAPTURE
        return update

    async def _name(self, open_draft: DraftRead | None) -> None:
        call, drafts, contacts = self.call, self.repositories.drafts, self.repositories.contacts
        self.captures += 1
        # A name no earlier capture used, as most names are: the duplicate check finds nothing.
        answers = self.answers = QualificationAnswers(
            name=f"Anna Virtanen {self.rep.id}-{self.captures}", company="Acme Oy"
        )

        def opened() -> DraftRead:
            # The handler's one call: the look for duplicates and the new draft. (A capture cut short by the
            # end of a round is still open: open_draft cancels it, as starting over does.)
            contacts.find_duplicates(owner_id=self.rep.id, name=answers.name, phone=None)
            return drafts.open_draft(
                owner_id=self.rep.id,
                chat_id=self.rep.chat_id,
                answers=answers,
                step=Step.NEED,
                none_open=open_draft is None,
            )

        draft = await call(opened)
        self.draft = await self._guarded(drafts.update_draft, draft=draft, message_id=1000 + self.captures)

    async def _tap(self, draft: DraftRead, step: Step, answer: object, then: Step | None) -> None:
        if answer is not None:
            self.answers = self.answers.with_answer(step, answer)
        if answer is NextStepChoice.TOMORROW:
            self.answers = self.answers.model_copy(update={"next_due": clock() + timedelta(days=1)})
        self.draft = await self._guarded(
            self.repositories.drafts.update_draft,
            draft=draft,
            answers=self.answers,
            step=then,
            clear_step=then is None,
            changed_by=f"{self.rep.id}-{self.captures}-{self.update}",
        )

    async def _save(self, draft: DraftRead) -> None:
        saved = await self.call(
            self.repositories.drafts.save_capture,
            draft=draft,
            answers=self.answers,
            classification=classify(self.answers),
            score=score(self.answers, Engagement(), clock()),
        )
        if saved is None:
            raise LostUpdate(f"draft {draft.id} was no longer open at Save")
        self.draft = None

    async def _guarded(self, update_draft: Callable[..., DraftRead | None], **kwargs: Any) -> DraftRead:
        draft: DraftRead | None = await self.call(update_draft, **kwargs)
        if draft is None:
            raise LostUpdate(f"a guarded update of rep {self.rep.id}'s draft lost")
        return draft


@dataclass
class Paced:
    """What the paced rounds of one target saw: each update's latency, by which of the capture's it was."""

    updates: int = 0
    by_update: dict[str, list[float]] = field(default_factory=dict)

    def add(self, update: int, latency: float) -> None:
        kind = "name" if update == 0 else "Save" if update == UPDATES_PER_CAPTURE - 1 else "tap"
        self.by_update.setdefault(kind, []).append(latency)
        self.updates += 1

    @property
    def latencies(self) -> list[float]:
        return [latency for kind in self.by_update.values() for latency in kind]


@dataclass
class Target:
    """One variant's storage on one database, and the reps that use it."""

    label: str
    repositories: Repositories
    call: Call
    close: Callable[[], Awaitable[None]]
    lock_waits: list[float] = field(default_factory=list)  # seconds each writing BEGIN IMMEDIATE waited
    reps: list[CapturingRep] = field(default_factory=list)
    samples: dict[int, Sample] = field(default_factory=dict)
    paced: Paced = field(default_factory=Paced)


@dataclass
class Sample:
    """What the timed rounds of one target at one concurrency saw, added up over the rounds."""

    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    lock_waits: list[float] = field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(target: Target, concurrency: int, seconds: float, sample: Sample | None) -> None:
    """`concurrency` of the target's reps tap for `seconds`, with the heartbeat beside them."""
    stopped = False
    latencies: list[float] = []
    lags: list[float] = []

    async def heartbeat() -> None:
        while not stopped:
            before = time.perf_counter()
            await asyncio.sleep(HEARTBEAT_SECONDS)
            lags.append(time.perf_counter() - before - HEARTBEAT_SECONDS)

    async def tapping(rep: CapturingRep) -> None:
        while time.perf_counter() < deadline:
            offered = time.perf_counter()
            await asyncio.sleep(
                0
            )  # the pass through the loop where the bot answers and the next update comes
            await rep.next_update()
            latencies.append(time.perf_counter() - offered)

    beating = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    target.lock_waits.clear()
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(tapping(rep) for rep in target.reps[:concurrency]))
    elapsed = time.perf_counter() - start
    stopped = True
    await beating
    if sample is not None:
        sample.updates += len(latencies)
        sample.seconds += elapsed
        sample.latencies += latencies
        sample.lags += lags
        sample.lock_waits += target.lock_waits


async def measure_paced(target: Target, rate: float, seconds: float, paced: Paced | None) -> None:
    """The target's first PACED_REPS reps take turns, `rate` updates a second in all, as reps tap at their
    own pace: each update is offered at its time (one rep's next comes PACED_REPS / rate seconds after its
    last), and its latency runs from its start to its last call's return."""
    reps = target.reps[:PACED_REPS]
    updates = max(len(reps), round(rate * seconds))
    start = time.perf_counter() + 0.01

    async def tapping(first: int, rep: CapturingRep) -> None:
        for number in range(first, updates, len(reps)):
            at = start + number / rate
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            began = time.perf_counter()  # not `at`: how late the loop's timer wakes is not the database's
            update = await rep.next_update()
            if paced is not None:
                paced.add(update, time.perf_counter() - began)

    await asyncio.gather(*(tapping(number, rep) for number, rep in enumerate(reps)))


# ---------------------------------------------------------------------------------------------------------
# The three variants on one database
# ---------------------------------------------------------------------------------------------------------


def watch_write_lock(engine: Engine, waits: list[float]) -> None:
    """Time SQLite's BEGIN IMMEDIATE of every writing transaction: how long a writer waited for the write
    lock (SQLite's busy handler sleeps and retries until the lock is free or busy_timeout passes)."""

    def before(connection: sa.Connection) -> None:
        connection.info["begun"] = time.perf_counter()

    def after(connection: sa.Connection) -> None:
        begun = connection.info.pop("begun")
        if not connection.get_execution_options().get(READ_ONLY, False):
            waits.append(time.perf_counter() - begun)

    if is_sqlite(engine):
        # Around storage.engine's own listener, which sends the BEGIN.
        event.remove(engine, "begin", _begin)
        for listener in (before, _begin, after):
            event.listen(engine, "begin", listener)


def sync_target(label: str, url: str, *, threads: int | None) -> Target:
    """(a) threads=0: the synchronous driver on the loop; (b) threads=None: on the pool's threads."""
    engine = create_engine_for(url)
    database = Database(engine, clock, threads=threads)

    async def close() -> None:
        database.close()

    target = Target(label, Repositories.over(database), database.run, close)
    watch_write_lock(engine, target.lock_waits)
    return target


def _configure_aiosqlite(dbapi_connection: Any, _record: Any) -> None:
    # What storage.engine does for sqlite3, through SQLAlchemy's aiosqlite adapter (its isolation_level
    # setter and cursors run on aiosqlite's thread): no implicit BEGIN, WAL, the busy timeout, foreign keys.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def async_engine_for(url: str, capacity: int) -> AsyncEngine:
    """An asyncio engine set up as storage.engine sets up the synchronous one, with a pool as large."""
    pool = {"pool_size": 5, "max_overflow": capacity - 5}
    if url.startswith("sqlite"):
        engine = create_async_engine(url.replace("sqlite://", "sqlite+aiosqlite://", 1), **pool)
        event.listen(engine.sync_engine, "connect", _configure_aiosqlite)
        # BEGIN IMMEDIATE for writing transactions, BEGIN DEFERRED for reads: storage.engine's own listener.
        event.listen(engine.sync_engine, "begin", _begin)
        return engine
    return create_async_engine(url, pool_recycle=1800, **pool)


def async_target(label: str, url: str, capacity: int) -> Target:
    """(c) The asyncio engine: the same repository methods, each driver call awaited on the loop."""
    engine = async_engine_for(url, capacity)
    database = Database(engine.sync_engine, clock, threads=0)

    async def close() -> None:
        await engine.dispose()

    target = Target(label, Repositories.over(database), greenlet_spawn, close)
    watch_write_lock(engine.sync_engine, target.lock_waits)
    return target


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="db-drivers-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'prospect.db'}"


@asynccontextmanager
async def targets_on(url: str, reps: int, threads: int | None) -> AsyncIterator[tuple[list[Target], str]]:
    """The three variants on a migrated database with `reps` reps, and the database's name and version;
    `threads` sizes the thread pool (None: as the application sizes it, one per connection)."""
    engine = create_engine_for(url)
    try:
        upgrade_to_latest(engine)
        version = ".".join(str(part) for part in engine.dialect.server_version_info or ())
        capacity = pool_capacity(engine)
        seeding = Repositories.over(Database(engine, clock, threads=0))
        registered = [
            seeding.reps.register_rep(
                telegram_id=700_000 + index,
                chat_id=700_000 + index,
                language="en",
                timezone="Europe/Helsinki",
                digest_time=daytime(8, 30),
            )
            for index in range(reps)
        ]
    finally:
        engine.dispose()
    targets = [
        sync_target("on the loop (threads=0)", url, threads=0),
        sync_target(f"thread pool ({threads or capacity} threads)", url, threads=threads),
        async_target(
            f"async driver ({'aiosqlite' if url.startswith('sqlite') else 'psycopg async'})", url, capacity
        ),
    ]
    # Each variant has reps of its own, so that no two coroutines ever share a draft.
    for number, target in enumerate(targets):
        target.reps = [
            CapturingRep(target.repositories, target.call, rep) for rep in registered[number :: len(targets)]
        ]
    try:
        yield targets, f"{engine.dialect.name} {version}"
    finally:
        for target in targets:
            await target.close()


async def run_database(url: str, options: argparse.Namespace) -> tuple[str, list[Target]]:
    most = max(CONCURRENCY)
    async with targets_on(url, most * 3, options.threads) as (targets, database):
        for target in targets:
            await measure(target, min(CONCURRENCY), WARM_UP_SECONDS, None)
        turn = itertools.count()
        for _ in range(options.rounds):
            for concurrency in CONCURRENCY:
                shift = next(turn) % len(targets)
                for target in targets[shift:] + targets[:shift]:
                    sample = target.samples.setdefault(concurrency, Sample())
                    await measure(target, concurrency, options.seconds / options.rounds, sample)
        for target in targets:
            await measure_paced(target, options.rate, WARM_UP_SECONDS, None)
        for _ in range(options.rounds):
            shift = next(turn) % len(targets)
            for target in targets[shift:] + targets[:shift]:
                await measure_paced(
                    target, options.rate, options.paced_seconds / options.rounds, target.paced
                )
        return database, targets


# ---------------------------------------------------------------------------------------------------------
# The bridges' own cost, and the report
# ---------------------------------------------------------------------------------------------------------


def nothing() -> None:
    return None


async def bridge_costs(calls: int = 5000) -> tuple[float, float, float]:
    """Microseconds per crossing, with nothing to do on the other side: awaiting `Database.run` with
    threads=0, awaiting it through the thread pool, awaiting `greenlet_spawn`."""
    engine = create_engine_for("sqlite://")
    costs: list[float] = []
    for threads in (0, None):
        database = Database(engine, clock, threads=threads)
        start = time.perf_counter()
        for _ in range(calls):
            await database.run(nothing)
        costs.append((time.perf_counter() - start) / calls * 1e6)
        database.close()
    start = time.perf_counter()
    for _ in range(calls):
        await greenlet_spawn(nothing)
    costs.append((time.perf_counter() - start) / calls * 1e6)
    return costs[0], costs[1], costs[2]


def report(results: list[tuple[str, list[Target]]]) -> None:
    print()
    print(
        "| database | variant | coroutines | updates | updates/s | p50 ms | p99 ms | "
        "loop lag p50 ms | loop lag p99 ms | loop lag max ms | write lock wait p99 ms |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for database, targets in results:
        for concurrency in CONCURRENCY:
            for target in targets:
                sample = target.samples[concurrency]
                latency, lag, waits = sample.latencies, sample.lags, sample.lock_waits
                waited = f"{percentile(waits, 0.99) * 1e3:.1f}" if waits else "–"
                print(
                    f"| {database} | {target.label} | {concurrency} | {sample.updates:,} | "
                    f"{sample.updates / sample.seconds:,.0f} | {percentile(latency, 0.5) * 1e3:.1f} | "
                    f"{percentile(latency, 0.99) * 1e3:.1f} | {percentile(lag, 0.5) * 1e3:.2f} | "
                    f"{percentile(lag, 0.99) * 1e3:.1f} | {max(lag) * 1e3:.1f} | {waited} |"
                )
    print()
    print("| database | variant | updates | p50 ms | p99 ms | the name p50 ms | a tap p50 ms | Save p50 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for database, targets in results:
        for target in targets:
            paced = target.paced
            kinds = " | ".join(
                f"{percentile(paced.by_update[kind], 0.5) * 1e3:.2f}" if kind in paced.by_update else "–"
                for kind in ("name", "tap", "Save")
            )
            print(
                f"| {database} | {target.label} | {paced.updates:,} | "
                f"{percentile(paced.latencies, 0.5) * 1e3:.2f} | "
                f"{percentile(paced.latencies, 0.99) * 1e3:.2f} | "
                f"{kinds} |"
            )


def versions() -> str:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"{os.cpu_count()} CPUs (nproc), {platform.platform()}, Python {platform.python_version()}, "
        f"SQLAlchemy {sa.__version__}, SQLite {sqlite3.sqlite_version}, psycopg {version('psycopg')}, "
        f"aiosqlite {version('aiosqlite')}, greenlet {version('greenlet')}"
    )


async def run(options: argparse.Namespace) -> None:
    load_before = " ".join(f"{load:.2f}" for load in os.getloadavg())
    began = time.perf_counter()
    results: list[tuple[str, list[Target]]] = []
    with sqlite_url() as url:
        results.append(await run_database(url, options))
    if not options.skip_postgres:
        with postgres_schema(options.postgres_url) as schema_url:
            if schema_url is not None:
                results.append(await run_database(schema_url, options))
    on_loop, pooled, greenlet = await bridge_costs()
    print(versions())
    print(
        f"Load average (1, 5, 15 min) at the start: {load_before}; at the end: "
        f"{' '.join(f'{load:.2f}' for load in os.getloadavg())}. Took {time.perf_counter() - began:.0f} s; "
        f"{options.seconds:g} s timed per variant and concurrency and {options.paced_seconds:g} s per "
        f"variant at {options.rate:g} updates/s, in {options.rounds} rounds."
    )
    print(
        f"One crossing with nothing to do: Database.run on the loop {on_loop:.1f} µs, through the thread "
        f"pool {pooled:.1f} µs, greenlet_spawn {greenlet:.1f} µs."
    )
    report(results)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.db_drivers", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="timed seconds per variant and concurrency (4)"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="turns the variants take, in rotating order (2)"
    )
    parser.add_argument(
        "--rate", type=float, default=20.0, help="updates a second in all in the paced rounds (20)"
    )
    parser.add_argument(
        "--paced-seconds", type=float, default=10.0, help="timed seconds per variant at that pace (10)"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help=f"({DEFAULT_POSTGRES_URL})")
    parser.add_argument(
        "--threads", type=int, help="threads of the thread-pool variant (default: the pool's 15, as deployed)"
    )
    parser.add_argument("--skip-postgres", action="store_true", help="measure SQLite only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    for driver in ("aiosqlite", "greenlet"):
        if importlib.util.find_spec(driver) is None:
            sys.exit(f'{driver} is missing: .venv/bin/pip install -e ".[dev,postgres,bench]"')
    asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    main()
