"""The contact card and its actions: log a meeting or call, note, follow-up, status, edit, tags, birthday,
merge, history and delete. The card message is edited in place; typed values are the rep's next message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.awaiting import Awaiting, Question
from bot.contact_fields import FIELDS, Invalid, clean_field, parse_tags
from bot.dates import DateRefusal, Refusal, due_for_choice
from bot.deal import AmountRefused, month_code, month_options, parse_amount, read_month_code
from bot.i18n import Translator
from bot.qualification import NOTE_MAX, NextStepChoice
from bot.schedule import LostReason, local_day
from bot.scoring import Status
from bot.status import ALLOWED_MOVES, check_move
from bot.text_keys import search_key
from handlers.capture import start_on_contact
from handlers.cards import (
    amount_refusal,
    choice_label,
    contact_card_text,
    deal_value_text,
    history_line,
    month_text,
)
from handlers.kit.awaiting import TypedAnswer, TypedAnswers, ask, drop_question
from handlers.kit.buttons import CardButton, CardTagButton, ContactButton, Text
from handlers.kit.context import BotContext
from handlers.kit.dates import read_date, read_rep_birthday, refusal_text
from handlers.kit.keyboards import ROW_EACH, button, keyboard, rows, short
from handlers.kit.preamble import OwnedPress, Press, pressed_on
from handlers.outreach import contact_reach
from storage.contacts import ContactRead
from storage.reps import RepRead

log = logging.getLogger(__name__)

HISTORY_ON_CARD = 5
HISTORY_PAGE = 6
_NEXT = (NextStepChoice.TOMORROW, NextStepChoice.IN_3_DAYS, NextStepChoice.NEXT_WEEK, NextStepChoice.DATE)


def _button(label: str, contact_id: int, action: str, *args: object) -> InlineKeyboardButton:
    return button(label, CardButton(contact_id, action, tuple(str(arg) for arg in args)))


def card_keyboard(t: Translator, rep: RepRead, contact: ContactRead, now: datetime) -> InlineKeyboardMarkup:
    """The buttons to write to the contact (WhatsApp, the drafted message, the e-mail), then the actions."""
    actions = ("lm", "lc", "nt", "fu", "st", "dl", "ed", "tg", "bd", "mg", "h", "del")
    buttons = [_button(t.plain(f"cardaction.{action}"), contact.id, action) for action in actions]
    reach = contact_reach(t, rep, contact, now)
    return keyboard(*reach, *rows(buttons, 3))


async def render_card(
    ctx: BotContext, rep: RepRead, contact: ContactRead
) -> tuple[str, InlineKeyboardMarkup]:
    history = await ctx.db(
        ctx.contacts.card_history, owner_id=rep.id, contact_id=contact.id, limit=HISTORY_ON_CARD
    )
    markup = card_keyboard(ctx.t, rep, contact, ctx.now())
    return contact_card_text(ctx.t, contact, rep.zone, history), markup


async def send_card(ctx: BotContext, rep: RepRead, contact: ContactRead, notice: str | None = None) -> None:
    text, markup = await render_card(ctx, rep, contact)
    await ctx.bot.send_message(rep.chat_id, f"{notice}\n\n{text}" if notice else text, reply_markup=markup)


class _Press:
    """One checked tap on a card button (handlers/kit/preamble.py) and what card actions share."""

    def __init__(self, update: Update, ctx: BotContext, press: OwnedPress[CardButton, ContactRead]):
        self.update, self.ctx, self.press = update, ctx, press
        self.rep, self.contact, self.args = press.rep, press.record, press.data.args
        self.t = ctx.t

    def arg(self, index: int = 0) -> str:
        return self.args[index] if len(self.args) > index else ""

    def back(self) -> list[InlineKeyboardButton]:
        return [_button(self.t.plain("common.back"), self.contact.id, "v")]

    async def show(self, text: str, markup: InlineKeyboardMarkup | None) -> None:
        await self.press.query.edit_message_text(text, reply_markup=markup)

    async def card(self, notice: str | None = None) -> None:
        """The card again, fresh from the database, with an optional line about what just happened."""
        await _redraw_card(self.ctx, self.press, self.contact.id, notice)

    async def ask(self, question: Question, detail: str | None = None) -> None:
        """The rep's next typed message answers this, about this contact."""
        await ask(
            self.ctx, question, contact_id=self.contact.id, detail=detail, prompt_id=self.press.message_id
        )


