"""Finding contacts again: /leads, /prospects, /find, paginated lists and the contact card."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.i18n import Translator
from bot.qualification import Source
from handlers.card import send_card
from handlers.cards import list_line
from handlers.kit.context import BotContext
from storage.contacts import ContactFilter, ContactOrder, Page
from storage.reps import RepRead

PAGE_SIZE = 8
_LIST_STATUSES = {"leads": "lead", "prospects": "prospect", "customers": "customer", "lost": "lost"}
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
    now: datetime,
    rep: RepRead,
    page: Page,
    title: str,
    nav: list[InlineKeyboardButton],
    extra: list[InlineKeyboardButton],
) -> tuple[str, InlineKeyboardMarkup]:
    # A capped /find lists its first 1,000: that many pages, and the title says there are more matches.
    pages = t.count(max(1, -(-page.total // PAGE_SIZE)))
    lines = [title, t("list.page", page=t.count(page.offset // PAGE_SIZE + 1), pages=pages), ""]
    buttons = []
    for index, item in enumerate(page.items, start=page.offset + 1):
        lines.append(list_line(t, index, item, rep.zone, now))
        label = t.plain("list.button", index=index, name=item.name)
        buttons.append(
            [InlineKeyboardButton(label[:40], callback_data=callbacks.pack(callbacks.CONTACT, item.id))]
        )
    rows = [*buttons, *([nav] if nav else []), *([extra] if extra else [])]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


# A list opens by next follow-up (who to call next); the button cycles to best score, then newest.
_ORDERS = (ContactOrder.NEXT, ContactOrder.SCORE, ContactOrder.NEWEST)
_FILTER_KINDS = ("s", "t", "i")


def _list_data(status: str, order: ContactOrder, offset: int, wanted: ContactFilter | None) -> str | None:
    """callback_data of a list page; None when the filter value does not fit in 64 bytes."""
    base = f"{callbacks.LIST}:{status}:{order.value}:{offset}"
    return base if wanted is None else callbacks.fit_text(f"{base}:", f"{wanted.kind}={wanted.value}")


def _status_list(
    ctx: BotContext,
    rep: RepRead,
    status: str,
    order: ContactOrder,
    offset: int,
    wanted: ContactFilter | None = None,
) -> tuple[str, InlineKeyboardMarkup] | None:
    page = ctx.contacts.list_contacts(
        owner_id=rep.id, status=status, order=order, offset=offset, limit=PAGE_SIZE, filter_by=wanted
    )
    t = ctx.t
    if page.total == 0 and wanted is None:
        return None
    title = t(f"list.title_{status}", count=t.count(page.total)) + " · " + t(f"list.order_{order.value}")
    if wanted is not None:
        title += "\n" + t("list.filtered", value=_filter_label(t, wanted))
    nav = _nav_row(
        t,
        page,
        [
            _list_data(status, order, max(0, offset - PAGE_SIZE), wanted),
            _list_data(status, order, offset + PAGE_SIZE, wanted),
        ],
    )
    following = _ORDERS[(_ORDERS.index(order) + 1) % len(_ORDERS)]
    extra = []
    sort_data = _list_data(status, following, 0, wanted)
    if sort_data:
        extra.append(InlineKeyboardButton(t.plain(f"list.sort_{following.value}"), callback_data=sort_data))
    extra.append(
        InlineKeyboardButton(
            t.plain("list.filter"), callback_data=callbacks.pack(callbacks.LIST_FILTER, status, order.value)
        )
    )
    return _page_view(t, ctx.now(), rep, page, title, nav, extra)


def _filter_label(t: Translator, wanted: ContactFilter) -> str:
    return t.plain(f"option.source.{wanted.value}") if wanted.kind == "s" else wanted.value


def _parse_filter(text: str) -> ContactFilter | None:
    kind, _, value = text.partition("=")
    if kind not in _FILTER_KINDS or not value:
        return None
    if kind == "s" and value not in {source.value for source in Source}:
        return None
    return ContactFilter(kind, value)


async def list_command(update: Update, ctx: BotContext) -> None:
    """/leads, /prospects, /customers, /lost: the next follow-up first, with sort and filter buttons."""
    rep = ctx.rep
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    status = _LIST_STATUSES.get(command, "lead")
    view = _status_list(ctx, rep, status, _ORDERS[0], 0)
    if view is None:
        await message.reply_text(ctx.t(f"list.empty_{status}"))
        return
    text, markup = view
    await message.reply_text(text, reply_markup=markup)


async def on_list_button(update: Update, ctx: BotContext) -> None:
    """◀ ▶, the sort toggle and a chosen filter of a status list."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    # l:<status>:<order>:<offset>[:<filter>]; the filter's value may itself hold ":".
    args = (
        (query.data or "").split(":", 4)[1:]
        if len((query.data or "").encode()) <= callbacks.MAX_BYTES
        else []
    )
    valid = (
        len(args) in (3, 4)
        and args[0] in _LIST_STATUSES.values()
        and args[1] in {order.value for order in ContactOrder}
        and args[2].isdigit()
    )
    wanted = _parse_filter(args[3]) if valid and len(args) == 4 else None
    if not valid or (len(args) == 4 and wanted is None):
        await query.answer(ctx.t.plain("common.expired"), show_alert=True)
        return
    view = _status_list(ctx, rep, args[0], ContactOrder(args[1]), int(args[2]), wanted)
    await query.answer()
    if view is None:
        await query.edit_message_text(ctx.t(f"list.empty_{args[0]}"))
        return
    text, markup = view
    await query.edit_message_text(text, reply_markup=markup)


