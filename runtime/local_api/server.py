"""A Telegram Bot API server in memory, for one bot and its private chats: what `python main.py try`
runs the real bot against, and what the test suite's fake (tests/fake_bot_api.py) is built on.

PTB sends its real HTTP requests into it through an httpx transport (`request()`), so everything
python-telegram-bot does on the wire (URL building, form and multipart encoding, JSON decoding, mapping
error codes to exceptions) is exercised without a network. It answers the way Telegram does, with
Telegram's own status codes and descriptions: the formatting rules are in formatting.py, the keyboards',
commands' and webhook's in validation.py; every refusal it makes on its own account is kept in
`rejections`.

The user's side (what a Telegram app would send: messages, presses, files) is queued as updates for
getUpdates with `queue_update`, after `register_user_message`, `register_callback_query` or
`register_user_file`; `watch` is told of every change to a chat (a message sent, edited or deleted, a
press answered), which is how the chat page learns of them.

Not modelled: groups and channels (only private chats exist), the ``entities`` parameter (kept but not
checked), ``reply_to_message`` in returned messages, automatic entities (URLs, mentions), and methods
beyond the ones in ``LocalBotAPI._handlers`` (they answer 404).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import math
import re
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx
from telegram.request import HTTPXRequest

from runtime.local_api.formatting import TextEntity, optional_str, validate_caption, validate_message_text
from runtime.local_api.refusals import BotApiRefusal, bad_request, blocked_by_user, too_many_requests
from runtime.local_api.validation import (
    CHAT_ACTIONS,
    command_scope_key,
    validate_bot_commands,
    validate_callback_answer_text,
    validate_reply_markup,
    validate_webhook_secret,
    validate_webhook_url,
)
from runtime.local_api.wire import UploadedFile, decode_request

JsonDict = dict[str, Any]

DOCUMENT_MAX_BYTES = 50 * 1024 * 1024
# Telegram lets bots delete messages for everyone only while they are younger than 48 hours.
DELETE_WINDOW_SECONDS = 48 * 3600


class Rejection(NamedTuple):
    """An error answer the fake gave on its own account (not a deliberately injected fault)."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str


@dataclass(slots=True)
class SentMessage:
    """A message the bot sent, as it currently stands in the chat."""

    message_id: int
    chat_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None
    edited_count: int = 0
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    caption: str | None = None
    date: int = 0
    edit_date: int | None = None
    raw_text: str | None = None  # text or caption exactly as the bot sent it (with HTML tags)
    entities: tuple[TextEntity, ...] = ()  # of the text, or of the caption for media
    deleted: bool = False
    file_id: str | None = None  # of the document or photo, reusable in a later send


# ---------------------------------------------------------------------------------------------
# Behaviour switches
# ---------------------------------------------------------------------------------------------


class _SlidingWindowRateLimiter:
    """Telegram-like flood control on message-sending methods: a one-second sliding window,
    overall and per chat. A refused request does not use up any quota."""

    def __init__(self, global_per_second: int, per_chat_per_second: int, clock: Callable[[], float]) -> None:
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.clock = clock
        self._global: collections.deque[float] = collections.deque()
        self._per_chat: dict[int, collections.deque[float]] = collections.defaultdict(collections.deque)

    def admit(self, chat_id: int) -> int | None:
        """Record a send and return None, or return the retry_after Telegram would give."""
        now = self.clock()
        chat_window = self._per_chat[chat_id]
        for window in (self._global, chat_window):
            while window and window[0] <= now - 1.0:
                window.popleft()
        for window, limit in (
            (self._global, self.global_per_second),
            (chat_window, self.per_chat_per_second),
        ):
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + 1.0 - now))
        self._global.append(now)
        chat_window.append(now)
        return None


@dataclass(slots=True)
class _Ok:
    """A successful result that also carries a description (setWebhook, deleteWebhook)."""

    result: Any
    description: str


