"""Capture: /new, a typed name, a shared contact or a forwarded message, then the one-tap questions,
the summary card and Save. The questions are one message edited in place; the draft row holds the state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import capture as flow
from bot.capture import CaptureMode, CaptureState
from bot.card_fields import clean_detail, detail_limit, details_in_note
from bot.contact_fields import Invalid
from bot.dates import DateReading, DateRefusal, Refusal, is_a_date
from bot.deal import AmountRefused, month_code, month_options, parse_amount
from bot.i18n import Translator
from bot.phones import region_for
from bot.qualification import (
    AMOUNT_STEPS,
    CHOICES,
    COMPANY_MAX,
    DETAIL_STEPS,
    NAME_MAX,
    NOTE_MAX,
    TEXT_STEPS,
    QualificationAnswers,
    Step,
    split_name_and_company,
)
from handlers.cards import (
    amount_refusal,
    answer_label,
    deal_value_text,
    details_lines,
    month_text,
    summary_text,
)
from handlers.kit.awaiting import drop_question
from handlers.kit.buttons import (
    CaptureDateButton,
    ContactButton,
    DuplicateButton,
    EditFieldButton,
    QuestionButton,
    ResumeAction,
    ResumeButton,
    SummaryAction,
    SummaryButton,
)
from handlers.kit.commands import command
from handlers.kit.context import BotContext, Prefetched
from handlers.kit.dates import read_date, refusal_text
from handlers.kit.keyboards import ROW_EACH, button, keyboard, rows, short
from handlers.kit.preamble import OwnedPress, pressed_on
from storage.contacts import ContactListItem, ContactRead
from storage.drafts import DraftRead
from storage.reps import RepRead

log = logging.getLogger(__name__)

_LIMITS = {Step.NAME: NAME_MAX, Step.COMPANY: COMPANY_MAX, Step.NOTE: NOTE_MAX}
# The summary's Edit menu, in the order the questions are asked (the next step is among the choices).
_EDITABLE = (
    Step.NAME,
    Step.COMPANY,
    *DETAIL_STEPS,
    *(step for step in CHOICES if step is not Step.NEXT_STEP),
    Step.VALUE,
    Step.CLOSE_MONTH,
    Step.NOTE,
    Step.NEXT_STEP,
)
_DUPLICATES_SHOWN = 3
# A draft changed more recently than this is being redrawn by whoever changed it.
REDRAW_AFTER = timedelta(seconds=30)


def _state(draft: DraftRead) -> CaptureState:
    return CaptureState(draft.step, CaptureMode(draft.mode), draft.answers)


# Rendering


def _header(t: Translator, answers: QualificationAnswers) -> str:
    if not answers.name:
        # A capture started from a phone number or an email address shows it, so the rep sees it was read.
        return "\n".join([t("capture.header_new"), *details_lines(t, answers)])
    if answers.company:
        return t("capture.header_company", name=answers.name, company=answers.company)
    return t("capture.header", name=answers.name)


def _question(
    ctx: BotContext, draft: DraftRead, step: Step, mode: CaptureMode
) -> tuple[str, InlineKeyboardMarkup]:
    t, answers = ctx.t, draft.answers
    currency = answers.currency or ctx.rep.deal_currency
    lines = [_header(t, answers), "", t(f"capture.ask_{step.value}", currency=currency)]
    current = answers.answer_for(step)
    if mode is CaptureMode.DATE:
        lines = [_header(t, answers), "", t("capture.ask_date")]
    elif step in TEXT_STEPS and current:
        lines.append(t("capture.current", value=str(current)))
    elif step is Step.VALUE and answers.value is not None:
        lines.append(t("capture.current", value=deal_value_text(t, answers.value, currency)))
    lines_of_buttons: list[list[InlineKeyboardButton]] = []
    if step is Step.CLOSE_MONTH:
        months = [
            button(
                t.plain("common.chosen", label=month_text(t, month))
                if month == current
                else month_text(t, month),
                QuestionButton(draft.id, step.value, month_code(month)),
            )
            for month in month_options(ctx.now().astimezone(ctx.rep.zone).date())
        ]
        lines_of_buttons.extend(rows(months, 3))
    elif mode is not CaptureMode.DATE:
        options = [
            button(
                t.plain("common.chosen", label=answer_label(t, step, option))
                if option == current
                else answer_label(t, step, option),
                QuestionButton(draft.id, step.value, option.value),
            )
            for option in CHOICES.get(step, ())
        ]
        lines_of_buttons.extend(rows(options, ROW_EACH if step is Step.SOURCE else 2))
    controls = []
    if step is not Step.NAME or mode is not CaptureMode.ASK:
        controls.append(button(t.plain("common.back"), QuestionButton(draft.id, step.value, flow.BACK)))
    if step is not Step.NAME and step is not Step.NEXT_STEP:
        controls.append(button(t.plain("common.skip"), QuestionButton(draft.id, step.value, flow.SKIP)))
    if mode is CaptureMode.ASK and step not in (Step.NAME, Step.NEXT_STEP):
        controls.append(button(t.plain("capture.finish"), QuestionButton(draft.id, step.value, flow.FINISH)))
    if step is Step.NAME and mode is CaptureMode.ASK:
        controls.append(button(t.plain("common.cancel"), SummaryButton(draft.id, SummaryAction.CANCEL)))
    return "\n".join(lines), keyboard(*lines_of_buttons, controls)


async def _evaluation(
    ctx: BotContext, rep: RepRead, draft: DraftRead
) -> tuple[flow.Evaluation, ContactRead | None]:
    """What saving the draft would make of the contact, and the contact a logged meeting is on."""
    existing = (
        await ctx.db(ctx.contacts.get_contact, owner_id=rep.id, contact_id=draft.contact_id)
        if draft.contact_id
        else None
    )
    evaluation = flow.evaluate(
        draft.answers,
        now=ctx.now(),
        earlier=existing.answers if existing else None,
        touches_before=existing.touches if existing else 0,
    )
    return evaluation, existing


async def _summary(ctx: BotContext, rep: RepRead, draft: DraftRead) -> tuple[str, InlineKeyboardMarkup]:
    evaluation, existing = await _evaluation(ctx, rep, draft)
    t = ctx.t
    markup = keyboard(
        [
            button(t.plain("capture.save"), SummaryButton(draft.id, SummaryAction.SAVE)),
            button(t.plain("capture.edit"), SummaryButton(draft.id, SummaryAction.EDIT)),
            button(t.plain("common.cancel"), SummaryButton(draft.id, SummaryAction.CANCEL)),
        ]
    )
    return summary_text(t, evaluation, rep.zone, existing=existing), markup


def _edit_menu(t: Translator, draft: DraftRead) -> InlineKeyboardMarkup:
    fields = [
        button(t.plain(f"field.{step.value}"), EditFieldButton(draft.id, step.value)) for step in _EDITABLE
    ]
    back = button(t.plain("common.back"), SummaryButton(draft.id, SummaryAction.SHOW))
    return keyboard(*rows(fields, 3), [back])


async def _duplicates(ctx: BotContext, rep: RepRead, draft: DraftRead) -> tuple[str, InlineKeyboardMarkup]:
    t = ctx.t
    matches = await ctx.db(_look_for_duplicates, ctx, rep, draft.answers)
    lines: list[str] = [t("capture.duplicate_intro")]
    choices = []
    for match in matches[:_DUPLICATES_SHOWN]:
        who = (
            t.plain("capture.duplicate_who", name=match.name, company=match.company)
            if match.company
            else match.name
        )
        lines.append(
            t("capture.duplicate_line", who=who, status=t.plain(f"status.{match.status}"), score=match.score)
        )
        choices.append(
            [
                button(
                    t.plain("capture.log_on", name=short(match.name)),
                    DuplicateButton(draft.id, str(match.id)),
                )
            ]
        )
    lines.append("")
    lines.append(t("capture.duplicate_question"))
    choices.append([button(t.plain("capture.create_new"), DuplicateButton(draft.id, "new"))])
    # The rep may have met this person before and need no record at all: Cancel saves nothing.
    choices.append([button(t.plain("common.cancel"), SummaryButton(draft.id, SummaryAction.CANCEL))])
    return "\n".join(lines), keyboard(*choices)


def _resume_offer(ctx: BotContext, draft: DraftRead) -> tuple[str, InlineKeyboardMarkup]:
    t = ctx.t
    name = draft.answers.name or t.plain("capture.unnamed")
    # The capture asked for meanwhile, by its name, or the number or address it was started from.
    queued = (draft.queued.name or draft.queued.phone or draft.queued.email) if draft.queued else None
    text = t("capture.open_draft", name=name)
    start_label = (
        t.plain("capture.start_new_named", name=short(queued)) if queued else t.plain("capture.start_new")
    )
    # The offer names the draft's version: once the capture moved on, or a newer offer replaced this
    # one, its buttons are stale and act on nothing.
    markup = keyboard(
        [
            button(
                t.plain("capture.continue", name=short(name)),
                ResumeButton(draft.id, ResumeAction.RESUME, draft.version),
            )
        ],
        [button(start_label, ResumeButton(draft.id, ResumeAction.RESTART, draft.version))],
    )
    return text, markup


async def _render(ctx: BotContext, rep: RepRead, draft: DraftRead) -> tuple[str, InlineKeyboardMarkup]:
    if draft.mode == CaptureMode.DUPLICATE:
        return await _duplicates(ctx, rep, draft)
    if draft.step is None:
        return await _summary(ctx, rep, draft)
    return _question(ctx, draft, draft.step, CaptureMode(draft.mode))


async def _show(
    ctx: BotContext,
    rep: RepRead,
    draft: DraftRead,
    *,
    edit_message_id: int | None = None,
    notice: str | None = None,
    offer: list[list[InlineKeyboardButton]] | None = None,
) -> DraftRead:
    """Show the draft's current question or card: in place, or as a new message at the bottom of the chat
    (after typed text, which would otherwise leave the question scrolled out of sight); `offer` is a row
    of buttons above the question's own."""
    text, markup = await _render(ctx, rep, draft)
    if offer:
        markup = InlineKeyboardMarkup([*offer, *markup.inline_keyboard])
    if notice:
        text = f"{notice}\n\n{text}"
    if edit_message_id is not None:
        await ctx.bot.edit_message_text(text, draft.chat_id, edit_message_id, reply_markup=markup)
        shown = edit_message_id
    else:
        sent = await ctx.bot.send_message(draft.chat_id, text, reply_markup=markup)
        shown = sent.message_id
    if draft.message_id is not None and draft.message_id != shown:
        await _retire(ctx, draft.chat_id, draft.message_id)
    if draft.message_id != shown:
        updated = await ctx.db(ctx.drafts.update_draft, draft=draft, message_id=shown)
        draft = updated or draft
    return draft


