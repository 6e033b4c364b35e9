"""The lifecycle: which status changes are allowed, kept as one table, and what a contact's status fields
become when a meeting is logged, a rep sets a status, or a contact is marked lost.

lead -> prospect -> customer -> repeat buyer, lost (with a reason) from anywhere before it, and reopen
from lost. Qualification moves a contact between lead and prospect; a rep moves it on from there.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.schedule import LostReason
from bot.scoring import Classification, Status

ALLOWED_MOVES: dict[Status, tuple[Status, ...]] = {
    Status.LEAD: (Status.PROSPECT, Status.CUSTOMER, Status.LOST),
    Status.PROSPECT: (Status.LEAD, Status.CUSTOMER, Status.LOST),
    Status.CUSTOMER: (Status.REPEAT_BUYER, Status.LOST),
    Status.REPEAT_BUYER: (Status.LOST,),
    # Reopening a lost contact makes it a lead again, to be qualified afresh.
    Status.LOST: (Status.LEAD,),
}

# The statuses each list shows: a repeat buyer is a customer who bought again, and is found among customers.
LIST_MEMBERS: dict[Status, tuple[Status, ...]] = {
    Status.LEAD: (Status.LEAD,),
    Status.PROSPECT: (Status.PROSPECT,),
    Status.CUSTOMER: (Status.CUSTOMER, Status.REPEAT_BUYER),
    Status.REPEAT_BUYER: (Status.REPEAT_BUYER,),
    Status.LOST: (Status.LOST,),
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


@dataclass(frozen=True)
class StatusFields:
    """What a contact's status columns hold: the status, the rule that set it ("rep" for a rep's choice,
    else the qualification rule's name), the reasons the card explains it with, and why it was lost."""

    status: Status
    rule: str
    reasons: tuple[str, ...]
    lost_reason: LostReason | None = None


def status_after_meeting(
    current: Status, current_rule: str, classification: Classification
) -> StatusFields | None:
    """The status fields after a meeting's answers are classified; None when the contact keeps its own.

    A customer, repeat buyer or lost contact keeps the status the rep gave it: the answers only re-score
    it. A contact whose status no rule set yet (a new one) always takes the classification.
    """
    if current in SET_BY_REP and current_rule:
        return None
    return StatusFields(
        classification.status, classification.rule, tuple(reason.code for reason in classification.reasons)
    )


def set_by_rep(status: Status, classification: Classification | None = None) -> StatusFields:
    """A status the rep chose on the card (check_move said it is allowed); a reopened contact is no longer
    lost for a reason. Lost has a reason of its own: see marked_lost.

    A lead or prospect chosen by hand says what its answers say (`classification`, of the contact's
    answers): a lead what is missing to qualify, a prospect the criteria met, and a prospect whose answers
    fall short that the rep chose it, and what is still open."""
    if classification is None or status not in (Status.LEAD, Status.PROSPECT):
        return StatusFields(status, "rep", (f"set.{status}",))
    codes = tuple(reason.code for reason in classification.reasons)
    if classification.status is status:
        return StatusFields(status, "rep", codes)
    # A lead by choice whose answers qualify has nothing missing: the rep's choice is the reason.
    return StatusFields(status, "rep", (f"set.{status}", *(codes if status is Status.PROSPECT else ())))


def marked_lost(reason: LostReason) -> StatusFields:
    """Lost for a reason, whether from the card or from a reminder."""
    return StatusFields(Status.LOST, "rep", (f"lost.{reason}",), reason)


# How a contact that came in with an import is classified until a meeting is logged on it.
IMPORTED = StatusFields(Status.LEAD, "import", ("import",))