class _InProcessTransport(httpx.AsyncBaseTransport):
    """Routes every request PTB's httpx client makes into the local Bot API, without a network."""

    def __init__(self, api: LocalBotAPI) -> None:
        self._api = api

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._api.handle(request)


_RATE_LIMITED_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------


class LocalBotAPI:
    """A Telegram Bot API server in memory for one bot and its private chats."""

    def __init__(
        self,
        token: str,
        bot_id: int | None = None,
        bot_username: str = "prospect_bot",
        *,
        bot_first_name: str = "Prospect",
        strict: bool = True,
        known_chats_only: bool = True,
        count_utf16_units: bool = False,
        wall_clock: Callable[[], float] = time.time,
        long_poll_wait: float = 0.05,
    ) -> None:
        """Create the fake.

        strict: add the checks described in the module docstring.
        known_chats_only: only chats made known with register_chat / register_user_message
            exist; Telegram answers "chat not found" for users who never wrote to the bot.
        count_utf16_units: count the 4096 / 1024 limits in UTF-16 code units instead of the
            code points TDLib counts (stricter for emoji).
        wall_clock: gives the ``date`` of messages.
        long_poll_wait: how long an empty getUpdates waits, so polling loops do not spin.
        """
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(token.partition(":")[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict = strict
        self.known_chats_only = known_chats_only
        self.count_utf16_units = count_utf16_units
        self.wall_clock = wall_clock
        self.long_poll_wait = long_poll_wait

        self.rejections: list[Rejection] = []
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self.blocked_users: set[int] = set()
        self.too_many_requests = 0
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.chat_actions: list[tuple[int, str]] = []

        self._chats: dict[int, JsonDict] = {}
        self._messages: dict[int, dict[int, SentMessage]] = collections.defaultdict(dict)
        self._user_messages: dict[int, set[int]] = collections.defaultdict(set)
        self._last_message_id: dict[int, int] = collections.defaultdict(int)
        # Callback queries not yet answered, and the chat each was pressed in (when the harness said).
        self._pending_callbacks: dict[str, int | None] = {}
        self._queued_event: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._watchers: list[Callable[[int], None]] = []
        # The reply keyboard each chat shows under its input field, until a message removes it.
        self._reply_keyboards: dict[int, JsonDict] = {}
        self._files: dict[str, UploadedFile] = {}
        self._file_counter = itertools.count(1)
        self._updates: list[JsonDict] = []
        self._update_counter = itertools.count(1)
        self._rate_limiter: _SlidingWindowRateLimiter | None = None
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "sendChatAction": self._send_chat_action,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "getUpdates": self._get_updates,
                "getFile": self._get_file,
            }.items()
        }

    # -- wiring ----------------------------------------------------------------------------

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that sends requests into this fake."""
        return _InProcessTransport(self)

    def request(self, **kwargs: Any) -> HTTPXRequest:
        """A fresh PTB request object wired to the fake (PTB wants one for getUpdates and
        another for everything else)."""
        return HTTPXRequest(httpx_kwargs={"transport": self.transport()}, **kwargs)

    # -- the test harness's side of the chat -------------------------------------------------

    def register_chat(self, chat_id: int, *, first_name: str = "Rep", username: str | None = None) -> None:
        """Make a private chat known (the user has started the bot)."""
        chat: JsonDict = {"id": chat_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
        self._chats[chat_id] = chat

    def register_user_message(self, chat_id: int) -> int:
        """Reserve a message id for a message the user sends, in the chat's one sequence."""
        if chat_id not in self._chats:
            self.register_chat(chat_id)
        message_id = self._next_message_id(chat_id)
        self._user_messages[chat_id].add(message_id)
        return message_id

    def register_callback_query(self, callback_query_id: str, chat_id: int | None = None) -> None:
        """Announce a callback query the harness is about to deliver (pressed in `chat_id`); it can be
        answered once."""
        self._pending_callbacks[callback_query_id] = chat_id

    def watch(self, on_change: Callable[[int], None]) -> None:
        """Call `on_change(chat_id)` whenever the bot changes what a chat shows: a message sent, edited or
        deleted, or a press in it answered."""
        self._watchers.append(on_change)

    def _changed(self, chat_id: int | None) -> None:
        if chat_id is not None:
            for on_change in self._watchers:
                on_change(chat_id)

    def queue_update(self, update: JsonDict) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_counter))
        self._updates.append(update)
        if self._queued_event is not None:
            self._queued_event[1].set()
        return int(update["update_id"])

    # -- behaviour switches --------------------------------------------------------------------

    def rate_limit(
        self,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Answer 429 like Telegram's flood control when sendMessage / sendDocument / sendPhoto
        go faster than the limits (a one-second sliding window on ``clock``)."""
        self._rate_limiter = _SlidingWindowRateLimiter(global_per_second, per_chat_per_second, clock)

    # -- convenience for assertions ------------------------------------------------------------

    def messages(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in a chat, oldest first, without deleted ones."""
        return [message for message in self._messages[chat_id].values() if not message.deleted]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """One of the bot's messages (deleted ones included)."""
        try:
            return self._messages[chat_id][message_id]
        except KeyError:
            raise AssertionError(f"the bot sent no message {message_id} in chat {chat_id}") from None

    def last_message(self, chat_id: int) -> SentMessage:
        """The bot's latest message in a chat."""
        messages = self.messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {chat_id}")
        return messages[-1]

    def file(self, file_id: str) -> UploadedFile | None:
        """A file the bot sent or a user uploaded, by its file_id."""
        return self._files.get(file_id)

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        """The reply keyboard the chat shows (``keyboard`` and its flags), if a message set one."""
        return self._reply_keyboards.get(chat_id)

    def reply_keyboard_used(self, chat_id: int) -> None:
        """The user tapped a button of a one-time keyboard: the app hides it."""
        keyboard = self._reply_keyboards.get(chat_id)
        if keyboard is not None and keyboard.get("one_time_keyboard") is True:
            del self._reply_keyboards[chat_id]
            self._changed(chat_id)

    def _keep_reply_keyboard(self, chat_id: int, markup: object) -> None:
        """A sent message's reply keyboard replaces the chat's; remove_keyboard takes it away (an inline
        keyboard leaves it as it is). The markup was validated already."""
        if not isinstance(markup, dict):
            return
        if "keyboard" in markup:
            self._reply_keyboards[chat_id] = dict(markup)
        elif markup.get("remove_keyboard") is True:
            self._reply_keyboards.pop(chat_id, None)

    def has_user_message(self, chat_id: int, message_id: int) -> bool:
        """Whether a message the user sent is still in the chat (the bot may delete it)."""
        return message_id in self._user_messages[chat_id]

    def menu_commands(self, language_code: str | None) -> list[dict[str, str]]:
        """The command menu a user with this app language sees in a private chat, as Telegram picks it:
        the list set for the language, else the default one."""
        default = command_scope_key(None, None)[0]
        language = (language_code or "")[:2].lower()
        return self.commands.get((default, language)) or self.commands.get((default, ""), [])

    @staticmethod
    def buttons(message: SentMessage) -> list[list[tuple[str, str | None]]]:
        """The inline keyboard as rows of (text, callback_data); url buttons have None."""
        if message.reply_markup is None:
            return []
        return [
            [(button["text"], button.get("callback_data")) for button in row]
            for row in message.reply_markup["inline_keyboard"]
        ]

    # -- HTTP -----------------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one HTTP request as the Bot API would (the transport calls this)."""
        if request.method == "GET" and f"/file/bot{self.token}/" in request.url.path:
            return self._download(request.url.path)
        *prefix, method_name = request.url.path.split("/")
        canonical, handler = self._handlers.get(method_name.lower(), (method_name, None))
        try:
            params = await decode_request(request)
        except BotApiRefusal as refusal:
            return self._refuse(canonical, {}, refusal)
        return await self._answer(
            request, canonical, params, lambda: self._dispatch(canonical, handler, params, prefix)
        )

    async def _answer(
        self,
        request: httpx.Request,
        method: str,
        params: dict[str, Any],
        carry_out: Callable[[], Awaitable[httpx.Response]],
    ) -> httpx.Response:
        """Carry out one decoded request; the test suite's fake wraps this to record requests and
        inject faults."""
        return await carry_out()

    async def _dispatch(
        self, method: str, handler: Handler | None, params: dict[str, Any], path_prefix: list[str]
    ) -> httpx.Response:
        if not any(segment.endswith(self.token) for segment in path_prefix):
            # Telegram: 401 for a token of the right shape that it does not know, 404 otherwise.
            if any(re.search(r"\d+:[A-Za-z0-9_-]+$", segment) for segment in path_prefix):
                return self._refuse(
                    method, params, BotApiRefusal(401, "Unauthorized: invalid token specified")
                )
            return self._refuse(method, params, BotApiRefusal(404, "Not Found"))
        if handler is None:
            return self._refuse(method, params, BotApiRefusal(404, "Not Found"))
        try:
            result = await handler(params)
        except BotApiRefusal as refusal:
            return self._refuse(method, params, refusal)
        if isinstance(result, _Ok):
            return self._answer_json(
                200, {"ok": True, "result": result.result, "description": result.description}
            )
        return self._answer_json(200, {"ok": True, "result": result})

    def _refuse(self, method: str, params: dict[str, Any], refusal: BotApiRefusal) -> httpx.Response:
        if refusal.error_code == 429:
            self.too_many_requests += 1
        elif not refusal.deliberate:
            self.rejections.append(Rejection(method, params, refusal.error_code, refusal.description))
            chat_id = params.get("chat_id")
            self._changed(chat_id if isinstance(chat_id, int) else None)
        return self._answer_error(refusal)

    def _answer_error(self, refusal: BotApiRefusal) -> httpx.Response:
        return self._answer_json(refusal.error_code, refusal.to_json())

    @staticmethod
    def _answer_json(status: int, body: JsonDict) -> httpx.Response:
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return httpx.Response(status, content=content, headers={"content-type": "application/json"})

    # -- shared pieces of the methods --------------------------------------------------------

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] += 1
        return self._last_message_id[chat_id]

    def _bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat_id(self, params: dict[str, Any]) -> int:
        """The target chat: it must exist (the fake only has private chats with users)."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if not isinstance(raw, int) or raw <= 0:
            raise bad_request("chat not found")
        if raw not in self._chats:
            if self.known_chats_only:
                raise bad_request("chat not found")
            self.register_chat(raw)
        return raw

    def _check_reachable(self, chat_id: int) -> None:
        if chat_id in self.blocked_users:
            raise blocked_by_user()

    def _check_reply_target(self, chat_id: int, params: dict[str, Any]) -> None:
        """A reply must quote a message that still exists, unless the bot allowed sending
        without it (PTB 22 sends reply_parameters; older clients reply_to_message_id)."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target, allow_without = reply.get("message_id"), reply.get("allow_sending_without_reply")
        else:
            target, allow_without = (
                params.get("reply_to_message_id"),
                params.get("allow_sending_without_reply"),
            )
        if target is None or allow_without is True:
            return
        message = self._messages[chat_id].get(target) if isinstance(target, int) else None
        exists = (message is not None and not message.deleted) or target in self._user_messages[chat_id]
        if not exists:
            raise bad_request("message to be replied not found")

    def _check_flood_control(self, method: str, chat_id: int) -> None:
        if self._rate_limiter is None or method not in _RATE_LIMITED_METHODS:
            return
        retry_after = self._rate_limiter.admit(chat_id)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def _message_id(self, params: dict[str, Any]) -> int:
        if "inline_message_id" in params:
            raise bad_request("invalid inline message identifier specified")  # not modelled
        raw = params.get("message_id")
        if raw is None or raw == "":
            raise bad_request("message identifier is not specified")
        if not isinstance(raw, int):
            raise bad_request("invalid message identifier specified")
        return raw

    def _markup(self, params: dict[str, Any], *, inline_only: bool) -> JsonDict | None:
        if "reply_markup" not in params:
            return None
        markup = params["reply_markup"]
        if isinstance(markup, str):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return validate_reply_markup(markup, inline_only=inline_only, strict=self.strict)

    def register_user_file(self, content: bytes, filename: str, mime_type: str = "text/csv") -> JsonDict:
        """A file the user sends (a document): its Document object, to put in a message update."""
        file_id = self._store_file(UploadedFile(filename, content, mime_type))
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }

    def register_user_photo(self, content: bytes, filename: str = "photo.jpg") -> list[JsonDict]:
        """A photo the user sends: its PhotoSize list, to put in a message update. Raises BotApiRefusal
        for what Telegram's apps could not send as a photo."""
        _validate_photo(content)
        file_id = self._store_file(UploadedFile(filename, content, None))
        width, height = _image_size(content)
        return [
            {
                "file_id": file_id,
                "file_unique_id": file_id[-12:],
                "width": width,
                "height": height,
                "file_size": len(content),
            }
        ]

    async def _get_file(self, params: dict[str, Any]) -> JsonDict:
        file_id = params.get("file_id")
        if not isinstance(file_id, str) or file_id not in self._files:
            raise bad_request("invalid file_id")
        upload = self._files[file_id]
        # Bots may download files of up to 20 MB.
        if len(upload.content) > 20 * 1024 * 1024:
            raise bad_request("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "file_size": len(upload.content),
            "file_path": f"documents/{file_id}",
        }

    def _download(self, path: str) -> httpx.Response:
        """GET <base_file_url><token>/<file_path>: the file's bytes, as Telegram's file server sends them."""
        _, _, rest = path.partition(f"/file/bot{self.token}/")
        upload = self._files.get(rest.removeprefix("documents/"))
        if upload is None:
            return httpx.Response(404, content=b"Not Found")
        return httpx.Response(200, content=upload.content)

    def _store_file(self, upload: UploadedFile) -> str:
        file_id = f"BQACAgIAAxkD-fake-{next(self._file_counter)}"
        self._files[file_id] = upload
        return file_id

    def _upload(self, params: dict[str, Any], field_name: str) -> UploadedFile:
        """A file parameter: a multipart upload, or the file_id of a file sent earlier."""
        value = params.get(field_name)
        if isinstance(value, UploadedFile):
            if not value.content:
                raise bad_request("file must be non-empty")
            if len(value.content) > DOCUMENT_MAX_BYTES:
                raise BotApiRefusal(413, "Request Entity Too Large")
            return value
        if value is None or value == "":
            raise bad_request(f"there is no {field_name} in the request")
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _message_json(self, message: SentMessage) -> JsonDict:
        body: JsonDict = {
            "message_id": message.message_id,
            "from": self._bot_user(),
            "chat": self._chats[message.chat_id],
            "date": message.date,
        }
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        entities = [entity.to_json() for entity in message.entities]
        if message.text is not None:
            body["text"] = message.text
            if entities:
                body["entities"] = entities
        file_id = message.file_id or ""
        unique_id = file_id.replace("BQACAgIAAxkD", "AgAD")
        if message.document is not None:
            body["document"] = {
                "file_name": message.document[0],
                "file_id": file_id,
                "file_unique_id": unique_id,
                "file_size": len(message.document[1]),
            }
        if message.photo is not None:
            width, height = _image_size(message.photo)
            body["photo"] = [
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(message.photo),
                }
            ]
        if message.caption is not None:
            body["caption"] = message.caption
            if entities:
                body["caption_entities"] = entities
        if message.reply_markup is not None:
            body["reply_markup"] = message.reply_markup
        return body

    def _new_message(self, chat_id: int, **fields: Any) -> SentMessage:
        message = SentMessage(
            message_id=self._next_message_id(chat_id), chat_id=chat_id, date=int(self.wall_clock()), **fields
        )
        self._messages[chat_id][message.message_id] = message
        self._changed(chat_id)
        return message

    def _editable_message(self, chat_id: int, message_id: int) -> SentMessage:
        message = self._messages[chat_id].get(message_id)
        if message is None or message.deleted:
            if message_id in self._user_messages[chat_id]:
                raise bad_request("message can't be edited")  # bots edit only their own messages
            raise bad_request("message to edit not found")
        return message

    # -- the methods --------------------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        markup = self._markup(params, inline_only=False)
        formatted = validate_message_text(
            params.get("text"),
            params.get("parse_mode"),
            is_edit=False,
            strict=self.strict,
            utf16=self.count_utf16_units,
        )
        self._check_reply_target(chat_id, params)
        self._check_reachable(chat_id)
        self._check_flood_control("sendMessage", chat_id)
        message = self._new_message(
            chat_id,
            text=formatted.text,
            parse_mode=optional_str(params.get("parse_mode")),
            reply_markup=markup,
            raw_text=str(params["text"]),
            entities=formatted.entities,
        )
        self._keep_reply_keyboard(chat_id, params.get("reply_markup"))
        return self._message_json(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        markup = self._markup(params, inline_only=True)
        text, parse_mode = params.get("text"), params.get("parse_mode")
        formatted = validate_message_text(
            text, parse_mode, is_edit=True, strict=self.strict, utf16=self.count_utf16_units
        )
        self._check_reachable(chat_id)
        message = self._editable_message(chat_id, message_id)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        # Telegram compares the visible text, its formatting and the keyboard; an edit without
        # reply_markup removes the keyboard, so "the same text and no markup" is a change.
        if (formatted.text, formatted.entities, markup) == (
            message.text,
            message.entities,
            message.reply_markup,
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        message.text, message.entities, message.raw_text = formatted.text, formatted.entities, str(text)
        message.parse_mode, message.reply_markup = optional_str(parse_mode), markup
        message.edited_count += 1
        message.edit_date = int(self.wall_clock())
        self._changed(chat_id)
        return self._message_json(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        markup = self._markup(params, inline_only=True)
        self._check_reachable(chat_id)
        message = self._editable_message(chat_id, message_id)
        if markup == message.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        message.reply_markup = markup
        message.edited_count += 1
        message.edit_date = int(self.wall_clock())
        self._changed(chat_id)
        return self._message_json(message)

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        if message_id in self._user_messages[chat_id]:
            # Bots may delete incoming messages in private chats.
            self._user_messages[chat_id].discard(message_id)
            self._changed(chat_id)
            return True
        message = self._messages[chat_id].get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if self.wall_clock() - message.date > DELETE_WINDOW_SECONDS:
            raise bad_request("message can't be deleted for everyone")
        message.deleted = True
        self._changed(chat_id)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = params.get("callback_query_id")
        validate_callback_answer_text(params.get("text"))
        if not isinstance(query_id, str) or query_id not in self._pending_callbacks:
            # Unknown, already answered, or too old: Telegram cannot tell them apart either.
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        chat_id = self._pending_callbacks.pop(query_id)
        self.answered_callbacks[query_id] = dict(params)
        self._changed(chat_id)
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        commands = validate_bot_commands(params.get("commands"))
        key = command_scope_key(params.get("scope"), params.get("language_code"))
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)  # an empty list is the same as deleteMyCommands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> Any:
        key = command_scope_key(params.get("scope"), params.get("language_code"))
        return self.commands.get(key, [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(command_scope_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def _send_media(self, params: dict[str, Any], method: str, field_name: str) -> SentMessage:
        chat_id = self._chat_id(params)
        markup = self._markup(params, inline_only=False)
        upload = self._upload(params, field_name)
        if field_name == "photo":
            _validate_photo(upload.content)
        caption = validate_caption(
            params.get("caption"), params.get("parse_mode"), strict=self.strict, utf16=self.count_utf16_units
        )
        self._check_reply_target(chat_id, params)
        self._check_reachable(chat_id)
        self._check_flood_control(method, chat_id)
        self._keep_reply_keyboard(chat_id, params.get("reply_markup"))
        return self._new_message(
            chat_id,
            text=None,
            parse_mode=optional_str(params.get("parse_mode")),
            reply_markup=markup,
            document=(upload.filename, upload.content) if field_name == "document" else None,
            photo=upload.content if field_name == "photo" else None,
            caption=caption.text if caption else None,
            raw_text=optional_str(params.get("caption")),
            entities=caption.entities if caption else (),
            file_id=self._store_file(upload),
        )

    async def _send_document(self, params: dict[str, Any]) -> Any:
        return self._message_json(await self._send_media(params, "sendDocument", "document"))

    async def _send_photo(self, params: dict[str, Any]) -> Any:
        return self._message_json(await self._send_media(params, "sendPhoto", "photo"))

    async def _send_chat_action(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        action = params.get("action")
        if action is None or action == "":
            raise bad_request("action is empty")  # hypothetical wording; PTB always sends one
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._check_reachable(chat_id)
        self.chat_actions.append((chat_id, str(action)))
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url", ""))
        validate_webhook_url(url)
        validate_webhook_secret(params.get("secret_token"))
        if url == "":
            return await self._delete_webhook(params)
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        self.webhook_url = url
        self.webhook_secret = optional_str(params.get("secret_token")) or None
        return _Ok(True, "Webhook was set")

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        was_set = bool(self.webhook_url)
        self.webhook_url, self.webhook_secret = "", None
        return _Ok(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        info: JsonDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
        return info

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url:
            raise BotApiRefusal(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            # Asking for offset N confirms every update before N: Telegram forgets them.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = params.get("limit")
        batch = self._updates[: limit if isinstance(limit, int) and 0 < limit <= 100 else 100]
        timeout = params.get("timeout")
        if not batch and isinstance(timeout, int) and timeout > 0:
            # Telegram holds the request open and answers as soon as an update arrives.
            queued = self._update_queued()
            queued.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queued.wait(), min(timeout, self.long_poll_wait))
            batch = self._updates[: limit if isinstance(limit, int) and 0 < limit <= 100 else 100]
        return batch

    def _update_queued(self) -> asyncio.Event:
        """Set when an update is queued; one per event loop (a test or a benchmark may run several)."""
        loop = asyncio.get_running_loop()
        if self._queued_event is None or self._queued_event[0] is not loop:
            self._queued_event = (loop, asyncio.Event())
        return self._queued_event[1]


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height from a PNG header or a JPEG's frame header; other formats report 1x1."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content.startswith(b"\xff\xd8"):
        return _jpeg_size(content)
    return 1, 1


def _jpeg_size(content: bytes) -> tuple[int, int]:
    """Walk the JPEG's segments to the first start-of-frame marker, which holds the size."""
    position = 2
    while position + 9 <= len(content) and content[position] == 0xFF:
        marker = content[position + 1]
        (length,) = struct.unpack(">H", content[position + 2 : position + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", content[position + 5 : position + 9])
            return int(width), int(height)
        position += 2 + length
    return 1, 1


def _validate_photo(content: bytes) -> None:
    """sendPhoto needs an image Telegram can process, within its dimension limits."""
    if not content.startswith(_IMAGE_SIGNATURES) and not (
        content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    ):
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = _image_size(content)
    if width + height > 10000 or max(width, height) > 20 * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