def own_contact(
    ctx: BotContext,
) -> Callable[[CardButton | CardTagButton | ContactButton], ContactRead | None]:
    """The loader of a button's contact for the press checks: among the rep's own, or None."""
    return lambda data: ctx.contacts.get_contact(owner_id=ctx.rep.id, contact_id=data.contact)


async def on_card_button(update: Update, ctx: BotContext) -> None:
    """Every card button; the contact id is looked up among the rep's own contacts first."""
    press = await pressed_on(update, ctx, CardButton, own_contact(ctx), refusal="contacts.not_found")
    if press is None:
        return
    action = _ACTIONS.get(press.data.action)
    if action is None:
        await press.answer(ctx.t.plain("contacts.not_found"), alert=True)
        return
    await action(_Press(update, ctx, press))


async def on_tag_button(update: Update, ctx: BotContext) -> None:
    """✖ on one of the contact's tags: remove it."""
    press = await pressed_on(update, ctx, CardTagButton, own_contact(ctx), refusal="contacts.not_found")
    if press is None:
        return
    await press.answer()
    contacts = ctx.contacts
    contacts.remove_tag(owner_id=press.rep.id, contact_id=press.record.id, tag_key=search_key(press.data.key))
    await _redraw_card(ctx, press, press.record.id, ctx.t("card.tag_removed"))


async def _redraw_card(
    ctx: BotContext, press: Press[CardButton] | Press[CardTagButton], contact_id: int, notice: str | None
) -> None:
    contact = await ctx.db(ctx.contacts.get_contact, owner_id=press.rep.id, contact_id=contact_id)
    if contact is None:
        return
    text, markup = await render_card(ctx, press.rep, contact)
    await press.query.edit_message_text(f"{notice}\n\n{text}" if notice else text, reply_markup=markup)


async def _view(press: _Press) -> None:
    await _answer(press)
    await drop_question(press.ctx)
    await press.card()


async def _answer(press: _Press, text: str | None = None, *, alert: bool = False) -> None:
    await press.press.answer(text, alert=alert)


async def _log(press: _Press, kind: str) -> None:
    started = await start_on_contact(press.update, press.ctx, press.contact, kind)
    await _answer(press, None if started else press.t.plain("card.capture_open"), alert=not started)


async def _log_meeting(press: _Press) -> None:
    await _log(press, "meeting")


async def _log_call(press: _Press) -> None:
    await _log(press, "call")


async def _note(press: _Press) -> None:
    await _answer(press)
    await press.ask(Question.CARD_NOTE)
    await press.show(press.t("card.ask_note", name=press.contact.name), keyboard(press.back()))


async def _followup(press: _Press) -> None:
    await _answer(press)
    t = press.t
    buttons = [
        _button(t.plain(f"option.next.{choice.value}"), press.contact.id, "fn", choice.value)
        for choice in _NEXT
    ]
    if press.contact.next_due:
        buttons.append(_button(t.plain("card.no_followup"), press.contact.id, "fn", "none"))
    current = (
        t.when(press.contact.next_due, press.rep.zone)
        if press.contact.next_due
        else t.plain("capture.no_next_step")
    )
    await press.show(t("card.ask_followup", when=current), keyboard(*rows(buttons), press.back()))


async def _followup_choice(press: _Press) -> None:
    choice = next((c for c in (*_NEXT, NextStepChoice.NONE) if c.value == press.arg()), None)
    if choice is None:
        await _answer(press, press.t.plain("common.expired"), alert=True)
        return
    await _answer(press)
    if choice is NextStepChoice.DATE:
        await press.ask(Question.CARD_DATE)
        await press.show(press.t("reminder.ask_date"), keyboard(press.back()))
        return
    due = due_for_choice(choice, press.ctx.now(), press.rep.zone, press.rep.working_weekdays)
    await press.ctx.db(
        press.ctx.contacts.set_followup, owner_id=press.rep.id, contact_id=press.contact.id, due=due
    )
    t = press.t
    await press.card(
        t("reminder.next_set", when=t.echo(due, press.rep.zone)) if due else t("reminder.no_next_set")
    )


