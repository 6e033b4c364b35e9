"""The one place that wires the application: services, handlers in their order, start-up and shut-down."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from telegram import BotCommand, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.access import AccessGate
from bot.card_reading import CardReader
from bot.config import SUPPORTED_LANGUAGES, DeploymentSettings, Settings
from bot.i18n import LANGUAGE_ALIASES, Translator, catalog_path
from handlers import register_handlers
from handlers.digest import make_digest_sender
from handlers.kit.context import BotContext, BotData, utc_now
from handlers.reminders import make_reminder_sender
from runtime.dispatcher import TICK_JOB_KWARGS, Dispatcher
from runtime.health import Health
from runtime.updates import ChatOrderedProcessor
from storage.database import Clock, Database
from storage.engine import create_engine_for
from storage.migrate import upgrade_to_latest
from storage.repositories import Repositories

log = logging.getLogger(__name__)

# How far behind another replica's invites the access gate may be: a stranger's updates never query,
# so this one small query is what keeps the gate's memory current.
INVITED_REFRESH_SECONDS = 15.0
# The dispatcher's job counts as stalled after this many of its intervals without a run (a minute at least).
DISPATCHER_SILENT_RUNS = 3
DISPATCHER_SILENT_MIN_SECONDS = 60.0


class RuntimeData(BotData):
    """The services handlers see, plus what only the composition root holds: the engine, the dispatcher
    and the health of the loops."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self.dispatcher: Dispatcher | None = None
        self.health = Health()


