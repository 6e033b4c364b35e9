"""What the rep's next typed message answers, and the one rule that routes a message to a flow.

A question asked outside a capture (a card's note or field, a typed time zone, a reminder's note or date)
is recorded as one `Awaiting` value on the rep's row. The router in handlers/ asks `route_text` what a
typed message is for; the rule is written out in docs/architecture.md and below:

1. A command is always a command: it goes to its handler and the question is dropped.
2. An answer typed within `FRESH` of the question answers it.
3. Later, until the question lapses (`LAPSES`), it is not clear: the rep may have moved on to the next
   person and be typing their name. The bot keeps the text and asks with two buttons which it is, so
   neither the answer nor the new contact is lost.
4. Otherwise the text belongs to the capture: an open capture's typed question, or a new contact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

FRESH = timedelta(minutes=3)
LAPSES = timedelta(minutes=15)
# The text kept while the rep is asked what it was for; a note is the longest answer.
PENDING_MAX = 4000


class Question(StrEnum):
    """The questions answered by typing outside a capture."""

    CARD_NOTE = "card_note"
    CARD_FIELD = "card_field"
    CARD_TAGS = "card_tags"
    CARD_BIRTHDAY = "card_birthday"
    CARD_DATE = "card_date"
    CARD_MERGE = "card_merge"
    CARD_VALUE = "card_value"
    TIMEZONE = "timezone"
    FOLLOWUP_NOTE = "followup_note"
    FOLLOWUP_DATE = "followup_date"
    MESSAGE_TEMPLATE = "message_template"  # a follow-up message template, its kind in `detail`
    FIND = "find"  # what to look for, after /find alone


@dataclass(frozen=True)
class Awaiting:
    """One question waiting for typed text: what it is, the records it is about, and when it was asked.

    `pending` holds a message that arrived after the question went stale, until the rep says whether it
    answers the question or starts a new contact."""

    question: Question
    asked_at: datetime
    contact_id: int | None = None
    followup_id: int | None = None
    interaction_id: int | None = None
    detail: str | None = None  # the card field being edited, or why a reminder asks for a date
    pending: str | None = None
    # The message that asks (a card or reminder turned into the question): its buttons come off once the
    # question is answered or dropped, so no live ◀ Back is left on a stale prompt.
    prompt_id: int | None = None

    def encode(self) -> str:
        values = {
            "q": self.question.value,
            "at": int(self.asked_at.timestamp()),
            "c": self.contact_id,
            "f": self.followup_id,
            "i": self.interaction_id,
            "d": self.detail,
            "p": self.pending,
            "m": self.prompt_id,
        }
        return json.dumps({key: value for key, value in values.items() if value is not None})

    @classmethod
    def decode(cls, stored: str | None) -> Awaiting | None:
        """The stored value, or None for nothing or anything not of this shape (an older form included)."""
        if not stored:
            return None
        try:
            values = json.loads(stored)
            return cls(
                question=Question(values["q"]),
                asked_at=datetime.fromtimestamp(int(values["at"]), UTC),
                contact_id=_optional_int(values.get("c")),
                followup_id=_optional_int(values.get("f")),
                interaction_id=_optional_int(values.get("i")),
                detail=_optional_str(values.get("d")),
                pending=_optional_str(values.get("p")),
                prompt_id=_optional_int(values.get("m")),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def lapsed(self, now: datetime) -> bool:
        return now - self.asked_at >= LAPSES

    def holding(self, text: str) -> Awaiting:
        """This question, keeping `text` until the rep says what it was for."""
        return replace(self, pending=text[:PENDING_MAX])

    def asked_again(self, now: datetime) -> Awaiting:
        """This question, fresh again: the rep said the kept text answers it."""
        return replace(self, asked_at=now, pending=None)


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an id")
    return value


def _optional_str(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


class TextRoute(StrEnum):
    """Where one typed message goes."""

    COMMAND = "command"  # its command handler; the question is dropped
    ANSWER = "answer"  # the question's flow
    ASK_WHICH = "ask_which"  # keep the text, ask: the answer, or a new contact?
    CAPTURE = "capture"  # the capture: its typed question, or a new contact's name


def route_text(text: str, awaiting: Awaiting | None, now: datetime) -> TextRoute:
    """The router's rule for typed text (the module docstring says why)."""
    if text.startswith("/"):
        return TextRoute.COMMAND
    if awaiting is None or awaiting.lapsed(now):
        return TextRoute.CAPTURE
    if now - awaiting.asked_at <= FRESH:
        return TextRoute.ANSWER
    return TextRoute.ASK_WHICH
