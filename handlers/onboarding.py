"""Onboarding and settings: /start, /settings, /help, the time zone and the digest time."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
)

from bot import callbacks
from bot.awaiting import Awaiting, Question
from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.schedule import parse_working_days
from bot.timezones import city_name, find_zones, likely_zones
from handlers.kit.awaiting import TypedAnswers, ask, drop_question
from handlers.kit.context import BotContext
from storage.reps import RepRead

DIGEST_TIMES = (time(7, 30), time(8, 0), time(8, 30), time(9, 0))


def _zone_name(t: Translator, zone: str) -> str:
    """The zone as the rep knows it: its city in their language ("Helsinki", "Wien")."""
    return city_name(zone, str(t.locale))


def _zone_keyboard(
    t: Translator, zones: list[str] | tuple[str, ...], ctx: BotContext
) -> InlineKeyboardMarkup:
    now = ctx.now()
    locale = str(t.locale)
    buttons = [
        InlineKeyboardButton(
            t.plain(
                "onboarding.zone_button", city=city_name(zone, locale), time=t.clock_time(now, ZoneInfo(zone))
            ),
            callback_data=callbacks.pack(callbacks.TIMEZONE, zone),
        )
        for zone in zones
    ]
    rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    rows.append(
        [
            InlineKeyboardButton(
                t.plain("onboarding.type_zone"), callback_data=callbacks.pack(callbacks.TIMEZONE, "_type")
            ),
            InlineKeyboardButton(
                t.plain("common.skip"), callback_data=callbacks.pack(callbacks.TIMEZONE, "_skip")
            ),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _digest_keyboard(t: Translator, rep: RepRead) -> InlineKeyboardMarkup:
    def label(at: time) -> str:
        text = t.wall_time(at)
        return t.plain("common.chosen", label=text) if at == rep.digest_time else text

    times = [
        InlineKeyboardButton(
            label(at), callback_data=callbacks.pack(callbacks.DIGEST_TIME, at.strftime("%H%M"))
        )
        for at in DIGEST_TIMES
    ]
    skip = InlineKeyboardButton(
        t.plain("common.skip"), callback_data=callbacks.pack(callbacks.DIGEST_TIME, "_skip")
    )
    return InlineKeyboardMarkup([times, [skip]])


def _weekday(t: Translator, iso_day: int) -> str:
    return str(t.locale.days["format"]["abbreviated"][iso_day - 1])


def _settings_text(t: Translator, rep: RepRead) -> str:
    days = ", ".join(_weekday(t, day) for day in sorted(parse_working_days(rep.working_days)))
    empty = t.plain("settings.empty_on" if rep.digest_when_empty else "settings.empty_off")
    weekly = t.plain("settings.empty_on" if rep.weekly_summary else "settings.empty_off")
    return t(
        "settings.summary",
        language=LANGUAGE_NAMES.get(rep.language, rep.language),
        zone=_zone_name(t, rep.timezone),
        digest=t.wall_time(rep.digest_time),
        days=days or t.plain("settings.no_days"),
        empty=empty,
        weekly=weekly,
    )


def _days_keyboard(t: Translator, rep: RepRead) -> InlineKeyboardMarkup:
    chosen = parse_working_days(rep.working_days)
    buttons = [
        InlineKeyboardButton(
            t.plain("common.chosen", label=_weekday(t, day)) if day in chosen else _weekday(t, day),
            callback_data=callbacks.pack(callbacks.SETTINGS, "wd", day),
        )
        for day in range(1, 8)
    ]
    back = InlineKeyboardButton(
        t.plain("common.back"), callback_data=callbacks.pack(callbacks.SETTINGS, "show")
    )
    return InlineKeyboardMarkup([buttons[:4], buttons[4:], [back]])


def _languages_keyboard(t: Translator, rep: RepRead) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            t.plain("common.chosen", label=LANGUAGE_NAMES[code])
            if code == rep.language
            else LANGUAGE_NAMES[code],
            callback_data=callbacks.pack(callbacks.SETTINGS, "lang", code),
        )
        for code in SUPPORTED_LANGUAGES
    ]
    back = InlineKeyboardButton(
        t.plain("common.back"), callback_data=callbacks.pack(callbacks.SETTINGS, "show")
    )
    return InlineKeyboardMarkup([buttons[:3], buttons[3:], [back]])


def _settings_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.plain("settings.language_button"),
                    callback_data=callbacks.pack(callbacks.SETTINGS, "languages"),
                )
            ],
            [
                InlineKeyboardButton(
                    t.plain("settings.days_button"), callback_data=callbacks.pack(callbacks.SETTINGS, "days")
                ),
                InlineKeyboardButton(
                    t.plain("settings.empty_button"),
                    callback_data=callbacks.pack(callbacks.SETTINGS, "empty"),
                ),
            ],
            [
                InlineKeyboardButton(
                    t.plain("settings.weekly_button"),
                    callback_data=callbacks.pack(callbacks.SETTINGS, "weekly"),
                )
            ],
            [
                InlineKeyboardButton(
                    t.plain("settings.zone_button"),
                    callback_data=callbacks.pack(callbacks.SETTINGS, "timezone"),
                ),
                InlineKeyboardButton(
                    t.plain("settings.digest_button"),
                    callback_data=callbacks.pack(callbacks.SETTINGS, "digest"),
                ),
            ],
        ]
    )


async def start(update: Update, ctx: BotContext) -> None:
    """/start: greet, then ask the time zone (a returning rep just gets the short help); /start <code>
    redeems an invite first."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    if ctx.args and not await _redeem_invite(update, ctx, ctx.args[0]):
        return
    rep = ctx.rep
    name = user.first_name
    if rep.onboarded:
        await message.reply_text(ctx.t("onboarding.welcome_back", name=name) + "\n\n" + ctx.t("help.text"))
        return
    zones = likely_zones(rep.language, ctx.settings.default_timezone)
    await message.reply_text(
        ctx.t("onboarding.greeting", name=name)
        + "\n\n"
        + ctx.t("onboarding.ask_zone", zone=_zone_name(ctx.t, rep.timezone)),
        reply_markup=_zone_keyboard(ctx.t, zones, ctx),
    )


