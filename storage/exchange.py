"""Data in and out: exported contacts and CSV imports (planned, applied in one transaction, undone).
Every query is scoped by the owner."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.exports import ContactRecord, NoteRecord
from bot.imports import ImportRow, ParsedFile
from bot.schedule import OPEN_STATES
from bot.status import IMPORTED
from bot.text_keys import phone_key, search_key
from storage.contacts import owner_region, search_text, search_text_of, store_phone_in
from storage.database import RepositoryPart, changed_one
from storage.models import Contact, ContactTag, FollowUp, ImportBatch, Interaction, due_or_none

IMPORT_CHUNK = 500
# How long a claim on an import holds: far longer than the biggest import takes (50,000 rows with notes
# and tags, measured: 46 s on SQLite, 76 s on PostgreSQL); past it, the process that claimed it is taken
# to be gone.
IMPORT_LEASE = timedelta(minutes=15)
_FILLABLE = ("company", "role", "phone", "email", "industry", "location")
# The key of a merged contact's undo record that lists the tags the import added (no field is called so).
_ADDED_TAGS = "tags"


class ImportCancelled(Exception):
    """The rep pressed Stop (on any replica) while the import ran; the transaction is rolled back."""


class _AppliedElsewhere(Exception):
    """Another apply of the same claim committed first: this one's transaction is rolled back."""


class ImportClaim(Enum):
    """What a tap on Import found: the import is this tap's to apply, or where it stands already."""

    CLAIMED = "claimed"
    RUNNING = "running"  # another tap, on this replica or another, is applying it
    DONE = "done"  # it was applied already
    GONE = "gone"  # cancelled, stopped or undone


class ImportStop(Enum):
    """What Stop did."""

    STOPPING = "stopping"  # whichever replica applies it stops at its next chunk, keeping nothing
    STOPPED = "stopped"  # its claim had lapsed (the process applying it is gone): cancelled, nothing kept
    DONE = "done"  # it had finished
    GONE = "gone"  # cancelled, stopped or undone already


@dataclass(frozen=True)
class ImportPlan:
    batch_id: int
    new: int
    duplicates: int
    invalid: tuple[tuple[int, str], ...]  # (line, reason)


@dataclass(frozen=True)
class ImportBatchRead:
    """An import's id, owner and state (pending, applying, done, cancelled, undone), without its rows; the
    file it came from and the columns the rep picked in it."""

    id: int
    owner_id: int
    state: str
    file_id: str | None = None
    picked: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    created: int
    merged: int
    skipped: int


def _invalid(parsed: ParsedFile) -> tuple[tuple[int, str], ...]:
    return tuple((row.line, row.reason) for row in parsed.invalid)


def contact_records(
    session: Session, *, owner_id: int, statuses: tuple[str, ...] | None = None
) -> list[ContactRecord]:
    """The rep's contacts as exported (/export, /mydata), by name: each with its tags, its notes newest
    first, and its next follow-up."""
    query = select(Contact).where(Contact.owner_id == owner_id).order_by(col(Contact.name_key))
    if statuses:
        query = query.where(col(Contact.status).in_(statuses))
    contacts = session.exec(query).all()
    # All of the owner's tags and notes, whichever statuses were asked for: one indexed read each.
    tags: dict[int, list[str]] = {}
    for contact_id, tag in session.exec(
        select(ContactTag.contact_id, ContactTag.tag)
        .where(ContactTag.owner_id == owner_id)
        .order_by(col(ContactTag.tag_key))
    ).all():
        tags.setdefault(contact_id, []).append(tag)
    notes: dict[int, list[NoteRecord]] = {}
    for contact_id, occurred_at, kind, note in session.exec(
        select(Interaction.contact_id, Interaction.occurred_at, Interaction.kind, Interaction.note)
        .where(Interaction.owner_id == owner_id, col(Interaction.note).is_not(None))
        .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
    ).all():
        notes.setdefault(contact_id, []).append(NoteRecord(occurred_at, kind, note or ""))
    return [
        ContactRecord(
            **contact.model_dump(include=_RECORD_FIELDS),
            tags=tuple(tags.get(contact.id or 0, ())),
            notes=tuple(notes.get(contact.id or 0, ())),
            next_follow_up=due_or_none(contact.next_due_at),
        )
        for contact in contacts
    ]


_RECORD_FIELDS = {field.name for field in fields(ContactRecord)} - {"tags", "notes", "next_follow_up"}


