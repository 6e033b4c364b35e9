"""Asking for typed text outside a capture: record the one question the next message answers, or drop it.

The question is one `bot.awaiting.Awaiting` value on the rep's row; handlers/router.py is the only reader
that decides where a message goes. A flow that asks exports the answers it takes, by question.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from telegram import Update

from bot.awaiting import Awaiting, Question
from handlers.kit.context import BotContext

# A flow's answer to its own question: the update that brought the text (a message, or the press that
# said what a kept text was for), the context, the question as recorded, and the text.
TypedAnswer = Callable[[Update, BotContext, Awaiting, str], Awaitable[None]]
TypedAnswers = Mapping[Question, TypedAnswer]


async def ask(
    ctx: BotContext,
    question: Question,
    *,
    contact_id: int | None = None,
    followup_id: int | None = None,
    interaction_id: int | None = None,
    detail: str | None = None,
) -> None:
    """The rep's next typed message answers `question` (for a while: bot/awaiting.py has the rule)."""
    asked = Awaiting(
        question,
        ctx.now(),
        contact_id=contact_id,
        followup_id=followup_id,
        interaction_id=interaction_id,
        detail=detail,
    )
    await ctx.db(ctx.reps.set_awaiting, rep_id=ctx.rep.id, awaiting=asked)


async def drop_question(ctx: BotContext) -> None:
    """Typed text no longer answers anything: it goes to the capture again."""
    if ctx.rep.awaiting is not None:
        await ctx.db(ctx.reps.set_awaiting, rep_id=ctx.rep.id, awaiting=None)
