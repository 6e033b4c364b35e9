"""Follow-ups and digests: claimed by dispatchers atomically, acted on by reps, scoped by owner.

A claim is a conditional UPDATE of rows still pending (or whose claim's lease ran out): of two dispatchers
racing for a row, exactly one gets it. On PostgreSQL the candidate rows are first locked with
FOR UPDATE SKIP LOCKED, so a second dispatcher takes other rows instead of waiting; SQLite ignores that
clause, and its BEGIN IMMEDIATE (storage.engine) serialises the claims instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot import schedule
from bot.dates import local_to_utc
from bot.schedule import OPEN_STATES, FollowUpKind, FollowUpState
from bot.scoring import Score, Status
from bot.text_keys import search_key
from storage.contacts import birthday_card_sent
from storage.database import RepositoryPart, lock_contacts, refresh_next_due
from storage.models import Contact, Digest, FollowUp, Interaction, Rep
from storage.reps import stored_templates

# A digest shows a few lines of each section, enough to act on this morning and few enough that every
# section fits on a phone screen: each reads at most this many, and counts the rest up to DIGEST_COUNT_CAP
# (a rep with a big book may have tens of thousands of prospects going quiet).
DIGEST_LINES = 6
DIGEST_COUNT_CAP = 1000
# Ids per statement when renewing claims: well under either database's limit on bound parameters.
_CHUNK = 500
# Claims that keep a rep's rows with one dispatcher take this transaction-level lock on PostgreSQL, so two
# dispatchers claiming at the same instant take turns and the second sees what the first holds (SQLite's
# BEGIN IMMEDIATE already runs one writer at a time).
_PER_CHAT_CLAIM_LOCK = 0x50524F53


@dataclass(frozen=True)
class Recipient:
    """Who a reminder or digest goes to, and in which language and zone."""

    rep_id: int
    chat_id: int
    language: str
    timezone: str
    # When the rep last came back after blocking the bot (see reminder_text in handlers/reminders.py).
    returned_at: datetime | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DueReminder:
    id: int
    due_at: datetime
    kind: str
    attempts: int
    recipient: Recipient
    contact_id: int
    name: str
    company: str | None
    status: Status
    score: int
    latest_note: str | None
    lost_reason: str | None = None
    # What the reminder's reach-out buttons need (handlers/outreach.py).
    phone: str | None = None
    email: str | None = None
    last_touch_at: datetime | None = None  # or, never touched, when the contact was created
    message_templates: tuple[tuple[str, str], ...] = ()
    quiet_days: dict[str, int] | None = None  # the rep's going-cold days, for which message to draft


@dataclass(frozen=True)
class DueDigest:
    id: int
    local_date: date
    due_at: datetime
    attempts: int
    recipient: Recipient
    send_when_empty: bool
    weekly_summary: bool = False


@dataclass(frozen=True)
class FollowUpRead:
    id: int
    owner_id: int
    contact_id: int
    due_at: datetime
    kind: FollowUpKind
    state: FollowUpState
    message_id: int | None


@dataclass(frozen=True)
class DigestLine:
    contact_id: int
    name: str
    company: str | None
    when: datetime | None  # the follow-up's due time; for a contact going cold, its last touch
    done: bool = False  # a birthday whose card was noted today
    followup_id: int | None = None  # the follow-up a line of today's, the overdue or going cold is about


@dataclass(frozen=True)
class WeekSummary:
    """The seven days before: new leads and prospects, customers won."""

    new_leads: int
    new_prospects: int
    won: int


@dataclass(frozen=True)
class DigestSection:
    """One section of the digest: its first DIGEST_LINES lines, and how many it has in all (counted up to
    DIGEST_COUNT_CAP; `capped` says there are more)."""

    lines: tuple[DigestLine, ...] = ()
    total: int = 0
    capped: bool = False


@dataclass(frozen=True)
class DigestData:
    today: DigestSection
    overdue: DigestSection
    cold: DigestSection
    birthdays: DigestSection
    week: WeekSummary | None = None

    @property
    def empty(self) -> bool:
        sections = (self.today, self.overdue, self.cold, self.birthdays)
        return not (any(section.total for section in sections) or self.week)


def _section(rows: Sequence[Any], total: int) -> DigestSection:
    """Rows of (contact id, name, company, when), and for a follow-up's line its id after them."""
    return DigestSection(
        lines=tuple(
            DigestLine(row[0], row[1], row[2], row[3], followup_id=row[4] if len(row) > 4 else None)
            for row in rows
        ),
        total=min(total, DIGEST_COUNT_CAP),
        capped=total > DIGEST_COUNT_CAP,
    )


