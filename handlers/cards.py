"""How a capture summary and a contact card read: shared by the capture and contacts flows."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.capture import Evaluation
from bot.i18n import Translator
from bot.qualification import NextStepChoice, QualificationAnswers, Step
from storage.repository import ContactListItem, ContactRead

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


def score_line(t: Translator, score: int, reasons: tuple[tuple[str, int], ...], count: int = 3) -> str:
    parts = [
        t.plain("card.score_part", reason=t.plain(f"reason.{code}"), points=f"{points:+d}")
        for code, points in reasons[:count]
    ]
    return t("card.score_line", score=score, reasons=", ".join(parts))


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
    if answers.phone:
        lines.append(t("card.phone", phone=answers.phone))
    lines.append("")
    lines.append(
        status_line(
            t, evaluation.classification.status.value, [r.code for r in evaluation.classification.reasons]
        )
    )
    lines.append(score_line(t, score.value, tuple((r.code, r.points) for r in score.main_reasons())))
    lines.append("")
    for step in SUMMARY_FIELDS:
        lines.append(
            t(
                "card.field",
                field=t.plain(f"field.{step.value}"),
                value=answer_label(t, step, answers.answer_for(step)),
            )
        )
    if answers.note:
        lines.append(t("card.note", note=answers.note))
    lines.append(t("card.next_step", when=next_step_text(t, answers, zone)))
    return "\n".join(lines)


def _who(t: Translator, name: str, company: str | None) -> str:
    return t("card.who_company", name=name, company=company) if company else t("card.who", name=name)


def contact_card_text(t: Translator, contact: ContactRead, zone: ZoneInfo) -> str:
    """The contact card: who, status and why, score and why, the answers, the latest note, the next step."""
    lines: list[str] = [_who(t, contact.name, contact.company)]
    if contact.phone:
        lines.append(t("card.phone", phone=contact.phone))
    if contact.email:
        lines.append(t("card.email", email=contact.email))
    lines.append("")
    lines.append(status_line(t, contact.status, contact.status_reasons))
    lines.append(score_line(t, contact.score, contact.score_reasons))
    lines.append("")
    for step in SUMMARY_FIELDS:
        value = contact.answers.answer_for(step)
        lines.append(
            t("card.field", field=t.plain(f"field.{step.value}"), value=answer_label(t, step, value))
        )
    if contact.latest_note:
        lines.append(t("card.note", note=contact.latest_note))
    when = t.when(contact.next_due, zone) if contact.next_due else t.plain("capture.no_next_step")
    lines.append(t("card.next_step", when=when))
    lines.append(t("card.meta", created=t.day(contact.created_at, zone), touches=contact.touches))
    return "\n".join(lines)


def list_line(t: Translator, index: int, item: ContactListItem, zone: ZoneInfo) -> str:
    when = t.when(item.next_due, zone) if item.next_due else t.plain("list.no_next_step")
    who = (
        t("list.who_company", name=item.name, company=item.company)
        if item.company
        else t("list.who", name=item.name)
    )
    return t("list.line", index=index, who=who, score=item.score, when=when)