async def _retire(ctx: BotContext, chat_id: int, message_id: int) -> None:
    """Take the buttons off a question that a newer message replaced, so only one set of buttons is live."""
    try:
        await ctx.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as error:
        # The rep may have deleted that message; the stale buttons are refused anyway if pressed.
        log.debug("could not retire message %s: %s", message_id, error)


# Starting a capture


async def _start(
    update: Update,
    ctx: BotContext,
    answers: QualificationAnswers,
    *,
    notice: str | None = None,
    edit_message_id: int | None = None,
) -> None:
    """Start a capture, or, when one is open, keep this one queued and ask which to go on with; shown in
    a new message, or in the bot's message `edit_message_id` (a card's "reading…")."""
    chat = update.effective_chat
    assert chat is not None
    open_draft = await _open(ctx, chat.id, answers, notice=notice, edit_message_id=edit_message_id)
    if open_draft is not None:
        await _queue(ctx, chat.id, open_draft, answers, notice=notice, edit_message_id=edit_message_id)


async def _queue(
    ctx: BotContext,
    chat_id: int,
    open_draft: DraftRead,
    answers: QualificationAnswers,
    *,
    notice: str | None = None,
    edit_message_id: int | None = None,
) -> None:
    """Keep a new capture's answers queued on the open one, and ask which to go on with."""
    queued = await ctx.db(ctx.drafts.update_draft, draft=open_draft, queued=answers) or open_draft
    text, markup = _resume_offer(ctx, queued)
    if notice:
        text = f"{notice}\n\n{text}"
    if edit_message_id is not None:
        await ctx.bot.edit_message_text(text, chat_id, edit_message_id, reply_markup=markup)
    else:
        await ctx.bot.send_message(chat_id, text, reply_markup=markup)


