"""The Bot API's refusals: an ``{"ok": false, ...}`` answer with Telegram's status code and words."""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]


class BotApiRefusal(Exception):
    """An ``{"ok": false, ...}`` answer; raised by the validators and the method handlers."""

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        deliberate: bool = False,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        # Deliberate refusals (a blocked user, rate limiting) are what the test asked for and
        # are not listed in FakeBotAPI.rejections.
        self.deliberate = deliberate

    def to_json(self) -> JsonDict:
        """Render the refusal in Telegram's JSON shape."""
        body: JsonDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> BotApiRefusal:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return BotApiRefusal(400, f"Bad Request: {detail}")


def strict_refusal(detail: str) -> BotApiRefusal:
    """A 400 for a check Telegram itself does not make (see the module docstring)."""
    return BotApiRefusal(400, f"Bad Request: [strict] {detail}")


def blocked_by_user() -> BotApiRefusal:
    """Telegram's answer to anything sent to a user who blocked the bot."""
    return BotApiRefusal(403, "Forbidden: bot was blocked by the user", deliberate=True)


def too_many_requests(retry_after: int, *, deliberate: bool = True) -> BotApiRefusal:
    """Telegram's flood-control answer."""
    return BotApiRefusal(
        429,
        f"Too Many Requests: retry after {retry_after}",
        retry_after=retry_after,
        deliberate=deliberate,
    )
