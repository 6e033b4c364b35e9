"""The dispatcher: a repeating job that claims due reminders and digests, sends them, then marks them sent.

The database rows are the truth (docs/architecture.md). Claiming before sending and marking after means
a crash can at worst send one message twice (sent, then killed before the mark; the claim's lease runs out
and another run sends it again) and never lose one. Sending is paced under Telegram's limits, about
30 messages a second overall and one a second in one chat; the senders are given to it (they render and
call the Bot API), so it knows nothing of Telegram itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
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


class Pacer:
    """Spaces sends: at most `rate` a second overall and one a second per chat; a 429 pauses everything.

    Telegram counts a sliding second, so sends are spread evenly rather than sent in bursts.
    """

    def __init__(
        self, rate: float, *, per_chat: float = 1.0, monotonic: Callable[[], float], sleep: Sleep
    ) -> None:
        self.interval = 1.0 / rate
        self.per_chat = per_chat
        self.monotonic, self.sleep = monotonic, sleep
        self.next_any = 0.0
        self.next_in_chat: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        now = self.monotonic()
        at = max(now, self.next_any, self.next_in_chat.get(chat_id, 0.0))
        self.next_any = at + self.interval
        self.next_in_chat[chat_id] = at + self.per_chat
        if at > now:
            await self.sleep(at - now)

    def pause(self, seconds: float) -> None:
        self.next_any = max(self.next_any, self.monotonic() + seconds)


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
        batch: int = 100,
        lease: timedelta = timedelta(minutes=2),
        retries_after_429: int = 3,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.followups, self.clock = followups, clock
        self.send_reminder, self.send_digest = send_reminder, send_digest
        self.batch, self.lease, self.retries_after_429 = batch, lease, retries_after_429
        self.name = f"dispatcher-{uuid.uuid4().hex[:12]}"
        self.pacer = Pacer(rate_per_second, monotonic=monotonic, sleep=sleep)
        self._lock = asyncio.Lock()
        self.sent = 0

    async def run_once(self) -> int:
        """Send everything due now; returns how many messages went out. Runs never overlap in one process."""
        async with self._lock:
            sent_before = self.sent
            while True:
                reminders = self.followups.claim_due_reminders(
                    claimer=self.name, lease=self.lease, limit=self.batch
                )
                digests = self.followups.claim_due_digests(
                    claimer=self.name, lease=self.lease, limit=self.batch
                )
                if not reminders and not digests:
                    # Planning only when nothing is due keeps the database work out of a broadcast's way;
                    # a digest planned now may itself be due already (after downtime), so look again.
                    if self.followups.plan_digests():
                        continue
                    break
                for reminder in reminders:
                    await self._deliver_reminder(reminder)
                for digest in digests:
                    await self._deliver_digest(digest)
            return self.sent - sent_before

    async def tick(self, _context: object = None) -> None:
        """The JobQueue callback; a failure is logged and the next tick tries again."""
        try:
            await self.run_once()
        except Exception:
            log.exception("dispatcher run failed; the next run retries")

    async def _deliver_reminder(self, reminder: DueReminder) -> None:
        delivery = await self._send(
            reminder.recipient.chat_id, lambda: self.send_reminder(reminder), reminder.id
        )
        self._settle("reminder", reminder.id, reminder.attempts, reminder.recipient.rep_id, delivery)

    async def _deliver_digest(self, digest: DueDigest) -> None:
        if schedule.digest_is_stale(digest.local_date, self.clock(), digest.recipient.zone):
            self.followups.skip_digest(digest_id=digest.id, claimer=self.name)
            return
        delivery = await self._send(digest.recipient.chat_id, lambda: self.send_digest(digest), digest.id)
        if delivery is not None and delivery.result is Result.NOTHING_TO_SAY:
            self.followups.skip_digest(digest_id=digest.id, claimer=self.name)
            return
        self._settle("digest", digest.id, digest.attempts, digest.recipient.rep_id, delivery)

    async def _send(
        self, chat_id: int, send: Callable[[], Awaitable[Delivery]], row_id: int
    ) -> Delivery | None:
        """Send with pacing, honouring retry_after a few times; None when the sender itself failed."""
        for _ in range(self.retries_after_429 + 1):
            await self.pacer.wait(chat_id)
            try:
                delivery = await send()
            except Exception:
                # One bad row must not stop the others: it is retried with backoff, then given up on.
                log.exception("sending row %s failed", row_id)
                return None
            if delivery.result is not Result.RETRY_AFTER:
                return delivery
            log.warning("flood control: waiting %.1f s before sending again", delivery.retry_after)
            self.pacer.pause(delivery.retry_after)
        return Delivery(Result.TRANSIENT)

    def _settle(self, table: str, row_id: int, attempts: int, rep_id: int, delivery: Delivery | None) -> None:
        now = self.clock()
        if delivery is not None and delivery.result is Result.SENT:
            self.sent += 1
            if table == "reminder":
                self.followups.mark_reminder_sent(
                    reminder_id=row_id, claimer=self.name, message_id=delivery.message_id
                )
            else:
                self.followups.mark_digest_sent(digest_id=row_id, claimer=self.name)
        elif delivery is not None and delivery.result is Result.BLOCKED:
            log.info("rep %s blocked the bot: marked inactive", rep_id)
            self.followups.deactivate_rep(rep_id=rep_id)
            self.followups.release(
                table=table, row_id=row_id, claimer=self.name, retry_after=None, count_attempt=False
            )
        else:
            self.followups.release(
                table=table,
                row_id=row_id,
                claimer=self.name,
                retry_after=schedule.retry_at(attempts + 1, now),
                count_attempt=True,
            )