async def _open(
    ctx: BotContext,
    chat_id: int,
    answers: QualificationAnswers,
    *,
    notice: str | None = None,
    edit_message_id: int | None = None,
) -> DraftRead | None:
    """Open a capture and show its first question, or first the contacts it may be a second record of;
    unless the rep has a capture open: that one is returned, and nothing is opened or shown."""
    rep, step = ctx.rep, flow.start(answers).step
    read = ctx.take_open_draft()  # read with the rep, by the preamble

    def opened() -> tuple[DraftRead, bool]:
        # One call off the event loop: the open draft, or the look for duplicates and the new draft, in the
        # mode it decides.
        current = read.record if read is not None else ctx.drafts.get_open_draft(owner_id=rep.id)
        if current is not None:
            return current, False
        matches = _look_for_duplicates(ctx, rep, answers)
        draft = ctx.drafts.open_draft(
            owner_id=rep.id,
            chat_id=chat_id,
            answers=answers,
            step=step,
            mode=CaptureMode.DUPLICATE if matches else CaptureMode.ASK,
            duplicate_of=matches[0].id if matches else None,
            none_open=True,
        )
        return draft, True

    draft, new = await ctx.db(opened)
    if not new:
        return draft
    await _show(ctx, rep, draft, notice=notice, edit_message_id=edit_message_id)
    return None


