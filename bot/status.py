"""The lifecycle: which status changes are allowed, kept as one table.

lead -> prospect -> customer -> repeat buyer, lost (with a reason) from anywhere before it, and reopen
from lost. Qualification moves a contact between lead and prospect; a rep moves it on from there.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.scoring import Status

ALLOWED_MOVES: dict[Status, tuple[Status, ...]] = {
    Status.LEAD: (Status.PROSPECT, Status.CUSTOMER, Status.LOST),
    Status.PROSPECT: (Status.LEAD, Status.CUSTOMER, Status.LOST),
    Status.CUSTOMER: (Status.REPEAT_BUYER, Status.LOST),
    Status.REPEAT_BUYER: (Status.LOST,),
    # Reopening a lost contact makes it a lead again, to be qualified afresh.
    Status.LOST: (Status.LEAD,),
}

# Statuses that a rep set by hand: a new meeting's answers re-score the contact but do not re-classify it.
SET_BY_REP = frozenset({Status.CUSTOMER, Status.REPEAT_BUYER, Status.LOST})


@dataclass(frozen=True)
class Move:
    allowed: bool
    current: Status
    wanted: Status
    # When refused: the statuses this one can move to, for the explanation.
    options: tuple[Status, ...] = ()


def check_move(current: Status, wanted: Status) -> Move:
    """Whether `current` may become `wanted`; a refusal says what is possible instead."""
    options = ALLOWED_MOVES[current]
    return Move(wanted in options, current, wanted, () if wanted in options else options)
