"""Capture drafts: the state of a capture between two updates, guarded by its version, and saving a
finished capture as a contact, an interaction and a follow-up."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from bot.capture import CaptureMode, DraftState
from bot.qualification import QualificationAnswers, Step
from bot.schedule import OPEN_STATES
from bot.scoring import Classification, Score, Status
from bot.status import status_after_meeting
from bot.text_keys import search_key
from storage.contacts import (
    ANSWER_COLUMNS,
    ContactRead,
    contact_read,
    read_model,
    search_text,
    search_text_of,
    store_phone,
)
from storage.database import RepositoryPart, changed_one, end_silence, insert_values
from storage.engine import is_sqlite
from storage.models import Contact, FollowUp, Interaction
from storage.reps import RepRead, rep_read


@dataclass(frozen=True)
class DraftRead:
    id: int
    owner_id: int
    chat_id: int
    message_id: int | None
    state: DraftState
    step: Step | None
    mode: CaptureMode
    answers: QualificationAnswers
    contact_id: int | None
    duplicate_of: int | None
    queued: QualificationAnswers | None
    version: int
    updated_at: datetime
    changed_by: str | None = None  # the callback query of the latest change, if a press made it
    kind: str = "meeting"


# The answers that are the contact's own fields (or, for those it has no field for, written into the note
# on Save), not the meeting's: the interaction keeps only the qualification answers.
_CONTACT_DETAILS = {
    "name", "company", "phone", "role", "email", "website", "address", "other_phones", "value", "currency",
    "close_month",
}  # fmt: skip


def _draft_read(row: Mapping[Any, Any]) -> DraftRead:
    """The read model of a draft's row (a row's `_mapping`, or the values it was inserted with)."""
    return DraftRead(
        id=int(row["id"]),
        owner_id=row["owner_id"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        state=DraftState(row["state"]),
        step=Step(row["step"]) if row["step"] else None,
        mode=CaptureMode(row["mode"]),
        answers=QualificationAnswers.model_validate(row["answers"]),
        contact_id=row["contact_id"],
        duplicate_of=row["duplicate_of"],
        queued=QualificationAnswers.model_validate(row["queued"]) if row["queued"] is not None else None,
        version=row["version"],
        updated_at=row["updated_at"],
        changed_by=row["changed_by"],
        kind=row["kind"],
    )


# The statements every update runs on its draft, built once, on the table rather than through the ORM: a
# button press costs a few tenths of a millisecond less per statement.
_DRAFTS = SQLModel.metadata.tables["capturedraft"]
_DRAFT_BY_ID = sa.select(_DRAFTS).where(
    _DRAFTS.c.id == sa.bindparam("draft_id"), _DRAFTS.c.owner_id == sa.bindparam("owner_id")
)


# The preamble reads a rep together with the draft the update is about, in one statement (see
# DraftBook.get_rep_and_draft): the rep's columns under their own names, the draft's under a prefix.
_REPS = SQLModel.metadata.tables["rep"]
_JOINED = _DRAFTS.alias("joined")


def _rep_and(draft: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(*_REPS.c, *(column.label(f"draft_{column.name}") for column in _JOINED.c))
        .select_from(_REPS.outerjoin(_JOINED, sa.and_(_JOINED.c.owner_id == _REPS.c.id, draft)))
        .where(_REPS.c.telegram_id == sa.bindparam("telegram_id"))
    )


_REP_AND_DRAFT = _rep_and(_JOINED.c.id == sa.bindparam("draft_id"))
_REP_AND_OPEN_DRAFT = (
    _rep_and(_JOINED.c.state == DraftState.OPEN.value).order_by(_JOINED.c.id.desc()).limit(1)
)


_OPEN_DRAFT = (
    sa.select(_DRAFTS)
    .where(_DRAFTS.c.owner_id == sa.bindparam("owner_id"), _DRAFTS.c.state == DraftState.OPEN.value)
    .order_by(_DRAFTS.c.id.desc())
    .limit(1)
)
_CANCEL_OPEN = (
    sa.update(_DRAFTS)
    .where(_DRAFTS.c.owner_id == sa.bindparam("of_owner"), _DRAFTS.c.state == DraftState.OPEN.value)
    .values(state=DraftState.CANCELLED.value, updated_at=sa.bindparam("now"), version=_DRAFTS.c.version + 1)
)
_DRAFT_INSERT = sa.insert(_DRAFTS)


# An UPDATE of a draft that applies only while it is open at the version it was read at; the values to set
# come with the parameters (_at_version gives the guard's).
_DRAFT_AT_VERSION = sa.update(_DRAFTS).where(
    _DRAFTS.c.id == sa.bindparam("draft_id"),
    _DRAFTS.c.owner_id == sa.bindparam("draft_owner_id"),
    _DRAFTS.c.state == "open",
    _DRAFTS.c.version == sa.bindparam("draft_version"),
)


# A new contact's rows, inserted as they are built (see DraftBook._save_new_contact).
_CONTACTS = SQLModel.metadata.tables["contact"]
_INTERACTIONS = SQLModel.metadata.tables["interaction"]
_FOLLOW_UPS = SQLModel.metadata.tables["followup"]
_CONTACT_INSERT = sa.insert(_CONTACTS)
_INTERACTION_INSERT = sa.insert(_INTERACTIONS)
_FOLLOW_UP_INSERT = sa.insert(_FOLLOW_UPS)


def _rows_of(
    table: sa.Table, prefix: str, names: tuple[str, ...], source: Any, **from_source: Any
) -> sa.Insert:
    """An INSERT of one row for each row of `source` (none when it has none): the columns `names`, bound as
    `<prefix>_<name>`, and `from_source`'s columns."""
    chosen = sa.select(
        *(sa.bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in names), *from_source.values()
    ).select_from(source)
    return sa.insert(table).from_select([*names, *from_source], chosen)