def _look_for_duplicates(
    ctx: BotContext, rep: RepRead, answers: QualificationAnswers, contact_id: int | None = None
) -> list[ContactListItem]:
    """The rep's contacts a new capture with these answers may be of (none for a meeting logged on a
    contact); called on a database thread."""
    if contact_id is not None or not (answers.name or answers.phone or answers.email):
        return []
    return ctx.contacts.find_duplicates(
        owner_id=rep.id, name=answers.name, phone=answers.phone, email=answers.email
    )


async def _check_duplicates(ctx: BotContext, rep: RepRead, draft: DraftRead) -> DraftRead:
    """A name, phone or email like an existing contact's: ask before creating a second record of one
    person."""

    def checked() -> DraftRead:
        matches = _look_for_duplicates(ctx, rep, draft.answers, draft.contact_id)
        if not matches:
            return draft
        marked = ctx.drafts.update_draft(draft=draft, mode=CaptureMode.DUPLICATE, duplicate_of=matches[0].id)
        return marked or draft

    return await ctx.db(checked)


def _clean(text: str, limit: int, t: Translator, field: Step) -> tuple[str, str | None]:
    """Text within the field's limit, and a notice when it had to be cut."""
    cleaned = text.strip()
    if field is not Step.NOTE:
        cleaned = " ".join(cleaned.split())
    if len(cleaned) <= limit:
        return cleaned, None
    return cleaned[:limit], t("capture.too_long", field=t.plain(f"field.{field.value}"), limit=limit)


def _answers_from_text(ctx: BotContext, text: str) -> tuple[QualificationAnswers, str | None]:
    """A new capture's answers from the text that starts it: a phone number or an email address alone is
    that detail (bot.capture.detail_alone), anything else a name, with the company after a comma."""
    rep = ctx.rep
    detail = flow.detail_alone(
        text,
        region=region_for(rep.timezone, rep.language),
        reads_as_date=lambda typed: is_a_date(read_date(ctx, rep, typed)),
    )
    return (detail, None) if detail is not None else _answers_from_name(ctx.t, text)


def _answers_from_name(t: Translator, text: str) -> tuple[QualificationAnswers, str | None]:
    name, company = split_name_and_company(text)
    name, notice = _clean(name, NAME_MAX, t, Step.NAME)
    if company:
        company, company_notice = _clean(company, COMPANY_MAX, t, Step.COMPANY)
        notice = notice or company_notice
    return QualificationAnswers(name=name or None, company=company), notice


async def start_on_contact(update: Update, ctx: BotContext, contact: ContactRead, kind: str) -> bool:
    """Log a meeting or call on a contact: the questions again with the earlier answers preselected (one tap
    keeps each). False when another capture is open: the rep finishes or cancels it first."""
    rep = ctx.rep
    if await ctx.db(ctx.drafts.get_open_draft, owner_id=rep.id) is not None:
        return False
    answers = contact.answers.model_copy(update={"name": contact.name, "company": contact.company})
    state = flow.start(answers)
    draft = await ctx.db(
        ctx.drafts.open_draft,
        owner_id=rep.id,
        chat_id=rep.chat_id,
        answers=answers,
        step=state.step,
        contact_id=contact.id,
        kind=kind,
    )
    await _show(ctx, rep, draft)
    return True


async def start_from_text(update: Update, ctx: BotContext, text: str) -> None:
    """Start a capture of the person this text names ("Name, Company")."""
    answers, notice = _answers_from_text(ctx, text)
    await _start(update, ctx, answers, notice=notice)


async def start_from_card(
    update: Update, ctx: BotContext, answers: QualificationAnswers, *, notice: str, message_id: int
) -> None:
    """Start a capture with what a business card says, shown in the bot's message `message_id`. A capture
    still at its first question (/new, then the photo) takes the card's answers instead; any other open
    capture is offered to be continued, with this one waiting."""
    rep = ctx.rep
    draft = await ctx.db(ctx.drafts.get_open_draft, owner_id=rep.id)
    fresh = (
        draft is not None
        and draft.step is Step.NAME
        and draft.mode == CaptureMode.ASK
        and not draft.answers.name
        and draft.contact_id is None
    )
    if draft is None or not fresh:
        await _start(update, ctx, answers, notice=notice, edit_message_id=message_id)
        return
    filled = answers.model_copy(update={"note": answers.note or draft.answers.note})
    saved = await _save(ctx, draft, flow.start(filled))
    if saved is None:
        return
    saved = await _check_duplicates(ctx, rep, saved)
    await _show(ctx, rep, saved, notice=notice, edit_message_id=message_id)


