"""Keys for matching what reps type: case- and accent-insensitive names, and phone numbers (bot/phones.py)."""

from __future__ import annotations

import unicodedata

from bot import phones

# Letters that Unicode does not decompose into a base letter and a mark, but that reps type without
# the mark all the same ("Sørensen" is searched as "sorensen", "Straße" as "strasse").
_FOLDED_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "\u0131": "i"}
)


def search_key(text: str) -> str:
    """'Hämäläinen', 'HAMALAINEN' and 'hamalainen' all give 'hamalainen'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLDED_LETTERS))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.translate(_FOLDED_LETTERS).split())


def phone_key(phone: str, region: str | None = None) -> str | None:
    """The number a phone is matched on: '+358 40 123 4567' and, read in Finland, '040-123 4567' are the
    same phone (bot.phones.phone_key). Without the rep's country only a number with its country code is
    read; the contact's write in storage/contacts.py always knows the country."""
    return phones.phone_key(phone, region)