class DrainingJobQueue(JobQueue[BotContext]):
    """A JobQueue whose stop lets running jobs finish without starting new ones.

    PTB's stop waits for the jobs running when it is called, then shuts the scheduler down, which cancels
    whatever started meanwhile (a dispatcher tick falling due while a broadcast finishes): that job is cut
    off half-way and APScheduler logs its CancelledError as an ERROR. Pausing first closes the gap.
    """

    async def stop(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.pause()
        await super().stop(wait=wait)


BotApplication = Application[Any, BotContext, dict[Any, Any], dict[Any, Any], RuntimeData, Any]

# The commands in the menu, in the order Telegram shows them; descriptions come from the catalogs.
MENU_COMMANDS = (
    "new",
    "cancel",
    "today",
    "leads",
    "prospects",
    "customers",
    "lost",
    "find",
    "stats",
    "export",
    "team",
    "settings",
    "mydata",
    "help",
)


class ProspectBot(ExtBot[Any]):
    """The Bot API client, remembering two things Telegram would otherwise refuse: which button presses it
    answered (a second answer is a 400), and what each recent message it sent or edited shows (an edit to
    the same text and buttons is a 400 "message is not modified", which a double tap on any menu button
    would cause). Both are kept per process and bounded.

    Another replica may edit a message meanwhile: a press delivers the message as Telegram shows it, and
    when that was edited after this process last did, what it remembers of the message is dropped
    (`delivered`). Where an identical edit is made all the same (two replicas in the same second, or
    after a restart), Telegram's refusal means the message already shows what was wanted: success."""

    REMEMBERED = 10_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answered: OrderedDict[str, None] = OrderedDict()
        self._shown: OrderedDict[tuple[int, int], _Shown] = OrderedDict()

    @staticmethod
    def _markup_key(markup: object) -> str | None:
        return (
            markup.to_json() if isinstance(markup, InlineKeyboardMarkup) and markup.inline_keyboard else None
        )

    def _show(self, chat_id: object, message_id: object, shown: _Shown) -> None:
        if isinstance(chat_id, int) and isinstance(message_id, int):
            self._shown[(chat_id, message_id)] = shown
            self._shown.move_to_end((chat_id, message_id))
            while len(self._shown) > self.REMEMBERED:
                self._shown.popitem(last=False)

    def _remembered(self, chat_id: object, message_id: object) -> _Shown | None:
        if isinstance(chat_id, int) and isinstance(message_id, int):
            return self._shown.get((chat_id, message_id))
        return None

    def delivered(self, message: Message) -> None:
        """A press brought this message as Telegram shows it: forget it if it changed since we edited it."""
        key = (message.chat_id, message.message_id)
        shown = self._shown.get(key)
        if shown is not None and (message.edit_date or message.date) > shown.at:
            del self._shown[key]

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        message = await super().send_message(*args, **kwargs)
        text = kwargs.get("text", args[1] if len(args) > 1 else None)
        markup = self._markup_key(kwargs.get("reply_markup"))
        self._show(message.chat_id, message.message_id, _Shown(text, markup, message.date))
        return message

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Any:
        text = kwargs.get("text", args[0] if args else None)
        chat_id = kwargs.get("chat_id", args[1] if len(args) > 1 else None)
        message_id = kwargs.get("message_id", args[2] if len(args) > 2 else None)
        markup = self._markup_key(kwargs.get("reply_markup"))
        shown = self._remembered(chat_id, message_id)
        if shown is not None and (shown.text, shown.markup) == (text, markup):
            return True
        edited = await self._unless_unchanged(super().edit_message_text(*args, **kwargs))
        self._show(chat_id, message_id, _Shown(text, markup, _edited_at(edited)))
        return edited

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Any:
        chat_id = kwargs.get("chat_id", args[0] if args else None)
        message_id = kwargs.get("message_id", args[1] if len(args) > 1 else None)
        markup = self._markup_key(kwargs.get("reply_markup", args[3] if len(args) > 3 else None))
        shown = self._remembered(chat_id, message_id)
        if shown is not None and shown.markup == markup:
            return True
        edited = await self._unless_unchanged(super().edit_message_reply_markup(*args, **kwargs))
        if shown is not None:
            self._show(chat_id, message_id, _Shown(shown.text, markup, _edited_at(edited)))
        return edited

    @staticmethod
    async def _unless_unchanged(edit: Awaitable[Any]) -> Any:
        try:
            return await edit
        except BadRequest as error:
            if "message is not modified" not in str(error).lower():
                raise
            log.debug("message already showed what the edit wanted")
            return True

    async def answer_callback_query(self, callback_query_id: str, *args: Any, **kwargs: Any) -> bool:
        try:
            answered = await super().answer_callback_query(callback_query_id, *args, **kwargs)
        except TimedOut:
            # It may well have reached Telegram, and a second answer would be refused; at worst the
            # rep's spinner stops by itself a few seconds later. (A 5xx never reached it: not remembered.)
            self._remember(callback_query_id)
            raise
        self._remember(callback_query_id)
        return answered

    def _remember(self, callback_query_id: str) -> None:
        self._answered[callback_query_id] = None
        while len(self._answered) > self.REMEMBERED:
            self._answered.popitem(last=False)

    def has_answered(self, callback_query_id: str) -> bool:
        return callback_query_id in self._answered


@dataclass(frozen=True)
class _Shown:
    """What a message shows as this process last sent or edited it, and when Telegram says it did."""

    text: str | None
    markup: str | None
    at: datetime


def _edited_at(edited: object) -> datetime:
    if isinstance(edited, Message) and edited.edit_date is not None:
        return edited.edit_date
    return datetime.now(UTC)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    clock: Clock = utc_now,
) -> BotApplication:
    """The application for these settings; `request` replaces the HTTP client (tests use a fake Bot API)."""
    bot = ProspectBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
        request=request or HTTPXRequest(connection_pool_size=16),
        # Every message is HTML: the catalogs' markup, and names escaped where they are filled in.
        defaults=Defaults(parse_mode=ParseMode.HTML),
        get_updates_request=request or HTTPXRequest(),
        # Replies to a rep are few and interactive; a 429 is waited out and retried rather than lost.
        rate_limiter=AIORateLimiter(max_retries=2),
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext, bot_data=RuntimeData))
        .job_queue(DrainingJobQueue())
        .concurrent_updates(ChatOrderedProcessor(running=settings.concurrent_updates))
        .post_init(start_services)
        .post_shutdown(stop_services)
    )
    application: BotApplication = builder.build()
    application.bot_data.settings = settings
    application.bot_data.clock = clock
    application.bot_data.gate = AccessGate(settings)
    register_handlers(application)
    return application


def open_database(settings: DeploymentSettings) -> Engine:
    """The engine for DATABASE_URL, the schema migrated to the newest (a SQLite file's folder made)."""
    sqlite_file = settings.sqlite_path()
    if sqlite_file is not None:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine_for(settings.database_url)
    upgrade_to_latest(engine)
    return engine


def migrate_database(settings: DeploymentSettings) -> None:
    """`python main.py migrate`: only the migrations, then the connections closed."""
    open_database(settings).dispose()
    log.info("database is at the newest schema")


