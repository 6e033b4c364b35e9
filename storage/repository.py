"""The repository: typed, keyword-only methods, every query scoped by its owner, read models out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from bot.qualification import QualificationAnswers, Step
from bot.schedule import parse_working_days
from bot.scoring import Classification, Score
from bot.status import SET_BY_REP
from bot.text_keys import phone_key, search_key
from storage.engine import READ_ONLY, is_sqlite
from storage.models import (
    NO_FOLLOW_UP,
    OPEN_STATES,
    CaptureDraft,
    Contact,
    ContactTag,
    Digest,
    FollowUp,
    Interaction,
    Rep,
    UTCDateTime,
    due_or_none,
)

Clock = Callable[[], datetime]

# A question asked outside a capture (a typed time zone, a note, a date) waits this long for its answer;
# after that, typed text is a new contact's name again.
AWAITING_FOR = timedelta(minutes=15)
# /find counts matches up to this many; a search that finds more says so and asks for another word.
FIND_COUNT_CAP = 1000
_ANSWER_COLUMNS = ("need", "budget", "authority", "timeline", "fit", "source")


class ContactOrder(StrEnum):
    NEWEST = "new"
    SCORE = "score"
    NEXT = "next"  # the soonest follow-up first; contacts without one last


@dataclass(frozen=True)
class ContactFilter:
    """Only contacts with this source, tag or industry (`kind` "s", "t" or "i"; the value folded)."""

    kind: str
    value: str


def _filter_condition(owner_id: int, wanted: ContactFilter) -> Any:
    if wanted.kind == "s":
        return col(Contact.source) == wanted.value
    if wanted.kind == "t":
        tagged = select(ContactTag.contact_id).where(
            ContactTag.owner_id == owner_id, ContactTag.tag_key == search_key(wanted.value)
        )
        return col(Contact.id).in_(tagged)
    return func.lower(col(Contact.industry)) == wanted.value.lower()


@dataclass(frozen=True)
class RepRead:
    id: int
    telegram_id: int
    chat_id: int
    language: str
    timezone: str
    digest_time: time
    onboarded: bool
    awaiting: str | None
    awaiting_until: datetime | None
    working_days: str
    digest_when_empty: bool
    active: bool
    weekly_summary: bool = False
    access: str = "open"
    team_id: int | None = None
    role: str = "rep"
    display_name: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def working_weekdays(self) -> frozenset[int]:
        """The rep's working days as ISO weekdays."""
        return parse_working_days(self.working_days)

    def awaits(self, now: datetime) -> str | None:
        """What typed text answers now, if the question has not lapsed."""
        if self.awaiting and self.awaiting_until and self.awaiting_until > now:
            return self.awaiting
        return None


@dataclass(frozen=True)
class DraftRead:
    id: int
    owner_id: int
    chat_id: int
    message_id: int | None
    state: str
    step: Step | None
    mode: str
    answers: QualificationAnswers
    contact_id: int | None
    duplicate_of: int | None
    queued: QualificationAnswers | None
    version: int
    updated_at: datetime
    kind: str = "meeting"


@dataclass(frozen=True)
class ContactListItem:
    id: int
    name: str
    company: str | None
    status: str
    score: int
    next_due: datetime | None


@dataclass(frozen=True)
class ContactRead:
    id: int
    name: str
    company: str | None
    phone: str | None
    email: str | None
    status: str
    status_rule: str
    status_reasons: tuple[str, ...]
    score: int
    score_reasons: tuple[tuple[str, int], ...]
    touches: int
    answers: QualificationAnswers
    latest_note: str | None
    next_due: datetime | None
    created_at: datetime
    last_touch_at: datetime | None
    role: str | None = None
    stage: str | None = None
    industry: str | None = None
    location: str | None = None
    company_size: str | None = None
    purchase_frequency: str | None = None
    purchase_volume: str | None = None
    influence: str | None = None
    birthday: date | None = None
    lost_reason: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    items: tuple[ContactListItem, ...]
    total: int
    offset: int
    # The total stopped counting at FIND_COUNT_CAP: there are more.
    capped: bool = False


