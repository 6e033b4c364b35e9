"""Onboarding and settings: /start, /settings, /help, the time zone (a button, a typed city or a shared
location) and the digest time."""

from __future__ import annotations

import asyncio
import logging
from datetime import time
from zoneinfo import ZoneInfo

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
)

from bot import schedule
from bot.awaiting import Awaiting, Question
from bot.config import SUPPORTED_LANGUAGES
from bot.deal import OFFERED_CURRENCIES
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.schedule import parse_working_days, toggle_working_day
from bot.timezones import city_name, find_zones, likely_zones, zone_at
from handlers.kit.awaiting import TypedAnswers, ask, drop_question
from handlers.kit.buttons import (
    CalendarAction,
    CalendarButton,
    ColdDaysButton,
    DigestTimeButton,
    QuietGroup,
    SettingsAction,
    SettingsButton,
    TemplateAction,
    TemplateButton,
    TimezoneButton,
)
from handlers.kit.commands import command
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard, rows
from handlers.kit.preamble import pressed
from storage.reps import RepRead

log = logging.getLogger(__name__)

DIGEST_TIMES = (time(7, 30), time(8, 0), time(8, 30), time(9, 0))
TYPE_ZONE, SKIP, HERE = "_type", "_skip", "_here"


def _zone_name(t: Translator, zone: str) -> str:
    """The zone as the rep knows it: its city in their language ("Helsinki", "Wien")."""
    return city_name(zone, str(t.locale))


