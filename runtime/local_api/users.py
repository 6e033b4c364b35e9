"""The users' side of the local Bot API: what their Telegram apps send (typed messages with their command
entity, button presses, shared contacts, documents, photos) queued as updates, and each chat as the app
shows it, the user's own messages and the bot's together."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from runtime.local_api.refusals import BotApiRefusal
from runtime.local_api.server import LocalBotAPI, SentMessage

JsonDict = dict[str, Any]

# What Telegram's apps send at most in one message (a longer text is split into several by the app).
USER_TEXT_MAX = 4096
# Telegram's apps mark a leading /command (with an optional @botname) as a bot_command entity, which is
# what PTB's CommandHandler looks for.
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?")
# How long a press waits for the bot's answer (Telegram's apps stop the spinner after about this long).
PRESS_ANSWER_SECONDS = 15.0


class UserInputError(ValueError):
    """Something a Telegram app would not let the user send; the message says what."""


@dataclass(frozen=True, slots=True)
class LocalUser:
    """A Telegram user the chat page plays: the id, name and app language the bot sees."""

    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str

    def to_json(self) -> JsonDict:
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        user["language_code"] = self.language_code
        return user

    def chat_json(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(slots=True)
class UserMessage:
    """A message the user sent, as their app shows it."""

    message_id: int
    date: int
    content: JsonDict = field(default_factory=dict)  # text, contact, document or photo, as in the update


class UserApps:
    """The Telegram apps of a few users, over one local Bot API."""

    def __init__(self, api: LocalBotAPI, users: Iterable[LocalUser]) -> None:
        self.api = api
        self.users = {user.id: user for user in users}
        self._sent: dict[int, dict[int, UserMessage]] = {user_id: {} for user_id in self.users}
        self._query_ids = itertools.count(1)
        # A change anywhere bumps `_version`; each chat keeps the version of its own latest change, and
        # whoever waits for one chat wakes on any change and looks again.
        self._version = 0
        self._chat_versions: dict[int, int] = dict.fromkeys(self.users, 0)
        self._change: asyncio.Event | None = None
        self._closed = False
        for user in self.users.values():
            api.register_chat(user.id, first_name=user.first_name, username=user.username)
        api.watch(self._changed)

    def user(self, user_id: int) -> LocalUser:
        try:
            return self.users[user_id]
        except KeyError:
            raise UserInputError(f"no user {user_id} on this page") from None

    # -- what the users do -----------------------------------------------------------------------

    def send_text(self, user_id: int, text: str) -> None:
        """A typed message; a leading /command is marked as Telegram's apps mark it."""
        if not text.strip():
            raise UserInputError("an empty message cannot be sent")
        if len(text) > USER_TEXT_MAX:
            raise UserInputError(f"a message holds at most {USER_TEXT_MAX} characters")
        content: JsonDict = {"text": text}
        command = _COMMAND.match(text)
        if command:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        self._send(user_id, content)

    def share_contact(self, user_id: int, *, phone: str, first_name: str, last_name: str = "") -> None:
        """A contact shared from the phone's address book (nothing in it is verified, as in Telegram)."""
        if not phone.strip() or not first_name.strip():
            raise UserInputError("a shared contact needs a phone number and a first name")
        contact: JsonDict = {"phone_number": phone.strip(), "first_name": first_name.strip()}
        if last_name.strip():
            contact["last_name"] = last_name.strip()
        self._send(user_id, {"contact": contact})

    def share_location(self, user_id: int, *, latitude: float, longitude: float) -> None:
        """A location, as a request_location button makes the app send it."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise UserInputError("a location is a latitude within ±90 and a longitude within ±180")
        self._send(user_id, {"location": {"latitude": latitude, "longitude": longitude}})
        self.api.reply_keyboard_used(user_id)

    def tap_reply_button(self, user_id: int, text: str) -> None:
        """Tap a text button of the chat's reply keyboard: the app sends its text as a message."""
        keyboard = self.api.reply_keyboard(self.user(user_id).id)
        rows = keyboard.get("keyboard", []) if keyboard else []
        labels = [button if isinstance(button, str) else button.get("text") for row in rows for button in row]
        if text not in labels:
            raise UserInputError("the chat shows no such button (any more)")
        self.send_text(user_id, text)
        self.api.reply_keyboard_used(user_id)

    def send_document(self, user_id: int, *, filename: str, content: bytes, mime_type: str | None) -> None:
        """A file sent as a document (a CSV to import, say)."""
        if not content:
            raise UserInputError("the file is empty")
        document = self.api.register_user_file(content, filename or "file", mime_type or _mime_of(filename))
        self._send(user_id, {"document": document})

    def send_photo(self, user_id: int, *, filename: str, content: bytes) -> None:
        """A picture sent as a photo."""
        try:
            sizes = self.api.register_user_photo(content, filename or "photo.jpg")
        except BotApiRefusal:
            raise UserInputError("the file is not a picture Telegram can send as a photo") from None
        self._send(user_id, {"photo": sizes})

    async def press(self, user_id: int, message_id: int, data: str) -> JsonDict | None:
        """Tap a button carrying `data` on one of the bot's messages; the bot's answer (its text and
        whether it is an alert) once it came, None if it never did."""
        user = self.user(user_id)
        message = self._bot_message(user_id, message_id)
        if not any(button.get("callback_data") == data for row in _rows(message) for button in row):
            raise UserInputError("that message has no such button (any more)")
        query_id = f"local-{user_id}-{next(self._query_ids)}"
        self.api.register_callback_query(query_id, user_id)
        shown: JsonDict = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": user.chat_json(),
            "from": {"id": self.api.bot_id, "is_bot": True, "first_name": self.api.bot_first_name},
        }
        if message.text is not None:
            shown["text"] = message.text
        if message.caption is not None:
            shown["caption"] = message.caption
        # Telegram sends the message as it stands: its buttons, and when it was last edited.
        if message.reply_markup:
            shown["reply_markup"] = message.reply_markup
        if message.edit_date:
            shown["edit_date"] = message.edit_date
        self.api.queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_json(),
                    "chat_instance": f"local-{user_id}",
                    "data": data,
                    "message": shown,
                }
            }
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PRESS_ANSWER_SECONDS
        while query_id not in self.api.answered_callbacks:
            left = deadline - loop.time()
            if left <= 0 or self._closed:
                return None
            await self._next_change(left)
        answer = self.api.answered_callbacks[query_id]
        text = answer.get("text")
        return {"text": str(text) if text else "", "alert": answer.get("show_alert") is True}

    # -- what the users see ----------------------------------------------------------------------

    def version(self, user_id: int) -> int:
        """Grows with every change to the user's chat."""
        return self._chat_versions[self.user(user_id).id]

    async def wait_for_change(self, user_id: int, after: int, within: float) -> int:
        """The chat's version, once it is past `after` (or `within` seconds passed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.version(user_id) <= after and not self._closed:
            left = deadline - loop.time()
            if left <= 0:
                break
            await self._next_change(left)
        return self.version(user_id)

    def timeline(self, user_id: int) -> list[tuple[str, UserMessage | SentMessage]]:
        """The chat as the user's app shows it, oldest first: ("user", message) or ("bot", message)."""
        self.user(user_id)
        mine: list[tuple[int, tuple[str, UserMessage | SentMessage]]] = [
            (message.message_id, ("user", message))
            for message in self._sent[user_id].values()
            if self.api.has_user_message(user_id, message.message_id)
        ]
        theirs: list[tuple[int, tuple[str, UserMessage | SentMessage]]] = [
            (message.message_id, ("bot", message)) for message in self.api.messages(user_id)
        ]
        return [entry for _, entry in sorted(mine + theirs, key=lambda pair: pair[0])]

    def close(self) -> None:
        """Answer every wait at once: the page is closing (its server waits for requests in flight)."""
        self._closed = True
        if self._change is not None:
            self._change.set()
            self._change = None

    # -- plumbing --------------------------------------------------------------------------------

    def _send(self, user_id: int, content: JsonDict) -> None:
        user = self.user(user_id)
        message_id = self.api.register_user_message(user_id)
        date = int(self.api.wall_clock())
        self._sent[user_id][message_id] = UserMessage(message_id, date, content)
        self.api.queue_update(
            {
                "message": {
                    "message_id": message_id,
                    "date": date,
                    "chat": user.chat_json(),
                    "from": user.to_json(),
                    **content,
                }
            }
        )
        self._changed(user_id)

    def _bot_message(self, user_id: int, message_id: int) -> SentMessage:
        for message in self.api.messages(user_id):
            if message.message_id == message_id:
                return message
        raise UserInputError("that message is not in the chat")

    def _changed(self, chat_id: int) -> None:
        if chat_id not in self._chat_versions:
            return
        self._version += 1
        self._chat_versions[chat_id] = self._version
        if self._change is not None:
            self._change.set()
            self._change = None

    async def _next_change(self, within: float) -> None:
        if self._change is None:
            self._change = asyncio.Event()
        change = self._change
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(change.wait(), within)


def _rows(message: SentMessage) -> list[list[JsonDict]]:
    if message.reply_markup is None:
        return []
    rows: list[list[JsonDict]] = message.reply_markup.get("inline_keyboard", [])
    return rows


def _mime_of(filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        return "text/csv"
    if lowered.endswith((".vcf", ".vcard")):
        return "text/vcard"
    return "application/octet-stream"