async def new_command(update: Update, ctx: BotContext) -> None:
    """/new: start a capture with the name question."""
    await _start(update, ctx, QualificationAnswers())


async def cancel_command(update: Update, ctx: BotContext) -> None:
    """/cancel: stop the open capture (nothing is saved) and any question waiting for typed text."""
    rep = ctx.rep
    message = update.effective_message
    assert message is not None
    waiting = rep.awaits(ctx.now()) is not None
    await drop_question(ctx)
    draft = await ctx.db(ctx.drafts.get_open_draft, owner_id=rep.id)
    if draft is not None and await ctx.db(ctx.drafts.cancel_draft, draft=draft):
        if draft.message_id is not None:
            await _retire(ctx, draft.chat_id, draft.message_id)
        await message.reply_text(ctx.t("capture.cancelled"))
    elif waiting:
        await message.reply_text(ctx.t("cancel.question"))
    else:
        await message.reply_text(ctx.t("cancel.nothing"))


async def on_shared_contact(update: Update, ctx: BotContext) -> None:
    """A shared phone contact: start a capture with its name and phone (typed input: nothing is verified)."""
    message = update.effective_message
    assert message is not None and message.contact is not None
    shared = message.contact
    full_name = " ".join(part for part in (shared.first_name, shared.last_name) if part)
    name, notice = _clean(full_name, NAME_MAX, ctx.t, Step.NAME)
    phone = shared.phone_number.strip()[:64] if shared.phone_number else None
    await _start(update, ctx, QualificationAnswers(name=name or None, phone=phone), notice=notice)


async def on_forwarded(update: Update, ctx: BotContext) -> None:
    """A message forwarded from the person: their name where Telegram reveals it, their words as the note."""
    message = update.effective_message
    assert message is not None
    origin = message.forward_origin
    sender = None
    if isinstance(origin, MessageOriginUser):
        sender = origin.sender_user.full_name
    elif isinstance(origin, MessageOriginHiddenUser):
        sender = origin.sender_user_name
    elif isinstance(origin, MessageOriginChat):
        sender = origin.sender_chat.title
    name, notice = _clean(sender or "", NAME_MAX, ctx.t, Step.NAME)
    words = message.text or message.caption
    note = _clean(words, NOTE_MAX, ctx.t, Step.NOTE)[0] if words else None
    await _start(update, ctx, QualificationAnswers(name=name or None, note=note or None), notice=notice)


# Typed answers


async def on_text(update: Update, ctx: BotContext) -> None:
    """Text: the answer to a typed question, a typed date, or (with no capture open) a new contact's name."""
    rep = ctx.rep
    message = update.effective_message
    assert message is not None and message.text is not None
    answers, notice = _answers_from_text(ctx, message.text)
    draft = await _open(ctx, message.chat_id, answers, notice=notice)
    if draft is None:
        return
    mode = CaptureMode(draft.mode)
    if mode is CaptureMode.DATE:
        await _typed_date(ctx, rep, draft, message.text, read_date(ctx, rep, message.text))
    elif draft.step in TEXT_STEPS | AMOUNT_STEPS and mode in (CaptureMode.ASK, CaptureMode.EDIT):
        await _typed_answer(ctx, rep, draft, draft.step, message.text)
    elif (
        draft.step is Step.NEXT_STEP
        and mode in (CaptureMode.ASK, CaptureMode.EDIT)
        and flow.is_a_next_step(message.text, reading := read_date(ctx, rep, message.text), rep.language)
    ):
        # "Next step?" waits for a tap, but a date typed there (without "📅 Type a date" first) means the
        # next step: taken as if typed after it, a past one refused with the question again.
        await _typed_date(ctx, rep, draft, message.text, reading)
    else:
        # The capture waits for a tap: the text is taken as a new contact's name, kept until the rep
        # says whether to continue the open capture or start that one.
        await _queue(ctx, message.chat_id, draft, answers)


async def _typed_answer(ctx: BotContext, rep: RepRead, draft: DraftRead, step: Step, text: str) -> None:
    state = _state(draft)
    if step is Step.NAME:
        answers, notice = _answers_from_name(ctx.t, text)
        value: object = answers.name
        if answers.company and not state.answers.company:
            state = CaptureState(
                state.step, state.mode, state.answers.with_answer(Step.COMPANY, answers.company)
            )
    elif step in DETAIL_STEPS:
        try:
            value, notice = clean_detail(step, text), None
        except Invalid as problem:
            notice = ctx.t(f"card.invalid.{problem.problem}", limit=detail_limit(step))
            await _show(ctx, rep, draft, notice=notice)
            return
    elif step is Step.VALUE:
        currency = state.answers.currency or rep.deal_currency
        try:
            value, notice = parse_amount(text, currency), None
        except AmountRefused as refused:
            # The question again, with what was wrong; the answers so far are untouched.
            await _show(ctx, rep, draft, notice=amount_refusal(ctx.t, refused, text, currency))
            return
        state = CaptureState(state.step, state.mode, state.answers.model_copy(update={"currency": currency}))
    else:
        value, notice = _clean(text, _LIMITS[step], ctx.t, step)
    new_state = flow.answer(
        state, step, value or None, now=ctx.now(), zone=rep.zone, working_days=rep.working_weekdays
    )
    saved = await _save(ctx, draft, new_state)
    if saved is None:
        return
    if step is Step.NAME and state.mode is CaptureMode.ASK:
        saved = await _check_duplicates(ctx, rep, saved)
    await _show(ctx, rep, saved, notice=notice)