async def _followup_date(press: _Press) -> None:
    if not press.arg().isdigit():
        await _answer(press, press.t.plain("common.expired"), alert=True)
        return
    due = datetime.fromtimestamp(int(press.arg()) * 60, UTC)
    if due <= press.ctx.now():
        await _answer(press, press.t.plain("card.date_passed"), alert=True)
        return
    await _answer(press)
    await press.ctx.db(
        press.ctx.contacts.set_followup, owner_id=press.rep.id, contact_id=press.contact.id, due=due
    )
    await drop_question(press.ctx)
    await press.card(press.t("reminder.next_set", when=press.t.echo(due, press.rep.zone)))


async def _status_menu(press: _Press) -> None:
    await _answer(press)
    t, current = press.t, Status(press.contact.status)
    buttons = [
        _button(t.plain(f"card.move_to.{target.value}"), press.contact.id, "sm", target.value)
        for target in ALLOWED_MOVES[current]
    ]
    await press.show(
        t("card.ask_status", status=t.plain(f"status.{current.value}")),
        keyboard(*rows(buttons), press.back()),
    )


async def _status_move(press: _Press) -> None:
    t = press.t
    wanted = next((status for status in Status if status.value == press.arg()), None)
    if wanted is None:
        await _answer(press, t.plain("common.expired"), alert=True)
        return
    move = check_move(Status(press.contact.status), wanted)
    if not move.allowed:
        options = ", ".join(t.plain(f"status.{option.value}") for option in move.options)
        refusal = t.plain(
            "card.move_refused",
            current=t.plain(f"status.{move.current.value}"),
            wanted=t.plain(f"status.{wanted.value}"),
            options=options,
        )
        await _answer(press, refusal[:200], alert=True)
        return
    await _answer(press)
    if wanted is Status.LOST:
        buttons = [
            _button(t.plain(f"lost.{reason.value}"), press.contact.id, "sl", reason.value)
            for reason in LostReason
        ]
        await press.show(t("reminder.ask_lost"), keyboard(*rows(buttons, ROW_EACH), press.back()))
        return
    await press.ctx.db(
        press.ctx.contacts.change_status, owner_id=press.rep.id, contact_id=press.contact.id, status=wanted
    )
    await press.card(t("card.status_set", status=t.plain(f"status.{wanted.value}")))


async def _status_lost(press: _Press) -> None:
    reason = next((reason for reason in LostReason if reason.value == press.arg()), None)
    if reason is None or not check_move(Status(press.contact.status), Status.LOST).allowed:
        await _answer(press, press.t.plain("common.expired"), alert=True)
        return
    await _answer(press)
    await press.ctx.db(
        press.ctx.contacts.mark_lost, owner_id=press.rep.id, contact_id=press.contact.id, reason=reason
    )
    await press.card(press.t("reminder.lost_saved", reason=press.t.plain(f"lost.{reason.value}")))


async def _edit_menu(press: _Press) -> None:
    await _answer(press)
    buttons = [_button(press.t.plain(f"field.{name}"), press.contact.id, "ef", name) for name in FIELDS]
    await press.show(press.t("card.ask_field"), keyboard(*rows(buttons, 3), press.back()))


async def _edit_field(press: _Press) -> None:
    spec = FIELDS.get(press.arg())
    if spec is None:
        await _answer(press, press.t.plain("common.expired"), alert=True)
        return
    await _answer(press)
    t = press.t
    if spec.typed:
        current = getattr(press.contact, spec.name, None) if spec.name != "name" else press.contact.name
        await press.ask(Question.CARD_FIELD, detail=spec.name)
        prompt = t(
            "card.ask_value",
            field=t.plain(f"field.{spec.name}"),
            current=current or t.plain("common.not_answered"),
        )
        await press.show(prompt, keyboard(press.back()))
        return
    buttons = [
        _button(choice_label(t, spec.name, choice.value), press.contact.id, "ec", spec.name, choice.value)
        for choice in spec.choices
    ]
    buttons.append(_button(t.plain("card.clear"), press.contact.id, "ec", spec.name, "-"))
    await press.show(
        t("card.ask_choice", field=t.plain(f"field.{spec.name}")),
        keyboard(*rows(buttons, ROW_EACH if spec.name == "source" else 2), press.back()),
    )


