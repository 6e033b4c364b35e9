"""An in-process fake of the Telegram Bot API for end-to-end tests and benchmarks.

PTB sends its real HTTP requests into the fake through a custom httpx transport, so everything
python-telegram-bot does on the wire (URL building, form and multipart encoding, JSON decoding,
mapping error codes to exceptions) is exercised without a network:

    fake = FakeBotAPI()
    bot = Bot(fake.token, request=fake.request(), get_updates_request=fake.request())

The fake answers the way Telegram does, with Telegram's own status codes and description
strings, so that an end-to-end test fails on any request Telegram would reject
(``fake.assert_no_rejections()``). The HTML parser is a port of TDLib's ``parse_html``
(td/telegram/MessageEntity.cpp), which is what the Bot API server runs; the error strings were
checked against TDLib's sources and against test suites that run against the live Bot API.

Where Telegram is more lenient than our product may be, ``strict=True`` (the default) adds a
few checks Telegram does not make. Their descriptions start with ``Bad Request: [strict]`` so
they can never be mistaken for Telegram's own words:

- a ``&`` that does not start ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` or ``&#...;`` (Telegram
  keeps it literally, but it means user text was not escaped: ``&lt;`` typed by a user would
  silently turn into ``<``);
- an inline button with more than one action (Telegram silently keeps one of them);
- an empty row in an inline keyboard;
- parse_mode Markdown / MarkdownV2, which the fake does not model (lenient: plain text).

Not modelled: groups and channels (only private chats exist), the ``entities`` parameter (kept
but not checked), ``reply_to_message`` in returned messages, automatic entities (URLs,
mentions), and methods beyond the ones in ``FakeBotAPI._handlers`` (they answer 404).

Behaviour switches: ``blocked_users``, ``rate_limit(...)``, ``inject(...)``, ``fail_ratio(...)``.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import math
import random
import re
import struct
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

import httpx
from telegram.request import HTTPXRequest

__all__ = [
    "ApiCall",
    "BotApiRefusal",
    "FakeBotAPI",
    "FaultKind",
    "FormattedText",
    "HtmlParseError",
    "Rejection",
    "SentMessage",
    "TextEntity",
    "UploadedFile",
    "format_text",
    "parse_html",
    "validate_bot_commands",
    "validate_button_url",
    "validate_callback_answer_text",
    "validate_callback_data",
    "validate_caption",
    "validate_inline_button",
    "validate_message_text",
    "validate_reply_markup",
    "validate_webhook_secret",
    "validate_webhook_url",
]

# Limits from the Bot API documentation (and TDLib's defaults for the matching options).
MESSAGE_TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX_BYTES = 64
CALLBACK_ANSWER_TEXT_MAX = 200
INLINE_KEYBOARD_BUTTONS_MAX = 100
BOT_COMMANDS_MAX = 100
BOT_COMMAND_DESCRIPTION_MAX = 256
WEBHOOK_SECRET_MAX = 256
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024
# Telegram lets bots delete messages for everyone only while they are younger than 48 hours.
DELETE_WINDOW_SECONDS = 48 * 3600

FaultKind = Literal["5xx", "timeout", "timeout_after_send", "429", "403"]

JsonDict = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# Records kept for the tests
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file that arrived as a multipart part (sendDocument, sendPhoto)."""

    filename: str
    content: bytes
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One HTTP request that reached the fake, with its parameters decoded as Telegram would."""

    method: str
    params: dict[str, Any]
    url: str


class Rejection(NamedTuple):
    """An error answer the fake gave on its own account (not a deliberately injected fault)."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str


