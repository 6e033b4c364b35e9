"""The typed context every handler receives: the storage parts, the settings, the clock and the translator."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Generic, ParamSpec, TypeVar

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.access import AccessGate
from bot.card_fields import region_for
from bot.card_reading import CardReader, CardReading
from bot.config import Settings
from bot.i18n import Translator, language_for
from storage.calendar import CalendarBook
from storage.contacts import ContactBook
from storage.database import Clock
from storage.drafts import DraftBook, DraftRead
from storage.exchange import Exchange
from storage.followups import FollowUpRepository
from storage.privacy import PrivacyBook
from storage.repositories import Repositories
from storage.reps import RepBook, RepRead
from storage.stats import StatsBook
from storage.teams import TeamBook

P = ParamSpec("P")
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Prefetched(Generic[T]):
    """A record read ahead of the handler that needs it; None inside when there is none of the rep's."""

    record: T | None


class NotARep(Exception):
    """The user has no rep and may not be registered as one (the bot has an allow-list)."""


class BotData:
    """The application-wide services: settings and clock from build_application, the repositories from
    post_init (runtime.application.start_services)."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.clock: Clock = utc_now
        self.repositories: Repositories | None = None
        # Imports being applied by this process: batch id -> the event Stop sets when pressed here. The
        # claim and a Stop pressed on another replica are in the database (storage.exchange); this is
        # how this process hears its own Stop without a write, which SQLite would make wait for the import.
        self.running_imports: dict[int, threading.Event] = {}
        self.background: set[asyncio.Task[None]] = set()
        # Updates whose failure the rep was told about (the error handler runs once per failing group).
        self.reported_updates: OrderedDict[int, None] = OrderedDict()
        self.gate: AccessGate | None = None
        # Business cards are read by Tesseract on a thread of their own, one card at a time: a read is a
        # second of CPU, and each thread would hold its own engines (tens of MB per language).
        self.card_reader: CardReader | None = None
        self.card_reading: ThreadPoolExecutor | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """A CallbackContext with the bot's services as attributes instead of string keys into bot_data."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._rep: RepRead | None = None
        self._language: str | None = None
        # For a press on a capture's message: the draft it names, read with the rep (see load_rep); for a
        # text, the rep's open capture. Each is taken once (take_pressed_draft, take_open_draft).
        self._pressed_draft: Prefetched[DraftRead] | None = None
        self._open_draft: Prefetched[DraftRead] | None = None
        # Set by the access gate when this update's /start <code> just brought a stranger in.
        self.joined_by_invite = False

    @property
    def repositories(self) -> Repositories:
        repositories = self.bot_data.repositories
        if repositories is None:
            raise RuntimeError("the application was not started: post_init opens the repositories")
        return repositories

    async def db(self, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A storage call, off the event loop: `await ctx.db(ctx.contacts.get_contact, owner_id=…)`.

        Every read and write a handler makes goes through here, so no update waits for another's query."""
        return await self.repositories.database.run(work, *args, **kwargs)

    async def read_card(self, data: bytes) -> CardReading:
        """A business card's fields from an image, read off the event loop in the rep's language and
        phone region. Raises bot.card_reading's ImageRefused or CardReadingUnavailable."""
        reader, pool = self.bot_data.card_reader, self.bot_data.card_reading
        if reader is None or pool is None:
            raise RuntimeError("the application was not started: post_init starts the card reader")
        rep = self.rep
        read = partial(
            reader.read, data, region=region_for(rep.timezone, rep.language), language=rep.language
        )
        return await asyncio.get_running_loop().run_in_executor(pool, read)

    @property
    def reps(self) -> RepBook:
        return self.repositories.reps

    @property
    def drafts(self) -> DraftBook:
        return self.repositories.drafts

    @property
    def contacts(self) -> ContactBook:
        return self.repositories.contacts

    @property
    def followups(self) -> FollowUpRepository:
        return self.repositories.followups

    @property
    def teams(self) -> TeamBook:
        return self.repositories.teams

    @property
    def privacy(self) -> PrivacyBook:
        return self.repositories.privacy

    @property
    def exchange(self) -> Exchange:
        return self.repositories.exchange

    @property
    def stats(self) -> StatsBook:
        return self.repositories.stats

    @property
    def calendar(self) -> CalendarBook:
        return self.repositories.calendar

    @property
    def settings(self) -> Settings:
        settings = self.bot_data.settings
        if settings is None:
            raise RuntimeError("build_application sets the settings")
        return settings

    def now(self) -> datetime:
        return self.bot_data.clock()

    @property
    def rep(self) -> RepRead:
        """The rep sending this update, loaded once by the preamble (handlers/kit/preamble.py)."""
        if self._rep is None:
            raise RuntimeError("no rep was loaded for this update: it did not come from a private chat")
        return self._rep

    async def load_rep(
        self, update: Update, *, draft_id: int | None = None, open_draft: bool = False
    ) -> RepRead:
        """The rep sending this update, registered on first contact with defaults from the settings.

        With an allow-list only a listed user is registered here (an invited one was, when the invite was
        redeemed); anyone else raises NotARep and is stored nowhere. What the update is about is read in
        the same statement as the rep, which saves its handler a read: `draft_id`, the draft a press names
        (see take_pressed_draft); `open_draft`, the rep's open capture, for a text (see take_open_draft)."""
        if self._rep is not None:
            return self._rep
        user = update.effective_user
        if user is None:
            raise RuntimeError("an update without a user reached a rep handler")
        settings = self.settings
        chat_id = update.effective_chat.id if update.effective_chat else user.id
        language = self.language_of(user)

        def stored() -> tuple[RepRead | None, Prefetched[DraftRead] | None]:
            if draft_id is None and not open_draft:
                return self.reps.get_rep(telegram_id=user.id), None
            read = self.drafts.get_rep_and_draft(telegram_id=user.id, draft_id=draft_id)
            return (read[0], Prefetched(read[1])) if read is not None else (None, None)

        def loaded() -> tuple[RepRead | None, Prefetched[DraftRead] | None]:
            # One call off the event loop, for a returning rep and a new one alike.
            rep, draft = stored()
            if rep is not None and rep.active:
                return rep, draft
            listed = not settings.open_to_all and settings.is_listed(user.id, user.username)
            if rep is None and not listed and not settings.open_to_all:
                return None, None
            registered = self.reps.register_rep(
                telegram_id=user.id,
                chat_id=chat_id,
                language=language,
                timezone=settings.default_timezone,
                digest_time=settings.digest_time,
                access="listed" if listed else "open",
                display_name=user.first_name,
                unknown=rep is None,
            )
            # What was read with a rep registered or made active only now is left unused: their handler reads
            # it for the rep as they are now (another replica may have registered them a moment ago, and
            # opened a capture).
            return registered, None

        rep, draft = await self.db(loaded)
        if open_draft:
            self._open_draft = draft
        else:
            self._pressed_draft = draft
        if rep is None:
            # The gate let them by on a memory that is behind: they erased their data, on another replica a
            # moment ago.
            raise NotARep(user.id)
        self.remember_rep(rep)
        return rep

    def take_pressed_draft(self) -> Prefetched[DraftRead] | None:
        """The draft the press names as it was read with the rep, the first time it is asked for; None
        after that, or when it was not read."""
        draft, self._pressed_draft = self._pressed_draft, None
        return draft

    def take_open_draft(self) -> Prefetched[DraftRead] | None:
        """The rep's open capture as it was read with the rep, the first time it is asked for; None after
        that (a capture opened meanwhile by this update would not be in it), or when it was not read."""
        draft, self._open_draft = self._open_draft, None
        return draft

    def remember_rep(self, rep: RepRead) -> None:
        """Use this rep (e.g. after /settings changed its language) for the rest of the update."""
        self._rep = rep
        self._language = rep.language

    def language_of(self, user: User | None) -> str:
        return language_for(user.language_code if user else None, self.settings.default_language)

    @property
    def t(self) -> Translator:
        """The translator in the rep's language: from their row once the rep is loaded, else the default."""
        zone = self._rep.zone if self._rep is not None else None
        return Translator(self._language or self.settings.default_language, now=self.now(), zone=zone)

    def speak_to(self, user: User | None) -> None:
        """Answer in this user's Telegram language, before (or without) registering them as a rep."""
        if self._language is None:
            self._language = self.language_of(user)
