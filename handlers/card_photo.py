"""A photo of a business card (or the image sent as a file): read off the event loop while a "reading the
card…" message shows, then a capture prefilled with what the card says, in that same message.

The image is downloaded into memory, read, and dropped: nothing of it is stored, not even its file id.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.card_fields import CardFields, answers_from_card
from bot.card_reading import MAX_BYTES, CardReadingUnavailable, ImageRefused, Refusal
from bot.i18n import Translator
from handlers import capture
from handlers.kit.buttons import CardPhotoAction, CardPhotoButton
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard
from handlers.kit.preamble import pressed

log = logging.getLogger(__name__)

# Image types a card may come as when sent as a file (a photo always comes as a JPEG).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff")


def is_card_image(message: Message) -> bool:
    """A photo, or a file whose type says it is an image."""
    if message.photo:
        return True
    document = message.document
    return document is not None and (document.mime_type or "").lower() in IMAGE_TYPES


async def on_card_photo(update: Update, ctx: BotContext) -> None:
    """A photo of a business card: read it, and start a capture with what it says."""
    message = update.effective_message
    assert message is not None
    t = ctx.t
    reader = ctx.bot_data.card_reader
    if reader is None or not reader.available:
        await message.reply_text(t("card_photo.not_set_up"))
        return
    file_id, size = (
        (message.photo[-1].file_id, message.photo[-1].file_size)
        if message.photo
        else (message.document.file_id, message.document.file_size)  # type: ignore[union-attr]
    )
    if size is not None and size > MAX_BYTES:
        await message.reply_text(t(f"card_photo.refused.{Refusal.TOO_BIG}"))
        return
    status = await message.reply_text(t("card_photo.reading"))
    try:
        data = bytes(await (await ctx.bot.get_file(file_id)).download_as_bytearray())
        reading = await ctx.read_card(data)
    except BadRequest as error:
        # Telegram lets a bot download files of up to 20 MB and says "file is too big" above that.
        log.info("card image not downloaded: %s", error)
        await status.edit_text(t(f"card_photo.refused.{Refusal.TOO_BIG}"))
        return
    except ImageRefused as refused:
        await status.edit_text(t(f"card_photo.refused.{refused.reason}"))
        return
    except CardReadingUnavailable:
        await status.edit_text(t("card_photo.not_set_up"))
        return
    fields = reading.fields
    log.info("card read in %.2f s: %d fields, qr %s", reading.seconds, _count(fields), fields.from_qr)
    if fields.empty:
        await _no_card_text(ctx, status)
        return
    answers = answers_from_card(fields, note=message.caption)
    notice = _read_notice(t, fields)
    await capture.start_from_card(update, ctx, answers, notice=notice, message_id=status.message_id)


def _count(fields: CardFields) -> int:
    values = (fields.name, fields.company, fields.role, fields.email, fields.website, fields.address)
    return sum(1 for value in values if value) + len(fields.phones)


def _read_notice(t: Translator, fields: CardFields) -> str:
    """What the card gave, in a line above the capture's first question; the summary shows each field."""
    found = [
        t.plain(f"field.{name}")
        for name, value in (
            ("name", fields.name),
            ("company", fields.company),
            ("role", fields.role),
            ("phone", fields.phones),
            ("email", fields.email),
            ("website", fields.website),
            ("address", fields.address),
        )
        if value
    ]
    key = "card_photo.read_qr" if fields.from_qr else "card_photo.read"
    return t(key, fields=", ".join(found))


async def _no_card_text(ctx: BotContext, status: Message) -> None:
    """No card on the photo: say so; with a capture open, point at its question, else offer the name."""
    draft = await ctx.db(ctx.drafts.get_open_draft, owner_id=ctx.rep.id)
    t = ctx.t
    if draft is not None:
        await status.edit_text(t("card_photo.no_text_in_capture"))
        return
    markup = keyboard([button(t.plain("card_photo.type_name"), CardPhotoButton(CardPhotoAction.TYPE_NAME))])
    await status.edit_text(t("card_photo.no_text"), reply_markup=markup)


async def on_type_name(update: Update, ctx: BotContext) -> None:
    """ "Type the name" under a photo with no card text: a capture at the name question."""
    press = await pressed(update, ctx, CardPhotoButton)
    if press is None:
        return
    await press.answer()
    await press.query.edit_message_reply_markup(None)
    await capture.new_command(update, ctx)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CallbackQueryHandler(on_type_name, pattern=CardPhotoButton.pattern())]
