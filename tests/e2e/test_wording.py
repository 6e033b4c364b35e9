"""Wording native readers asked for, each seen where a rep meets it, in the language it was found in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.i18n import Translator
from tests.factories import FakeClock, RepChat


def chat(app: Any, fake: Any, clock: FakeClock, language: str, user_id: int) -> tuple[RepChat, Translator]:
    return RepChat(app, fake, user_id=user_id, language_code=language, clock=clock), Translator(language)


async def quick_capture(rep: RepChat, t: Translator, name: str, next_step: str = "none") -> None:
    """Name and company, ⏩ Finish, the next step and Save."""
    await rep.send(name)
    await rep.press(t.plain("capture.finish"))
    await rep.press(t.plain(f"option.next.{next_step}"))
    await rep.press(t.plain("capture.save"))


async def open_card(rep: RepChat, text: str) -> None:
    await rep.send(f"/find {text}")
    await rep.press("1.")


async def wait_for_import(app: Any) -> None:
    for _ in range(3000):
        if not app.bot_data.running_imports:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the import did not finish")


async def reminder_due(app: Any, clock: FakeClock) -> None:
    """The next morning, when a "tomorrow" follow-up is due, and the dispatcher's run."""
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await app.bot_data.dispatcher.run_once()


async def test_finnish_a_lost_deal_is_havitty_and_the_help_speaks_of_their_contact_details(
    app: Any, fake: Any, clock: FakeClock
) -> None:
    rep, t = chat(app, fake, clock, "fi", 6101)
    await rep.send("/start")
    assert "⌨️ Kirjoita kaupunki" in rep.button_labels
    await rep.send("/help")
    assert "jaa hänen yhteystietonsa puhelimestasi" in rep.last_text
    await rep.send("/lost")
    assert rep.last_text == "Ei hävittyjä kauppoja. 👍"
    await rep.send("Aino Hämäläinen, Kone")
    await rep.press(t.plain("capture.finish"))
    assert "📅 Kirjoita päivä" in rep.button_labels
    await rep.press("Ei jatkotoimia")
    await rep.press(t.plain("capture.save"))
    await open_card(rep, "aino")
    await rep.press("🏷 Tila")
    await rep.press("→ Hävitty")
    assert "Miksi kauppa hävittiin?" in rep.last_text
    await rep.press(t.plain("lost.priorities"))
    assert "Merkitty hävityksi: Prioriteetit" in rep.last_text and "Hävitty:" in rep.last_text
    await rep.send("/lost")
    assert "Hävityt kaupat (1)" in rep.last_text
    assert "menet" not in rep.last_text.lower()
    await rep.send_document("name\nAino Hämäläinen\nPekka Salo\n".encode(), "kontaktit.csv")
    assert "jo listallasi tai tiedostossa kahdesti: 1" in rep.last_text
    assert rep.button_labels[:2] == ["Yhdistä ne", "Ohita ne"]
    assert "tupla" not in " ".join([rep.last_text, *rep.button_labels]).lower()


async def test_norwegian_postpone_is_utsett_overdue_is_forsinket_and_the_quiet_go_cold(
    app: Any, fake: Any, clock: FakeClock
) -> None:
    rep, t = chat(app, fake, clock, "nb", 6102)
    await rep.send("Kari Nordmann, Fjord AS")
    await rep.press("Nei")  # no need
    await rep.press(t.plain("capture.finish"))
    await rep.press(t.plain("option.next.tomorrow"))
    await rep.press(t.plain("capture.save"))
    await open_card(rep, "kari")
    assert "ingen behov" in rep.last_text and "ikke behov" not in rep.last_text
    await reminder_due(app, clock)
    await rep.press("💤 Utsett")
    assert "Utsett til når?" in rep.last_text
    await rep.press(t.plain("common.back"))
    await rep.press("✖ Tapt")
    assert "Ingen beslutningstaker" in rep.button_labels
    await rep.press(t.plain("common.back"))
    clock.advance(timedelta(hours=2))
    await rep.send("/leads")
    assert "over fristen" in rep.last_text and "forfalt" not in rep.last_text
    clock.advance(timedelta(days=1))
    await rep.send("/today")
    assert "Forsinket (1)" in rep.last_text and "Forfalt" not in rep.last_text
    # A prospect with no contact for two weeks and nothing planned.
    await rep.send("Ola Berg, Nordic AS")
    for label in ("Ja", "Ja", t.plain("option.authority.decider"), t.plain("option.timeline.lt1m")):
        await rep.press(label)
    await rep.press(t.plain("capture.finish"))
    await rep.press(t.plain("option.next.none"))
    await rep.press(t.plain("capture.save"))
    clock.advance(timedelta(days=15))
    await rep.send("/today")
    assert "Blir kalde (1)" in rep.last_text and "sist fre. 27. nov." in rep.last_text


