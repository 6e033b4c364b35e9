"""Reminders: the message a due follow-up becomes, and its buttons (Done, Snooze, Reschedule, Lost); and
the ✅ / 💤 a follow-up has on its row in the digest.

The reminder message is edited in place as the rep goes through a button flow; typed notes and dates are
the rep's next text message (rep.awaiting). The digest is never replaced: its ✅ opens the same flow in a
message of its own, its 💤 puts the follow-up off in one tap, and only that row of its keyboard changes.
Every follow-up id in a button is looked up scoped to the rep.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import capture as flow
from bot import phones, schedule
from bot.awaiting import Awaiting, Question
from bot.dates import DateRefusal, Refusal, due_for_choice
from bot.delivery import Delivery, Result
from bot.i18n import Translator
from bot.qualification import NOTE_MAX, NextStepChoice
from bot.schedule import (
    OPEN_STATES,
    WIN_BACK_MONTHS,
    FollowUpKind,
    FollowUpState,
    LostReason,
    Outcome,
    Snooze,
)
from handlers.kit.awaiting import TypedAnswers, ask, drop_question
from handlers.kit.buttons import ContactButton, FollowUpButton
from handlers.kit.context import BotContext
from handlers.kit.dates import read_date, refusal_text
from handlers.kit.keyboards import ROW_EACH, button, keyboard, rows, short
from handlers.kit.preamble import OwnedPress, pressed_on
from handlers.outreach import contact_reach, reach_buttons
from storage.contacts import ContactRead
from storage.followups import DueReminder, FollowUpRead
from storage.reps import RepRead

log = logging.getLogger(__name__)

NOTE_PREVIEW = 200
_NEXT_CHOICES = (
    NextStepChoice.TOMORROW,
    NextStepChoice.IN_3_DAYS,
    NextStepChoice.NEXT_WEEK,
    NextStepChoice.DATE,
    NextStepChoice.NONE,
)


# The actions of a follow-up's row in the digest.
DIGEST_DONE = "dd"
DIGEST_SNOOZE = "ds"


def _button(label: str, followup_id: int, action: str, *args: object) -> InlineKeyboardButton:
    return button(label, FollowUpButton(followup_id, action, tuple(str(arg) for arg in args)))


def digest_actions(t: Translator, followup_id: int) -> list[InlineKeyboardButton]:
    """✅ and 💤 for a follow-up's row in the digest, beside its card."""
    return [
        _button(t.plain("digest.done"), followup_id, DIGEST_DONE),
        _button(t.plain("digest.snooze"), followup_id, DIGEST_SNOOZE),
    ]


