"""How a capture summary and a contact card read: shared by the capture and contacts flows."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot import phones
from bot.capture import Evaluation
from bot.contact_fields import FIELDS
from bot.dates import NO_YEAR
from bot.deal import WIN_CHANCE, AmountRefused, format_money, weighted
from bot.i18n import Translator
from bot.qualification import NextStepChoice, QualificationAnswers, Step
from bot.scoring import Status, score_parts
from handlers.kit.keyboards import short
from storage.contacts import BIRTHDAY_CARD, ContactListItem, ContactRead, HistoryItem, HistoryPage

SUMMARY_FIELDS = (Step.NEED, Step.BUDGET, Step.AUTHORITY, Step.TIMELINE, Step.FIT, Step.SOURCE)


def answer_label(t: Translator, step: Step, value: object) -> str:
    """The words for one answer, as its button says them ("Decision-maker")."""
    if value is None:
        return t.plain("common.not_answered")
    return t.plain(f"option.{step.value}.{value}")


def status_line(t: Translator, status: str, reasons: tuple[str, ...] | list[str]) -> str:
    """ "Prospect: need, budget, decision-maker, timeline under 1 month" — the status and why."""
    words = ", ".join(t.plain(f"reason.{code}") for code in reasons)
    return t("card.status_line", status=t.plain(f"status.{status}"), reasons=words)


def score_line(t: Translator, score: int, reasons: tuple[tuple[str, int], ...]) -> str:
    """ "Score 87/100: need +25, budget +20, decision-maker +20, other +22": the parts add up to the score."""
    listed, rest = score_parts(reasons)
    parts = [
        t.plain("card.score_part", reason=t.plain(f"reason.{code}"), points=f"{points:+d}")
        for code, points in listed
    ]
    if rest is not None:
        parts.append(t.plain("card.score_other", points=f"{rest:+d}"))
    if not parts:  # nothing scored yet (an imported contact): no colon with nothing after it
        return t("card.score_only", score=score)
    return t("card.score_line", score=score, reasons=", ".join(parts))


def deal_value_text(t: Translator, minor: int, currency: str) -> str:
    """A deal's value as the rep's locale writes money: "€12,000", "12 000 Ft"."""
    return format_money(minor, currency, t.locale)


def month_text(t: Translator, month: date) -> str:
    """A close month: "Mar 2027", "maalisk. 2027"."""
    return str(format_skeleton("yMMM", month, locale=t.locale))


def amount_refusal(t: Translator, refused: AmountRefused, text: str, currency: str) -> str:
    """Why a typed amount was not taken, with what was typed and how to write one."""
    return t(f"deal.invalid.{refused.problem.value}", text=short(text, 40), currency=currency)


def deal_lines(t: Translator, answers: QualificationAnswers, status: Status) -> list[str]:
    """The deal on a card: its value and weighted value (by the status's chance), and the close month."""
    lines: list[str] = []
    if answers.value is not None and answers.currency:
        lines.append(
            t(
                "card.deal",
                value=deal_value_text(t, answers.value, answers.currency),
                weighted=deal_value_text(t, weighted(answers.value, status), answers.currency),
                chance=t.percent(float(WIN_CHANCE[status])),
            )
        )
    if answers.close_month is not None:
        lines.append(t("card.close_month", month=month_text(t, answers.close_month)))
    return lines


def next_step_text(t: Translator, answers: QualificationAnswers, zone: ZoneInfo) -> str:
    if answers.next_due is not None:
        return t.when(answers.next_due, zone)
    if answers.next_step is NextStepChoice.NONE:
        return t.plain("capture.no_next_step")
    return t.plain("common.not_answered")


def summary_text(
    t: Translator, evaluation: Evaluation, zone: ZoneInfo, *, existing: ContactRead | None
) -> str:
    """The card shown before Save: who, lead or prospect and why, the score and why, note and next step."""
    answers = evaluation.answers
    score = evaluation.score
    lines: list[str] = [t("capture.summary_title")]
    lines.append(_who(t, answers.name or "", answers.company))
    if existing is not None:
        lines.append(t("capture.summary_existing"))
    lines.extend(details_lines(t, answers))
    lines.append("")
    lines.append(
        status_line(
            t, evaluation.classification.status.value, [r.code for r in evaluation.classification.reasons]
        )
    )
    lines.append(score_line(t, score.value, tuple((r.code, r.points) for r in score.reasons)))
    lines.append("")
    lines.append(t("card.answers", answers=answers_line(t, answers, SUMMARY_FIELDS)))
    lines.extend(deal_lines(t, answers, evaluation.classification.status))
    if answers.note:
        lines.append(t("card.note", note=answers.note))
    lines.append(t("card.next_step", when=next_step_text(t, answers, zone)))
    return "\n".join(lines)


def details_lines(t: Translator, answers: QualificationAnswers) -> list[str]:
    """How to reach them, as a capture has it (a business card fills in most): role, phones, email, web
    and street address, a line each."""
    lines: list[str] = []
    if answers.role:
        lines.append(t("card.role", role=answers.role))
    phones = [phone for phone in (answers.phone, *(answers.other_phones or ())) if phone]
    if phones:
        lines.append(t("card.phone", phone=" · ".join(phones)))
    if answers.email:
        lines.append(t("card.email", email=answers.email))
    if answers.website:
        lines.append(t("card.website", website=answers.website))
    if answers.address:
        lines.append(t("card.address", address=answers.address))
    return lines


def answers_line(t: Translator, answers: QualificationAnswers, steps: tuple[Step, ...]) -> str:
    """The qualification answers on one line ("Need: Yes · Budget: Yes · ..."), short enough for a phone."""
    return " · ".join(
        t.plain(
            "card.answer",
            field=t.plain(f"field.{step.value}"),
            value=answer_label(t, step, answers.answer_for(step)),
        )
        for step in steps
    )


def _who(t: Translator, name: str, company: str | None) -> str:
    return t("card.who_company", name=name, company=company) if company else t("card.who", name=name)


def contact_card_text(
    t: Translator, contact: ContactRead, zone: ZoneInfo, history: HistoryPage | None = None
) -> str:
    """The contact card: who, how to reach them, status and score with their reasons, the answers, stage,
    source, tags, segment, prospect type, birthday, the next step, and the latest history."""
    lines: list[str] = [_who(t, contact.name, contact.company)]
    if contact.role:
        lines.append(t("card.role", role=contact.role))
    if contact.phone:
        lines.append(t("card.phone", phone=phones.display(contact.phone)))
    if contact.email:
        lines.append(t("card.email", email=contact.email))
    lines += ["", status_line(t, contact.status, contact.status_reasons)]
    lines.append(score_line(t, contact.score, contact.score_reasons))
    lines += ["", t("card.answers", answers=answers_line(t, contact.answers, SUMMARY_FIELDS[:5]))]
    stage = choice_label(t, "stage", contact.stage)
    source = answer_label(t, Step.SOURCE, contact.answers.source)
    lines.append(t("card.stage_source", stage=stage, source=source))
    lines.extend(deal_lines(t, contact.answers, contact.status))
    if contact.tags:
        lines.append(t("card.tags", tags=", ".join(contact.tags)))
    segment = [part for part in (contact.industry, contact.location, contact.company_size) if part]
    if segment:
        lines.append(t("card.segment", segment=" · ".join(segment)))
    kind = [
        choice_label(t, field, value)
        for field, value in (
            ("purchase_frequency", contact.purchase_frequency),
            ("purchase_volume", contact.purchase_volume),
            ("influence", contact.influence),
        )
        if value
    ]
    if kind:
        lines.append(t("card.prospect_type", kind=" · ".join(kind)))
    if contact.birthday:
        lines.append(t("card.birthday", day=birthday_text(t, contact.birthday)))
    when = t.when(contact.next_due, zone) if contact.next_due else t.plain("capture.no_next_step")
    lines.append(t("card.next_step", when=when))
    if history is not None and (history.items or history.moves):
        lines += ["", t("card.history", shown=len(history.items), total=history.total)]
        lines += [history_line(t, item, zone) for item in history.items]
        if history.moves:  # status changes and edits, counted: the meetings' notes stay in sight
            lines.append(t.plural("card.history_moves", history.moves))
    lines += ["", t.plural("card.meta", contact.touches, created=t.day(contact.created_at, zone))]
    return "\n".join(lines)


def choice_label(t: Translator, field: str, value: str | None) -> str:
    """The words for a fixed-choice field's value (the source shares the capture question's labels)."""
    if not value:
        return t.plain("common.not_answered")
    return t.plain(f"option.source.{value}" if field == "source" else f"choice.{field}.{value}")


def birthday_text(t: Translator, day: date) -> str:
    """ "12 March", or "12 March 1980" when the year was given (year 1904 marks one given without it)."""
    pattern = "MMMMd" if day.year == NO_YEAR else "yMMMMd"
    return str(format_skeleton(pattern, day, locale=t.locale))


def _birthday_value(t: Translator, stored: str) -> str:
    """A birthday as the history stored it (an ISO date), in words, with no invented year."""
    try:
        return birthday_text(t, date.fromisoformat(stored))
    except ValueError:
        return stored


def _deal_value(t: Translator, stored: str) -> str:
    """A value as the history stored it ("1200000 EUR": storage.contacts.deal_text), as money."""
    minor, _, currency = stored.partition(" ")
    return deal_value_text(t, int(minor), currency) if minor.isdigit() and currency else stored


def _month_value(t: Translator, stored: str) -> str:
    try:
        return month_text(t, date.fromisoformat(stored))
    except ValueError:
        return stored


_ANSWER_FIELDS = {"need", "budget", "authority", "timeline", "fit", "source"}


def change_text(t: Translator, field: str, before: object, after: object) -> str:
    """How one change reads: "budget: Don't know → Yes", "status: Lead → Prospect"."""

    def value(raw: object) -> str:
        if raw is None or raw == "":
            return t.plain("common.not_answered")
        if field == "status":
            return t.plain(f"status.{raw}")
        if field in _ANSWER_FIELDS:
            return t.plain(f"option.{field}.{raw}")
        if field in FIELDS and FIELDS[field].choices:
            return choice_label(t, field, str(raw))
        if field == "birthday":
            return _birthday_value(t, str(raw))
        if field == "value":
            return _deal_value(t, str(raw))
        if field == "close_month":
            return _month_value(t, str(raw))
        if field == "phone":
            return phones.display(str(raw))  # grouped, as the card shows it
        return str(raw)

    label = t.plain(f"field.{field}") if field != "merged" else t.plain("history.merged")
    return t.plain("history.change", field=label, before=value(before), after=value(after))


def history_line(t: Translator, item: HistoryItem, zone: ZoneInfo) -> str:
    """One event: when, what kind, the note (shortened), and what changed."""
    changes = [change_text(t, field, *pair) for field, pair in item.changes.items() if isinstance(pair, list)]
    # A change made on the card speaks for itself; a meeting or call also says what it changed.
    speaks_for_itself = (item.kind in ("status", "edit") and changes) or item.kind == BIRTHDAY_CARD
    parts = [] if speaks_for_itself else [t.plain(f"history.kind.{item.kind}")]
    if item.note:
        parts.append(short(item.note, 120))
    if changes:
        parts.append("; ".join(changes))
    return t("history.line", day=t.day(item.occurred_at, zone), text=" · ".join(parts))


def list_line(t: Translator, index: int, item: ContactListItem, zone: ZoneInfo, now: datetime) -> str:
    """A contact in a list: who, score, and the next follow-up (marked when it is overdue)."""
    when = t.when(item.next_due, zone) if item.next_due else t.plain("list.no_next_step")
    who = (
        t("list.who_company", name=item.name, company=item.company)
        if item.company
        else t("list.who", name=item.name)
    )
    if item.status is Status.REPEAT_BUYER:  # listed among the customers, and told apart there
        who = t("list.repeat_buyer", who=who)
    overdue = item.next_due is not None and item.next_due < now
    line = t(
        "list.line_overdue" if overdue else "list.line", index=index, who=who, score=item.score, when=when
    )
    if item.value is not None and item.currency:
        return t("list.line_value", line=line, value=deal_value_text(t, item.value, item.currency))
    return line
