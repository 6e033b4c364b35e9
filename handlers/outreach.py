"""Reaching out: the buttons a reminder and a contact card carry to write to the contact (WhatsApp, the
drafted message and the e-mail to copy), and /settings → ✍️ Messages, where the rep edits the templates.

Telegram tells the bot nothing when a URL or copy button is tapped, so these buttons record nothing; the
reminder's Done offers "Messaged" for that. They carry no callback_data, hence no id to check; the
template editor's buttons name only a kind, and act on the pressing rep's own row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import outreach, phones
from bot.awaiting import Awaiting, Question
from bot.i18n import Html, Translator
from bot.outreach import COPY_TEXT_MAX, PLACEHOLDERS, TEMPLATE_MAX, MessageKind, TemplateProblem
from handlers.kit.awaiting import TypedAnswers, ask, drop_question
from handlers.kit.buttons import SettingsAction, SettingsButton, TemplateAction, TemplateButton
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard, rows, short
from handlers.kit.preamble import pressed
from storage.contacts import ContactRead
from storage.reps import RepRead

# How much of a refused template is quoted back for the rep to fix (the message must stay under 4096).
QUOTED_MAX = 600


def template_of(t: Translator, templates: tuple[tuple[str, str], ...], kind: MessageKind) -> str:
    """The rep's own template of this kind, else the default of their language."""
    return dict(templates).get(kind.value) or t.plain(f"outreach.template.{kind.value}")


def drafted_message(
    t: Translator,
    templates: tuple[tuple[str, str], ...],
    kind: MessageKind,
    *,
    name: str,
    company: str | None,
    note: str | None,
) -> str:
    """The follow-up message of this kind for this contact, in the rep's language (plain text)."""
    return outreach.fill(
        template_of(t, templates, kind),
        name=name,
        company=company or t.plain("outreach.no_company"),
        topic=outreach.topic_of(note) or t.plain("outreach.no_topic"),
        language=t.language,
    )


def contact_reach(
    t: Translator, rep: RepRead, contact: ContactRead, now: datetime, *, going_cold: bool = False
) -> list[list[InlineKeyboardButton]]:
    """The reach-out buttons of a card, or of a reminder redrawn (`going_cold`: its follow-up is one)."""
    return reach_buttons(
        t,
        rep.message_templates,
        rep.quiet_days,
        now=now,
        name=contact.name,
        company=contact.company,
        phone=contact.phone,
        email=contact.email,
        status=contact.status,
        last_touch_at=contact.last_touch_at or contact.created_at,
        note=contact.latest_note,
        going_cold=going_cold,
    )


def reach_buttons(
    t: Translator,
    templates: tuple[tuple[str, str], ...],
    quiet_days: Mapping[str, int] | None,
    *,
    now: datetime,
    name: str,
    company: str | None,
    phone: str | None,
    email: str | None,
    status: str,
    last_touch_at: datetime | None,
    note: str | None,
    going_cold: bool = False,
) -> list[list[InlineKeyboardButton]]:
    """💬 WhatsApp (a number that reads as E.164), 📋 the drafted message, 📋 the e-mail: two to a row."""
    kind = outreach.message_kind(
        status=status, last_touch_at=last_touch_at, now=now, quiet_days=quiet_days, going_cold=going_cold
    )
    text = drafted_message(t, templates, kind, name=name, company=company, note=note)
    buttons: list[InlineKeyboardButton] = []
    digits = phones.e164_digits(phone)
    if digits is not None:
        buttons.append(
            InlineKeyboardButton(t.plain("outreach.whatsapp"), url=outreach.whatsapp_url(digits, text))
        )
    buttons.append(InlineKeyboardButton(t.plain("outreach.copy_message"), copy_text=CopyTextButton(text)))
    if email and len(email) <= COPY_TEXT_MAX:
        buttons.append(InlineKeyboardButton(t.plain("outreach.copy_email"), copy_text=CopyTextButton(email)))
    return rows(buttons, 2)


# /settings → ✍️ Messages


def _menu(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        [button(t.plain(f"templates.kind.{kind.value}"), TemplateButton(TemplateAction.SHOW, kind.value))]
        for kind in MessageKind
    ]
    back = [button(t.plain("common.back"), SettingsButton(SettingsAction.SHOW))]
    return t("templates.menu"), keyboard(*buttons, back)


def _placeholders() -> str:
    return " ".join("{" + name + "}" for name in PLACEHOLDERS)


