"""The pacer and the dispatcher's queue: sends spread under Telegram's limits, overall and per chat, a
429 pausing everything; one rep's backlog never holds up the others; replicas share a broadcast and never
claim a long queue twice."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.delivery import Delivery, Result
from runtime.dispatcher import PER_CHAT_SECONDS, Dispatcher, Pacer
from storage.followups import DueDigest, DueReminder
from tests.factories import FakeMonotonic, Storage, seed_due_reminders


async def send_times(clock: FakeMonotonic, chats: int) -> list[float]:
    """When a pacer at 28 a second lets one message go to each of `chats` chats."""
    pacer = Pacer(28.0, monotonic=clock, sleep=clock.sleep)
    starts = []
    for chat in range(chats):
        await pacer.wait(chat)
        starts.append(clock.now)
    return starts


def most_in_a_second(starts: list[float]) -> int:
    return max(sum(1 for s in starts if start <= s < start + 1.0) for start in starts)


async def test_sends_are_spread_evenly_at_the_rate() -> None:
    starts = await send_times(FakeMonotonic(), 60)
    # No sliding second holds more than 28 sends.
    assert most_in_a_second(starts) <= 28
    assert starts[-1] - starts[0] < 60 / 28 + 0.01


class LateWaking(FakeMonotonic):
    """A clock whose sleeps wake a little late, as a real event loop's timers do."""

    late = 0.002

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds + self.late)


async def test_timers_that_wake_late_do_not_slow_a_broadcast_down() -> None:
    starts = await send_times(LateWaking(), 40)
    # Each wake-up is 2 ms late, and the sends still keep the rate's grid: 40 in 39/28 s, not 39 x 2 ms more.
    assert starts[-1] - starts[0] <= 39 / 28 + LateWaking.late + 1e-9
    # Catching up never crowds Telegram's sliding second.
    assert most_in_a_second(starts) <= 29


async def test_after_a_quiet_spell_the_next_sends_are_spaced_again() -> None:
    clock = FakeMonotonic()
    pacer = Pacer(28.0, monotonic=clock, sleep=clock.sleep)
    await pacer.wait(1)
    clock.now += 10.0  # nothing to send for a while
    await pacer.wait(2)
    first = clock.now
    await pacer.wait(3)
    assert clock.now - first >= 1 / 28 - 1e-9


async def test_one_chat_gets_at_most_one_message_a_second_with_a_margin() -> None:
    clock = FakeMonotonic()
    pacer = Pacer(28.0, monotonic=clock, sleep=clock.sleep)
    starts = []
    for _ in range(3):
        await pacer.wait(42)
        starts.append(clock.now)
    # Telegram's sliding second refuses a send exactly a second after the last: a tenth to spare.
    assert [round(b - a, 3) for a, b in itertools.pairwise(starts)] == [PER_CHAT_SECONDS] * 2
    assert PER_CHAT_SECONDS > 1.0


async def test_a_pause_holds_every_chat() -> None:
    clock = FakeMonotonic()
    pacer = Pacer(28.0, monotonic=clock, sleep=clock.sleep)
    await pacer.wait(1)
    pacer.pause(5.0)
    start = clock.now
    await pacer.wait(2)
    assert clock.now - start >= 5.0


DUE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class VirtualTime:
    """One fake clock for several coroutines: a sleep parks its coroutine, and once every one of them is
    parked, time jumps to the earliest wake-up. Two dispatchers run side by side on it as on one machine,
    in no real time; `clock` is the database's clock, moving with it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._parked: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def clock(self) -> datetime:
        return DUE + timedelta(minutes=1, seconds=self.now - 1000.0)

    async def sleep(self, seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._parked, (self.now + max(0.0, seconds), next(self._order), wake))
        await wake

    async def run(self, *coroutines: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
        while not all(task.done() for task in tasks):
            await asyncio.sleep(0)
            if self._parked and len(self._parked) == sum(not task.done() for task in tasks):
                self.now, _, wake = heapq.heappop(self._parked)
                wake.set_result(None)
        for task in tasks:
            task.result()


@dataclass
class Sent:
    dispatcher: str
    reminder: int
    chat: int
    at: float


def dispatcher_on(
    repo: Storage,
    time: VirtualTime,
    log: list[Sent],
    *,
    rate: float = 28.0,
    flood: Callable[[int], float] | None = None,
) -> Dispatcher:
    """A dispatcher over the test's database on virtual time; its sends are logged. `flood(n)`, for the
    n-th send, may answer a 429 with that many seconds to wait."""
    # The database calls on the loop itself: virtual time moves only once every coroutine is parked.
    followups = Storage.on(repo.engine, time.clock, threads=0).followups
    attempts = itertools.count(1)

    async def send_reminder(reminder: DueReminder) -> Delivery:
        wait = flood(next(attempts)) if flood else 0.0
        if wait:
            return Delivery(Result.RETRY_AFTER, retry_after=wait)
        log.append(Sent(dispatcher.name, reminder.id, reminder.recipient.chat_id, time.now))
        return Delivery(Result.SENT, message_id=reminder.id)

    async def send_digest(digest: DueDigest) -> Delivery:
        raise AssertionError("no digest is due")

    dispatcher = Dispatcher(
        followups,
        clock=time.clock,
        send_reminder=send_reminder,
        send_digest=send_digest,
        rate_per_second=rate,
        sleep=time.sleep,
        monotonic=time,
    )
    return dispatcher


def open_followups(repo: Storage) -> int:
    with repo.engine.connect() as connection:
        return int(
            connection.exec_driver_sql(
                "SELECT count(*) FROM followup WHERE state IN ('pending', 'claimed')"
            ).scalar_one()
        )


async def replica(repo: Storage, dispatcher: Dispatcher, time: VirtualTime, interval: float = 20.0) -> None:
    """The dispatcher's repeating job, until nothing is left to send."""
    while True:
        await dispatcher.run_once()
        if not open_followups(repo):
            return
        await time.sleep(interval)


