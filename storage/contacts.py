"""The contact book: a contact's card, its history, and every change a rep makes from the card.

Each method is scoped by the owner: an id from a button that is not the rep's own contact changes nothing
and returns False or None. Changes the rep makes are recorded in the history with who and when.

A contact's phone is stored in one form whoever writes it (a capture, a card edit, an import, a merge):
E.164, read in the owner's country (bot/phones.py), with `phone_key` the number duplicates are matched on.
The mapper hooks at the end of this module do it as the row is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot import phones
from bot.contact_fields import TAGS_MAX
from bot.qualification import QualificationAnswers
from bot.schedule import OPEN_STATES, FollowUpKind, FollowUpState, LostReason
from bot.scoring import Status, classify
from bot.status import LIST_MEMBERS, StatusFields, marked_lost, set_by_rep
from bot.text_keys import search_key
from storage.database import (
    RepositoryPart,
    changed_one,
    end_silence,
    escape_like,
    lock_contacts,
    refresh_next_due,
)
from storage.models import Contact, ContactTag, FollowUp, Interaction, Rep, due_or_none

# /find counts matches up to this many; a search that finds more says so and asks for another word.
FIND_COUNT_CAP = 1000
# The contact's columns that hold a capture's answers, by the answer's name.
ANSWER_COLUMNS = ("need", "budget", "authority", "timeline", "fit", "source")

# The fields a merge fills in on the kept contact when it has none and the other record has one.
_MERGED_FIELDS = (
    "company", "role", "phone", "phone_key", "email", "source", "need", "budget", "authority", "timeline",
    "fit", "birthday", "stage", "industry", "location", "company_size", "purchase_frequency",
    "purchase_volume", "influence", "value_minor", "currency", "close_month",
)  # fmt: skip


class ContactOrder(StrEnum):
    NEWEST = "new"
    SCORE = "score"
    NEXT = "next"  # the soonest follow-up first; contacts without one last
    VALUE = "value"  # the biggest deal first; contacts without a value last


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
class ContactListItem:
    id: int
    name: str
    company: str | None
    status: Status
    score: int
    next_due: datetime | None
    # The deal's value in minor units of `currency`, when it has one.
    value: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class ContactRead:
    id: int
    owner_id: int
    name: str
    company: str | None
    phone: str | None
    email: str | None
    status: Status
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
    lost_reason: LostReason | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    items: tuple[ContactListItem, ...]
    total: int
    offset: int
    # The total stopped counting at FIND_COUNT_CAP: there are more.
    capped: bool = False


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
    # On the card: how many of the entries not shown are status changes and edits (collapsed to a count).
    moves: int = 0


# History entries that only move the record (a status change, an edit, a merge): the card counts them
# rather than letting them push the meetings and their notes out of sight.
MOVE_KINDS = ("status", "edit", "merge", "lost")


_ORDERINGS: dict[ContactOrder, Callable[[], list[Any]]] = {
    ContactOrder.SCORE: lambda: [col(Contact.score).desc(), col(Contact.id).desc()],
    ContactOrder.NEWEST: lambda: [col(Contact.created_at).desc(), col(Contact.id).desc()],
    ContactOrder.NEXT: lambda: [col(Contact.next_due_at), col(Contact.id).desc()],
    # NULLS LAST said out loud: PostgreSQL sorts NULL first in a descending order, SQLite last.
    ContactOrder.VALUE: lambda: [col(Contact.value_minor).desc().nulls_last(), col(Contact.id).desc()],
}


def _list_columns() -> list[Any]:
    return [
        col(Contact.id),
        col(Contact.name),
        col(Contact.company),
        col(Contact.status),
        col(Contact.score),
        col(Contact.next_due_at),
        col(Contact.value_minor),
        col(Contact.currency),
    ]


def _list_item(row: Any) -> ContactListItem:
    return ContactListItem(
        id=row[0],
        name=row[1],
        company=row[2],
        status=Status(row[3]),
        score=row[4],
        next_due=due_or_none(row[5]),
        value=row[6],
        currency=row[7],
    )


# The contacts a new capture is checked against: the newest of those with its name, phone or email.
DUPLICATES_MAX = 5


def search_text(session: Session, contact: Contact) -> str:
    """What /find looks in, with the contact's notes and tags read in the session (`search_text_of`)."""
    notes = session.exec(
        select(Interaction.note).where(
            Interaction.contact_id == contact.id, col(Interaction.note).is_not(None)
        )
    ).all()
    tags = session.exec(select(ContactTag.tag).where(ContactTag.contact_id == contact.id)).all()
    return search_text_of(contact, notes, tags)


