"""The inbox: updates fetched by long polling, kept from before Telegram is told they arrived until they
were processed (runtime/polling.py). A row lives for as long as its update is being handled, a few
seconds; one left behind means the process died first, and is handled on the next start."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from storage.database import RepositoryPart
from storage.engine import is_sqlite
from storage.models import InboxUpdate

_TABLE = InboxUpdate.__table__  # type: ignore[attr-defined]


class Inbox(RepositoryPart):
    """Updates waiting to be processed, by update_id, each with its JSON."""

    def keep(self, *, updates: Sequence[tuple[int, str]]) -> set[int]:
        """Store a fetched batch (update_id, JSON) in one transaction; returns the ids that were not stored
        already. A batch fetched again (the process died between storing it and confirming it) is not an
        error: what is already here is being handled, and is left as it is."""
        if not updates:
            return set()
        now = self.clock()
        rows = [
            {"update_id": update_id, "payload": payload, "received_at": now} for update_id, payload in updates
        ]
        dialect = sqlite if is_sqlite(self.engine) else postgresql
        statement = (
            dialect.insert(_TABLE)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(_TABLE.c.update_id)
        )
        with self.database.writing() as session:
            connection = session.connection()
            return {int(update_id) for update_id in connection.execute(statement, rows).scalars()}

    def pending(self, *, limit: int, after: int | None = None) -> list[tuple[int, str]]:
        """Up to `limit` stored updates (update_id, JSON), oldest first, those after `after` if given."""
        query = select(InboxUpdate.update_id, InboxUpdate.payload).order_by(col(InboxUpdate.update_id))
        if after is not None:
            query = query.where(col(InboxUpdate.update_id) > after)
        with self._reading() as session:
            return [(int(update_id), str(payload)) for update_id, payload in session.exec(query.limit(limit))]

    def received_at(self, *, update_id: int) -> datetime | None:
        """When the update was stored (None: it is not, or no longer, here)."""
        query = select(InboxUpdate.received_at).where(col(InboxUpdate.update_id) == update_id)
        with self._reading() as session:
            return session.exec(query).first()

    def done(self, *, update_id: int) -> None:
        """The update was processed: its row goes at once (it holds a message's text, a name)."""
        with self.database.writing_statement() as connection:
            connection.execute(sa.delete(InboxUpdate).where(col(InboxUpdate.update_id) == update_id))
