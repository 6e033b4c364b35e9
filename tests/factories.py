"""Factories: Telegram updates as Telegram sends them, and `RepChat`, a rep talking to the bot.

End-to-end tests read like a conversation: `await rep.send("/new")`, `await rep.press("Yes")`, then
assertions on `rep.last_text` and on what the repository stored.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application

from tests.fake_bot_api import FakeBotAPI, SentMessage

TOKEN = "123456:TEST-token"
_callback_ids = itertools.count(1)


@dataclass
class FakeClock:
    """The injected clock: tests move time instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 13, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def user_json(
    user_id: int, first_name: str, language_code: str | None, username: str | None
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    if username:
        user["username"] = username
    return user


@dataclass
class FakeMonotonic:
    """The dispatcher's pacing clock: its sleeps move this clock instead of waiting, and are recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RepChat:
    """One rep's private chat with the bot, driven through the real Application over the fake Bot API."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        fake: FakeBotAPI,
        *,
        user_id: int,
        first_name: str = "Maija",
        language_code: str | None = "en",
        username: str | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        self.app, self.fake, self.user_id = app, fake, user_id
        self.first_name, self.language_code, self.username = first_name, language_code, username
        self.clock = clock or FakeClock()
        fake.register_chat(user_id, first_name=first_name, username=username)

    # What the rep does

    async def send(self, text: str) -> None:
        message = self._message()
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        await self._process({"message": message})

    async def send_contact(self, phone: str, first_name: str, last_name: str | None = None) -> None:
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        message = self._message()
        message["contact"] = contact
        await self._process({"message": message})

    async def forward(
        self, text: str, *, sender: str | None = None, hidden_sender: str | None = None
    ) -> None:
        """Forward a message from the person (a user with or without forwarding privacy)."""
        message = self._message()
        message["text"] = text
        date = int(self.clock().timestamp()) - 3600
        if sender is not None:
            first, _, last = sender.partition(" ")
            origin_user: dict[str, Any] = {"id": 987654, "is_bot": False, "first_name": first}
            if last:
                origin_user["last_name"] = last
            message["forward_origin"] = {"type": "user", "date": date, "sender_user": origin_user}
        else:
            message["forward_origin"] = {
                "type": "hidden_user",
                "date": date,
                "sender_user_name": hidden_sender,
            }
        await self._process({"message": message})

    async def send_document(self, content: bytes, filename: str, mime_type: str = "text/csv") -> None:
        message = self._message()
        message["document"] = self.fake.register_user_file(content, filename, mime_type)
        await self._process({"message": message})

    async def send_photo(self) -> None:
        message = self._message()
        message["photo"] = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 90, "height": 90}]
        await self._process({"message": message})

    async def send_sticker(self) -> None:
        message = self._message()
        message["sticker"] = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        await self._process({"message": message})

    async def send_voice(self) -> None:
        message = self._message()
        message["voice"] = {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3}
        await self._process({"message": message})

    async def press(self, label: str, *, message: SentMessage | None = None) -> str | None:
        """Tap the button with this label (exact, else the only one starting with it) on the newest
        message that has buttons; returns the alert or toast text the bot answered with."""
        target = message or self.last_with_buttons
        labels = [(text, data) for row in self.fake.buttons(target) for text, data in row]
        matches = [data for text, data in labels if text == label] or [
            data for text, data in labels if text.startswith(label)
        ]
        if len(matches) != 1 or matches[0] is None:
            raise AssertionError(f"no single button {label!r} among {[text for text, _ in labels]}")
        return await self.press_data(matches[0], message=target)

    async def press_data(self, data: str, *, message: SentMessage | None = None) -> str | None:
        """Deliver a callback query with this data, as if a button carrying it had been tapped."""
        target = message or self.last_with_buttons
        query_id = f"cb-{next(_callback_ids)}"
        self.fake.register_callback_query(query_id)
        query = {
            "id": query_id,
            "from": self._user(),
            "chat_instance": f"ci-{self.user_id}",
            "data": data,
            "message": {
                "message_id": target.message_id,
                "date": target.date,
                "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
                "from": {"id": self.fake.bot_id, "is_bot": True, "first_name": self.fake.bot_first_name},
                "text": target.text or "",
            },
        }
        await self._process({"callback_query": query})
        answer = self.fake.answered_callbacks.get(query_id)
        assert answer is not None, f"the bot did not answer the callback query {data!r}"
        text = answer.get("text")
        return str(text) if text is not None else None

    # What the rep sees

    @property
    def messages(self) -> list[SentMessage]:
        return [message for message in self.fake.messages(self.user_id) if not message.deleted]

    @property
    def last(self) -> SentMessage:
        return self.fake.last_message(self.user_id)

    @property
    def last_text(self) -> str:
        """The newest text the rep can read (files and pictures skipped)."""
        for message in reversed(self.messages):
            if message.text:
                return message.text
        return ""

    @property
    def last_with_buttons(self) -> SentMessage:
        for message in reversed(self.messages):
            if message.reply_markup and message.reply_markup.get("inline_keyboard"):
                return message
        raise AssertionError("no message with buttons in the chat")

    @property
    def button_labels(self) -> list[str]:
        """The labels of the newest message's buttons (empty when it has none)."""
        return (
            [text for row in self.fake.buttons(self.last) for text, _ in row]
            if self.last.reply_markup
            else []
        )

    def button_data(self, label: str) -> str:
        for row in self.fake.buttons(self.last_with_buttons):
            for text, data in row:
                if text == label and data is not None:
                    return data
        raise AssertionError(f"no button {label!r}")

    # Plumbing

    def _user(self) -> dict[str, Any]:
        return user_json(self.user_id, self.first_name, self.language_code, self.username)

    def _message(self) -> dict[str, Any]:
        return {
            "message_id": self.fake.register_user_message(self.user_id),
            "date": int(self.clock().timestamp()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": self._user(),
        }

    async def _process(self, payload: dict[str, Any]) -> None:
        payload["update_id"] = next(_update_ids)
        await self.app.process_update(Update.de_json(payload, self.app.bot))


_update_ids = itertools.count(1)