@dataclass(frozen=True, slots=True)
class TextEntity:
    """A formatting entity as TDLib derives it from HTML; offsets and lengths are UTF-16 units."""

    type: str
    offset: int
    length: int
    argument: str = ""  # the URL of a text_link, the language of a pre, a custom emoji id

    def to_json(self) -> JsonDict:
        """Render the entity as a Bot API MessageEntity object."""
        entity: JsonDict = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.type == "text_link":
            entity["url"] = self.argument
        elif self.type == "pre" and self.argument:
            entity["language"] = self.argument
        elif self.type == "custom_emoji":
            entity["custom_emoji_id"] = self.argument
        return entity


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Visible text (tags removed, entities decoded) and the entities that format it."""

    text: str
    entities: tuple[TextEntity, ...] = ()


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
# Errors
# ---------------------------------------------------------------------------------------------


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


class HtmlParseError(ValueError):
    """TDLib's parse_html error; str() is TDLib's message, without "can't parse entities: "."""


# ---------------------------------------------------------------------------------------------
# HTML parse mode: a port of TDLib's parse_html, working on UTF-8 bytes as TDLib does, so that
# the "at byte offset N" in the error messages is the same number Telegram reports.
# ---------------------------------------------------------------------------------------------

_SUPPORTED_TAGS = frozenset(
    b"a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote".split()
)
_SIMPLE_TAG_ENTITIES = {
    b"i": "italic",
    b"em": "italic",
    b"b": "bold",
    b"strong": "bold",
    b"s": "strikethrough",
    b"strike": "strikethrough",
    b"del": "strikethrough",
    b"u": "underline",
    b"ins": "underline",
    b"tg-spoiler": "spoiler",
    b"span": "spoiler",  # only class="tg-spoiler" is accepted, see below
}
_NAMED_HTML_ENTITIES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
# td::is_space counts the NUL that ends a C string as a space; at() below returns 0 past the end.
_TD_SPACES = frozenset(b" \t\r\n\v\0")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _is_alpha(byte: int) -> bool:
    return 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def _is_digit(byte: int) -> bool:
    return 0x30 <= byte <= 0x39


def _is_hex_digit(byte: int) -> bool:
    return _is_digit(byte) or 0x41 <= byte <= 0x46 or 0x61 <= byte <= 0x66


def _byte_at(data: bytes, index: int) -> int:
    return data[index] if index < len(data) else 0


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int, bool]:
    """TDLib's decode_html_entity: (code point or 0, position after it, ended with ';')."""
    end = pos + 1
    code = 0
    if _byte_at(data, pos + 1) == ord("#"):
        end += 1
        if _byte_at(data, pos + 2) == ord("x"):  # only a lowercase x, as in TDLib
            end += 1
            while _is_hex_digit(_byte_at(data, end)):
                code = code * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while _is_digit(_byte_at(data, end)):
                code = code * 10 + data[end] - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos, False
    else:
        while _is_alpha(_byte_at(data, end)):
            end += 1
        code = _NAMED_HTML_ENTITIES.get(data[pos + 1 : end], 0)
        if code == 0:
            return 0, pos, False  # e.g. &nbsp; or &laquo;: TDLib keeps them as literal text
    if _byte_at(data, end) == ord(";"):
        return code, end + 1, True
    return code, end, False  # TDLib also accepts "&lt" without the semicolon


@dataclass(slots=True)
class _OpenTag:
    name: bytes
    argument: str
    utf16_offset: int
    output_pos: int


