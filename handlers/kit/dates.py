"""Typed dates in the handlers: read in the rep's language, zone and way of writing dates, and the words
for a refusal (what was understood, why it was not taken)."""

from __future__ import annotations

from datetime import date

from bot.date_style import DateStyle, style_for
from bot.dates import DateReading, DateRefusal, Refusal, read_birthday, read_typed_date
from bot.i18n import Translator
from handlers.kit.context import BotContext
from storage.reps import RepRead

QUOTED = 100


def rep_style(rep: RepRead) -> DateStyle:
    return style_for(rep.language, rep.timezone)


def read_date(ctx: BotContext, rep: RepRead, text: str) -> DateReading:
    return read_typed_date(text, language=rep.language, zone=rep.zone, now=ctx.now(), style=rep_style(rep))


def read_rep_birthday(rep: RepRead, text: str) -> date | None:
    return read_birthday(text, rep.language, rep_style(rep))


def refusal_text(t: Translator, refusal: DateRefusal, text: str, rep: RepRead) -> str:
    """Why a typed date was not taken, with what was understood where there is something."""
    zone = rep.zone
    if refusal.reason is Refusal.PASSED and refusal.instant and refusal.next_year:
        return t("dates.passed", when=t.when(refusal.instant, zone), next=t.echo(refusal.next_year, zone))
    if refusal.reason in (Refusal.PAST, Refusal.PASSED) and refusal.instant:
        return t("dates.in_past", when=t.when(refusal.instant, zone))
    if refusal.reason is Refusal.IMPOSSIBLE:
        return t("dates.impossible", text=text[:QUOTED])
    if refusal.reason is Refusal.TOO_FAR:
        return t("dates.too_far")
    return t("dates.not_understood", text=text[:QUOTED])
