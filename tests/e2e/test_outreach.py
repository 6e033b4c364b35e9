"""Reaching out, end to end: the reminder's and the card's WhatsApp link, the drafted message and the e-mail
to copy, Done → Messaged, and the rep's own templates in /settings → ✍️ Messages, in English and Finnish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from bot.i18n import Translator
from bot.outreach import TEMPLATE_MAX
from bot.schedule import LostReason
from storage.models import Interaction
from tests.factories import FakeClock, RepChat, capture, storage_of
from tests.fake_bot_api import FakeBotAPI, SentMessage

ANNA_FIRST = (
    "Hi Anna, thank you for our meeting. As promised, a short follow-up on Wants a demo in March: "
    "when would suit Acme Oy for the next step?"
)


def buttons_of(message: SentMessage) -> dict[str, dict[str, Any]]:
    """The message's inline buttons by label, each as Telegram received it."""
    assert message.reply_markup is not None
    return {button["text"]: button for row in message.reply_markup["inline_keyboard"] for button in row}


def rows_of(message: SentMessage) -> list[list[str]]:
    assert message.reply_markup is not None
    return [[button["text"] for button in row] for row in message.reply_markup["inline_keyboard"]]


def owner_of(app: Any, rep: RepChat) -> Any:
    return storage_of(app).reps.get_rep(telegram_id=rep.user_id)


def contact_named(app: Any, rep: RepChat, text: str) -> Any:
    repo, owner = storage_of(app), owner_of(app, rep)
    [item] = repo.contacts.find_contacts(owner_id=owner.id, text=text, offset=0, limit=5).items
    return repo.contacts.get_contact(owner_id=owner.id, contact_id=item.id)


def reach_details(app: Any, rep: RepChat, text: str, *, phone: str | None, email: str | None) -> Any:
    """Give the contact a phone and an e-mail, as the card's ✏️ Edit would."""
    repo, owner, contact = storage_of(app), owner_of(app, rep), contact_named(app, rep, text)
    for field, value in (("phone", phone), ("email", email)):
        repo.contacts.update_field(owner_id=owner.id, contact_id=contact.id, field=field, value=value)
    return contact_named(app, rep, text)


async def dispatch(app: Any) -> int:
    sent: int = await app.bot_data.dispatcher.run_once()
    return sent


async def open_card(rep: RepChat, text: str) -> SentMessage:
    await rep.send(f"/find {text}")
    await rep.press("1.")
    return rep.last


