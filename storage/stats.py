"""The numbers behind /stats: the funnel, lost by reason and by the stage they were lost from, breakdowns by
source and industry, and this month against the last. Scoped by the owner."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from bot.deal import Deal
from bot.scoring import Status
from storage.database import RepositoryPart
from storage.models import Contact, Interaction


@dataclass(frozen=True)
class StatsData:
    by_status: dict[str, int]
    lost_by_reason: dict[str, int]
    # Lost contacts by the status they had when they were lost ("lead" when the history does not say, as
    # for one imported as lost): how far down the funnel each got.
    lost_from: dict[str, int]
    by_source: dict[str, tuple[int, int]]  # source -> (contacts, customers)
    by_industry: dict[str, tuple[int, int]]
    new_this_month: int
    new_last_month: int
    won_this_month: int
    won_last_month: int
    # The deals valued in the rep's currency (bot.deal.pipeline sums them), and how many contacts have a
    # value in another one (typed before the rep changed currency): left out of the sums, and said so.
    deals: tuple[Deal, ...] = ()
    other_currency_deals: int = 0


class StatsBook(RepositoryPart):
    """Statistics of a rep's contacts."""

    def stats(
        self,
        *,
        owner_id: int,
        month_starts: tuple[datetime, datetime, datetime],
        currency: str = "EUR",
    ) -> StatsData:
        """The funnel, lost by reason, breakdowns, this month against last (month starts in UTC), and the
        deals valued in `currency`."""
        last_month, this_month, next_month = month_starts
        with self._reading() as session:
            contacts = session.execute(
                sa.select(
                    col(Contact.id),
                    col(Contact.status),
                    col(Contact.lost_reason),
                    col(Contact.source),
                    col(Contact.industry),
                    col(Contact.created_at),
                ).where(col(Contact.owner_id) == owner_id)
            ).all()
            valued = session.execute(
                sa.select(
                    col(Contact.status),
                    col(Contact.value_minor),
                    col(Contact.currency),
                    col(Contact.close_month),
                ).where(col(Contact.owner_id) == owner_id, col(Contact.value_minor).is_not(None))
            ).all()
            won = session.exec(
                select(Interaction.occurred_at, Interaction.changes).where(
                    Interaction.owner_id == owner_id, Interaction.kind == "status"
                )
            ).all()
            losses = session.exec(
                select(Interaction.contact_id, Interaction.changes)
                .where(Interaction.owner_id == owner_id, Interaction.kind == "lost")
                .order_by(col(Interaction.occurred_at), col(Interaction.id))
            ).all()
        by_status = Counter(status for _, status, *_ in contacts)
        lost = Counter(reason or "other" for _, status, reason, *_ in contacts if status == "lost")
        # The latest loss of each contact wins: one lost, reopened and lost again left from the second.
        left_from = {contact_id: (changes.get("status") or [None])[0] for contact_id, changes in losses}
        lost_from = Counter(
            left_from.get(contact_id) or "lead" for contact_id, status, *_ in contacts if status == "lost"
        )
        by_source: dict[str, list[int]] = {}
        by_industry: dict[str, list[int]] = {}
        for _, status, _, source, industry, _ in contacts:
            customer = status in ("customer", "repeat_buyer")
            for table, key in (
                (by_source, source or "unknown"),
                (by_industry, (industry or "").strip().lower() or "unknown"),
            ):
                counts = table.setdefault(key, [0, 0])
                counts[0] += 1
                counts[1] += customer
        created = [row[5] for row in contacts]
        wins = [at for at, changes in won if (changes.get("status") or [None, None])[1] == "customer"]
        return StatsData(
            by_status=dict(by_status),
            lost_by_reason=dict(lost),
            lost_from=dict(lost_from),
            by_source={key: (value[0], value[1]) for key, value in by_source.items()},
            by_industry={key: (value[0], value[1]) for key, value in by_industry.items()},
            new_this_month=sum(this_month <= at < next_month for at in created),
            new_last_month=sum(last_month <= at < this_month for at in created),
            won_this_month=sum(this_month <= at < next_month for at in wins),
            won_last_month=sum(last_month <= at < this_month for at in wins),
            deals=tuple(
                Deal(Status(status), value, close_month)
                for status, value, deal_currency, close_month in valued
                if deal_currency == currency
            ),
            other_currency_deals=sum(1 for row in valued if row[2] != currency),
        )
