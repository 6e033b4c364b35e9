"""The preamble of every update: the rep is loaded once, before any flow runs; and for a button press, its
data parsed as its kind and what it names loaded among the pressing rep's own records, a stale, tampered or
foreign press answered here, so no flow ever sees one. A press on a capture's message (the most frequent
press) has its draft read in the same statement as the rep, and a text its rep's open capture.

A finished, cancelled, unknown or someone else's record all read the same to the rep ("expired"), so a
guessed id tells nothing about other reps' data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from handlers.kit.buttons import ButtonData, OnDraft
from handlers.kit.context import BotContext, NotARep, Prefetched
from storage.reps import RepRead

D = TypeVar("D", bound=ButtonData)


class Owned(Protocol):
    @property
    def owner_id(self) -> int: ...


R = TypeVar("R", bound=Owned)


@dataclass(frozen=True)
class Press(Generic[D]):
    """One checked press: the query, the rep, the typed data, and the message the button is on."""

    query: CallbackQuery
    rep: RepRead
    data: D
    message_id: int

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        await self.query.answer(text, show_alert=alert)


@dataclass(frozen=True)
class OwnedPress(Press[D], Generic[D, R]):
    """A press whose record (a draft, contact, follow-up, import) was found among the rep's own."""

    record: R


async def load_rep(update: Update, ctx: BotContext) -> None:
    """Runs after the access gate: the rep of a private message or of a button press, registered on first
    contact. Other updates (group messages, membership changes) carry no rep and register nobody; nor does
    a refused user's update, which the gate stopped before it got here."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    if update.message is None and update.callback_query is None:
        return
    query, text = update.callback_query, update.message.text if update.message is not None else None
    try:
        await ctx.load_rep(
            update,
            draft_id=OnDraft.named_in(query.data) if query is not None else None,
            # Text that is not a command starts or answers a capture, nearly always at once.
            open_draft=text is not None and text[:1] not in ("", "/"),
        )
    except NotARep:
        # The gate's memory was behind the database: it forgets them, and refuses them from now on.
        if ctx.bot_data.gate is not None:
            ctx.bot_data.gate.forget(update.effective_user.id)
        if update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop from None
    except Exception as error:
        # Without the rep no flow can run (the database is down, say): report it once, go no further.
        await ctx.application.process_error(update, error)
        raise ApplicationHandlerStop from error


def preamble() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, load_rep)


async def pressed(
    update: Update, ctx: BotContext, kind: type[D], *, refusal: str = "common.expired"
) -> Press[D] | None:
    """The press as `kind`, or None after telling the rep the button is no longer valid."""
    query = update.callback_query
    assert query is not None
    if isinstance(query.message, Message):
        # Another replica may have edited the message since this process last did (the client knows).
        delivered = getattr(ctx.bot, "delivered", None)
        if callable(delivered):
            delivered(query.message)
    data = kind.parse(query.data)
    if data is None or query.message is None:
        await query.answer(ctx.t.plain(refusal), show_alert=True)
        return None
    return Press(query, ctx.rep, data, query.message.message_id)


async def pressed_on(
    update: Update,
    ctx: BotContext,
    kind: type[D],
    load: Callable[[D], R | None],
    *,
    refusal: str = "common.expired",
    prefetched: Prefetched[R] | None = None,
) -> OwnedPress[D, R] | None:
    """The press with the record its data names, loaded by `load` (an owner-scoped query, run off the
    event loop) unless it was `prefetched` with the rep, and checked once more to be the rep's: ids in
    buttons are claims, never trusted."""
    press = await pressed(update, ctx, kind, refusal=refusal)
    if press is None:
        return None
    record = prefetched.record if prefetched is not None else await ctx.db(load, press.data)
    if record is None or record.owner_id != press.rep.id:
        await press.answer(ctx.t.plain(refusal), alert=True)
        return None
    return OwnedPress(press.query, press.rep, press.data, press.message_id, record)
