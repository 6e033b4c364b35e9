"""The contact's editable fields: which exist, how typed values are checked, and the fixed choices.

Birthdays are read by bot/dates.py (`read_birthday`), with typed dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.qualification import Source


class Stage(StrEnum):
    """The buying stage, as the source documents describe it."""

    AWARENESS = "awareness"
    INTEREST = "interest"
    DECISION = "decision"
    ACTION = "action"


class CompanySize(StrEnum):
    MICRO = "1-10"
    SMALL = "11-50"
    MEDIUM = "51-250"
    LARGE = "251-1000"
    ENTERPRISE = "1000+"


class Frequency(StrEnum):
    """Prospect type: how often they would buy."""

    ONCE = "once"
    OCCASIONAL = "occasional"
    REGULAR = "regular"


class Volume(StrEnum):
    """Prospect type: how much they would buy."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class Influence(StrEnum):
    """Prospect type: how much they sway others (referrals, their market)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class FieldSpec:
    """An editable field: typed text with a length limit, or one of fixed choices."""

    name: str
    max_length: int = 0
    choices: tuple[StrEnum, ...] = ()

    @property
    def typed(self) -> bool:
        return not self.choices


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("name", 200),
        FieldSpec("company", 200),
        FieldSpec("role", 120),
        FieldSpec("phone", 64),
        FieldSpec("email", 254),
        FieldSpec("industry", 80),
        FieldSpec("location", 80),
        FieldSpec("company_size", choices=tuple(CompanySize)),
        FieldSpec("source", choices=tuple(Source)),
        FieldSpec("stage", choices=tuple(Stage)),
        FieldSpec("purchase_frequency", choices=tuple(Frequency)),
        FieldSpec("purchase_volume", choices=tuple(Volume)),
        FieldSpec("influence", choices=tuple(Influence)),
    )
}

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$")
TAG_MAX = 30
TAGS_MAX = 20


class Invalid(ValueError):
    """A typed value that cannot be stored; `problem` is a message id suffix ("email", "phone", ...)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def clean_field(field: str, text: str) -> str | None:
    """The value to store for typed text (None clears it), or Invalid with the reason."""
    spec = FIELDS[field]
    value = " ".join(text.split())
    if value in ("", "-"):
        if field == "name":
            raise Invalid("name_required")
        return None
    if len(value) > spec.max_length:
        raise Invalid("too_long")
    if field == "email" and not _EMAIL.match(value):
        raise Invalid("email")
    if field == "phone" and sum(char.isdigit() for char in value) < 5:
        raise Invalid("phone")
    return value


def parse_tags(text: str) -> list[str]:
    """'vip, Retail ,  #trade fair' -> ['vip', 'Retail', 'trade fair'] (no '#', no duplicates)."""
    tags: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[,;\n]", text):
        tag = " ".join(part.strip().lstrip("#").split())[:TAG_MAX]
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags
