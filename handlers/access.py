"""Who may use the bot: the allow-list and invites, checked before any flow sees the update."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.access import Verdict
from handlers.kit.context import BotContext

INVITE_START = re.compile(r"^/start(?:@\w+)?\s+([A-Za-z0-9_-]{8,64})$")


async def refuse_strangers(update: Update, ctx: BotContext) -> None:
    """Stop updates from users who are neither listed nor invited: one polite answer, nothing stored."""
    user = update.effective_user
    gate = ctx.bot_data.gate
    if user is None or gate is None:
        return
    message = update.effective_message
    carries_invite = bool(message and message.text and INVITE_START.match(message.text.strip()))
    verdict = gate.verdict(
        user.id,
        user.username,
        carries_invite=carries_invite,
        is_invited=lambda telegram_id: ctx.reps.is_invited(telegram_id=telegram_id),
    )
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.REFUSE:
        ctx.speak_to(user)
        if update.callback_query is not None:
            await update.callback_query.answer(ctx.t.plain("access.refused_short"))
        elif (
            message is not None
            and update.effective_chat is not None
            and update.effective_chat.type == "private"
        ):
            await message.reply_text(ctx.t("access.refused"))
    elif update.callback_query is not None:
        # Telegram shows a spinner until a button press is answered, even a refused one.
        await update.callback_query.answer()
    raise ApplicationHandlerStop


def gate() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, refuse_strangers)
