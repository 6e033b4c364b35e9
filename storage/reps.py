"""Reps: who uses the bot, their preferences, and the question their next typed text answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import SQLModel, col, select

from bot.awaiting import Awaiting
from bot.deal import default_currency
from bot.phones import region_for
from bot.schedule import parse_working_days
from storage.database import RepositoryPart, insert_values
from storage.models import Digest, Rep


@dataclass(frozen=True)
class RepRead:
    id: int
    telegram_id: int
    chat_id: int
    language: str
    timezone: str
    digest_time: time
    onboarded: bool
    awaiting: Awaiting | None
    working_days: str
    digest_when_empty: bool
    active: bool
    weekly_summary: bool = False
    access: str = "open"
    team_id: int | None = None
    role: str = "rep"
    display_name: str = ""
    quiet_days: dict[str, int] | None = None  # the rep's own choices (bot.schedule.quiet_days)
    # The rep's own follow-up message templates, (kind, template) pairs; a kind not here uses the default.
    message_templates: tuple[tuple[str, str], ...] = ()
    # The currency the rep chose for deal values; None: their country's (see `deal_currency`).
    currency: str | None = None

    @property
    def deal_currency(self) -> str:
        """The currency of the rep's deal values: the one chosen, else their country's."""
        return self.currency or default_currency(region_for(self.timezone, self.language))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def working_weekdays(self) -> frozenset[int]:
        """The rep's working days as ISO weekdays."""
        return parse_working_days(self.working_days)

    def template_for(self, kind: str) -> str | None:
        """The rep's own template of this kind, or None for the default."""
        return dict(self.message_templates).get(kind)

    def awaits(self, now: datetime) -> Awaiting | None:
        """The question typed text answers now, if it has not lapsed."""
        return self.awaiting if self.awaiting is not None and not self.awaiting.lapsed(now) else None


def rep_read(row: Rep | sa.Row[Any]) -> RepRead:
    """The read model of a rep row (an ORM row or a plain one from a statement)."""
    assert row.id is not None
    hours, minutes = (int(part) for part in row.digest_time.split(":"))
    return RepRead(
        id=row.id,
        telegram_id=row.telegram_id,
        chat_id=row.chat_id,
        language=row.language,
        timezone=row.timezone,
        digest_time=time(hours, minutes),
        onboarded=row.onboarded,
        awaiting=Awaiting.decode(row.awaiting),
        working_days=row.working_days,
        digest_when_empty=row.digest_when_empty,
        weekly_summary=row.weekly_summary,
        active=row.active,
        access=row.access,
        team_id=row.team_id,
        role=row.role,
        display_name=row.display_name,
        quiet_days=row.quiet_days,
        message_templates=stored_templates(row.message_templates),
        currency=row.currency,
    )


def stored_templates(stored: object) -> tuple[tuple[str, str], ...]:
    """The templates column as (kind, template) pairs, in kind order; anything not text is left out."""
    if not isinstance(stored, dict):
        return ()
    return tuple(sorted((k, v) for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)))


# Every update reads its rep: the statement is built once, on the table rather than through the ORM, which
# saves a few tenths of a millisecond per update.
_REPS = SQLModel.metadata.tables["rep"]
_REP_BY_TELEGRAM_ID = sa.select(_REPS).where(_REPS.c.telegram_id == sa.bindparam("telegram_id"))
_REP_INSERT = sa.insert(_REPS)


def new_rep(
    telegram_id: int,
    chat_id: int,
    language: str,
    timezone: str,
    digest_time: time,
    display_name: str,
    now: datetime,
) -> Rep:
    """The row of someone using the bot for the first time (on first contact, or by an invite), with the
    defaults of the deployment they came with."""
    return Rep(
        telegram_id=telegram_id,
        chat_id=chat_id,
        language=language,
        timezone=timezone,
        digest_time=digest_time.strftime("%H:%M"),
        display_name=display_name[:64],
        created_at=now,
        updated_at=now,
    )


