"""Finding contacts again: /leads, /prospects, /find, paginated lists and the contact card."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.awaiting import Awaiting, Question
from bot.i18n import Translator
from bot.qualification import Source
from handlers.card import own_contact, send_card
from handlers.cards import list_line
from handlers.kit.awaiting import TypedAnswers, ask, drop_question
from handlers.kit.buttons import ContactButton, FindButton, ListButton, ListFilterButton, ListStatus, Text
from handlers.kit.commands import command
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard, rows, short
from handlers.kit.preamble import pressed, pressed_on
from storage.contacts import ContactFilter, ContactOrder, Page
from storage.reps import RepRead

PAGE_SIZE = 8
_LIST_STATUSES = {
    "leads": ListStatus.LEAD,
    "prospects": ListStatus.PROSPECT,
    "customers": ListStatus.CUSTOMER,
    "lost": ListStatus.LOST,
}
FIND_MAX = 100
CONTACT_LABEL_MAX = 40
FILTER_LABEL_MAX = 30


def _nav_row(
    t: Translator,
    page: Page,
    previous: ListButton | FindButton | None,
    following: ListButton | FindButton | None,
) -> list[InlineKeyboardButton]:
    """◀ and ▶ where there is a page that way and its data fits in a button."""
    row = []
    if page.offset > 0 and previous is not None and previous.fits():
        row.append(button(t.plain("list.previous"), previous))
    if page.offset + PAGE_SIZE < page.total and following is not None and following.fits():
        row.append(button(t.plain("list.next"), following))
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
    pages = max(1, -(-page.total // PAGE_SIZE))
    # "Page 1 of 1" says nothing: a list that fits on one page has no page line.
    where = (
        [t("list.page", page=t.count(page.offset // PAGE_SIZE + 1), pages=t.count(pages))]
        if pages > 1
        else []
    )
    lines = [title, *where, ""]
    buttons = []
    for index, item in enumerate(page.items, start=page.offset + 1):
        lines.append(list_line(t, index, item, rep.zone, now))
        label = t.plain("list.button", index=index, name=item.name)
        buttons.append(button(short(label, CONTACT_LABEL_MAX), ContactButton(item.id)))
    return "\n".join(lines), keyboard(*rows(buttons, 1), nav, extra)


# A list opens by next follow-up (who to call next); the button cycles to best score, newest, then the
# biggest deal.
_ORDERS = (ContactOrder.NEXT, ContactOrder.SCORE, ContactOrder.NEWEST, ContactOrder.VALUE)
_FILTER_KINDS = ("s", "t", "i")


def _list_button(
    status: ListStatus, order: ContactOrder, offset: int, wanted: ContactFilter | None
) -> ListButton:
    """A list page's data; a filter value too long for 64 bytes makes it not fit (see `fits`)."""
    tail = Text("" if wanted is None else f"{wanted.kind}={wanted.value}")
    return ListButton(status, order, offset, tail)


async def _status_list(
    ctx: BotContext,
    rep: RepRead,
    status: ListStatus,
    order: ContactOrder,
    offset: int,
    wanted: ContactFilter | None = None,
) -> tuple[str, InlineKeyboardMarkup] | None:
    page = await ctx.db(
        ctx.contacts.list_contacts,
        owner_id=rep.id,
        status=status,
        order=order,
        offset=offset,
        limit=PAGE_SIZE,
        filter_by=wanted,
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
        _list_button(status, order, max(0, offset - PAGE_SIZE), wanted),
        _list_button(status, order, offset + PAGE_SIZE, wanted),
    )
    following = _ORDERS[(_ORDERS.index(order) + 1) % len(_ORDERS)]
    extra = []
    sort = _list_button(status, following, 0, wanted)
    if sort.fits():
        extra.append(button(t.plain(f"list.sort_{following.value}"), sort))
    extra.append(button(t.plain("list.filter"), ListFilterButton(status, order)))
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
    status = _LIST_STATUSES.get(command, ListStatus.LEAD)
    view = await _status_list(ctx, rep, status, _ORDERS[0], 0)
    if view is None:
        await message.reply_text(ctx.t(f"list.empty_{status}"))
        return
    text, markup = view
    await message.reply_text(text, reply_markup=markup)


async def on_list_button(update: Update, ctx: BotContext) -> None:
    """◀ ▶, the sort toggle and a chosen filter of a status list."""
    press = await pressed(update, ctx, ListButton)
    if press is None:
        return
    data = press.data
    wanted = _parse_filter(data.filter) if data.filter else None
    if data.filter and wanted is None:
        await press.answer(ctx.t.plain("common.expired"), alert=True)
        return
    view = await _status_list(ctx, press.rep, data.status, data.order, data.offset, wanted)
    await press.answer()
    if view is None:
        await press.query.edit_message_text(ctx.t(f"list.empty_{data.status.value}"))
        return
    text, markup = view
    await press.query.edit_message_text(text, reply_markup=markup)


