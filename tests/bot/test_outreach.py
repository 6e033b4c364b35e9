"""Reaching out: which message a contact gets, the topic, the template check and fill, the WhatsApp link."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import outreach, phones
from bot.i18n import Translator
from bot.outreach import COPY_TEXT_MAX, TEMPLATE_MAX, MessageKind, TemplateProblem

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "days_ago", "kind"),
    [
        ("lead", 0, MessageKind.FIRST_MEETING),
        ("prospect", 13, MessageKind.FIRST_MEETING),
        ("prospect", 14, MessageKind.SILENCE),
        ("customer", 90, MessageKind.SILENCE),
        ("lost", 0, MessageKind.WIN_BACK),
        ("lost", 200, MessageKind.WIN_BACK),
        ("lead", None, MessageKind.FIRST_MEETING),
    ],
)
def test_the_kind_follows_the_contacts_state(status: str, days_ago: int | None, kind: MessageKind) -> None:
    last = NOW - timedelta(days=days_ago) if days_ago is not None else None
    assert outreach.message_kind(status=status, last_touch_at=last, now=NOW) is kind


@pytest.mark.parametrize(
    ("note", "topic"),
    [
        (None, None),
        ("", None),
        ("\n  \n", None),
        ("Wants a demo in March.\nCall back after the board meeting", "Wants a demo in March"),
        ("  SLA questions  ", "SLA questions"),
        (
            "Asked about the integration with their ERP and the price of the premium support package",
            "Asked about the integration with their ERP and the price…",
        ),
    ],
)
def test_the_topic_is_the_newest_notes_first_line_shortened(note: str | None, topic: str | None) -> None:
    found = outreach.topic_of(note)
    assert found == topic
    assert found is None or len(found) <= outreach.TOPIC_MAX


@pytest.mark.parametrize(
    ("template", "problem", "placeholder"),
    [
        ("", TemplateProblem.EMPTY, ""),
        ("   ", TemplateProblem.EMPTY, ""),
        ("x" * (TEMPLATE_MAX + 1), TemplateProblem.TOO_LONG, ""),
        ("Hi {name", TemplateProblem.BRACES, ""),
        ("Hi name}", TemplateProblem.BRACES, ""),
        ("Hi {nmae}", TemplateProblem.UNKNOWN, "nmae"),
        ("Hi {}", TemplateProblem.UNKNOWN, ""),
        ("Hi {0}", TemplateProblem.UNKNOWN, "0"),
        ("Hi {name!r}", TemplateProblem.FORMAT, "name"),
        ("Hi {name:>30}", TemplateProblem.FORMAT, "name"),
        ("Hi {name.__class__}", TemplateProblem.FORMAT, "name.__class__"),
        ("Hi {company[0]}", TemplateProblem.FORMAT, "company[0]"),
    ],
)
def test_a_template_that_would_not_fill_is_refused_saying_why(
    template: str, problem: TemplateProblem, placeholder: str
) -> None:
    refusal = outreach.check_template(template)
    assert refusal is not None
    assert (refusal.problem, refusal.placeholder) == (problem, placeholder)


@pytest.mark.parametrize(
    "template", ["Hi {name}, about {topic} at {company}", "No placeholder at all", "{{braces}} and {name}"]
)
def test_a_good_template_passes(template: str) -> None:
    assert outreach.check_template(template) is None


def test_fill_uses_the_first_name_and_fits_a_copy_button() -> None:
    text = outreach.fill(
        "Hi {name} ({company}): {topic} {{ok}}",
        name="Anna Virtanen",
        company="Acme",
        topic="SLA",
        language="en",
    )
    assert text == "Hi Anna (Acme): SLA {ok}"
    long = outreach.fill("{topic} " * 20, name="A", company="B", topic="x" * 60, language="en")
    assert len(long) == COPY_TEXT_MAX and long.endswith("…")


def test_a_message_of_emoji_is_cut_to_256_in_utf16_as_telegram_counts() -> None:
    text = outreach.fill("{topic}", name="A", company="B", topic="👋" * 200, language="en")
    assert len(text.encode("utf-16-le")) // 2 <= COPY_TEXT_MAX and text.endswith("…")


def test_a_stored_template_that_does_not_check_is_sent_as_it_is() -> None:
    assert outreach.fill("Hi {nmae}", name="Anna", company="", topic="", language="en") == "Hi {nmae}"


def test_the_whatsapp_link_encodes_the_message() -> None:
    url = outreach.whatsapp_url("358401234567", "Hi Anna & co, 50% off? #1 ✓\nBye")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/358401234567")
    assert " " not in url and "\n" not in url
    assert parse_qs(parts.query) == {"text": ["Hi Anna & co, 50% off? #1 ✓\nBye"]}


@pytest.mark.parametrize(
    ("stored", "digits"),
    [
        ("+358401234567", "358401234567"),
        ("+4791234567", "4791234567"),
        ("040 123 4567", None),  # kept as typed: not read as a number
        ("+1234", None),
        (None, None),
        ("", None),
    ],
)
def test_only_a_number_read_as_e164_gets_a_whatsapp_link(stored: str | None, digits: str | None) -> None:
    assert phones.e164_digits(stored) == digits


@pytest.mark.parametrize("language", ["en", "fi", "nb", "hu", "fr"])
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_default_template_checks_and_fits(language: str, kind: MessageKind) -> None:
    t = Translator(language)
    template = t.plain(f"outreach.template.{kind.value}")
    assert outreach.check_template(template) is None
    assert set(outreach.PLACEHOLDERS) <= {f for _, f, _, _ in string.Formatter().parse(template) if f}
    filled = outreach.fill(
        template,
        name="Anna Virtanen",
        company=t.plain("outreach.no_company"),
        topic="x" * outreach.TOPIC_MAX,
        language=language,
    )
    assert len(filled) < COPY_TEXT_MAX


def test_silence_follows_the_reps_going_cold_days_and_a_cold_follow_up_is_silence() -> None:
    week_ago = NOW - timedelta(days=8)
    kind = outreach.message_kind
    assert kind(status="lead", last_touch_at=week_ago, now=NOW) is MessageKind.FIRST_MEETING
    assert kind(status="lead", last_touch_at=week_ago, now=NOW, quiet_days={"lead": 7}) is MessageKind.SILENCE
    # Never going cold: silence after SILENCE_DAYS all the same.
    month_ago = NOW - timedelta(days=outreach.SILENCE_DAYS)
    assert kind(status="customer", last_touch_at=month_ago, now=NOW, quiet_days={"customer": 0}) is (
        MessageKind.SILENCE
    )
    assert kind(status="lead", last_touch_at=NOW, now=NOW, going_cold=True) is MessageKind.SILENCE


@pytest.mark.parametrize(
    ("language", "name", "greeted"),
    [
        ("en", "Anna Maria Virtanen", "Anna"),
        ("hu", "Szabó Zsófia", "Zsófia"),  # Hungarian writes the family name first
        ("hu", "Kovácsné Szabó Anna", "Anna"),
        ("hu", "Cher", "Cher"),
    ],
)
def test_a_contact_is_greeted_by_the_given_name_in_the_order_the_reps_language_writes_names(
    language: str, name: str, greeted: str
) -> None:
    assert outreach.fill("{name}!", name=name, company="", topic="", language=language) == f"{greeted}!"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Kedves {Keresztnév}! ({cég}): {téma}. {{:)}}", "Kedves {name}! ({company}): {topic}. {{:)}}"),
        ("Hei {nimi}, {yritys}", "Hei {name}, {company}"),
        ("Bonjour { prénom }, {société}", "Bonjour {name}, {company}"),
        ("Hi {Name}, {ne\u0301v}", "Hi {name}, {name}"),  # English names in any case; an accent typed apart
        ("Bonjour M. {nom}", "Bonjour M. {nom}"),  # the family name in French: not {name}
        ("{{nimi}} {navn:>3} {sukunimi}", "{{nimi}} {navn:>3} {sukunimi}"),  # left for the check to refuse
    ],
)
def test_placeholders_in_the_reps_language_are_kept_under_their_own_names(typed: str, kept: str) -> None:
    assert outreach.in_placeholder_names(typed) == kept
