"""Button data: every kind of callback_data in one registry, each a typed value with pack and parse.

Telegram hands callback_data back as the client sent it, so it is untrusted input: at most 64 bytes, a
registered prefix, the right number of fields, each of its declared type. An id parsed here is only a
claim; the preamble (handlers/kit/preamble.py) looks it up among the pressing rep's own records.

A kind is declared once, as a frozen dataclass with a `prefix`; its handler's pattern comes from it:
`CallbackQueryHandler(on_question, pattern=QuestionButton.pattern())`.
"""

from __future__ import annotations

import re
import typing
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Self

from storage.contacts import ContactOrder

MAX_BYTES = 64
_WORD = re.compile(r"^[A-Za-z0-9_/+\-.=]{1,40}$")
_NUMBER = re.compile(r"^\d{1,12}$")

_REGISTRY: dict[str, type[ButtonData]] = {}
_HINTS: dict[type[ButtonData], dict[str, Any]] = {}


class Text(str):
    """A free-text field (a search, a tag): only as the last field, and it may hold ':'."""


NO_TEXT = Text("")  # an optional Text field left out


class ButtonData:
    """The base of every kind; subclasses are frozen dataclasses that name their `prefix`."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix:
            return
        if prefix in _REGISTRY:
            raise ValueError(f"two button kinds use the prefix {prefix!r}")
        cls.prefix = prefix
        _REGISTRY[prefix] = cls

    @classmethod
    def pattern(cls) -> str:
        """The CallbackQueryHandler pattern of this kind."""
        return rf"^{re.escape(cls.prefix)}:"

    def pack(self) -> str:
        """The callback_data; ValueError if it would be over Telegram's 64 bytes (see `fits`)."""
        data = self._packed()
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback_data over {MAX_BYTES} bytes for kind {self.prefix!r}")
        return data

    def fits(self) -> bool:
        """Whether this value packs into 64 bytes (free text may not)."""
        return len(self._packed().encode()) <= MAX_BYTES

    def _packed(self) -> str:
        parts: list[str] = [self.prefix]
        for field in fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                parts.extend(str(item) for item in value)
            elif isinstance(value, StrEnum):
                parts.append(value.value)
            elif value is None:
                parts.append("")
            else:
                parts.append(str(value))
        while parts and parts[-1] == "":
            parts.pop()  # optional trailing fields left empty
        return ":".join(parts)

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """This kind's value, or None for data of another kind or of the wrong shape."""
        if not data or len(data.encode()) > MAX_BYTES:
            return None
        prefix, _, rest = data.partition(":")
        if prefix != cls.prefix or not rest:
            return None
        hints = _hints(cls)
        declared = fields(cls)  # type: ignore[arg-type]
        last = declared[-1]
        variadic = hints[last.name] == tuple[str, ...]
        fixed = declared[:-1] if variadic else declared
        parts = rest.split(":", len(declared) - 1) if hints[last.name] is Text else rest.split(":")
        extra, parts = parts[len(fixed) :], parts[: len(fixed)]
        if extra and not variadic:
            return None
        values: dict[str, object] = {}
        for field, part in zip(fixed, parts, strict=False):
            value = _convert(hints[field.name], part)
            if value is None:
                return None
            values[field.name] = value
        if any(field.default is MISSING for field in fixed[len(parts) :]):
            return None
        if variadic:
            if any(not _WORD.match(part) for part in extra):
                return None
            values[last.name] = tuple(extra)
        return cls(**values)


def _hints(kind: type[ButtonData]) -> dict[str, Any]:
    """A kind's field types, resolved once (resolving takes ten times as long as the rest of a parse)."""
    hints = _HINTS.get(kind)
    if hints is None:
        hints = _HINTS[kind] = typing.get_type_hints(kind)
    return hints


def _convert(kind: object, part: str) -> object | None:
    if kind is int or kind == int | None:
        return int(part) if _NUMBER.match(part) else None
    if kind is Text:
        return Text(part) if part else None
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return next((member for member in kind if member.value == part), None)
    return part if _WORD.match(part) else None