async def _filter_options(ctx: BotContext, rep: RepRead) -> list[tuple[str, ContactFilter]]:
    """The sources, then the rep's most used tags and industries, each with its label."""
    t = ctx.t
    options: list[tuple[str, ContactFilter]] = [
        (t.plain(f"option.source.{s.value}"), ContactFilter("s", s.value)) for s in Source
    ]
    options += [
        (f"🏷 {tag}", ContactFilter("t", tag))
        for tag in await ctx.db(ctx.contacts.tag_choices, owner_id=rep.id, limit=8)
    ]
    options += [
        (f"🏭 {name}", ContactFilter("i", name))
        for name in await ctx.db(ctx.contacts.industry_choices, owner_id=rep.id, limit=6)
    ]
    return options


async def on_filter_button(update: Update, ctx: BotContext) -> None:
    """🔎 Filter: the sources, the rep's most used tags and industries, as buttons."""
    press = await pressed(update, ctx, ListFilterButton)
    if press is None:
        return
    status, order, t = press.data.status, press.data.order, ctx.t
    choices = [
        (label, _list_button(status, order, 0, wanted))
        for label, wanted in await _filter_options(ctx, press.rep)
    ]
    buttons = [button(short(label, FILTER_LABEL_MAX), data) for label, data in choices if data.fits()]
    no_filter = button(t.plain("list.no_filter"), ListButton(status, order, 0))
    await press.answer()
    await press.query.edit_message_text(
        t("list.ask_filter"), reply_markup=keyboard(*rows(buttons, 3), [no_filter])
    )


async def _find_view(
    ctx: BotContext, rep: RepRead, text: str, offset: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    page = await ctx.db(
        ctx.contacts.find_contacts, owner_id=rep.id, text=text, offset=offset, limit=PAGE_SIZE
    )
    if page.total == 0:
        return None
    t = ctx.t
    # The search text travels in the button; a text too long for 64 bytes gets no ◀ ▶ (the first page and
    # a hint to narrow the search are shown instead of a silently different search).
    previous = FindButton(max(0, offset - PAGE_SIZE), Text(text))
    following = FindButton(offset + PAGE_SIZE, Text(text))
    title: str = t("find.title", text=text, count=t.count(page.total, more=page.capped))
    if page.capped:
        title += "\n" + t("find.capped", count=t.count(page.total))
    return _page_view(t, ctx.now(), rep, page, title, _nav_row(t, page, previous, following), [])


async def find_command(update: Update, ctx: BotContext) -> None:
    """/find text: contacts whose name, company, phone, email or notes contain it. /find alone (the menu
    sends it so) asks what to look for, and the next message typed is the search."""
    text = " ".join(ctx.args or [])[:FIND_MAX]
    if not text.strip():
        await ask(ctx, Question.FIND)
        await ctx.bot.send_message(ctx.rep.chat_id, ctx.t("find.ask"))
        return
    await _send_found(ctx, text)


async def _typed_search(_update: Update, ctx: BotContext, _awaiting: Awaiting, text: str) -> None:
    """What /find alone asked for: the search."""
    await drop_question(ctx)
    await _send_found(ctx, text[:FIND_MAX])


async def _send_found(ctx: BotContext, text: str) -> None:
    view = await _find_view(ctx, ctx.rep, text, 0)
    if view is None:
        await ctx.bot.send_message(ctx.rep.chat_id, ctx.t("find.none", text=text))
        return
    body, markup = view
    await ctx.bot.send_message(ctx.rep.chat_id, body, reply_markup=markup)


TYPED_ANSWERS: TypedAnswers = {Question.FIND: _typed_search}


async def on_find_button(update: Update, ctx: BotContext) -> None:
    """◀ ▶ of a search."""
    press = await pressed(update, ctx, FindButton)
    if press is None:
        return
    text = press.data.text[:FIND_MAX]
    view = await _find_view(ctx, press.rep, text, press.data.offset)
    await press.answer()
    if view is None:
        await press.query.edit_message_text(ctx.t("find.none", text=text))
        return
    body, markup = view
    await press.query.edit_message_text(body, reply_markup=markup)


async def on_contact_button(update: Update, ctx: BotContext) -> None:
    """Open a contact card; an id that is not one of the rep's own contacts is refused."""
    press = await pressed_on(
        update,
        ctx,
        ContactButton,
        own_contact(ctx),
        refusal="contacts.not_found",
    )
    if press is None:
        return
    await press.answer()
    await send_card(ctx, press.rep, press.record)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command(list(_LIST_STATUSES), list_command),
        command("find", find_command),
        CallbackQueryHandler(on_list_button, pattern=ListButton.pattern()),
        CallbackQueryHandler(on_filter_button, pattern=ListFilterButton.pattern()),
        CallbackQueryHandler(on_find_button, pattern=FindButton.pattern()),
        CallbackQueryHandler(on_contact_button, pattern=ContactButton.pattern()),
    ]
