"""The rules that turn a card's text or QR code into a contact's fields."""

from __future__ import annotations

import pytest

from bot.card_fields import (
    ADDRESS_MAX,
    NAME_MAX,
    QR_PAYLOAD_MAX,
    CardFields,
    answers_from_card,
    clean_detail,
    details_in_note,
    fields_from_qr,
    fields_from_text,
    merged,
    region_for,
)
from bot.contact_fields import Invalid
from bot.qualification import QualificationAnswers, Step


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        (
            "VIRTASEN KONE OY\nAnna Virtanen\nMyyntipäällikkö\nPuh. 040 123 4567\nVaihde (09) 1234 5678\n"
            "Fax 09 1234 5679\nanna.virtanen@virtasenkone.fi\nwww.virtasenkone.fi\nMannerheimintie 12 B\n"
            "00100 Helsinki",
            "FI",
            CardFields(
                name="Anna Virtanen",
                company="VIRTASEN KONE OY",
                role="Myyntipäällikkö",
                phones=("+358 40 1234567", "+358 9 12345678"),
                email="anna.virtanen@virtasenkone.fi",
                website="www.virtasenkone.fi",
                address="Mannerheimintie 12 B, 00100 Helsinki",
            ),
        ),
        (
            "Ola Nordmann\nDaglig leder\nFjord Data AS\nMobil: 912 34 567\nola.nordmann@fjorddata.no\n"
            "Karl Johans gate 5\n0154 Oslo",
            "NO",
            CardFields(
                name="Ola Nordmann",
                company="Fjord Data AS",
                role="Daglig leder",
                phones=("+47 91 23 45 67",),
                email="ola.nordmann@fjorddata.no",
                address="Karl Johans gate 5, 0154 Oslo",
            ),
        ),
        (
            "Kovács Anna\nÉrtékesítési vezető\nDuna Informatika Kft.\nVáci utca 12., 1052 Budapest\n"
            "Mobil: 06 30 123 4567\nanna.kovacs@dunainfo.hu",
            "HU",
            CardFields(
                name="Kovács Anna",
                company="Duna Informatika Kft.",
                role="Értékesítési vezető",
                phones=("+36 30 123 4567",),
                email="anna.kovacs@dunainfo.hu",
                address="Váci utca 12., 1052 Budapest",
            ),
        ),
        (
            "Lumière Conseil SAS\nÉlodie Lefèvre\nDirectrice commerciale\nPort. 06 12 34 56 78\n"
            "elodie.lefevre@lumiere.fr\n12 rue de la Paix\n75002 Paris",
            "FR",
            CardFields(
                name="Élodie Lefèvre",
                company="Lumière Conseil SAS",
                role="Directrice commerciale",
                phones=("+33 6 12 34 56 78",),
                email="elodie.lefevre@lumiere.fr",
                address="12 rue de la Paix, 75002 Paris",
            ),
        ),
        (
            "Sarah O'Connor\nHead of Procurement\nBrightwave Ltd\nT: +44 20 7946 0958\n"
            "sarah@brightwave.co.uk",
            "GB",
            CardFields(
                name="Sarah O'Connor",
                company="Brightwave Ltd",
                role="Head of Procurement",
                phones=("+44 20 7946 0958",),
                email="sarah@brightwave.co.uk",
            ),
        ),
    ],
    ids=["fi", "nb", "hu", "fr", "en"],
)
def test_a_cards_text_gives_its_fields_in_each_language(text: str, region: str, expected: CardFields) -> None:
    assert fields_from_text(text, region=region) == expected


def test_what_ocr_does_to_addresses_is_undone() -> None:
    fields = fields_from_text(
        "Åse Hansen\nase.hansen @trondheimteknikk. no\nwwnw.trondheimteknikk.no\nsigrid.larsenQlarsenbygg.no",
        region="NO",
    )
    assert fields.email == "ase.hansen@trondheimteknikk.no"
    assert fields.website == "www.trondheimteknikk.no"


def test_without_a_company_form_the_line_that_spells_the_email_domain_is_the_company() -> None:
    text = "Greenfield Analytics\nDaniel Taylor\ndaniel@greenfieldanalytics.com"
    fields = fields_from_text(text, region="GB")
    assert (fields.name, fields.company) == ("Daniel Taylor", "Greenfield Analytics")


def test_a_name_read_as_two_lines_is_joined() -> None:
    fields = fields_from_text("Lapin Matkat Oy\nPäivi\nKorhonen\n044 337 7274", region="FI")
    assert fields.name == "Päivi Korhonen"


def test_of_two_name_like_lines_the_bigger_print_is_the_name() -> None:
    fields = fields_from_text("Nordic Sales Team\nMikko Korhonen", region="FI", heights=[20, 48])
    assert fields.name == "Mikko Korhonen"


def test_the_phone_region_is_the_reps_time_zone_else_their_language() -> None:
    assert region_for("Europe/Helsinki", "en") == "FI"
    assert region_for("America/New_York", "fr") == "US"
    assert region_for("UTC", "nb") == "NO"