async def _typed_date(
    ctx: BotContext, rep: RepRead, draft: DraftRead, text: str, reading: DateReading
) -> None:
    """A typed next step, as read: saved and echoed, or refused with why and the question again (with its
    examples); a day.month that has passed comes with a button for the same day next year."""
    if isinstance(reading, DateRefusal):
        offer = (
            [
                [
                    button(
                        ctx.t.plain("dates.next_year"),
                        CaptureDateButton(draft.id, _minutes(reading.next_year)),
                    )
                ]
            ]
            if reading.reason is Refusal.PASSED and reading.next_year is not None
            else []
        )
        await _show(ctx, rep, draft, notice=refusal_text(ctx.t, reading, text, rep), offer=offer)
        return
    saved = await _save(ctx, draft, flow.typed_date(_state(draft), reading.due))
    if saved is not None:
        await _show(ctx, rep, saved, notice=ctx.t("dates.understood", when=ctx.t.echo(reading.due, rep.zone)))


def _minutes(instant: datetime) -> int:
    return int(instant.timestamp()) // 60


async def on_capture_date(update: Update, ctx: BotContext) -> None:
    """The date the bot offered for the next step (next year's): taken while the capture still asks."""
    press = await _pressed(update, ctx, CaptureDateButton)
    if press is None:
        return
    rep, draft = press.rep, press.record
    due = datetime.fromtimestamp(press.data.minutes * 60, UTC)
    if draft.mode != CaptureMode.DATE:
        await press.answer(ctx.t.plain(_Stale.MOVED_ON))
        return
    if due <= ctx.now():
        await press.answer(ctx.t.plain("card.date_passed"), alert=True)
        return
    saved = await _save(ctx, draft, flow.typed_date(_state(draft), due), pressed=press.query.id)
    if saved is None:
        await press.answer(ctx.t.plain(_Stale.MOVED_ON))
        return
    notice = ctx.t("dates.understood", when=ctx.t.echo(due, rep.zone))
    await _show(ctx, rep, saved, edit_message_id=press.message_id, notice=notice)
    await press.answer()


async def _save(
    ctx: BotContext,
    draft: DraftRead,
    state: CaptureState,
    *,
    contact_id: int | None = None,
    pressed: str | None = None,
) -> DraftRead | None:
    """The draft at its next state; `pressed` is the callback query that asked for it, if one did."""
    return await ctx.db(
        ctx.drafts.update_draft,
        draft=draft,
        answers=state.answers,
        step=state.step,
        clear_step=state.step is None,
        mode=state.mode,
        contact_id=contact_id,
        changed_by=pressed,
    )


async def on_other_message(update: Update, ctx: BotContext) -> None:
    """A photo, sticker, voice message or file: say what the bot is waiting for, and lose nothing."""
    message = update.effective_message
    assert message is not None
    draft = await ctx.db(ctx.drafts.get_open_draft, owner_id=ctx.rep.id)
    if draft is None:
        await message.reply_text(ctx.t("capture.idle_hint"))
        return
    # A short line pointing at the question, not the question again: a burst of stickers would
    # otherwise fill the chat with copies of it.
    await message.reply_text(
        ctx.t("capture.answer_above"),
        reply_parameters=ReplyParameters(draft.message_id, allow_sending_without_reply=True)
        if draft.message_id is not None
        else None,
    )


# Buttons


class _Stale(StrEnum):
    EXPIRED = "common.expired"
    MOVED_ON = "capture.moved_on"


DraftButton = TypeVar(
    "DraftButton",
    QuestionButton,
    SummaryButton,
    EditFieldButton,
    DuplicateButton,
    ResumeButton,
    CaptureDateButton,
)


