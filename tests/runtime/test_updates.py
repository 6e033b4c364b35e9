"""The update processor: one chat's updates one after another in arrival order, different chats at once,
no more than the bound running, and a chat's backlog never holding another chat's update back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update

from runtime.updates import ChatOrderedProcessor


def update_in(chat_id: int, update_id: int) -> Update:
    chat = Chat(id=chat_id, type=Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, datetime(2026, 12, 2, tzinfo=UTC), chat))


async def test_one_chat_runs_in_order_and_others_run_meanwhile() -> None:
    processor = ChatOrderedProcessor(running=4)
    log: list[str] = []
    release_first = asyncio.Event()

    async def work(name: str, *, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} starts")
        if wait is not None:
            await wait.wait()
        log.append(f"{name} ends")

    tasks = [
        asyncio.create_task(processor.process_update(update_in(1, 1), work("a1", wait=release_first))),
        asyncio.create_task(processor.process_update(update_in(1, 2), work("a2"))),
        asyncio.create_task(processor.process_update(update_in(2, 3), work("b1"))),
    ]
    for _ in range(10):
        await asyncio.sleep(0)
    # a2 waits for a1 (same chat); b1 (another chat) did not wait for either.
    assert log == ["a1 starts", "b1 starts", "b1 ends"]
    release_first.set()
    await asyncio.gather(*tasks)
    assert log == ["a1 starts", "b1 starts", "b1 ends", "a1 ends", "a2 starts", "a2 ends"]
    assert processor._lines == {}, "a quiet chat leaves nothing behind"


async def test_a_backlog_in_one_chat_does_not_hold_the_slots() -> None:
    processor = ChatOrderedProcessor(running=2)
    gate = asyncio.Event()
    done: list[int] = []

    async def work(update_id: int, *, wait: bool) -> None:
        if wait:
            await gate.wait()
        done.append(update_id)

    backlog = [
        asyncio.create_task(processor.process_update(update_in(1, n), work(n, wait=True))) for n in range(50)
    ]
    other = asyncio.create_task(processor.process_update(update_in(2, 99), work(99, wait=False)))
    await asyncio.wait_for(other, timeout=5)  # a deadlock would fail here, not hang the suite
    assert done == [99]
    gate.set()
    await asyncio.gather(*backlog)
    assert done == [99, *range(50)], "the backlog ran in arrival order"


async def test_no_more_than_the_bound_run_at_once() -> None:
    processor = ChatOrderedProcessor(running=3)
    running, most = 0, 0

    async def work() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        for _ in range(3):
            await asyncio.sleep(0)
        running -= 1

    await asyncio.gather(*(processor.process_update(update_in(chat, chat), work()) for chat in range(20)))
    assert most == 3