# Capture


@dataclass(frozen=True)
class OnDraft(ButtonData):
    """A kind pressed on a capture's message: its first field names the draft, which the preamble reads
    together with the rep (handlers/kit/preamble.py)."""

    draft: int

    @staticmethod
    def named_in(data: str | None) -> int | None:
        """The draft that callback_data of any of these kinds names (a claim, to be looked up among the
        rep's own drafts only); None for data of another kind."""
        prefix, _, rest = (data or "").partition(":")
        kind = _REGISTRY.get(prefix)
        if kind is None or not issubclass(kind, OnDraft):
            return None
        draft = rest.partition(":")[0]
        return int(draft) if _NUMBER.match(draft) else None


@dataclass(frozen=True)
class QuestionButton(OnDraft, prefix="q"):
    """An option, Back, Skip or Finish on a capture question."""

    step: str
    option: str


@dataclass(frozen=True)
class CaptureDateButton(OnDraft, prefix="qd"):
    """A date the bot offers for the capture's next step (next year's, for a day.month that has passed)."""

    minutes: int  # the instant, in minutes since the epoch


class SummaryAction(StrEnum):
    SAVE = "save"
    EDIT = "edit"
    CANCEL = "cancel"
    SHOW = "show"


@dataclass(frozen=True)
class SummaryButton(OnDraft, prefix="s"):
    action: SummaryAction


@dataclass(frozen=True)
class EditFieldButton(OnDraft, prefix="e"):
    step: str


@dataclass(frozen=True)
class DuplicateButton(OnDraft, prefix="d"):
    """Log the meeting on an existing contact (its id), or `new`."""

    choice: str


class ResumeAction(StrEnum):
    RESUME = "resume"
    RESTART = "restart"


@dataclass(frozen=True)
class ResumeButton(OnDraft, prefix="n"):
    """Continue the open capture, or start the queued one; `version` is the draft's when offered."""

    action: ResumeAction
    version: int


class CardPhotoAction(StrEnum):
    TYPE_NAME = "name"  # no card text on the photo: start a capture at the name question


@dataclass(frozen=True)
class CardPhotoButton(ButtonData, prefix="cp"):
    action: CardPhotoAction


class TypedChoice(StrEnum):
    ANSWER = "answer"
    NEW = "new"


@dataclass(frozen=True)
class TypedTextButton(ButtonData, prefix="w"):
    """Text typed long after a question: it answers the question, or starts a new contact."""

    asked: int  # the question's time, so an older offer cannot act on a newer question
    choice: TypedChoice


# Contacts, lists and the card


@dataclass(frozen=True)
class ContactButton(ButtonData, prefix="c"):
    contact: int


@dataclass(frozen=True)
class CardButton(ButtonData, prefix="ct"):
    contact: int
    action: str
    args: tuple[str, ...] = ()


class ListStatus(StrEnum):
    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    LOST = "lost"


@dataclass(frozen=True)
class CardTagButton(ButtonData, prefix="ctg"):
    """Remove one tag from the card: the tag's folded key."""

    contact: int
    key: Text


@dataclass(frozen=True)
class ListButton(ButtonData, prefix="l"):
    status: ListStatus
    order: ContactOrder
    offset: int
    filter: Text = NO_TEXT  # <kind>=<value>; a tag or an industry may hold any character


@dataclass(frozen=True)
class ListFilterButton(ButtonData, prefix="lf"):
    status: ListStatus
    order: ContactOrder


@dataclass(frozen=True)
class FindButton(ButtonData, prefix="f"):
    offset: int
    text: Text


# Follow-ups


@dataclass(frozen=True)
class FollowUpButton(ButtonData, prefix="fu"):
    followup: int
    action: str
    args: tuple[str, ...] = ()


# Settings and onboarding


@dataclass(frozen=True)
class TimezoneButton(ButtonData, prefix="tz"):
    zone: str  # an IANA name, _type or _skip


@dataclass(frozen=True)
class DigestTimeButton(ButtonData, prefix="dt"):
    at: str  # HHMM or _skip


