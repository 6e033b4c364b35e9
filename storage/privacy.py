"""The rep's own data: everything stored about them (/mydata), erasing it (/deleteme), and the retention
of lost contacts (RETENTION_LOST_MONTHS).

Which tables hold rows of a rep, and how each finds them, is declared once (`REP_ROWS`); /mydata and
/deleteme both walk it. A table that holds nothing of a rep to export is listed in `NOT_EXPORTED` with
the reason, and a test checks that every table of the schema is in one of the two, so a new table
cannot be left out of /mydata unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col, select

from bot.exports import ContactRecord
from storage.database import RepositoryPart
from storage.exchange import contact_records
from storage.models import (
    CalendarFeed,
    CaptureDraft,
    Contact,
    ContactTag,
    Digest,
    FollowUp,
    ImportBatch,
    Interaction,
    Invite,
    Rep,
    Team,
    due_or_none,
)


@dataclass(frozen=True)
class RepRows:
    """How one table's rows of a rep are found, and whether /deleteme deletes them."""

    table: type[SQLModel]
    of: Callable[[int], ColumnElement[bool]]
    erased: bool = True

    @property
    def name(self) -> str:
        return str(self.table.__tablename__)


# Every table with rows of a rep, children before their parents (the order /deleteme deletes in; /mydata
# lists them the other way round, the rep first).
REP_ROWS: tuple[RepRows, ...] = (
    RepRows(CaptureDraft, lambda rep_id: col(CaptureDraft.owner_id) == rep_id),
    RepRows(Digest, lambda rep_id: col(Digest.rep_id) == rep_id),
    # The calendar subscription: the hash of its address's token (never the token), and when it changed.
    RepRows(CalendarFeed, lambda rep_id: col(CalendarFeed.rep_id) == rep_id),
    RepRows(FollowUp, lambda rep_id: col(FollowUp.owner_id) == rep_id),
    # The rep's contacts' history. An event the rep made on a contact now someone else's (moved by a
    # manager) names the rep by id only; it belongs to that contact, and erasure clears the id.
    RepRows(Interaction, lambda rep_id: col(Interaction.owner_id) == rep_id),
    RepRows(ContactTag, lambda rep_id: col(ContactTag.owner_id) == rep_id),
    RepRows(Contact, lambda rep_id: col(Contact.owner_id) == rep_id),
    # An import keeps every row of the file it read until it is cancelled or undone.
    RepRows(ImportBatch, lambda rep_id: col(ImportBatch.owner_id) == rep_id),
    RepRows(Invite, lambda rep_id: col(Invite.created_by) == rep_id),
    # The team the rep is in: its name is shown to them, and it stays for the team's other members.
    RepRows(
        Team,
        lambda rep_id: col(Team.id) == select(Rep.team_id).where(col(Rep.id) == rep_id).scalar_subquery(),
        erased=False,
    ),
    RepRows(Rep, lambda rep_id: col(Rep.id) == rep_id),
)

# Tables of the schema that /mydata does not export, and why.
NOT_EXPORTED: dict[str, str] = {
    "inbox": (
        "In polling mode, an update fetched from Telegram waits here only while it is processed, a few "
        "seconds, and is deleted as soon as it was (runtime/polling.py). When /mydata runs, what it holds "
        "of the rep is the /mydata command itself and whatever they sent at that same moment: their own "
        "messages, which the rep has, and which are gone within seconds. With an allow-list, nothing of a "
        "stranger is ever stored here."
    ),
}


@dataclass(frozen=True)
class RepData:
    """Everything stored about a rep: each table's rows of theirs (column -> value, as stored), and their
    contacts as exported (the same as /export writes)."""

    tables: dict[str, list[dict[str, Any]]]
    contacts: list[ContactRecord]


class PrivacyBook(RepositoryPart):
    """Export and erasure of a rep's data."""

    def export(self, *, rep_id: int) -> RepData:
        """Everything stored about the rep and their contacts, read in one transaction (for /mydata)."""
        with self._reading() as session:
            tables = {
                rows.name: [_stored(row) for row in session.exec(select(rows.table).where(rows.of(rep_id)))]
                for rows in reversed(REP_ROWS)
            }
            return RepData(tables=tables, contacts=contact_records(session, owner_id=rep_id))

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
    session.execute(sa.update(Interaction).where(col(Interaction.actor_id) == rep_id).values(actor_id=None))
    for rows in REP_ROWS:
        if rows.erased:
            session.execute(sa.delete(rows.table).where(rows.of(rep_id)))


def _stored(row: SQLModel) -> dict[str, Any]:
    values = row.model_dump()
    if isinstance(row, Contact):
        # No open follow-up is stored as a far-future instant (for the lists' order): it means none.
        values["next_due_at"] = due_or_none(row.next_due_at)
    return values
