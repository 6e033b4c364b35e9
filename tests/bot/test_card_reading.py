"""The reader: what it refuses before decoding, the preprocessing, and reading a photographed card."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.card_reading import CardReader, CardReadingUnavailable, ImageRefused, Refusal, open_image, skew_angle
from tests.factories import business_card


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a not really", Refusal.BROKEN),
        (b"", Refusal.BROKEN),
        (_png(9_000, 9_000), Refusal.TOO_BIG),  # 81 megapixels in a small file
        (_png(20_000, 100), Refusal.TOO_BIG),
        (_png(150, 150), Refusal.TOO_SMALL),
        (b"\x00" * (13 * 1024 * 1024), Refusal.TOO_BIG),
    ],
    ids=["broken", "empty", "pixels", "side", "tiny", "bytes"],
)
def test_an_image_is_refused_before_it_is_decoded(data: bytes, reason: Refusal) -> None:
    with pytest.raises(ImageRefused) as refused:
        open_image(data)
    assert refused.value.reason is reason


def test_the_tilt_of_a_hand_held_photo_is_measured() -> None:
    image = open_image(business_card(["Anna Virtanen", "Myyntipäällikkö", "Acme Oy", "040 123 4567"], tilt=7))
    # The card was turned 7° counter-clockwise: turning it back is -7°.
    assert abs(skew_angle(image) + 7) <= 1.0


def test_a_photographed_card_is_read() -> None:
    reader = CardReader()
    lines = ["Mikko Korhonen", "Toimitusjohtaja", "Savon Sähkö Oy", "Puh. 044 123 4567"]
    fields = reader.read(business_card(lines, tilt=-6), region="FI", language="fi").fields
    assert (fields.name, fields.company) == ("Mikko Korhonen", "Savon Sähkö Oy")
    assert fields.role == "Toimitusjohtaja"
    assert fields.phones == ("+358 44 1234567",)


def test_without_the_language_data_the_reader_is_unavailable(tmp_path: Path) -> None:
    reader = CardReader(tmp_path)
    assert not reader.available
    with pytest.raises(CardReadingUnavailable):
        reader.read(business_card(["Anna Virtanen"]), region="FI", language="fi")


def test_a_qr_code_in_latin_1_keeps_its_accents() -> None:
    # Many generators write Latin-1, the QR standard's default, when the text fits it.
    vcard = "BEGIN:VCARD\r\nFN:Håkon Sørensen\r\nORG:Ærø Fisk AS\r\nTEL:+47 912 34 567\r\nEND:VCARD"
    fields = CardReader().read(business_card(["Håkon"], qr=vcard), region="NO", language="nb").fields
    assert (fields.name, fields.company) == ("Håkon Sørensen", "Ærø Fisk AS")
