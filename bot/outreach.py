"""Reaching out: which follow-up message a contact gets, the rep's templates for it, and the WhatsApp link.

A reminder and a contact card carry a message drafted for the rep to paste (or send on WhatsApp). Which of
the three kinds it is follows from the contact's state, in this order:

- a lost contact gets the win-back;
- one gone cold, or not heard from for as long as its status may go before it goes cold (the rep's
  days, bot.schedule.quiet_days; `SILENCE_DAYS` where the rep turned that off), gets the follow-up
  after silence;
- everyone else gets the message after a first meeting.

A template is the rep's text with the placeholders `{name}` (the first name), `{company}` and `{topic}`
(the newest note's first line, shortened). It is checked before it is stored (`check_template`), so a
stored one always fills; the filled message is cut to what a copy button holds (`COPY_TEXT_MAX`).
"""

from __future__ import annotations

import re
import string
import unicodedata
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot import schedule
from bot.qualification import greeting_name
from bot.schedule import QUIET_DAYS


class MessageKind(StrEnum):
    """The three follow-up messages a rep keeps a template for."""

    FIRST_MEETING = "first"
    SILENCE = "silence"
    WIN_BACK = "winback"


# Silence for a status the rep never lets go cold: as long as a prospect takes by default (14 days).
SILENCE_DAYS = QUIET_DAYS["prospect"]
# The Bot API's CopyTextButton holds 1-256 characters.
COPY_TEXT_MAX = 256
# A template leaves room for the values it is filled with, within COPY_TEXT_MAX.
TEMPLATE_MAX = 180
# The newest note's first line, cut to this many characters, is the {topic}.
TOPIC_MAX = 60
PLACEHOLDERS = ("name", "company", "topic")
# The placeholders as a rep may write them in their own language ({nimi}, {név}): a typed template keeps
# them under the names above (`in_placeholder_names`).
# ("nom" is left out: in French it is the family name, which {name} is not.)
PLACEHOLDER_WORDS = {
    **{word: word for word in PLACEHOLDERS},  # {Name} too
    "nimi": "name", "etunimi": "name", "yritys": "company", "aihe": "topic",  # Finnish
    "navn": "name", "fornavn": "name", "firma": "company", "tema": "topic",  # Norwegian
    "név": "name", "keresztnév": "name", "cég": "company", "téma": "topic",  # Hungarian
    "prénom": "name", "entreprise": "company", "société": "company", "sujet": "topic",  # French
}  # fmt: skip
_PLACEHOLDER = re.compile(r"(?<!\{)\{\s*([^{}:!.\[\]\s]+)\s*\}(?!\})")


def in_placeholder_names(template: str) -> str:
    """The template with each placeholder written in one of the bot's languages under its own name
    ("Kedves {Név}!" is "Kedves {name}!"); anything else, doubled braces too, as typed."""

    def named(match: re.Match[str]) -> str:
        own = PLACEHOLDER_WORDS.get(unicodedata.normalize("NFC", match.group(1)).lower())
        return "{" + own + "}" if own else match.group(0)

    return _PLACEHOLDER.sub(named, template)


def message_kind(
    *,
    status: str,
    last_touch_at: datetime | None,
    now: datetime,
    quiet_days: Mapping[str, int] | None = None,
    going_cold: bool = False,
) -> MessageKind:
    """Which message to draft for a contact (the module docstring has the rule). Silence is as long as
    the rep lets a contact of this status go before it goes cold (`quiet_days`, bot.schedule), or
    SILENCE_DAYS where the rep turned that off; a contact whose going-cold follow-up this is is silent."""
    if status == "lost":
        return MessageKind.WIN_BACK
    if going_cold:
        return MessageKind.SILENCE
    days = next(
        (
            schedule.quiet_days(quiet_days)[group]
            for group, statuses in schedule.QUIET_STATUSES.items()
            if status in statuses
        ),
        0,
    )
    if last_touch_at is not None and now - last_touch_at >= timedelta(days=days or SILENCE_DAYS):
        return MessageKind.SILENCE
    return MessageKind.FIRST_MEETING


def topic_of(note: str | None) -> str | None:
    """The newest note's first non-empty line, cut at a word to at most TOPIC_MAX characters."""
    if not note:
        return None
    line = next((line.strip() for line in note.splitlines() if line.strip()), "")
    line = line.rstrip(".!?…:;, ")
    if not line:
        return None
    if len(line) <= TOPIC_MAX:
        return line
    cut = line[: TOPIC_MAX - 1]
    word_end = cut.rfind(" ")
    return (cut[:word_end] if word_end > TOPIC_MAX // 2 else cut).rstrip(" ,;:") + "…"


class TemplateProblem(StrEnum):
    """Why a typed template cannot be kept."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    BRACES = "braces"  # a { or } that opens or closes no placeholder
    UNKNOWN = "unknown"  # a placeholder other than PLACEHOLDERS
    FORMAT = "format"  # a placeholder with a format ({name:>10}, {name!r}, {name.upper})


@dataclass(frozen=True)
class TemplateRefusal:
    problem: TemplateProblem
    placeholder: str = ""  # the offending one, for UNKNOWN and FORMAT


def check_template(text: str) -> TemplateRefusal | None:
    """None when `text` is a template that fills; otherwise what is wrong with it."""
    if not text.strip():
        return TemplateRefusal(TemplateProblem.EMPTY)
    if len(text) > TEMPLATE_MAX:
        return TemplateRefusal(TemplateProblem.TOO_LONG)
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return TemplateRefusal(TemplateProblem.BRACES)
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            if field.split(".")[0].split("[")[0] in PLACEHOLDERS:
                return TemplateRefusal(TemplateProblem.FORMAT, field)
            return TemplateRefusal(TemplateProblem.UNKNOWN, field)
        if spec or conversion:
            return TemplateRefusal(TemplateProblem.FORMAT, field)
    return None


def fill(template: str, *, name: str, company: str, topic: str, language: str) -> str:
    """The template with its placeholders filled, {name} with the word the contact is greeted by in the
    rep's `language` (bot.qualification.greeting_name), cut to COPY_TEXT_MAX characters; a template that
    does not check (stored by an older version, say) comes back as it is rather than failing."""
    if check_template(template) is not None:
        text = template
    else:
        text = template.format(name=greeting_name(name, language), company=company, topic=topic)
    text = text.strip()
    if _utf16_length(text) <= COPY_TEXT_MAX:
        return text
    # Telegram counts UTF-16 code units, in which an emoji may count twice: cut until it fits.
    cut = text[: COPY_TEXT_MAX - 1]
    while _utf16_length(cut) > COPY_TEXT_MAX - 1:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def whatsapp_url(e164_digits: str, text: str) -> str:
    """WhatsApp's click-to-chat link: the chat with this number, the message typed in, ready to send."""
    return f"https://wa.me/{e164_digits}?text={urllib.parse.quote(text, safe='')}"
