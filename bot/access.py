"""Who may use the bot: the allow-list, invites, and a polite refusal that strangers cannot flood.

The gate remembers in memory whom it let in and whom it refused, so a stranger sending a thousand
messages costs a dictionary look-up each, not a database query, and gets one refusal an hour.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from enum import Enum

from bot.config import Settings


class Verdict(Enum):
    ALLOW = "allow"
    REFUSE = "refuse"  # answer once, politely
    IGNORE = "ignore"  # refused recently: say nothing more


class _Expiring:
    """A bounded map of user id -> expiry; the oldest entries go first when it is full."""

    def __init__(self, max_entries: int) -> None:
        self.entries: OrderedDict[int, float] = OrderedDict()
        self.max_entries = max_entries

    def fresh(self, user_id: int, now: float) -> bool:
        expiry = self.entries.get(user_id)
        return expiry is not None and expiry > now

    def put(self, user_id: int, until: float) -> None:
        self.entries[user_id] = until
        self.entries.move_to_end(user_id)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    def drop(self, user_id: int) -> None:
        self.entries.pop(user_id, None)


class AccessGate:
    """Decides per update; `is_invited` is asked (the database) only when memory has no answer."""

    def __init__(
        self,
        settings: Settings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        remember_for: float = 600.0,
        refuse_every: float = 3600.0,
        max_entries: int = 10_000,
    ) -> None:
        self.settings, self.monotonic = settings, monotonic
        self.remember_for, self.refuse_every = remember_for, refuse_every
        self.allowed = _Expiring(max_entries)
        self.not_invited = _Expiring(max_entries)
        self.refused = _Expiring(max_entries)

    def verdict(
        self, user_id: int, username: str | None, *, carries_invite: bool, is_invited: Callable[[int], bool]
    ) -> Verdict:
        if self.settings.open_to_all or self.settings.is_listed(user_id, username) or carries_invite:
            return Verdict.ALLOW
        now = self.monotonic()
        if self.allowed.fresh(user_id, now):
            return Verdict.ALLOW
        if not self.not_invited.fresh(user_id, now):
            if is_invited(user_id):
                self.allowed.put(user_id, now + self.remember_for)
                return Verdict.ALLOW
            self.not_invited.put(user_id, now + 60.0)
        if self.refused.fresh(user_id, now):
            return Verdict.IGNORE
        self.refused.put(user_id, now + self.refuse_every)
        return Verdict.REFUSE

    def admit(self, user_id: int) -> None:
        """A user just redeemed an invite."""
        self.not_invited.drop(user_id)
        self.refused.drop(user_id)
        self.allowed.put(user_id, self.monotonic() + self.remember_for)

    def note_refusal(self, user_id: int) -> None:
        """The user was told why they cannot get in (a used or expired invite): that was the refusal."""
        self.refused.put(user_id, self.monotonic() + self.refuse_every)

    def forget(self, user_id: int) -> None:
        """A rep erased their data: they are a stranger again."""
        self.allowed.drop(user_id)


def may_invite(role: str, *, admin: bool, inviter_role: str) -> bool:
    """Whether someone may create an invite for `role`: admins invite reps and managers, a manager only
    reps (into their own team), anyone else nobody."""
    if role == "manager":
        return admin
    return role == "rep" and (admin or inviter_role == "manager")