async def start_services(application: BotApplication) -> None:
    """post_init: open the database (migrating it to the newest schema) and publish the command menu."""
    data = application.bot_data
    assert data.settings is not None
    settings = data.settings
    data.engine = open_database(settings)
    data.repositories = Repositories.over(
        Database(data.engine, data.clock, threads=settings.database_threads)
    )
    data.card_reader = CardReader(settings.card_reading_data)
    data.card_reading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card-reading")
    if not data.card_reader.available:
        log.warning("card reading is off: Tesseract's language data is not installed (README.md)")
    data.dispatcher = Dispatcher(
        data.repositories.followups,
        clock=data.clock,
        send_reminder=make_reminder_sender(application),
        send_digest=make_digest_sender(application),
        rate_per_second=settings.broadcast_rate_per_second,
        on_run=lambda: data.health.beat("dispatcher"),
    )
    if data.gate is not None and not settings.open_to_all:
        # The gate tells the invited from strangers from memory: the set is read now, then refreshed.
        data.gate.know_invited(await data.repositories.database.run(data.repositories.reps.invited_ids))
    await publish_commands(application, settings)
    # The first run is at once: whatever fell due while the bot was down is sent now, marked late.
    if application.job_queue is not None:
        data.health.expect(
            "dispatcher",
            within=max(
                DISPATCHER_SILENT_RUNS * settings.dispatch_interval_seconds, DISPATCHER_SILENT_MIN_SECONDS
            ),
        )
        application.job_queue.run_repeating(
            data.dispatcher.tick,
            interval=settings.dispatch_interval_seconds,
            first=0,
            name="dispatcher",
            job_kwargs=TICK_JOB_KWARGS,
        )
        if not settings.open_to_all:
            application.job_queue.run_repeating(
                _refresh_invited, interval=INVITED_REFRESH_SECONDS, first=INVITED_REFRESH_SECONDS
            )
        if settings.retention_lost_months:
            application.job_queue.run_repeating(
                _erase_old_lost,
                interval=3600,
                first=60,
                name="retention",
                data=settings.retention_lost_months,
            )
    log.info(
        "started: database %s, Bot API %s", data.engine.dialect.name, _host_of(settings.telegram_base_url)
    )


async def _refresh_invited(context: Any) -> None:
    """Who joined by invite, read again: one query for every user, so that someone who joined through
    another replica is let in here too, and someone erased elsewhere is a stranger again."""
    data = context.application.bot_data
    if data.repositories is None or data.gate is None:
        return
    try:
        repositories = data.repositories
        data.gate.know_invited(await repositories.database.run(repositories.reps.invited_ids))
    except Exception:
        # The set it has stays good until the database answers again.
        log.warning("could not refresh who joined by invite", exc_info=True)


async def _erase_old_lost(context: Any) -> None:
    """RETENTION_LOST_MONTHS: lost contacts untouched that long are erased, hourly."""
    repositories = context.application.bot_data.repositories
    if repositories is not None:
        erased = await repositories.database.run(
            repositories.privacy.erase_lost, months=int(context.job.data)
        )
        if erased:
            log.info("retention: erased %d lost contacts", erased)


async def stop_services(application: BotApplication) -> None:
    """post_shutdown: close the database connections."""
    data = application.bot_data
    if data.repositories is not None:
        data.repositories.database.close()
    elif data.engine is not None:
        data.engine.dispose()
    data.engine, data.repositories, data.dispatcher = None, None, None
    if data.card_reading is not None:
        data.card_reading.shutdown(wait=False, cancel_futures=True)
    data.card_reader, data.card_reading = None, None


async def publish_commands(application: BotApplication, settings: Settings) -> None:
    """The command menu: the default language for everyone, and each catalog's own for its speakers."""
    default = Translator(settings.default_language)
    await application.bot.set_my_commands(_commands(default))
    codes = [(language, language) for language in SUPPORTED_LANGUAGES]
    codes += [(alias, language) for alias, language in LANGUAGE_ALIASES.items()]
    for code, language in codes:
        if catalog_path(language).exists():
            await application.bot.set_my_commands(_commands(Translator(language)), language_code=code)


def _commands(t: Translator) -> list[BotCommand]:
    return [BotCommand(command, t.plain(f"menu.{command}")) for command in MENU_COMMANDS]


def _host_of(url: str) -> str:
    # Only the host is logged: the path of a Bot API URL is followed by the token when requests are made.
    return url.split("/")[2] if url.count("/") >= 2 else url
