"""Exported contacts: spreadsheet-safe cells, words and local times, and headers the importer reads back in
every language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import vobject

from bot import imports
from bot.config import SUPPORTED_LANGUAGES
from bot.exports import (
    ContactRecord,
    NoteRecord,
    column_headers,
    contact_row,
    contacts_csv,
    contacts_vcard,
    safe_cell,
)
from bot.i18n import Translator

HELSINKI = ZoneInfo("Europe/Helsinki")
CONTACT = ContactRecord(
    name="Aino Hämäläinen",
    company="Kone",
    role="CTO",
    phone="040 765 4321",
    email="aino@kone.fi",
    status="lost",
    lost_reason="competitor",
    score=42,
    source="cold_call",
    stage="interest",
    need="partly",
    budget="unknown",
    authority="decider",
    timeline="lt1m",
    fit="yes",
    industry="Elevators",
    location="Espoo",
    company_size="1000+",
    purchase_frequency="regular",
    purchase_volume="large",
    influence="high",
    birthday=date(1904, 3, 14),
    tags=("trade fair", "VIP"),
    notes=(
        NoteRecord(datetime(2026, 7, 1, 6, 30, tzinfo=UTC), "call", "Called back, wants a quote"),
        NoteRecord(datetime(2026, 6, 30, 21, 15, tzinfo=UTC), "meeting", "Met at the fair"),
    ),
    next_follow_up=datetime(2026, 7, 2, 6, 0, tzinfo=UTC),
    last_touch_at=None,
    created_at=datetime(2026, 6, 30, 21, 15, tzinfo=UTC),
    updated_at=datetime(2026, 7, 1, 6, 30, tzinfo=UTC),
)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_prefix_is_neutralised(prefix: str) -> None:
    assert safe_cell(f"{prefix}1+1") == f"'{prefix}1+1"
    assert safe_cell("Acme") == "Acme"


def test_a_row_reads_as_the_card_does_in_the_reps_zone() -> None:
    row = contact_row(CONTACT, Translator("fr"), HELSINKI)
    assert row["Statut"] == "Perdu" and row["Motif de perte"] == "Concurrent"
    assert (row["Besoin"], row["Budget"], row["Autorité"], row["Échéance"]) == (
        "En partie",
        "Je ne sais pas",
        "Décideur",
        "Moins d'un mois",
    )
    assert (row["Origine"], row["Étape d'achat"]) == ("Prospection téléphonique", "Intérêt")
    # Summer time in Helsinki: UTC+3; the meeting at 21:15 UTC was past midnight there.
    assert row["Prochaine relance"] == "2026-07-02T09:00:00+03:00"
    assert row["Créé le"] == "2026-07-01T00:15:00+03:00"
    assert row["Dernier contact"] == ""
    assert row["Notes"] == (
        "2026-07-01 09:30 Appel : Called back, wants a quote\n2026-07-01 00:15 Rendez-vous : Met at the fair"
    )
    assert row["Anniversaire"] == "--03-14"  # given without the year
    assert row["Étiquettes"] == "trade fair, VIP"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_bots_own_export_is_read_back_by_the_importer(language: str) -> None:
    t = Translator(language)
    valued = replace(CONTACT, value_minor=1_250_050, currency="EUR", close_month=date(2027, 3, 1))
    parsed = imports.parse(contacts_csv([contact_row(valued, t, HELSINKI)], column_headers(t)))
    assert set(parsed.columns) == {
        "name", "company", "role", "phone", "email", "source", "industry", "location", "note", "tags",
        "value", "currency", "close_month",
    }  # fmt: skip
    [row] = parsed.rows
    assert (row.value_minor, row.currency, row.close_month) == (1_250_050, "EUR", "2027-03-01")
    assert (row.name, row.company, row.role, row.phone, row.email) == (
        "Aino Hämäläinen",
        "Kone",
        "CTO",
        "040 765 4321",
        "aino@kone.fi",
    )
    assert (row.source, row.industry, row.location, row.tags) == (
        "cold_call",
        "Elevators",
        "Espoo",
        ("trade fair", "VIP"),
    )
    assert row.note is not None and "Called back, wants a quote" in row.note and "Met at the fair" in row.note


@pytest.mark.parametrize(
    ("language", "name", "given", "family"),
    [
        ("en", "Aino Hämäläinen", "Aino", "Hämäläinen"),
        ("fi", "Anna Maria Virtanen", "Anna Maria", "Virtanen"),
        ("hu", "Kovács Anna", "Anna", "Kovács"),  # Hungarian writes the family name first
        ("hu", "Szabó Zsófia Réka", "Zsófia Réka", "Szabó"),
        ("nb", "Cher", "", "Cher"),
    ],
)
def test_a_vcard_names_the_family_and_given_names_as_the_reps_language_orders_them(
    language: str, name: str, given: str, family: str
) -> None:
    exported = contacts_vcard([replace(CONTACT, name=name, notes=())], Translator(language), ZoneInfo("UTC"))
    [card] = vobject.readComponents(exported.decode())
    assert card.fn.value == name
    assert (card.n.value.given, card.n.value.family) == (given, family)