def _claimable(table: Any, now: datetime) -> Any:
    """Due rows nobody holds: pending, or claimed by a dispatcher whose lease ran out (it died)."""
    return sa.and_(
        col(table.due_at) <= now,
        sa.or_(col(table.not_before).is_(None), col(table.not_before) <= now),
        sa.or_(
            col(table.state) == "pending",
            sa.and_(col(table.state) == "claimed", col(table.lease_until) < now),
        ),
    )


def _within_chat_quota(table: Any, rep_column: Any, claimer: str, now: datetime, per_chat: int) -> Any:
    """The ids of due rows that keep each rep within `per_chat` rows held by `claimer`, and of reps whose
    rows no other claimer holds: each rep's claimable rows ranked oldest first, less what is held."""
    holding = sa.and_(col(table.state) == "claimed", col(table.lease_until) >= now)
    held = (
        sa.select(
            rep_column.label("owner"),
            func.sum(sa.case((col(table.claimed_by) == claimer, 1), else_=0)).label("mine"),
            func.sum(sa.case((col(table.claimed_by) != claimer, 1), else_=0)).label("others"),
        )
        .where(holding)
        .group_by(rep_column)
        .subquery()
    )
    ranked = (
        sa.select(
            col(table.id).label("id"),
            rep_column.label("owner"),
            func.row_number()
            .over(partition_by=rep_column, order_by=(col(table.due_at), col(table.id)))
            .label("rank"),
        )
        .join(Rep, col(Rep.id) == rep_column)
        .where(_claimable(table, now), col(Rep.active).is_(True))
        .subquery()
    )
    return (
        sa.select(ranked.c.id)
        .outerjoin(held, held.c.owner == ranked.c.owner)
        .where(
            func.coalesce(held.c.others, 0) == 0,
            ranked.c.rank + func.coalesce(held.c.mine, 0) <= per_chat,
        )
    )


def _recipient(rep: Rep) -> Recipient:
    assert rep.id is not None
    return Recipient(rep.id, rep.chat_id, rep.language, rep.timezone, rep.returned_at)