@functools.lru_cache(maxsize=64)
def _saved_in_one(
    contact: tuple[str, ...], meeting: tuple[str, ...], follow_up: tuple[str, ...] | None
) -> sa.Select[Any]:
    """PostgreSQL's Save of a new contact as one statement (data-modifying WITH clauses): the draft closed
    at its version, then the contact, its meeting and its follow-up made only if the draft was, so that one
    round trip does what six did (BEGIN, four statements, COMMIT), as atomically. It returns the new
    contact's id, or no row when the draft had changed meanwhile. Built once for each set of columns the
    rows have values for (see _in_one)."""
    # The draft's new values under names of their own: an INSERT from a SELECT binds a column's default
    # under the column's name.
    closing: dict[str, Any] = {name: sa.bindparam(f"closed_{name}") for name in _CLOSED}
    closed = _DRAFT_AT_VERSION.values(closing).returning(_DRAFTS.c.id).cte("closed")
    made = _rows_of(_CONTACTS, "contact", contact, closed).returning(_CONTACTS.c.id).cte("made")
    with_it = [_rows_of(_INTERACTIONS, "meeting", meeting, made, contact_id=made.c.id).cte("met")]
    if follow_up is not None:
        with_it.append(_rows_of(_FOLLOW_UPS, "next", follow_up, made, contact_id=made.c.id).cte("next"))
    return sa.select(made.c.id).add_cte(*with_it)


def _in_one(
    closing: dict[str, Any], contact: Contact, meeting: Interaction, follow_up: FollowUp | None
) -> tuple[sa.Select[Any], dict[str, Any]]:
    """_saved_in_one's statement for the draft's close (`_closing`) and these rows, with their values."""
    rows = {"contact": insert_values(contact), "meeting": insert_values(meeting)}
    rows["meeting"].pop("contact_id")
    if follow_up is not None:
        rows["next"] = insert_values(follow_up)
        rows["next"].pop("contact_id")
    statement = _saved_in_one(
        tuple(rows["contact"]), tuple(rows["meeting"]), tuple(rows["next"]) if "next" in rows else None
    )
    values = {f"{prefix}_{name}": value for prefix, row in rows.items() for name, value in row.items()}
    closed = {f"closed_{name}" if name in _CLOSED else name: value for name, value in closing.items()}
    return statement, values | closed


