"""Teams and invites: what a manager sees, reassigning a member's contacts, one-time invite links. A
manager's queries are scoped to their team."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import SQLModel, col, func, select

from bot import schedule
from bot.schedule import OPEN_STATES
from storage.database import RepositoryPart, lock_contacts
from storage.models import (
    Contact,
    ContactTag,
    FollowUp,
    Interaction,
    Invite,
    Rep,
    Team,
)
from storage.reps import RepRead, new_rep, rep_read

# Built once, on the table: it answers a stranger's code, whose cost is kept to the one read.
_INVITES = SQLModel.metadata.tables["invite"]
_INVITE_BY_CODE = sa.select(_INVITES.c.used_at, _INVITES.c.expires_at).where(
    _INVITES.c.code == sa.bindparam("code")
)


class Redeemed(Enum):
    JOINED = "joined"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


# How many of a member's due and overdue contacts /team names.
MEMBER_NAMES = 3


@dataclass(frozen=True)
class MemberSummary:
    rep_id: int
    name: str
    role: str
    by_status: dict[str, int]
    due_today: int
    overdue: int
    # Who they are: the contacts of the follow-ups due today and overdue, soonest first (a few).
    today_names: tuple[str, ...] = ()
    overdue_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class TeamOverview:
    name: str
    funnel: dict[str, int]
    members: tuple[MemberSummary, ...]


class TeamBook(RepositoryPart):
    """Team and invite operations."""

    # Teams

    def create_team(self, *, name: str, manager_id: int) -> int:
        """A new team with this rep as its manager."""
        with self._session() as session:
            team = Team(name=name[:80], created_at=self.clock())
            session.add(team)
            session.flush()
            session.execute(
                sa.update(Rep).where(col(Rep.id) == manager_id).values(team_id=team.id, role="manager")
            )
            assert team.id is not None
            return team.id

    def team_name(self, *, team_id: int) -> str | None:
        with self._reading() as session:
            name: str | None = session.exec(select(Team.name).where(Team.id == team_id)).first()
            return name

    def overview(self, *, manager: RepRead, zone: ZoneInfo) -> TeamOverview | None:
        """The funnel of the manager's team and each member's counts, due today and overdue follow-ups."""
        if manager.team_id is None or manager.role != "manager":
            return None
        window = schedule.local_day(self.clock(), zone)
        with self._reading() as session:
            team = session.get(Team, manager.team_id)
            members = session.exec(
                select(Rep).where(Rep.team_id == manager.team_id).order_by(col(Rep.role).desc(), col(Rep.id))
            ).all()
            ids = [member.id for member in members]
            counts = session.exec(
                select(Contact.owner_id, Contact.status, func.count())
                .where(col(Contact.owner_id).in_(ids))
                .group_by(col(Contact.owner_id), col(Contact.status))
            ).all()
            due = session.exec(
                select(FollowUp.owner_id, FollowUp.due_at, Contact.name)
                .join(Contact, col(Contact.id) == FollowUp.contact_id)
                .where(
                    col(FollowUp.owner_id).in_(ids),
                    col(FollowUp.state).in_(OPEN_STATES),
                    col(FollowUp.due_at) < window.end,
                )
                .order_by(col(FollowUp.due_at), col(FollowUp.id))
            ).all()
        funnel: Counter[str] = Counter()
        by_rep: dict[int, Counter[str]] = {}
        for owner, status, number in counts:
            funnel[status] += number
            by_rep.setdefault(owner, Counter())[status] += number
        today = Counter(owner for owner, due_at, _ in due if due_at >= window.start)
        overdue = Counter(owner for owner, due_at, _ in due if due_at < window.start)

        def names(owner: int | None, *, late: bool) -> tuple[str, ...]:
            found = [name for rep, due_at, name in due if rep == owner and (due_at < window.start) == late]
            return tuple(found[:MEMBER_NAMES])

        summaries = tuple(
            MemberSummary(
                member.id or 0,
                member.display_name,
                member.role,
                dict(by_rep.get(member.id or 0, Counter())),
                today[member.id or 0],
                overdue[member.id or 0],
                names(member.id, late=False),
                names(member.id, late=True),
            )
            for member in members
        )
        return TeamOverview(team.name if team else "", dict(funnel), summaries)

    def reassign(self, *, manager: RepRead, from_rep: int, to_rep: int) -> int | None:
        """Move every contact (with its history, tags and follow-ups) of one team member to another;
        None when either is not in the manager's team."""
        if manager.team_id is None or manager.role != "manager" or from_rep == to_rep:
            return None
        with self._session() as session:
            members = set(session.exec(select(Rep.id).where(Rep.team_id == manager.team_id)).all())
            if from_rep not in members or to_rep not in members:
                return None
            moved = session.exec(
                select(func.count()).select_from(Contact).where(Contact.owner_id == from_rep)
            ).one()
            contact_ids = select(Contact.id).where(Contact.owner_id == from_rep)
            # The contacts first, as every follow-up write takes them (storage.database.lock_contacts).
            lock_contacts(session, (contact_id or 0 for contact_id in session.exec(contact_ids).all()))
            for table in (Interaction, FollowUp, ContactTag):
                session.execute(
                    sa.update(table).where(col(table.contact_id).in_(contact_ids)).values(owner_id=to_rep)
                )
            session.execute(
                sa.update(Contact).where(col(Contact.owner_id) == from_rep).values(owner_id=to_rep)
            )
            return int(moved)

    # Invites

    def create_invite(self, *, created_by: int, team_id: int | None, role: str, days: int) -> str:
        now = self.clock()
        code = secrets.token_urlsafe(12)  # 16 characters of A-Za-z0-9_-, as deep links allow
        with self._session() as session:
            session.add(
                Invite(
                    code=code,
                    created_by=created_by,
                    team_id=team_id,
                    role=role,
                    expires_at=now + timedelta(days=days),
                    created_at=now,
                )
            )
        return code

    def check_invite(self, *, code: str) -> Redeemed:
        """What redeeming this code would do (JOINED: it is valid), in one read that writes nothing: a
        stranger's wrong code registers nobody and takes no write lock."""
        with self.database.statement_read_engine.connect() as connection:
            row = connection.execute(_INVITE_BY_CODE, {"code": code}).first()
        if row is None:
            return Redeemed.UNKNOWN
        if row.used_at is not None:
            return Redeemed.USED
        if row.expires_at <= self.clock():
            return Redeemed.EXPIRED
        return Redeemed.JOINED

    def redeem(
        self,
        *,
        code: str,
        telegram_id: int,
        chat_id: int,
        language: str,
        timezone: str,
        digest_time: time,
        display_name: str,
    ) -> tuple[Redeemed, RepRead | None]:
        """Use an invite once: the conditional UPDATE lets exactly one of two simultaneous uses win."""
        now = self.clock()
        with self._session() as session:
            invite = session.exec(select(Invite).where(Invite.code == code)).first()
            if invite is None:
                return Redeemed.UNKNOWN, None
            if invite.used_at is not None:
                return Redeemed.USED, None
            if invite.expires_at <= now:
                return Redeemed.EXPIRED, None
            result = session.execute(
                sa.update(Invite)
                .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
                .values(used_at=now)
            )
            if getattr(result, "rowcount", 0) != 1:
                return Redeemed.USED, None
            rep = session.exec(select(Rep).where(Rep.telegram_id == telegram_id)).first()
            if rep is None:
                rep = new_rep(telegram_id, chat_id, language, timezone, digest_time, display_name, now)
            if rep.id is not None and not rep.active:
                rep.returned_at = now
            rep.access, rep.active, rep.updated_at = "invite", True, now
            if invite.team_id is not None:
                rep.team_id, rep.role = invite.team_id, invite.role
            session.add(rep)
            session.flush()
            return Redeemed.JOINED, rep_read(rep)