class SettingsAction(StrEnum):
    SHOW = "show"
    TIMEZONE = "timezone"
    DIGEST = "digest"
    DAYS = "days"
    WORKING_DAY = "wd"
    EMPTY = "empty"
    WEEKLY = "weekly"
    LANGUAGES = "languages"
    LANGUAGE = "lang"
    COLD = "cold"  # the days after which contacts go cold (ColdDaysButton sets them)
    CURRENCIES = "currencies"
    CURRENCY = "cur"


@dataclass(frozen=True)
class SettingsButton(ButtonData, prefix="st"):
    action: SettingsAction
    # The day of `wd`, the language code of `lang`, the ISO 4217 code of `cur`.
    value: str = ""


class QuietGroup(StrEnum):
    """The statuses that go cold after their own days (bot.schedule.QUIET_DAYS)."""

    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"  # and repeat buyers


@dataclass(frozen=True)
class ColdDaysButton(ButtonData, prefix="cd"):
    """🥶 Going cold in /settings: ask a group's days (no `days`), or set them (checked against the
    choices offered)."""

    group: QuietGroup
    days: int | None = None


class TemplateAction(StrEnum):
    MENU = "menu"  # the three kinds of follow-up message
    SHOW = "show"  # one kind: its template and a preview
    CHANGE = "change"  # the same, and the rep's next typed text replaces it
    RESET = "reset"  # back to the default of the rep's language


@dataclass(frozen=True)
class TemplateButton(ButtonData, prefix="tpl"):
    """✍️ Messages in /settings; `kind` is a bot.outreach.MessageKind, checked by the flow."""

    action: TemplateAction
    kind: str = ""


class CalendarAction(StrEnum):
    SHOW = "show"
    ON = "on"
    NEW = "new"  # ask to confirm a new address
    NEW_YES = "newyes"  # make it, replacing address `version`
    OFF = "off"


@dataclass(frozen=True)
class CalendarButton(ButtonData, prefix="cal"):
    action: CalendarAction
    version: int | None = None  # the address a new one replaces (`newyes`)


# Teams, privacy, export and import


class TeamAction(StrEnum):
    FROM = "from"  # reassign this rep's contacts: ask to whom
    TO = "to"  # ask to confirm
    DO = "do"


@dataclass(frozen=True)
class TeamButton(ButtonData, prefix="tm"):
    rep: int
    action: TeamAction
    target: int | None = None


class InviteRole(StrEnum):
    REP = "rep"
    MANAGER = "manager"


@dataclass(frozen=True)
class InviteButton(ButtonData, prefix="iv"):
    role: InviteRole


class EraseAnswer(StrEnum):
    YES = "yes"
    NO = "no"


@dataclass(frozen=True)
class EraseButton(ButtonData, prefix="er"):
    answer: EraseAnswer


class ExportKind(StrEnum):
    LEADS = "leads"
    PROSPECTS = "prospects"
    ALL = "all"


@dataclass(frozen=True)
class ExportButton(ButtonData, prefix="ex"):
    kind: ExportKind


class ImportAction(StrEnum):
    MERGE = "merge"  # import, merging duplicates into the existing contacts
    SKIP = "skip"  # import, leaving duplicates out
    CANCEL = "cancel"
    STOP = "stop"  # while it runs
    PREVIEW = "preview"  # back from the choice of a column, nothing changed


@dataclass(frozen=True)
class ImportButton(ButtonData, prefix="im"):
    batch: int
    action: ImportAction


class PickedColumn(StrEnum):
    """A column of ours the rep may point at in the file (bot.imports.PICKABLE)."""

    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True)
class ImportColumnButton(ButtonData, prefix="ic"):
    """Which of the file's columns holds this one of ours? (the preview's button that asks)"""

    batch: int
    column: PickedColumn


@dataclass(frozen=True)
class ImportPickButton(ButtonData, prefix="ip"):
    """The file's column `index` holds this one of ours (a choice; the index is checked against the file)."""

    batch: int
    column: PickedColumn
    index: int
