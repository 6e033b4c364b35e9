"""The contact book: a contact's card, its history, and every change a rep makes from the card.

Each method is scoped by the owner: an id from a button that is not the rep's own contact changes nothing
and returns False or None. Changes the rep makes are recorded in the history with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.contact_fields import TAGS_MAX
from bot.text_keys import phone_key, search_key
from storage.models import OPEN_STATES, Contact, ContactTag, FollowUp, Interaction
from storage.repository import RepositoryPart, lock_contacts, refresh_next_due

# The fields a merge fills in on the kept contact when it has none and the other record has one.
_MERGED_FIELDS = (
    "company", "role", "phone", "phone_key", "email", "source", "need", "budget", "authority", "timeline",
    "fit", "birthday", "stage", "industry", "location", "company_size", "purchase_frequency",
    "purchase_volume", "influence",
)  # fmt: skip


@dataclass(frozen=True)
class HistoryItem:
    occurred_at: datetime
    kind: str
    note: str | None
    changes: dict[str, Any]


@dataclass(frozen=True)
class HistoryPage:
    items: tuple[HistoryItem, ...]
    total: int
    offset: int


class ContactBook(RepositoryPart):
    """Card reads and edits."""

    @staticmethod
    def _own(session: Session, owner_id: int, contact_id: int) -> Contact | None:
        return session.exec(
            select(Contact).where(Contact.id == contact_id, Contact.owner_id == owner_id)
        ).first()

    def _record(
        self,
        session: Session,
        contact: Contact,
        kind: str,
        *,
        note: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        assert contact.id is not None
        session.add(
            Interaction(
                owner_id=contact.owner_id,
                contact_id=contact.id,
                kind=kind,
                note=note,
                changes=changes or {},
                actor_id=contact.owner_id,
                occurred_at=self.clock(),
            )
        )

    def _refresh_search(self, session: Session, contact: Contact) -> None:
        session.flush()
        contact.search_text = self.repository._search_text(session, contact)
        contact.updated_at = self.clock()
        session.add(contact)

    def history(self, *, owner_id: int, contact_id: int, offset: int, limit: int) -> HistoryPage | None:
        """The contact's interactions and changes, newest first."""
        with self._reading() as session:
            if self._own(session, owner_id, contact_id) is None:
                return None
            condition = sa.and_(
                col(Interaction.contact_id) == contact_id, col(Interaction.owner_id) == owner_id
            )
            total = session.exec(select(func.count()).select_from(Interaction).where(condition)).one()
            rows = session.exec(
                select(Interaction)
                .where(condition)
                .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
                .offset(offset)
                .limit(limit)
            ).all()
            items = tuple(HistoryItem(row.occurred_at, row.kind, row.note, dict(row.changes)) for row in rows)
            return HistoryPage(items, total, offset)

    def update_field(self, *, owner_id: int, contact_id: int, field: str, value: str | None) -> bool:
        """Set one field (see bot.contact_fields.FIELDS), keeping the search keys and the history right."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            before = getattr(contact, field)
            if before == value:
                return True
            setattr(contact, field, value)
            if field == "name" and value:
                contact.name_key = search_key(value)
            if field == "phone":
                contact.phone_key = phone_key(value) if value else None
            self._record(session, contact, "edit", changes={field: [before, value]})
            self._refresh_search(session, contact)
            return True

    def set_birthday(self, *, owner_id: int, contact_id: int, birthday: date | None) -> bool:
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            before = contact.birthday.isoformat() if contact.birthday else None
            contact.birthday = birthday
            after = birthday.isoformat() if birthday else None
            self._record(session, contact, "edit", changes={"birthday": [before, after]})
            session.add(contact)
            return True

    def add_tags(self, *, owner_id: int, contact_id: int, tags: list[str]) -> int | None:
        """Add tags (one it has already is kept once); returns how many it has, None if not the rep's."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return None
            existing = set(
                session.exec(select(ContactTag.tag_key).where(ContactTag.contact_id == contact_id)).all()
            )
            for tag in tags:
                key = search_key(tag)
                if key not in existing and len(existing) < TAGS_MAX:
                    session.add(ContactTag(owner_id=owner_id, contact_id=contact_id, tag=tag, tag_key=key))
                    existing.add(key)
            self._refresh_search(session, contact)
            return len(existing)

    def remove_tag(self, *, owner_id: int, contact_id: int, tag_key: str) -> bool:
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            session.execute(
                sa.delete(ContactTag).where(
                    col(ContactTag.contact_id) == contact_id, col(ContactTag.tag_key) == tag_key
                )
            )
            self._refresh_search(session, contact)
            return True

    def change_status(
        self, *, owner_id: int, contact_id: int, status: str, lost_reason: str | None = None
    ) -> bool:
        """A status change the rep made (bot.status decides if it is allowed), recorded in the history."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            before = contact.status
            contact.status, contact.lost_reason = status, lost_reason
            contact.status_rule = "rep"
            contact.status_reasons = [f"lost.{lost_reason}"] if lost_reason else [f"set.{status}"]
            contact.updated_at = self.clock()
            session.add(contact)
            self._record(session, contact, "status", changes={"status": [before, status]})
            return True

    def add_note(self, *, owner_id: int, contact_id: int, note: str) -> bool:
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            self._record(session, contact, "note", note=note)
            contact.last_touch_at = self.clock()
            self._refresh_search(session, contact)
            return True

    def set_followup(self, *, owner_id: int, contact_id: int, due: datetime | None) -> bool:
        """Schedule the next follow-up, or move the open one; None closes the open ones."""
        now = self.clock()
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            lock_contacts(session, [contact_id])
            open_followups = session.exec(
                select(FollowUp)
                .where(FollowUp.contact_id == contact_id, col(FollowUp.state).in_(OPEN_STATES))
                .order_by(col(FollowUp.due_at))
            ).all()
            if due is None:
                for followup in open_followups:
                    followup.state, followup.claimed_by, followup.lease_until = "closed", None, None
                    session.add(followup)
            elif open_followups:
                first = open_followups[0]
                first.due_at, first.state, first.not_before, first.attempts = due, "pending", None, 0
                first.claimed_by, first.lease_until, first.sent_at = None, None, None
                session.add(first)
            else:
                session.add(FollowUp(owner_id=owner_id, contact_id=contact_id, due_at=due, created_at=now))
            refresh_next_due(session, [contact_id])
            return True

    def delete(self, *, owner_id: int, contact_id: int) -> bool:
        """Erase the contact with its interactions, tags and follow-ups (the database cascades)."""
        with self._session() as session:
            result = session.execute(
                sa.delete(Contact).where(col(Contact.id) == contact_id, col(Contact.owner_id) == owner_id)
            )
            return getattr(result, "rowcount", 0) == 1

    def merge(self, *, owner_id: int, keep_id: int, other_id: int) -> bool:
        """Make two records of one person one: the other's history, follow-ups and tags move to the kept
        contact, its empty fields are filled from the other, and the other is deleted."""
        if keep_id == other_id:
            return False
        with self._session() as session:
            keep, other = self._own(session, owner_id, keep_id), self._own(session, owner_id, other_id)
            if keep is None or other is None:
                return False
            lock_contacts(session, [keep_id, other_id])
            for table in (Interaction, FollowUp):
                session.execute(
                    sa.update(table).where(col(table.contact_id) == other_id).values(contact_id=keep_id)
                )
            keys = set(session.exec(select(ContactTag.tag_key).where(ContactTag.contact_id == keep_id)).all())
            for tag in session.exec(select(ContactTag).where(ContactTag.contact_id == other_id)).all():
                if tag.tag_key not in keys:
                    session.add(
                        ContactTag(owner_id=owner_id, contact_id=keep_id, tag=tag.tag, tag_key=tag.tag_key)
                    )
            for field in _MERGED_FIELDS:
                if getattr(keep, field) is None and getattr(other, field) is not None:
                    setattr(keep, field, getattr(other, field))
            keep.touches += other.touches
            keep.created_at = min(keep.created_at, other.created_at)
            if other.last_touch_at and (
                keep.last_touch_at is None or other.last_touch_at > keep.last_touch_at
            ):
                keep.last_touch_at = other.last_touch_at
            self._record(session, keep, "merge", changes={"merged": [other.name, keep.name]})
            session.flush()
            session.execute(sa.delete(Contact).where(col(Contact.id) == other_id))
            refresh_next_due(session, [keep_id])
            self._refresh_search(session, keep)
            return True

    def tag_choices(self, *, owner_id: int, limit: int) -> list[str]:
        """The rep's most used tags (folded), for the list filter."""
        with self._reading() as session:
            rows = session.exec(
                select(ContactTag.tag_key, func.count())
                .where(ContactTag.owner_id == owner_id)
                .group_by(col(ContactTag.tag_key))
                .order_by(func.count().desc(), col(ContactTag.tag_key))
                .limit(limit)
            ).all()
            return [str(row[0]) for row in rows]

    def industry_choices(self, *, owner_id: int, limit: int) -> list[str]:
        """The rep's most common industries (lower-cased), for the list filter."""
        with self._reading() as session:
            rows = session.exec(
                select(func.lower(Contact.industry), func.count())
                .where(Contact.owner_id == owner_id, col(Contact.industry).is_not(None))
                .group_by(func.lower(Contact.industry))
                .order_by(func.count().desc())
                .limit(limit)
            ).all()
            return [str(row[0]) for row in rows]