async def _pressed(
    update: Update, ctx: BotContext, kind: type[DraftButton]
) -> OwnedPress[DraftButton, DraftRead] | None:
    """A press on a capture's button with its draft: the rep's own and still open, else refused."""

    def if_open(draft: DraftRead | None) -> DraftRead | None:
        return draft if draft is not None and draft.state == "open" else None

    def open_draft(data: DraftButton) -> DraftRead | None:
        return if_open(ctx.drafts.get_draft(owner_id=ctx.rep.id, draft_id=data.draft))

    read = ctx.take_pressed_draft()  # read with the rep, by the preamble
    prefetched = Prefetched(if_open(read.record)) if read is not None else None
    return await pressed_on(update, ctx, kind, open_draft, prefetched=prefetched)


async def on_question_button(update: Update, ctx: BotContext) -> None:
    """An answer, Skip, Back or Finish on a question."""
    press = await _pressed(update, ctx, QuestionButton)
    if press is None:
        return
    rep, draft, option = press.rep, press.record, press.data.option
    state = _state(draft)
    if draft.step is None or press.data.step != draft.step.value or state.mode is CaptureMode.DUPLICATE:
        await _redraw_if_behind(ctx, press)
        await press.answer(ctx.t.plain(_Stale.MOVED_ON))
        return
    new_state = flow.tap(state, option, now=ctx.now(), zone=rep.zone, working_days=rep.working_weekdays)
    if new_state is None:
        await press.answer(ctx.t.plain(_Stale.EXPIRED), alert=True)
        return
    if new_state != state:
        saved = await _save(ctx, draft, new_state, pressed=press.query.id)
        if saved is None:
            # Another press of this question (a double tap, on another replica) was saved first.
            await press.answer(ctx.t.plain(_Stale.MOVED_ON))
            return
        await _show(ctx, rep, saved, edit_message_id=press.message_id)
    # Answered last: if the process dies before this, Telegram sends the update again and this is still
    # the query's first answer (a second answer would be refused).
    await press.answer()


async def _redraw_if_behind(ctx: BotContext, press: OwnedPress[QuestionButton, DraftRead]) -> None:
    """A press on the capture's own message that shows an older question. Redraw it only when nobody
    else will, so that no edit is made twice (Telegram refuses an edit that changes nothing):
    - this very press made the draft's latest change: Telegram sends it again because the process died
      before confirming it, and the edit that followed may never have arrived;
    - the change is older, and the message as Telegram delivered it with this press is behind (an old
      button after a restart).
    A change made a moment ago by another press (a double tap reaching another replica) is being
    redrawn by that press."""
    draft = press.record
    if press.message_id != draft.message_id:
        return
    _, markup = await _render(ctx, press.rep, draft)
    shown = press.query.message
    behind = not (isinstance(shown, Message) and shown.reply_markup == markup)
    settled = draft.updated_at <= ctx.now() - REDRAW_AFTER
    if draft.changed_by == press.query.id:
        try:
            await _show(ctx, press.rep, draft, edit_message_id=press.message_id)
        except BadRequest as error:
            # The edit had reached Telegram before the process died: the message is current already.
            log.debug("capture message %s already current: %s", press.message_id, error)
    elif settled and behind:
        await _show(ctx, press.rep, draft, edit_message_id=press.message_id)


async def on_summary_button(update: Update, ctx: BotContext) -> None:
    """Save, Edit, Cancel on the summary card (and Back from the field menu)."""
    press = await _pressed(update, ctx, SummaryButton)
    if press is None:
        return
    rep, draft, action = press.rep, press.record, press.data.action
    at_summary = draft.step is None and draft.mode != CaptureMode.DUPLICATE
    if action is SummaryAction.CANCEL:
        await press.answer()
        if await ctx.db(ctx.drafts.cancel_draft, draft=draft):
            await press.query.edit_message_text(ctx.t("capture.cancelled"))
    elif action is SummaryAction.SAVE and at_summary:
        await _save_capture(ctx, press)
    elif action is SummaryAction.EDIT and at_summary:
        await press.answer()
        await press.query.edit_message_reply_markup(_edit_menu(ctx.t, draft))
    elif action is SummaryAction.SHOW and at_summary:
        await press.answer()
        await _show(ctx, rep, draft, edit_message_id=press.message_id)
    else:
        await press.answer(ctx.t.plain(_Stale.MOVED_ON))