async def _edit_choice(press: _Press) -> None:
    spec = FIELDS.get(press.arg())
    value = press.arg(1)
    if (
        spec is None
        or spec.typed
        or (value != "-" and value not in {choice.value for choice in spec.choices})
    ):
        await _answer(press, press.t.plain("common.expired"), alert=True)
        return
    await _answer(press)
    await press.ctx.db(
        press.ctx.contacts.update_field,
        owner_id=press.rep.id,
        contact_id=press.contact.id,
        field=spec.name,
        value=None if value == "-" else value,
    )
    await press.card(press.t("card.saved_field", field=press.t.plain(f"field.{spec.name}")))


async def _deal(press: _Press) -> None:
    """The deal: its value typed as the next message, its close month one tap, either cleared."""
    await _answer(press)
    t, contact = press.t, press.contact
    await press.ask(Question.CARD_VALUE)
    answers = contact.answers
    value = (
        deal_value_text(t, answers.value, answers.currency)
        if answers.value is not None and answers.currency
        else t.plain("common.not_answered")
    )
    month = month_text(t, answers.close_month) if answers.close_month else t.plain("common.not_answered")
    today = press.ctx.now().astimezone(press.rep.zone).date()
    months = [
        _button(
            t.plain("common.chosen", label=month_text(t, option))
            if option == answers.close_month
            else month_text(t, option),
            contact.id,
            "dm",
            month_code(option),
        )
        for option in month_options(today)
    ]
    clear = []
    if answers.value is not None:
        clear.append(_button(t.plain("card.clear_value"), contact.id, "dx"))
    if answers.close_month is not None:
        clear.append(_button(t.plain("card.clear_month"), contact.id, "dm", "-"))
    prompt = t("card.ask_deal", name=contact.name, value=value, month=month, currency=press.rep.deal_currency)
    await press.show(prompt, keyboard(*rows(months, 3), clear, press.back()))


async def _deal_month(press: _Press) -> None:
    month = read_month_code(press.arg())
    if month is None and press.arg() != "-":
        await _answer(press, press.t.plain("common.expired"), alert=True)
        return
    await _answer(press)
    await press.ctx.db(
        press.ctx.contacts.set_close_month, owner_id=press.rep.id, contact_id=press.contact.id, month=month
    )
    await drop_question(press.ctx)
    await press.card(press.t("card.saved_field", field=press.t.plain("field.close_month")))


async def _deal_clear(press: _Press) -> None:
    await _answer(press)
    await press.ctx.db(
        press.ctx.contacts.set_deal_value,
        owner_id=press.rep.id,
        contact_id=press.contact.id,
        value=None,
        currency=None,
    )
    await drop_question(press.ctx)
    await press.card(press.t("card.cleared_field", field=press.t.plain("field.value")))


async def _tags(press: _Press) -> None:
    await _answer(press)
    await press.ask(Question.CARD_TAGS)
    buttons = []
    for tag in press.contact.tags:
        data = CardTagButton(press.contact.id, Text(search_key(tag)))
        if data.fits():
            buttons.append(button(press.t.plain("card.remove_tag", tag=short(tag, 20)), data))
    await press.show(press.t("card.ask_tags"), keyboard(*rows(buttons), press.back()))


async def _birthday(press: _Press) -> None:
    await _answer(press)
    await press.ask(Question.CARD_BIRTHDAY)
    rows = [press.back()]
    if press.contact.birthday:
        rows.insert(0, [_button(press.t.plain("card.remove_birthday"), press.contact.id, "bx")])
    await press.show(press.t("card.ask_birthday"), InlineKeyboardMarkup(rows))


async def _remove_birthday(press: _Press) -> None:
    await _answer(press)
    await press.ctx.db(
        press.ctx.contacts.set_birthday, owner_id=press.rep.id, contact_id=press.contact.id, birthday=None
    )
    await drop_question(press.ctx)
    await press.card()