async def _redeem_invite(update: Update, ctx: BotContext, code: str) -> bool:
    """True when the invite let the user in (or they were in already); otherwise say why not."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    ctx.speak_to(user)
    outcome, rep = ctx.teams.redeem(
        code=code[:64],
        telegram_id=user.id,
        chat_id=message.chat_id,
        language=ctx.language_of(user),
        timezone=ctx.settings.default_timezone,
        digest_time=ctx.settings.digest_time,
        display_name=user.first_name,
    )
    if rep is not None:
        if ctx.bot_data.gate is not None:
            ctx.bot_data.gate.admit(user.id)
        ctx.remember_rep(rep)
        team = ctx.teams.team_name(team_id=rep.team_id) if rep.team_id else None
        if team:
            await message.reply_text(ctx.t("invite.joined_team", team=team))
        return True
    if ctx.reps.get_rep(telegram_id=user.id) is not None and (
        ctx.settings.open_to_all
        or ctx.reps.is_invited(telegram_id=user.id)
        or ctx.settings.is_listed(user.id, user.username)
    ):
        return True  # an old link tapped again by someone who is in already
    await message.reply_text(ctx.t(f"invite.{outcome.value}"))
    if ctx.bot_data.gate is not None:
        ctx.bot_data.gate.note_refusal(user.id)
    return False


async def show_settings(update: Update, ctx: BotContext) -> None:
    """/settings: the current time zone and digest time, with buttons to change them."""
    rep = ctx.rep
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _settings_text(ctx.t, rep), reply_markup=_settings_keyboard(ctx.t)
    )


async def show_help(update: Update, ctx: BotContext) -> None:
    """/help: the commands in a few lines."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(ctx.t("help.text"))


