"""The rep's own data: everything stored about them (/mydata), erasing it (/deleteme), and the retention
of lost contacts (RETENTION_LOST_MONTHS)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from storage.database import RepositoryPart
from storage.models import CaptureDraft, Contact, ContactTag, Digest, FollowUp, Interaction, Invite, Rep

# The tables that hold rows of one rep, by the column that names the rep.
REP_TABLES: tuple[tuple[type[SQLModel], str], ...] = (
    (CaptureDraft, "owner_id"),
    (Digest, "rep_id"),
    (FollowUp, "owner_id"),
    (Interaction, "owner_id"),
    (ContactTag, "owner_id"),
    (Contact, "owner_id"),
    (Invite, "created_by"),
)


class PrivacyBook(RepositoryPart):
    """Export and erasure of a rep's data."""

    def export(self, *, rep_id: int) -> dict[str, Any]:
        """Everything stored about the rep and their contacts, as plain data (for /mydata)."""
        with self._reading() as session:
            rep = session.get_one(Rep, rep_id)
            data: dict[str, Any] = {"rep": _plain(rep)}
            for table, column in REP_TABLES:
                rows = session.exec(select(table).where(getattr(table, column) == rep_id)).all()
                data[str(table.__tablename__)] = [_plain(row) for row in rows]
            return data

    def erase(self, *, rep_id: int) -> None:
        """Erase the rep and every row of theirs, in every table."""
        with self._session() as session:
            _erase(session, rep_id)

    def erase_lost(self, *, months: int) -> int:
        """Erase lost contacts nobody touched for `months` months; returns how many."""
        cutoff = self.clock() - timedelta(days=30 * months)
        with self._session() as session:
            result = session.execute(
                sa.delete(Contact).where(col(Contact.status) == "lost", col(Contact.updated_at) < cutoff)
            )
            return int(getattr(result, "rowcount", 0) or 0)


def _erase(session: Session, rep_id: int) -> None:
    # The database cascades from the rep row too; deleting explicitly, children first, makes the erasure
    # complete even where a foreign key would only set NULL (invites the rep created).
    for table, column in REP_TABLES:
        session.execute(sa.delete(table).where(getattr(table, column) == rep_id))
    session.execute(sa.update(Interaction).where(col(Interaction.actor_id) == rep_id).values(actor_id=None))
    session.execute(sa.delete(Rep).where(col(Rep.id) == rep_id))


def _plain(row: SQLModel) -> dict[str, Any]:
    # A contact's next_due_at only repeats its follow-ups, which are exported in their own list.
    values = row.model_dump(exclude={"next_due_at"})
    return {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in values.items()
    }