def _location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """The one-tap way to a time zone: Telegram asks the rep to share their location and sends it."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.plain("onboarding.share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def _zone_keyboard(
    t: Translator, zones: list[str] | tuple[str, ...], ctx: BotContext, *, location: bool = False
) -> InlineKeyboardMarkup:
    now, rep = ctx.now(), ctx.rep
    locale = str(t.locale)

    def label(zone: str) -> str:
        text = t.plain(
            "onboarding.zone_button", city=city_name(zone, locale), time=t.clock_time(now, ZoneInfo(zone))
        )
        # From /settings the zone the rep has is ticked; in onboarding nothing is chosen yet.
        return t.plain("common.chosen", label=text) if rep.onboarded and zone == rep.timezone else text

    buttons = [button(label(zone), TimezoneButton(zone)) for zone in zones]
    here = [button(t.plain("onboarding.location_button"), TimezoneButton(HERE))] if location else []
    return keyboard(
        *rows(buttons, 2),
        here,
        [
            button(t.plain("onboarding.type_zone"), TimezoneButton(TYPE_ZONE)),
            button(_leave_label(t, rep), TimezoneButton(SKIP)),
        ],
    )


def _digest_keyboard(t: Translator, rep: RepRead) -> InlineKeyboardMarkup:
    def label(at: time) -> str:
        text = t.wall_time(at)
        return t.plain("common.chosen", label=text) if at == rep.digest_time else text

    times = [button(label(at), DigestTimeButton(at.strftime("%H%M"))) for at in DIGEST_TIMES]
    return keyboard(times, [button(_leave_label(t, rep), DigestTimeButton(SKIP))])


def _leave_label(t: Translator, rep: RepRead) -> str:
    """The button that leaves a time zone or digest time as it is: Skip in onboarding, which goes on to the
    next step; Back from /settings, which shows the settings again."""
    return t.plain("common.back" if rep.onboarded else "common.skip")


def _weekday(t: Translator, iso_day: int) -> str:
    return str(t.locale.days["format"]["abbreviated"][iso_day - 1])


def _settings_text(t: Translator, rep: RepRead) -> str:
    days = ", ".join(_weekday(t, day) for day in sorted(parse_working_days(rep.working_days)))
    empty = t.plain("settings.empty_on" if rep.digest_when_empty else "settings.empty_off")
    weekly = t.plain("settings.empty_on" if rep.weekly_summary else "settings.empty_off")
    summary = t(
        "settings.summary",
        language=LANGUAGE_NAMES.get(rep.language, rep.language),
        zone=_zone_name(t, rep.timezone),
        digest=t.wall_time(rep.digest_time),
        days=days or t.plain("settings.no_days"),
        empty=empty,
        weekly=weekly,
    )
    return summary + "\n" + t("settings.currency_line", currency=rep.deal_currency)


def _currencies_keyboard(t: Translator, rep: RepRead) -> InlineKeyboardMarkup:
    buttons = [
        button(
            t.plain("common.chosen", label=code) if code == rep.deal_currency else code,
            SettingsButton(SettingsAction.CURRENCY, code),
        )
        for code in OFFERED_CURRENCIES
    ]
    back = button(t.plain("common.back"), SettingsButton(SettingsAction.SHOW))
    return keyboard(*rows(buttons, 3), [back])


def _days_keyboard(t: Translator, rep: RepRead) -> InlineKeyboardMarkup:
    chosen = parse_working_days(rep.working_days)
    buttons = [
        button(
            t.plain("common.chosen", label=_weekday(t, day)) if day in chosen else _weekday(t, day),
            SettingsButton(SettingsAction.WORKING_DAY, str(day)),
        )
        for day in range(1, 8)
    ]
    back = button(t.plain("common.back"), SettingsButton(SettingsAction.SHOW))
    return keyboard(*rows(buttons, 4), [back])


def _languages_keyboard(t: Translator, rep: RepRead) -> InlineKeyboardMarkup:
    buttons = [
        button(
            t.plain("common.chosen", label=LANGUAGE_NAMES[code])
            if code == rep.language
            else LANGUAGE_NAMES[code],
            SettingsButton(SettingsAction.LANGUAGE, code),
        )
        for code in SUPPORTED_LANGUAGES
    ]
    back = button(t.plain("common.back"), SettingsButton(SettingsAction.SHOW))
    return keyboard(*rows(buttons, 3), [back])


def _cold_text(t: Translator, rep: RepRead) -> str:
    days = schedule.quiet_days(rep.quiet_days)
    lines = [
        t("settings.cold_line", status=t.plain(f"status.{group}"), days=_cold_days(t, days[group]))
        for group in schedule.QUIET_DAYS
    ]
    return t("settings.cold_summary", lines="\n".join(lines))


def _cold_days(t: Translator, days: int) -> str:
    return t.plain("settings.cold_never") if days == 0 else str(t.plural("settings.cold_days", days))


def _cold_keyboard(t: Translator) -> InlineKeyboardMarkup:
    groups = [button(t.plain(f"status.{group.value}"), ColdDaysButton(group)) for group in QuietGroup]
    return keyboard(groups, [button(t.plain("common.back"), SettingsButton(SettingsAction.SHOW))])


def _cold_days_keyboard(t: Translator, rep: RepRead, group: QuietGroup) -> InlineKeyboardMarkup:
    current = schedule.quiet_days(rep.quiet_days)[group.value]
    choices = [
        button(
            t.plain("common.chosen", label=_cold_days(t, days)) if days == current else _cold_days(t, days),
            ColdDaysButton(group, days),
        )
        for days in schedule.QUIET_DAY_CHOICES
    ]
    return keyboard(*rows(choices, 3), [button(t.plain("common.back"), SettingsButton(SettingsAction.COLD))])


async def on_cold_days_button(update: Update, ctx: BotContext) -> None:
    """🥶 Going cold: a status's choices of days, or one chosen (then the days of every status again)."""
    press = await pressed(update, ctx, ColdDaysButton)
    if press is None:
        return
    t, rep, data = ctx.t, press.rep, press.data
    text: str
    if data.days is None:
        text = t("settings.cold_ask", status=t.plain(f"status.{data.group.value}"))
        markup = _cold_days_keyboard(t, rep, data.group)
    elif data.days in schedule.QUIET_DAY_CHOICES:
        chosen = (rep.quiet_days or {}) | {data.group.value: data.days}
        rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, quiet_days=chosen)
        text, markup = _cold_text(t, rep), _cold_keyboard(t)
    else:
        await press.answer(t.plain("common.expired"), alert=True)
        return
    await press.answer()
    await press.query.edit_message_text(text, reply_markup=markup)


