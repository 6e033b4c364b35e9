"""What became of one message the dispatcher asked a sender to deliver: the words shared by the senders in
handlers/ (which know Telegram) and the dispatcher in the composition root (which knows the database)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Result(Enum):
    SENT = "sent"
    NOTHING_TO_SAY = "nothing"  # an empty digest the rep did not ask for
    BLOCKED = "blocked"  # the rep blocked the bot
    RETRY_AFTER = "retry_after"  # Telegram's flood control: wait, then send again
    TRANSIENT = "transient"  # 5xx or a timeout: try again later with backoff


@dataclass(frozen=True)
class Delivery:
    result: Result
    message_id: int | None = None
    retry_after: float = 0.0
