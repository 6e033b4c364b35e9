"""Keys for matching what reps type: case- and accent-insensitive names, and phone numbers as digits."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter and a mark, but that reps type without
# the mark all the same ("Sørensen" is searched as "sorensen", "Straße" as "strasse").
_FOLDED_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "\u0131": "i"}
)
_PHONE_DIGITS_COMPARED = 9


def search_key(text: str) -> str:
    """'Hämäläinen', 'HAMALAINEN' and 'hamalainen' all give 'hamalainen'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLDED_LETTERS))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.translate(_FOLDED_LETTERS).split())


def phone_key(phone: str) -> str | None:
    """The last nine digits, so that '+358 40 123 4567' and '040-123 4567' are the same phone.

    Without knowing the country, the national prefix cannot be told apart from the number; the last nine
    digits are the part that every way of writing one number shares.
    """
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 5:
        return None
    return digits[-_PHONE_DIGITS_COMPARED:]
