"""Every repository over one database: what the application opens at start and hands to the flows."""

from __future__ import annotations

from dataclasses import dataclass

from storage.calendar import CalendarBook
from storage.contacts import ContactBook
from storage.database import Database
from storage.drafts import DraftBook
from storage.exchange import Exchange
from storage.followups import FollowUpRepository
from storage.inbox import Inbox
from storage.privacy import PrivacyBook
from storage.reps import RepBook
from storage.stats import StatsBook
from storage.teams import TeamBook


@dataclass(frozen=True)
class Repositories:
    database: Database
    reps: RepBook
    drafts: DraftBook
    contacts: ContactBook
    followups: FollowUpRepository
    teams: TeamBook
    privacy: PrivacyBook
    exchange: Exchange
    stats: StatsBook
    inbox: Inbox
    calendar: CalendarBook

    @classmethod
    def over(cls, database: Database) -> Repositories:
        return cls(
            database=database,
            reps=RepBook(database),
            drafts=DraftBook(database),
            contacts=ContactBook(database),
            followups=FollowUpRepository(database),
            teams=TeamBook(database),
            privacy=PrivacyBook(database),
            exchange=Exchange(database),
            stats=StatsBook(database),
            inbox=Inbox(database),
            calendar=CalendarBook(database),
        )