def reminder_text(
    t: Translator,
    *,
    name: str,
    company: str | None,
    status: str,
    score: int,
    note: str | None,
    due: datetime,
    kind: str,
    zone: Any,
    now: datetime,
    lost_reason: str | None = None,
    returned_at: datetime | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> str:
    """Who, how to reach them, why (the last note, shortened) and when it was planned; late reminders say
    so. A lost contact's (a win-back) says why it was lost rather than a score that no longer means
    anything; a contact gone quiet's (bot.schedule.QUIET_DAYS) says it is going cold. The phone is written
    internationally (+358 40 1234567), which Telegram's apps make a number to tap and call."""
    title = {"winback": "reminder.title_winback", "cold": "reminder.title_cold"}.get(kind, "reminder.title")
    who = t("reminder.who_company", name=name, company=company) if company else t("reminder.who", name=name)
    standing = (
        t("reminder.status_lost", reason=t.plain(f"lost.{lost_reason}"))
        if status == "lost" and lost_reason
        else t("reminder.status", status=t.plain(f"status.{status}"), score=score)
    )
    lines: list[str] = [t(title, who=who), standing]
    if phone:
        lines.append(t("card.phone", phone=phones.display(phone)))
    if email:
        lines.append(t("card.email", email=email))
    if note:
        lines.append(t("card.note", note=short(note, NOTE_PREVIEW)))
    lines.append(t("reminder.planned", when=t.when(due, zone)))
    if schedule.is_late(due, now):
        # Due while the rep had blocked the bot, it waited for them: not the bot's delay.
        held = returned_at is not None and due < returned_at
        lines.append(t("reminder.held" if held else "reminder.late", when=t.when(due, zone)))
    return "\n".join(lines)


def _main_keyboard(
    t: Translator, followup_id: int, contact_id: int, reach: list[list[InlineKeyboardButton]]
) -> InlineKeyboardMarkup:
    """Done and Snooze, Reschedule and Lost; the buttons to write to the contact; the card."""
    return keyboard(
        [
            _button(t.plain("reminder.done"), followup_id, "done"),
            _button(t.plain("reminder.snooze"), followup_id, "snz"),
        ],
        [
            _button(t.plain("reminder.reschedule"), followup_id, "rsc"),
            _button(t.plain("reminder.lost"), followup_id, "lost"),
        ],
        *reach,
        [button(t.plain("reminder.card"), ContactButton(contact_id))],
    )


def _back_row(t: Translator, followup_id: int) -> list[InlineKeyboardButton]:
    return [_button(t.plain("common.back"), followup_id, "back")]


def _outcome_keyboard(t: Translator, followup_id: int) -> InlineKeyboardMarkup:
    buttons = [_button(t.plain(f"outcome.{o.value}"), followup_id, "o", o.value) for o in Outcome]
    return keyboard(*rows(buttons), _back_row(t, followup_id))


def _next_step_keyboard(t: Translator, followup_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        *rows(
            [
                _button(t.plain(f"option.next.{choice.value}"), followup_id, "n", choice.value)
                for choice in _NEXT_CHOICES
            ]
        )
    )


def make_reminder_sender(application: Any) -> Any:
    """The dispatcher's sender: render a due reminder in the rep's language and send it."""

    async def send(reminder: DueReminder) -> Delivery:
        t = Translator(
            reminder.recipient.language, now=application.bot_data.clock(), zone=reminder.recipient.zone
        )
        text = reminder_text(
            t,
            name=reminder.name,
            company=reminder.company,
            status=reminder.status,
            score=reminder.score,
            note=reminder.latest_note,
            due=reminder.due_at,
            kind=reminder.kind,
            zone=reminder.recipient.zone,
            now=application.bot_data.clock(),
            lost_reason=reminder.lost_reason,
            returned_at=reminder.recipient.returned_at,
            phone=reminder.phone,
            email=reminder.email,
        )
        reach = reach_buttons(
            t,
            reminder.message_templates,
            reminder.quiet_days,
            now=application.bot_data.clock(),
            name=reminder.name,
            company=reminder.company,
            phone=reminder.phone,
            email=reminder.email,
            status=reminder.status,
            last_touch_at=reminder.last_touch_at,
            note=reminder.latest_note,
            going_cold=reminder.kind == FollowUpKind.COLD,
        )
        markup = _main_keyboard(t, reminder.id, reminder.contact_id, reach)
        return await deliver(application.bot.send_message, reminder.recipient.chat_id, text, markup)

    return send


async def deliver(send: Any, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> Delivery:
    """One Bot API send, its failure turned into what the dispatcher should do about it."""
    try:
        message = await send(chat_id, text, reply_markup=markup)
    except Forbidden:
        return Delivery(Result.BLOCKED)
    except RetryAfter as error:
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return Delivery(Result.RETRY_AFTER, retry_after=seconds)
    except BadRequest:
        # Telegram refused the message itself: retrying will not help, so the dispatcher backs off.
        raise
    except NetworkError:  # timeouts and 5xx
        return Delivery(Result.TRANSIENT)
    return Delivery(Result.SENT, message_id=message.message_id)


# Buttons


async def _edit(
    update: Update,
    ctx: BotContext,
    rep: RepRead,
    followup: FollowUpRead,
    extra: str,
    markup: InlineKeyboardMarkup | None,
) -> None:
    """The reminder, re-rendered with a line about where the rep is in the flow."""
    query = update.callback_query
    assert query is not None
    contact = await ctx.db(ctx.contacts.get_contact, owner_id=rep.id, contact_id=followup.contact_id)
    if contact is None:
        return
    base = _reminder_of(ctx.t, contact, followup, rep.zone)
    await query.edit_message_text(f"{base}\n\n{extra}", reply_markup=markup)


def _reminder_of(t: Translator, contact: ContactRead, followup: FollowUpRead, zone: Any) -> str:
    """The reminder as the rep goes on with it: as sent, less the late notice (the first sending's)."""
    return reminder_text(
        t,
        name=contact.name,
        company=contact.company,
        status=contact.status,
        score=contact.score,
        note=contact.latest_note,
        due=followup.due_at,
        kind=followup.kind,
        zone=zone,
        now=followup.due_at,
        lost_reason=contact.lost_reason,
        phone=contact.phone,
        email=contact.email,
    )


async def on_reminder_button(update: Update, ctx: BotContext) -> None:
    """Every button of a reminder: open a menu, or act. Each action checks the follow-up's state, so a
    stale or repeated tap changes nothing."""
    press = await pressed_on(
        update,
        ctx,
        FollowUpButton,
        lambda data: ctx.followups.get_followup(owner_id=ctx.rep.id, followup_id=data.followup),
    )
    if press is None:
        return
    action = _ACTIONS.get(press.data.action)
    if action is None or press.record.state not in action.states:
        await press.answer(ctx.t.plain("reminder.already_handled"), alert=True)
        return
    if not action.answers:
        await press.answer()
    await action.run(_Press(update, ctx, press))


class _Press:
    """One tap on a reminder button, with what every action needs."""

    def __init__(self, update: Update, ctx: BotContext, press: OwnedPress[FollowUpButton, FollowUpRead]):
        self.update, self.ctx = update, ctx
        self.rep, self.followup, self.args = press.rep, press.record, press.data.args
        self.t, self.now, self.zone = ctx.t, ctx.now(), press.rep.zone
        self.message_id = press.message_id
        self.answer = press.answer

    def arg(self, allowed: set[str]) -> str | None:
        """The first argument if it is one of the allowed values (button data is never trusted)."""
        return self.args[0] if self.args and self.args[0] in allowed else None

    async def show(self, extra: str, markup: InlineKeyboardMarkup | None) -> None:
        await _edit(self.update, self.ctx, self.rep, self.followup, extra, markup)

    def back_row(self) -> list[InlineKeyboardButton]:
        return _back_row(self.t, self.followup.id)


async def _back(press: _Press) -> None:
    ctx, followup = press.ctx, press.followup
    contact = await ctx.db(ctx.contacts.get_contact, owner_id=press.rep.id, contact_id=followup.contact_id)
    if contact is None:
        return
    reach = contact_reach(
        press.t, press.rep, contact, press.now, going_cold=followup.kind is FollowUpKind.COLD
    )
    await press.show("", _main_keyboard(press.t, followup.id, followup.contact_id, reach))


async def _ask_outcome(press: _Press) -> None:
    await press.show(press.t("reminder.ask_outcome"), _outcome_keyboard(press.t, press.followup.id))


async def _outcome(press: _Press) -> None:
    outcome = press.arg({o.value for o in Outcome})
    if outcome is not None:
        await _complete(press.update, press.ctx, press.rep, press.followup, Outcome(outcome))


async def _next(press: _Press) -> None:
    choice = press.arg({choice.value for choice in _NEXT_CHOICES})
    if choice is not None:
        await _next_step(press.update, press.ctx, press.rep, press.followup, NextStepChoice(choice))


async def _ask_snooze(press: _Press) -> None:
    buttons = [_button(press.t.plain(f"snooze.{c.value}"), press.followup.id, "s", c.value) for c in Snooze]
    await press.show(press.t("reminder.ask_snooze"), keyboard(buttons, press.back_row()))


async def _snooze(press: _Press) -> None:
    choice = press.arg({c.value for c in Snooze})
    if choice is None:
        return
    due = schedule.snooze_until(Snooze(choice), press.now, press.zone, press.rep.working_weekdays)
    if await press.ctx.db(
        press.ctx.followups.reschedule, owner_id=press.rep.id, followup_id=press.followup.id, due=due
    ):
        await press.show(press.t("reminder.snoozed", when=press.t.echo(due, press.zone)), None)


async def _done_from_digest(press: _Press) -> None:
    """✅ in the digest: the reminder's Done (outcome, note, next step) in a new message below, which
    carries the follow-up's buttons from then on; the digest keeps its text, and the row its card."""
    t, followup, ctx = press.t, press.followup, press.ctx
    if followup.message_id is not None and followup.message_id > press.message_id:
        # A chat's message ids only grow: a reminder sent since the digest, or the message an earlier tap
        # (a double tap) opened, already carries this follow-up's buttons. A second copy would only confuse.
        await press.answer(t.plain("digest.open_below"))
        return
    contact = await ctx.db(ctx.contacts.get_contact, owner_id=press.rep.id, contact_id=followup.contact_id)
    if contact is None:
        await press.answer(t.plain("common.expired"), alert=True)
        return
    await press.answer()
    text = _reminder_of(t, contact, followup, press.zone) + "\n\n" + t("reminder.ask_outcome")
    message = await ctx.bot.send_message(
        press.rep.chat_id, text, reply_markup=_outcome_keyboard(t, followup.id)
    )
    await ctx.db(
        ctx.followups.attach_message,
        owner_id=press.rep.id,
        followup_id=followup.id,
        message_id=message.message_id,
    )
    await _settle_digest_row(press, None)


async def _snooze_from_digest(press: _Press) -> None:
    """💤 in the digest: one tap puts the follow-up off to the next working day at its own time (see
    schedule.put_off_to_next_day); the answer says until when, and so does the digest's row."""
    t, followup = press.t, press.followup
    due = schedule.put_off_to_next_day(followup.due_at, press.now, press.zone, press.rep.working_weekdays)
    if not await press.ctx.db(
        press.ctx.followups.reschedule, owner_id=press.rep.id, followup_id=followup.id, due=due
    ):
        await press.answer(t.plain("reminder.already_handled"), alert=True)
        return
    await press.answer(t.plain("digest.snoozed", when=t.echo(due, press.zone)))
    await _settle_digest_row(press, due)


async def _settle_digest_row(press: _Press, snoozed_until: datetime | None) -> None:
    """The digest's row of this follow-up, acted on: its ✅ / 💤 come off and its card stays, saying until
    when it was snoozed. Only the keyboard is edited; the digest's text is left as the rep read it."""
    query = press.update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or message.reply_markup is None:
        return
    ours = {FollowUpButton(press.followup.id, action).pack() for action in (DIGEST_DONE, DIGEST_SNOOZE)}
    settled: list[list[InlineKeyboardButton]] = []
    found = False
    for row in message.reply_markup.inline_keyboard:
        if not any(key.callback_data in ours for key in row):
            settled.append(list(row))
            continue
        found = True
        card = [key for key in row if key.callback_data not in ours][:1]
        if card and snoozed_until is not None:
            label = press.t.plain(
                "digest.row_snoozed", item=card[0].text, when=press.t.when(snoozed_until, press.zone)
            )
            card = [InlineKeyboardButton(label, callback_data=card[0].callback_data)]
        settled.append(card)
    if not found:
        return  # settled already: the press came with the digest as it was before the edit
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard(*settled))
    except BadRequest as error:
        log.debug("digest row of follow-up %s not settled: %s", press.followup.id, error)


async def _ask_date(press: _Press) -> None:
    await ask(
        press.ctx,
        Question.FOLLOWUP_DATE,
        followup_id=press.followup.id,
        detail="r",
        prompt_id=press.message_id,
    )
    await press.show(press.t("reminder.ask_date"), keyboard(press.back_row()))


async def _ask_lost(press: _Press) -> None:
    buttons = [
        _button(press.t.plain(f"lost.{r.value}"), press.followup.id, "lr", r.value) for r in LostReason
    ]
    await press.show(press.t("reminder.ask_lost"), keyboard(*rows(buttons, ROW_EACH), press.back_row()))


async def _lost(press: _Press) -> None:
    reason = press.arg({r.value for r in LostReason})
    if reason is None or not await press.ctx.db(
        press.ctx.contacts.mark_lost,
        owner_id=press.rep.id,
        contact_id=press.followup.contact_id,
        reason=LostReason(reason),
        followup_id=press.followup.id,
    ):
        return
    t, followup_id = press.t, press.followup.id
    choices = [
        _button(t.plain("reminder.win_back_months", months=n), followup_id, "wb", n) for n in WIN_BACK_MONTHS
    ]
    text = t("reminder.lost_saved", reason=t.plain(f"lost.{reason}")) + "\n" + t("reminder.ask_win_back")
    no = _button(t.plain("reminder.no_win_back"), followup_id, "wb", 0)
    await press.show(text, keyboard(choices, [no]))


async def _win_back(press: _Press) -> None:
    choice = press.arg({"0", *(str(n) for n in WIN_BACK_MONTHS)})
    if choice is None:
        return
    due = schedule.win_back_due(int(choice), press.now, press.zone) if choice != "0" else None
    followups = press.ctx.followups
    if followups.schedule_next(owner_id=press.rep.id, followup_id=press.followup.id, due=due, kind="winback"):
        t = press.t
        await press.show(
            t("reminder.win_back_set", when=t.echo(due, press.zone, with_time=False))
            if due
            else t("reminder.no_win_back_set"),
            None,
        )


async def _confirm(press: _Press) -> None:
    if len(press.args) == 2 and press.args[0] in ("r", "n") and press.args[1].isdigit():
        due = datetime.fromtimestamp(int(press.args[1]) * 60, UTC)
        await _confirm_date(press.update, press.ctx, press.rep, press.followup, press.args[0], due)


@dataclass(frozen=True)
class _Action:
    run: Callable[[_Press], Awaitable[None]]
    states: tuple[FollowUpState, ...]  # the follow-up states in which the button still means something
    answers: bool = False  # answers the press itself (with what it did), rather than at once


_OPEN = OPEN_STATES
_ACTIONS = {
    "back": _Action(_back, _OPEN),
    "done": _Action(_ask_outcome, _OPEN),
    "o": _Action(_outcome, _OPEN),
    "n": _Action(_next, (FollowUpState.DONE,)),
    "snz": _Action(_ask_snooze, _OPEN),
    "s": _Action(_snooze, _OPEN),
    "rsc": _Action(_ask_date, _OPEN),
    "lost": _Action(_ask_lost, _OPEN),
    "lr": _Action(_lost, _OPEN),
    "wb": _Action(_win_back, (FollowUpState.LOST,)),
    "cd": _Action(_confirm, (*_OPEN, FollowUpState.DONE)),
    DIGEST_DONE: _Action(_done_from_digest, _OPEN, answers=True),
    DIGEST_SNOOZE: _Action(_snooze_from_digest, _OPEN, answers=True),
}


async def _complete(
    update: Update, ctx: BotContext, rep: RepRead, followup: FollowUpRead, outcome: Outcome
) -> None:
    contact = await ctx.db(ctx.contacts.get_contact, owner_id=rep.id, contact_id=followup.contact_id)
    if contact is None:
        return
    evaluation = flow.evaluate(contact.answers, now=ctx.now(), touches_before=contact.touches)
    interaction = await ctx.db(
        ctx.followups.complete,
        owner_id=rep.id,
        followup_id=followup.id,
        outcome=outcome.value,
        score=evaluation.score,
    )
    if interaction is None:
        return
    await ask(ctx, Question.FOLLOWUP_NOTE, followup_id=followup.id, interaction_id=interaction)
    done = await ctx.db(ctx.followups.get_followup, owner_id=rep.id, followup_id=followup.id) or followup
    text = (
        ctx.t("reminder.logged", outcome=ctx.t.plain(f"outcome.{outcome.value}"))
        + "\n"
        + ctx.t("reminder.ask_next")
    )
    await _edit(update, ctx, rep, done, text, _next_step_keyboard(ctx.t, followup.id))


async def _next_step(
    update: Update, ctx: BotContext, rep: RepRead, followup: FollowUpRead, choice: NextStepChoice
) -> None:
    t = ctx.t
    if choice is NextStepChoice.DATE:
        await ask(ctx, Question.FOLLOWUP_DATE, followup_id=followup.id, detail="n")
        await _edit(update, ctx, rep, followup, t("reminder.ask_date"), _next_step_keyboard(t, followup.id))
        return
    due = due_for_choice(choice, ctx.now(), rep.zone, rep.working_weekdays)
    if await ctx.db(ctx.followups.schedule_next, owner_id=rep.id, followup_id=followup.id, due=due):
        await drop_question(ctx)
        line = t("reminder.next_set", when=t.echo(due, rep.zone)) if due else t("reminder.no_next_set")
        await _edit(update, ctx, rep, followup, line, None)


async def _confirm_date(
    update: Update, ctx: BotContext, rep: RepRead, followup: FollowUpRead, purpose: str, due: datetime
) -> None:
    """✓ on a typed date: move the reminder there, or make it the next step after Done."""
    query = update.callback_query
    assert query is not None
    t = ctx.t
    if due <= ctx.now():
        await query.edit_message_text(t("dates.in_past", when=t.when(due, rep.zone)))
        return
    if purpose == "r":
        applied = await ctx.db(ctx.followups.reschedule, owner_id=rep.id, followup_id=followup.id, due=due)
        line = t("reminder.rescheduled", when=t.echo(due, rep.zone))
    else:
        applied = await ctx.db(ctx.followups.schedule_next, owner_id=rep.id, followup_id=followup.id, due=due)
        line = t("reminder.next_set", when=t.echo(due, rep.zone))
    if not applied:
        await query.edit_message_text(t("reminder.already_handled"))
        return
    await drop_question(ctx)
    await query.edit_message_text(line)
    if followup.message_id is not None:
        # The reminder above asked "When? Type a date…": it now says where it went, with no buttons.
        contact = await ctx.db(ctx.contacts.get_contact, owner_id=rep.id, contact_id=followup.contact_id)
        try:
            if contact is None:
                await ctx.bot.edit_message_reply_markup(rep.chat_id, followup.message_id, reply_markup=None)
            else:
                text = _reminder_of(ctx.t, contact, followup, rep.zone)
                await ctx.bot.edit_message_text(f"{text}\n\n{line}", rep.chat_id, followup.message_id)
        except BadRequest as error:
            log.debug("reminder %s not redrawn: %s", followup.id, error)


# Typed answers


async def _typed_note(_update: Update, ctx: BotContext, awaiting: Awaiting, text: str) -> None:
    """The note on a reminder's logged outcome; the interaction id is checked to be the rep's."""
    rep, interaction_id, followup_id = ctx.rep, awaiting.interaction_id, awaiting.followup_id
    note = text.strip()[:NOTE_MAX]
    await drop_question(ctx)
    if (
        interaction_id is None
        or followup_id is None
        or not await ctx.db(ctx.followups.add_note, owner_id=rep.id, interaction_id=interaction_id, note=note)
    ):
        await ctx.bot.send_message(rep.chat_id, ctx.t("reminder.already_handled"))
        return
    notice = (
        ctx.t("capture.too_long", field=ctx.t.plain("field.note"), limit=NOTE_MAX) + "\n"
        if len(text.strip()) > NOTE_MAX
        else ""
    )
    followup = await ctx.db(ctx.followups.get_followup, owner_id=rep.id, followup_id=followup_id)
    markup = _next_step_keyboard(ctx.t, followup_id) if followup and followup.state == "done" else None
    await ctx.bot.send_message(rep.chat_id, notice + ctx.t("reminder.note_saved"), reply_markup=markup)
    if markup is not None and followup is not None and followup.message_id is not None:
        # The next-step buttons moved down to this message.
        try:
            await ctx.bot.edit_message_reply_markup(rep.chat_id, followup.message_id, reply_markup=None)
        except BadRequest as error:
            log.debug("reminder %s keeps its buttons: %s", followup_id, error)


async def _typed_date(_update: Update, ctx: BotContext, awaiting: Awaiting, text: str) -> None:
    """A typed date for a reminder: echoed with a ✓ to confirm it (the question stays until then)."""
    rep, followup_id, purpose = ctx.rep, awaiting.followup_id, awaiting.detail or "r"
    if followup_id is None:
        await drop_question(ctx)
        await ctx.bot.send_message(rep.chat_id, ctx.t("reminder.already_handled"))
        return
    t = ctx.t
    reading = read_date(ctx, rep, text)
    if isinstance(reading, DateRefusal):
        offer = (
            keyboard(
                [
                    _button(
                        t.plain("dates.next_year"),
                        followup_id,
                        "cd",
                        purpose,
                        int(reading.next_year.timestamp()) // 60,
                    )
                ]
            )
            if reading.reason is Refusal.PASSED and reading.next_year is not None
            else None
        )
        await ctx.bot.send_message(
            rep.chat_id,
            refusal_text(t, reading, text, rep) + "\n" + t("reminder.ask_date"),
            reply_markup=offer,
        )
        return
    minutes = int(reading.due.timestamp()) // 60
    markup = keyboard([_button(t.plain("reminder.confirm"), followup_id, "cd", purpose, minutes)])
    await ctx.bot.send_message(
        rep.chat_id,
        t("dates.understood", when=t.echo(reading.due, rep.zone)) + "\n" + t("reminder.type_again"),
        reply_markup=markup,
    )


TYPED_ANSWERS: TypedAnswers = {
    Question.FOLLOWUP_NOTE: _typed_note,
    Question.FOLLOWUP_DATE: _typed_date,
}


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CallbackQueryHandler(on_reminder_button, pattern=FollowUpButton.pattern())]
