"""The press preamble: malformed data and records that are not the pressing rep's are refused before any
flow runs, and answered once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from handlers.kit.buttons import ContactButton
from handlers.kit.preamble import pressed, pressed_on

REP_ID, OTHER_REP_ID = 7, 8


@dataclass
class Query:
    """The little of a CallbackQuery the preamble touches; it records how it was answered."""

    data: str
    message: Any = field(default_factory=lambda: SimpleNamespace(message_id=42))
    answers: list[tuple[str | None, bool]] = field(default_factory=list)

    async def answer(self, text: str | None = None, show_alert: bool = False) -> None:
        self.answers.append((text, show_alert))


@dataclass(frozen=True)
class Record:
    id: int
    owner_id: int


async def run_here(work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The context's storage call (ctx.db), run in place: the lookups here touch no database."""
    return work(*args, **kwargs)


def press_of(data: str) -> tuple[Any, Any, Query]:
    query = Query(data)
    update = SimpleNamespace(callback_query=query)
    ctx = SimpleNamespace(
        rep=SimpleNamespace(id=REP_ID), t=SimpleNamespace(plain=lambda key: f"<{key}>"), db=run_here
    )
    return update, ctx, query


async def test_a_record_of_another_rep_is_refused_even_if_the_lookup_returned_it() -> None:
    update, ctx, query = press_of("c:5")
    press = await pressed_on(update, ctx, ContactButton, lambda data: Record(data.contact, OTHER_REP_ID))
    assert press is None
    assert query.answers == [("<common.expired>", True)]


async def test_the_rep_s_own_record_comes_with_the_press() -> None:
    update, ctx, query = press_of("c:5")
    press = await pressed_on(update, ctx, ContactButton, lambda data: Record(data.contact, REP_ID))
    assert press is not None and press.record == Record(5, REP_ID) and press.message_id == 42
    assert query.answers == [], "the flow answers the press, not the preamble"


async def test_no_record_reads_as_expired() -> None:
    update, ctx, query = press_of("c:5")
    assert (
        await pressed_on(update, ctx, ContactButton, lambda data: None, refusal="contacts.not_found") is None
    )
    assert query.answers == [("<contacts.not_found>", True)]


async def test_malformed_data_is_refused_before_any_lookup() -> None:
    looked_up: list[object] = []
    for data in ("c:x", "c:", "ct:5:v", "c:5:6", "c:" + "9" * 70):
        update, ctx, query = press_of(data)
        press = await pressed_on(update, ctx, ContactButton, looked_up.append)  # type: ignore[arg-type]
        assert press is None and query.answers == [("<common.expired>", True)], data
    assert looked_up == []


async def test_a_press_without_its_message_is_refused() -> None:
    update, ctx, query = press_of("c:5")
    query.message = None
    assert await pressed(update, ctx, ContactButton) is None
    assert query.answers == [("<common.expired>", True)]