def _settings_keyboard(ctx: BotContext) -> InlineKeyboardMarkup:
    t = ctx.t

    def to(action: SettingsAction, label: str) -> list[InlineKeyboardButton]:
        return [button(t.plain(label), SettingsButton(action))]

    # The calendar is offered where a web server serves it (handlers/calendar.py).
    calendar = (
        [button(t.plain("settings.calendar_button"), CalendarButton(CalendarAction.SHOW))]
        if ctx.settings.calendar_base_url
        else []
    )
    return keyboard(
        to(SettingsAction.LANGUAGES, "settings.language_button"),
        to(SettingsAction.DAYS, "settings.days_button") + to(SettingsAction.EMPTY, "settings.empty_button"),
        to(SettingsAction.WEEKLY, "settings.weekly_button") + calendar,
        to(SettingsAction.TIMEZONE, "settings.zone_button")
        + to(SettingsAction.DIGEST, "settings.digest_button"),
        # Going cold, and the follow-up message templates (handlers/outreach.py).
        [
            *to(SettingsAction.COLD, "settings.cold_button"),
            button(t.plain("settings.messages_button"), TemplateButton(TemplateAction.MENU)),
        ],
        to(SettingsAction.CURRENCIES, "settings.currency_button"),
    )


async def start(update: Update, ctx: BotContext) -> None:
    """/start: greet, then ask the time zone (a returning rep just gets the short help); /start <code>
    redeems an invite first (a stranger's, the access gate redeemed already)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    if ctx.joined_by_invite:
        await _welcome_to_team(update, ctx, ctx.rep)
    elif ctx.args and not await _redeem_invite(update, ctx, ctx.args[0]):
        return
    rep = ctx.rep
    name = user.first_name
    if rep.onboarded:
        await message.reply_text(ctx.t("onboarding.welcome_back", name=name) + "\n\n" + ctx.t("help.text"))
        return
    zones = likely_zones(rep.language, ctx.settings.default_timezone)
    # The share-location button is a reply keyboard, which a message with inline buttons cannot carry: it
    # comes first, so that the question with the city buttons is the last message, under the rep's thumb.
    await message.reply_text(ctx.t("onboarding.location_hint"), reply_markup=_location_keyboard(ctx.t))
    await message.reply_text(
        ctx.t("onboarding.greeting", name=name)
        + "\n\n"
        + ctx.t("onboarding.ask_zone", zone=_zone_name(ctx.t, rep.timezone)),
        reply_markup=_zone_keyboard(ctx.t, zones, ctx),
    )


async def _redeem_invite(update: Update, ctx: BotContext, code: str) -> bool:
    """An invite from someone the access gate let by (listed, invited already, or the bot is open to
    all): it may bring them into a team. True when they go on to the greeting; otherwise say why not."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    ctx.speak_to(user)
    outcome, rep = await ctx.db(
        ctx.teams.redeem,
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
        await _welcome_to_team(update, ctx, rep)
        return True
    if await ctx.db(ctx.reps.get_rep, telegram_id=user.id) is not None and (
        ctx.settings.open_to_all
        or await ctx.db(ctx.reps.is_invited, telegram_id=user.id)
        or ctx.settings.is_listed(user.id, user.username)
    ):
        return True  # an old link tapped again by someone who is in already
    await message.reply_text(ctx.t(f"invite.{outcome.value}"))
    return False


async def _welcome_to_team(update: Update, ctx: BotContext, rep: RepRead) -> None:
    """An invite into a team says which team."""
    team = await ctx.db(ctx.teams.team_name, team_id=rep.team_id) if rep.team_id else None
    if team and update.effective_message is not None:
        await update.effective_message.reply_text(ctx.t("invite.joined_team", team=team))


async def show_settings(update: Update, ctx: BotContext) -> None:
    """/settings: the current time zone and digest time, with buttons to change them."""
    rep = ctx.rep
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _settings_text(ctx.t, rep), reply_markup=_settings_keyboard(ctx)
    )


