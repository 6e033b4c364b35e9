"""Data in and out: exported contacts and CSV imports (planned, applied in one transaction, undone).
Every query is scoped by the owner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.exports import ContactRecord, NoteRecord
from bot.imports import ImportRow, ParsedFile
from bot.schedule import OPEN_STATES
from bot.status import IMPORTED
from bot.text_keys import phone_key, search_key
from storage.contacts import search_text
from storage.database import RepositoryPart
from storage.models import Contact, ContactTag, FollowUp, ImportBatch, Interaction, due_or_none

IMPORT_CHUNK = 500
_FILLABLE = ("company", "role", "phone", "email", "industry", "location")


class ImportCancelled(Exception):
    """The rep pressed Cancel while the import ran; the transaction is rolled back."""


@dataclass(frozen=True)
class ImportPlan:
    batch_id: int
    new: int
    duplicates: int
    invalid: tuple[tuple[int, str], ...]  # (line, reason)


@dataclass(frozen=True)
class ImportBatchRead:
    """An import's id, owner and state (pending, done, cancelled, undone), without its rows."""

    id: int
    owner_id: int
    state: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    merged: int
    skipped: int


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

    def plan_import(self, *, owner_id: int, parsed: ParsedFile) -> ImportPlan:
        """Sort the checked rows into new ones and duplicates (of the rep's contacts or of earlier rows),
        and keep them in a batch until the rep confirms."""
        with self._session() as session:
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
            for row in parsed.rows:
                keys = _keys(row)
                match = next((by_key[key] for key in keys if key in by_key), None)
                earlier = next((seen[key] for key in keys if key in seen), None)
                entry = asdict(row) | {"duplicate_of": match, "repeat_of_line": earlier}
                duplicates += match is not None or earlier is not None
                for key in keys:
                    seen.setdefault(key, row.line)
                rows.append(entry)
            batch = ImportBatch(owner_id=owner_id, rows=rows, created_at=self.clock())
            session.add(batch)
            session.flush()
            assert batch.id is not None
            invalid = tuple((row.line, row.reason) for row in parsed.invalid)
            return ImportPlan(batch.id, len(rows) - duplicates, duplicates, invalid)

    def import_batch(self, *, owner_id: int, batch_id: int) -> ImportBatchRead | None:
        """One of the rep's imports; None for an id that does not exist or belongs to someone else."""
        with self._reading() as session:
            row = session.exec(
                select(ImportBatch.id, ImportBatch.owner_id, ImportBatch.state).where(
                    ImportBatch.id == batch_id, ImportBatch.owner_id == owner_id
                )
            ).first()
            return ImportBatchRead(*row) if row else None

    def apply_import(
        self,
        *,
        owner_id: int,
        batch_id: int,
        merge: bool,
        progress: Callable[[int, int], None] = lambda done, total: None,
        cancelled: threading.Event | None = None,
    ) -> ImportResult | None:
        """Store a planned import in ONE transaction: a cancel or a failure half-way leaves nothing.
        Duplicates are merged (empty fields filled, the note added) or skipped. Runs in a worker thread."""
        now = self.clock()
        with self._session() as session:
            batch = session.exec(
                select(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.owner_id == owner_id)
            ).first()
            if batch is None or batch.state != "pending":
                return None
            created = merged = skipped = 0
            merged_before: dict[str, Any] = {}
            total = len(batch.rows)
            pending: list[tuple[Contact, dict[str, Any]]] = []
            for index, row in enumerate(batch.rows, start=1):
                if row["repeat_of_line"] is not None:
                    skipped += 1
                elif row["duplicate_of"] is not None:
                    if merge:
                        merged_before[str(row["duplicate_of"])] = self._merge_row(
                            session, owner_id, row, batch_id, now
                        )
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
            batch.state, batch.merged = "done", merged_before
            session.add(batch)
            return ImportResult(created, merged, skipped)

    def cancel_import(self, *, owner_id: int, batch_id: int) -> None:
        with self._session() as session:
            session.execute(
                sa.update(ImportBatch)
                .where(
                    col(ImportBatch.id) == batch_id,
                    col(ImportBatch.owner_id) == owner_id,
                    col(ImportBatch.state) == "pending",
                )
                .values(state="cancelled", rows=[])
            )

    def undo_last_import(self, *, owner_id: int) -> int | None:
        """Undo the newest applied import: its contacts go, merged fields get their earlier values back."""
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
            for contact_id, before in batch.merged.items():
                contact = session.exec(
                    select(Contact).where(Contact.id == int(contact_id), Contact.owner_id == owner_id)
                ).first()
                if contact is not None:
                    for field, value in before.items():
                        setattr(contact, field, value)
                    session.add(contact)
            # The import notes added to merged contacts (those of created contacts went with them).
            session.execute(
                sa.delete(Interaction).where(
                    col(Interaction.owner_id) == owner_id,
                    col(Interaction.kind) == "import",
                    col(Interaction.answers)["import"].as_integer() == batch.id,
                )
            )
            batch.state, batch.rows = "undone", []
            session.add(batch)
            return int(getattr(removed, "rowcount", 0) or 0)

    @staticmethod
    def _new_contact(owner_id: int, row: dict[str, Any], batch_id: int, now: datetime) -> Contact:
        words = [row[field] or "" for field in ("name", "company", "email", "role", "industry", "location")]
        digits = "".join(char for char in row["phone"] or "" if char.isdigit())
        search_text = " | ".join(
            [search_key(" ".join([*words, row["note"] or "", *(row["tags"] or ())])), digits]
        )
        return Contact(
            owner_id=owner_id,
            name=row["name"],
            name_key=search_key(row["name"]),
            company=row["company"],
            role=row["role"],
            phone=row["phone"],
            phone_key=phone_key(row["phone"]) if row["phone"] else None,
            email=row["email"],
            source=row["source"] if row["source"] in _SOURCES else "other" if row["source"] else None,
            industry=row["industry"],
            location=row["location"],
            status=IMPORTED.status.value,
            status_rule=IMPORTED.rule,
            status_reasons=list(IMPORTED.reasons),
            search_text=search_text,
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
        self._row_extras(session, owner_id, contact, row, batch_id, now)
        return before

    def _row_extras(
        self, session: Any, owner_id: int, contact: Contact, row: dict[str, Any], batch_id: int, now: datetime
    ) -> None:
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
        for tag in row.get("tags") or ():
            if search_key(tag) not in existing:
                existing.add(search_key(tag))
                session.add(
                    ContactTag(
                        owner_id=owner_id, contact_id=contact.id or 0, tag=tag, tag_key=search_key(tag)
                    )
                )
        session.flush()
        contact.search_text = search_text(session, contact)
        session.add(contact)


_SOURCES = frozenset({"meeting", "event", "referral", "inbound", "cold_call", "list", "other"})


def _keys(row: ImportRow) -> list[str]:
    keys = [f"n:{search_key(row.name)}"]
    if row.phone and phone_key(row.phone):
        keys.append(f"p:{phone_key(row.phone)}")
    if row.email:
        keys.append(f"e:{row.email.lower()}")
    return keys
