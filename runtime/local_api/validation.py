"""What the Bot API checks in keyboards, button data, commands, callback answers and webhook settings,
with Telegram's own error descriptions."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from runtime.local_api.refusals import bad_request, strict_refusal

JsonDict = dict[str, Any]

CALLBACK_DATA_MAX_BYTES = 64
CALLBACK_ANSWER_TEXT_MAX = 200
INLINE_KEYBOARD_BUTTONS_MAX = 100
BOT_COMMANDS_MAX = 100
BOT_COMMAND_DESCRIPTION_MAX = 256
WEBHOOK_SECRET_MAX = 256
COPY_TEXT_MAX = 256


# ---------------------------------------------------------------------------------------------
# Keyboards
# ---------------------------------------------------------------------------------------------

# The inline button actions of Bot API 9.x; the Bot API uses the first one it finds.
_INLINE_BUTTON_ACTIONS = (
    "url",
    "login_url",
    "callback_data",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_REPLY_KEYBOARD_FLAGS = ("resize_keyboard", "one_time_keyboard", "selective", "is_persistent")


def validate_callback_data(data: object) -> None:
    """callback_data is 1-64 bytes of UTF-8 (bytes, not characters: "é" counts twice)."""
    if not isinstance(data, str):
        raise bad_request('can\'t parse inline keyboard button: Field "callback_data" must be of type String')
    if len(data.encode("utf-8")) > CALLBACK_DATA_MAX_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")


def validate_button_url(url: object, *, where: str = "inline keyboard button") -> None:
    """A button URL: http(s), tg or ton; a bare domain is taken as http://."""
    if not isinstance(url, str):
        raise bad_request(f'can\'t parse {where}: Field "url" must be of type String')
    if any(char.isspace() or ord(char) < 0x20 for char in url):
        # Telegram's URL parser stops at a space or a control character: the text of a link (a drafted
        # message in a wa.me link) must be percent-encoded.
        raise bad_request(f"{where} URL '{url}' is invalid: Wrong HTTP URL")
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", url)
    if scheme is None:
        host = re.split(r"[/?#]", url, maxsplit=1)[0]
        if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(:\d+)?", host):
            raise bad_request(f"{where} URL '{url}' is invalid: Wrong HTTP URL")
        return
    protocol, rest = scheme.group(1).lower(), scheme.group(2)
    if protocol in ("tg", "ton"):
        return
    if protocol not in ("http", "https"):
        raise bad_request(f"{where} URL '{url}' is invalid: Unsupported URL protocol")
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    if not host.split(":")[0]:
        raise bad_request(f"{where} URL '{url}' is invalid: URL host is empty")


def validate_inline_button(button: object, *, strict: bool) -> None:
    """One InlineKeyboardButton: a non-empty text and an action."""
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    # An empty callback_data counts as no action at all (checked against the live Bot API).
    actions = [
        name
        for name in _INLINE_BUTTON_ACTIONS
        if name in button and not (name == "callback_data" and button[name] == "")
    ]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if strict and len(actions) > 1:
        raise strict_refusal(f"inline keyboard button has several actions {actions}; Telegram would keep one")
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    action = actions[0]
    if action == "callback_data":
        validate_callback_data(button["callback_data"])
    elif action == "url":
        validate_button_url(button["url"])
    elif action in ("callback_game", "pay"):
        raise bad_request("BUTTON_TYPE_INVALID")  # only allowed in game and invoice messages
    elif action == "copy_text":
        copy = button["copy_text"]
        # CopyTextButton.text: 1-256 characters.
        if not isinstance(copy, dict) or not 1 <= len(str(copy.get("text", ""))) <= COPY_TEXT_MAX:
            raise bad_request("BUTTON_COPY_TEXT_INVALID")


def _validate_inline_keyboard(rows: object, *, strict: bool) -> JsonDict | None:
    """Validate ``inline_keyboard``; return the markup to store (None when it has no button)."""
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" must be of type Array')
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad_request('field "inline_keyboard" must be an Array of Arrays')
        if not row and strict:
            raise strict_refusal("inline keyboard has an empty row")
        for button in row:
            validate_inline_button(button, strict=strict)
        total += len(row)
    if total > INLINE_KEYBOARD_BUTTONS_MAX:
        raise bad_request("reply markup is too long")
    kept = [row for row in rows if row]
    # An empty inline keyboard is how a keyboard is removed: the message then has none.
    return {"inline_keyboard": kept} if kept else None


def _validate_bool_field(markup: JsonDict, name: str) -> None:
    if name in markup and not isinstance(markup[name], bool):
        raise bad_request(f'field "{name}" must be of type Boolean')


