"""The tables. Instants are stored in UTC; each row that belongs to a rep carries its owner's id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    SQLite has no time zones: values are stored as naive UTC and given their zone back on the way out,
    so code never compares a naive with an aware datetime.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware UTC instant")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Rep(SQLModel, table=True):
    """A salesperson using the bot: their Telegram identity and preferences."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(sa.BigInteger, unique=True, nullable=False))
    chat_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    language: str = Field(max_length=8)
    timezone: str = Field(max_length=64)
    digest_time: str = Field(max_length=5)  # "HH:MM" local
    onboarded: bool = False
    # What the next typed text answers outside a capture (e.g. "timezone"); None: it starts a capture.
    awaiting: str | None = Field(default=None, max_length=32)
    active: bool = True
    created_at: datetime = _utc_column()
    updated_at: datetime = _utc_column()


class Contact(SQLModel, table=True):
    """A person the rep met: a lead or a prospect (later customer, repeat buyer or lost)."""

    __table_args__ = (
        sa.Index("ix_contact_owner_name_key", "owner_id", "name_key"),
        sa.Index("ix_contact_owner_phone_key", "owner_id", "phone_key"),
        sa.Index("ix_contact_owner_status_created", "owner_id", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200)
    company: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    phone_key: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=254)
    source: str | None = Field(default=None, max_length=16)
    need: str | None = Field(default=None, max_length=16)
    budget: str | None = Field(default=None, max_length=16)
    authority: str | None = Field(default=None, max_length=16)
    timeline: str | None = Field(default=None, max_length=16)
    fit: str | None = Field(default=None, max_length=16)
    status: str = Field(max_length=16)
    # Which rule made the status, and its reasons as message-id suffixes ("need.yes", "budget.unknown").
    status_rule: str = Field(max_length=32)
    status_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    score: int = 0
    # [[reason, points], ...], biggest first.
    score_reasons: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    touches: int = 0
    # Folded text of name, company, phone, email and notes: what /find looks in.
    search_text: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    last_touch_at: datetime | None = _utc_column(nullable=True)
    created_at: datetime = _utc_column()
    updated_at: datetime = _utc_column()


class Interaction(SQLModel, table=True):
    """One meeting, call or message with a contact: its note and the answers given then."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    note: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = _utc_column()


class FollowUp(SQLModel, table=True):
    """A dated next step on a contact; it becomes a reminder message when due."""

    __table_args__ = (sa.Index("ix_followup_state_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", index=True)
    due_at: datetime = _utc_column()
    state: str = Field(default="pending", max_length=16)
    created_at: datetime = _utc_column()


class CaptureDraft(SQLModel, table=True):
    """A capture in progress, saved after every answer so a restart or another replica can continue it."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    chat_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    # The one message the questions are edited into.
    message_id: int | None = Field(default=None, sa_column=Column(sa.BigInteger, nullable=True))
    state: str = Field(default="open", max_length=16)  # open, saved, cancelled
    # The question being asked; None while the summary card is shown.
    step: str | None = Field(default=None, max_length=16)
    # "ask": walking the questions; "edit": one question, then back to the summary;
    # "date": waiting for a typed date; "duplicate": waiting for log-on-existing / create-new.
    mode: str = Field(default="ask", max_length=16)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Set when the rep chose to log this meeting on an existing contact.
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    # The existing contact the name or phone matched, while the rep decides.
    duplicate_of: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    # A new capture the rep asked for while this one was open (typed name, shared contact, /new): kept
    # here until the rep chooses to continue this one or start that one, so neither is lost.
    queued: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    version: int = 1
    created_at: datetime = _utc_column()
    updated_at: datetime = _utc_column()