async def _birthday_card_sent(press: _Press) -> None:
    """From the digest: one tap notes that a birthday card went out, once; the button comes off."""
    noted = await press.ctx.db(
        press.ctx.contacts.note_birthday_card,
        owner_id=press.rep.id,
        contact_id=press.contact.id,
        note=press.t.plain("card.birthday_note"),
        since=local_day(press.ctx.now(), press.rep.zone).start,
    )
    await _answer(press, press.t.plain("card.birthday_noted" if noted else "card.birthday_already"))
    message = press.press.query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is not None:
        tapped = press.press.query.data
        kept = [[key for key in row if key.callback_data != tapped] for row in markup.inline_keyboard]
        await press.press.query.edit_message_reply_markup(keyboard(*kept))


async def _merge(press: _Press) -> None:
    await _answer(press)
    await press.ask(Question.CARD_MERGE)
    await press.show(press.t("card.ask_merge", name=press.contact.name), keyboard(press.back()))


async def _merge_confirm(press: _Press) -> None:
    other = (
        await press.ctx.db(press.ctx.contacts.get_contact, owner_id=press.rep.id, contact_id=int(press.arg()))
        if press.arg().isdigit()
        else None
    )
    if other is None or other.id == press.contact.id:
        await _answer(press, press.t.plain("contacts.not_found"), alert=True)
        return
    await _answer(press)
    markup = InlineKeyboardMarkup(
        [[_button(press.t.plain("card.merge_yes"), press.contact.id, "my", other.id)], press.back()]
    )
    await press.show(press.t("card.merge_question", other=other.name, keep=press.contact.name), markup)


async def _merge_do(press: _Press) -> None:
    other_id = int(press.arg()) if press.arg().isdigit() else 0
    merged = await press.ctx.db(
        press.ctx.contacts.merge, owner_id=press.rep.id, keep_id=press.contact.id, other_id=other_id
    )
    if not merged:
        await _answer(press, press.t.plain("contacts.not_found"), alert=True)
        return
    await _answer(press)
    await drop_question(press.ctx)
    await press.card(press.t("card.merged"))


async def _history(press: _Press) -> None:
    offset = int(press.arg()) if press.arg().isdigit() else 0
    page = await press.ctx.db(
        press.ctx.contacts.history,
        owner_id=press.rep.id,
        contact_id=press.contact.id,
        offset=offset,
        limit=HISTORY_PAGE,
    )
    if page is None:
        await _answer(press, press.t.plain("contacts.not_found"), alert=True)
        return
    await _answer(press)
    t = press.t
    lines = [t("card.history_title", name=press.contact.name, total=page.total), ""]
    lines += [history_line(t, item, press.rep.zone) for item in page.items] or [t("card.history_empty")]
    nav = []
    if offset > 0:
        nav.append(_button(t.plain("list.previous"), press.contact.id, "h", max(0, offset - HISTORY_PAGE)))
    if offset + HISTORY_PAGE < page.total:
        nav.append(_button(t.plain("list.next"), press.contact.id, "h", offset + HISTORY_PAGE))
    await press.show("\n".join(lines), InlineKeyboardMarkup([row for row in (nav, press.back()) if row]))


async def _delete(press: _Press) -> None:
    await _answer(press)
    markup = InlineKeyboardMarkup(
        [[_button(press.t.plain("card.delete_yes"), press.contact.id, "dy")], press.back()]
    )
    await press.show(press.t("card.delete_question", name=press.contact.name), markup)


async def _delete_do(press: _Press) -> None:
    await _answer(press)
    if await press.ctx.db(press.ctx.contacts.delete, owner_id=press.rep.id, contact_id=press.contact.id):
        await press.show(press.t("card.deleted", name=press.contact.name), None)


_ACTIONS: dict[str, Callable[[_Press], Awaitable[None]]] = {
    "v": _view,
    "lm": _log_meeting,
    "lc": _log_call,
    "nt": _note,
    "fu": _followup,
    "fn": _followup_choice,
    "fd": _followup_date,
    "st": _status_menu,
    "sm": _status_move,
    "sl": _status_lost,
    "ed": _edit_menu,
    "ef": _edit_field,
    "ec": _edit_choice,
    "dl": _deal,
    "dm": _deal_month,
    "dx": _deal_clear,
    "tg": _tags,
    "bd": _birthday,
    "bx": _remove_birthday,
    "bc": _birthday_card_sent,
    "mg": _merge,
    "mw": _merge_confirm,
    "my": _merge_do,
    "h": _history,
    "del": _delete,
    "dy": _delete_do,
}