async def _save_capture(ctx: BotContext, press: OwnedPress[SummaryButton, DraftRead]) -> None:
    rep, draft = press.rep, press.record
    evaluation, _ = await _evaluation(ctx, rep, draft)
    t = ctx.t
    labels = {field: t.plain(f"field.{field}") for field in ("phone", "website", "address")}
    contact = await ctx.db(
        ctx.drafts.save_capture,
        draft=draft,
        answers=details_in_note(evaluation.answers, labels),
        classification=evaluation.classification,
        score=evaluation.score,
    )
    if contact is None:
        await press.answer(ctx.t.plain(_Stale.EXPIRED), alert=True)
        return
    when = t.when(contact.next_due, rep.zone) if contact.next_due else t.plain("capture.no_next_step")
    text = t(
        "capture.saved",
        name=contact.name,
        status=t.plain(f"status.{contact.status}"),
        score=contact.score,
        when=when,
    )
    markup = keyboard([button(t.plain("capture.open_card"), ContactButton(contact.id))])
    log.info("capture saved: contact %s, status %s", contact.id, contact.status)
    try:
        await press.query.edit_message_text(text, reply_markup=markup)
    finally:
        # Answered last, as a question's tap is, and whatever became of the edit: the contact is stored.
        await press.answer(t.plain("capture.saved_short"))


async def on_edit_field(update: Update, ctx: BotContext) -> None:
    """A field chosen from the Edit menu: ask that one question, then come back to the summary."""
    press = await _pressed(update, ctx, EditFieldButton)
    if press is None:
        return
    draft = press.record
    step = next((step for step in Step if step.value == press.data.step), None)
    if step is None or draft.step is not None or draft.mode == CaptureMode.DUPLICATE:
        await press.answer(ctx.t.plain(_Stale.MOVED_ON))
        return
    await press.answer()
    saved = await _save(ctx, draft, flow.edit(_state(draft), step))
    if saved is not None:
        await _show(ctx, press.rep, saved, edit_message_id=press.message_id)


async def on_duplicate_button(update: Update, ctx: BotContext) -> None:
    """Log this meeting on the matching contact, or create a new one."""
    press = await _pressed(update, ctx, DuplicateButton)
    if press is None:
        return
    rep, draft, choice = press.rep, press.record, press.data.choice
    if draft.mode != CaptureMode.DUPLICATE:
        await press.answer(ctx.t.plain(_Stale.MOVED_ON))
        return
    answers = draft.answers
    contact_id = None
    if choice != "new":
        matches = await ctx.db(_look_for_duplicates, ctx, rep, answers)
        contact = next((match for match in matches if str(match.id) == choice), None)
        if contact is None:
            await press.answer(ctx.t.plain(_Stale.EXPIRED), alert=True)
            return
        contact_id = contact.id
        answers = answers.model_copy(
            update={"name": contact.name, "company": answers.company or contact.company}
        )
    await press.answer()
    saved = await _save(
        ctx, draft, flow.after_duplicate_choice(_state(draft), answers), contact_id=contact_id
    )
    if saved is not None:
        await _show(ctx, rep, saved, edit_message_id=press.message_id)


async def on_resume_button(update: Update, ctx: BotContext) -> None:
    """Continue the open capture, or start the one the rep asked for meanwhile."""
    press = await _pressed(update, ctx, ResumeButton)
    if press is None:
        return
    rep, draft = press.rep, press.record
    if press.data.version != draft.version or draft.queued is None:
        # An older offer (the capture moved on, or a newer offer took its place) or a forged one: it
        # must not cancel the capture in progress. Its buttons come off so it cannot be tapped again.
        await press.answer(ctx.t.plain(_Stale.EXPIRED), alert=True)
        await _retire(ctx, draft.chat_id, press.message_id)
        return
    await press.answer()
    if press.data.action is ResumeAction.RESTART:
        queued = draft.queued
        if not await ctx.db(ctx.drafts.cancel_draft, draft=draft):
            return
        if draft.message_id is not None:
            await _retire(ctx, draft.chat_id, draft.message_id)
        state = flow.start(queued)
        new = await ctx.db(
            ctx.drafts.open_draft, owner_id=rep.id, chat_id=draft.chat_id, answers=queued, step=state.step
        )
        new = await _check_duplicates(ctx, rep, new)
        await _show(ctx, rep, new, edit_message_id=press.message_id)
        return
    resumed = await ctx.db(ctx.drafts.update_draft, draft=draft, clear_queued=True)
    if resumed is not None:
        await _show(ctx, rep, resumed, edit_message_id=press.message_id)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("new", new_command),
        command("cancel", cancel_command),
        CallbackQueryHandler(on_question_button, pattern=QuestionButton.pattern()),
        CallbackQueryHandler(on_summary_button, pattern=SummaryButton.pattern()),
        CallbackQueryHandler(on_edit_field, pattern=EditFieldButton.pattern()),
        CallbackQueryHandler(on_duplicate_button, pattern=DuplicateButton.pattern()),
        CallbackQueryHandler(on_resume_button, pattern=ResumeButton.pattern()),
        CallbackQueryHandler(on_capture_date, pattern=CaptureDateButton.pattern()),
    ]