def _rep_read(row: Rep | sa.Row[Any]) -> RepRead:
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
        awaiting=row.awaiting,
        awaiting_until=row.awaiting_until,
        working_days=row.working_days,
        digest_when_empty=row.digest_when_empty,
        weekly_summary=row.weekly_summary,
        active=row.active,
        access=row.access,
        team_id=row.team_id,
        role=row.role,
        display_name=row.display_name,
    )


def _draft_read(row: CaptureDraft | sa.Row[Any]) -> DraftRead:
    assert row.id is not None
    return DraftRead(
        id=row.id,
        owner_id=row.owner_id,
        chat_id=row.chat_id,
        message_id=row.message_id,
        state=row.state,
        step=Step(row.step) if row.step else None,
        mode=row.mode,
        answers=QualificationAnswers.model_validate(row.answers),
        contact_id=row.contact_id,
        duplicate_of=row.duplicate_of,
        queued=QualificationAnswers.model_validate(row.queued) if row.queued is not None else None,
        version=row.version,
        updated_at=row.updated_at,
        kind=row.kind,
    )


# The statements every update runs (the rep, the capture draft), built once, on the tables rather than
# through the ORM: a button press costs a few tenths of a millisecond less per statement.
_REPS = SQLModel.metadata.tables["rep"]
_DRAFTS = SQLModel.metadata.tables["capturedraft"]
_REP_BY_TELEGRAM_ID = sa.select(_REPS).where(_REPS.c.telegram_id == sa.bindparam("telegram_id"))
_DRAFT_BY_ID = sa.select(_DRAFTS).where(
    _DRAFTS.c.id == sa.bindparam("draft_id"), _DRAFTS.c.owner_id == sa.bindparam("owner_id")
)


# An UPDATE of a draft that applies only while it is open at the version it was read at; the values to set
# come with the parameters (_at_version gives the guard's).
_DRAFT_AT_VERSION = sa.update(_DRAFTS).where(
    _DRAFTS.c.id == sa.bindparam("draft_id"),
    _DRAFTS.c.owner_id == sa.bindparam("draft_owner_id"),
    _DRAFTS.c.state == "open",
    _DRAFTS.c.version == sa.bindparam("draft_version"),
)


def _at_version(draft: DraftRead) -> dict[str, Any]:
    return {"draft_id": draft.id, "draft_owner_id": draft.owner_id, "draft_version": draft.version}


def _changed_one(result: object) -> bool:
    """Whether a conditional UPDATE hit its row: the rowcount is how an optimistic write learns it lost."""
    return getattr(result, "rowcount", 0) == 1


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lock_contacts(session: Session, contact_ids: Iterable[int]) -> None:
    """Take the contacts' row locks, in id order, before changing their follow-ups.

    On PostgreSQL this puts concurrent writers of one contact in a queue in the same order as deleting a
    contact does (contact, then its follow-ups), and it makes refresh_next_due read the follow-ups that the
    writer before it committed. SQLite needs none of it (BEGIN IMMEDIATE runs one writer at a time), and
    SQLAlchemy leaves FOR UPDATE out there.
    """
    ids = sorted(set(contact_ids))
    if ids:
        session.execute(
            select(Contact.id).where(col(Contact.id).in_(ids)).order_by(col(Contact.id)).with_for_update()
        )