class FollowUpRepository(RepositoryPart):
    """Reads and writes of follow-ups and digests."""

    # Claims (the dispatcher's side)

    def claim_due_reminders(
        self, *, claimer: str, lease: timedelta, limit: int, per_chat: int | None = None
    ) -> list[DueReminder]:
        """Claim up to `limit` due reminders, oldest first. With `per_chat`, a rep's reminders are claimed
        only while this claimer holds fewer than that many of theirs and no other claimer holds any: a
        rep with a long backlog is then sent to by one dispatcher at a time, a chunk it can send within
        its lease, and the other reps' reminders are claimed alongside rather than after it."""
        now = self.clock()
        with self._session() as session:
            ids = self._claim(session, FollowUp, FollowUp.owner_id, claimer, now, lease, limit, per_chat)
            if not ids:
                return []
            rows = session.exec(
                select(FollowUp, Rep, Contact)
                .join(Rep, col(Rep.id) == FollowUp.owner_id)
                .join(Contact, col(Contact.id) == FollowUp.contact_id)
                .where(col(FollowUp.id).in_(ids))
                .order_by(col(FollowUp.due_at))
            ).all()
            return [
                DueReminder(
                    id=followup.id or 0,
                    due_at=followup.due_at,
                    kind=followup.kind,
                    attempts=followup.attempts,
                    recipient=_recipient(rep),
                    contact_id=contact.id or 0,
                    name=contact.name,
                    company=contact.company,
                    status=Status(contact.status),
                    score=contact.score,
                    latest_note=self._latest_note(session, contact.id or 0),
                    lost_reason=contact.lost_reason,
                    phone=contact.phone,
                    email=contact.email,
                    last_touch_at=contact.last_touch_at or contact.created_at,
                    message_templates=stored_templates(rep.message_templates),
                    quiet_days=rep.quiet_days,
                )
                for followup, rep, contact in rows
            ]

    def claim_due_digests(self, *, claimer: str, lease: timedelta, limit: int) -> list[DueDigest]:
        now = self.clock()
        with self._session() as session:
            ids = self._claim(session, Digest, Digest.rep_id, claimer, now, lease, limit)
            if not ids:
                return []
            rows = session.exec(
                select(Digest, Rep).join(Rep, col(Rep.id) == Digest.rep_id).where(col(Digest.id).in_(ids))
            ).all()
            return [
                DueDigest(
                    id=digest.id or 0,
                    local_date=digest.local_date,
                    due_at=digest.due_at,
                    attempts=digest.attempts,
                    recipient=_recipient(rep),
                    send_when_empty=rep.digest_when_empty,
                    weekly_summary=rep.weekly_summary,
                )
                for digest, rep in rows
            ]

    @staticmethod
    def _claim(
        session: Session,
        table: Any,
        rep_column: Any,
        claimer: str,
        now: datetime,
        lease: timedelta,
        limit: int,
        per_chat: int | None = None,
    ) -> list[int]:
        """Claim up to `limit` due rows of active reps, oldest first (at most `per_chat` held per rep, see
        claim_due_reminders); the ids this claimer got."""
        due = (
            select(table.id)
            .join(Rep, col(Rep.id) == rep_column)
            .where(_claimable(table, now), col(Rep.active).is_(True))
        )
        if per_chat is not None:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(sa.select(func.pg_advisory_xact_lock(_PER_CHAT_CLAIM_LOCK)))
            due = select(table.id).where(
                col(table.id).in_(_within_chat_quota(table, rep_column, claimer, now, per_chat))
            )
        candidates = session.exec(
            due.order_by(col(table.due_at), col(table.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=table)
        ).all()
        if not candidates:
            return []
        session.execute(
            sa.update(table)
            .where(col(table.id).in_(list(candidates)), _claimable(table, now))
            .values(state="claimed", claimed_by=claimer, lease_until=now + lease)
        )
        claimed = session.exec(
            select(table.id).where(
                col(table.id).in_(list(candidates)),
                col(table.claimed_by) == claimer,
                col(table.state) == "claimed",
            )
        ).all()
        return [int(row) for row in claimed]

    def renew(self, *, table: str, row_ids: Sequence[int], claimer: str, lease: timedelta) -> set[int]:
        """Extend the lease of the rows this claimer still holds, to `lease` from now; returns their ids.

        A dispatcher renews the rows still waiting in its queue before their lease runs out, so a queue
        longer than the lease is never claimed by another dispatcher as well. A row another claimer took
        meanwhile (this one stalled past its lease) is not renewed, and not returned: it must not be sent.
        """
        model: Any = FollowUp if table == "reminder" else Digest
        now = self.clock()
        held: set[int] = set()
        ids = list(row_ids)
        with self._session() as session:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                mine = sa.and_(
                    col(model.id).in_(chunk), col(model.claimed_by) == claimer, col(model.state) == "claimed"
                )
                session.execute(sa.update(model).where(mine).values(lease_until=now + lease))
                held.update(int(row) for row in session.exec(select(model.id).where(mine)).all())
        return held

    def mark_reminder_sent(self, *, reminder_id: int, claimer: str, message_id: int | None) -> bool:
        return self._finish_claim(FollowUp, reminder_id, claimer, state="sent", message_id=message_id)

    def mark_digest_sent(self, *, digest_id: int, claimer: str) -> bool:
        return self._finish_claim(Digest, digest_id, claimer, state="sent")

    def skip_digest(self, *, digest_id: int, claimer: str) -> bool:
        return self._finish_claim(Digest, digest_id, claimer, state="skipped")

    def release(
        self, *, table: str, row_id: int, claimer: str, retry_after: datetime | None, count_attempt: bool
    ) -> None:
        """Give a claimed row back: to be tried again after `retry_after`, or for good after MAX_ATTEMPTS."""
        model: Any = FollowUp if table == "reminder" else Digest
        with self._session() as session:
            if table == "reminder":
                # The contact's lock before the row is read: a rep may be closing or moving it right now.
                contact_id = session.exec(select(FollowUp.contact_id).where(FollowUp.id == row_id)).first()
                lock_contacts(session, [contact_id] if contact_id is not None else [])
            row = session.exec(select(model).where(model.id == row_id, model.claimed_by == claimer)).first()
            if row is None or row.state != "claimed":
                return
            row.attempts += 1 if count_attempt else 0
            row.state = "failed" if row.attempts >= schedule.MAX_ATTEMPTS else "pending"
            row.not_before, row.claimed_by, row.lease_until = retry_after, None, None
            session.add(row)
            if row.state == "failed" and table == "reminder":
                refresh_next_due(session, [row.contact_id])

    def _finish_claim(self, table: Any, row_id: int, claimer: str, **values: Any) -> bool:
        now = self.clock()
        with self._session() as session:
            result = session.execute(
                sa.update(table)
                .where(
                    col(table.id) == row_id, col(table.claimed_by) == claimer, col(table.state) == "claimed"
                )
                .values(sent_at=now, lease_until=None, **values)
            )
            return getattr(result, "rowcount", 0) == 1

    def deactivate_rep(self, *, rep_id: int) -> None:
        """The rep blocked the bot: send nothing more, delete nothing."""
        with self._session() as session:
            session.execute(sa.update(Rep).where(col(Rep.id) == rep_id).values(active=False))

    # Planning digests

    def plan_digests(self) -> int:
        """Make sure every active rep has the row of their next digest; returns how many were added."""
        now = self.clock()
        with self._session() as session:
            open_digest = (
                select(Digest.id)
                .where(Digest.rep_id == Rep.id, col(Digest.state).in_(("pending", "claimed")))
                .exists()
            )
            last_day = select(func.max(Digest.local_date)).where(Digest.rep_id == Rep.id).scalar_subquery()
            reps = session.exec(select(Rep, last_day).where(col(Rep.active).is_(True), ~open_digest)).all()
            planned = []
            for rep, after in reps:
                assert rep.id is not None
                hours, minutes = (int(part) for part in rep.digest_time.split(":"))
                upcoming = schedule.next_digest(
                    now,
                    ZoneInfo(rep.timezone),
                    time(hours, minutes),
                    schedule.parse_working_days(rep.working_days),
                    after,
                )
                if upcoming is not None:
                    planned.append(Digest(rep_id=rep.id, local_date=upcoming[0], due_at=upcoming[1]))
        if not planned:
            return 0
        try:
            with self._session() as session:
                session.add_all(planned)
            return len(planned)
        except IntegrityError:
            # Another dispatcher planned some of the same days meanwhile: the unique key refused the whole
            # batch, so insert one by one and skip the days it has.
            added = 0
            for digest in planned:
                try:
                    with self._session() as session:
                        session.add(
                            Digest(rep_id=digest.rep_id, local_date=digest.local_date, due_at=digest.due_at)
                        )
                    added += 1
                except IntegrityError:
                    continue
            return added

    def go_cold(self, *, rep_id: int, zone: ZoneInfo) -> int:
        """Give the rep's contacts gone quiet a follow-up each, due at today's digest and shown by it: those
        with no open follow-up and no touch for the rep's days of their status (bot.schedule.quiet_days),
        the longest silent first, up to COLD_PER_DIGEST a day; never two for the same silence. A contact
        never touched (imported, say) has had no contact to go quiet after, and never goes cold. Returns
        how many went cold now."""
        try:
            return self._go_cold(rep_id, zone)
        except IntegrityError:
            # Another replica brought the same silences in meanwhile (the unique quiet_since refused ours).
            return 0

    def _go_cold(self, rep_id: int, zone: ZoneInfo) -> int:
        now = self.clock()
        day = schedule.local_day(now, zone)
        with self._session() as session:
            rep = session.execute(
                sa.select(col(Rep.quiet_days), col(Rep.digest_time)).where(col(Rep.id) == rep_id)
            ).one()
            chosen, digest_time = rep
            # Due at the morning's digest time (the digest is its reminder), or now when asked for earlier.
            hours, minutes = (int(part) for part in digest_time.split(":"))
            due = min(now, local_to_utc(now.astimezone(zone).date(), time(hours, minutes), zone))
            today = session.execute(
                sa.select(func.count())
                .select_from(FollowUp)
                .where(
                    col(FollowUp.owner_id) == rep_id,
                    col(FollowUp.kind) == FollowUpKind.COLD,
                    col(FollowUp.created_at) >= day.start,
                )
            ).scalar_one()
            room = schedule.COLD_PER_DIGEST - today
            groups = [
                sa.and_(
                    col(Contact.status).in_(schedule.QUIET_STATUSES[group]),
                    col(Contact.last_touch_at) < now - timedelta(days=days),
                )
                for group, days in schedule.quiet_days(chosen).items()
                if days > 0
            ]
            if room <= 0 or not groups:
                return 0
            open_followup = sa.select(col(FollowUp.id)).where(
                col(FollowUp.contact_id) == Contact.id, col(FollowUp.state).in_(OPEN_STATES)
            )
            this_silence = sa.select(col(FollowUp.id)).where(
                col(FollowUp.contact_id) == Contact.id,
                col(FollowUp.quiet_since) == col(Contact.last_touch_at),
            )
            quiet = session.execute(
                sa.select(col(Contact.id), col(Contact.last_touch_at))
                .where(
                    col(Contact.owner_id) == rep_id,
                    sa.or_(*groups),
                    ~open_followup.exists(),
                    ~this_silence.exists(),
                )
                .order_by(col(Contact.last_touch_at), col(Contact.id))
                .limit(room)
            ).all()
            session.add_all(
                FollowUp(
                    owner_id=rep_id,
                    contact_id=contact_id,
                    due_at=due,
                    kind=FollowUpKind.COLD,
                    # The digest is its reminder: it waits for Done or Snooze like a reminder sent.
                    state=FollowUpState.SENT,
                    sent_at=now,
                    quiet_since=since,
                    created_at=now,
                )
                for contact_id, since in quiet
            )
            refresh_next_due(session, [contact_id for contact_id, _since in quiet])
            return len(quiet)

    def digest_data(self, *, rep_id: int, zone: ZoneInfo, weekly: bool = False) -> DigestData:
        """Today's open follow-ups, the overdue ones, contacts going cold, today's birthdays, and on a
        Monday (when the rep asked for it) the week before in numbers."""
        now = self.clock()
        week = self._week(rep_id, now) if weekly and now.astimezone(zone).isoweekday() == 1 else None
        window = schedule.local_day(now, zone)
        today = now.astimezone(zone).date()
        mine = col(Contact.owner_id) == rep_id
        birthday = col(Contact.birthday)
        birthdays = sa.and_(
            mine, sa.extract("month", birthday) == today.month, sa.extract("day", birthday) == today.day
        )
        with self._reading() as session:
            born = self._contact_section(session, birthdays, None)
            sent = birthday_card_sent(session, [line.contact_id for line in born.lines], window.start)
            return DigestData(
                today=self._followup_section(session, rep_id, window.start, window.end),
                overdue=self._followup_section(session, rep_id, None, window.start),
                cold=self._followup_section(session, rep_id, None, window.end, cold=True),
                birthdays=replace(
                    born, lines=tuple(replace(line, done=line.contact_id in sent) for line in born.lines)
                ),
                week=week,
            )

    @staticmethod
    def _followup_section(
        session: Session, rep_id: int, start: datetime | None, end: datetime, *, cold: bool = False
    ) -> DigestSection:
        """The rep's open follow-ups due in [start, end), soonest first: the contacts going cold (by
        their last touch, the longest silent first) or the others.

        One query per open state, each walking (owner_id, state, due_at) for its first lines, merged:
        a single `state IN (...) ORDER BY due_at` cannot come out of the index in order and had PostgreSQL
        scan every contact.
        """
        due = col(FollowUp.due_at)
        kind = col(FollowUp.kind)

        def of_state(state: str) -> Any:
            condition = sa.and_(
                col(FollowUp.owner_id) == rep_id,
                col(FollowUp.state) == state,
                due < end,
                kind == FollowUpKind.COLD if cold else kind != FollowUpKind.COLD,
            )
            if start is not None:
                condition = sa.and_(condition, due >= start)
            return condition

        firsts = [
            sa.select(col(FollowUp.id), col(FollowUp.contact_id), due)
            .where(of_state(state))
            .order_by(due)
            .limit(DIGEST_LINES)
            for state in OPEN_STATES
        ]
        merged = sa.union_all(*(sa.select(first.subquery()) for first in firsts)).subquery()
        when = col(Contact.last_touch_at) if cold else merged.c.due_at
        rows = session.execute(
            sa.select(col(Contact.id), col(Contact.name), col(Contact.company), when, merged.c.id)
            .join(merged, merged.c.contact_id == Contact.id)
            .order_by(when, col(Contact.id), merged.c.id)
            .limit(DIGEST_LINES)
        ).all()
        matching = sa.union_all(
            *(
                sa.select(col(FollowUp.id))
                .where(of_state(state))
                .limit(DIGEST_COUNT_CAP + 1)
                .subquery()
                .select()
                for state in OPEN_STATES
            )
        )
        total = session.execute(sa.select(func.count()).select_from(matching.subquery())).scalar_one()
        return _section(rows, total)

    @staticmethod
    def _contact_section(session: Session, condition: Any, when: Any) -> DigestSection:
        """The rep's contacts that match, by `when` (or by id), with only what a line shows."""
        ordering = when if when is not None else col(Contact.id)
        rows = session.execute(
            sa.select(
                col(Contact.id),
                col(Contact.name),
                col(Contact.company),
                when if when is not None else sa.null(),
            )
            .where(condition)
            .order_by(ordering)
            .limit(DIGEST_LINES)
        ).all()
        matching = sa.select(col(Contact.id)).where(condition).limit(DIGEST_COUNT_CAP + 1).subquery()
        total = session.execute(sa.select(func.count()).select_from(matching)).scalar_one()
        return _section(rows, total)

    def _week(self, rep_id: int, now: datetime) -> WeekSummary:
        since = now - timedelta(days=7)
        with self._reading() as session:
            created = session.exec(
                select(Contact.status).where(Contact.owner_id == rep_id, col(Contact.created_at) >= since)
            ).all()
            changes = session.exec(
                select(Interaction.changes).where(
                    Interaction.owner_id == rep_id,
                    Interaction.kind == "status",
                    col(Interaction.occurred_at) >= since,
                )
            ).all()
        won = sum(1 for change in changes if (change.get("status") or [None, None])[1] == "customer")
        return WeekSummary(
            new_leads=sum(status == "lead" for status in created),
            new_prospects=sum(status == "prospect" for status in created),
            won=won,
        )

    # The rep's side

    def get_followup(self, *, owner_id: int, followup_id: int) -> FollowUpRead | None:
        with self._reading() as session:
            row = session.exec(
                select(FollowUp).where(FollowUp.id == followup_id, FollowUp.owner_id == owner_id)
            ).first()
            if row is None:
                return None
            return FollowUpRead(
                row.id or 0,
                row.owner_id,
                row.contact_id,
                row.due_at,
                FollowUpKind(row.kind),
                FollowUpState(row.state),
                row.message_id,
            )

    def _transition(
        self,
        session: Session,
        *,
        owner_id: int,
        followup_id: int,
        from_states: tuple[str, ...],
        **values: Any,
    ) -> bool:
        contact_id = session.exec(
            select(FollowUp.contact_id).where(FollowUp.id == followup_id, FollowUp.owner_id == owner_id)
        ).first()
        if contact_id is None:
            return False
        lock_contacts(session, [contact_id])
        result = session.execute(
            sa.update(FollowUp)
            .where(
                col(FollowUp.id) == followup_id,
                col(FollowUp.owner_id) == owner_id,
                col(FollowUp.state).in_(from_states),
            )
            .values(**values)
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
        # Read again now that the row is ours: a merge may have moved it to another contact meanwhile.
        moved_to = session.exec(select(FollowUp.contact_id).where(FollowUp.id == followup_id)).one()
        refresh_next_due(session, {contact_id, moved_to})
        return True

    def _move(
        self, session: Session, owner_id: int, followup_id: int, from_states: tuple[str, ...], state: str
    ) -> FollowUp | None:
        """The rep's follow-up moved from one of `from_states` to `state`, or None (not theirs, or moved
        already: a second tap changes nothing)."""
        moved = self._transition(
            session, owner_id=owner_id, followup_id=followup_id, from_states=from_states, state=state
        )
        return session.get(FollowUp, followup_id) if moved else None

    def reschedule(self, *, owner_id: int, followup_id: int, due: datetime) -> bool:
        """Snooze or reschedule: the same follow-up, pending again at a new time."""
        with self._session() as session:
            return self._transition(
                session,
                owner_id=owner_id,
                followup_id=followup_id,
                from_states=OPEN_STATES,
                due_at=due,
                state="pending",
                not_before=None,
                claimed_by=None,
                lease_until=None,
                attempts=0,
                sent_at=None,
            )

    def attach_message(self, *, owner_id: int, followup_id: int, message_id: int) -> bool:
        """The message that carries the rep's open follow-up's buttons from now on (one opened from the
        digest): a typed note or date then edits it, as it would the reminder. False if not theirs or no
        longer open."""
        with self._session() as session:
            result = session.execute(
                sa.update(FollowUp)
                .where(
                    col(FollowUp.id) == followup_id,
                    col(FollowUp.owner_id) == owner_id,
                    col(FollowUp.state).in_(OPEN_STATES),
                )
                .values(message_id=message_id)
            )
            return getattr(result, "rowcount", 0) == 1

    def complete(self, *, owner_id: int, followup_id: int, outcome: str, score: Score) -> int | None:
        """Done: the follow-up is closed for the outcome, logged as an interaction; returns its id."""
        now = self.clock()
        with self._session() as session:
            followup = self._move(session, owner_id, followup_id, OPEN_STATES, "done")
            if followup is None:
                return None
            interaction = Interaction(
                owner_id=owner_id, contact_id=followup.contact_id, kind=outcome, answers={}, occurred_at=now
            )
            session.add(interaction)
            contact = session.get_one(Contact, followup.contact_id)
            contact.touches += 1
            contact.last_touch_at = contact.updated_at = now
            contact.score = score.value
            contact.score_reasons = [
                [reason.code, reason.points] for reason in score.main_reasons(len(score.reasons))
            ]
            session.add(contact)
            session.flush()
            return interaction.id

    def add_note(self, *, owner_id: int, interaction_id: int, note: str) -> bool:
        with self._session() as session:
            interaction = session.exec(
                select(Interaction).where(Interaction.id == interaction_id, Interaction.owner_id == owner_id)
            ).first()
            if interaction is None:
                return False
            interaction.note = note
            session.add(interaction)
            contact = session.get_one(Contact, interaction.contact_id)
            contact.search_text = f"{contact.search_text} {search_key(note)}"
            session.add(contact)
            return True

    def schedule_next(
        self, *, owner_id: int, followup_id: int, due: datetime | None, kind: str = "next"
    ) -> bool:
        """After Done or Lost: close the follow-up and, with a date, add the next one (exactly once)."""
        now = self.clock()
        with self._session() as session:
            followup = self._move(session, owner_id, followup_id, ("done", "lost"), "closed")
            if followup is None:
                return False
            if due is not None:
                session.add(
                    FollowUp(
                        owner_id=owner_id,
                        contact_id=followup.contact_id,
                        due_at=due,
                        kind=kind,
                        created_at=now,
                    )
                )
                refresh_next_due(session, [followup.contact_id])
            return True

    @staticmethod
    def _latest_note(session: Session, contact_id: int) -> str | None:
        return session.exec(
            select(Interaction.note)
            .where(Interaction.contact_id == contact_id, col(Interaction.note).is_not(None))
            .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
        ).first()