async def test_hungarian_the_town_getting_acquainted_postponing_and_prompts_without_brackets(
    app: Any, fake: Any, clock: FakeClock
) -> None:
    rep, t = chat(app, fake, clock, "hu", 6103)
    await quick_capture(rep, t, "Kovács Anna, Acme Kft.", next_step="tomorrow")
    await open_card(rep, "kovacs")
    await rep.press("✏️ Szerkesztés")
    assert "Település" in rep.button_labels and "Helyszín" not in rep.button_labels
    await rep.press(t.plain("field.stage"))
    assert "Ismerkedés" in rep.button_labels and "Figyelem" not in rep.button_labels
    await rep.press(t.plain("common.back"))
    await rep.press("✏️ Szerkesztés")
    await rep.press("E-mail")
    assert rep.last_text.startswith("✏️ E-mail: írd be az új értéket.") and "(" not in rep.last_text
    await rep.press(t.plain("common.back"))
    await rep.press("📝 Megjegyzés")
    assert rep.last_text.startswith("Mit jegyezzek fel Kovács Anna kapcsán?") and "(" not in rep.last_text
    await reminder_due(app, clock)
    assert "💤 Halasztás" in rep.button_labels and "💤 Szundi" not in rep.button_labels


async def test_french_counts_before_nouns_articles_and_the_right_prepositions(
    app: Any, fake: Any, clock: FakeClock
) -> None:
    rep, t = chat(app, fake, clock, "fr", 6104)
    await rep.send("Marie Dupont, Acme SAS")
    assert "un vrai besoin auquel nous puissions répondre" in rep.last_text
    await rep.press(t.plain("capture.finish"))
    await rep.press(t.plain("option.next.tomorrow"))
    await rep.press(t.plain("capture.save"))
    await quick_capture(rep, t, "Marie Dupond, Acme")
    await open_card(rep, "dupont")
    await rep.press("✏️ Modifier")
    await rep.press(t.plain("field.source"))
    assert "Prospection téléphonique" in rep.button_labels and "Appel à froid" not in rep.button_labels
    await rep.press(t.plain("common.back"))
    await rep.press("🔗 Fusionner")
    await rep.send("dupond")
    assert "Quelle fiche fusionner avec Marie Dupont ?" in rep.last_text
    await reminder_due(app, clock)
    await rep.press("💤 Plus tard")
    await rep.press(t.plain("snooze.1h"))
    assert "Reporté au " in rep.last_text and "Reporté :" not in rep.last_text
    await rep.send_document(b"name\nMarie Dupont\nJean Martin\n", "contacts.csv")
    assert "déjà dans votre liste ou deux fois dans le fichier\u00a0: 1" in rep.last_text
    await rep.press("Les fusionner")
    await wait_for_import(app)
    assert "Nouveaux contacts : 1 · fusionnés : 1 · ignorés : 0" in rep.last_text


async def test_english_a_field_is_not_capitalised_in_the_middle_of_a_sentence(
    app: Any, fake: Any, clock: FakeClock
) -> None:
    rep, t = chat(app, fake, clock, "en", 6105)
    await quick_capture(rep, t, "Anna Virtanen, Acme Oy")
    await open_card(rep, "anna")
    await rep.press("✏️ Edit")
    await rep.press("Email")
    assert rep.last_text.startswith("✏️ Email: type the new value. Now: –.")
    assert "the new Email" not in rep.last_text
