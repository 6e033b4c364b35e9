"""The rep's own data: /mydata sends everything stored as files; /deleteme erases it all after a yes."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.exports import column_headers, contact_row, contacts_csv, rep_data_json
from handlers.kit.buttons import EraseAnswer, EraseButton
from handlers.kit.commands import command
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard
from handlers.kit.preamble import pressed


async def my_data(update: Update, ctx: BotContext) -> None:
    """/mydata: a JSON file of everything stored about the rep and a CSV of their contacts (as /export)."""
    rep, t = ctx.rep, ctx.t
    data = await ctx.db(ctx.privacy.export, rep_id=rep.id)
    contacts = [contact_row(contact, t, rep.zone) for contact in data.contacts]
    document = rep_data_json(tables=data.tables, contacts=contacts, zone=rep.zone, now=ctx.now())
    await ctx.bot.send_document(
        rep.chat_id,
        InputFile(document, filename="prospect-bot-data.json"),
        caption=t.plain("privacy.mydata"),
    )
    await ctx.bot.send_document(
        rep.chat_id, InputFile(contacts_csv(contacts, column_headers(t)), filename="contacts.csv")
    )


async def delete_me(update: Update, ctx: BotContext) -> None:
    """/deleteme: ask before erasing everything."""
    assert update.effective_message is not None
    t = ctx.t
    markup = keyboard(
        [button(t.plain("privacy.erase_yes"), EraseButton(EraseAnswer.YES))],
        [button(t.plain("common.cancel"), EraseButton(EraseAnswer.NO))],
    )
    await update.effective_message.reply_text(t("privacy.erase_question"), reply_markup=markup)


async def on_erase_button(update: Update, ctx: BotContext) -> None:
    """Yes erases everything the bot stores about the rep; Cancel keeps it."""
    press = await pressed(update, ctx, EraseButton)
    if press is None:
        return
    await press.answer()
    if press.data.answer is not EraseAnswer.YES:
        await press.query.edit_message_text(ctx.t("privacy.erase_cancelled"))
        return
    await ctx.db(ctx.privacy.erase, rep_id=press.rep.id)
    if ctx.bot_data.gate is not None:
        ctx.bot_data.gate.forget(press.query.from_user.id)
    await press.query.edit_message_text(ctx.t("privacy.erased"))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("mydata", my_data),
        command("deleteme", delete_me),
        CallbackQueryHandler(on_erase_button, pattern=EraseButton.pattern()),
    ]