class RepBook(RepositoryPart):
    """Reads and writes of reps."""

    def get_rep(self, *, telegram_id: int) -> RepRead | None:
        with self.database.statement_read_engine.connect() as connection:
            row = connection.execute(_REP_BY_TELEGRAM_ID, {"telegram_id": telegram_id}).first()
        return rep_read(row) if row else None

    def register_rep(
        self,
        *,
        telegram_id: int,
        chat_id: int,
        language: str,
        timezone: str,
        digest_time: time,
        access: str = "open",
        display_name: str = "",
        unknown: bool = False,
    ) -> RepRead:
        """The rep with this Telegram id, created on first contact; a returning rep is active again.
        `unknown`: the caller has just read that there is no rep with this id, so it is one INSERT (unless
        another replica registered them meanwhile)."""
        now = self.clock()
        new = new_rep(telegram_id, chat_id, language, timezone, digest_time, display_name, now)
        new.access = access
        if unknown:
            try:
                with self.database.writing_statement() as connection:
                    inserted = connection.execute(_REP_INSERT, insert_values(new)).inserted_primary_key
            except sa.exc.IntegrityError:
                pass  # registered meanwhile (two first updates on two replicas): read and reactivated below
            else:
                assert inserted is not None
                new.id = inserted[0]
                return rep_read(new)
        with self._session() as session:
            row = session.exec(select(Rep).where(Rep.telegram_id == telegram_id)).first()
            if row is None:
                row = new
            else:
                if not row.active:
                    row.returned_at = now
                row.chat_id, row.active, row.updated_at = chat_id, True, now
            session.add(row)
            session.flush()
            return rep_read(row)

    def update_rep(
        self,
        *,
        rep_id: int,
        timezone: str | None = None,
        digest_time: time | None = None,
        language: str | None = None,
        onboarded: bool | None = None,
        working_days: str | None = None,
        digest_when_empty: bool | None = None,
        weekly_summary: bool | None = None,
        quiet_days: dict[str, int] | None = None,
        currency: str | None = None,
    ) -> RepRead:
        """Change the rep's preferences; a planned digest is dropped so that the next one follows them."""
        with self._session() as session:
            row = session.get_one(Rep, rep_id)
            if working_days is not None:
                row.working_days = working_days
            if digest_when_empty is not None:
                row.digest_when_empty = digest_when_empty
            if weekly_summary is not None:
                row.weekly_summary = weekly_summary
            if quiet_days is not None:
                row.quiet_days = quiet_days
            if timezone is not None:
                row.timezone = timezone
            if digest_time is not None:
                row.digest_time = digest_time.strftime("%H:%M")
            if language is not None:
                row.language = language
            if onboarded is not None:
                row.onboarded = onboarded
            if currency is not None:
                row.currency = currency
            row.updated_at = self.clock()
            session.add(row)
            session.execute(
                sa.delete(Digest).where(col(Digest.rep_id) == rep_id, col(Digest.state) == "pending")
            )
            return rep_read(row)

    def set_message_template(self, *, rep_id: int, kind: str, template: str | None) -> RepRead:
        """Keep the rep's own template of this kind (checked by bot.outreach.check_template first), or with
        None go back to the default."""
        with self._session() as session:
            row = session.get_one(Rep, rep_id)
            templates = dict(row.message_templates or {})
            if template is None:
                templates.pop(kind, None)
            else:
                templates[kind] = template
            # A new dict, so that the JSON column is seen to change.
            row.message_templates = templates or None
            row.updated_at = self.clock()
            session.add(row)
            session.flush()
            return rep_read(row)

    def is_invited(self, *, telegram_id: int) -> bool:
        """Whether this user got in with an invite (and so may stay when the bot is not open to all)."""
        with self._reading() as session:
            access = session.exec(select(Rep.access).where(Rep.telegram_id == telegram_id)).first()
            return access == "invite"

    def invited_ids(self) -> frozenset[int]:
        """The Telegram ids of everyone who got in with an invite: the access gate keeps them in memory, so
        that telling them from strangers costs no query per update."""
        with self._reading() as session:
            return frozenset(session.exec(select(Rep.telegram_id).where(Rep.access == "invite")).all())

    def set_awaiting(self, *, rep_id: int, awaiting: Awaiting | None) -> None:
        """What the rep's next typed text answers outside a capture (None: it goes to the capture)."""
        stored = awaiting.encode() if awaiting is not None else None
        with self._session() as session:
            session.execute(sa.update(Rep).where(col(Rep.id) == rep_id).values(awaiting=stored))
