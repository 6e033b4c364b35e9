"""What no flow took (unknown commands, stale buttons), and the one error handler."""

from __future__ import annotations

import logging
import uuid

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler
from telegram.ext import filters as F

from handlers.kit.commands import PRIVATE_MESSAGE
from handlers.kit.context import BotContext
from storage.engine import failure_will_recur

log = logging.getLogger(__name__)


async def unknown_command(update: Update, ctx: BotContext) -> None:
    """A command the bot does not have: say so and point to /help."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(ctx.t("errors.unknown_command"))


async def unknown_button(update: Update, ctx: BotContext) -> None:
    """A button whose data no flow recognises (tampered, or from an older version): refuse, change nothing."""
    assert update.callback_query is not None
    await update.callback_query.answer(ctx.t.plain("common.expired"), show_alert=True)


def fallback_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        MessageHandler(F.COMMAND & PRIVATE_MESSAGE, unknown_command),
        CallbackQueryHandler(unknown_button),
    ]


async def on_error(update: object, ctx: BotContext) -> None:
    """Log the failure by its type with a reference (never the update's personal data, nor the error's
    message where it may quote them: runtime/logs.py) and tell the rep, once per update, that something went
    wrong, what was kept, and whether trying again can help."""
    reference = uuid.uuid4().hex[:8]
    if isinstance(ctx.error, BadRequest) and "query is too old" in str(ctx.error).lower():
        # A button press answered before a restart and sent again by Telegram: nothing is wrong and
        # nothing more can be answered.
        log.info("a button press was answered already (ref %s)", reference)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "update %s failed (ref %s): %s",
        update_id,
        reference,
        type(ctx.error).__name__,
        exc_info=ctx.error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    # Each handler group that fails on one update (a database outage fails them all) calls this handler;
    # the rep hears about it once.
    reported = ctx.bot_data.reported_updates
    if update.update_id in reported:
        return
    reported[update.update_id] = None
    while len(reported) > 1000:
        reported.popitem(last=False)
    if update.effective_user is not None and ctx.bot_data.repositories is not None:
        # The error handler gets a context of its own: the rep's language is looked up again.
        try:
            await ctx.load_rep(update)
        except Exception:  # the database itself may be what failed; the default language will do
            log.debug("no rep for the error message (ref %s)", reference)
    query = update.callback_query
    has_answered = getattr(ctx.bot, "has_answered", None)
    if query is not None and not (callable(has_answered) and has_answered(query.id)):
        try:
            await query.answer()
        except Exception:
            log.warning("could not answer the button press of error ref %s", reference)
    try:
        # "Try again in a moment" only where a moment can help: not when the schema or the database's
        # permissions are wrong, which fail every time until someone fixes them.
        apology = (
            "errors.lasting" if ctx.error is not None and failure_will_recur(ctx.error) else "errors.internal"
        )
        await ctx.bot.send_message(update.effective_chat.id, ctx.t(apology, reference=reference))
    except Exception:
        log.warning("could not tell the rep about error ref %s", reference)