def search_text_of(contact: Contact, notes: Iterable[str | None], tags: Iterable[str]) -> str:
    """What /find looks in: the contact's words, its notes and tags, folded; the stored phone as digits."""
    words = (
        contact.name,
        contact.company,
        contact.email,
        contact.role,
        contact.industry,
        contact.location,
    )
    parts = [word or "" for word in words] + [note or "" for note in notes] + list(tags)
    return " | ".join([search_key(" ".join(parts)), phones.search_digits(contact.phone or "")])


# The history entry of a birthday card sent (from the digest's one tap).
BIRTHDAY_CARD = "birthday"


def birthday_card_sent(session: Session, contact_ids: list[int], since: datetime) -> set[int]:
    """Of these contacts, those whose birthday card was noted since `since`."""
    if not contact_ids:
        return set()
    rows = session.exec(
        select(Interaction.contact_id).where(
            col(Interaction.contact_id).in_(contact_ids),
            Interaction.kind == BIRTHDAY_CARD,
            col(Interaction.occurred_at) >= since,
        )
    ).all()
    return {int(row) for row in rows}


def owner_region(connection: Session | sa.Connection, owner_id: int) -> str | None:
    """The country the rep's phone numbers are read in (bot.phones.region_for their zone and language)."""
    row = connection.execute(
        sa.select(col(Rep.timezone), col(Rep.language)).where(col(Rep.id) == owner_id)
    ).first()
    return phones.region_for(row[0], row[1]) if row else None


# A search made of digits and what people write between them: "040-123 45 67", "+47 (912) 34 567".
_PHONE_QUERY = re.compile(r"^\+?[\d\s().\-/]+$")


def deal_text(value: int | None, currency: str | None) -> str | None:
    """A deal's value as the history stores it: "1200000 EUR" (minor units and the currency)."""
    return f"{value} {currency}" if value is not None and currency else None


def contact_read(session: Session, row: Contact) -> ContactRead:
    """The read model of a contact row: its answers, latest note and tags read in the same session."""
    assert row.id is not None
    latest_note = session.exec(
        select(Interaction.note)
        .where(Interaction.contact_id == row.id, col(Interaction.note).is_not(None))
        .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
    ).first()
    tags = session.exec(
        select(ContactTag.tag).where(ContactTag.contact_id == row.id).order_by(col(ContactTag.tag_key))
    ).all()
    return read_model(row, latest_note, tags)


def read_model(row: Contact, latest_note: str | None, tags: Iterable[str]) -> ContactRead:
    """The read model of a contact row whose latest note and tags the caller knows."""
    assert row.id is not None
    answers = QualificationAnswers.model_validate(
        {field: getattr(row, field) for field in ANSWER_COLUMNS}
        | {"name": row.name, "company": row.company, "phone": row.phone}
        | {"value": row.value_minor, "currency": row.currency, "close_month": row.close_month}
    )
    return ContactRead(
        id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        company=row.company,
        phone=row.phone,
        email=row.email,
        status=Status(row.status),
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
        lost_reason=LostReason(row.lost_reason) if row.lost_reason else None,
        tags=tuple(tags),
    )


def _set_status(contact: Contact, fields: StatusFields, now: datetime) -> None:
    contact.status, contact.status_rule = fields.status.value, fields.rule
    contact.status_reasons = list(fields.reasons)
    contact.lost_reason = fields.lost_reason.value if fields.lost_reason else None
    contact.updated_at = now