class Exchange(RepositoryPart):
    """Export and import."""

    # Export

    def export_contacts(self, *, owner_id: int, statuses: tuple[str, ...] | None) -> list[ContactRecord]:
        """The rep's contacts (of these statuses, or all), by name, with their tags, notes and next
        follow-up: what /export writes."""
        with self._reading() as session:
            return contact_records(session, owner_id=owner_id, statuses=statuses)

    def upcoming_followups(self, *, owner_id: int) -> list[dict[str, Any]]:
        now = self.clock()
        with self._reading() as session:
            rows = session.exec(
                select(FollowUp.id, FollowUp.due_at, Contact.name, Contact.company)
                .join(Contact, col(Contact.id) == FollowUp.contact_id)
                .where(
                    FollowUp.owner_id == owner_id,
                    col(FollowUp.state).in_(OPEN_STATES),
                    FollowUp.due_at >= now,
                )
                .order_by(col(FollowUp.due_at))
            ).all()
            return [{"id": row[0], "due_at": row[1], "name": row[2], "company": row[3]} for row in rows]

    # Import

    def plan_import(self, *, owner_id: int, parsed: ParsedFile, file_id: str | None = None) -> ImportPlan:
        """Sort the checked rows into new ones and duplicates (of the rep's contacts or of earlier rows),
        and keep them in a batch until the rep confirms. `file_id` is the file's, kept for the rep's
        picks of its columns."""
        with self._session() as session:
            rows, duplicates = self._sorted_rows(session, owner_id, parsed)
            batch = ImportBatch(owner_id=owner_id, rows=rows, file_id=file_id, created_at=self.clock())
            session.add(batch)
            session.flush()
            assert batch.id is not None
            return ImportPlan(batch.id, len(rows) - duplicates, duplicates, _invalid(parsed))

    def replan_import(
        self, *, owner_id: int, batch_id: int, parsed: ParsedFile, picked: dict[str, int]
    ) -> ImportPlan | None:
        """The batch planned again from its file read with the rep's picks of its columns; None once it
        is no longer pending (applied or cancelled meanwhile, on whichever replica)."""
        with self._session() as session:
            rows, duplicates = self._sorted_rows(session, owner_id, parsed)
            replanned = session.connection().execute(
                sa.update(ImportBatch)
                .where(
                    col(ImportBatch.id) == batch_id,
                    col(ImportBatch.owner_id) == owner_id,
                    col(ImportBatch.state) == "pending",
                )
                .values(rows=rows, picked=picked)
            )
            if replanned.rowcount != 1:
                return None
            return ImportPlan(batch_id, len(rows) - duplicates, duplicates, _invalid(parsed))

    @staticmethod
    def _sorted_rows(session: Session, owner_id: int, parsed: ParsedFile) -> tuple[list[dict[str, Any]], int]:
        """The rows as the batch keeps them, each with the contact or earlier row it repeats; and how many
        repeat one."""
        existing = session.exec(
            select(Contact.id, Contact.name_key, Contact.phone_key, Contact.email).where(
                Contact.owner_id == owner_id
            )
        ).all()
        by_key: dict[str, int] = {}
        for contact_id, name_key, phone, email in existing:
            for key in (
                f"n:{name_key}",
                f"p:{phone}" if phone else "",
                f"e:{(email or '').lower()}" if email else "",
            ):
                if key:
                    by_key.setdefault(key, contact_id or 0)
        rows, duplicates = [], 0
        seen: dict[str, int] = {}
        region = owner_region(session, owner_id)
        for row in parsed.rows:
            keys = _keys(row, region)
            match = next((by_key[key] for key in keys if key in by_key), None)
            earlier = next((seen[key] for key in keys if key in seen), None)
            rows.append(asdict(row) | {"duplicate_of": match, "repeat_of_line": earlier})
            duplicates += match is not None or earlier is not None
            for key in keys:
                seen.setdefault(key, row.line)
        return rows, duplicates

    def import_batch(self, *, owner_id: int, batch_id: int) -> ImportBatchRead | None:
        """One of the rep's imports; None for an id that does not exist or belongs to someone else."""
        with self._reading() as session:
            row = session.execute(
                sa.select(
                    col(ImportBatch.id),
                    col(ImportBatch.owner_id),
                    col(ImportBatch.state),
                    col(ImportBatch.file_id),
                    col(ImportBatch.picked),
                ).where(col(ImportBatch.id) == batch_id, col(ImportBatch.owner_id) == owner_id)
            ).first()
            if row is None:
                return None
            identity, owner, state, file_id, picked = row
            return ImportBatchRead(identity, owner, state, file_id, picked or {})

    def claim_import(self, *, owner_id: int, batch_id: int) -> ImportClaim:
        """Claim a planned import for applying: of two taps (a double tap, perhaps reaching two replicas)
        exactly one gets CLAIMED, in one conditional UPDATE whose row count decides; the other learns where
        the import stands. The claim is committed at once, so every replica sees it."""
        now = self.clock()
        with self.database.statement_engine.begin() as connection:
            claimed = connection.execute(
                sa.update(ImportBatch)
                .where(
                    col(ImportBatch.id) == batch_id,
                    col(ImportBatch.owner_id) == owner_id,
                    col(ImportBatch.state) == "pending",
                )
                .values(state="applying", lease_until=now + IMPORT_LEASE, stop_requested=False)
            )
            if changed_one(claimed):
                return ImportClaim.CLAIMED
            state = connection.execute(
                sa.select(col(ImportBatch.state)).where(
                    col(ImportBatch.id) == batch_id, col(ImportBatch.owner_id) == owner_id
                )
            ).scalar_one_or_none()
        return {"applying": ImportClaim.RUNNING, "done": ImportClaim.DONE}.get(state or "", ImportClaim.GONE)

    def apply_import(
        self,
        *,
        owner_id: int,
        batch_id: int,
        merge: bool,
        progress: Callable[[int, int], None] = lambda done, total: None,
        cancelled: threading.Event | None = None,
    ) -> ImportResult | None:
        """Store a claimed import in ONE transaction: a stop or a failure half-way leaves nothing.
        Duplicates are merged (empty fields filled, the note and tags added) or skipped. Between chunks
        the batch's stop flag is read (Stop may be pressed on another replica), and `cancelled` (Stop
        pressed on this one). None when the import is not this call's to apply: not claimed, or applied
        by another call meanwhile. Runs in a worker thread."""
        try:
            return self._apply(owner_id, batch_id, merge, progress, cancelled)
        except _AppliedElsewhere:
            return None

    def _apply(
        self,
        owner_id: int,
        batch_id: int,
        merge: bool,
        progress: Callable[[int, int], None],
        cancelled: threading.Event | None,
    ) -> ImportResult | None:
        now = self.clock()
        with self._session() as session:
            batch = session.exec(
                select(ImportBatch).where(
                    ImportBatch.id == batch_id,
                    ImportBatch.owner_id == owner_id,
                    ImportBatch.state == "applying",
                )
            ).first()
            if batch is None:
                return None
            created = merged = skipped = 0
            merged_before: dict[str, dict[str, Any]] = {}
            total = len(batch.rows)
            pending: list[tuple[Contact, dict[str, Any]]] = []
            for index, row in enumerate(batch.rows, start=1):
                if row["repeat_of_line"] is not None:
                    skipped += 1
                elif row["duplicate_of"] is not None:
                    if merge:
                        before = self._merge_row(session, owner_id, row, batch_id, now)
                        # Two rows may fill one contact (one matched by name, one by phone): the undo
                        # record keeps what either filled and every tag they added.
                        undo = merged_before.setdefault(str(row["duplicate_of"]), {_ADDED_TAGS: []})
                        undo[_ADDED_TAGS] += before.pop(_ADDED_TAGS)
                        for field, value in before.items():
                            undo.setdefault(field, value)
                        merged += 1
                    else:
                        skipped += 1
                else:
                    pending.append((self._new_contact(owner_id, row, batch_id, now), row))
                    created += 1
                if index % IMPORT_CHUNK == 0 or index == total:
                    self._store_new(session, owner_id, pending, batch_id, now)
                    pending = []
                    progress(index, total)
                    if cancelled is not None and cancelled.is_set():
                        raise ImportCancelled
                    _check_still_claimed(session, batch_id)
            # Done only if still claimed and not stopped: a Stop that came after the last chunk's check,
            # on any replica, still rolls all of it back. (A second apply of the same claim waits here
            # for the first to commit, and then finds it done.)
            finished = session.execute(
                sa.update(ImportBatch)
                .where(
                    col(ImportBatch.id) == batch_id,
                    col(ImportBatch.state) == "applying",
                    col(ImportBatch.stop_requested).is_(False),
                )
                .values(state="done", merged=merged_before, lease_until=None)
                .execution_options(synchronize_session=False)
            )
            if not changed_one(finished):
                raise _AppliedElsewhere if _state(session, batch_id) == "done" else ImportCancelled
            return ImportResult(created, merged, skipped)

    def stop_import(self, *, owner_id: int, batch_id: int) -> ImportStop:
        """Stop an import being applied, from whichever replica: its flag is set for the one applying it,
        or, when its claim has lapsed (that process died, its transaction rolled back), it is cancelled."""
        now = self.clock()
        applying = sa.update(ImportBatch).where(
            col(ImportBatch.id) == batch_id,
            col(ImportBatch.owner_id) == owner_id,
            col(ImportBatch.state) == "applying",
        )
        with self.database.statement_engine.begin() as connection:
            asked = connection.execute(
                applying.where(col(ImportBatch.lease_until) > now).values(stop_requested=True)
            )
            if changed_one(asked):
                return ImportStop.STOPPING
            if changed_one(connection.execute(applying.values(state="cancelled", rows=[]))):
                return ImportStop.STOPPED
            state = connection.execute(
                sa.select(col(ImportBatch.state)).where(
                    col(ImportBatch.id) == batch_id, col(ImportBatch.owner_id) == owner_id
                )
            ).scalar_one_or_none()
        return ImportStop.DONE if state == "done" else ImportStop.GONE

    def cancel_import(self, *, owner_id: int, batch_id: int) -> bool:
        """Cancel an import not applied yet (or stopped while being applied); False when it was applied,
        or cancelled already."""
        with self._session() as session:
            result = session.execute(
                sa.update(ImportBatch)
                .where(
                    col(ImportBatch.id) == batch_id,
                    col(ImportBatch.owner_id) == owner_id,
                    col(ImportBatch.state).in_(("pending", "applying")),
                )
                .values(state="cancelled", rows=[], lease_until=None)
            )
            return changed_one(result)

    def undo_last_import(self, *, owner_id: int) -> int | None:
        """Undo the newest applied import: its contacts go; merged contacts lose the notes and tags it
        added and get their earlier values back, and what /find looks in is made from them again."""
        with self._session() as session:
            batch = session.exec(
                select(ImportBatch)
                .where(ImportBatch.owner_id == owner_id, ImportBatch.state == "done")
                .order_by(col(ImportBatch.id).desc())
            ).first()
            if batch is None:
                return None
            removed = session.execute(
                sa.delete(Contact).where(
                    col(Contact.owner_id) == owner_id, col(Contact.import_batch_id) == batch.id
                )
            )
            # The import notes added to merged contacts (those of created contacts went with them).
            session.execute(
                sa.delete(Interaction).where(
                    col(Interaction.owner_id) == owner_id,
                    col(Interaction.kind) == "import",
                    col(Interaction.answers)["import"].as_integer() == batch.id,
                )
            )
            for contact_id, before in batch.merged.items():
                contact = session.exec(
                    select(Contact).where(Contact.id == int(contact_id), Contact.owner_id == owner_id)
                ).first()
                if contact is None:
                    continue
                earlier = dict(before)
                added_tags = earlier.pop(_ADDED_TAGS, [])
                if added_tags:
                    session.execute(
                        sa.delete(ContactTag).where(
                            col(ContactTag.contact_id) == contact.id, col(ContactTag.tag_key).in_(added_tags)
                        )
                    )
                for field, value in earlier.items():
                    setattr(contact, field, value)
                session.flush()
                contact.search_text = search_text(session, contact)
                session.add(contact)
            batch.state, batch.rows = "undone", []
            session.add(batch)
            return int(getattr(removed, "rowcount", 0) or 0)

    @staticmethod
    def _new_contact(owner_id: int, row: dict[str, Any], batch_id: int, now: datetime) -> Contact:
        return Contact(
            owner_id=owner_id,
            name=row["name"],
            name_key=search_key(row["name"]),
            company=row["company"],
            role=row["role"],
            phone=row["phone"],
            email=row["email"],
            source=row["source"] if row["source"] in _SOURCES else "other" if row["source"] else None,
            industry=row["industry"],
            location=row["location"],
            value_minor=row.get("value_minor") if row.get("currency") else None,
            currency=row.get("currency") if row.get("value_minor") is not None else None,
            close_month=date.fromisoformat(row["close_month"]) if row.get("close_month") else None,
            status=IMPORTED.status.value,
            status_rule=IMPORTED.rule,
            status_reasons=list(IMPORTED.reasons),
            import_batch_id=batch_id,
            created_at=now,
            updated_at=now,
        )

    @staticmethod
    def _store_new(
        session: Any,
        owner_id: int,
        pending: list[tuple[Contact, dict[str, Any]]],
        batch_id: int,
        now: datetime,
    ) -> None:
        """A chunk of new contacts, then their notes and tags (which need the contacts' ids)."""
        region = owner_region(session, owner_id)
        for contact, row in pending:
            # The phone in its stored form first, so that /find matches either form of it.
            store_phone_in(region, contact)
            contact.search_text = search_text_of(contact, [row["note"]], row["tags"] or ())
        session.add_all(contact for contact, _ in pending)
        session.flush()
        extras: list[Any] = []
        for contact, row in pending:
            if row["note"]:
                extras.append(
                    Interaction(
                        owner_id=owner_id,
                        contact_id=contact.id or 0,
                        kind="import",
                        note=row["note"],
                        answers={"import": batch_id},
                        occurred_at=now,
                    )
                )
            keys = {search_key(tag): tag for tag in row["tags"] or ()}
            extras += [
                ContactTag(owner_id=owner_id, contact_id=contact.id or 0, tag=tag, tag_key=key)
                for key, tag in keys.items()
            ]
        session.add_all(extras)
        session.flush()

    def _merge_row(
        self, session: Any, owner_id: int, row: dict[str, Any], batch_id: int, now: datetime
    ) -> dict[str, Any]:
        contact = session.exec(
            select(Contact).where(Contact.id == row["duplicate_of"], Contact.owner_id == owner_id)
        ).one()
        before: dict[str, Any] = {}
        for field in _FILLABLE:
            if getattr(contact, field) is None and row.get(field):
                before[field] = None
                setattr(contact, field, row[field])
        if "phone" in before:
            before["phone_key"] = None
            contact.phone_key = phone_key(contact.phone or "")
        session.add(contact)
        before[_ADDED_TAGS] = self._row_extras(session, owner_id, contact, row, batch_id, now)
        return before

    def _row_extras(
        self, session: Any, owner_id: int, contact: Contact, row: dict[str, Any], batch_id: int, now: datetime
    ) -> list[str]:
        """The row's note and tags added to a contact it was merged into; the keys of the tags it added."""
        if row.get("note"):
            session.add(
                Interaction(
                    owner_id=owner_id,
                    contact_id=contact.id or 0,
                    kind="import",
                    note=row["note"],
                    answers={"import": batch_id},
                    occurred_at=now,
                )
            )
        existing = set(
            session.exec(select(ContactTag.tag_key).where(ContactTag.contact_id == contact.id)).all()
        )
        added: list[str] = []
        for tag in row.get("tags") or ():
            if search_key(tag) not in existing:
                existing.add(search_key(tag))
                added.append(search_key(tag))
                session.add(
                    ContactTag(
                        owner_id=owner_id, contact_id=contact.id or 0, tag=tag, tag_key=search_key(tag)
                    )
                )
        session.flush()
        contact.search_text = search_text(session, contact)
        session.add(contact)
        return added