def _kind_view(
    t: Translator, rep: RepRead, kind: MessageKind, *, asking: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """One kind: whose template it is, the template, a preview filled with a sample contact, and (while
    asking) how to replace it."""
    own = rep.template_for(kind.value) is not None
    template = template_of(t, rep.message_templates, kind)
    preview = outreach.fill(
        template,
        name=t.plain("templates.sample_name"),
        company=t.plain("templates.sample_company"),
        topic=t.plain("templates.sample_topic"),
        language=t.language,
    )
    lines: list[str] = [
        t("templates.kind_title", kind=t.plain(f"templates.kind.{kind.value}")),
        t("templates.own" if own else "templates.default", template=template),
        "",
        t("templates.preview", name=t.plain("templates.sample_name"), preview=preview),
    ]
    if asking:
        lines += ["", t("templates.ask", placeholders=_placeholders(), limit=TEMPLATE_MAX)]
    actions = (
        []
        if asking
        else [button(t.plain("templates.change"), TemplateButton(TemplateAction.CHANGE, kind.value))]
    )
    if own:
        actions.append(button(t.plain("templates.reset"), TemplateButton(TemplateAction.RESET, kind.value)))
    back = [button(t.plain("common.back"), TemplateButton(TemplateAction.MENU))]
    return "\n".join(lines), keyboard(actions, back)


def _kind(value: str) -> MessageKind | None:
    return next((kind for kind in MessageKind if kind.value == value), None)


async def on_template_button(update: Update, ctx: BotContext) -> None:
    """✍️ Messages: the kinds; one kind's template and preview; ✏️ Change (typed text then replaces it);
    reset."""
    press = await pressed(update, ctx, TemplateButton)
    if press is None:
        return
    t = ctx.t
    if press.data.action is TemplateAction.MENU:
        await press.answer()
        await drop_question(ctx)
        text, markup = _menu(t)
        await press.query.edit_message_text(text, reply_markup=markup)
        return
    kind = _kind(press.data.kind)
    if kind is None:
        await press.answer(t.plain("common.expired"), alert=True)
        return
    rep, notice = ctx.rep, ""
    if press.data.action is TemplateAction.RESET:
        rep = await ctx.db(ctx.reps.set_message_template, rep_id=rep.id, kind=kind.value, template=None)
        ctx.remember_rep(rep)
        notice = t("templates.was_reset") + "\n\n"
    await press.answer()
    # Only ✏️ Change makes the next typed text a template: a look at one is not a promise to type one
    # (the next contact's name would replace it).
    asking = press.data.action is TemplateAction.CHANGE
    if asking:
        await ask(ctx, Question.MESSAGE_TEMPLATE, detail=kind.value, prompt_id=press.message_id)
    else:
        await drop_question(ctx)
    text, markup = _kind_view(t, rep, kind, asking=asking)
    await press.query.edit_message_text(notice + text, reply_markup=markup)


def _refusal_text(t: Translator, refusal: outreach.TemplateRefusal, typed: str) -> Html:
    """What is wrong, how to write it, and the rep's text quoted back so that nothing is lost."""
    problem = refusal.problem
    placeholder = "{" + refusal.placeholder + "}"
    line = t(
        f"templates.invalid.{problem.value}",
        placeholder=placeholder,
        placeholders=_placeholders(),
        limit=TEMPLATE_MAX,
        length=len(typed),
    )
    if problem is TemplateProblem.EMPTY:
        return line
    return Html(line + "\n" + t("templates.kept", text=short(typed, QUOTED_MAX)))


async def _typed_template(_update: Update, ctx: BotContext, awaiting: Awaiting, text: str) -> None:
    """A typed template: checked, then kept as the rep's own; refused with why, and asked again."""
    t, rep = ctx.t, ctx.rep
    kind = _kind(awaiting.detail or "")
    if kind is None:
        await drop_question(ctx)
        await ctx.bot.send_message(rep.chat_id, t("common.expired"))
        return
    template = outreach.in_placeholder_names(text.strip())
    refusal = outreach.check_template(template)
    if refusal is not None:
        await ctx.bot.send_message(rep.chat_id, _refusal_text(t, refusal, template))
        return
    await drop_question(ctx)
    rep = await ctx.db(ctx.reps.set_message_template, rep_id=rep.id, kind=kind.value, template=template)
    ctx.remember_rep(rep)
    view, markup = _kind_view(t, rep, kind, asking=False)
    await ctx.bot.send_message(rep.chat_id, t("templates.saved") + "\n\n" + view, reply_markup=markup)


TYPED_ANSWERS: TypedAnswers = {Question.MESSAGE_TEMPLATE: _typed_template}


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CallbackQueryHandler(on_template_button, pattern=TemplateButton.pattern())]
