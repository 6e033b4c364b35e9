"""The calendar subscription in /settings: turn it on (the private address is sent once), make a new
address (the old one stops working), or turn it off. The feed itself is served by runtime/calendar.py."""

from __future__ import annotations

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.calendar import feed_address, new_token, token_hash
from handlers.kit.buttons import CalendarAction, CalendarButton, SettingsAction, SettingsButton
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard
from handlers.kit.preamble import Press, pressed
from storage.calendar import CalendarFeedRead


def _back(ctx: BotContext) -> InlineKeyboardButton:
    return button(ctx.t.plain("common.back"), SettingsButton(SettingsAction.SHOW))


def _view(ctx: BotContext, feed: CalendarFeedRead | None) -> tuple[str, InlineKeyboardMarkup]:
    """The subscription as it stands: off, with a button to turn it on; or on, since when, with buttons
    for a new address and to turn it off."""
    t = ctx.t
    if feed is None:
        return t("calendar.off"), keyboard(
            [button(t.plain("calendar.turn_on"), CalendarButton(CalendarAction.ON))], [_back(ctx)]
        )
    return t("calendar.on", since=t.day(feed.issued_at, ctx.rep.zone)), keyboard(
        [
            button(t.plain("calendar.new_address"), CalendarButton(CalendarAction.NEW)),
            button(t.plain("calendar.turn_off"), CalendarButton(CalendarAction.OFF)),
        ],
        [_back(ctx)],
    )


async def _send_address(ctx: BotContext, token: str) -> None:
    """The address, in a message of its own that stays in the chat: the only time it is shown."""
    base = ctx.settings.calendar_base_url
    assert base is not None
    address = feed_address(base, token)
    await ctx.bot.send_message(
        ctx.rep.chat_id,
        ctx.t("calendar.address", https=address.https, webcal=address.webcal),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(ctx.t.plain("calendar.copy"), copy_text=CopyTextButton(address.https))]]
        ),
    )


async def _act(ctx: BotContext, press: Press[CalendarButton]) -> tuple[str, InlineKeyboardMarkup]:
    """What the button does, and the view to show after it."""
    t, rep, data = ctx.t, press.rep, press.data
    if data.action is CalendarAction.ON:
        token = new_token()
        feed = await ctx.db(ctx.calendar.turn_on, rep_id=rep.id, token_hash=token_hash(token))
        if feed is not None:
            await press.answer()
            await _send_address(ctx, token)
            return _view(ctx, feed)
        await press.answer()  # a double tap: the first one sent the address
    elif data.action is CalendarAction.NEW:
        feed = await ctx.db(ctx.calendar.feed_status, rep_id=rep.id)
        await press.answer()
        if feed is not None:
            return t("calendar.confirm_new"), keyboard(
                [
                    button(
                        t.plain("calendar.confirm_new_yes"),
                        CalendarButton(CalendarAction.NEW_YES, feed.version),
                    ),
                    button(t.plain("common.cancel"), CalendarButton(CalendarAction.SHOW)),
                ]
            )
    elif data.action is CalendarAction.NEW_YES and data.version is not None:
        token = new_token()
        feed = await ctx.db(
            ctx.calendar.new_address, rep_id=rep.id, version=data.version, token_hash=token_hash(token)
        )
        if feed is not None:
            await press.answer()
            await _send_address(ctx, token)
            return _view(ctx, feed)
        await press.answer(t.plain("calendar.already_new"), alert=True)
    elif data.action is CalendarAction.OFF:
        turned_off = await ctx.db(ctx.calendar.turn_off, rep_id=rep.id)
        await press.answer(t.plain("calendar.turned_off") if turned_off else None)
    else:
        await press.answer()
    return _view(ctx, await ctx.db(ctx.calendar.feed_status, rep_id=rep.id))


async def on_calendar_button(update: Update, ctx: BotContext) -> None:
    """A calendar button in /settings: show, turn on, make a new address, or turn off."""
    press = await pressed(update, ctx, CalendarButton)
    if press is None:
        return
    if ctx.settings.calendar_base_url is None:
        # A button from before the web server was turned off.
        await press.answer(ctx.t.plain("calendar.unavailable"), alert=True)
        return
    text, markup = await _act(ctx, press)
    await press.query.edit_message_text(text, reply_markup=markup)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CallbackQueryHandler(on_calendar_button, pattern=CalendarButton.pattern())]
