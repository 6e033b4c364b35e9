"""callback_data: short, self-describing, at most 64 bytes, and parsed as untrusted input.

Every id parsed here is only a claim: handlers look it up scoped to the pressing rep before acting on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64

# Prefixes, one per kind of button.
QUESTION = "q"  # q:<draft>:<step>:<option>
SUMMARY = "s"  # s:<draft>:save|edit|cancel
EDIT_FIELD = "e"  # e:<draft>:<step>
DUPLICATE = "d"  # d:<draft>:<contact>|new
RESUME = "n"  # n:<draft>:resume|restart
CONTACT = "c"  # c:<contact>
CARD = "ct"  # ct:<contact>:<action>[:<argument>...]
LIST = "l"  # l:<status>:<order>:<offset>[:<filter kind>=<value>]
LIST_FILTER = "lf"  # lf:<status>:<order>
FIND = "f"  # f:<offset>:<text>
TIMEZONE = "tz"  # tz:<zone>|_type|_skip
DIGEST_TIME = "dt"  # dt:<HH:MM>|_skip
SETTINGS = "st"  # st:timezone|digest

_FIELD = re.compile(r"^[A-Za-z0-9_/+\-.]{1,40}$")
_NUMBER = re.compile(r"^\d{1,12}$")


@dataclass(frozen=True)
class Callback:
    """A parsed button press: its kind, an optional numeric id, and the remaining fields."""

    kind: str
    id: int | None
    args: tuple[str, ...]


def pack(kind: str, *parts: object) -> str:
    data = ":".join([kind, *(str(part) for part in parts)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback_data over {MAX_BYTES} bytes for kind {kind!r}")
    return data


def fit_text(prefix: str, text: str) -> str | None:
    """`prefix` + as much of `text` as fits in 64 bytes, or None when the text would have to be cut."""
    data = prefix + text
    return data if len(data.encode()) <= MAX_BYTES else None


def parse(data: str | None, *, with_id: bool = True, text_tail: bool = False) -> Callback | None:
    """The parts of callback_data, or None when it is not of the expected shape."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    kind, _, rest = data.partition(":")
    parts = rest.split(":", 1) if text_tail else rest.split(":")
    if not rest:
        return None
    number: int | None = None
    if with_id:
        if not _NUMBER.match(parts[0]):
            return None
        number, parts = int(parts[0]), parts[1:]
    fields = parts[:-1] if text_tail else parts
    if any(not _FIELD.match(field) for field in fields):
        return None
    return Callback(kind, number, tuple(parts))