class ContactBook(RepositoryPart):
    """Contact reads (the card, the lists, /find, duplicates) and every change a rep makes from the card."""

    def get_contact(self, *, owner_id: int, contact_id: int) -> ContactRead | None:
        """One of the rep's contacts; None for an id that does not exist or belongs to someone else."""
        with self._reading() as session:
            row = session.exec(
                select(Contact).where(Contact.id == contact_id, Contact.owner_id == owner_id)
            ).first()
            return contact_read(session, row) if row else None

    def find_duplicates(
        self, *, owner_id: int, name: str | None, phone: str | None, email: str | None = None
    ) -> list[ContactListItem]:
        """The rep's contacts with the same name (ignoring case and accents), the same phone number however
        either was written (read in the rep's country), or the same email (ignoring case)."""
        conditions = []
        if email and email.strip():
            conditions.append(sa.func.lower(col(Contact.email)) == email.strip().lower())
        if name:
            conditions.append(col(Contact.name_key) == search_key(name))
        # Statements that stand alone (see Database.statement_read_engine): no transaction around them.
        with self.database.statement_read_engine.connect() as connection:
            key = phones.phone_key(phone, owner_region(connection, owner_id)) if phone else None
            if key:
                conditions.append(col(Contact.phone_key) == key)
            if not conditions:
                return []
            condition = sa.and_(col(Contact.owner_id) == owner_id, sa.or_(*conditions))
            rows = self._page_rows(connection, condition, ContactOrder.NEWEST, 0, DUPLICATES_MAX)
        return [_list_item(row) for row in rows]

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
        """A page of the rep's list of one status (customers with the repeat buyers: bot.status.LIST_MEMBERS),
        by next follow-up, newest or highest score first, optionally only those with a source, a tag or an
        industry."""
        members = [member.value for member in LIST_MEMBERS[Status(status)]]
        condition = sa.and_(
            col(Contact.owner_id) == owner_id,
            col(Contact.status) == members[0] if len(members) == 1 else col(Contact.status).in_(members),
        )
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
        conditions: list[Any] = [
            col(Contact.search_text).like(f"%{escape_like(word)}%", escape="\\") for word in words
        ]
        with self._reading() as session:
            if len(digits) >= 4 and _PHONE_QUERY.match(text.strip()):
                # A number: part of one as written (either form, see bot.phones.search_digits), or the
                # whole number in any spelling ("040 123 4567" is "+358 40 123 4567" in Finland).
                number = phones.read_phone(text, owner_region(session, owner_id))
                as_written = col(Contact.search_text).like(f"%{digits}%")
                conditions = [
                    sa.or_(as_written, col(Contact.phone_key) == number.key) if number.valid else as_written
                ]
            condition = sa.and_(col(Contact.owner_id) == owner_id, *conditions)
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
    def _page_rows(
        session: Session | sa.Connection, condition: Any, order: ContactOrder, offset: int, limit: int
    ) -> Any:
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
        answers: dict[str, Any] | None = None,
    ) -> None:
        assert contact.id is not None
        session.add(
            Interaction(
                owner_id=contact.owner_id,
                contact_id=contact.id,
                kind=kind,
                note=note,
                answers=answers or {},
                changes=changes or {},
                actor_id=contact.owner_id,
                occurred_at=self.clock(),
            )
        )

    def _refresh_search(self, session: Session, contact: Contact) -> None:
        session.flush()
        contact.search_text = search_text(session, contact)
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

    def card_history(self, *, owner_id: int, contact_id: int, limit: int) -> HistoryPage | None:
        """What the card shows of the history: the latest meetings, calls and notes (any entry with a
        note, or that is not a mere move), newest first, and how many status changes and edits there are
        besides (`moves`); `total` counts every entry."""
        with self._reading() as session:
            if self._own(session, owner_id, contact_id) is None:
                return None
            mine = sa.and_(col(Interaction.contact_id) == contact_id, col(Interaction.owner_id) == owner_id)
            move = sa.and_(col(Interaction.kind).in_(MOVE_KINDS), col(Interaction.note).is_(None))
            total = session.exec(select(func.count()).select_from(Interaction).where(mine)).one()
            moves = session.exec(select(func.count()).select_from(Interaction).where(mine, move)).one()
            rows = session.exec(
                select(Interaction)
                .where(mine, sa.not_(move))
                .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
                .limit(limit)
            ).all()
            items = tuple(HistoryItem(row.occurred_at, row.kind, row.note, dict(row.changes)) for row in rows)
            return HistoryPage(items, total, 0, moves=moves)

    def update_field(self, *, owner_id: int, contact_id: int, field: str, value: str | None) -> bool:
        """Set one field (see bot.contact_fields.FIELDS), keeping the search keys and the history right."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            if field == "phone" and value:  # compared, stored and shown in the history in its one form
                value = phones.read_phone(value, owner_region(session, owner_id)).stored
            before = getattr(contact, field)
            if before == value:
                return True
            setattr(contact, field, value)
            if field == "name" and value:
                contact.name_key = search_key(value)
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

    def set_deal_value(
        self, *, owner_id: int, contact_id: int, value: int | None, currency: str | None
    ) -> bool:
        """The deal's value in minor units of `currency` (None clears it); the history keeps both sides
        as "<minor> <currency>"."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            before = deal_text(contact.value_minor, contact.currency)
            contact.value_minor = value
            contact.currency = currency if value is not None else None
            after = deal_text(contact.value_minor, contact.currency)
            if before != after:
                self._record(session, contact, "edit", changes={"value": [before, after]})
            contact.updated_at = self.clock()
            session.add(contact)
            return True

    def set_close_month(self, *, owner_id: int, contact_id: int, month: date | None) -> bool:
        """The month the deal is expected to close (its first day; None clears it)."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            before = contact.close_month.isoformat() if contact.close_month else None
            contact.close_month = month
            after = month.isoformat() if month else None
            if before != after:
                self._record(session, contact, "edit", changes={"close_month": [before, after]})
            contact.updated_at = self.clock()
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

    def change_status(self, *, owner_id: int, contact_id: int, status: Status) -> bool:
        """A status change the rep made (bot.status decides if it is allowed), recorded in the history.
        Lost needs a reason: mark_lost."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            before = contact.status
            _set_status(
                contact, set_by_rep(status, classify(contact_read(session, contact).answers)), self.clock()
            )
            session.add(contact)
            self._record(session, contact, "status", changes={"status": [before, contact.status]})
            return True

    def mark_lost(
        self, *, owner_id: int, contact_id: int, reason: LostReason, followup_id: int | None = None
    ) -> bool:
        """Lost for a reason, from the card or from a reminder (`followup_id`), in one transaction: the status
        fields (bot.status.marked_lost), every open follow-up of the contact closed, and one "lost" entry in
        the history. The reminder it was marked lost from goes to "lost" rather than "closed": its win-back
        question acts on it next. False when the contact is not the rep's, or the reminder is no longer
        open (a second tap changes nothing)."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            lock_contacts(session, [contact_id])
            open_followups = sa.and_(
                col(FollowUp.contact_id) == contact_id, col(FollowUp.state).in_(OPEN_STATES)
            )
            released = {"claimed_by": None, "lease_until": None}
            if followup_id is not None:
                from_reminder = session.execute(
                    sa.update(FollowUp)
                    .where(
                        open_followups, col(FollowUp.id) == followup_id, col(FollowUp.owner_id) == owner_id
                    )
                    .values(state="lost", **released)
                )
                if not changed_one(from_reminder):
                    return False
            session.execute(sa.update(FollowUp).where(open_followups).values(state="closed", **released))
            before = contact.status
            _set_status(contact, marked_lost(reason), self.clock())
            session.add(contact)
            self._record(
                session,
                contact,
                "lost",
                answers={"reason": reason.value},
                changes={"status": [before, contact.status]},
            )
            refresh_next_due(session, [contact_id])
            return True

    def add_note(self, *, owner_id: int, contact_id: int, note: str) -> bool:
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return False
            self._record(session, contact, "note", note=note)
            contact.last_touch_at = self.clock()
            end_silence(session, contact_id)
            self._refresh_search(session, contact)
            return True

    def note_birthday_card(
        self, *, owner_id: int, contact_id: int, note: str, since: datetime
    ) -> bool | None:
        """The birthday card sent, in the history once: False when one was noted since `since` (the start
        of the rep's day: a second tap, or the same line in /today), None when not the rep's contact."""
        with self._session() as session:
            contact = self._own(session, owner_id, contact_id)
            if contact is None:
                return None
            lock_contacts(session, [contact_id])  # two taps at once: the second sees the first's entry
            if birthday_card_sent(session, [contact_id], since):
                return False
            self._record(session, contact, BIRTHDAY_CARD, note=note)
            contact.last_touch_at = self.clock()
            end_silence(session, contact_id)
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
                # Planned by the rep now: a next step, whatever it was (a contact gone cold, say).
                first.kind = FollowUpKind.NEXT
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
            # Two contacts gone cold from the same instant (imported together, never touched): the kept
            # one's follow-up stands for that silence; the other's is closed and forgets it (a silence is
            # unique per contact).
            kept_silences = select(FollowUp.quiet_since).where(
                FollowUp.contact_id == keep_id, col(FollowUp.quiet_since).is_not(None)
            )
            session.execute(
                sa.update(FollowUp)
                .where(col(FollowUp.contact_id) == other_id, col(FollowUp.quiet_since).in_(kept_silences))
                .values(
                    quiet_since=None,
                    state=sa.case(
                        (col(FollowUp.state).in_(OPEN_STATES), FollowUpState.CLOSED.value),
                        else_=col(FollowUp.state),
                    ),
                )
            )
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


@sa.event.listens_for(Contact, "before_insert")
def _phone_of_a_new_contact(_mapper: Any, connection: sa.Connection, contact: Contact) -> None:
    """A new contact's phone in one form, whichever writer made it (a capture, an import)."""
    store_phone(connection, contact)


@sa.event.listens_for(Contact, "before_update")
def _phone_of_a_changed_contact(_mapper: Any, connection: sa.Connection, contact: Contact) -> None:
    """A changed phone (a card edit, a merge, an import filling it in) in one form; others are left."""
    if sa.inspect(contact).attrs.phone.history.has_changes():
        store_phone(connection, contact)


def store_phone(connection: sa.Connection, contact: Contact) -> None:
    """The contact's phone as it is stored (bot.phones.read_phone, in the rep's country), with its key."""
    # A number with its country code reads the same in every country (and no number has none): the rep's
    # country is not looked up.
    needs_region = contact.phone and not contact.phone.startswith("+")
    store_phone_in(owner_region(connection, contact.owner_id) if needs_region else None, contact)


def store_phone_in(region: str | None, contact: Contact) -> None:
    """The contact's phone as it is stored, read in `region` (the rep's country: owner_region)."""
    if not contact.phone:
        contact.phone, contact.phone_key = None, None
        return
    phone = phones.read_phone(contact.phone, region)
    contact.phone, contact.phone_key = phone.stored, phone.key