# Typed values


@dataclass(frozen=True)
class _Typed:
    """A typed answer to a card's question, with the contact it is about (the rep's own)."""

    ctx: BotContext
    rep: RepRead
    contact: ContactRead
    text: str
    argument: str
    question: Question

    async def refuse(self, text: str, *above: list[InlineKeyboardButton]) -> None:
        """An answer that cannot be taken: why, with ◀ Back to the card (and any rows `above` it). The
        question stays open, asked by this message now, so the one before loses its buttons and a single
        ◀ Back is live."""
        back = [_button(self.ctx.t.plain("common.back"), self.contact.id, "v")]
        sent = await self.ctx.bot.send_message(self.rep.chat_id, text, reply_markup=keyboard(*above, back))
        await ask(
            self.ctx,
            self.question,
            contact_id=self.contact.id,
            detail=self.argument or None,
            prompt_id=sent.message_id,
        )


def _typed(answer: Callable[[_Typed], Awaitable[None]]) -> TypedAnswer:
    """A card answer as the router calls it: the question's contact looked up among the rep's own."""

    async def take(_update: Update, ctx: BotContext, awaiting: Awaiting, text: str) -> None:
        contact_id = awaiting.contact_id
        contact = (
            await ctx.db(ctx.contacts.get_contact, owner_id=ctx.rep.id, contact_id=contact_id)
            if contact_id
            else None
        )
        if contact is None:  # deleted or merged away meanwhile: say so, rather than drop the text unseen
            await drop_question(ctx)
            await ctx.bot.send_message(ctx.rep.chat_id, ctx.t("contacts.not_found"))
            return
        await answer(_Typed(ctx, ctx.rep, contact, text, awaiting.detail or "", awaiting.question))

    return take


async def _typed_note(typed: _Typed) -> None:
    note = typed.text.strip()
    notice = (
        typed.ctx.t("capture.too_long", field=typed.ctx.t.plain("field.note"), limit=NOTE_MAX)
        if len(note) > NOTE_MAX
        else None
    )
    await typed.ctx.db(
        typed.ctx.contacts.add_note, owner_id=typed.rep.id, contact_id=typed.contact.id, note=note[:NOTE_MAX]
    )
    await drop_question(typed.ctx)
    await _resend_card(typed, "\n".join(filter(None, [notice, typed.ctx.t("card.note_added")])))


async def _typed_field(typed: _Typed) -> None:
    t = typed.ctx.t
    if typed.argument not in FIELDS:  # a field this version no longer has
        await drop_question(typed.ctx)
        await typed.ctx.bot.send_message(typed.rep.chat_id, t("common.expired"))
        return
    try:
        value = clean_field(typed.argument, typed.text)
    except Invalid as problem:
        await typed.refuse(t(f"card.invalid.{problem.problem}", limit=FIELDS[typed.argument].max_length))
        return
    await typed.ctx.db(
        typed.ctx.contacts.update_field,
        owner_id=typed.rep.id,
        contact_id=typed.contact.id,
        field=typed.argument,
        value=value,
    )
    await drop_question(typed.ctx)
    await _resend_card(typed, t("card.saved_field", field=t.plain(f"field.{typed.argument}")))


async def _typed_value(typed: _Typed) -> None:
    """A typed deal value, in the rep's currency; refused with why, the question still open."""
    t, currency = typed.ctx.t, typed.rep.deal_currency
    try:
        value = parse_amount(typed.text, currency)
    except AmountRefused as refused:
        await typed.refuse(amount_refusal(t, refused, typed.text, currency))
        return
    await typed.ctx.db(
        typed.ctx.contacts.set_deal_value,
        owner_id=typed.rep.id,
        contact_id=typed.contact.id,
        value=value,
        currency=currency,
    )
    await drop_question(typed.ctx)
    await _resend_card(typed, t("card.saved_field", field=t.plain("field.value")))