def refresh_next_due(session: Session, contact_ids: Iterable[int]) -> None:
    """Set contact.next_due_at to the soonest open follow-up of each contact (NO_FOLLOW_UP for none).

    Every write that adds a follow-up, moves its due time, closes it or moves it to another contact calls
    this in the same transaction, so the lists' order by next follow-up never needs the follow-ups. The
    caller took the contacts' locks (lock_contacts) before it changed their follow-ups; taking them here again
    costs a statement and, on PostgreSQL, makes sure the follow-ups are read as committed.
    """
    ids = sorted(set(contact_ids))
    if not ids:
        return
    session.flush()
    lock_contacts(session, ids)
    soonest = (
        select(func.min(FollowUp.due_at))
        .where(col(FollowUp.contact_id) == col(Contact.id), col(FollowUp.state).in_(OPEN_STATES))
        .correlate(Contact)
        .scalar_subquery()
    )
    session.execute(
        sa.update(Contact)
        .where(col(Contact.id).in_(ids))
        .values(next_due_at=func.coalesce(soonest, sa.literal(NO_FOLLOW_UP, UTCDateTime())))
        .execution_options(synchronize_session=False)
    )


_ORDERINGS: dict[ContactOrder, Callable[[], list[Any]]] = {
    ContactOrder.SCORE: lambda: [col(Contact.score).desc(), col(Contact.id).desc()],
    ContactOrder.NEWEST: lambda: [col(Contact.created_at).desc(), col(Contact.id).desc()],
    ContactOrder.NEXT: lambda: [col(Contact.next_due_at), col(Contact.id).desc()],
}


def _list_columns() -> list[Any]:
    return [
        col(Contact.id),
        col(Contact.name),
        col(Contact.company),
        col(Contact.status),
        col(Contact.score),
        col(Contact.next_due_at),
    ]


def _list_item(row: Any) -> ContactListItem:
    return ContactListItem(
        id=row[0], name=row[1], company=row[2], status=row[3], score=row[4], next_due=due_or_none(row[5])
    )


