"""A business card becomes a contact: a photo in, the capture prefilled, as a rep does it at a trade fair.

These run the real Application and the real Tesseract over the fake Bot API, which serves the photo as
Telegram does (getFile gives a file_path, the bytes come from the file URL)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.qualification import QualificationAnswers
from storage.contacts import ContactOrder
from tests.e2e.test_capture import owner_id, repo_of
from tests.factories import RepChat, business_card, save
from tests.fake_bot_api import FakeBotAPI

ENGLISH_CARD = [
    "Oliver Taylor",
    "Sales Manager",
    "Brightwave Ltd",
    "Mob. 07700 900123",
    "oliver.taylor@brightwave.co.uk",
    "www.brightwave.co.uk",
    "221 Baker Street",
    "London NW1 6XE",
]
FINNISH_CARD = [
    "Anna Virtanen",
    "Myyntipäällikkö",
    "Virtasen Kone Oy",
    "Puh. 040 123 4567",
    "anna.virtanen@virtasenkone.fi",
    "Mannerheimintie 12 B",
    "00100 Helsinki",
]


def contacts(app: Any, rep: RepChat) -> list[Any]:
    book = repo_of(app).contacts
    owner = owner_id(app, rep)
    page = book.list_contacts(owner_id=owner, status="lead", order=ContactOrder.NEWEST, offset=0, limit=50)
    return [book.get_contact(owner_id=owner, contact_id=item.id) for item in page.items]


def requested(fake: FakeBotAPI, method: str) -> int:
    return sum(1 for call in fake.requests if call.method == method)


async def test_a_card_photo_starts_a_capture_with_what_the_card_says(
    rep: RepChat, app: Any, fake: FakeBotAPI, settings: Any
) -> None:
    await rep.send_photo(business_card(ENGLISH_CARD), caption="Met at Slush: wants a demo in March")
    # The "reading" message became the capture: what was found, then the first one-tap question.
    [reply] = [message for message in rep.messages if message.text and "From the card" in message.text]
    assert reply.edited_count == 1
    assert "From the card: Name, Company, Role, Phone, Email, Website, Address." in reply.text  # type: ignore[operator]
    assert "Oliver Taylor" in rep.last_text and "Brightwave Ltd" in rep.last_text
    assert "Need?" in rep.last_text
    assert requested(fake, "getFile") == 1
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    summary = rep.last_text
    for line in (
        "💼 Sales Manager",
        "📞 +44 7700 900123",
        "✉️ oliver.taylor@brightwave.co.uk",
        "🌐 www.brightwave.co.uk",
        "📍 221 Baker Street, London NW1 6XE",
        "Met at Slush: wants a demo in March",
    ):
        assert line in summary
    await rep.press("✅ Save")
    [contact] = contacts(app, rep)
    assert (contact.name, contact.company) == ("Oliver Taylor", "Brightwave Ltd")
    assert contact.role == "Sales Manager"
    assert (contact.phone, contact.email) == ("+44 7700 900123", "oliver.taylor@brightwave.co.uk")
    # What the contact has no field for is kept in the meeting's note, with the caption.
    assert contact.latest_note == (
        "Website: www.brightwave.co.uk\nAddress: 221 Baker Street, London NW1 6XE\n"
        "Met at Slush: wants a demo in March"
    )
    # Nothing of the image is kept: not its bytes, not even Telegram's id for it.
    [upload] = [call.params["file_id"] for call in fake.requests if call.method == "getFile"]
    database = Path(settings.sqlite_path())
    for stored in (database, database.with_name(database.name + "-wal")):
        if stored.exists():
            assert upload.encode() not in stored.read_bytes()


async def test_a_finnish_rep_reads_a_finnish_card_and_fixes_a_field_with_edit(
    app: Any, fake: FakeBotAPI, clock: Any
) -> None:
    rep = RepChat(app, fake, user_id=5010, first_name="Maija", language_code="fi", clock=clock)
    await rep.send_photo(business_card(FINNISH_CARD))
    assert "Kortista luettu: Nimi, Yritys, Titteli, Puhelin, Sähköposti, Osoite." in rep.last_text
    assert "Tarve?" in rep.last_text
    await rep.press("⏩ Valmis")
    await rep.press("Ei jatkotoimia")
    summary = rep.last_text
    # The rep's region is Finland: 040 is a Finnish mobile number.
    assert "📞 +358 40 1234567" in summary and "💼 Myyntipäällikkö" in summary
    assert "📍 Mannerheimintie 12 B, 00100 Helsinki" in summary
    await rep.press("✏️ Muokkaa")
    await rep.press("Titteli")
    assert "Titteli?" in rep.last_text
    await rep.send("Myyntijohtaja")
    assert "💼 Myyntijohtaja" in rep.last_text
    await rep.press("✅ Tallenna")
    [contact] = contacts(app, rep)
    assert (contact.name, contact.company) == ("Anna Virtanen", "Virtasen Kone Oy")
    assert (contact.role, contact.email) == ("Myyntijohtaja", "anna.virtanen@virtasenkone.fi")
    assert contact.latest_note == "Osoite: Mannerheimintie 12 B, 00100 Helsinki"


async def test_a_vcard_qr_code_wins_over_the_print_and_is_taken_as_hostile_text(
    rep: RepChat, app: Any, fake: FakeBotAPI
) -> None:
    vcard = "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "N:Dubois;Camille;;;",
            "FN:Camille\x07 Dubois\u200b",  # a bell and a zero-width space: gone
            "ORG:Lumière Conseil SAS",
            "TITLE:" + "Directrice commerciale " * 20,  # capped to the role's 120 characters
            "TEL;TYPE=CELL:+33 6 12 34 56 78",
            "EMAIL:camille.dubois@lumiere-conseil.fr",
            "URL:https://tracker.example/c?id=1",
            "END:VCARD",
        ]
    )
    # The printed name differs from the code's: the code wins.
    await rep.send_photo(business_card(["C. Dubois-Printed", "Old Company SARL"], qr=vcard))
    assert "From the card's QR code:" in rep.last_text
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    summary = rep.last_text
    assert "Camille Dubois" in summary and "Lumière Conseil SAS" in summary
    assert "C. Dubois-Printed" not in summary and "\x07" not in summary and "\u200b" not in summary
    assert "📞 +33 6 12 34 56 78" in summary and "🌐 tracker.example/c?id=1" in summary
    await rep.press("✅ Save")
    [contact] = contacts(app, rep)
    assert contact.name == "Camille Dubois" and len(contact.role) == 120
    # The address on the card is text: the bot never fetched it.
    assert all("tracker.example" not in call.url for call in fake.requests)


async def test_a_photo_without_card_text_says_so_and_offers_to_type_the_name(rep: RepChat) -> None:
    await rep.send_photo()  # a plain wall
    assert "I couldn't find a business card's text on this photo" in rep.last_text
    await rep.press("✍️ Type the name")
    assert "Name?" in rep.last_text


async def test_a_card_with_a_known_email_offers_to_log_the_meeting_on_that_contact(
    rep: RepChat, app: Any, clock: Any
) -> None:
    await rep.send("/start")
    owner = repo_of(app).reps.get_rep(telegram_id=rep.user_id)
    assert owner is not None
    known = QualificationAnswers(
        name="Olli Taylor", company="Brightwave", email="Oliver.Taylor@brightwave.co.uk"
    )
    save(repo_of(app), owner, known, clock())
    await rep.send_photo(business_card(ENGLISH_CARD))
    assert "You already have:" in rep.last_text and "Olli Taylor" in rep.last_text
    await rep.press("📎 Add to Olli Taylor")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    [contact] = contacts(app, rep)
    assert contact.touches == 2 and contact.name == "Olli Taylor"
    # The card's details filled in what the contact lacked.
    assert (contact.role, contact.phone) == ("Sales Manager", "+44 7700 900123")


async def test_without_tesseract_the_bot_says_card_reading_is_not_set_up(
    start_app: Any, fake: FakeBotAPI, clock: Any, tmp_path: Path
) -> None:
    app = await start_app(card_reading_data=tmp_path)  # a folder without Tesseract's language data
    rep = RepChat(app, fake, user_id=5011, first_name="Maija", clock=clock)
    await rep.send_photo(business_card(ENGLISH_CARD))
    assert "Card reading is not set up on this server" in rep.last_text
    assert requested(fake, "getFile") == 0
    assert contacts(app, rep) == []


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "answer"),
    [
        (b"\xff\xd8\xff\xe0 this is no JPEG", "I couldn't open this image"),
        (_png(20_000, 20_000), "This image is too big for me to read"),
        (_png(120, 80), "This image is too small to read a card from"),
    ],
    ids=["broken", "huge", "tiny"],
)
async def test_a_broken_huge_or_tiny_image_file_gets_a_clear_refusal(
    rep: RepChat, app: Any, content: bytes, answer: str
) -> None:
    await rep.send_document(content, "card.jpg", mime_type="image/jpeg")
    assert answer in rep.last_text
    assert contacts(app, rep) == []
    assert repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep)) is None


async def test_a_card_after_new_fills_that_capture(rep: RepChat, app: Any) -> None:
    await rep.send("/new")
    question = rep.last_with_buttons
    await rep.send_photo(business_card(ENGLISH_CARD))
    assert "From the card" in rep.last_text and "Need?" in rep.last_text
    # One capture, not a second one waiting: the name question's buttons came off.
    assert not any(row for row in rep.fake.buttons(question))
    draft = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert draft is not None and draft.answers.name == "Oliver Taylor" and draft.queued is None
