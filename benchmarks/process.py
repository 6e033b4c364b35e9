"""The process benchmark: start-up time, and resident memory idle and with 1,000 active reps.

`python main.py` runs as a process of its own, as in production's webhook mode (runtime/webhook.py), against
the fake Bot API served over HTTP on 127.0.0.1 by this process (tests/factories.py), on a SQLite file in a
temporary folder. Nothing in the bot is replaced or patched.

1. Start-up. The time from spawning `python main.py` until GET /healthz answers 200 (application started,
   database answering, setWebhook done), asked every 10 ms: the median of `--starts` starts on an already
   migrated database. The first start on an empty file, which also creates the schema, is shown apart,
   and so are two floors: a bare `python -c pass`, and importing the bot's modules (`runtime.application`,
   `runtime.webhook`, `handlers`) without starting anything. Each start is stopped with SIGTERM, as `docker
   stop` does, and the time until it exited (cleanly) is shown too.
2. Memory. Resident set size (psutil when installed, else VmRSS in /proc/<pid>/status) of a started
   process after `--idle` seconds with nothing to do; then `--reps` reps each send a name and tap
   `--presses` answers (Need: Yes, Budget: Yes, Decision-maker ...), each update POSTed to the webhook
   as Telegram would, `--concurrency` reps at a time (each rep's own updates in order). RSS is sampled
   every 0.25 s during the load (its peak), right after it, and after `--idle` seconds more; VmHWM is
   the kernel's high-water mark for the whole life of the process. At the end every rep has an open
   capture (a draft row), i.e. is an active rep.

Telegram's quota is kept: the bot's AIORateLimiter lets at most 30 chat-bound requests a second out
(sendMessage, editMessageText; answerCallbackQuery is not counted), so 1,000 reps with a name and three
taps (4,000 such requests) take at least 133 s. And the bot takes one update at a time (PTB's default
concurrent_updates=False, through `update_processor` as runtime/webhook.py does), so with 50 reps sending at
once each update waits for the ones before it. The load phase measures memory; the update latency it
shows is that queue, not the bot's work (benchmarks/capture.py measures that; the bot process's CPU time
per update is shown).

    python -m benchmarks.process [--starts 5] [--reps 1000] [--presses 3] [--concurrency 50] [--idle 5]
"""

from __future__ import annotations

import os

# PTB 22 deprecates RetryAfter.retry_after as a number; the tests' helpers run with the opt-in, and the
# bot processes inherit this environment.
os.environ["PTB_TIMEDELTA"] = "true"

import argparse
import asyncio
import contextlib
import importlib
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
import telegram

from tests.factories import (
    BotProcess,
    RepOverWebhook,
    bot_environment,
    fake_bot_api_over_http,
)
from tests.fake_bot_api import FakeBotAPI

psutil: Any  # not a dependency of the project: /proc does as well on Linux
try:
    psutil = importlib.import_module("psutil")
except ImportError:
    psutil = None

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ("Yes", "Yes", "Decision-maker", "< 1 month", "⏩ Finish", "Tomorrow")
FIRST_USER = 7_000_000
MIB = 1024 * 1024


@dataclass(frozen=True)
class Start:
    seconds: float  # spawn -> /healthz 200
    rss: int  # at that moment
    stop_seconds: float  # SIGTERM -> exited
    exit_code: int


@dataclass(frozen=True)
class Load:
    reps: int
    updates: int
    seconds: float
    latencies: list[float]
    idle_rss: int
    peak_rss: int
    after_rss: int
    settled_rss: int
    high_water: int | None
    open_drafts: int
    cpu_seconds: float  # the bot process's, during the load
    driver_cpu_seconds: float  # this process's (the fake Bot API and the reps), during the load
    calls: dict[str, int]  # Bot API calls during the load, by method


# Memory


def rss(pid: int) -> int:
    """Resident set size in bytes."""
    if psutil is not None:
        return int(psutil.Process(pid).memory_info().rss)
    value = _proc_status(pid, "VmRSS")
    if value is None:
        raise RuntimeError("neither psutil nor /proc/<pid>/status: cannot read the resident set size")
    return value


def high_water(pid: int) -> int | None:
    """The peak resident set size over the process's life (Linux's VmHWM), if the system tells."""
    return _proc_status(pid, "VmHWM")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    if psutil is not None:
        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    # /proc/<pid>/stat: the command name may hold spaces, so the fields are counted after its ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_status(pid: int, field: str) -> int | None:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # "VmRSS:   123456 kB"
    return None