def test_a_vcard_is_read_and_its_hostile_text_made_harmless() -> None:
    payload = "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "N:Dubois;Camille;;;",
            "FN:Camille\x1b[31m Dubois\u202e",
            "ORG:Lumière Conseil SAS;Ventes",
            "TITLE:" + "x" * 2000,
            "TEL;TYPE=CELL:+33 6 12 34 56 78",
            "TEL:not a number",
            "EMAIL:Camille@Lumiere.FR",
            "URL:javascript:alert(1)",
            "ADR;TYPE=WORK:;;12 rue de la Paix;Paris;;75002;France",
            "END:VCARD",
        ]
    )
    fields = fields_from_qr(payload, region="FR")
    assert fields is not None and fields.from_qr
    assert fields.name == "Camille [31m Dubois"  # the escape and the bidi override are gone
    assert fields.company == "Lumière Conseil SAS Ventes"
    assert fields.role is not None and len(fields.role) == 120
    assert fields.phones == ("+33 6 12 34 56 78",)
    assert fields.email == "camille@lumiere.fr"
    assert fields.website is None  # not a web address
    assert fields.address == "12 rue de la Paix, 75002 Paris, France"


def test_a_mecard_is_read_with_its_escapes() -> None:
    fields = fields_from_qr(
        r"MECARD:N:Nordmann,Ola;ORG:Fjord Data AS;TEL:91234567;EMAIL:ola@fjord.no;NOTE:a\;b;;", region="NO"
    )
    assert fields == CardFields(
        name="Ola Nordmann",
        company="Fjord Data AS",
        phones=("+47 91 23 45 67",),
        email="ola@fjord.no",
        from_qr=True,
    )


def test_a_qr_code_that_is_no_contact_is_ignored_and_a_huge_one_capped() -> None:
    assert fields_from_qr("https://example.com/track?id=1", region="FI") is None
    huge = fields_from_qr("BEGIN:VCARD\nFN:" + "A" * (QR_PAYLOAD_MAX * 4) + "\nEND:VCARD", region="FI")
    assert huge is not None and huge.name is not None and len(huge.name) == NAME_MAX


def test_the_qr_code_wins_and_the_print_fills_what_it_left_out() -> None:
    qr = CardFields(name="Camille Dubois", phones=("+33 6 12 34 56 78",), from_qr=True)
    printed = CardFields(name="C. Dubois", company="Lumière SAS", phones=("+33 1 23 45 67 89",))
    assert merged(qr, printed) == CardFields(
        name="Camille Dubois", company="Lumière SAS", phones=("+33 6 12 34 56 78",), from_qr=True
    )


def test_the_card_becomes_a_captures_answers_and_its_extra_details_go_into_the_note() -> None:
    fields = CardFields(
        name="Anna Virtanen",
        phones=("+358 40 1234567", "+358 9 12345678"),
        website="www.acme.fi",
        address="Mannerheimintie 12, 00100 Helsinki",
    )
    answers = answers_from_card(fields, note="Wants a demo\x00\nin March")
    assert (answers.phone, answers.other_phones) == ("+358 40 1234567", ("+358 9 12345678",))
    assert answers.note == "Wants a demo\nin March"
    labels = {"phone": "Puhelin", "website": "Verkkosivu", "address": "Osoite"}
    assert details_in_note(answers, labels).note == (
        "Puhelin: +358 9 12345678\nVerkkosivu: www.acme.fi\nOsoite: Mannerheimintie 12, 00100 Helsinki\n"
        "Wants a demo\nin March"
    )
    assert details_in_note(QualificationAnswers(note="x"), labels).note == "x"


def test_a_typed_detail_is_checked_like_the_contacts_own_fields() -> None:
    assert clean_detail(Step.WEBSITE, " https://WWW.Acme.fi/ ") == "www.acme.fi"
    assert clean_detail(Step.ADDRESS, "-") is None
    assert clean_detail(Step.EMAIL, "anna@acme.fi") == "anna@acme.fi"
    for step, text, problem in (
        (Step.EMAIL, "anna at acme", "email"),
        (Step.PHONE, "call me", "phone"),
        (Step.WEBSITE, "not a site", "website"),
        (Step.ADDRESS, "x" * (ADDRESS_MAX + 1), "too_long"),
    ):
        with pytest.raises(Invalid) as raised:
            clean_detail(step, text)
        assert raised.value.problem == problem


@pytest.mark.parametrize(
    ("lines", "email"),
    [
        ("mikko.heikkinen&mikkoheikkinen.fi", "mikko.heikkinen@mikkoheikkinen.fi"),
        ("lars.bakke(Øbergenmarine.no", "lars.bakke@bergenmarine.no"),
        # The end of the domain misread, the web address beside it whole: its spelling wins.
        (
            "charlotte.harris@harboursystems.co.ul\nwww.harboursystems.co.uk",
            "charlotte.harris@harboursystems.co.uk",
        ),
    ],
)
def test_an_at_sign_or_a_domain_ocr_misread_is_mended(lines: str, email: str) -> None:
    assert fields_from_text(f"Anna Virtanen\n{lines}", region="FI").email == email
