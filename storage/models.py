"""The tables. Instants are stored in UTC; each row that belongs to a rep carries its owner's id."""

from __future__ import annotations

from datetime import UTC, date, datetime
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


# contact.next_due_at of a contact with no open follow-up (see Contact.next_due_at).
NO_FOLLOW_UP = datetime(9999, 12, 31, tzinfo=UTC)
# As SQLite stores a DateTime (text, with microseconds), so that the default and written values sort alike.
NO_FOLLOW_UP_SQL = "9999-12-31 00:00:00.000000"


def due_or_none(next_due_at: datetime) -> datetime | None:
    """A contact's next_due_at as the rest of the code sees it: None when there is no open follow-up."""
    return None if next_due_at >= NO_FOLLOW_UP else next_due_at


# A follow-up still to be acted on: due, being sent, or sent and waiting for the rep's outcome.


# Default factories for the JSON columns. pydantic inspects a factory's signature each time a row object is
# made; a builtin's (list, dict) is parsed from its text, which made a new Contact cost three times as much.
def _no_items() -> list[Any]:
    return []


def _no_entries() -> dict[str, Any]:
    return {}


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Team(SQLModel, table=True):
    """A sales team: its manager sees the team's pipeline; each rep sees only their own records."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    created_at: datetime = _utc_column()


class Rep(SQLModel, table=True):
    """A salesperson using the bot: their Telegram identity and preferences."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(sa.BigInteger, unique=True, nullable=False))
    chat_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    language: str = Field(max_length=8)
    timezone: str = Field(max_length=64)
    digest_time: str = Field(max_length=5)  # "HH:MM" local
    onboarded: bool = False
    # The question the next typed text answers outside a capture, encoded (bot.awaiting.Awaiting);
    # None: text goes to the capture.
    awaiting: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    # ISO weekdays the digest is sent on ("12345": Monday to Friday).
    working_days: str = Field(default="12345", max_length=7)
    digest_when_empty: bool = False
    # On Mondays the digest also sums up the week before.
    weekly_summary: bool = False
    # Days without a touch after which a contact goes cold, per status group, where the rep changed them
    # ({"lead": 60}); the rest, and None, are bot.schedule.QUIET_DAYS.
    quiet_days: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # False after the rep blocked the bot: nothing more is sent, nothing is deleted.
    active: bool = True
    # When the rep last came back after blocking the bot: a reminder due before it was held back for them.
    returned_at: datetime | None = _utc_column(nullable=True)
    # How the rep got in: "open" (anyone could), "listed" (ALLOWED_USERS) or "invite" (a one-time link).
    access: str = Field(default="open", max_length=16)
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="SET NULL", index=True)
    role: str = Field(default="rep", max_length=16)  # "rep" or "manager" (of team_id)
    # The ISO 4217 currency of the rep's deal values; None: their country's (bot.deal.rep_currency).
    currency: str | None = Field(default=None, max_length=3)
    # The first name Telegram shows, for the manager's team view.
    display_name: str = Field(default="", max_length=64)
    # The rep's own follow-up message templates by kind (bot.outreach.MessageKind: {"first": "Hi {name}…"});
    # a kind not in it uses the default of the rep's language. None: all defaults.
    message_templates: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _utc_column()
    updated_at: datetime = _utc_column()


