"""Who may use the bot: the allow-list, invites, and a polite refusal that strangers cannot flood.

With an allow-list, the gate decides every update from memory alone: the listed users come from the
settings, the users who joined by invite are a set loaded from the database when the bot starts and
refreshed on a timer (one query for everyone, never one per update), and whom it refused when is kept
here. A stranger sending a thousand messages costs a dictionary look-up each, no database query, and gets
one answer an hour. The only thing a stranger can make the bot read is an invite code they send, and
`InviteThrottle` limits that too.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.config import Settings

# secrets.token_urlsafe(12), as storage creates invites: anything else cannot be a code, and costs nothing.
INVITE_CODE = re.compile(r"^/start(?:@\w+)?\s+([A-Za-z0-9_-]{16})$")


def invite_code(text: str | None) -> str | None:
    """The code of a deep link's `/start <code>`, when the text is one and the code is well formed."""
    if not text:
        return None
    match = INVITE_CODE.match(text.strip())
    return match.group(1) if match else None


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


@dataclass
class _Attempts:
    failures: list[float] = field(default_factory=list)
    blocked_until: float = 0.0


class InviteThrottle:
    """Whether a refused user's invite code is worth a database read: after `limit` wrong codes within
    `window` seconds, none of theirs is looked up for `block_for` seconds. A mistyped or stale link is
    forgiven; guessing codes is not worth it. Bounded: the users seen longest ago are forgotten first."""

    def __init__(
        self,
        *,
        limit: int = 3,
        window: float = 600.0,
        block_for: float = 3600.0,
        max_entries: int = 10_000,
    ) -> None:
        self.limit, self.window, self.block_for = limit, window, block_for
        self.max_entries = max_entries
        self.users: OrderedDict[int, _Attempts] = OrderedDict()

    def may_try(self, user_id: int, now: float) -> bool:
        attempts = self.users.get(user_id)
        return attempts is None or attempts.blocked_until <= now

    def failed(self, user_id: int, now: float) -> None:
        """A code of theirs was wrong (made up, used or expired)."""
        attempts = self.users.pop(user_id, None) or _Attempts()
        attempts.failures = [at for at in attempts.failures if at > now - self.window] + [now]
        if len(attempts.failures) >= self.limit:
            attempts.failures, attempts.blocked_until = [], now + self.block_for
        self.users[user_id] = attempts
        while len(self.users) > self.max_entries:
            self.users.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """The user got in: their wrong codes no longer count."""
        self.users.pop(user_id, None)


class AccessGate:
    """Decides per update, from memory only: who is let in, and whether a refused user is due an answer."""

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
        # Who joined by invite, as the database last said; the size of the team, not of the crowd outside.
        self.invited: frozenset[int] = frozenset()
        # Who joined in this process since: a refresh that started before they joined cannot drop them.
        self.admitted = _Expiring(max_entries)
        self.refused = _Expiring(max_entries)
        self.invites = InviteThrottle(max_entries=max_entries)

    def allows(self, user_id: int, username: str | None) -> bool:
        if self.settings.open_to_all or self.settings.is_listed(user_id, username) or user_id in self.invited:
            return True
        return self.admitted.fresh(user_id, self.monotonic())

    def answer_due(self, user_id: int) -> bool:
        """Whether a refused user is answered now: once an hour, whatever and however often they send.
        Asking counts as answering, so ask only when an answer can be given."""
        now = self.monotonic()
        if self.refused.fresh(user_id, now):
            return False
        self.refused.put(user_id, now + self.refuse_every)
        return True

    def may_try_invite(self, user_id: int) -> bool:
        return self.invites.may_try(user_id, self.monotonic())

    def wrong_invite(self, user_id: int) -> None:
        self.invites.failed(user_id, self.monotonic())

    def know_invited(self, telegram_ids: Iterable[int]) -> None:
        """The users who joined by invite, freshly read from the database (by every replica, on a timer:
        someone who joined through another replica is let in here from the next refresh on)."""
        self.invited = frozenset(telegram_ids)

    def admit(self, user_id: int) -> None:
        """A user just redeemed an invite."""
        self.invites.forget(user_id)
        self.refused.drop(user_id)
        self.invited = self.invited | {user_id}
        self.admitted.put(user_id, self.monotonic() + self.remember_for)

    def forget(self, user_id: int) -> None:
        """A rep erased their data: they are a stranger again."""
        self.admitted.drop(user_id)
        self.invited = self.invited - {user_id}


def may_invite(role: str, *, admin: bool, inviter_role: str) -> bool:
    """Whether someone may create an invite for `role`: admins invite reps and managers, a manager only
    reps (into their own team), anyone else nobody."""
    if role == "manager":
        return admin
    return role == "rep" and (admin or inviter_role == "manager")
