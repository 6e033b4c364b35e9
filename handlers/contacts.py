"""Finding contacts again: /leads, /prospects, /find, paginated lists and the contact card."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator
from handlers.cards import contact_card_text, list_line
from storage.repository import ContactOrder, Page, RepRead

PAGE_SIZE = 8
_LIST_STATUSES = {"leads": "lead", "prospects": "prospect"}
FIND_MAX = 100


def _nav_row(t: Translator, page: Page, data_for: list[str | None]) -> list[InlineKeyboardButton]:
    """◀ and ▶ where there is a page that way; `data_for` is [previous, next] callback_data or None."""
    row = []
    previous, following = data_for
    if page.offset > 0 and previous:
        row.append(InlineKeyboardButton(t.plain("list.previous"), callback_data=previous))
    if page.offset + PAGE_SIZE < page.total and following:
        row.append(InlineKeyboardButton(t.plain("list.next"), callback_data=following))
    return row


def _page_view(
    t: Translator,
    rep: RepRead,
    page: Page,
    title: str,
    nav: list[InlineKeyboardButton],
    extra: list[InlineKeyboardButton],
) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-page.total // PAGE_SIZE))
    lines = [title, t("list.page", page=page.offset // PAGE_SIZE + 1, pages=pages), ""]
    buttons = []
    for index, item in enumerate(page.items, start=page.offset + 1):
        lines.append(list_line(t, index, item, rep.zone))
        label = t.plain("list.button", index=index, name=item.name)
        buttons.append(
            [InlineKeyboardButton(label[:40], callback_data=callbacks.pack(callbacks.CONTACT, item.id))]
        )
    rows = [*buttons, *([nav] if nav else []), *([extra] if extra else [])]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _status_list(
    ctx: BotContext, rep: RepRead, status: str, order: ContactOrder, offset: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    page = ctx.repo.list_contacts(owner_id=rep.id, status=status, order=order, offset=offset, limit=PAGE_SIZE)
    t = ctx.t
    if page.total == 0:
        return None
    title = t(f"list.title_{status}_{order.value}", count=page.total)
    nav = _nav_row(
        t,
        page,
        [
            callbacks.pack(callbacks.LIST, status, order.value, max(0, offset - PAGE_SIZE)),
            callbacks.pack(callbacks.LIST, status, order.value, offset + PAGE_SIZE),
        ],
    )
    other = ContactOrder.SCORE if order is ContactOrder.NEWEST else ContactOrder.NEWEST
    toggle = [
        InlineKeyboardButton(
            t.plain(f"list.sort_{other.value}"),
            callback_data=callbacks.pack(callbacks.LIST, status, other.value, 0),
        )
    ]
    return _page_view(t, rep, page, title, nav, toggle)


async def list_command(update: Update, ctx: BotContext) -> None:
    """/leads and /prospects: the newest first, with a toggle to sort by score."""
    rep = ctx.rep_for(update)
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    status = _LIST_STATUSES.get(command, "lead")
    view = _status_list(ctx, rep, status, ContactOrder.NEWEST, 0)
    if view is None:
        await message.reply_html(ctx.t(f"list.empty_{status}"))
        return
    text, markup = view
    await message.reply_html(text, reply_markup=markup)


async def on_list_button(update: Update, ctx: BotContext) -> None:
    """◀ ▶ and the sort toggle of a status list."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep_for(update)
    parsed = callbacks.parse(query.data, with_id=False)
    valid = (
        parsed is not None
        and len(parsed.args) == 3
        and parsed.args[0] in _LIST_STATUSES.values()
        and parsed.args[1] in {order.value for order in ContactOrder}
        and parsed.args[2].isdigit()
    )
    if not valid or parsed is None:
        await query.answer(ctx.t.plain("common.expired"), show_alert=True)
        return
    view = _status_list(ctx, rep, parsed.args[0], ContactOrder(parsed.args[1]), int(parsed.args[2]))
    await query.answer()
    if view is None:
        await query.edit_message_text(ctx.t(f"list.empty_{parsed.args[0]}"), parse_mode=ParseMode.HTML)
        return
    text, markup = view
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


def _find_view(
    ctx: BotContext, rep: RepRead, text: str, offset: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    page = ctx.repo.find_contacts(owner_id=rep.id, text=text, offset=offset, limit=PAGE_SIZE)
    if page.total == 0:
        return None
    t = ctx.t
    # The search text travels in the button; a text too long for 64 bytes gets no ◀ ▶ (the first page and
    # a hint to narrow the search are shown instead of a silently different search).
    previous = callbacks.fit_text(f"{callbacks.FIND}:{max(0, offset - PAGE_SIZE)}:", text)
    following = callbacks.fit_text(f"{callbacks.FIND}:{offset + PAGE_SIZE}:", text)
    title = t("find.title", text=text, count=page.total)
    return _page_view(t, rep, page, title, _nav_row(t, page, [previous, following]), [])


async def find_command(update: Update, ctx: BotContext) -> None:
    """/find text: contacts whose name, company, phone, email or notes contain it."""
    rep = ctx.rep_for(update)
    message = update.effective_message
    assert message is not None
    text = " ".join(ctx.args or [])[:FIND_MAX]
    if not text.strip():
        await message.reply_html(ctx.t("find.usage"))
        return
    view = _find_view(ctx, rep, text, 0)
    if view is None:
        await message.reply_html(ctx.t("find.none", text=text))
        return
    body, markup = view
    await message.reply_html(body, reply_markup=markup)


async def on_find_button(update: Update, ctx: BotContext) -> None:
    """◀ ▶ of a search."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep_for(update)
    parsed = callbacks.parse(query.data, with_id=False, text_tail=True)
    if parsed is None or len(parsed.args) != 2 or not parsed.args[0].isdigit():
        await query.answer(ctx.t.plain("common.expired"), show_alert=True)
        return
    view = _find_view(ctx, rep, parsed.args[1][:FIND_MAX], int(parsed.args[0]))
    await query.answer()
    if view is None:
        await query.edit_message_text(
            ctx.t("find.none", text=parsed.args[1][:FIND_MAX]), parse_mode=ParseMode.HTML
        )
        return
    body, markup = view
    await query.edit_message_text(body, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_contact_button(update: Update, ctx: BotContext) -> None:
    """Open a contact card; an id that is not one of the rep's own contacts is refused."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep_for(update)
    parsed = callbacks.parse(query.data)
    contact = (
        ctx.repo.get_contact(owner_id=rep.id, contact_id=parsed.id)
        if parsed is not None and parsed.id is not None
        else None
    )
    if contact is None:
        await query.answer(ctx.t.plain("contacts.not_found"), show_alert=True)
        return
    await query.answer()
    assert update.effective_chat is not None
    await ctx.bot.send_message(
        update.effective_chat.id, contact_card_text(ctx.t, contact, rep.zone), parse_mode=ParseMode.HTML
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler(["leads", "prospects"], list_command),
        CommandHandler("find", find_command),
        CallbackQueryHandler(on_list_button, pattern=r"^l:"),
        CallbackQueryHandler(on_find_button, pattern=r"^f:"),
        CallbackQueryHandler(on_contact_button, pattern=r"^c:"),
    ]
