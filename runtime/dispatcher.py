"""The dispatcher: a repeating job that claims due reminders and digests, sends them, then marks them sent.

The database rows are the truth (docs/architecture.md). Claiming before sending and marking after means
a crash can at worst send one message twice (sent, then killed before the mark; the claim's lease runs out
and another run sends it again) and never lose one. Sending is paced under Telegram's limits, about
30 messages a second overall and one a second in one chat; the senders are given to it (they render and
call the Bot API), so it knows nothing of Telegram itself.

Claimed rows wait in one queue per chat (`Lineup`), and each send goes to a chat that is free now, the
chats taking turns: a rep with a hundred reminders due gets one a second while everyone else's go out at
the overall rate, instead of everyone waiting behind that rep. A run claims only a few seconds of work
at a time, and no more than half a lease's worth of one rep's rows, so replicas share a broadcast; rows
still queued have their lease renewed well before it runs out, so a long queue is never claimed by a
second dispatcher as well.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import schedule
from bot.delivery import Delivery, Result
from storage.database import Clock
from storage.followups import DueDigest, DueReminder, FollowUpRepository

log = logging.getLogger(__name__)


ReminderSender = Callable[[DueReminder], Awaitable[Delivery]]
DigestSender = Callable[[DueDigest], Awaitable[Delivery]]
Sleep = Callable[[float], Awaitable[Any]]


# The dispatcher's repeating job may start while the previous run is still sending (a broadcast longer than
# DISPATCH_INTERVAL_SECONDS). APScheduler allows one running instance by default and logs a WARNING for
# every start it skips; a second instance is allowed instead, and returns at once (Dispatcher.tick).
TICK_JOB_KWARGS: dict[str, Any] = {"max_instances": 2, "coalesce": True}
# A run claims about this many seconds of sends at a time, and claims again when what it holds would go
# out in less: small batches let replicas share a broadcast, and keep claims close to their sends.
LOOKAHEAD_SECONDS = 2.0
# After a claim came back short (nothing more was due), the database is asked again at most this often
# while the run still has rows to send.
RECHECK_SECONDS = 1.0
# The longest single sleep: a run waiting (for a 429's pause, or a chat to be free) wakes this often to
# renew its claims and to take rows that fell due meanwhile.
NAP_SECONDS = 1.0


# One chat's messages at most once a second, with a margin: Telegram counts a sliding second, so a send
# exactly a second after the last one in that chat is often refused (429), and a 429 pauses every chat.
PER_CHAT_SECONDS = 1.1


class Pacer:
    """Spaces sends: at most `rate` a second overall and one a second per chat; a 429 pauses everything.

    Telegram counts a sliding second, so sends are spread evenly rather than sent in bursts.
    """

    def __init__(
        self,
        rate: float,
        *,
        per_chat: float = PER_CHAT_SECONDS,
        monotonic: Callable[[], float],
        sleep: Sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.per_chat = per_chat
        self.monotonic, self.sleep = monotonic, sleep
        self.next_any = 0.0
        self.next_in_chat: dict[int, float] = {}

    def free_at(self, chat_id: int) -> float:
        """When this chat may have its next message (on the monotonic clock)."""
        return self.next_in_chat.get(chat_id, 0.0)

    def delay(self, chat_id: int) -> float:
        """How long until a message may go to this chat, overall rate and pauses included."""
        return max(0.0, self.next_any - self.monotonic(), self.free_at(chat_id) - self.monotonic())

    def take(self, chat_id: int) -> None:
        """Count a send to this chat: at its slot when called early or a little late, else now."""
        now = self.monotonic()
        slot = max(self.next_any, self.free_at(chat_id))
        # A send a little behind its slot (the loop's timer woke late) keeps the rate's grid, so that the
        # lateness does not add up over a broadcast; at most half a slot behind, so no second ever holds
        # more than one send above the rate. After a longer gap (nothing to send, a slow send) the grid
        # starts again now.
        at = slot if now - slot <= self.interval / 2 else now
        self.next_any = at + self.interval
        self.next_in_chat[chat_id] = max(now, at) + self.per_chat
        if len(self.next_in_chat) > 10_000:
            # Chats free long ago are forgotten: the map stays the size of the chats sent to lately.
            now = self.monotonic()
            self.next_in_chat = {chat: free for chat, free in self.next_in_chat.items() if free > now}

    async def wait(self, chat_id: int) -> None:
        """Wait for this chat's next slot and take it."""
        delay = self.delay(chat_id)
        if delay > 0:
            await self.sleep(delay)
        self.take(chat_id)

    def pause(self, seconds: float) -> None:
        self.next_any = max(self.next_any, self.monotonic() + seconds)


@dataclass
class Queued:
    """A claimed row waiting to be sent."""

    row: DueReminder | DueDigest
    retries: int = 0  # 429s met so far

    @property
    def table(self) -> str:
        return "reminder" if isinstance(self.row, DueReminder) else "digest"

    @property
    def chat_id(self) -> int:
        return self.row.recipient.chat_id