def _at_version(draft: DraftRead) -> dict[str, Any]:
    return {"draft_id": draft.id, "draft_owner_id": draft.owner_id, "draft_version": draft.version}


_CLOSED = ("state", "updated_at", "version")


def _closing(draft: DraftRead, state: str, now: datetime) -> dict[str, Any]:
    """_DRAFT_AT_VERSION's values that close the draft as saved or cancelled."""
    return _at_version(draft) | {"state": state, "updated_at": now, "version": draft.version + 1}


class DraftBook(RepositoryPart):
    """Reads and writes of capture drafts, and the save that ends one."""

    def open_draft(
        self,
        *,
        owner_id: int,
        chat_id: int,
        answers: QualificationAnswers,
        step: Step | None,
        mode: CaptureMode = CaptureMode.ASK,
        contact_id: int | None = None,
        kind: str = "meeting",
        duplicate_of: int | None = None,
        none_open: bool = False,
    ) -> DraftRead:
        """A new capture; any capture the rep left open is cancelled (the rep chose to start over).
        `none_open`: the caller has just read that the rep has none open, so there is nothing to cancel
        and the draft is one INSERT."""
        now = self.clock()
        values: dict[str, Any] = {
            "owner_id": owner_id,
            "chat_id": chat_id,
            "message_id": None,
            "state": DraftState.OPEN.value,
            "kind": kind,
            "step": step.value if step else None,
            "mode": mode.value,
            "answers": answers.model_dump(mode="json"),
            "contact_id": contact_id,
            "duplicate_of": duplicate_of,
            "queued": None,
            "version": 1,
            "changed_by": None,
            "created_at": now,
            "updated_at": now,
        }
        opening = self.database.writing_statement() if none_open else self.database.writing_connection()
        with opening as connection:
            if not none_open:
                connection.execute(_CANCEL_OPEN, {"of_owner": owner_id, "now": now})
            inserted = connection.execute(_DRAFT_INSERT, values).inserted_primary_key
        assert inserted is not None
        return _draft_read(values | {"id": inserted[0]})

    def get_open_draft(self, *, owner_id: int) -> DraftRead | None:
        with self.database.statement_read_engine.connect() as connection:
            row = connection.execute(_OPEN_DRAFT, {"owner_id": owner_id}).first()
        return _draft_read(row._mapping) if row else None

    def get_draft(self, *, owner_id: int, draft_id: int) -> DraftRead | None:
        """A draft of this rep's, in any state; None when it does not exist or is someone else's."""
        with self.database.statement_read_engine.connect() as connection:
            row = connection.execute(_DRAFT_BY_ID, {"draft_id": draft_id, "owner_id": owner_id}).first()
        return _draft_read(row._mapping) if row else None

    def get_rep_and_draft(
        self, *, telegram_id: int, draft_id: int | None = None
    ) -> tuple[RepRead, DraftRead | None] | None:
        """The rep with this Telegram id and their draft `draft_id` (None when it does not exist or is
        someone else's), or with no `draft_id` their open capture (get_open_draft), in one statement: what
        a press on a capture's button, or a text, needs before anything else. None when there is no such
        rep."""
        with self.database.statement_read_engine.connect() as connection:
            if draft_id is None:
                row = connection.execute(_REP_AND_OPEN_DRAFT, {"telegram_id": telegram_id}).first()
            else:
                named = {"telegram_id": telegram_id, "draft_id": draft_id}
                row = connection.execute(_REP_AND_DRAFT, named).first()
        if row is None:
            return None
        values = row._mapping
        draft = None
        if values["draft_id"] is not None:
            draft = _draft_read({column.name: values[f"draft_{column.name}"] for column in _JOINED.c})
        return rep_read(row), draft

    def update_draft(
        self,
        *,
        draft: DraftRead,
        answers: QualificationAnswers | None = None,
        step: Step | None = None,
        mode: CaptureMode | None = None,
        message_id: int | None = None,
        duplicate_of: int | None = None,
        contact_id: int | None = None,
        clear_step: bool = False,
        queued: QualificationAnswers | None = None,
        clear_queued: bool = False,
        changed_by: str | None = None,
    ) -> DraftRead | None:
        """Save the next state of an open draft; None when it changed meanwhile (a double tap, a replica).

        The version guard makes the update conditional: of two updates based on the same version, exactly
        one is applied and the other learns it lost.
        """
        now = self.clock()
        values: dict[str, Any] = {"updated_at": now, "version": draft.version + 1}
        if changed_by is not None:
            # Only a press's own change names it: a later side write (the message id) keeps it.
            values["changed_by"] = changed_by
        if answers is not None:
            values["answers"] = answers.model_dump(mode="json")
        if step is not None or clear_step:
            values["step"] = step.value if step else None
        if mode is not None:
            values["mode"] = mode.value
        if message_id is not None:
            values["message_id"] = message_id
        if duplicate_of is not None:
            values["duplicate_of"] = duplicate_of or None
        if contact_id is not None:
            values["contact_id"] = contact_id
        if queued is not None or clear_queued:
            values["queued"] = queued.model_dump(mode="json") if queued is not None else None
        with self.database.writing_statement() as connection:
            if not changed_one(connection.execute(_DRAFT_AT_VERSION, _at_version(draft) | values)):
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
            updated_at=now,
            changed_by=changed_by if changed_by is not None else draft.changed_by,
        )

    def cancel_draft(self, *, draft: DraftRead) -> bool:
        """Close an open draft without saving; False when it was no longer open at that version."""
        return self._close_draft(draft=draft, state="cancelled")

    def _close_draft(
        self, *, draft: DraftRead, state: str, on: Session | sa.Connection | None = None
    ) -> bool:
        """Close an open draft at the version it was read at, in the transaction `on` (or a statement of its
        own); False when it had changed meanwhile."""
        values = _closing(draft, state, self.clock())
        if on is not None:
            return changed_one(on.execute(_DRAFT_AT_VERSION, values))
        with self.database.writing_statement() as connection:
            return changed_one(connection.execute(_DRAFT_AT_VERSION, values))

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
        if draft.contact_id is None:
            return self._save_new_contact(draft, answers, classification, score)
        now = self.clock()
        with self._session() as session:
            if not self._close_draft(draft=draft, state="saved", on=session):
                return None
            contact = session.exec(
                select(Contact)
                .where(Contact.id == draft.contact_id, Contact.owner_id == draft.owner_id)
                .with_for_update()
            ).first()
            # (None when the contact was deleted while the meeting was being logged on it: it is made anew.)
            before = self._tracked(contact) if contact is not None else None
            contact = contact or self._new_contact(draft, now)
            self._apply_answers(contact, answers, classification, score, now)
            session.add(contact)
            session.flush()
            assert contact.id is not None
            if before is not None:
                end_silence(session, contact.id)  # a meeting logged on a contact gone cold
            after = self._tracked(contact)
            changes = {
                key: [before[key], after[key]] for key in after if before and before[key] != after[key]
            }
            session.add(self._meeting(draft, contact.id, answers, changes, now))
            if answers.next_due is not None:
                # The next step chosen in this meeting replaces any the contact still had open.
                session.execute(
                    sa.update(FollowUp)
                    .where(col(FollowUp.contact_id) == contact.id, col(FollowUp.state).in_(OPEN_STATES))
                    .values(state="closed", claimed_by=None, lease_until=None)
                )
                contact.next_due_at = answers.next_due
                session.add(self._next_step(draft, contact.id, answers.next_due, now))
            session.flush()
            contact.search_text = search_text(session, contact)
            session.add(contact)
            return contact_read(session, contact)

    def _save_new_contact(
        self, draft: DraftRead, answers: QualificationAnswers, classification: Classification, score: Score
    ) -> ContactRead | None:
        """A capture of someone new: everything the contact's row holds is known here (no follow-up to close,
        no silence to end, its only note this meeting's), so it is one INSERT each for the contact, the
        meeting and the follow-up, on the table rather than through the ORM's unit of work. On PostgreSQL
        the draft's close and the three INSERTs are one statement (see _saved_in_one)."""
        now = self.clock()
        contact = self._new_contact(draft, now)
        self._apply_answers(contact, answers, classification, score, now)
        contact.next_due_at = answers.next_due or contact.next_due_at
        # (Their contact's id is the INSERT's: 0 until then.)
        meeting = self._meeting(draft, 0, answers, {}, now)
        follow_up = None if answers.next_due is None else self._next_step(draft, 0, answers.next_due, now)
        closing = _closing(draft, "saved", now)
        in_one = not is_sqlite(self.engine)
        writing = self.database.writing_statement if in_one else self.database.writing_connection
        with writing() as connection:
            store_phone(connection, contact)
            contact.search_text = search_text_of(contact, [answers.note], ())
            if in_one:
                statement, values = _in_one(closing, contact, meeting, follow_up)
                made = connection.execute(statement, values).first()
                if made is None:
                    return None  # the draft had changed meanwhile: nothing was written
                contact.id = made[0]
            else:
                if not changed_one(connection.execute(_DRAFT_AT_VERSION, closing)):
                    return None
                inserted = connection.execute(_CONTACT_INSERT, insert_values(contact)).inserted_primary_key
                assert inserted is not None
                contact.id = meeting.contact_id = inserted[0]
                connection.execute(_INTERACTION_INSERT, insert_values(meeting))
                if follow_up is not None:
                    follow_up.contact_id = contact.id
                    connection.execute(_FOLLOW_UP_INSERT, insert_values(follow_up))
        return read_model(contact, answers.note, ())

    @staticmethod
    def _new_contact(draft: DraftRead, now: datetime) -> Contact:
        return Contact(
            owner_id=draft.owner_id,
            name="",
            name_key="",
            status="lead",
            status_rule="",
            created_at=now,
            updated_at=now,
        )

    @staticmethod
    def _meeting(
        draft: DraftRead,
        contact_id: int,
        answers: QualificationAnswers,
        changes: dict[str, Any],
        now: datetime,
    ) -> Interaction:
        return Interaction(
            owner_id=draft.owner_id,
            contact_id=contact_id,
            kind=draft.kind,
            note=answers.note,
            answers=answers.model_dump(mode="json", exclude=_CONTACT_DETAILS),
            changes=changes,
            actor_id=draft.owner_id,
            occurred_at=now,
        )

    @staticmethod
    def _next_step(draft: DraftRead, contact_id: int, due: datetime, now: datetime) -> FollowUp:
        return FollowUp(owner_id=draft.owner_id, contact_id=contact_id, due_at=due, created_at=now)

    @staticmethod
    def _tracked(contact: Contact) -> dict[str, Any]:
        """The values whose change a logged meeting shows in the history."""
        return {field: getattr(contact, field) for field in (*ANSWER_COLUMNS[:5], "status", "score")}

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
        contact.role = answers.role or contact.role
        contact.email = answers.email or contact.email
        if answers.phone:  # stored in one form, with its key, as every contact's phone is (storage.contacts)
            contact.phone = answers.phone
        for field in ANSWER_COLUMNS:
            value = getattr(answers, field)
            setattr(contact, field, value.value if value is not None else None)
        if answers.value is not None and answers.currency:
            contact.value_minor, contact.currency = answers.value, answers.currency
        contact.close_month = answers.close_month or contact.close_month
        after = status_after_meeting(Status(contact.status), contact.status_rule, classification)
        if after is not None:
            contact.status, contact.status_rule = after.status.value, after.rule
            contact.status_reasons = list(after.reasons)
        contact.score = score.value
        contact.score_reasons = [
            [reason.code, reason.points] for reason in score.main_reasons(len(score.reasons))
        ]
        contact.touches += 1
        contact.last_touch_at = now
        contact.updated_at = now
