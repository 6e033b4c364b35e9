"""Long polling that loses nothing it fetched: each update is in the database before Telegram is told it
arrived, and leaves it once processed.

Why not PTB's `run_polling`: it hands a fetched batch to an in-memory queue, and the next getUpdates,
asked for at once, confirms the whole batch to Telegram, which then forgets it. A process killed while
working through the batch loses every update not yet handled. Here a batch is written to the inbox
(storage/inbox.py) first, only then is the next getUpdates (offset = the batch's last id + 1) sent, and an
update's row is deleted once it was processed. On start, rows a killed process left are processed first,
oldest first, and the first getUpdates confirms them, so Telegram does not send them again.

What it guarantees: an update is processed at least once. Handled twice can only be one that was being
processed at the kill (its row still there), or one processed and deleted in the moment before the
getUpdates confirming it reached Telegram; the capture's version guard makes a press handled twice
harmless.

Strangers: with an allow-list (ALLOWED_USERS), an update is stored only when it may come from someone
the gate lets in: no user at all, a user on the list, a rep already registered (one query per batch),
or a user who sends a /start with a code in the batch (an invite being redeemed). A stranger's update is
processed without being stored (the gate refuses it and stores nothing), so a kill may cost a stranger
their refusal, and a stranger flooding the bot costs no writes.

As with runtime/webhook.py, `post_init` and `post_shutdown` run only under PTB's own `run_polling`, so
`start_polling` and `Polling.stop` call them here, in PTB's order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, ParamSpec, TypeVar

from aiohttp import web
from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter

from bot.access import invite_code
from bot.config import Settings
from runtime.application import BotApplication
from runtime.calendar import start_calendar_server
from storage.repositories import Repositories

log = logging.getLogger(__name__)

# How long one getUpdates waits for an update before answering empty: Telegram holds the request open,
# so a quiet bot makes one request per this many seconds and still hears of an update at once.
POLL_TIMEOUT_SECONDS: Final = 25
# Updates per getUpdates (Telegram's maximum).
BATCH: Final = 100
# Fetched and not yet processed, at most: beyond this the bot stops fetching (Telegram keeps the rest).
IN_FLIGHT_MAX: Final = 1_000
# After a failed getUpdates or inbox write: wait this long, doubling up to the second figure.
RETRY_FIRST_SECONDS: Final = 1.0
RETRY_MAX_SECONDS: Final = 30.0
# How long a stopping process lets the updates in flight finish before cancelling them (their rows stay).
SHUTDOWN_GRACE_SECONDS: Final = 10.0
# Telegram keeps an update it could not deliver for 24 hours; a row older than that is not sent again.
TELEGRAM_KEEPS_SECONDS: Final = 24 * 3600
# The fetcher counts as stalled after this many long polls' worth of time (plus a margin for the request
# each) without a getUpdates answered and its batch stored: the health check then fails.
SILENT_POLLS: Final = 3
POLL_MARGIN_SECONDS: Final = 5.0

P = ParamSpec("P")
T = TypeVar("T")


class Polling:
    """The fetch loop and the updates in flight, over a started application."""

    def __init__(
        self,
        application: BotApplication,
        *,
        poll_timeout: int = POLL_TIMEOUT_SECONDS,
        retry_first: float = RETRY_FIRST_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
    ) -> None:
        self.application = application
        self.poll_timeout, self.retry_first, self.retry_max = poll_timeout, retry_first, retry_max
        self._in_flight: set[asyncio.Task[None]] = set()
        self._fetcher: asyncio.Task[None] | None = None
        # The offset that confirms every batch fetched so far: sent on stop if the fetcher had not yet.
        self._unconfirmed: int | None = None
        # With CALENDAR_PORT, the web server of the reps' calendar feeds (runtime/calendar.py).
        self.calendar: web.AppRunner | None = None

    @property
    def _repositories(self) -> Repositories:
        repositories = self.application.bot_data.repositories
        assert repositories is not None, "post_init opens the database before polling starts"
        return repositories

    async def _db(self, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._repositories.database.run(work, *args, **kwargs)

    @property
    def _settings(self) -> Settings:
        settings = self.application.bot_data.settings
        assert settings is not None
        return settings

    @property
    def fetching(self) -> asyncio.Task[None]:
        """The fetch loop: it ends only by being stopped, or with an error polling cannot go on from."""
        assert self._fetcher is not None, "not started"
        return self._fetcher

    async def start(self) -> None:
        """Hand the rows a killed process left to the processor, then start fetching."""
        offset = await self._resume()
        self.application.bot_data.health.expect(
            "getUpdates", within=SILENT_POLLS * (self.poll_timeout + POLL_MARGIN_SECONDS)
        )
        self._fetcher = asyncio.create_task(self._fetch(offset), name="polling")

    async def _resume(self) -> int | None:
        """Start the leftovers, oldest first; the offset that confirms them, when Telegram may still
        have them."""
        inbox = self._repositories.inbox
        newest: int | None = None
        received: datetime | None = None
        resumed = 0
        while rows := await self._db(inbox.pending, limit=BATCH, after=newest):
            newest = rows[-1][0]
            # When the newest was stored, read before the rows are handed over: a row processed is deleted,
            # and on a busy machine the processing may be done before a later read.
            received = await self._db(inbox.received_at, update_id=newest)
            for update_id, payload in rows:
                await self._room()
                self._handle(update_id, payload)
            resumed += len(rows)
        if newest is None:
            return None
        log.info("resuming %d updates a stopped process had fetched and not processed", resumed)
        # Within Telegram's 24 hours update ids run in sequence, so the offset after the newest row
        # confirms exactly what was stored. Older, nothing stored is still with Telegram, and after a
        # quiet week Telegram may start from a random id, which an old offset could skip.
        clock = self.application.bot_data.clock
        if received is None or (clock() - received).total_seconds() > TELEGRAM_KEEPS_SECONDS:
            return None
        return newest + 1

    async def _fetch(self, offset: int | None) -> None:
        delay = self.retry_first
        while True:
            await self._room()
            try:
                updates = await self.application.bot.get_updates(
                    offset=offset,
                    limit=BATCH,
                    timeout=self.poll_timeout,
                    # As webhook mode asks for (runtime/webhook.py): the same updates whichever mode runs.
                    allowed_updates=Update.ALL_TYPES,
                )
            except InvalidToken:
                raise  # nothing to retry: the process exits and says so
            except RetryAfter as error:
                wait = error.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                log.warning("getUpdates: flood control, waiting %.0f s", seconds)
                await asyncio.sleep(seconds)
                continue
            except Exception as error:
                # A TelegramError (network, 5xx, 409) or an answer PTB could not read: retried either way.
                # Only the kind is logged: a request's URL holds the token, and no error text is trusted
                # not to.
                why = "another process polls for this bot" if isinstance(error, Conflict) else "failed"
                log.warning("getUpdates %s (%s); trying again in %.0f s", why, type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            if not updates:
                delay = self.retry_first
                self.application.bot_data.health.beat("getUpdates")
                continue
            try:
                new = await self._keep(updates)
            except Exception as error:
                # Not stored, so not confirmed: the same offset asks Telegram for the batch again.
                log.warning(
                    "the inbox could not be written (%s); the batch stays with Telegram, trying again in "
                    "%.0f s",
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            delay = self.retry_first
            self.application.bot_data.health.beat("getUpdates")
            for update in updates:
                stored = update.update_id in new.stored
                if stored or update.update_id in new.unstored:
                    self._handle(update.update_id, update, stored=stored)
            # The next getUpdates confirms this batch: every update in it is stored or being handled.
            offset = self._unconfirmed = updates[-1].update_id + 1

    async def _keep(self, updates: Sequence[Update]) -> _Kept:
        """Store the updates that may come from someone allowed in; which were new, which not stored."""
        keep, strangers = self._sort(updates)
        stored = await self._db(
            self._repositories.inbox.keep, updates=[(u.update_id, u.to_json()) for u in keep]
        )
        return _Kept(stored=stored, unstored={u.update_id for u in strangers})

    def _sort(self, updates: Sequence[Update]) -> tuple[list[Update], list[Update]]:
        """The updates to store, and those of strangers, which the gate will refuse and which are not
        stored. Decided from the gate's memory, as the gate decides: a stranger costs no query here either.
        A well-formed invite code the gate would still look up keeps its sender's batch."""
        gate = self.application.bot_data.gate
        if self._settings.open_to_all or gate is None:
            return list(updates), []
        keep, strangers = [], []
        for update in updates:
            user = update.effective_user
            message = update.effective_message
            code = invite_code(message.text if message is not None else None)
            if (
                user is None
                or gate.allows(user.id, user.username)
                or (code is not None and gate.may_try_invite(user.id))
            ):
                keep.append(update)
            else:
                strangers.append(update)
        return keep, strangers

    def _handle(self, update_id: int, update: Update | str, *, stored: bool = True) -> None:
        task = asyncio.create_task(self._process(update_id, update, stored=stored))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _process(self, update_id: int, update: Update | str, *, stored: bool) -> None:
        application = self.application
        try:
            if isinstance(update, str):
                update = Update.de_json(json.loads(update), application.bot)
            # Through the update processor, as webhook mode does: one chat's updates in the order they came.
            await application.update_processor.process_update(update, application.process_update(update))
        except Exception:
            # Handler errors reach the error handler inside process_update; this is anything else, which
            # would fail again: it is dropped, not kept to fail on every start.
            log.exception("update %s could not be processed", update_id)
        if stored:
            try:
                await self._db(self._repositories.inbox.done, update_id=update_id)
            except Exception as error:
                # The row stays, and the update is handled once more on the next start.
                log.warning("update %s processed but not cleared (%s)", update_id, type(error).__name__)

    async def _room(self) -> None:
        while len(self._in_flight) >= IN_FLIGHT_MAX:
            await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)

    async def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Stop fetching, let the updates in flight finish (for `grace` seconds at most: what is left
        stays in the inbox for the next start)."""
        if self._fetcher is not None:
            self._fetcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._fetcher
        if self._in_flight:
            _done, late = await asyncio.wait(set(self._in_flight), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                log.warning("stopping: %d updates left in the inbox for the next start", len(late))
                await asyncio.wait(late)
        await self._confirm()

    async def _confirm(self) -> None:
        """Tell Telegram what was fetched, as PTB's run_polling does on stop: otherwise the last batch,
        processed and cleared from the inbox, would be sent again to the next start."""
        if self._unconfirmed is None:
            return
        try:
            await self.application.bot.get_updates(offset=self._unconfirmed, limit=1, timeout=0)
        except Exception as error:
            log.warning("stopping: the last batch was not confirmed (%s)", type(error).__name__)


@dataclass(frozen=True)
class _Kept:
    """Of a fetched batch: the ids newly stored, and the ids handled without being stored."""

    stored: set[int]
    unstored: set[int]


async def start_polling(
    application: BotApplication,
    *,
    poll_timeout: int = POLL_TIMEOUT_SECONDS,
    retry_first: float = RETRY_FIRST_SECONDS,
    retry_max: float = RETRY_MAX_SECONDS,
) -> Polling:
    """Start as PTB's run_polling would, with this loop: initialize, post_init (the database, the command
    menu, the dispatcher job), start (the job queue), deleteWebhook (getUpdates is refused while one is
    set; the updates waiting are kept), then the leftovers and the fetch loop."""
    polling = Polling(application, poll_timeout=poll_timeout, retry_first=retry_first, retry_max=retry_max)
    try:
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await application.bot.delete_webhook(drop_pending_updates=False)
        settings = application.bot_data.settings
        if settings is not None and settings.calendar_port is not None:
            polling.calendar = await start_calendar_server(application, settings)
        await polling.start()
    except BaseException:
        await stop_polling(application, polling)
        raise
    log.info("polling for updates")
    return polling


async def stop_polling(
    application: BotApplication, polling: Polling, *, grace: float = SHUTDOWN_GRACE_SECONDS
) -> None:
    """Updates first (those in flight finish within `grace`), then the job queue, then the services:
    PTB's order of stop, post_stop, shutdown, post_shutdown."""
    await polling.stop(grace)
    if polling.calendar is not None:
        await polling.calendar.cleanup()
        polling.calendar = None
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()  # a no-op when initialize never ran
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


async def run_polling(application: BotApplication, *, health_file: Path | None = None) -> None:
    """Poll until SIGTERM (docker stop) or SIGINT (Ctrl+C), then shut down cleanly; an error polling cannot
    go on from (a revoked token) ends it too, and is raised. With `health_file`, the loops' beats are
    written there for `python main.py healthcheck` (runtime/health.py)."""
    health = application.bot_data.health
    if health_file is not None:
        health.write_to(health_file)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stopping.set)
    try:
        polling = await start_polling(application)
        stop_waiting = asyncio.create_task(stopping.wait())
        try:
            await asyncio.wait({stop_waiting, polling.fetching}, return_when=asyncio.FIRST_COMPLETED)
            if stopping.is_set():
                log.info("stopping: finishing the updates in flight")
        finally:
            stop_waiting.cancel()
            failed = polling.fetching.done() and not polling.fetching.cancelled()
            await stop_polling(application, polling)
        if failed:
            polling.fetching.result()  # raises what ended the loop
    finally:
        health.stop()
        for signum in signals:
            loop.remove_signal_handler(signum)
