"""Asking for typed text outside a capture: record the one question the next message answers, or drop it.

The question is one `bot.awaiting.Awaiting` value on the rep's row; handlers/router.py is the only reader
that decides where a message goes. A flow that asks exports the answers it takes, by question.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from telegram import Update
from telegram.error import BadRequest

from bot.awaiting import Awaiting, Question
from handlers.kit.context import BotContext

log = logging.getLogger(__name__)

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
    prompt_id: int | None = None,
) -> None:
    """The rep's next typed message answers `question` (for a while: bot/awaiting.py has the rule).
    `prompt_id` is the message that asks: it is retired when the question is answered or dropped, and a
    question asked before on another message is retired now (its ◀ Back would act on nothing)."""
    asked = Awaiting(
        question,
        ctx.now(),
        contact_id=contact_id,
        followup_id=followup_id,
        interaction_id=interaction_id,
        detail=detail,
        prompt_id=prompt_id,
    )
    before = ctx.rep.awaiting
    await ctx.db(ctx.reps.set_awaiting, rep_id=ctx.rep.id, awaiting=asked)
    if before is not None and before.prompt_id not in (None, prompt_id):
        await _retire_prompt(ctx, before)


async def drop_question(ctx: BotContext) -> None:
    """Typed text no longer answers anything: it goes to the capture again, and the prompt's buttons
    come off."""
    awaiting = ctx.rep.awaiting
    if awaiting is not None:
        await ctx.db(ctx.reps.set_awaiting, rep_id=ctx.rep.id, awaiting=None)
        await _retire_prompt(ctx, awaiting)


async def _retire_prompt(ctx: BotContext, awaiting: Awaiting) -> None:
    if awaiting.prompt_id is None:
        return
    try:
        await ctx.bot.edit_message_reply_markup(ctx.rep.chat_id, awaiting.prompt_id, reply_markup=None)
    except BadRequest as error:  # deleted by the rep, or already without buttons
        log.debug("prompt %s not retired: %s", awaiting.prompt_id, error)
