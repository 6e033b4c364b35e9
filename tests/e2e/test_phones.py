"""Phone numbers as reps write them where they work: one number in any spelling, found and matched."""

from __future__ import annotations

from typing import Any

from tests.factories import RepChat, storage_of


def stored_phones(app: Any, rep: RepChat) -> list[tuple[str, str | None, str | None]]:
    repo = storage_of(app)
    owner = repo.reps.get_rep(telegram_id=rep.user_id)
    page = repo.contacts.find_contacts(owner_id=owner.id, text="a", offset=0, limit=20)
    contacts = [repo.contacts.get_contact(owner_id=owner.id, contact_id=item.id) for item in page.items]
    return sorted((contact.name, contact.phone, contact.email) for contact in contacts)


async def save_shared(rep: RepChat, phone: str, first: str, last: str, labels: dict[str, str]) -> None:
    """A shared phone contact captured with no questions answered, as a rep in a hurry does."""
    await rep.send_contact(phone, first, last)
    await rep.press(labels["skip"])  # the company
    await rep.press(labels["finish"])
    await rep.press(labels["none"])
    await rep.press(labels["save"])


FI = {"skip": "Ohita", "finish": "⏩ Valmis", "none": "Ei jatkotoimia", "save": "✅ Tallenna"}
NB = {"skip": "Hopp over", "finish": "⏩ Ferdig", "none": "Ingen neste steg", "save": "✅ Lagre"}


async def test_a_finnish_rep_finds_an_international_number_written_the_finnish_way(
    app: Any, fake: Any, clock: Any
) -> None:
    rep = RepChat(app, fake, user_id=5101, first_name="Maija", language_code="fi", clock=clock)
    await save_shared(rep, "+358 40 123 4567", "Aino", "Hämäläinen", FI)
    await rep.send("/find 040 123 4567")
    assert "Hakutulokset (1)" in rep.last_text and "Aino Hämäläinen" in rep.last_text
    await rep.send("/find 040-1234567")
    assert "Aino Hämäläinen" in rep.last_text
    await rep.press("1. Aino Hämäläinen")
    assert "📞 +358 40 1234567" in rep.last_text
    assert [(name, phone) for name, phone, _ in stored_phones(app, rep)] == [
        ("Aino Hämäläinen", "+358401234567")
    ]


async def test_a_short_finnish_landline_is_matched_as_the_same_number(
    app: Any, fake: Any, clock: Any
) -> None:
    rep = RepChat(app, fake, user_id=5102, first_name="Maija", language_code="fi", clock=clock)
    await save_shared(rep, "+358 9 123 456", "Aino", "Hämäläinen", FI)
    await rep.send_contact("09 123 456", "Antti", "Aalto")
    assert "Sinulla on jo:" in rep.last_text and "Aino Hämäläinen" in rep.last_text


async def test_a_norwegian_eight_digit_number_is_matched_with_and_without_the_country_code(
    app: Any, fake: Any, clock: Any
) -> None:
    rep = RepChat(app, fake, user_id=5103, first_name="Ola", language_code="nb", clock=clock)
    await save_shared(rep, "+47 912 34 567", "Kari", "Nordmann", NB)
    await rep.send_contact("912 34 567", "Kari", "N.")
    assert "Du har allerede:" in rep.last_text and "Kari Nordmann" in rep.last_text
    await rep.press("➕ Ny kontakt")
    await rep.press("Hopp over")
    await rep.press("⏩ Ferdig")
    await rep.press("Ingen neste steg")
    await rep.press("✅ Lagre")
    # Both stored as the one number; a search in either spelling finds both.
    assert {phone for _, phone, _ in stored_phones(app, rep)} == {"+4791234567"}
    await rep.send("/find 91234567")
    assert "Treff: 2" in rep.last_text


async def test_a_number_typed_on_the_card_is_stored_in_one_form_and_a_bad_one_as_typed(
    app: Any, fake: Any, clock: Any
) -> None:
    rep = RepChat(app, fake, user_id=5104, first_name="Ola", language_code="nb", clock=clock)
    await save_shared(rep, "+47 912 34 567", "Kari", "Nordmann", NB)
    await rep.send("/find kari")
    await rep.press("1. Kari Nordmann")
    await rep.press("✏️ Endre")
    await rep.press("Telefon")
    await rep.send("22 33 44 55")
    assert "📞 +47 22 33 44 55" in rep.last_text
    await rep.press("🕘 Historikk")
    # The history tells the change grouped as the card shows numbers, not in the stored form.
    assert "Telefon: +47 91 23 45 67 → +47 22 33 44 55" in rep.last_text
    await rep.send("/find kari")
    await rep.press("1. Kari Nordmann")
    await rep.press("✏️ Endre")
    await rep.press("Telefon")
    await rep.send("ext. 12345")
    assert "📞 ext. 12345" in rep.last_text
    assert [phone for _, phone, _ in stored_phones(app, rep)] == ["ext. 12345"]


async def test_a_number_typed_alone_as_each_country_writes_it_starts_a_capture_with_that_phone(
    app: Any, fake: Any, clock: Any
) -> None:
    maija = RepChat(app, fake, user_id=5111, first_name="Maija", language_code="fi", clock=clock)
    await maija.send("040 123 4567")
    assert "📞 040 123 4567" in maija.last_text and "Nimi?" in maija.last_text
    await maija.send("Aino Hämäläinen")
    await maija.press(FI["skip"])  # the company
    await maija.press(FI["finish"])
    await maija.press(FI["none"])
    await maija.press(FI["save"])
    assert [(name, phone) for name, phone, _ in stored_phones(app, maija)] == [
        ("Aino Hämäläinen", "+358401234567")
    ]
    ola = RepChat(app, fake, user_id=5112, first_name="Ola", language_code="nb", clock=clock)
    await ola.send("912 34 567")
    assert "📞 912 34 567" in ola.last_text and "Navn?" in ola.last_text
