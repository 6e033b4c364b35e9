"""Formatted text as the Bot API reads it: the HTML parse mode (a port of TDLib's ``parse_html``,
td/telegram/MessageEntity.cpp, which is what the Bot API server runs), TDLib's cleaning and trimming, and
the length limits of a message text and a caption.

The parser works on UTF-8 bytes as TDLib does, so that the "at byte offset N" in its error messages is the
same number Telegram reports. Where Telegram is more lenient than the product may be, ``strict`` adds
checks Telegram does not make; their descriptions start with ``Bad Request: [strict]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from runtime.local_api.refusals import bad_request, strict_refusal

JsonDict = dict[str, Any]

# Limits from the Bot API documentation (and TDLib's defaults for the matching options).
MESSAGE_TEXT_MAX = 4096
CAPTION_MAX = 1024


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
    formatted = format_text(text, optional_str(parse_mode), strict=strict)
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
    formatted = format_text(str(caption), optional_str(parse_mode), strict=strict)
    if _visible_length(formatted.text, utf16=utf16) > CAPTION_MAX:
        raise bad_request("message caption is too long")
    return None if _is_blank(formatted.text) else formatted


def optional_str(value: object) -> str | None:
    return None if value is None else str(value)