class Repository:
    """All reads and writes of the bot's records. One instance per process, shared by the handlers."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._read_engine = engine.execution_options(**{READ_ONLY: True})
        # A statement that stands alone (one read, or one conditional write) needs no transaction around it:
        # on PostgreSQL autocommit saves the round trips of BEGIN and COMMIT. SQLite begins as
        # storage.engine decides (its round trips cost nothing).
        if is_sqlite(engine):
            self._statement_engine, self._statement_read_engine = engine, self._read_engine
        else:
            self._statement_engine = self._statement_read_engine = engine.execution_options(
                isolation_level="AUTOCOMMIT"
            )

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A transaction that writes."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A transaction that only reads (on SQLite it takes no lock; see storage.engine)."""
        with Session(self._read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    # Reps

    def get_rep(self, *, telegram_id: int) -> RepRead | None:
        with self._statement_read_engine.connect() as connection:
            row = connection.execute(_REP_BY_TELEGRAM_ID, {"telegram_id": telegram_id}).first()
        return _rep_read(row) if row else None

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
    ) -> RepRead:
        """The rep with this Telegram id, created on first contact; a returning rep is active again."""
        now = self.clock()
        with self._session() as session:
            row = session.exec(select(Rep).where(Rep.telegram_id == telegram_id)).first()
            if row is None:
                row = Rep(
                    telegram_id=telegram_id,
                    chat_id=chat_id,
                    language=language,
                    timezone=timezone,
                    digest_time=digest_time.strftime("%H:%M"),
                    access=access,
                    display_name=display_name[:64],
                    created_at=now,
                    updated_at=now,
                )
            else:
                row.chat_id, row.active, row.updated_at = chat_id, True, now
            session.add(row)
            session.flush()
            return _rep_read(row)

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
            if timezone is not None:
                row.timezone = timezone
            if digest_time is not None:
                row.digest_time = digest_time.strftime("%H:%M")
            if language is not None:
                row.language = language
            if onboarded is not None:
                row.onboarded = onboarded
            row.updated_at = self.clock()
            session.add(row)
            session.execute(
                sa.delete(Digest).where(col(Digest.rep_id) == rep_id, col(Digest.state) == "pending")
            )
            return _rep_read(row)

    def is_invited(self, *, telegram_id: int) -> bool:
        """Whether this user got in with an invite (and so may stay when the bot is not open to all)."""
        with self._reading() as session:
            access = session.exec(select(Rep.access).where(Rep.telegram_id == telegram_id)).first()
            return access == "invite"

    def set_awaiting(self, *, rep_id: int, awaiting: str | None, for_: timedelta = AWAITING_FOR) -> None:
        """What the rep's next typed text answers outside a capture (None: it starts a capture)."""
        until = self.clock() + for_ if awaiting else None
        with self._session() as session:
            session.execute(
                sa.update(Rep).where(col(Rep.id) == rep_id).values(awaiting=awaiting, awaiting_until=until)
            )

    # Capture drafts

    def open_draft(
        self,
        *,
        owner_id: int,
        chat_id: int,
        answers: QualificationAnswers,
        step: Step | None,
        mode: str = "ask",
        contact_id: int | None = None,
        kind: str = "meeting",
    ) -> DraftRead:
        """A new capture; any capture the rep left open is cancelled (the rep chose to start over)."""
        now = self.clock()
        with self._session() as session:
            session.execute(
                sa.update(CaptureDraft)
                .where(col(CaptureDraft.owner_id) == owner_id, col(CaptureDraft.state) == "open")
                .values(state="cancelled", updated_at=now, version=CaptureDraft.version + 1)
            )
            row = CaptureDraft(
                owner_id=owner_id,
                chat_id=chat_id,
                step=step.value if step else None,
                mode=mode,
                contact_id=contact_id,
                kind=kind,
                answers=answers.model_dump(mode="json"),
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _draft_read(row)

    def get_open_draft(self, *, owner_id: int) -> DraftRead | None:
        with self._reading() as session:
            row = session.exec(
                select(CaptureDraft)
                .where(CaptureDraft.owner_id == owner_id, CaptureDraft.state == "open")
                .order_by(col(CaptureDraft.id).desc())
            ).first()
            return _draft_read(row) if row else None

    def get_draft(self, *, owner_id: int, draft_id: int) -> DraftRead | None:
        """A draft of this rep's, in any state; None when it does not exist or is someone else's."""
        with self._statement_read_engine.connect() as connection:
            row = connection.execute(_DRAFT_BY_ID, {"draft_id": draft_id, "owner_id": owner_id}).first()
        return _draft_read(row) if row else None

    def update_draft(
        self,
        *,
        draft: DraftRead,
        answers: QualificationAnswers | None = None,
        step: Step | None = None,
        mode: str | None = None,
        message_id: int | None = None,
        duplicate_of: int | None = None,
        contact_id: int | None = None,
        clear_step: bool = False,
        queued: QualificationAnswers | None = None,
        clear_queued: bool = False,
    ) -> DraftRead | None:
        """Save the next state of an open draft; None when it changed meanwhile (a double tap, a replica).

        The version guard makes the update conditional: of two updates based on the same version, exactly
        one is applied and the other learns it lost.
        """
        values: dict[str, Any] = {"updated_at": self.clock(), "version": draft.version + 1}
        if answers is not None:
            values["answers"] = answers.model_dump(mode="json")
        if step is not None or clear_step:
            values["step"] = step.value if step else None
        if mode is not None:
            values["mode"] = mode
        if message_id is not None:
            values["message_id"] = message_id
        if duplicate_of is not None:
            values["duplicate_of"] = duplicate_of or None
        if contact_id is not None:
            values["contact_id"] = contact_id
        if queued is not None or clear_queued:
            values["queued"] = queued.model_dump(mode="json") if queued is not None else None
        with self._statement_engine.begin() as connection:
            if not _changed_one(connection.execute(_DRAFT_AT_VERSION, _at_version(draft) | values)):
                return None
        # The version guard proves what the row now holds: no need to read it back.
        return replace(
            draft,
            answers=answers if answers is not None else draft.answers,
            step=step if (step is not None or clear_step) else draft.step,
            mode=mode if mode is not None else draft.mode,
            message_id=message_id if message_id is not None else draft.message_id,
            duplicate_of=(duplicate_of or None) if duplicate_of is not None else draft.duplicate_of,
            contact_id=contact_id if contact_id is not None else draft.contact_id,
            queued=None if clear_queued else queued if queued is not None else draft.queued,
            version=draft.version + 1,
        )

    def cancel_draft(self, *, draft: DraftRead) -> bool:
        """Close an open draft without saving; False when it was no longer open at that version."""
        return self._close_draft(draft=draft, state="cancelled")

    def _close_draft(self, *, draft: DraftRead, state: str, session: Session | None = None) -> bool:
        values = _at_version(draft) | {
            "state": state,
            "updated_at": self.clock(),
            "version": draft.version + 1,
        }
        if session is not None:
            return _changed_one(session.execute(_DRAFT_AT_VERSION, values))
        with self._statement_engine.begin() as connection:
            return _changed_one(connection.execute(_DRAFT_AT_VERSION, values))

    # Contacts

    def find_duplicates(self, *, owner_id: int, name: str | None, phone: str | None) -> list[ContactListItem]:
        """The rep's contacts with the same name (ignoring case and accents) or the same phone."""
        conditions = []
        if name:
            conditions.append(col(Contact.name_key) == search_key(name))
        key = phone_key(phone) if phone else None
        if key:
            conditions.append(col(Contact.phone_key) == key)
        if not conditions:
            return []
        return self._list_items(
            sa.and_(col(Contact.owner_id) == owner_id, sa.or_(*conditions)), ContactOrder.NEWEST, 0, 5
        )[0]

    def save_capture(
        self,
        *,
        draft: DraftRead,
        answers: QualificationAnswers,
        classification: Classification,
        score: Score,
    ) -> ContactRead | None:
        """Store a finished capture in one transaction: the contact (new, or the one the meeting was logged
        on), the interaction with its answers, and the follow-up. None when the draft was already saved or
        cancelled (a second tap on Save changes nothing)."""
        now = self.clock()
        with self._session() as session:
            if not self._close_draft(draft=draft, state="saved", session=session):
                return None
            contact = None
            if draft.contact_id is not None:
                contact = session.exec(
                    select(Contact)
                    .where(Contact.id == draft.contact_id, Contact.owner_id == draft.owner_id)
                    .with_for_update()
                ).first()
            if contact is None:
                contact = Contact(
                    owner_id=draft.owner_id,
                    name="",
                    name_key="",
                    status="lead",
                    status_rule="",
                    created_at=now,
                    updated_at=now,
                )
            before = self._tracked(contact) if contact.id is not None else None
            self._apply_answers(contact, answers, classification, score, now)
            session.add(contact)
            session.flush()
            assert contact.id is not None
            after = self._tracked(contact)
            changes = {
                key: [before[key], after[key]] for key in after if before and before[key] != after[key]
            }
            session.add(
                Interaction(
                    owner_id=draft.owner_id,
                    contact_id=contact.id,
                    kind=draft.kind,
                    note=answers.note,
                    answers=answers.model_dump(mode="json", exclude={"name", "company", "phone"}),
                    changes=changes,
                    actor_id=draft.owner_id,
                    occurred_at=now,
                )
            )
            due = answers.next_due
            if due is not None:
                # The next step chosen in this meeting replaces any the contact still had open.
                session.execute(
                    sa.update(FollowUp)
                    .where(col(FollowUp.contact_id) == contact.id, col(FollowUp.state).in_(OPEN_STATES))
                    .values(state="closed", claimed_by=None, lease_until=None)
                )
                session.add(
                    FollowUp(owner_id=draft.owner_id, contact_id=contact.id, due_at=due, created_at=now)
                )
                contact.next_due_at = due
            session.flush()
            contact.search_text = self._search_text(session, contact)
            session.add(contact)
            return self._contact_read(session, contact)

    @staticmethod
    def _tracked(contact: Contact) -> dict[str, Any]:
        """The values whose change a logged meeting shows in the history."""
        return {field: getattr(contact, field) for field in (*_ANSWER_COLUMNS[:5], "status", "score")}

    @staticmethod
    def _apply_answers(
        contact: Contact,
        answers: QualificationAnswers,
        classification: Classification,
        score: Score,
        now: datetime,
    ) -> None:
        contact.name = answers.name or contact.name
        contact.name_key = search_key(contact.name)
        contact.company = answers.company or contact.company
        if answers.phone:
            contact.phone, contact.phone_key = answers.phone, phone_key(answers.phone)
        for field in _ANSWER_COLUMNS:
            value = getattr(answers, field)
            setattr(contact, field, value.value if value is not None else None)
        # A customer, repeat buyer or lost contact keeps the status the rep gave it; answers only re-score.
        if contact.status not in {status.value for status in SET_BY_REP} or not contact.status_rule:
            contact.status = classification.status.value
            contact.status_rule = classification.rule
            contact.status_reasons = [reason.code for reason in classification.reasons]
        contact.score = score.value
        contact.score_reasons = [
            [reason.code, reason.points] for reason in score.main_reasons(len(score.reasons))
        ]
        contact.touches += 1
        contact.last_touch_at = now
        contact.updated_at = now

    @staticmethod
    def _search_text(session: Session, contact: Contact) -> str:
        """What /find looks in: the contact's words and every note, folded; the phone as digits."""
        notes = session.exec(
            select(Interaction.note).where(
                Interaction.contact_id == contact.id, col(Interaction.note).is_not(None)
            )
        ).all()
        tags = session.exec(select(ContactTag.tag).where(ContactTag.contact_id == contact.id)).all()
        words = (
            contact.name,
            contact.company,
            contact.email,
            contact.role,
            contact.industry,
            contact.location,
        )
        parts = [word or "" for word in words] + [note or "" for note in notes] + list(tags)
        digits = "".join(char for char in contact.phone or "" if char.isdigit())
        return " | ".join([search_key(" ".join(parts)), digits])

    def get_contact(self, *, owner_id: int, contact_id: int) -> ContactRead | None:
        """One of the rep's contacts; None for an id that does not exist or belongs to someone else."""
        with self._reading() as session:
            row = session.exec(
                select(Contact).where(Contact.id == contact_id, Contact.owner_id == owner_id)
            ).first()
            return self._contact_read(session, row) if row else None

    def _contact_read(self, session: Session, row: Contact) -> ContactRead:
        assert row.id is not None
        latest_note = session.exec(
            select(Interaction.note)
            .where(Interaction.contact_id == row.id, col(Interaction.note).is_not(None))
            .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
        ).first()
        answers = QualificationAnswers.model_validate(
            {field: getattr(row, field) for field in _ANSWER_COLUMNS}
            | {"name": row.name, "company": row.company, "phone": row.phone}
        )
        return ContactRead(
            id=row.id,
            name=row.name,
            company=row.company,
            phone=row.phone,
            email=row.email,
            status=row.status,
            status_rule=row.status_rule,
            status_reasons=tuple(row.status_reasons),
            score=row.score,
            score_reasons=tuple((str(code), int(points)) for code, points in row.score_reasons),
            touches=row.touches,
            answers=answers,
            latest_note=latest_note,
            next_due=due_or_none(row.next_due_at),
            created_at=row.created_at,
            last_touch_at=row.last_touch_at,
            role=row.role,
            stage=row.stage,
            industry=row.industry,
            location=row.location,
            company_size=row.company_size,
            purchase_frequency=row.purchase_frequency,
            purchase_volume=row.purchase_volume,
            influence=row.influence,
            birthday=row.birthday,
            lost_reason=row.lost_reason,
            tags=tuple(
                session.exec(
                    select(ContactTag.tag)
                    .where(ContactTag.contact_id == row.id)
                    .order_by(col(ContactTag.tag_key))
                ).all()
            ),
        )

    def list_contacts(
        self,
        *,
        owner_id: int,
        status: str,
        order: ContactOrder,
        offset: int,
        limit: int,
        filter_by: ContactFilter | None = None,
    ) -> Page:
        """A page of the rep's contacts with one status, by next follow-up, newest or highest score first,
        optionally only those with a source, a tag or an industry."""
        condition = sa.and_(col(Contact.owner_id) == owner_id, col(Contact.status) == status)
        if filter_by is not None:
            condition = sa.and_(condition, _filter_condition(owner_id, filter_by))
        items, total = self._list_items(condition, order, offset, limit)
        return Page(tuple(items), total, offset)

    def find_contacts(self, *, owner_id: int, text: str, offset: int, limit: int) -> Page:
        """A page of the rep's contacts whose name, company, phone, email or notes contain the text,
        ignoring case and accents; best score first. The total is counted up to FIND_COUNT_CAP only
        (`Page.capped` says it stopped there): past that, the rep narrows the search instead of paging."""
        words = search_key(text).split()
        digits = "".join(char for char in text if char.isdigit())
        if not words:
            return Page((), 0, offset)
        conditions = [col(Contact.search_text).like(f"%{_escape_like(word)}%", escape="\\") for word in words]
        if len(digits) >= 4 and len(digits) == len(text.replace(" ", "").lstrip("+")):
            conditions = [col(Contact.search_text).like(f"%{digits}%")]
        condition = sa.and_(col(Contact.owner_id) == owner_id, *conditions)
        with self._reading() as session:
            # The matches up to the cap, id and score only: on SQLite the (owner_id, search_text, score) index
            # answers this without reading a row, on PostgreSQL the trigram index. A rare word is then one
            # pass; a common one stops at the cap, and its page walks the score index instead.
            matches = session.execute(
                sa.select(col(Contact.id), col(Contact.score)).where(condition).limit(FIND_COUNT_CAP + 1)
            ).all()
            if len(matches) > FIND_COUNT_CAP:
                rows = self._page_rows(session, condition, ContactOrder.SCORE, offset, limit)
                return Page(tuple(_list_item(row) for row in rows), FIND_COUNT_CAP, offset, capped=True)
            ranked = sorted(matches, key=lambda match: (match[1], match[0]), reverse=True)
            best = ranked[offset : offset + limit]
            found = {
                row[0]: row
                for row in session.execute(
                    sa.select(*_list_columns()).where(col(Contact.id).in_([match[0] for match in best]))
                ).all()
            }
        return Page(tuple(_list_item(found[match[0]]) for match in best), len(matches), offset)

    def _list_items(
        self, condition: Any, order: ContactOrder, offset: int, limit: int
    ) -> tuple[list[ContactListItem], int]:
        """A page of the contacts that match, in the order, and how many match in all."""
        counting = sa.select(func.count()).select_from(sa.select(col(Contact.id)).where(condition).subquery())
        with self._reading() as session:
            total = int(session.execute(counting).scalar_one())
            rows = self._page_rows(session, condition, order, offset, limit)
        return [_list_item(row) for row in rows], total

    @staticmethod
    def _page_rows(session: Session, condition: Any, order: ContactOrder, offset: int, limit: int) -> Any:
        """The page's rows: its ids first, from the index that has the order (each list order has one: see
        the Contact model), then only those rows."""
        ordering = _ORDERINGS[order]()
        page_ids = (
            sa.select(col(Contact.id).label("page_id"))
            .where(condition)
            .order_by(*ordering)
            .offset(offset)
            .limit(limit)
            .subquery()
        )
        return session.execute(
            sa.select(*_list_columns()).join(page_ids, page_ids.c.page_id == Contact.id).order_by(*ordering)
        ).all()


class RepositoryPart:
    """Reads and writes kept in a module of their own (contacts, follow-ups, teams, exchange), sharing the
    repository's engine, clock and transactions."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self.engine = repository.engine
        self.clock: Clock = repository.clock

    def _session(self) -> AbstractContextManager[Session]:
        return self.repository._session()

    def _reading(self) -> AbstractContextManager[Session]:
        return self.repository._reading()
