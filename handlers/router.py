"""The one door for messages: every private message that is not a command goes to exactly one flow.

The rule, in order (docs/architecture.md says why):
- a forwarded message starts a capture of the person it came from; a shared contact, of that contact;
- a shared location sets the rep's time zone;
- a photo, or an image sent as a file, is a business card to read;
- any other file is an import;
- typed text goes where `bot.awaiting.route_text` says: the question asked outside a capture (a card's
  note or field, a typed time zone, a reminder's note or date, a search) while it is fresh, the capture
  otherwise, and in between the bot keeps the text and asks with two buttons what it was for;
- anything else (a sticker, a voice message) is answered with a hint, and changes nothing.
A command drops the question first: the rep has moved on.
"""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler
from telegram.ext import filters as F

from bot.awaiting import Awaiting, TextRoute, route_text
from handlers import capture, card, card_photo, contacts, errors, exchange, onboarding, outreach, reminders
from handlers.kit.awaiting import TypedAnswers, drop_question
from handlers.kit.buttons import TypedChoice, TypedTextButton
from handlers.kit.commands import PRIVATE_MESSAGE
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard, short
from handlers.kit.preamble import pressed

ANSWERS: TypedAnswers = {
    **card.TYPED_ANSWERS,
    **contacts.TYPED_ANSWERS,
    **onboarding.TYPED_ANSWERS,
    **outreach.TYPED_ANSWERS,
    **reminders.TYPED_ANSWERS,
}
# How much of the kept text the question quotes back.
QUOTED = 60


async def on_command(update: Update, ctx: BotContext) -> None:
    """Any command: the question waiting for typed text is dropped; the command runs as usual."""
    await drop_question(ctx)


async def on_message(update: Update, ctx: BotContext) -> None:
    """Every private message that is not a command, sent to the one flow it is for."""
    message = update.effective_message
    assert message is not None
    if message.forward_origin is not None and (message.text or message.caption):
        await capture.on_forwarded(update, ctx)
    elif message.contact is not None:
        await capture.on_shared_contact(update, ctx)
    elif message.location is not None:
        await onboarding.on_location(update, ctx)
    elif card_photo.is_card_image(message):
        await card_photo.on_card_photo(update, ctx)
    elif message.document is not None:
        await exchange.on_document(update, ctx)
    elif message.text and message.text.strip():
        await _on_text(update, ctx, message, message.text)
    else:
        await capture.on_other_message(update, ctx)


async def _on_text(update: Update, ctx: BotContext, message: Message, text: str) -> None:
    awaiting = ctx.rep.awaiting
    route = route_text(text, awaiting, ctx.now())
    if route is TextRoute.COMMAND:  # "/…" that Telegram did not mark as a command
        await errors.unknown_command(update, ctx)
    elif route is TextRoute.ANSWER and awaiting is not None:
        await ANSWERS[awaiting.question](update, ctx, awaiting, text)
    elif route is TextRoute.ASK_WHICH and awaiting is not None and awaiting.pending is not None:
        # A second text while the first waits to be told what it is: the rep is typing the people they
        # meet. The first starts a capture, this one follows as any text would; neither is lost.
        await drop_question(ctx)
        await capture.start_from_text(update, ctx, awaiting.pending)
        await capture.on_text(update, ctx)
    elif route is TextRoute.ASK_WHICH and awaiting is not None:
        await _ask_which(ctx, message, awaiting, text)
    else:
        await capture.on_text(update, ctx)


async def _ask_which(ctx: BotContext, message: Message, awaiting: Awaiting, text: str) -> None:
    """Text that came long after the question: keep it, and let the rep say what it is for."""
    await ctx.db(ctx.reps.set_awaiting, rep_id=ctx.rep.id, awaiting=awaiting.holding(text))
    t, asked = ctx.t, int(awaiting.asked_at.timestamp())
    markup = keyboard(
        [
            button(
                t.plain(f"awaiting.answer.{awaiting.question.value}"),
                TypedTextButton(asked, TypedChoice.ANSWER),
            )
        ],
        [button(t.plain("awaiting.new_contact"), TypedTextButton(asked, TypedChoice.NEW))],
    )
    await message.reply_text(t("awaiting.which", text=short(text, QUOTED)), reply_markup=markup)


async def on_which_button(update: Update, ctx: BotContext) -> None:
    """The rep's answer to "what was that text for?": the question asked before, or a new contact."""
    press = await pressed(update, ctx, TypedTextButton)
    if press is None:
        return
    awaiting = press.rep.awaiting
    # The rep's choice wins however late it comes; only a newer question (or a spent offer) voids it.
    if awaiting is None or awaiting.pending is None or int(awaiting.asked_at.timestamp()) != press.data.asked:
        await press.answer(ctx.t.plain("common.expired"), alert=True)
        await _retire(press.query)
        return
    await press.answer()
    await _retire(press.query)
    text = awaiting.pending
    if press.data.choice is TypedChoice.ANSWER:
        # Fresh again: if the answer needs another try (a date not understood), the next text answers it.
        again = awaiting.asked_again(ctx.now())
        await ctx.db(ctx.reps.set_awaiting, rep_id=press.rep.id, awaiting=again)
        await ANSWERS[awaiting.question](update, ctx, again, text)
    else:
        await drop_question(ctx)
        await capture.start_from_text(update, ctx, text)


async def _retire(query: CallbackQuery) -> None:
    """The offer's buttons come off once it is answered (if Telegram still shows them)."""
    if isinstance(query.message, Message) and query.message.reply_markup:
        await query.edit_message_reply_markup(None)


def command_hook() -> BaseHandler[Update, BotContext, None]:
    return MessageHandler(F.COMMAND & PRIVATE_MESSAGE, on_command)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CallbackQueryHandler(on_which_button, pattern=TypedTextButton.pattern()),
        MessageHandler(PRIVATE_MESSAGE & ~F.COMMAND, on_message),
    ]