# Start-up


def python_floor(code: str, runs: int) -> float:
    """Median wall time of `python -c code` in the project folder (no bot started)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


async def one_start(env: dict[str, str], folder: Path, name: str, http: aiohttp.ClientSession) -> Start:
    began = time.perf_counter()
    process = await BotProcess.spawn(env, folder, name)
    try:
        await process.wait_until_healthy(http, every=0.01)
        seconds = time.perf_counter() - began
        resident = rss(process.pid)
        stopping = time.perf_counter()
        code = await process.terminate()
        return Start(seconds, resident, time.perf_counter() - stopping, code)
    finally:
        await process.close()


# Load


async def drive_rep(
    fake: FakeBotAPI, http: aiohttp.ClientSession, url: str, number: int, presses: int, latencies: list[float]
) -> None:
    rep = RepOverWebhook(fake, http, [url], user_id=FIRST_USER + number, first_name=f"Rep{number}")
    began = time.perf_counter()
    await rep.send(f"Contact {number}, Acme Oy")
    latencies.append(time.perf_counter() - began)
    for answer in ANSWERS[:presses]:
        began = time.perf_counter()
        await rep.press(answer)
        latencies.append(time.perf_counter() - began)


async def sample_peak(pid: int, stop: asyncio.Event) -> int:
    peak = 0
    while not stop.is_set():
        peak = max(peak, rss(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)
    return max(peak, rss(pid))


async def load(
    fake: FakeBotAPI, env: dict[str, str], folder: Path, database: Path, options: argparse.Namespace
) -> Load:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=options.concurrency)) as http:
        process = await BotProcess.spawn(env, folder, "load")
        try:
            await process.wait_until_healthy(http)
            await asyncio.sleep(options.idle)
            idle_rss = rss(process.pid)
            latencies: list[float] = []
            gate = asyncio.Semaphore(options.concurrency)
            done = 0

            async def one(number: int) -> None:
                nonlocal done
                async with gate:
                    await drive_rep(fake, http, process.url, number, options.presses, latencies)
                done += 1
                if done % 100 == 0:
                    print(f"  {done} reps", file=sys.stderr, flush=True)

            stop = asyncio.Event()
            sampler = asyncio.create_task(sample_peak(process.pid, stop))
            calls_before = len(fake.requests)
            cpu_before = cpu_seconds(process.pid)
            driver_before = time.process_time()
            began = time.perf_counter()
            try:
                await asyncio.gather(*(one(number) for number in range(options.reps)))
            finally:
                seconds = time.perf_counter() - began
                cpu = cpu_seconds(process.pid) - cpu_before
                driver_cpu = time.process_time() - driver_before
                stop.set()
                peak_rss = await sampler
            after_rss = rss(process.pid)
            await asyncio.sleep(options.idle)
            settled_rss = rss(process.pid)
            peak = high_water(process.pid)
            code = await process.terminate()
            assert code == 0, f"the bot exited with {code} on SIGTERM"
        finally:
            await process.close()
    fake.assert_no_rejections()
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        drafts = connection.exec_driver_sql("SELECT count(*) FROM capturedraft WHERE state = 'open'")
        open_drafts = int(drafts.scalar_one())
    engine.dispose()
    return Load(
        reps=options.reps,
        updates=len(latencies),
        seconds=seconds,
        latencies=latencies,
        idle_rss=idle_rss,
        peak_rss=peak_rss,
        after_rss=after_rss,
        settled_rss=settled_rss,
        high_water=peak,
        open_drafts=open_drafts,
        cpu_seconds=cpu,
        driver_cpu_seconds=driver_cpu,
        calls=dict(Counter(call.method for call in fake.requests[calls_before:])),
    )


# Report


def mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:.1f} MiB"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = _meminfo_total()
    return (
        f"{model}, {os.cpu_count()} CPUs (nproc), {memory} RAM, {platform.platform()}; "
        f"Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
        f"aiohttp {aiohttp.__version__}, SQLAlchemy {sa.__version__}, SQLite {sqlite3.sqlite_version}; "
        f"RSS from {'psutil' if psutil is not None else '/proc/<pid>/status'}"
    )


def _meminfo_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(
    options: argparse.Namespace,
    floors: tuple[float, float],
    first: Start,
    starts: list[Start],
    result: Load,
    load_average: tuple[float, float],
) -> None:
    seconds = [start.seconds for start in starts]
    stops = [start.stop_seconds for start in starts]
    print(f"\nprocess benchmark on {machine()}")
    print(f"1-minute load average {load_average[0]:.1f} at the start, {load_average[1]:.1f} at the end\n")
    print("| start-up | time |")
    print("|---|---|")
    print(f"| `python -c pass` (interpreter floor), median of {len(starts)} | {floors[0]:.2f} s |")
    print(
        f"| importing runtime.application, runtime.webhook, handlers, median of {len(starts)} "
        f"| {floors[1]:.2f} s |"
    )
    print(
        f"| first start, empty SQLite file (schema created): spawn to /healthz 200 | {first.seconds:.2f} s |"
    )
    print(
        f"| **start on a migrated file: spawn to /healthz 200, median of {len(starts)}** | "
        f"**{statistics.median(seconds):.2f} s** (min {min(seconds):.2f}, max {max(seconds):.2f}) |"
    )
    print(
        f"| SIGTERM to exit (clean, code 0: {all(start.exit_code == 0 for start in starts)}), median | "
        f"{statistics.median(stops):.2f} s |"
    )
    print()
    print("| resident memory (RSS) | |")
    print("|---|---|")
    print(
        f"| at /healthz 200, median of {len(starts)} starts | "
        f"{mib(int(statistics.median(start.rss for start in starts)))} |"
    )
    print(f"| idle, {options.idle:g} s after start | {mib(result.idle_rss)} |")
    print(f"| peak while {result.reps} reps were capturing (sampled every 0.25 s) | {mib(result.peak_rss)} |")
    print(f"| right after, {result.open_drafts} reps with a capture open | {mib(result.after_rss)} |")
    print(f"| {options.idle:g} s later | {mib(result.settled_rss)} |")
    print(f"| high-water mark over the process's life (VmHWM) | {mib(result.high_water)} |")
    print(
        f"| growth per active rep (right after minus idle) | "
        f"{(result.after_rss - result.idle_rss) / max(result.reps, 1) / 1024:.1f} KiB |"
    )
    print()
    print(
        f"Load: {result.reps} reps x {options.presses + 1} updates = {result.updates} updates in "
        f"{result.seconds:.1f} s ({result.updates / result.seconds:.1f} updates/s, "
        f"{options.concurrency} reps at a time); per update: "
        f"median {statistics.median(result.latencies) * 1000:.0f} ms, "
        f"p95 {percentile(result.latencies, 0.95) * 1000:.0f} ms, max {max(result.latencies) * 1000:.0f} ms "
        "(the queue: the bot takes one update at a time)."
    )
    print(
        f"The bot process used {result.cpu_seconds:.1f} s of CPU for them "
        f"({result.cpu_seconds / result.updates * 1000:.1f} ms per update), this process (the fake Bot API "
        f"and the reps) {result.driver_cpu_seconds:.1f} s; Bot API calls: "
        + ", ".join(f"{method} {count}" for method, count in sorted(result.calls.items()))
        + "."
    )


async def run(options: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    print("floors ...", file=sys.stderr, flush=True)
    floors = (
        python_floor("pass", options.starts),
        python_floor("import runtime.application, runtime.webhook, handlers", options.starts),
    )
    with tempfile.TemporaryDirectory(prefix="process-bench-") as directory:
        folder = Path(directory)
        database = folder / "prospect.db"
        fake = FakeBotAPI()
        async with fake_bot_api_over_http(fake) as bot_api, aiohttp.ClientSession() as http:
            env = bot_environment(f"sqlite:///{database}", bot_api)
            print("first start ...", file=sys.stderr, flush=True)
            first = await one_start(env, folder, "first", http)
            starts = []
            for number in range(options.starts):
                print(f"start {number + 1} ...", file=sys.stderr, flush=True)
                starts.append(await one_start(env, folder, f"start-{number}", http))
            print(f"load: {options.reps} reps ...", file=sys.stderr, flush=True)
            result = await load(fake, env, folder, database, options)
    report(options, floors, first, starts, result, (load_before, os.getloadavg()[0]))


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=5, help="starts to take the median of (5)")
    parser.add_argument("--reps", type=int, default=1000, help="reps capturing at once (1000)")
    parser.add_argument(
        "--presses", type=int, default=3, choices=range(len(ANSWERS) + 1), help="taps per rep (3)"
    )
    parser.add_argument("--concurrency", type=int, default=50, help="reps sending at the same time (50)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before measuring (5)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    asyncio.run(run(parse_options(argv)))


if __name__ == "__main__":
    main()