async def on_settings_button(update: Update, ctx: BotContext) -> None:
    """A settings button: open a picker, toggle a working day or the empty digest, or show the settings."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data, with_id=False)
    action = parsed.args[0] if parsed else ""
    t = ctx.t
    text: str
    if action == "timezone":
        zones = likely_zones(rep.language, ctx.settings.default_timezone)
        text, markup = (
            t("onboarding.ask_zone", zone=_zone_name(t, rep.timezone)),
            _zone_keyboard(t, zones, ctx),
        )
    elif action == "digest":
        text, markup = t("onboarding.ask_digest"), _digest_keyboard(t, rep)
    elif action == "days":
        text, markup = t("settings.ask_days"), _days_keyboard(t, rep)
    elif action == "wd" and parsed is not None and len(parsed.args) == 2 and parsed.args[1] in "1234567":
        days = parse_working_days(rep.working_days) ^ {int(parsed.args[1])}
        rep = ctx.reps.update_rep(rep_id=rep.id, working_days="".join(str(day) for day in sorted(days)))
        text, markup = t("settings.ask_days"), _days_keyboard(t, rep)
    elif action == "empty":
        rep = ctx.reps.update_rep(rep_id=rep.id, digest_when_empty=not rep.digest_when_empty)
        text, markup = _settings_text(t, rep), _settings_keyboard(t)
    elif action == "weekly":
        rep = ctx.reps.update_rep(rep_id=rep.id, weekly_summary=not rep.weekly_summary)
        text, markup = _settings_text(t, rep), _settings_keyboard(t)
    elif action == "languages":
        text, markup = t("settings.ask_language"), _languages_keyboard(t, rep)
    elif (
        action == "lang"
        and parsed is not None
        and len(parsed.args) == 2
        and parsed.args[1] in SUPPORTED_LANGUAGES
    ):
        rep = ctx.reps.update_rep(rep_id=rep.id, language=parsed.args[1])
        # The answer comes in the new language at once.
        ctx.remember_rep(rep)
        t = ctx.t
        text, markup = _settings_text(t, rep), _settings_keyboard(t)
    elif action == "show":
        text, markup = _settings_text(t, rep), _settings_keyboard(t)
    else:
        await query.answer(t.plain("common.expired"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(text, reply_markup=markup)


async def on_zone_button(update: Update, ctx: BotContext) -> None:
    """A time zone button: set it, or ask for a typed city, or skip; then the digest time."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data, with_id=False)
    choice = parsed.args[0] if parsed else ""
    if choice == "_type":
        ask(ctx, Question.TIMEZONE)
        await query.answer()
        await query.edit_message_text(ctx.t("onboarding.type_zone_prompt"))
        return
    if choice != "_skip":
        if choice not in _valid_zones(choice):
            await query.answer(ctx.t.plain("common.expired"), show_alert=True)
            return
        rep = ctx.reps.update_rep(rep_id=rep.id, timezone=choice)
    await query.answer()
    await _after_zone(update, ctx, rep, edit=True)


def _valid_zones(zone: str) -> set[str]:
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError):
        return set()
    return {zone}


async def _after_zone(update: Update, ctx: BotContext, rep: RepRead, *, edit: bool) -> None:
    """Onboarding goes on to the digest time; from /settings, the settings are shown again."""
    if rep.onboarded:
        text, markup = _settings_text(ctx.t, rep), _settings_keyboard(ctx.t)
    else:
        text = (
            ctx.t("onboarding.zone_set", zone=_zone_name(ctx.t, rep.timezone))
            + "\n\n"
            + ctx.t("onboarding.ask_digest")
        )
        markup = _digest_keyboard(ctx.t, rep)
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=markup)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=markup)


async def on_digest_button(update: Update, ctx: BotContext) -> None:
    """A digest time button: set it (or skip) and finish onboarding."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data, with_id=False)
    choice = parsed.args[0] if parsed else ""
    chosen = next((at for at in DIGEST_TIMES if at.strftime("%H%M") == choice), None)
    if chosen is None and choice != "_skip":
        await query.answer(ctx.t.plain("common.expired"), show_alert=True)
        return
    was_onboarded = rep.onboarded
    rep = ctx.reps.update_rep(rep_id=rep.id, digest_time=chosen, onboarded=True)
    await query.answer()
    if was_onboarded:
        await query.edit_message_text(_settings_text(ctx.t, rep), reply_markup=_settings_keyboard(ctx.t))
    else:
        await query.edit_message_text(
            ctx.t(
                "onboarding.done",
                zone=_zone_name(ctx.t, rep.timezone),
                digest=ctx.t.wall_time(rep.digest_time),
            ),
        )


async def _typed_zone(update: Update, ctx: BotContext, _awaiting: Awaiting, text: str) -> None:
    """A typed city or zone: one match sets it, several are offered, none asks again."""
    rep = ctx.rep
    matches = find_zones(text[:100], str(ctx.t.locale))
    if len(matches) == 1:
        drop_question(ctx)
        rep = ctx.reps.update_rep(rep_id=rep.id, timezone=matches[0])
        await _after_zone(update, ctx, rep, edit=False)
    elif matches:
        drop_question(ctx)
        await ctx.bot.send_message(
            rep.chat_id, ctx.t("onboarding.zone_choices"), reply_markup=_zone_keyboard(ctx.t, matches, ctx)
        )
    else:
        await ctx.bot.send_message(rep.chat_id, ctx.t("onboarding.zone_not_found", text=text[:100]))


TYPED_ANSWERS: TypedAnswers = {Question.TIMEZONE: _typed_zone}


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("start", start),
        CommandHandler("settings", show_settings),
        CommandHandler("help", show_help),
        CallbackQueryHandler(on_settings_button, pattern=r"^st:"),
        CallbackQueryHandler(on_zone_button, pattern=r"^tz:"),
        CallbackQueryHandler(on_digest_button, pattern=r"^dt:"),
    ]