class Lineup:
    """Claimed rows in one queue per chat; the next to send is the head of a queue whose chat is free.

    Chats take turns: a chat that was sent to moves to the back, so the front is the chat that has waited
    longest, and a chat that is not free yet (sent to less than a second ago) is passed over for the
    next one that is. `soon` counts the rows that could go out within LOOKAHEAD_SECONDS at one a second
    per chat: what the dispatcher compares with a batch to decide whether to claim more.
    """

    def __init__(self, pacer: Pacer, *, soon_per_chat: int) -> None:
        self.pacer = pacer
        self.soon_per_chat = soon_per_chat
        self.soon = 0
        self._queues: OrderedDict[int, deque[Queued]] = OrderedDict()

    def __bool__(self) -> bool:
        return bool(self._queues)

    def __len__(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def add(self, item: Queued, *, first: bool = False) -> None:
        queue = self._queues.setdefault(item.chat_id, deque())
        if len(queue) < self.soon_per_chat:
            self.soon += 1
        if first:
            queue.appendleft(item)
        else:
            queue.append(item)

    def next_chat(self) -> int:
        """A chat free now, the longest waiting first; if none is, the one free soonest."""
        now = self.pacer.monotonic()
        for chat_id in self._queues:
            if self.pacer.free_at(chat_id) <= now:
                return chat_id
        return min(self._queues, key=self.pacer.free_at)

    def pop(self, chat_id: int) -> Queued:
        queue = self._queues[chat_id]
        if len(queue) <= self.soon_per_chat:
            self.soon -= 1
        item = queue.popleft()
        if queue:
            self._queues.move_to_end(chat_id)
        else:
            del self._queues[chat_id]
        return item

    def ids(self, table: str) -> list[int]:
        return [item.row.id for queue in self._queues.values() for item in queue if item.table == table]

    def keep_only(self, table: str, held: Collection[int]) -> None:
        """Drop the rows of `table` not in `held` (claims another dispatcher took over)."""
        items = [item for queue in self._queues.values() for item in queue]
        self._queues.clear()
        self.soon = 0
        for item in items:
            if item.table != table or item.row.id in held:
                self.add(item)


class Dispatcher:
    """Claims, sends and marks due rows; one instance per process, several processes may share a database."""

    def __init__(
        self,
        followups: FollowUpRepository,
        *,
        clock: Clock,
        send_reminder: ReminderSender,
        send_digest: DigestSender,
        rate_per_second: float = 28.0,
        batch: int | None = None,
        lease: timedelta = schedule.CLAIM_LEASE,
        retries_after_429: int = 3,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_run: Callable[[], None] = lambda: None,
    ) -> None:
        self.followups, self.clock = followups, clock
        self._db = followups.database.run
        self.send_reminder, self.send_digest = send_reminder, send_digest
        # Told after every run that did not fail, and when a tick finds the previous run still sending:
        # the health check's sign that the dispatcher works (runtime/health.py).
        self.on_run = on_run
        # A batch is LOOKAHEAD_SECONDS of sends at the overall rate.
        self.batch = batch or max(1, math.ceil(rate_per_second * LOOKAHEAD_SECONDS))
        self.lease, self.retries_after_429 = lease, retries_after_429
        # One rep's rows held at a time: what one a second sends in half the lease, so even a slowed queue
        # is sent well within it (and renewed besides).
        self.per_chat = max(1, int(lease.total_seconds() / 2))
        self.name = f"dispatcher-{uuid.uuid4().hex[:12]}"
        self.pacer = Pacer(rate_per_second, monotonic=monotonic, sleep=sleep)
        self._lock = asyncio.Lock()
        self.sent = 0

    async def run_once(self) -> int:
        """Send everything due now; returns how many messages went out. Runs never overlap in one process."""
        async with self._lock:
            sent_before = self.sent
            lineup = Lineup(self.pacer, soon_per_chat=max(1, math.ceil(LOOKAHEAD_SECONDS)))
            came_back_short: float | None = None
            renewed = self.clock()
            while True:
                if not lineup or (
                    lineup.soon < self.batch
                    and (
                        came_back_short is None or self.pacer.monotonic() - came_back_short >= RECHECK_SECONDS
                    )
                ):
                    claimed, full = await self._claim(lineup)
                    came_back_short = None if full else self.pacer.monotonic()
                    if not lineup:
                        if claimed:
                            continue  # all of it settled at once (stale digests): look again
                        # Planning only when nothing is due keeps the database work out of a broadcast's
                        # way; a digest planned now may itself be due already (after downtime), so look
                        # again.
                        if await self._db(self.followups.plan_digests):
                            continue
                        break
                if self.clock() - renewed >= self.lease / 3:
                    await self._renew(lineup)
                    renewed = self.clock()
                    if not lineup:
                        continue
                chat_id = lineup.next_chat()
                delay = self.pacer.delay(chat_id)
                if delay > 0:
                    await self.pacer.sleep(min(delay, NAP_SECONDS))
                    continue
                item = lineup.pop(chat_id)
                self.pacer.take(chat_id)
                await self._deliver(item, lineup)
            return self.sent - sent_before

    async def tick(self, _context: object = None) -> None:
        """The JobQueue callback; a failure is logged and the next tick tries again."""
        if self._lock.locked():
            # The previous run is still sending (a long broadcast); it takes what falls due meanwhile.
            self.on_run()
            return
        try:
            await self.run_once()
        except Exception:
            log.exception("dispatcher run failed; the next run retries")
        else:
            self.on_run()

    async def _claim(self, lineup: Lineup) -> tuple[int, bool]:
        """Claim a batch into the lineup: how many rows were claimed, and whether the database had more."""
        reminders = await self._db(
            self.followups.claim_due_reminders,
            claimer=self.name,
            lease=self.lease,
            limit=self.batch,
            per_chat=self.per_chat,
        )
        digests = await self._db(
            self.followups.claim_due_digests, claimer=self.name, lease=self.lease, limit=self.batch
        )
        for reminder in reminders:
            lineup.add(Queued(reminder))
        for digest in digests:
            if schedule.digest_is_stale(digest.local_date, self.clock(), digest.recipient.zone):
                await self._db(self.followups.skip_digest, digest_id=digest.id, claimer=self.name)
            else:
                lineup.add(Queued(digest))
        return len(reminders) + len(digests), len(reminders) >= self.batch or len(digests) >= self.batch

    async def _renew(self, lineup: Lineup) -> None:
        """Extend the claims of the rows still queued; any another dispatcher took meanwhile are dropped."""
        for table in ("reminder", "digest"):
            ids = lineup.ids(table)
            if not ids:
                continue
            held = await self._db(
                self.followups.renew, table=table, row_ids=ids, claimer=self.name, lease=self.lease
            )
            if len(held) < len(ids):
                log.warning("%d claimed rows were taken over by another dispatcher", len(ids) - len(held))
                lineup.keep_only(table, held)

    async def _deliver(self, item: Queued, lineup: Lineup) -> None:
        row = item.row
        # A full lease for the send itself, which may wait out Telegram's flood control inside the client's
        # own retries; a row another dispatcher took meanwhile is not sent a second time.
        if row.id not in await self._db(
            self.followups.renew, table=item.table, row_ids=[row.id], claimer=self.name, lease=self.lease
        ):
            log.warning("claimed row %s was taken over by another dispatcher; not sent", row.id)
            return
        send: Callable[[], Awaitable[Delivery]] = (
            (lambda: self.send_reminder(row))
            if isinstance(row, DueReminder)
            else (lambda: self.send_digest(row))
        )
        try:
            delivery: Delivery | None = await send()
        except Exception:
            # One bad row must not stop the others: it is retried with backoff, then given up on.
            log.exception("sending row %s failed", row.id)
            delivery = None
        if delivery is not None and delivery.result is Result.RETRY_AFTER:
            log.warning("flood control: waiting %.1f s before sending again", delivery.retry_after)
            self.pacer.pause(delivery.retry_after)
            item.retries += 1
            if item.retries <= self.retries_after_429:
                lineup.add(item, first=True)  # first in its chat's queue once the pause is over
                return
            delivery = Delivery(Result.TRANSIENT)
        if isinstance(row, DueDigest) and delivery is not None and delivery.result is Result.NOTHING_TO_SAY:
            await self._db(self.followups.skip_digest, digest_id=row.id, claimer=self.name)
            return
        await self._settle(item.table, row.id, row.attempts, row.recipient.rep_id, delivery)

    async def _settle(
        self, table: str, row_id: int, attempts: int, rep_id: int, delivery: Delivery | None
    ) -> None:
        now = self.clock()
        if delivery is not None and delivery.result is Result.SENT:
            self.sent += 1
            if table == "reminder":
                await self._db(
                    self.followups.mark_reminder_sent,
                    reminder_id=row_id,
                    claimer=self.name,
                    message_id=delivery.message_id,
                )
            else:
                await self._db(self.followups.mark_digest_sent, digest_id=row_id, claimer=self.name)
        elif delivery is not None and delivery.result is Result.BLOCKED:
            log.info("rep %s blocked the bot: marked inactive", rep_id)
            await self._db(self.followups.deactivate_rep, rep_id=rep_id)
            await self._db(
                self.followups.release,
                table=table,
                row_id=row_id,
                claimer=self.name,
                retry_after=None,
                count_attempt=False,
            )
        else:
            await self._db(
                self.followups.release,
                table=table,
                row_id=row_id,
                claimer=self.name,
                retry_after=schedule.retry_at(attempts + 1, now),
                count_attempt=True,
            )