async def show_help(update: Update, ctx: BotContext) -> None:
    """/help: the commands in a few lines."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(ctx.t("help.text"))


async def _settings_view(
    ctx: BotContext, rep: RepRead, data: SettingsButton
) -> tuple[str, InlineKeyboardMarkup] | None:
    """What a settings button shows, after the change it makes; None for a day or language not offered."""
    t, action = ctx.t, data.action
    if action is SettingsAction.TIMEZONE:
        zones = likely_zones(rep.language, ctx.settings.default_timezone)
        return (
            t("onboarding.ask_zone", zone=_zone_name(t, rep.timezone)),
            _zone_keyboard(t, zones, ctx, location=True),
        )
    if action is SettingsAction.DIGEST:
        return t("onboarding.ask_digest"), _digest_keyboard(t, rep)
    if action is SettingsAction.LANGUAGES:
        return t("settings.ask_language"), _languages_keyboard(t, rep)
    if action is SettingsAction.DAYS:
        return t("settings.ask_days"), _days_keyboard(t, rep)
    if action is SettingsAction.COLD:
        return _cold_text(t, rep), _cold_keyboard(t)
    if action is SettingsAction.CURRENCIES:
        return t("settings.ask_currency", currency=rep.deal_currency), _currencies_keyboard(t, rep)
    if action is SettingsAction.WORKING_DAY:
        days = toggle_working_day(rep.working_days, data.value)
        if days is None:
            return None
        rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, working_days=days)
        return t("settings.ask_days"), _days_keyboard(t, rep)
    if action is SettingsAction.EMPTY:
        rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, digest_when_empty=not rep.digest_when_empty)
    elif action is SettingsAction.WEEKLY:
        rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, weekly_summary=not rep.weekly_summary)
    elif action is SettingsAction.CURRENCY:
        # Values typed before keep the currency they were typed in; /stats sums those in this one.
        if data.value not in OFFERED_CURRENCIES:
            return None
        rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, currency=data.value)
    elif action is SettingsAction.LANGUAGE:
        if data.value not in SUPPORTED_LANGUAGES:
            return None
        rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, language=data.value)
        # The answer comes in the new language at once.
        ctx.remember_rep(rep)
        t = ctx.t
    return _settings_text(t, rep), _settings_keyboard(ctx)


async def on_settings_button(update: Update, ctx: BotContext) -> None:
    """A settings button: open a picker, toggle a working day or the empty digest, or show the settings."""
    press = await pressed(update, ctx, SettingsButton)
    if press is None:
        return
    view = await _settings_view(ctx, press.rep, press.data)
    if view is None:
        await press.answer(ctx.t.plain("common.expired"), alert=True)
        return
    text, markup = view
    await press.answer()
    await press.query.edit_message_text(text, reply_markup=markup)


async def on_zone_button(update: Update, ctx: BotContext) -> None:
    """A time zone button: set it, or ask for a typed city, or skip; then the digest time."""
    press = await pressed(update, ctx, TimezoneButton)
    if press is None:
        return
    rep, choice = press.rep, press.data.zone
    if choice == HERE:
        await press.answer()
        await ctx.bot.send_message(
            rep.chat_id, ctx.t("onboarding.location_hint"), reply_markup=_location_keyboard(ctx.t)
        )
        return
    if choice == TYPE_ZONE:
        await ask(ctx, Question.TIMEZONE)
        await press.answer()
        await press.query.edit_message_text(ctx.t("onboarding.type_zone_prompt"))
        return
    if choice != SKIP:
        if choice not in _valid_zones(choice):
            await press.answer(ctx.t.plain("common.expired"), alert=True)
            return
        rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, timezone=choice)
        ctx.remember_rep(rep)
    await press.answer()
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
        text, markup = _settings_text(ctx.t, rep), _settings_keyboard(ctx)
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
    press = await pressed(update, ctx, DigestTimeButton)
    if press is None:
        return
    query, rep, choice = press.query, press.rep, press.data.at
    chosen = next((at for at in DIGEST_TIMES if at.strftime("%H%M") == choice), None)
    if chosen is None and choice != SKIP:
        await press.answer(ctx.t.plain("common.expired"), alert=True)
        return
    was_onboarded = rep.onboarded
    rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, digest_time=chosen, onboarded=True)
    await query.answer()
    if was_onboarded:
        await query.edit_message_text(_settings_text(ctx.t, rep), reply_markup=_settings_keyboard(ctx))
    else:
        # Sent rather than edited in: only a sent message can take the share-location keyboard away.
        await query.edit_message_reply_markup(None)
        await ctx.bot.send_message(
            rep.chat_id,
            ctx.t(
                "onboarding.done",
                zone=_zone_name(ctx.t, rep.timezone),
                digest=ctx.t.wall_time(rep.digest_time),
            ),
            reply_markup=ReplyKeyboardRemove(),
        )


async def _typed_zone(update: Update, ctx: BotContext, _awaiting: Awaiting, text: str) -> None:
    """A typed city or zone: one match sets it, several are offered, none asks again."""
    rep = ctx.rep
    matches = find_zones(text[:100], str(ctx.t.locale))
    if len(matches) == 1:
        await drop_question(ctx)
        rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, timezone=matches[0])
        ctx.remember_rep(rep)
        await _after_zone(update, ctx, rep, edit=False)
    elif matches:
        await drop_question(ctx)
        await ctx.bot.send_message(
            rep.chat_id, ctx.t("onboarding.zone_choices"), reply_markup=_zone_keyboard(ctx.t, matches, ctx)
        )
    else:
        await ctx.bot.send_message(rep.chat_id, ctx.t("onboarding.zone_not_found", text=text[:100]))


async def on_location(update: Update, ctx: BotContext) -> None:
    """A shared location: its time zone becomes the rep's (the coordinates are not kept, nor logged), then
    onboarding goes on to the digest time, or the settings are shown again."""
    message = update.effective_message
    assert message is not None and message.location is not None
    rep = ctx.rep
    # Finding the zone reads the boundary files: off the event loop, like a database call.
    zone = await asyncio.to_thread(zone_at, message.location.latitude, message.location.longitude)
    if zone is None:
        await message.reply_text(ctx.t("onboarding.location_unknown"), reply_markup=ReplyKeyboardRemove())
        return
    await drop_question(ctx)
    rep = await ctx.db(ctx.reps.update_rep, rep_id=rep.id, timezone=zone)
    ctx.remember_rep(rep)
    log.info("time zone set from a shared location")
    await message.reply_text(
        ctx.t("onboarding.zone_from_location", zone=_zone_name(ctx.t, zone)),
        reply_markup=ReplyKeyboardRemove(),
    )
    await _after_zone(update, ctx, rep, edit=False)


TYPED_ANSWERS: TypedAnswers = {Question.TIMEZONE: _typed_zone}


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("start", start),
        command("settings", show_settings),
        command("help", show_help),
        CallbackQueryHandler(on_settings_button, pattern=SettingsButton.pattern()),
        CallbackQueryHandler(on_zone_button, pattern=TimezoneButton.pattern()),
        CallbackQueryHandler(on_digest_button, pattern=DigestTimeButton.pattern()),
        CallbackQueryHandler(on_cold_days_button, pattern=ColdDaysButton.pattern()),
    ]