async def on_filter_button(update: Update, ctx: BotContext) -> None:
    """🔎 Filter: the sources, the rep's most used tags and industries, as buttons."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data, with_id=False)
    if parsed is None or len(parsed.args) != 2 or parsed.args[0] not in _LIST_STATUSES.values():
        await query.answer(ctx.t.plain("common.expired"), show_alert=True)
        return
    status, order = (
        parsed.args[0],
        next((o for o in ContactOrder if o.value == parsed.args[1]), _ORDERS[0]),
    )
    t = ctx.t
    options: list[tuple[str, ContactFilter]] = [
        (t.plain(f"option.source.{s.value}"), ContactFilter("s", s.value)) for s in Source
    ]
    options += [
        (f"🏷 {tag}", ContactFilter("t", tag)) for tag in ctx.contacts.tag_choices(owner_id=rep.id, limit=8)
    ]
    options += [
        (f"🏭 {name}", ContactFilter("i", name))
        for name in ctx.contacts.industry_choices(owner_id=rep.id, limit=6)
    ]
    buttons = []
    for label, wanted in options:
        data = _list_data(status, order, 0, wanted)
        if data is not None:
            buttons.append(InlineKeyboardButton(label[:30], callback_data=data))
    rows = [buttons[index : index + 3] for index in range(0, len(buttons), 3)]
    rows.append(
        [
            InlineKeyboardButton(
                t.plain("list.no_filter"),
                callback_data=callbacks.pack(callbacks.LIST, status, order.value, 0),
            )
        ]
    )
    await query.answer()
    await query.edit_message_text(t("list.ask_filter"), reply_markup=InlineKeyboardMarkup(rows))


def _find_view(
    ctx: BotContext, rep: RepRead, text: str, offset: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    page = ctx.contacts.find_contacts(owner_id=rep.id, text=text, offset=offset, limit=PAGE_SIZE)
    if page.total == 0:
        return None
    t = ctx.t
    # The search text travels in the button; a text too long for 64 bytes gets no ◀ ▶ (the first page and
    # a hint to narrow the search are shown instead of a silently different search).
    previous = callbacks.fit_text(f"{callbacks.FIND}:{max(0, offset - PAGE_SIZE)}:", text)
    following = callbacks.fit_text(f"{callbacks.FIND}:{offset + PAGE_SIZE}:", text)
    title: str = t("find.title", text=text, count=t.count(page.total, more=page.capped))
    if page.capped:
        title += "\n" + t("find.capped", count=t.count(page.total))
    return _page_view(t, ctx.now(), rep, page, title, _nav_row(t, page, [previous, following]), [])


async def find_command(update: Update, ctx: BotContext) -> None:
    """/find text: contacts whose name, company, phone, email or notes contain it."""
    rep = ctx.rep
    message = update.effective_message
    assert message is not None
    text = " ".join(ctx.args or [])[:FIND_MAX]
    if not text.strip():
        await message.reply_text(ctx.t("find.usage"))
        return
    view = _find_view(ctx, rep, text, 0)
    if view is None:
        await message.reply_text(ctx.t("find.none", text=text))
        return
    body, markup = view
    await message.reply_text(body, reply_markup=markup)


async def on_find_button(update: Update, ctx: BotContext) -> None:
    """◀ ▶ of a search."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data, with_id=False, text_tail=True)
    if parsed is None or len(parsed.args) != 2 or not parsed.args[0].isdigit():
        await query.answer(ctx.t.plain("common.expired"), show_alert=True)
        return
    view = _find_view(ctx, rep, parsed.args[1][:FIND_MAX], int(parsed.args[0]))
    await query.answer()
    if view is None:
        await query.edit_message_text(ctx.t("find.none", text=parsed.args[1][:FIND_MAX]))
        return
    body, markup = view
    await query.edit_message_text(body, reply_markup=markup)


async def on_contact_button(update: Update, ctx: BotContext) -> None:
    """Open a contact card; an id that is not one of the rep's own contacts is refused."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data)
    contact = (
        ctx.contacts.get_contact(owner_id=rep.id, contact_id=parsed.id)
        if parsed is not None and parsed.id is not None
        else None
    )
    if contact is None:
        await query.answer(ctx.t.plain("contacts.not_found"), show_alert=True)
        return
    await query.answer()
    await send_card(ctx, rep, contact)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler(list(_LIST_STATUSES), list_command),
        CommandHandler("find", find_command),
        CallbackQueryHandler(on_list_button, pattern=r"^l:"),
        CallbackQueryHandler(on_filter_button, pattern=r"^lf:"),
        CallbackQueryHandler(on_find_button, pattern=r"^f:"),
        CallbackQueryHandler(on_contact_button, pattern=r"^c:"),
    ]