BIG_CHAT = 10_000


def seed_backlog(repo: Storage, *, backlog: int, singles: int) -> None:
    """One rep (chat BIG_CHAT) with `backlog` reminders due at DUE, and `singles` reps with one each due a
    second later: the big rep's rows are the oldest, as after an import or a leaver's book moved over."""
    seed_due_reminders(repo.engine, reps=1, reminders=backlog, first_chat=BIG_CHAT, due=DUE, now=DUE)
    if singles:
        seed_due_reminders(
            repo.engine,
            reps=singles,
            reminders=singles,
            first_chat=20_000,
            due=DUE + timedelta(seconds=1),
            now=DUE,
        )


def busiest_second(log: list[Sent]) -> int:
    """The most sends in any one second (less a hair, for the float sums of the pacer's grid)."""
    return max(sum(1 for other in log if sent.at <= other.at < sent.at + 1.0 - 1e-6) for sent in log)


async def test_one_reps_backlog_does_not_hold_up_the_other_reps(repo: Storage) -> None:
    seed_backlog(repo, backlog=100, singles=40)
    time, log = VirtualTime(), []
    dispatcher = dispatcher_on(repo, time, log)
    await time.run(replica(repo, dispatcher, time))
    assert len(log) == 140 and len({sent.reminder for sent in log}) == 140, "not each sent exactly once"
    order = [sent.chat for sent in log]
    big = [index for index, chat in enumerate(order) if chat == BIG_CHAT]
    last_single = max(index for index, chat in enumerate(order) if chat != BIG_CHAT)
    assert last_single < big[2], "the other reps waited behind the backlog"
    big_times = [log[index].at for index in big]
    assert min(b - a for a, b in itertools.pairwise(big_times)) >= 1.0 - 1e-9, "over one a second in a chat"
    assert busiest_second(log) <= 28


async def test_a_long_queue_is_never_claimed_twice_by_two_dispatchers(repo: Storage) -> None:
    # 150 for one rep, and flood control answering every tenth send with 30 s to wait: the queue takes
    # far longer than the two-minute lease. The other replica keeps ticking all along.
    seed_backlog(repo, backlog=150, singles=0)
    time, log = VirtualTime(), []

    def flood(attempt: int) -> float:
        return 30.0 if attempt % 10 == 0 else 0.0

    one = dispatcher_on(repo, time, log, rate=14.0, flood=flood)
    two = dispatcher_on(repo, time, log, rate=14.0, flood=flood)
    await time.run(replica(repo, one, time), replica(repo, two, time, interval=7.0))
    counts = Counter(sent.reminder for sent in log)
    assert len(counts) == 150, "a reminder was lost"
    assert max(counts.values()) == 1, "a reminder was sent twice"
    assert min(b.at - a.at for a, b in itertools.pairwise(log)) >= 1.0 - 1e-9, "over one a second in a chat"


async def test_two_replicas_share_a_broadcast_and_reach_the_overall_rate(repo: Storage) -> None:
    # 300 reps, one reminder each; each replica paced at half the rate, as the README says to set it.
    seed_due_reminders(repo.engine, reps=300, reminders=300, first_chat=30_000, due=DUE, now=DUE)
    time, log = VirtualTime(), []
    one = dispatcher_on(repo, time, log, rate=14.0)
    two = dispatcher_on(repo, time, log, rate=14.0)
    start = time.now
    await time.run(replica(repo, one, time), replica(repo, two, time))
    assert len({sent.reminder for sent in log}) == len(log) == 300
    shares = Counter(sent.dispatcher for sent in log)
    assert min(shares.values()) >= 140, f"not shared: {shares}"
    # On the virtual clock: 300 at 28 a second together is under eleven seconds.
    assert log[-1].at - start <= 300 / 28 + 1.0
    assert busiest_second(log) <= 28