def _validate_reply_keyboard(markup: JsonDict) -> None:
    rows = markup["keyboard"]
    if not isinstance(rows, list):
        raise bad_request('field "keyboard" must be of type Array')
    for row in rows:
        if not isinstance(row, list):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        for button in row:
            if isinstance(button, dict) and "text" not in button:
                raise bad_request("can't parse keyboard button: Can't find field \"text\"")
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str):
                raise bad_request("can't parse keyboard button: KeyboardButton must be a String or an Object")
            if not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            if isinstance(button, dict) and "web_app" in button:
                url = button["web_app"].get("url") if isinstance(button["web_app"], dict) else None
                if not isinstance(url, str) or not url.lower().startswith("https://"):
                    raise bad_request(
                        f"keyboard button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
                    )
    for flag in _REPLY_KEYBOARD_FLAGS:
        _validate_bool_field(markup, flag)


def validate_reply_markup(markup: object, *, inline_only: bool, strict: bool) -> JsonDict | None:
    """reply_markup of a send or an edit; return what the message will carry (inline only)."""
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in markup:
        return _validate_inline_keyboard(markup["inline_keyboard"], strict=strict)
    if inline_only and markup.keys() & {"keyboard", "remove_keyboard", "force_reply"}:
        raise bad_request("inline keyboard expected")  # edits can only carry inline keyboards
    if "keyboard" in markup:
        _validate_reply_keyboard(markup)
    elif "remove_keyboard" in markup:
        _validate_bool_field(markup, "remove_keyboard")
    elif "force_reply" in markup:
        _validate_bool_field(markup, "force_reply")
    # Anything else, "{}" included, is no markup at all: the Bot API ignores unknown fields, and
    # PTB sends InlineKeyboardMarkup([]) as "{}" (the usual way to remove a keyboard in an edit).
    _validate_bool_field(markup, "selective")
    return None  # reply keyboards are not part of the Message object Telegram returns


# ---------------------------------------------------------------------------------------------
# Other validators
# ---------------------------------------------------------------------------------------------

_COMMAND_SCOPE_TYPES = frozenset(
    [
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    ]
)
CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)


def validate_callback_answer_text(text: object) -> None:
    """answerCallbackQuery text: at most 200 characters (the server answers MESSAGE_TOO_LONG)."""
    if text is not None and len(str(text)) > CALLBACK_ANSWER_TEXT_MAX:
        raise bad_request("MESSAGE_TOO_LONG")


def validate_bot_commands(commands: object) -> list[dict[str, str]]:
    """setMyCommands: at most 100 commands of [a-z0-9_]{1,32} with a 1-256 character description."""
    if not isinstance(commands, list):
        raise bad_request('field "commands" must be of type Array')
    if len(commands) > BOT_COMMANDS_MAX:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    result: list[dict[str, str]] = []
    for entry in commands:
        if not isinstance(entry, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        for name in ("command", "description"):
            if name not in entry:
                raise bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
            if not isinstance(entry[name], str):
                raise bad_request(f'can\'t parse BotCommand: Field "{name}" must be of type String')
        command = entry["command"].removeprefix("/")
        description = entry["description"]
        if not command:
            raise bad_request("command must be non-empty")
        if not description.strip():
            raise bad_request("command description must be non-empty")
        if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
            raise bad_request("BOT_COMMAND_INVALID")
        if len(description) > BOT_COMMAND_DESCRIPTION_MAX:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command, "description": description})
    return result


def command_scope_key(scope: object, language_code: object) -> tuple[str, str]:
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope: Unsupported type specified")
    if scope["type"] in ("chat", "chat_administrators", "chat_member") and "chat_id" not in scope:
        raise bad_request("can't parse BotCommandScope: Can't find field \"chat_id\"")
    language = "" if language_code is None else str(language_code)
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


def validate_webhook_url(url: str) -> None:
    """setWebhook url: HTTPS on one of the four ports Telegram delivers to ("" deletes it)."""
    if url == "":
        return
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme.lower() != "https" or not parsed.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    try:
        port = parsed.port
    except ValueError:
        raise bad_request("invalid webhook URL specified") from None
    if port not in (None, 80, 88, 443, 8443):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def validate_webhook_secret(secret: object) -> None:
    """secret_token: 1-256 characters of A-Za-z0-9_- (it is echoed in a header)."""
    if secret is None or secret == "":
        return  # the Bot API treats an empty parameter as absent
    if not re.fullmatch(r"[A-Za-z0-9_-]+", str(secret)):
        raise bad_request("secret token contains unallowed characters")
    if len(str(secret)) > WEBHOOK_SECRET_MAX:
        raise bad_request("secret token is too long")