def _checked_link(url: str) -> str | None:
    """A rough LinkManager::get_checked_link: the URL a text_link entity gets, or None."""
    if re.match(r"(?i)^(https?|tg|ton)://", url):
        return url
    if re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?([/?#]\S*)?", url):
        return "http://" + url
    return None


def _entity_for_closed_tag(tag: _OpenTag, length: int, output: bytearray, entities: list[TextEntity]) -> None:
    """Append the entity a closed tag produces (TDLib: the end-of-entity branch)."""
    offset = tag.utf16_offset
    if tag.name in _SIMPLE_TAG_ENTITIES:
        entities.append(TextEntity(_SIMPLE_TAG_ENTITIES[tag.name], offset, length))
    elif tag.name == b"tg-emoji":
        if not re.fullmatch(r"-?\d+", tag.argument) or not (
            _INT64_MIN <= int(tag.argument) <= _INT64_MAX and int(tag.argument) != 0
        ):
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entities.append(TextEntity("custom_emoji", offset, length, str(int(tag.argument))))
    elif tag.name == b"a":
        url = tag.argument or bytes(output[tag.output_pos :]).decode("utf-8", "replace")
        link = _checked_link(url)
        # tg://user?id= links become text_mention entities with a User object the fake does not
        # have; an unusable link just gives no entity, which is also what TDLib does.
        if link is not None and not link.lower().startswith("tg://user?"):
            entities.append(TextEntity("text_link", offset, length, link))
    elif tag.name == b"pre":
        last = entities[-1] if entities else None
        if last and last.type == "code" and (last.offset, last.length) == (offset, length) and last.argument:
            entities[-1] = TextEntity("pre", offset, length, last.argument)
        else:
            entities.append(TextEntity("pre", offset, length))
    elif tag.name == b"code":
        last = entities[-1] if entities else None
        if last and last.type == "pre" and (last.offset, last.length) == (offset, length) and tag.argument:
            entities[-1] = TextEntity("pre", offset, length, tag.argument)
        else:
            entities.append(TextEntity("code", offset, length, tag.argument))
    elif tag.name == b"blockquote":
        kind = "expandable_blockquote" if tag.argument else "blockquote"
        entities.append(TextEntity(kind, offset, length))


def _parse_start_tag(data: bytes, begin: int) -> tuple[_OpenTag, int]:
    """Parse ``<name attr=value ...>`` starting at ``data[begin] == '<'``; return the tag and
    the position of its closing ``>``."""
    i = begin + 1
    while _byte_at(data, i) not in _TD_SPACES and _byte_at(data, i) != ord(">"):
        i += 1
    if _byte_at(data, i) == 0:
        raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
    name = data[begin + 1 : i].lower()  # bytes.lower() is ASCII-only, like td::to_lower
    shown = name.decode("utf-8", "replace")
    if name not in _SUPPORTED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{shown}" at byte offset {begin}')

    argument = ""
    while _byte_at(data, i) != ord(">"):
        while _byte_at(data, i) != 0 and _byte_at(data, i) in _TD_SPACES:
            i += 1
        if _byte_at(data, i) == ord(">"):
            break
        attribute_begin = i
        while _byte_at(data, i) not in _TD_SPACES and _byte_at(data, i) not in b"=>/\"'":
            i += 1
        attribute_name = data[attribute_begin:i]
        if not attribute_name:
            raise HtmlParseError(f'Empty attribute name in the tag "{shown}" at byte offset {begin}')
        while _byte_at(data, i) != 0 and _byte_at(data, i) in _TD_SPACES:
            i += 1
        if _byte_at(data, i) != ord("="):
            # An attribute without a value; only <blockquote expandable> means something.
            if _byte_at(data, i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{shown}" at byte offset {begin}')
            if name == b"blockquote" and attribute_name == b"expandable":
                argument = "1"
            continue
        i += 1
        while _byte_at(data, i) != 0 and _byte_at(data, i) in _TD_SPACES:
            i += 1
        if _byte_at(data, i) == 0:
            raise HtmlParseError(f'Unclosed start tag "{shown}" at byte offset {begin}')

        value = bytearray()
        if _byte_at(data, i) not in b"'\"":
            # An unquoted "name token": letters, digits, periods, hyphens; lowercased.
            token_begin = i
            while (
                _is_alpha(_byte_at(data, i)) or _is_digit(_byte_at(data, i)) or _byte_at(data, i) in b".-"
            ) and _byte_at(data, i) != 0:
                i += 1
            value += data[token_begin:i].lower()
            if _byte_at(data, i) not in _TD_SPACES and _byte_at(data, i) != ord(">"):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote = data[i]
            i += 1
            while _byte_at(data, i) != quote and _byte_at(data, i) != 0:
                if data[i] == ord("&"):
                    code, end, _ = _decode_html_entity(data, i)
                    if code:
                        value += chr(code).encode("utf-8", "surrogatepass")
                        i = end
                        continue
                value.append(data[i])
                i += 1
            if _byte_at(data, i) == quote:
                i += 1
        if _byte_at(data, i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")

        text_value = bytes(value).decode("utf-8", "replace")
        if name == b"a" and attribute_name == b"href":
            argument = text_value
        elif name == b"code" and attribute_name == b"class" and text_value.startswith("language-"):
            argument = text_value.removeprefix("language-")
        elif name == b"span" and attribute_name == b"class" and text_value.startswith("tg-"):
            argument = text_value.removeprefix("tg-")
        elif name == b"tg-emoji" and attribute_name == b"emoji-id":
            argument = text_value
        elif name == b"blockquote" and attribute_name == b"expandable":
            argument = "1"

    if name == b"span" and argument != "spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return _OpenTag(name, argument, 0, 0), i


def parse_html(text: str, *, strict_ampersands: bool = False) -> FormattedText:
    """Parse Telegram's HTML parse mode like TDLib; raise HtmlParseError with TDLib's message.

    With strict_ampersands, a ``&`` must start ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` or a
    numeric reference ended by ``;`` (TDLib would keep a bare ``&`` as text).
    """
    data = text.encode("utf-8")
    output = bytearray()
    utf16_offset = 0
    entities: list[TextEntity] = []
    open_tags: list[_OpenTag] = []
    has_surrogate = False
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == ord("&"):
            code, end, terminated = _decode_html_entity(data, i)
            if strict_ampersands and not (code and terminated):
                raise HtmlParseError(
                    f"[strict] Character '&' at byte offset {i} must be escaped as \"&amp;\" "
                    "(Telegram would keep it, but it means the text was not escaped)"
                )
            if code:
                utf16_offset += 2 if code > 0xFFFF else 1
                has_surrogate = has_surrogate or 0xD800 <= code <= 0xDFFF
                output += chr(code).encode("utf-8", "surrogatepass")
                i = end
                continue
        if byte != ord("<"):
            if byte & 0xC0 != 0x80:  # the first byte of a UTF-8 sequence
                utf16_offset += 2 if byte >= 0xF0 else 1
            output.append(byte)
            i += 1
            continue

        begin = i
        if _byte_at(data, i + 1) != ord("/"):
            tag, i = _parse_start_tag(data, begin)
            tag.utf16_offset = utf16_offset
            tag.output_pos = len(output)
            open_tags.append(tag)
            i += 1
            continue

        if not open_tags:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i += 1
        while _byte_at(data, i) not in _TD_SPACES and _byte_at(data, i) != ord(">"):
            i += 1
        end_name = data[begin + 2 : i].lower()
        while _byte_at(data, i) != 0 and _byte_at(data, i) in _TD_SPACES:
            i += 1
        if _byte_at(data, i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        tag = open_tags[-1]
        # "</>" closes whatever is open, another name must match the innermost open tag.
        if end_name and end_name != tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag.name.decode()}>", '
                f'found "</{end_name.decode("utf-8", "replace")}>"'
            )
        if utf16_offset > tag.utf16_offset:
            _entity_for_closed_tag(tag, utf16_offset - tag.utf16_offset, output, entities)
        open_tags.pop()
        i += 1

    if open_tags:
        raise HtmlParseError(
            f'Can\'t find end tag corresponding to start tag "{open_tags[-1].name.decode()}"'
        )
    if has_surrogate:
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    # TDLib clears the language argument of a <code> that did not become a pre block.
    cleaned = [TextEntity(e.type, e.offset, e.length) if e.type == "code" else e for e in entities]
    return FormattedText(bytes(output).decode("utf-8"), tuple(sorted(cleaned, key=_entity_sort_key)))


def _entity_sort_key(entity: TextEntity) -> tuple[int, int, str]:
    return entity.offset, -entity.length, entity.type


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# clean_input_string removes "\r", the line/paragraph separators and bidi embeddings
# (U+2028-U+202E) and three combining marks that draw vertical lines.
_REMOVED_INPUT_CHARS = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")
# is_empty_string (strip_empty_characters) also counts these as nothing: Unicode spaces, zero
# width characters, the byte order mark, the no-break space and the Braille blank.
_BLANK_CHARS = frozenset(
    " \n\u00a0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u200b\u200c\u200d\u200e\u200f\u202e\u202f\u205f\u2800\u3000\ufeff\ufffc"
)


def _clean_input_string(formatted: FormattedText) -> FormattedText:
    """TDLib's clean_input_string: control characters (tabs included) become spaces, the
    characters above disappear; entity offsets follow the text."""
    kept: list[str] = []
    new_offset = [0]  # new_offset[i]: where old UTF-16 offset i lands in the cleaned text
    position = 0
    for char in formatted.text:
        width = 2 if ord(char) > 0xFFFF else 1
        if char in _REMOVED_INPUT_CHARS:
            new_offset.extend([position] * width)
            continue
        kept.append(" " if ord(char) < 32 and char != "\n" else char)
        new_offset.extend(range(position + 1, position + width + 1))
        position += width
    entities = []
    for entity in formatted.entities:
        start, end = new_offset[entity.offset], new_offset[entity.offset + entity.length]
        if end > start:
            entities.append(TextEntity(entity.type, start, end - start, entity.argument))
    return FormattedText("".join(kept), tuple(entities))


def _is_blank(text: str) -> bool:
    """TDLib's is_empty_string: nothing visible (Unicode "tag" characters are invisible too)."""
    return all(char in _BLANK_CHARS or 0xE0000 <= ord(char) <= 0xE007F for char in text)


def _trim_formatted_text(formatted: FormattedText) -> FormattedText:
    """TDLib's fix_formatted_text trimming: only spaces and newlines count, the text is always
    right-trimmed, and left-trimmed only up to the first entity."""
    text = formatted.text.rstrip(" \n")
    end = _utf16_length(text)
    entities = [
        TextEntity(e.type, e.offset, min(e.length, end - e.offset), e.argument)
        for e in formatted.entities
        if e.length > 0 and e.offset < end
    ]
    first_entity = min((e.offset for e in entities), default=end)
    cut = 0
    while cut < first_entity and cut < len(text) and text[cut] in " \n":
        cut += 1
    entities = [TextEntity(e.type, e.offset - cut, e.length, e.argument) for e in entities]
    return FormattedText(text[cut:], tuple(sorted(entities, key=_entity_sort_key)))


def format_text(text: str, parse_mode: str | None, *, strict: bool) -> FormattedText:
    """Apply the parse mode and TDLib's trimming; raise BotApiRefusal as the Bot API does.

    The result may be empty: callers decide whether that is allowed (a caption may be empty).
    """
    mode = (parse_mode or "").lower()  # the Bot API compares parse_mode case-insensitively
    if mode == "html":
        try:
            formatted = parse_html(text, strict_ampersands=strict)
        except HtmlParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif mode in ("", "none"):
        formatted = FormattedText(text)
    elif mode in ("markdown", "markdownv2"):
        # Not modelled. Strict: refuse, since answering 200 would let Markdown that Telegram
        # rejects pass unnoticed; lenient: take the text as it is.
        if strict:
            raise strict_refusal(f"the fake Bot API does not model parse_mode {parse_mode!r}; use HTML")
        formatted = FormattedText(text)
    else:
        raise bad_request("unsupported parse_mode")
    return _trim_formatted_text(_clean_input_string(formatted))


def _visible_length(text: str, *, utf16: bool) -> int:
    # TDLib checks utf8_length (code points) against message_text_length_max for bots; entity
    # offsets are UTF-16 but the length limit is not. utf16=True is the stricter reading.
    return _utf16_length(text) if utf16 else len(text)


def validate_message_text(
    text: object, parse_mode: object, *, is_edit: bool, strict: bool, utf16: bool
) -> FormattedText:
    """The ``text`` of sendMessage / editMessageText: present, parsable, 1..4096 after parsing."""
    if not isinstance(text, str) or text == "":
        raise bad_request("message text is empty")
    formatted = format_text(text, _optional_str(parse_mode), strict=strict)
    if _is_blank(formatted.text):
        # TDLib's fix_formatted_text: blank text, "<b> </b>", or only zero-width characters
        raise bad_request("text must be non-empty")
    if _visible_length(formatted.text, utf16=utf16) > MESSAGE_TEXT_MAX:
        # sendMessage is refused by TDLib itself; an edit goes to the server, which answers
        # with its own error code.
        raise bad_request("MESSAGE_TOO_LONG" if is_edit else "message is too long")
    return formatted


def validate_caption(
    caption: object, parse_mode: object, *, strict: bool, utf16: bool
) -> FormattedText | None:
    """A media caption: optional, may be empty, at most 1024 characters after parsing."""
    if caption is None or caption == "":
        return None
    formatted = format_text(str(caption), _optional_str(parse_mode), strict=strict)
    if _visible_length(formatted.text, utf16=utf16) > CAPTION_MAX:
        raise bad_request("message caption is too long")
    return None if _is_blank(formatted.text) else formatted


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


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
        if not isinstance(copy, dict) or not 1 <= len(str(copy.get("text", ""))) <= 256:
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
_CHAT_ACTIONS = frozenset(
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


def _command_scope_key(scope: object, language_code: object) -> tuple[str, str]:
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


# ---------------------------------------------------------------------------------------------
# Decoding what arrives on the wire
# ---------------------------------------------------------------------------------------------

# Parameters that travel as JSON-serialized objects in form data.
_JSON_PARAMS = frozenset(
    [
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "media",
    ]
)
_INT_PARAMS = frozenset(
    [
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
        "offset",
        "limit",
        "timeout",
    ]
)
_BOOL_PARAMS = frozenset(
    [
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
    ]
)


def _decode_param(name: str, value: Any) -> Any:
    """Turn a form value back into what Telegram reads from it; unparsable values stay as sent
    so that the validators refuse them with Telegram's message."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_PARAMS or name == "chat_id":
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if name in _BOOL_PARAMS:
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    return value


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into form fields and uploaded files."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise bad_request("can't parse multipart/form-data request")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {
            key.strip().lower(): value.strip()
            for key, _, value in (line.partition(":") for line in head.decode("utf-8").split("\r\n"))
        }
        disposition = headers.get("content-disposition", "")
        name_match = re.search(r'\bname="([^"]*)"', disposition)
        if name_match is None:
            continue
        filename_match = re.search(r"filename\*=utf-8''([^;]+)", disposition, re.IGNORECASE) or re.search(
            r'\bfilename="([^"]*)"', disposition
        )
        if filename_match is None:
            fields[name_match.group(1)] = content.decode("utf-8")
        else:
            filename = urllib.parse.unquote(filename_match.group(1))
            files[name_match.group(1)] = UploadedFile(filename, content, headers.get("content-type"))
    return fields, files


async def _decode_request(request: httpx.Request) -> dict[str, Any]:
    """Read the parameters from the query string and the body, whatever its encoding; files
    become UploadedFile values."""
    raw: dict[str, Any] = dict(request.url.params)
    files: dict[str, UploadedFile] = {}
    body = await request.aread()
    content_type = request.headers.get("content-type", "")
    if body and content_type.startswith("multipart/form-data"):
        fields, files = _parse_multipart(body, content_type)
        raw.update(fields)
    elif body and content_type.startswith("application/json"):
        try:
            decoded = json.loads(body)
        except ValueError:
            raise bad_request("can't parse JSON encoded request") from None
        if isinstance(decoded, dict):
            raw.update(decoded)
    elif body:
        raw.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    params = {name: _decode_param(name, value) for name, value in raw.items()}
    params.update(files)
    return params


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
class _InjectedFault:
    method: str | None
    kind: FaultKind
    remaining: int


@dataclass(slots=True)
class _RandomFaults:
    ratio: float
    kinds: tuple[FaultKind, ...]
    rng: random.Random
    methods: frozenset[str] | None


@dataclass(slots=True)
class _Ok:
    """A successful result that also carries a description (setWebhook, deleteWebhook)."""

    result: Any
    description: str


class _FakeTransport(httpx.AsyncBaseTransport):
    """Routes every request PTB's httpx client makes into the fake."""

    def __init__(self, api: FakeBotAPI) -> None:
        self._api = api

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._api.handle(request)


# Real 502s come from the nginx in front of the Bot API, as an HTML page.
_BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_RATE_LIMITED_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------


class FakeBotAPI:
    """A Telegram Bot API server in memory for one bot and its private chats."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_id: int | None = None,
        bot_username: str = "prospect_test_bot",
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

        self.requests: list[ApiCall] = []
        self.rejections: list[Rejection] = []
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self.blocked_users: set[int] = set()
        self.too_many_requests = 0
        self.faults_served: list[tuple[str, FaultKind]] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.chat_actions: list[tuple[int, str]] = []

        self._chats: dict[int, JsonDict] = {}
        self._messages: dict[int, dict[int, SentMessage]] = collections.defaultdict(dict)
        self._user_messages: dict[int, set[int]] = collections.defaultdict(set)
        self._last_message_id: dict[int, int] = collections.defaultdict(int)
        self._pending_callbacks: set[str] = set()
        self._files: dict[str, UploadedFile] = {}
        self._file_counter = itertools.count(1)
        self._updates: list[JsonDict] = []
        self._update_counter = itertools.count(1)
        self._rate_limiter: _SlidingWindowRateLimiter | None = None
        self._faults: list[_InjectedFault] = []
        self._random_faults: _RandomFaults | None = None
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
        return _FakeTransport(self)

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

    def register_callback_query(self, callback_query_id: str) -> None:
        """Announce a callback query the harness is about to deliver; it can be answered once."""
        self._pending_callbacks.add(callback_query_id)

    def queue_update(self, update: JsonDict) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_counter))
        self._updates.append(update)
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

    def inject(self, method: str | None, kind: FaultKind, times: int = 1) -> None:
        """Fail the next ``times`` calls of ``method`` (any method if None) with a fault:
        "5xx" a 502 from the proxy, "timeout" httpx.ReadTimeout before Telegram saw the request,
        "timeout_after_send" the request is carried out but the answer is lost, "429" flood
        control with retry_after=1, "403" bot blocked by the user."""
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._faults.append(_InjectedFault(method, kind, times))

    def fail_ratio(
        self,
        ratio: float,
        kinds: Iterable[FaultKind] = ("5xx", "timeout", "429"),
        seed: int = 0,
        methods: Collection[str] | None = None,
    ) -> None:
        """Fail a random (seeded, so repeatable) fraction of calls with one of ``kinds``."""
        chosen = tuple(kinds)
        if not 0.0 <= ratio <= 1.0 or not chosen:
            raise ValueError("ratio must be within 0..1 and kinds must not be empty")
        self._random_faults = _RandomFaults(
            ratio, chosen, random.Random(seed), frozenset(methods) if methods is not None else None
        )

    # -- convenience for assertions ------------------------------------------------------------

    def calls(self, method: str) -> list[ApiCall]:
        """Every request made to ``method``."""
        return [call for call in self.requests if call.method.lower() == method.lower()]

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

    @staticmethod
    def buttons(message: SentMessage) -> list[list[tuple[str, str | None]]]:
        """The inline keyboard as rows of (text, callback_data); url buttons have None."""
        if message.reply_markup is None:
            return []
        return [
            [(button["text"], button.get("callback_data")) for button in row]
            for row in message.reply_markup["inline_keyboard"]
        ]

    def assert_no_rejections(self) -> None:
        """Fail with the list of every request Telegram would have refused."""
        if self.rejections:
            lines = [
                f"  {r.method} -> {r.error_code} {r.description} | params={r.params!r}"
                for r in self.rejections
            ]
            raise AssertionError("the fake Bot API refused requests:\n" + "\n".join(lines))

    # -- HTTP -----------------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one HTTP request as the Bot API would (the transport calls this)."""
        if request.method == "GET" and f"/file/bot{self.token}/" in request.url.path:
            return self._download(request.url.path)
        *prefix, method_name = request.url.path.split("/")
        canonical, handler = self._handlers.get(method_name.lower(), (method_name, None))
        try:
            params = await _decode_request(request)
        except BotApiRefusal as refusal:
            return self._refuse(canonical, {}, refusal)
        self.requests.append(ApiCall(canonical, params, str(request.url)))

        fault = self._take_fault(canonical)
        if fault == "timeout":
            raise httpx.ReadTimeout("injected read timeout", request=request)
        if fault == "5xx":
            return httpx.Response(502, content=_BAD_GATEWAY_PAGE, headers={"content-type": "text/html"})
        if fault in ("429", "403"):
            return self._answer_error(too_many_requests(1) if fault == "429" else blocked_by_user())

        response = await self._dispatch(canonical, handler, params, prefix)
        if fault == "timeout_after_send":
            raise httpx.ReadTimeout(
                "injected read timeout after the request was carried out", request=request
            )
        return response

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

    def _take_fault(self, method: str) -> FaultKind | None:
        for fault in self._faults:
            if fault.method is None or fault.method.lower() == method.lower():
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                self.faults_served.append((method, fault.kind))
                return fault.kind
        random_faults = self._random_faults
        if (
            random_faults is not None
            and (random_faults.methods is None or method in random_faults.methods)
            and random_faults.rng.random() < random_faults.ratio
        ):
            kind = random_faults.rng.choice(random_faults.kinds)
            self.faults_served.append((method, kind))
            return kind
        return None

    def _refuse(self, method: str, params: dict[str, Any], refusal: BotApiRefusal) -> httpx.Response:
        if refusal.error_code == 429:
            self.too_many_requests += 1
        elif not refusal.deliberate:
            self.rejections.append(Rejection(method, params, refusal.error_code, refusal.description))
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
            parse_mode=_optional_str(params.get("parse_mode")),
            reply_markup=markup,
            raw_text=str(params["text"]),
            entities=formatted.entities,
        )
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
        message.parse_mode, message.reply_markup = _optional_str(parse_mode), markup
        message.edited_count += 1
        message.edit_date = int(self.wall_clock())
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
        return self._message_json(message)

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        if message_id in self._user_messages[chat_id]:
            # Bots may delete incoming messages in private chats.
            self._user_messages[chat_id].discard(message_id)
            return True
        message = self._messages[chat_id].get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if self.wall_clock() - message.date > DELETE_WINDOW_SECONDS:
            raise bad_request("message can't be deleted for everyone")
        message.deleted = True
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = params.get("callback_query_id")
        validate_callback_answer_text(params.get("text"))
        if not isinstance(query_id, str) or query_id not in self._pending_callbacks:
            # Unknown, already answered, or too old: Telegram cannot tell them apart either.
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        self._pending_callbacks.discard(query_id)
        self.answered_callbacks[query_id] = dict(params)
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        commands = validate_bot_commands(params.get("commands"))
        key = _command_scope_key(params.get("scope"), params.get("language_code"))
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)  # an empty list is the same as deleteMyCommands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> Any:
        key = _command_scope_key(params.get("scope"), params.get("language_code"))
        return self.commands.get(key, [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(_command_scope_key(params.get("scope"), params.get("language_code")), None)
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
        return self._new_message(
            chat_id,
            text=None,
            parse_mode=_optional_str(params.get("parse_mode")),
            reply_markup=markup,
            document=(upload.filename, upload.content) if field_name == "document" else None,
            photo=upload.content if field_name == "photo" else None,
            caption=caption.text if caption else None,
            raw_text=_optional_str(params.get("caption")),
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
        if action not in _CHAT_ACTIONS:
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
        self.webhook_secret = _optional_str(params.get("secret_token")) or None
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
            await asyncio.sleep(min(timeout, self.long_poll_wait))
        return batch


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height from a PNG header; other formats report 1x1."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
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
