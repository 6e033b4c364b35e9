"""Phone numbers: read as a rep writes them, in the rep's own country, and kept in one form (E.164).

A rep types or shares numbers the way people say them where they work: `040 123 4567` in Helsinki,
`912 34 567` in Oslo, `06 1 234 5678` in Budapest. Read in the rep's country (from their time zone, else
their language) these are `+358401234567`, `+4791234567`, `+3612345678`: one number, however it was
written, so duplicates are matched on the whole number and /find finds it in any spelling. A number that
cannot be read as a valid one (too short, an extension, letters) is kept as typed and matched on its
digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import phonenumbers
from babel.core import get_global

# A rep whose zone names no country (UTC) is taken to be where their language is spoken. English names
# no country: such a rep's numbers are read only when written with their country code.
_LANGUAGE_REGIONS = {"fi": "FI", "nb": "NO", "hu": "HU", "fr": "FR"}
# Contact.phone_key's length: an E.164 number is at most 15 digits after the +.
KEY_MAX = 16
_DIGITS_MIN = 5


@cache
def _zone_territories() -> dict[str, str]:
    return dict(get_global("zone_territories"))


def region_for(timezone: str | None, language: str | None) -> str | None:
    """The country a rep's numbers are read in: "FI" for Europe/Helsinki, "NO" for a Norwegian rep in
    UTC, None when neither says (then only numbers with a country code are read)."""
    territory = _zone_territories().get(timezone or "")
    if territory and territory.isalpha():
        return territory
    return _LANGUAGE_REGIONS.get(language or "")


@dataclass(frozen=True)
class Phone:
    """A number as stored: `stored` is E.164 when it is a valid number, else the text as typed (spaces
    collapsed); `key` is what duplicates are matched on (the E.164 number, or the digits of one that could
    not be read, None for fewer than five)."""

    stored: str
    key: str | None

    @property
    def valid(self) -> bool:
        return self.stored.startswith("+") and self.key == self.stored


def _parsed(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def read_phone(text: str, region: str | None) -> Phone:
    """The number to store for what was typed or shared, read in the rep's country (`region_for`)."""
    typed = " ".join(text.split())
    number = _parsed(typed, region)
    if number is not None:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return Phone(e164, e164)
    digits = "".join(char for char in typed if char.isdigit())
    return Phone(typed, digits[-KEY_MAX:] if len(digits) >= _DIGITS_MIN else None)


def phone_key(text: str, region: str | None) -> str | None:
    """What a number is matched on as a duplicate: the same for every way of writing one number."""
    return read_phone(text, region).key


def display(stored: str) -> str:
    """A stored number for the reader: "+358 40 1234567" (a number kept as typed reads as typed)."""
    number = _parsed(stored, None) if stored.startswith("+") else None
    if number is None:
        return stored
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def search_digits(stored: str) -> str:
    """What /find looks in for a number: the digits of its international and its national form
    ("358401234567 0401234567"), so that a search for part of either finds it."""
    number = _parsed(stored, None) if stored.startswith("+") else None
    forms = [stored]
    if number is not None:
        forms.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return " ".join("".join(char for char in form if char.isdigit()) for form in forms)


def e164_digits(stored: str | None) -> str | None:
    """The digits of a stored number that reads as a valid E.164 one ("358401234567"), as WhatsApp's links
    want it; None for a number kept as typed, which no link could reach for sure."""
    if not stored or not stored.startswith("+"):
        return None
    number = _parsed(stored, None)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")
