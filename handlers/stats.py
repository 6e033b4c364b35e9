"""/stats: the funnel as a picture for a phone screen, and the same numbers as text under it."""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import InputFile, Update
from telegram.ext import BaseHandler

from bot.deal import pipeline
from bot.i18n import Translator
from bot.schedule import month_starts
from bot.stats import funnel_stages
from handlers.cards import deal_value_text
from handlers.kit.charts import (
    ChartLostRow,
    ChartStage,
    ChartTile,
    FunnelChart,
    LostPanel,
    funnel_figure,
    png,
)
from handlers.kit.commands import command
from handlers.kit.context import BotContext
from storage.stats import StatsData

TOP_BREAKDOWN = 5
CAPTION_MAX = 1024  # Telegram's limit for a photo's caption


def funnel_chart(t: Translator, data: StatsData) -> FunnelChart:
    """What the picture shows, in the rep's language: the stages with the conversion between them, this
    month against last, and the lost ones by reason when there are any."""
    stages = funnel_stages(data.by_status, data.lost_from)
    widest = max(stages[0].reached, 1)
    lost = _lost_reasons(data)
    return FunnelChart(
        title=t.plain("stats.chart_title"),
        stages=tuple(
            ChartStage(
                label=t.plain(f"stats.stage.{stage.status}"),
                count=t.number(stage.reached),
                conversion=None if stage.conversion is None else t.percent(stage.conversion),
                share=stage.reached / widest,
            )
            for stage in stages
        ),
        month_title=t.plain("stats.this_month"),
        tiles=(
            _tile(t, "stats.tile_new_contacts", data.new_this_month, data.new_last_month),
            _tile(t, "stats.tile_new_customers", data.won_this_month, data.won_last_month),
        ),
        lost=LostPanel(
            title=t.plain("stats.lost_title"),
            total=t.number(sum(data.lost_by_reason.values())),
            rows=tuple(
                ChartLostRow(t.plain(f"lost.{reason}"), t.number(count), count / lost[0][1])
                for reason, count in lost
            ),
        )
        if lost
        else None,
    )


def funnel_png(t: Translator, data: StatsData) -> bytes:
    """The picture for these numbers in this rep's language."""
    return png(funnel_figure(funnel_chart(t, data)))


def _tile(t: Translator, label: str, now: int, before: int) -> ChartTile:
    return ChartTile(
        label=t.plain(label),
        value=t.number(now),
        before=t.plain("stats.last_month", count=t.number(before)),
        trend=(now > before) - (now < before),
    )


def _lost_reasons(data: StatsData) -> list[tuple[str, int]]:
    """The reasons, the most frequent first (ties in a fixed order)."""
    return sorted(
        ((r, n) for r, n in data.lost_by_reason.items() if n > 0), key=lambda item: (-item[1], item[0])
    )


def pipeline_lines(t: Translator, data: StatsData, currency: str, today: date) -> list[str]:
    """The money: the value by status with the weighted total, the weighted forecast of this quarter and
    the next by close month, and the deals left out of the quarters (no close month, or one that has
    passed) or of the sums (another currency)."""
    if not data.deals and not data.other_currency_deals:
        return []
    lines: list[str] = []
    found = pipeline(data.deals, today)

    def money(minor: int) -> str:
        return deal_value_text(t, minor, currency)

    if not found.empty:
        parts = [
            t.plain(
                "stats.pipeline_part",
                status=t.plain(f"status.{total.status.value}"),
                value=money(total.value),
                count=t.number(total.deals),
            )
            for total in found.by_status
            if total.deals
        ]
        lines.append(
            t(
                "stats.pipeline",
                currency=currency,
                parts=" · ".join(parts),
                weighted=money(found.weighted_total),
            )
        )
        quarters = [
            t.plain(
                "stats.forecast_part",
                quarter=t.plain("stats.quarter", number=forecast.quarter.number, year=forecast.quarter.year),
                value=money(forecast.weighted),
                count=t.number(forecast.deals),
            )
            for forecast in found.quarters
        ]
        if found.later_deals:
            quarters.append(
                t.plain(
                    "stats.forecast_part",
                    quarter=t.plain("stats.later"),
                    value=money(found.later_weighted),
                    count=t.number(found.later_deals),
                )
            )
        lines.append(t("stats.forecast", parts=" · ".join(quarters)))
        if found.undated_deals:
            lines.append(t.plural("stats.undated", found.undated_deals, value=money(found.undated_weighted)))
        if found.overdue_deals:
            lines.append(t.plural("stats.overdue", found.overdue_deals, value=money(found.overdue_weighted)))
    if data.other_currency_deals:
        lines.append(t.plural("stats.other_currency", data.other_currency_deals, currency=currency))
    return lines


