"""Calendar subscriptions: a rep's feed turned on, given a new address, turned off; what the feed shows,
found by the hash of the token in its address; and when that last changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.calendar import CalendarBirthday, CalendarFollowUp, FeedContent
from bot.schedule import OPEN_STATES, FollowUpKind
from storage.database import RepositoryPart
from storage.models import CalendarFeed, Contact, FollowUp, Interaction, Rep


@dataclass(frozen=True)
class CalendarFeedRead:
    """A rep's subscription, as /settings shows it: which address it is and since when."""

    rep_id: int
    version: int
    issued_at: datetime


@dataclass(frozen=True)
class FeedRead:
    """A feed found by its token's hash: the stored hash (to compare in constant time), what the feed
    showed when last fetched and since when, and what it shows now."""

    rep_id: int
    token_hash: str
    content_hash: str | None
    changed_at: datetime | None
    content: FeedContent


def _read(row: CalendarFeed) -> CalendarFeedRead:
    return CalendarFeedRead(rep_id=row.rep_id, version=row.version, issued_at=row.issued_at)


class CalendarBook(RepositoryPart):
    """Reads and writes of calendar subscriptions."""

    def feed_status(self, *, rep_id: int) -> CalendarFeedRead | None:
        """The rep's subscription, or None when it is off."""
        with self._reading() as session:
            row = session.get(CalendarFeed, rep_id)
            return _read(row) if row is not None else None

    def turn_on(self, *, rep_id: int, token_hash: str) -> CalendarFeedRead | None:
        """A subscription with this token's hash; None when the rep has one already (a double tap)."""
        now = self.clock()
        try:
            with self._session() as session:
                if session.get(CalendarFeed, rep_id) is not None:
                    return None
                row = CalendarFeed(rep_id=rep_id, token_hash=token_hash, issued_at=now)
                session.add(row)
                session.flush()
                return _read(row)
        except IntegrityError:  # the other tap, on another replica, inserted first
            return None

    def new_address(self, *, rep_id: int, version: int, token_hash: str) -> CalendarFeedRead | None:
        """Replace address `version` by one with this token's hash (the old one stops working); None when
        that address was replaced already, or the subscription is off."""
        now = self.clock()
        with self._session() as session:
            result = session.execute(
                sa.update(CalendarFeed)
                .where(col(CalendarFeed.rep_id) == rep_id, col(CalendarFeed.version) == version)
                .values(
                    token_hash=token_hash,
                    version=version + 1,
                    issued_at=now,
                    content_hash=None,
                    changed_at=None,
                )
            )
            if not getattr(result, "rowcount", 0):
                return None
            return CalendarFeedRead(rep_id=rep_id, version=version + 1, issued_at=now)

    def turn_off(self, *, rep_id: int) -> bool:
        """No subscription any more: its address stops working. False when it was off already."""
        with self._session() as session:
            result = session.execute(sa.delete(CalendarFeed).where(col(CalendarFeed.rep_id) == rep_id))
            return bool(getattr(result, "rowcount", 0))

    def feed(self, *, token_hash: str) -> FeedRead | None:
        """The feed whose token has this hash, with the rep's open follow-ups (soonest first, each with
        their contact's latest note) and their contacts' birthdays, read in one transaction."""
        with self._reading() as session:
            found = session.exec(
                select(CalendarFeed, Rep.language, Rep.timezone)
                .join(Rep, col(Rep.id) == CalendarFeed.rep_id)
                .where(CalendarFeed.token_hash == token_hash)
            ).first()
            if found is None:
                return None
            feed, language, timezone = found
            content = FeedContent(
                language=language,
                timezone=timezone,
                followups=_open_followups(session, feed.rep_id),
                birthdays=_birthdays(session, feed.rep_id),
            )
            return FeedRead(feed.rep_id, feed.token_hash, feed.content_hash, feed.changed_at, content)

    def record_content(self, *, rep_id: int, token_hash: str, content_hash: str) -> datetime | None:
        """The feed now shows content of this hash: since when it has (now, when it just changed); None
        when the address was replaced or turned off meanwhile."""
        now = self.clock()
        mine = sa.and_(col(CalendarFeed.rep_id) == rep_id, col(CalendarFeed.token_hash) == token_hash)
        with self._session() as session:
            session.execute(
                sa.update(CalendarFeed)
                .where(
                    mine,
                    sa.or_(
                        col(CalendarFeed.content_hash).is_(None),
                        col(CalendarFeed.content_hash) != content_hash,
                    ),
                )
                .values(content_hash=content_hash, changed_at=now)
            )
            return session.exec(
                select(CalendarFeed.changed_at).where(mine, col(CalendarFeed.content_hash) == content_hash)
            ).first()


def _open_followups(session: Session, rep_id: int) -> list[CalendarFollowUp]:
    rows = session.execute(
        sa.select(
            col(FollowUp.id),
            col(FollowUp.due_at),
            col(FollowUp.kind),
            col(FollowUp.contact_id),
            col(Contact.name),
            col(Contact.company),
        )
        .join(Contact, col(Contact.id) == FollowUp.contact_id)
        .where(col(FollowUp.owner_id) == rep_id, col(FollowUp.state).in_(OPEN_STATES))
        .order_by(col(FollowUp.due_at), col(FollowUp.id))
    ).all()
    notes = _latest_notes(session, rep_id) if rows else {}
    return [
        CalendarFollowUp(
            id=followup_id,
            due_at=due_at,
            winback=kind == FollowUpKind.WIN_BACK,
            name=name,
            company=company,
            note=notes.get(contact_id),
        )
        for followup_id, due_at, kind, contact_id, name, company in rows
    ]


def _latest_notes(session: Session, rep_id: int) -> dict[int, str]:
    """The latest note of each contact of the rep's with an open follow-up, in one query."""
    followed = select(FollowUp.contact_id).where(
        col(FollowUp.owner_id) == rep_id, col(FollowUp.state).in_(OPEN_STATES)
    )
    ranked = (
        sa.select(
            col(Interaction.contact_id).label("contact_id"),
            col(Interaction.note).label("note"),
            func.row_number()
            .over(
                partition_by=col(Interaction.contact_id),
                order_by=(col(Interaction.occurred_at).desc(), col(Interaction.id).desc()),
            )
            .label("rank"),
        )
        .join(Contact, col(Contact.id) == Interaction.contact_id)
        .where(
            col(Contact.owner_id) == rep_id,
            col(Interaction.note).is_not(None),
            col(Interaction.contact_id).in_(followed),
        )
        .subquery()
    )
    rows = session.execute(sa.select(ranked.c.contact_id, ranked.c.note).where(ranked.c.rank == 1)).all()
    return {int(contact_id): str(note) for contact_id, note in rows}


def _birthdays(session: Session, rep_id: int) -> list[CalendarBirthday]:
    rows = session.execute(
        sa.select(col(Contact.id), col(Contact.name), col(Contact.company), col(Contact.birthday))
        .where(col(Contact.owner_id) == rep_id, col(Contact.birthday).is_not(None))
        .order_by(col(Contact.id))
    ).all()
    return [
        CalendarBirthday(contact_id=contact_id, name=name, company=company, birthday=birthday)
        for contact_id, name, company, birthday in rows
        if birthday is not None
    ]
