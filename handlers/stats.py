"""/stats: the funnel as a picture for a phone screen, and the same numbers as text."""

from __future__ import annotations

import io

from telegram import InputFile, Update
from telegram.ext import BaseHandler

from bot.i18n import Translator
from bot.schedule import month_starts
from bot.stats import FUNNEL, qualified_rate, win_rate
from handlers.kit.commands import command
from handlers.kit.context import BotContext
from storage.stats import StatsData

TOP_BREAKDOWN = 5
_COLOURS = {
    "lead": "#9fb7d9",
    "prospect": "#4a7fc1",
    "customer": "#2e9b5f",
    "repeat_buyer": "#1d6b40",
    "lost": "#c9665f",
}


def funnel_png(t: Translator, data: StatsData) -> bytes:
    """A tall chart (phones are held upright): the funnel on top, lost by reason below."""
    # Imported here: matplotlib costs a process about 40 MB and a second and a half to load, for /stats
    # alone. The Figure API renders with Agg straight to PNG: no pyplot, no global state, no screen.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 8), dpi=120)
    top, bottom = figure.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2]})
    labels = [t.plain(f"status.{status}") for status in FUNNEL]
    values = [data.by_status.get(status, 0) for status in FUNNEL]
    bars = top.barh(labels[::-1], values[::-1], color=[_COLOURS[status] for status in FUNNEL[::-1]])
    top.bar_label(bars, labels=[t.number(value) for value in values[::-1]], padding=4, fontsize=12)
    top.set_title(t.plain("stats.chart_title"), fontsize=15, loc="left")
    reasons = sorted(data.lost_by_reason.items(), key=lambda item: -item[1])
    if reasons:
        lost_bars = bottom.barh(
            [t.plain(f"lost.{reason}") for reason, _ in reasons][::-1],
            [count for _, count in reasons][::-1],
            color=_COLOURS["lost"],
        )
        bottom.bar_label(lost_bars, padding=4, fontsize=11)
    bottom.set_title(t.plain("stats.lost_title"), fontsize=13, loc="left")
    for axis in (top, bottom):
        axis.spines[["top", "right"]].set_visible(False)
        axis.tick_params(labelsize=11)
        axis.xaxis.set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _rate(t: Translator, rate: float | None) -> str:
    return t.percent(rate) if rate is not None else "–"


def stats_text(t: Translator, data: StatsData) -> str:
    funnel = " · ".join(
        f"{t.plain(f'status.{status}')} {t.number(data.by_status.get(status, 0))}" for status in FUNNEL
    )
    lines = [
        t("stats.title"),
        funnel,
        t(
            "stats.rates",
            qualified=_rate(t, qualified_rate(data.by_status)),
            won=_rate(t, win_rate(data.by_status)),
        ),
        t(
            "stats.months",
            new=data.new_this_month,
            new_before=data.new_last_month,
            won=data.won_this_month,
            won_before=data.won_last_month,
        ),
    ]
    if data.lost_by_reason:
        reasons = ", ".join(
            f"{t.plain(f'lost.{reason}')} {count}"
            for reason, count in sorted(data.lost_by_reason.items(), key=lambda item: -item[1])
        )
        lines.append(t("stats.lost", reasons=reasons))
    for title, table in (("stats.by_source", data.by_source), ("stats.by_industry", data.by_industry)):
        top = sorted(table.items(), key=lambda item: -item[1][0])[:TOP_BREAKDOWN]
        parts = [
            t.plain("stats.breakdown_part", name=_name(t, title, key), count=count, won=won)
            for key, (count, won) in top
        ]
        if parts:
            lines.append(t(title, parts="; ".join(parts)))
    return "\n".join(lines)


def _name(t: Translator, title: str, key: str) -> str:
    if key == "unknown":
        return t.plain("stats.unknown")
    return t.plain(f"option.source.{key}") if title == "stats.by_source" else key


async def stats(update: Update, ctx: BotContext) -> None:
    """/stats: the chart and the numbers."""
    rep = ctx.rep
    assert update.effective_message is not None
    data = await ctx.db(ctx.stats.stats, owner_id=rep.id, month_starts=month_starts(ctx.now(), rep.zone))
    if not data.by_status:
        await update.effective_message.reply_text(ctx.t("stats.empty"))
        return
    await ctx.bot.send_photo(rep.chat_id, InputFile(funnel_png(ctx.t, data), filename="funnel.png"))
    await update.effective_message.reply_text(stats_text(ctx.t, data))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [command("stats", stats)]
