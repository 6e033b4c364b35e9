"""The rep's own data: /mydata sends everything stored as files; /deleteme erases it all after a yes."""

from __future__ import annotations

import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.exports import contacts_csv
from handlers.kit.context import BotContext

ERASE = "er"  # er:yes|no


async def my_data(update: Update, ctx: BotContext) -> None:
    """/mydata: a JSON file of everything stored about the rep and a CSV of their contacts."""
    rep = ctx.rep
    data = ctx.privacy.export(rep_id=rep.id)
    document = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    await ctx.bot.send_document(
        rep.chat_id,
        InputFile(document, filename="prospect-bot-data.json"),
        caption=ctx.t.plain("privacy.mydata"),
    )
    await ctx.bot.send_document(
        rep.chat_id, InputFile(contacts_csv(data["contact"]), filename="contacts.csv")
    )


async def delete_me(update: Update, ctx: BotContext) -> None:
    """/deleteme: ask before erasing everything."""
    assert update.effective_message is not None
    t = ctx.t
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.plain("privacy.erase_yes"), callback_data=callbacks.pack(ERASE, "yes"))],
            [InlineKeyboardButton(t.plain("common.cancel"), callback_data=callbacks.pack(ERASE, "no"))],
        ]
    )
    await update.effective_message.reply_text(t("privacy.erase_question"), reply_markup=markup)


async def on_erase_button(update: Update, ctx: BotContext) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data, with_id=False)
    await query.answer()
    if parsed is None or parsed.args[0] != "yes":
        await query.edit_message_text(ctx.t("privacy.erase_cancelled"))
        return
    ctx.privacy.erase(rep_id=rep.id)
    if ctx.bot_data.gate is not None:
        ctx.bot_data.gate.forget(update.effective_user.id)
    await query.edit_message_text(ctx.t("privacy.erased"))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("mydata", my_data),
        CommandHandler("deleteme", delete_me),
        CallbackQueryHandler(on_erase_button, pattern=r"^er:"),
    ]