_SOURCES = frozenset({"meeting", "event", "referral", "inbound", "cold_call", "list", "other"})


def _keys(row: ImportRow, region: str | None) -> list[str]:
    """What a row is matched on: its name, its phone read in the rep's country (as contacts store it), its
    e-mail."""
    keys = [f"n:{search_key(row.name)}"]
    number = phone_key(row.phone, region) if row.phone else None
    if number:
        keys.append(f"p:{number}")
    if row.email:
        keys.append(f"e:{row.email.lower()}")
    return keys


def _state(session: Any, batch_id: int) -> str | None:
    """The batch's state as last committed (PostgreSQL reads committed rows in a transaction)."""
    state = session.execute(sa.select(col(ImportBatch.state)).where(col(ImportBatch.id) == batch_id)).scalar()
    return None if state is None else str(state)


def _check_still_claimed(session: Any, batch_id: int) -> None:
    """Raise ImportCancelled when Stop was pressed on any replica (or the import was cancelled) since it
    was claimed, _AppliedElsewhere when another apply of it committed. On PostgreSQL the applying
    transaction reads what other replicas committed since it began; on SQLite no other process can write
    while it holds the lock, and a Stop in this process sets its in-memory event instead."""
    row = session.execute(
        sa.select(col(ImportBatch.state), col(ImportBatch.stop_requested)).where(
            col(ImportBatch.id) == batch_id
        )
    ).one()
    if row.state == "done":
        raise _AppliedElsewhere
    if row.state != "applying" or row.stop_requested:
        raise ImportCancelled