def stats_text(t: Translator, data: StatsData, *, currency: str = "EUR", today: date | None = None) -> str:
    """The numbers of the picture as sentences, with the breakdowns by source and industry, and the
    pipeline's value when a `today` is given."""
    steps = []
    for stage in funnel_stages(data.by_status, data.lost_from):
        step = t.plural(f"stats.step.{stage.status}", stage.reached)
        rate = stage.conversion
        steps.append(step if rate is None else t("stats.step_rate", step=step, rate=t.percent(rate)))
    lines = [
        t("stats.title"),
        " → ".join(steps),
        t("stats.new_contacts", count=t.number(data.new_this_month), before=t.number(data.new_last_month)),
        t("stats.new_customers", count=t.number(data.won_this_month), before=t.number(data.won_last_month)),
    ]
    lost = _lost_reasons(data)
    if lost:
        reasons = ", ".join(
            t.plain("stats.lost_reason", reason=t.plain(f"lost.{reason}"), count=t.number(count))
            for reason, count in lost
        )
        lines.append(t("stats.lost", count=t.number(sum(n for _, n in lost)), reasons=reasons))
    for title, table in (("stats.by_source", data.by_source), ("stats.by_industry", data.by_industry)):
        top = sorted(table.items(), key=lambda item: -item[1][0])[:TOP_BREAKDOWN]
        parts = [
            t.plain("stats.breakdown_part", name=_name(t, title, key), count=count, won=won)
            for key, (count, won) in top
        ]
        if parts:
            lines.append(t(title, parts="; ".join(parts)))
    if today is not None:
        lines.extend(pipeline_lines(t, data, currency, today))
    return "\n".join(lines)


def _name(t: Translator, title: str, key: str) -> str:
    if key == "unknown":
        return t.plain("stats.unknown")
    return t.plain(f"option.source.{key}") if title == "stats.by_source" else key


def fits_caption(text: str) -> bool:
    """Whether a message fits under the photo: Telegram counts UTF-16 code units after the HTML is parsed,
    so the HTML's own length is an upper bound."""
    return len(text.encode("utf-16-le")) // 2 <= CAPTION_MAX


async def stats(update: Update, ctx: BotContext) -> None:
    """/stats: the picture with the numbers as its caption (or after it, when they are too long for one)."""
    rep = ctx.rep
    assert update.effective_message is not None
    currency = rep.deal_currency
    data = await ctx.db(
        ctx.stats.stats,
        owner_id=rep.id,
        month_starts=month_starts(ctx.now(), rep.zone),
        currency=currency,
    )
    if not data.by_status:
        await update.effective_message.reply_text(ctx.t("stats.empty"))
        return
    # Drawing takes a third of a second of CPU (and the first one loads matplotlib): on a worker thread,
    # so that other reps' updates do not wait for it. matplotlib keeps its fonts per thread.
    drawn = await asyncio.to_thread(funnel_png, ctx.t, data)
    picture = InputFile(drawn, filename="funnel.png")
    text = stats_text(ctx.t, data, currency=currency, today=ctx.now().astimezone(rep.zone).date())
    if fits_caption(text):
        await ctx.bot.send_photo(rep.chat_id, picture, caption=text)
        return
    await ctx.bot.send_photo(rep.chat_id, picture)
    await update.effective_message.reply_text(text)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [command("stats", stats)]