class Invite(SQLModel, table=True):
    """A one-time invite link (t.me/<bot>?start=<code>), expiring, optionally into a team."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_by: int | None = Field(default=None, foreign_key="rep.id", ondelete="SET NULL")
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="CASCADE")
    role: str = Field(default="rep", max_length=16)
    expires_at: datetime = _utc_column()
    used_at: datetime | None = _utc_column(nullable=True)
    created_at: datetime = _utc_column()


class ImportBatch(SQLModel, table=True):
    """One CSV import: its checked rows wait here for the rep's confirmation, and it can be undone."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    # pending -> applying (claimed by one tap, on one replica) -> done, or cancelled; done -> undone.
    state: str = Field(default="pending", max_length=16)
    rows: list[dict[str, Any]] = Field(default_factory=_no_items, sa_column=Column(JSON, nullable=False))
    # For rows merged into existing contacts: {contact id: {field: value before, "tags": [tag keys
    # added]}}, to undo the merge.
    merged: dict[str, Any] = Field(default_factory=_no_entries, sa_column=Column(JSON, nullable=False))
    # Until when the claim of an applying import holds: past it, the process applying it is taken to be
    # gone (its transaction rolled back), and Stop cancels the batch instead of waiting for it.
    lease_until: datetime | None = _utc_column(nullable=True)
    # Stop was pressed, on whichever replica: the one applying it checks this between chunks.
    stop_requested: bool = Field(
        default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # The file as Telegram keeps it, read again when the rep points at one of its columns, and those
    # picks ({"name": 2}: the file's third column holds the names).
    file_id: str | None = Field(default=None, max_length=256)
    picked: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _utc_column()


class Contact(SQLModel, table=True):
    """A person the rep met: a lead or a prospect (later customer, repeat buyer or lost)."""

    __table_args__ = (
        sa.Index("ix_contact_owner_name_key", "owner_id", "name_key"),
        sa.Index("ix_contact_owner_phone_key", "owner_id", "phone_key"),
        # One index per list order (the id is in each, so a deep page is walked in the index alone).
        sa.Index("ix_contact_owner_status_created", "owner_id", "status", "created_at", "id"),
        sa.Index("ix_contact_owner_status_score", "owner_id", "status", "score", "id"),
        sa.Index("ix_contact_owner_status_next", "owner_id", "status", "next_due_at", sa.text("id DESC")),
        # /find's order (best score first) over all of a rep's contacts.
        sa.Index("ix_contact_owner_score", "owner_id", "score", "id"),
        # The contacts of a status gone quiet (the digest's going cold).
        sa.Index("ix_contact_owner_status_touch", "owner_id", "status", "last_touch_at"),
        # A list by deal value, biggest first (walked backwards; contacts without a value come last).
        sa.Index("ix_contact_owner_status_value", "owner_id", "status", "value_minor", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200)
    company: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, max_length=120)
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
    status_reasons: list[str] = Field(default_factory=_no_items, sa_column=Column(JSON, nullable=False))
    score: int = 0
    # [[reason, points], ...], biggest first.
    score_reasons: list[list[Any]] = Field(default_factory=_no_items, sa_column=Column(JSON, nullable=False))
    touches: int = 0
    lost_reason: str | None = Field(default=None, max_length=24)
    birthday: date | None = None
    stage: str | None = Field(default=None, max_length=16)
    # The segment: for filtering and for the funnel.
    industry: str | None = Field(default=None, max_length=80)
    location: str | None = Field(default=None, max_length=80)
    company_size: str | None = Field(default=None, max_length=16)
    # The prospect type: how often and how much they would buy, and their influence.
    purchase_frequency: str | None = Field(default=None, max_length=16)
    purchase_volume: str | None = Field(default=None, max_length=16)
    influence: str | None = Field(default=None, max_length=16)
    # The deal (bot/deal.py): its value in minor units of `currency` (the rep's when it was typed), and the
    # month it is expected to close (its first day).
    value_minor: int | None = Field(default=None, sa_column=Column(sa.BigInteger, nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    close_month: date | None = None
    # The import that created the contact, so that the last import can be undone.
    import_batch_id: int | None = Field(
        default=None, foreign_key="importbatch.id", ondelete="SET NULL", index=True
    )
    # Folded text of name, company, phone, email and notes: what /find looks in.
    search_text: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    # The soonest open follow-up's due time, NO_FOLLOW_UP for none: kept by every write that adds, moves,
    # closes or re-points a follow-up (storage.database.refresh_next_due), so that a list sorted by
    # next follow-up is one index walk. A far-future instant rather than NULL sorts last on both databases.
    next_due_at: datetime = Field(
        default=NO_FOLLOW_UP,
        sa_column=Column(UTCDateTime(), nullable=False, server_default=NO_FOLLOW_UP_SQL),
    )
    last_touch_at: datetime | None = _utc_column(nullable=True)
    created_at: datetime = _utc_column()
    updated_at: datetime = _utc_column()


# Today's birthdays in the digest: the month and day, looked up per owner (the year is whatever was typed).
# SQLite cannot report expression indexes, nor DESC in ix_contact_owner_status_next, to Alembic: a future
# migration whose batch mode rebuilds the contact table must create both again as migration 0006 does.
sa.Index(
    "ix_contact_owner_birthday",
    Contact.__table__.c.owner_id,  # type: ignore[attr-defined]
    sa.extract("month", Contact.__table__.c.birthday),  # type: ignore[attr-defined]
    sa.extract("day", Contact.__table__.c.birthday),  # type: ignore[attr-defined]
)


class Interaction(SQLModel, table=True):
    """One event in a contact's history: a meeting, call or note with the answers given then, or a
    change the rep made (status, a field), with what changed and who changed it."""

    # A contact's history, newest first.
    __table_args__ = (sa.Index("ix_interaction_contact_occurred", "contact_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    # meeting, call, note, status, edit, lost, or a follow-up outcome (met, called, noanswer, messaged, other)
    kind: str = Field(max_length=16)
    note: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    answers: dict[str, Any] = Field(default_factory=_no_entries, sa_column=Column(JSON, nullable=False))
    # {"field": [before, after], ...}
    changes: dict[str, Any] = Field(default_factory=_no_entries, sa_column=Column(JSON, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="rep.id", ondelete="SET NULL")
    occurred_at: datetime = _utc_column()


class ContactTag(SQLModel, table=True):
    """A free tag on a contact; the folded key finds "VIP" as "vip"."""

    __table_args__ = (
        sa.UniqueConstraint("contact_id", "tag_key", name="uq_contact_tag"),
        sa.Index("ix_contacttag_owner_key", "owner_id", "tag_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", index=True)
    tag: str = Field(max_length=30)
    tag_key: str = Field(max_length=30)


class FollowUp(SQLModel, table=True):
    """A dated next step on a contact; it becomes a reminder message when due.

    pending -> claimed (a dispatcher holds it until lease_until) -> sent -> done (outcome logged) or
    closed; snoozing or rescheduling puts it back to pending with a new due_at.
    """

    __table_args__ = (
        # The dispatcher's due rows.
        sa.Index("ix_followup_state_due", "state", "due_at"),
        # One contact's open follow-ups, soonest first; one rep's, for the digest.
        sa.Index("ix_followup_contact_state_due", "contact_id", "state", "due_at"),
        sa.Index("ix_followup_owner_state_due", "owner_id", "state", "due_at"),
        # A contact goes cold once per silence: its cold follow-up names the touch the silence began at.
        sa.Index("uq_followup_contact_quiet", "contact_id", "quiet_since", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    due_at: datetime = _utc_column()
    # Why it exists: "next" (a next step), "winback" (a lost contact to try again), "cold" (gone quiet).
    kind: str = Field(default="next", max_length=16)
    # A cold one's: the last touch (or the creation) the silence is counted from; None for the others.
    quiet_since: datetime | None = _utc_column(nullable=True)
    state: str = Field(default="pending", max_length=16)
    claimed_by: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = _utc_column(nullable=True)
    # After a failed send: not tried again before this instant (backoff).
    not_before: datetime | None = _utc_column(nullable=True)
    attempts: int = 0
    sent_at: datetime | None = _utc_column(nullable=True)
    message_id: int | None = Field(default=None, sa_column=Column(sa.BigInteger, nullable=True))
    created_at: datetime = _utc_column()


class Digest(SQLModel, table=True):
    """One daily digest of one rep, keyed by the rep's local date: at most one per day, DST or not."""

    __table_args__ = (
        sa.UniqueConstraint("rep_id", "local_date", name="uq_digest_rep_day"),
        sa.Index("ix_digest_state_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rep_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    local_date: date
    due_at: datetime = _utc_column()
    state: str = Field(default="pending", max_length=16)  # pending, claimed, sent, skipped
    claimed_by: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = _utc_column(nullable=True)
    not_before: datetime | None = _utc_column(nullable=True)
    attempts: int = 0
    sent_at: datetime | None = _utc_column(nullable=True)


class CaptureDraft(SQLModel, table=True):
    """A capture in progress, saved after every answer so a restart or another replica can continue it."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="rep.id", ondelete="CASCADE", index=True)
    chat_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    # The one message the questions are edited into.
    message_id: int | None = Field(default=None, sa_column=Column(sa.BigInteger, nullable=True))
    state: str = Field(default="open", max_length=16)  # open, saved, cancelled
    # What the capture records: a "meeting" or a "call".
    kind: str = Field(default="meeting", max_length=16)
    # The question being asked; None while the summary card is shown.
    step: str | None = Field(default=None, max_length=16)
    # "ask": walking the questions; "edit": one question, then back to the summary;
    # "date": waiting for a typed date; "duplicate": waiting for log-on-existing / create-new.
    mode: str = Field(default="ask", max_length=16)
    answers: dict[str, Any] = Field(default_factory=_no_entries, sa_column=Column(JSON, nullable=False))
    # Set when the rep chose to log this meeting on an existing contact.
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    # The existing contact the name or phone matched, while the rep decides.
    duplicate_of: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    # A new capture the rep asked for while this one was open (typed name, shared contact, /new): kept
    # here until the rep chooses to continue this one or start that one, so neither is lost.
    queued: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    version: int = 1
    # The callback query that made the latest change, to tell Telegram sending that press again (after a
    # crash) from another press (a double tap on another replica).
    changed_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = _utc_column()
    updated_at: datetime = _utc_column()


class InboxUpdate(SQLModel, table=True):
    """An update fetched by long polling and not yet processed: stored before Telegram is told it arrived
    (runtime/polling.py), deleted as soon as it was processed. Nothing else refers to it."""

    __tablename__ = "inbox"

    # Telegram's update_id, the order updates are processed in.
    update_id: int = Field(sa_column=Column(sa.BigInteger, primary_key=True, autoincrement=False))
    # The update as JSON, as Telegram sent it.
    payload: str = Field(sa_column=Column(sa.Text, nullable=False))
    received_at: datetime = _utc_column()


class CalendarFeed(SQLModel, table=True):
    """A rep's calendar subscription (bot/calendar.py): the SHA-256 of the token in its address, never the
    token itself, and what the feed last showed, for its ETag and Last-Modified. No row: turned off."""

    __tablename__ = "calendar_feed"

    rep_id: int = Field(
        sa_column=Column(sa.Integer, sa.ForeignKey("rep.id", ondelete="CASCADE"), primary_key=True)
    )
    token_hash: str = Field(max_length=64, unique=True)
    # One more for each new address: a button that makes a new one names the address it replaces.
    version: int = 1
    # When the current address was made.
    issued_at: datetime = _utc_column()
    # The hash of what the feed showed when last fetched, and since when it shows that.
    content_hash: str | None = Field(default=None, max_length=64)
    changed_at: datetime | None = _utc_column(nullable=True)
