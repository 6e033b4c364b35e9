"""How updates are run: those of different chats at once, those of one chat one after another.

A rep's taps must be applied in the order given (Budget after Need), while no rep waits for another.
PTB's own processor bounds how many updates run at once but keeps no order, and its bound is taken before
the update is started, so one chat's backlog waiting its turn would hold every slot and stall the rest.
Here PTB's bound is only a cap on waiting tasks; each update first waits for its chat's turn, and only
then for one of `running` slots, so waiting in one chat's line never keeps another chat from running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates held at once before PTB makes new ones wait (each is a small task, mostly waiting).
WAITING_MAX = 10_000


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Runs up to `running` updates at once, one at a time per chat (per user where there is no chat)."""

    def __init__(self, running: int) -> None:
        super().__init__(max_concurrent_updates=WAITING_MAX)
        self._running = asyncio.BoundedSemaphore(running)
        self._lines: dict[int, _Line] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key_of(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        line = self._lines.setdefault(key, _Line())
        line.holders += 1
        try:
            async with line.lock, self._running:
                await coroutine
        finally:
            line.holders -= 1
            if line.holders == 0:
                del self._lines[key]  # no memory kept for a chat that has gone quiet

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close: PTB waits for the running updates itself."""


class _Line:
    """One chat's turn: the lock its updates take in arrival order, and how many hold or wait for it."""

    __slots__ = ("holders", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holders = 0


def _key_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None