async def _typed_tags(typed: _Typed) -> None:
    tags = parse_tags(typed.text)
    if not tags:  # only separators or marks: ask again
        await typed.ctx.bot.send_message(typed.rep.chat_id, typed.ctx.t("card.ask_tags"))
        return
    await typed.ctx.db(
        typed.ctx.contacts.add_tags, owner_id=typed.rep.id, contact_id=typed.contact.id, tags=tags
    )
    await drop_question(typed.ctx)
    await _resend_card(typed, typed.ctx.t("card.tags_added"))


async def _typed_birthday(typed: _Typed) -> None:
    day = read_rep_birthday(typed.rep, typed.text)
    if day is None:
        await typed.refuse(typed.ctx.t("card.invalid.birthday", text=typed.text[:50]))
        return
    await typed.ctx.db(
        typed.ctx.contacts.set_birthday, owner_id=typed.rep.id, contact_id=typed.contact.id, birthday=day
    )
    await drop_question(typed.ctx)
    await _resend_card(typed, typed.ctx.t("card.birthday_set"))


async def _typed_date(typed: _Typed) -> None:
    """A typed follow-up date: echoed with a ✓ to confirm; refused with why and the examples again, a
    day.month that has passed with a ✓ for the same day next year."""
    t, rep, contact_id = typed.ctx.t, typed.rep, typed.contact.id
    reading = read_date(typed.ctx, rep, typed.text)
    if isinstance(reading, DateRefusal):
        text = refusal_text(t, reading, typed.text, rep) + "\n" + t("reminder.ask_date")
        offer = (
            [
                [
                    _button(
                        t.plain("dates.next_year"), contact_id, "fd", int(reading.next_year.timestamp()) // 60
                    )
                ]
            ]
            if reading.reason is Refusal.PASSED and reading.next_year is not None
            else []
        )
        await typed.refuse(text, *offer)
        return
    minutes = int(reading.due.timestamp()) // 60
    markup = InlineKeyboardMarkup([[_button(t.plain("reminder.confirm"), contact_id, "fd", minutes)]])
    text = t("dates.understood", when=t.echo(reading.due, rep.zone)) + "\n" + t("reminder.type_again")
    await typed.ctx.bot.send_message(rep.chat_id, text, reply_markup=markup)


async def _typed_merge(typed: _Typed) -> None:
    t = typed.ctx.t
    page = await typed.ctx.db(
        typed.ctx.contacts.find_contacts, owner_id=typed.rep.id, text=typed.text[:100], offset=0, limit=6
    )
    others = [item for item in page.items if item.id != typed.contact.id]
    if not others:
        await typed.ctx.bot.send_message(typed.rep.chat_id, t("find.none", text=typed.text[:100]))
        return
    buttons = [
        [_button(t.plain("card.merge_with", name=short(item.name, 28)), typed.contact.id, "mw", item.id)]
        for item in others
    ]
    buttons.append([_button(t.plain("common.back"), typed.contact.id, "v")])
    await typed.ctx.bot.send_message(
        typed.rep.chat_id,
        t("card.merge_pick", name=typed.contact.name),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def _resend_card(typed: _Typed, notice: str) -> None:
    """After typed input the card comes again at the bottom of the chat, with what changed."""
    contact = await typed.ctx.db(
        typed.ctx.contacts.get_contact, owner_id=typed.rep.id, contact_id=typed.contact.id
    )
    if contact is not None:
        await send_card(typed.ctx, typed.rep, contact, notice)


TYPED_ANSWERS: TypedAnswers = {
    Question.CARD_NOTE: _typed(_typed_note),
    Question.CARD_FIELD: _typed(_typed_field),
    Question.CARD_TAGS: _typed(_typed_tags),
    Question.CARD_BIRTHDAY: _typed(_typed_birthday),
    Question.CARD_DATE: _typed(_typed_date),
    Question.CARD_MERGE: _typed(_typed_merge),
    Question.CARD_VALUE: _typed(_typed_value),
}


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CallbackQueryHandler(on_card_button, pattern=CardButton.pattern()),
        CallbackQueryHandler(on_tag_button, pattern=CardTagButton.pattern()),
    ]