async def test_the_reminder_offers_whatsapp_the_message_and_the_email_and_done_logs_messaged(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", note="Wants a demo in March.\nBudget approved in Q1")
    reach_details(app, rep, "anna", phone="+358 40 123 4567", email="anna@acme.fi")
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert await dispatch(app) == 1

    reminder = rep.last
    # The phone written internationally, as Telegram's apps make tappable to call; the e-mail beside it.
    assert "📞 +358 40 1234567" in (reminder.text or "")
    assert "✉️ anna@acme.fi" in (reminder.text or "")
    assert rows_of(reminder) == [
        ["✅ Done", "💤 Snooze"],
        ["📅 Reschedule", "✖ Lost"],
        ["💬 WhatsApp", "📋 Copy message"],
        ["📋 Copy e-mail"],
        ["👤 Card"],
    ]
    keys = buttons_of(reminder)
    link = urlsplit(keys["💬 WhatsApp"]["url"])
    assert (link.scheme, link.netloc, link.path) == ("https", "wa.me", "/358401234567")
    assert parse_qs(link.query) == {"text": [ANNA_FIRST]}
    assert keys["📋 Copy message"]["copy_text"] == {"text": ANNA_FIRST}
    assert keys["📋 Copy e-mail"]["copy_text"] == {"text": "anna@acme.fi"}
    assert "callback_data" not in keys["💬 WhatsApp"] and "callback_data" not in keys["📋 Copy message"]

    # Telegram says nothing when a link or copy button is tapped: Done → Messaged records it.
    await rep.press("✅ Done")
    assert "Messaged" in rep.button_labels
    await rep.press("Messaged")
    assert "Logged: Messaged" in rep.last_text
    await rep.press("In 3 days")
    anna = contact_named(app, rep, "anna")
    assert anna.touches == 2
    with storage_of(app).engine.connect() as connection:
        kinds = connection.execute(sa.select(Interaction.kind).where(Interaction.contact_id == anna.id))
        kinds = [kind for (kind,) in kinds]
    assert "messaged" in kinds
    card = await open_card(rep, "anna")
    assert "Messaged" in (card.text or "")  # in the card's history


async def test_back_on_the_reminder_brings_the_reach_buttons_again(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", note="Wants a demo in March")
    reach_details(app, rep, "anna", phone="+358401234567", email=None)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    await rep.press("💤 Snooze")
    assert "💬 WhatsApp" not in rep.button_labels
    await rep.press("◀ Back")
    assert rows_of(rep.last)[2] == ["💬 WhatsApp", "📋 Copy message"]
    assert buttons_of(rep.last)["📋 Copy message"]["copy_text"] == {"text": ANNA_FIRST}


async def test_the_card_drafts_after_silence_and_a_number_kept_as_typed_gets_no_whatsapp(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", note="SLA questions")
    reach_details(app, rep, "anna", phone="12 34", email=None)
    clock.advance(timedelta(days=31))  # a lead: silent after 30 days
    card = await open_card(rep, "anna")
    assert "📞 12 34" in (card.text or "")
    assert rows_of(card)[0] == ["📋 Copy message"]
    assert buttons_of(card)["📋 Copy message"]["copy_text"] == {
        "text": "Hi Anna, it has been a while since we spoke about SLA questions. Is it still on the table "
        "for Acme Oy? Happy to help whenever the time is right."
    }


async def test_a_finnish_reps_lost_contact_gets_the_win_back_in_finnish(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    t = Translator("fi")
    rep = RepChat(app, fake, user_id=5301, first_name="Maija", language_code="fi", clock=clock)
    await rep.send("Pekka Korhonen")
    await rep.press(t.plain("common.skip"))  # no company
    await rep.press(t.plain("capture.finish"))
    await rep.press(t.plain("option.next.tomorrow"))
    await rep.press(t.plain("capture.save"))
    contact = reach_details(app, rep, "pekka", phone="+358 50 765 4321", email="pekka@example.fi")
    owner = owner_of(app, rep)
    storage_of(app).contacts.mark_lost(owner_id=owner.id, contact_id=contact.id, reason=LostReason.BUDGET)

    card = await open_card(rep, "pekka")
    keys = buttons_of(card)
    assert rows_of(card)[:2] == [
        [t.plain("outreach.whatsapp"), t.plain("outreach.copy_message")],
        [t.plain("outreach.copy_email")],
    ]
    expected = (
        "Hei Pekka, viimeksi ajoitus ei sopinut (yrityksenne). Tilanne on ehkä muuttunut: sopisiko lyhyt "
        "puhelu aiheesta keskustelumme?"
    )
    assert keys[t.plain("outreach.copy_message")]["copy_text"] == {"text": expected}
    assert parse_qs(urlsplit(keys["💬 WhatsApp"]["url"]).query) == {"text": [expected]}
    assert urlsplit(keys["💬 WhatsApp"]["url"]).path == "/358507654321"
    assert keys[t.plain("outreach.copy_email")]["copy_text"] == {"text": "pekka@example.fi"}


async def open_template(rep: RepChat, t: Translator, kind: str) -> None:
    await rep.send("/settings")
    await rep.press(t.plain("settings.messages_button"))
    await rep.press(t.plain(f"templates.kind.{kind}"))


async def test_the_rep_writes_their_own_template_and_bad_ones_are_refused_saying_why(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    t = Translator("en")
    await open_template(rep, t, "first")
    view = rep.last_text
    assert "The default text:" in view
    assert "Preview, for Anna Virtanen:" in view
    assert "Hi Anna, thank you for our meeting. As promised, a short follow-up on a demo in March" in view
    assert rep.button_labels == ["✏️ Change", "◀ Back"]
    # A look at it is not a change: the next text is a contact's name, and the template stays.
    await capture(rep, "Cecilia Holm, Volvo AB")
    assert owner_of(app, rep).template_for("first") is None
    await open_template(rep, t, "first")
    await rep.press("✏️ Change")
    assert "{name} {company} {topic}" in rep.last_text
    assert rep.button_labels == ["◀ Back"]

    for typed, says in (
        ("Hello {nmae}, about {topic}", "I can't fill {nmae}: the placeholders are {name} {company} {topic}"),
        ("Hello {name, about {topic}", "A curly bracket there opens or closes no placeholder"),
        ("Hello {name!r}", "{name} can't be filled that way"),
        ("x" * (TEMPLATE_MAX + 5), f"That is {TEMPLATE_MAX + 5} characters: a template can have at most"),
    ):
        await rep.send(typed)
        assert says in rep.last_text, typed
        assert "Your text, to copy and fix:" in rep.last_text  # quoted back: nothing is lost
        assert owner_of(app, rep).template_for("first") is None

    await rep.send("Moi {name}! Kiitos, {company}. Aiheesta {topic} lisää pian. {{:)}}")
    assert rep.last_text.startswith("✅ Saved")
    assert "Your own text:" in rep.last_text
    assert "Moi Anna! Kiitos, Acme Oy. Aiheesta a demo in March lisää pian. {:)}" in rep.last_text
    assert (
        owner_of(app, rep).template_for("first")
        == "Moi {name}! Kiitos, {company}. Aiheesta {topic} lisää pian. {{:)}}"
    )

    # The next text is a new contact's name again, not a template.
    await capture(rep, "Bruno Berg, Nordic AB", note="Pricing")
    assert owner_of(app, rep).template_for("first") is not None
    card = await open_card(rep, "bruno")
    assert buttons_of(card)["📋 Copy message"]["copy_text"] == {
        "text": "Moi Bruno! Kiitos, Nordic AB. Aiheesta Pricing lisää pian. {:)}"
    }

    await open_template(rep, t, "first")
    await rep.press("↩️ Default text")
    assert "Back to the default text." in rep.last_text and "The default text:" in rep.last_text
    assert owner_of(app, rep).template_for("first") is None

    # /mydata has the rep's own templates: the rep row, every column of it.
    await open_template(rep, t, "winback")
    await rep.press("✏️ Change")
    await rep.send("Hi {name}, shall we try again?")
    exported = storage_of(app).privacy.export(rep_id=owner_of(app, rep).id)
    assert exported.tables["rep"][0]["message_templates"] == {"winback": "Hi {name}, shall we try again?"}


async def test_a_finnish_rep_is_told_in_finnish_and_a_tampered_kind_is_refused(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    t = Translator("fi")
    rep = RepChat(app, fake, user_id=5302, first_name="Maija", language_code="fi", clock=clock)
    await open_template(rep, t, "silence")
    assert "Oletusteksti:" in rep.last_text
    assert "Esikatselu, henkilölle Maija Mäkinen:" in rep.last_text
    await rep.press("✏️ Muuta")
    await rep.send("Hei {sukunimi}")
    assert "En osaa täyttää kohtaa {sukunimi}" in rep.last_text
    await rep.send("Hei {name")
    assert "aaltosulje" in rep.last_text and "<code>" not in rep.last_text
    await rep.send("Hei {name}, vieläkö {topic} on ajankohtainen?")
    assert rep.last_text.startswith("✅ Tallennettu")
    assert owner_of(app, rep).template_for("silence") == "Hei {name}, vieläkö {topic} on ajankohtainen?"

    alert = await rep.press_data("tpl:show:zz")
    assert alert == t.plain("common.expired")
    alert = await rep.press_data("tpl:reset:first:extra")
    assert alert == t.plain("common.expired")
    assert owner_of(app, rep).template_for("silence") is not None


async def test_placeholders_written_in_the_reps_language_are_kept_under_their_own_names(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    t = Translator("hu")
    rep = RepChat(app, fake, user_id=5303, first_name="Zsófi", language_code="hu", clock=clock)
    await open_template(rep, t, "first")
    await rep.press(t.plain("templates.change"))
    await rep.send("Kedves {Keresztnév}! Köszönöm a mai találkozót ({cég}): {téma}. {{:)}}")
    assert rep.last_text.startswith("✅")
    assert owner_of(app, rep).template_for("first") == (
        "Kedves {name}! Köszönöm a mai találkozót ({company}): {topic}. {{:)}}"
    )


async def test_messaged_on_another_reps_follow_up_is_refused_and_records_nothing(
    rep: RepChat, other_rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", note="Wants a demo in March")
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await dispatch(app)
    await rep.press("✅ Done")
    data = rep.button_data("Messaged")
    assert data.endswith(":o:messaged")
    await other_rep.send("/start")
    alert = await other_rep.press_data(data, message=other_rep.last)
    assert alert == Translator("en").plain("common.expired")
    anna = contact_named(app, rep, "anna")
    assert anna.touches == 1
    await rep.press("Messaged")
    assert contact_named(app, rep, "anna").touches == 2
