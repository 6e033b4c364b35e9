"""The daily digest and /today: the day's follow-ups, overdue ones, contacts going cold, birthdays.

The first few follow-ups (today's, then overdue ones, then those of contacts gone cold) get a row each:
the contact's card, ✅ Done and 💤 Snooze, acted on by the reminder's flow (handlers/reminders.py) without
the digest being replaced. A contact goes cold when the digest is made (storage's `go_cold`): the digest
is its reminder."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler

from bot import schedule
from bot.delivery import Delivery, Result
from bot.i18n import Translator
from handlers.kit.buttons import CardButton, ContactButton
from handlers.kit.commands import command
from handlers.kit.context import BotContext
from handlers.kit.keyboards import THIRD_LABEL_MAX, button, keyboard, rows, short
from handlers.reminders import deliver, digest_actions
from storage.followups import DigestData, DigestSection, DueDigest

# Telegram refuses text over 4096 characters; the digest stops well before and says how many are left.
TEXT_BUDGET = 3500
BUTTON_NAME_MAX = 28
# Follow-ups with ✅ / 💤 on their row: enough for a morning's calls, few enough that the keyboard stays
# shorter than a phone's screen; the rest are a tap away on their cards and in the lists.
ACTION_ROWS = 6


def render_digest(
    t: Translator, data: DigestData, zone: ZoneInfo, now: Any, *, due: datetime | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The digest message: each section with its count and its first few lines, a button per line, and
    "…and N more" under a section with more; every section shows, however long the one before it. A
    scheduled digest (`due`) sent late says so under the title, by the same rule as a reminder."""
    lines: list[str] = [t("digest.title", day=t.day(now, zone))]
    if due is not None and schedule.is_late(due, now):
        lines.append(t("digest.late", when=t.when(due, zone)))
    keys: list[list[InlineKeyboardButton]] = []
    buttons: list[InlineKeyboardButton] = []  # the cards not on an action row, two to a row in order
    shown = acting = 0
    hidden_any = False
    sections: list[tuple[str, DigestSection, str]] = [
        ("digest.today", data.today, "digest.line_today"),
        ("digest.overdue", data.overdue, "digest.line_overdue"),
        ("digest.cold", data.cold, "digest.line_cold"),
        ("digest.birthdays", data.birthdays, "digest.line_birthday"),
    ]
    for title, items, line_id in sections:
        if not items.total:
            continue
        block: list[str] = [t(title, count=t.count(items.total, more=items.capped))]
        for item in items.lines:
            who = (
                t("list.who_company", name=item.name, company=item.company)
                if item.company
                else t("list.who", name=item.name)
            )
            # Today's by their time; an overdue one by its day and time (a missed 9:00 call, not just a day).
            when = (
                (
                    t.clock_time(item.when, zone)
                    if line_id == "digest.line_today"
                    else t.when(item.when, zone)
                    if line_id == "digest.line_overdue"
                    else t.day(item.when, zone)
                )
                if item.when
                else ""
            )
            sent = line_id == "digest.line_birthday" and item.done
            line = t("digest.line_birthday_sent" if sent else line_id, index=shown + 1, who=who, when=when)
            if sum(len(text) for text in [*lines, *block, line]) > TEXT_BUDGET:
                break
            block.append(line)
            shown += 1
            card = ContactButton(item.contact_id)
            if item.followup_id is not None and acting < ACTION_ROWS:
                acting += 1
                keys.extend(rows(buttons, 2))
                buttons = []
                label = short(t.plain("list.button", index=shown, name=item.name), THIRD_LABEL_MAX)
                keys.append([button(label, card), *digest_actions(t, item.followup_id)])
                continue
            name = short(item.name, BUTTON_NAME_MAX)
            buttons.append(button(t.plain("list.button", index=shown, name=name), card))
            if line_id == "digest.line_birthday" and not sent:
                # One tap notes that the card went out, as the source documents suggest.
                buttons.append(
                    button(t.plain("digest.card_sent", index=shown), CardButton(item.contact_id, "bc"))
                )
        hidden = items.total - (len(block) - 1)
        if hidden > 0:
            # Past the count's cap, "…and 994+ more" would be arithmetic on a guess: the title says 1,000+.
            block.append(
                t("digest.section_many") if items.capped else t.plural("digest.section_more", hidden)
            )
            hidden_any = True
        lines.extend(["", *block])
    if hidden_any:
        lines.extend(["", t("digest.lists")])
    if data.week is not None:
        lines += [
            "",
            t("digest.week", leads=data.week.new_leads, prospects=data.week.new_prospects, won=data.week.won),
        ]
    if shown == 0 and not hidden_any and data.week is None:
        lines.extend(["", t("digest.nothing")])
    keys.extend(rows(buttons, 2))
    return "\n".join(lines), keyboard(*keys) if keys else None


def make_digest_sender(application: Any) -> Any:
    """The dispatcher's sender: the rep's digest, or nothing on a day with nothing to say."""

    async def send(digest: DueDigest) -> Delivery:
        repositories = application.bot_data.repositories
        recipient = digest.recipient
        await repositories.database.run(
            repositories.followups.go_cold, rep_id=recipient.rep_id, zone=recipient.zone
        )
        data = await repositories.database.run(
            repositories.followups.digest_data,
            rep_id=digest.recipient.rep_id,
            zone=digest.recipient.zone,
            weekly=digest.weekly_summary,
        )
        if data.empty and not digest.send_when_empty:
            return Delivery(Result.NOTHING_TO_SAY)
        t = Translator(
            digest.recipient.language, now=application.bot_data.clock(), zone=digest.recipient.zone
        )
        text, markup = render_digest(
            t, data, digest.recipient.zone, application.bot_data.clock(), due=digest.due_at
        )
        return await deliver(application.bot.send_message, digest.recipient.chat_id, text, markup)

    return send


async def today(update: Update, ctx: BotContext) -> None:
    """/today: the digest on demand."""
    rep = ctx.rep
    assert update.effective_message is not None
    await ctx.db(ctx.followups.go_cold, rep_id=rep.id, zone=rep.zone)
    data = await ctx.db(ctx.followups.digest_data, rep_id=rep.id, zone=rep.zone)
    text, markup = render_digest(ctx.t, data, rep.zone, ctx.now())
    await update.effective_message.reply_text(text, reply_markup=markup)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [command("today", today)]
