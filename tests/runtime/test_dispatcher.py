"""The pacer: sends spread under Telegram's limits, overall and per chat; a 429 pauses everything."""

from __future__ import annotations

import itertools

from runtime.dispatcher import Pacer
from tests.factories import FakeMonotonic


async def test_sends_are_spread_evenly_at_the_rate() -> None:
    clock = FakeMonotonic()
    pacer = Pacer(28.0, monotonic=clock, sleep=clock.sleep)
    starts = []
    for chat in range(60):
        await pacer.wait(chat)
        starts.append(clock.now)
    # No sliding second holds more than 28 sends.
    assert max(sum(1 for s in starts if start <= s < start + 1.0) for start in starts) <= 28
    assert starts[-1] - starts[0] < 60 / 28 + 0.01


async def test_one_chat_gets_at_most_one_message_a_second() -> None:
    clock = FakeMonotonic()
    pacer = Pacer(28.0, monotonic=clock, sleep=clock.sleep)
    starts = []
    for _ in range(3):
        await pacer.wait(42)
        starts.append(clock.now)
    assert [round(b - a, 3) for a, b in itertools.pairwise(starts)] == [1.0, 1.0]


async def test_a_pause_holds_every_chat() -> None:
    clock = FakeMonotonic()
    pacer = Pacer(28.0, monotonic=clock, sleep=clock.sleep)
    await pacer.wait(1)
    pacer.pause(5.0)
    start = clock.now
    await pacer.wait(2)
    assert clock.now - start >= 5.0
