"""Who may use the bot: the ALLOWED_USERS allow-list, checked before any flow sees the update."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import BotContext


async def refuse_strangers(update: Update, ctx: BotContext) -> None:
    """Stop updates from users not on the allow-list, with one polite answer and nothing stored."""
    user = update.effective_user
    if user is None or ctx.settings.is_allowed(user.id, user.username):
        return
    ctx.speak_to(user)
    if update.callback_query is not None:
        await update.callback_query.answer(ctx.t.plain("access.refused_short"))
    elif (
        update.effective_message is not None
        and update.effective_chat is not None
        and (update.effective_chat.type == "private")
    ):
        await update.effective_message.reply_html(ctx.t("access.refused"))
    raise ApplicationHandlerStop


def gate() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, refuse_strangers)
