"""Reading a CSV a rep sends: its encoding, its delimiter, which column is which, and which rows are good.

Headers are matched by name in the bot's five languages and as popular CRMs export them (bot/crm_headers.py).
Where no header names the contact's name (or a phone or e-mail column goes unrecognised), the rep points
at the file's column instead: `parse` takes those picks, and `choices` says which columns to offer.
Nothing here touches the database: the result is a plan (new rows, duplicates, invalid rows with the
reason) that the rep confirms before anything is stored. A row is left out only when it names nobody (or
its name cannot be kept); a value the bot cannot use (a phone with fewer than five digits, an email
without '@', a deal value it cannot read) is written into the row's note under the file's own header, and said so, rather
than losing the person with it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from charset_normalizer import from_bytes

from bot.config import SUPPORTED_LANGUAGES
from bot.contact_fields import Invalid, clean_field, parse_tags
from bot.crm_headers import CRM_HEADERS
from bot.deal import AmountProblem, AmountRefused, known_currency, parse_amount, read_month_code
from bot.exports import safe_cell
from bot.i18n import Translator
from bot.qualification import NOTE_MAX, Source
from bot.text_keys import search_key

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# The columns a rep may point at when the header does not name them, and how many of the file's columns
# are offered for one (a button each, the likeliest first).
PICKABLE = ("name", "phone", "email")
MAX_CHOICES = 12
SAMPLE_ROWS = 20  # a column's sample is its first non-empty value in these rows

# Column -> the header names (folded) it is known by: English and the CRMs' exports, then fi, nb, hu, fr.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "full name", "contact name", "contact", "nimi", "koko nimi", "navn", "fullt navn", "nev",
        "teljes nev", "nom complet",
    ),
    "first_name": ("first name", "firstname", "given name", "etunimi", "fornavn", "keresztnev", "utonev", "prenom"),
    "last_name": (
        "last name", "lastname", "surname", "family name", "sukunimi", "etternavn", "vezeteknev", "nom",
        "nom de famille",
    ),
    "company": (
        "company", "company name", "account name", "account", "organization", "organisation", "organization name",
        "yritys", "yhtio", "firma", "bedrift", "selskap", "ceg", "cegnev", "vallalat", "entreprise", "societe",
        "organisme",
    ),
    "role": (
        "job title", "title", "position", "role", "titteli", "tehtava", "asema", "stilling", "tittel", "beosztas",
        "pozicio", "poste", "fonction", "titre",
    ),
    "phone": (
        "phone", "phone number", "mobile", "mobile phone", "telephone", "work phone", "puhelin", "puhelinnumero",
        "matkapuhelin", "telefon", "mobil", "telefonszam", "telephone portable", "portable", "numero de telephone",
    ),
    "email": (
        "email", "e-mail", "email address", "e-mail address", "work email", "sahkoposti", "epost", "e-post",
        "e-mail cim", "email cim", "courriel", "adresse e-mail", "adresse email",
    ),
    "source": ("source", "lead source", "lahde", "kilde", "forras", "origine"),
    "industry": ("industry", "toimiala", "bransje", "iparag", "secteur", "secteur d'activite"),
    "location": (
        "city", "location", "town", "kaupunki", "paikkakunta", "sijainti", "sted", "by", "varos", "telepules",
        "helyszin", "ville", "localite", "localisation",
    ),
    "note": (
        "note", "notes", "description", "comment", "comments", "muistiinpanot", "huomautus", "lisatiedot", "notat",
        "notater", "kommentar", "megjegyzes", "megjegyzesek", "remarques", "commentaire", "commentaires",
    ),
    "tags": ("tags", "labels", "tunnisteet", "avainsanat", "stikkord", "etiketter", "cimkek", "etiquettes"),
    # The deal, as the bot's own export names its columns (bot/exports.py) and a CRM's "Amount" would.
    "value": (
        "deal value", "value", "amount", "deal amount", "kaupan arvo", "arvo", "avtaleverdi", "verdi",
        "uzlet erteke", "ertek", "montant de l'affaire", "montant de l’affaire", "montant",
    ),
    "currency": ("currency", "valuutta", "valuta", "penznem", "devise"),
    "close_month": (
        "close month", "expected close", "close date", "kauppakuukausi", "lukkemaned", "lezaras honapja",
        "mois de signature",
    ),
}  # fmt: skip
# Columns where a row's first non-empty cell among several headers is taken (Odoo's Mobile when Phone is
# empty, Google's `Phone 2 - Value`); for the others, the best-named header alone.
FALLBACK_COLUMNS = frozenset({"phone", "email"})
GOOGLE_SEPARATOR = " ::: "


def _ranked_aliases() -> dict[str, tuple[str, int]]:
    """Header name -> (column, rank): the bot's own names first, then each CRM's in the table's order."""
    ranked: dict[str, tuple[str, int]] = {}
    for column, aliases in HEADERS.items():
        for alias in aliases:
            ranked.setdefault(alias, (column, len(ranked)))
    for columns in CRM_HEADERS.values():
        for column, aliases in columns.items():
            for alias in aliases:
                ranked.setdefault(search_key(alias), (column, len(ranked)))
    return ranked


_LOOKUP = _ranked_aliases()
# Excel writes this first line ("sep=;") to say which separator the file uses.
_SEP_LINE = re.compile(r"^\ufeff?sep=(.)[ \t]*\r?\n", re.IGNORECASE)


@cache
def _source_words() -> dict[str, str]:
    # The bot's own export writes a source as the card shows it, in the rep's language.
    words = {search_key(source.value): source.value for source in Source}
    for language in SUPPORTED_LANGUAGES:
        t = Translator(language)
        words |= {search_key(t.plain(f"option.source.{source.value}")): source.value for source in Source}
    return words


def source_code(text: str) -> str | None:
    """A source cell as a code: "Kylmäsoitto" and "cold_call" give "cold_call"; other text is kept folded
    (storage files what it does not know as "other")."""
    key = search_key(text)
    return _source_words().get(key, key) or None


class Unreadable(ValueError):
    """The file is not a CSV the bot can read; `reason` is a message id suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FileColumn:
    """One of the file's columns as the rep is shown it when picking: its header and a value from it."""

    index: int
    header: str
    sample: str  # its first non-empty value in the first rows; "" when it has none there
    used_for: str | None  # the column of ours it fills, None when its header is not recognised


class NoNameColumn(Unreadable):
    """No header names the contact's name: the rep is to pick the column (`columns`) that holds it."""

    def __init__(self, columns: list[FileColumn]) -> None:
        super().__init__("no_name_column")
        self.columns = columns


@dataclass(frozen=True)
class ImportRow:
    line: int
    name: str
    company: str | None = None
    role: str | None = None
    phone: str | None = None
    email: str | None = None
    source: str | None = None
    industry: str | None = None
    location: str | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    # The deal: the value in minor units of `currency`, the close month's first day in ISO 8601 (a row
    # waits in the batch as JSON).
    value_minor: int | None = None
    currency: str | None = None
    close_month: str | None = None


@dataclass(frozen=True)
class InvalidRow:
    line: int
    reason: str  # message id suffix: "no_name", "email", "phone", "too_long"


@dataclass
class ParsedFile:
    rows: list[ImportRow] = field(default_factory=list)
    invalid: list[InvalidRow] = field(default_factory=list)
    # Rows imported with a value they could not use, kept in their note instead: (line, reason) as above.
    kept: list[InvalidRow] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # our column -> the file's header
    file_columns: list[FileColumn] = field(default_factory=list)


def decode(data: bytes) -> str:
    """Text from UTF-8 (with or without BOM), UTF-16 (with BOM) or a legacy encoding such as Windows-1252."""
    if not data.strip():
        raise Unreadable("empty")
    if len(data) > MAX_BYTES:
        raise Unreadable("too_big")
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _legacy_decode(data)
    if "\x00" in text or sum(not (char.isprintable() or char in "\r\n\t") for char in text[:4096]) > 40:
        raise Unreadable("binary")
    return text


# The letters of the bot's five languages beyond a-z: the legacy encoding that yields most of them wins.
_OUR_LETTERS = frozenset("äöåøæéèêëàâçîïôûùüœÿáíóőúű" + "ÄÖÅØÆÉÈÊËÀÂÇÎÏÔÛÙÜŒŸÁÍÓŐÚŰ")


def _legacy_decode(data: bytes) -> str:
    """Windows-1252 (Finnish, Norwegian, French spreadsheets) or Windows-1250 (Hungarian), told apart by
    which gives the languages' own letters; anything else by charset detection."""
    candidates = []
    for encoding in ("cp1252", "cp1250"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append(
            (sum(char in _OUR_LETTERS for char in text), -sum(char > "\u00ff" for char in text), text)
        )
    if candidates:
        return max(candidates, key=lambda candidate: candidate[:2])[2]
    best = from_bytes(data).best()
    if best is None:
        raise Unreadable("binary")
    return str(best)


def _delimiter(text: str) -> str:
    """The separator that the header row uses most: spreadsheets in Finland, Norway, Hungary and France save
    with ";" (their decimal comma), others with "," or a tab. The header has no quoted commas in practice,
    which makes it a better judge than a sniffer reading quoted multi-line cells."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def parse(data: bytes, picked: Mapping[str, int] | None = None, *, currency: str | None = None) -> ParsedFile:
    """The rows of a CSV file, checked; headers that name no known column are ignored. `picked` maps a
    PICKABLE column to the index of the file's column the rep chose for it (an index past the last
    column is ignored); without a name column, NoNameColumn lists the columns to choose from. `currency`
    is the rep's: a deal value with no currency column (nor a symbol of another) is in it."""
    text = decode(data)
    sep_line = _SEP_LINE.match(text)
    if sep_line:
        text, delimiter = text[sep_line.end() :], sep_line.group(1)
    else:
        delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise Unreadable("empty") from None
    records: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(reader, start=2):
        if any(cell.strip() for cell in cells):
            if len(records) >= MAX_ROWS:
                raise Unreadable("too_many_rows")
            records.append((number, cells))
    positions = _positions(header)
    if not positions and any(_is_datum(cell) for cell in header):
        # No header at all: the first row is a contact (a header never holds an address or a number).
        records.insert(0, (1, header))
        header = [""] * len(header)
    if not records:
        raise Unreadable("empty")
    for column, index in (picked or {}).items():
        if column in PICKABLE and 0 <= index < len(header):
            positions[column] = [index]
    parsed = ParsedFile(file_columns=_file_columns(header, records[:SAMPLE_ROWS], positions))
    in_file_order = sorted(positions.items(), key=lambda item: item[1][0])
    parsed.columns = {column: header[indexes[0]].strip() for column, indexes in in_file_order}
    if "name" not in positions and "first_name" not in positions and "last_name" not in positions:
        raise NoNameColumn(parsed.file_columns)
    for number, cells in records:
        row, kept = _row(number, cells, positions, parsed.columns, currency)
        if isinstance(row, ImportRow):
            parsed.rows.append(row)
            parsed.kept.extend(InvalidRow(number, reason) for reason in kept)
        else:
            parsed.invalid.append(row)
    return parsed


def _is_datum(cell: str) -> bool:
    value = cell.strip()
    return looks_like("email", value) or looks_like("phone", value) or _is_date(value)


def _file_columns(
    header: list[str], first: list[tuple[int, list[str]]], positions: dict[str, list[int]]
) -> list[FileColumn]:
    used = {index: column for column, indexes in positions.items() for index in indexes}

    def sample(index: int) -> str:
        values = (cells[index] for _line, cells in first if index < len(cells))
        return next((" ".join(value.split()) for value in values if value.strip()), "")

    return [
        FileColumn(index, " ".join(title.split()), sample(index), used.get(index))
        for index, title in enumerate(header)
    ]


_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{6,}$")
# A sheet's dates (a meeting's, a birthday) are written with a phone number's characters, and are no number
# to call: the forms sheets write a day in (ISO's, the five languages', the American one).
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%d-%m-%y",
    "%Y.%m.%d",
    "%Y. %m. %d.",
    "%Y.%m.%d.",
)


def _is_date(value: str) -> bool:
    for form in _DATE_FORMATS:
        try:
            datetime.strptime(value, form)
        except ValueError:
            continue
        return True
    return False


def looks_like(column: str, value: str) -> bool:
    """Whether a value reads as this PICKABLE column's: an address, a number, or (for a name) words."""
    if column == "email":
        try:
            return clean_field("email", value) is not None
        except Invalid:
            return False
    if column == "phone":
        digits = sum(char.isdigit() for char in value)
        return bool(_PHONE_LIKE.match(value)) and digits >= 6 and not _is_date(value.strip())
    return any(char.isalpha() for char in value) and not looks_like("email", value)


def to_ask(parsed: ParsedFile, picked: Mapping[str, int]) -> list[str]:
    """The PICKABLE columns the preview offers to point at: those the rep picked (to change the pick),
    and those no header named while some unrecognised column's values look like them."""
    return [
        column
        for column in PICKABLE
        if column in picked
        or (
            column not in parsed.columns
            and any(looks_like(column, choice.sample) for choice in choices(parsed.file_columns, column))
        )
    ]


def choices(columns: list[FileColumn], column: str) -> list[FileColumn]:
    """The file's columns to offer for one of ours, the likeliest first: those whose header went
    unrecognised and whose values look like it; a name may also come from a recognised column (a
    company's name, say), a phone or e-mail only from an unrecognised one; the column it comes from now,
    if any, comes first. Columns with no value in the first rows are left out."""
    offered = [
        candidate
        for candidate in columns
        if candidate.sample and (candidate.used_for in (None, column) or column == "name")
    ]
    # The column it comes from now first (a pick kept is a tap on it), then the likeliest.
    offered.sort(
        key=lambda candidate: (
            candidate.used_for != column,
            candidate.used_for is not None,
            not looks_like(column, candidate.sample),
        )
    )
    return offered[:MAX_CHOICES]


def _positions(header: list[str]) -> dict[str, list[int]]:
    """Our column -> the file's columns that hold it, best-named first (several only for phone and
    e-mail: the others keep their best)."""
    found: dict[str, list[tuple[int, int]]] = {}
    for index, title in enumerate(header):
        match = _LOOKUP.get(search_key(title.strip().strip('"')))
        if match:
            column, rank = match
            found.setdefault(column, []).append((rank, index))
    return {
        column: [index for _rank, index in sorted(ranked)][: None if column in FALLBACK_COLUMNS else 1]
        for column, ranked in found.items()
    }


def unguarded(text: str) -> str:
    """The cell without the apostrophe the bot's own export puts before a formula-like value (`'+358 …`,
    `'=Kone`), so that importing an export gives back what was exported. An apostrophe anywhere else, or
    before other text, is the cell's own."""
    if text.startswith("'") and safe_cell(text[1:]) == text:
        return text[1:].strip()
    return text


def _row(
    line: int,
    cells: list[str],
    positions: dict[str, list[int]],
    headers: Mapping[str, str],
    currency: str | None,
) -> tuple[ImportRow | InvalidRow, list[str]]:
    """The row, or why it is left out; and the reasons of the values it keeps in its note instead."""

    def candidates(column: str) -> list[str]:
        """The column's values in this row, in the order its headers rank (a phone column before a
        mobile one); Google Contacts puts a person's several numbers or addresses in one cell, " ::: "
        apart: each is a candidate."""
        found: list[str] = []
        for index in positions.get(column, ()):
            value = unguarded(cells[index].strip()) if index < len(cells) else ""
            pieces = value.split(GOOGLE_SEPARATOR) if column in FALLBACK_COLUMNS else [value]
            found.extend(piece.strip() for piece in pieces if piece.strip())
        return found

    def cell(column: str) -> str:
        """The first value of the column; for a phone or an email, the first one that is usable."""
        found = candidates(column)
        if column in FALLBACK_COLUMNS:
            for value in found:
                try:
                    clean_field(column, value)
                except Invalid:
                    continue
                return value
        return found[0] if found else ""

    # First and last name joined in the file's own order (Hungarian puts the family name first).
    parts = sorted(("first_name", "last_name"), key=lambda column: positions.get(column, [0])[0])
    name = cell("name") or " ".join(cell(part) for part in parts if cell(part))
    if not name:
        return InvalidRow(line, "no_name"), []
    try:
        values: dict[str, str | None] = {"name": clean_field("name", name)}
    except Invalid as problem:
        return InvalidRow(line, problem.problem), []
    kept: list[str] = []  # the reasons
    in_note: list[str] = []  # "<the file's header>: <the value as in the file>"

    def keep(column: str, reason: str, raw: str) -> None:
        kept.append(reason)
        in_note.append(f"{headers.get(column) or column}: {raw}")  # (a headerless file's has no title)

    for column in ("company", "role", "phone", "email", "industry", "location"):
        raw = cell(column)
        try:
            values[column] = clean_field(column, raw) if raw else None
        except Invalid as problem:
            values[column] = None
            keep(column, problem.problem, raw)
    value, deal_currency, readable = _deal_value(cell("value"), cell("currency"), currency)
    if not readable:
        keep("value", "value", " ".join(part for part in (cell("value"), cell("currency")) if part))
    # The values kept go first, so that a long note of the file's cannot cut them off.
    kept_text = "\n".join(in_note)
    room = NOTE_MAX - len(kept_text) - 1 if kept_text else NOTE_MAX
    note = "\n".join(part for part in (cell("note")[: max(room, 0)], kept_text) if part)[:NOTE_MAX] or None
    source = source_code(cell("source"))
    return ImportRow(
        line=line,
        name=values["name"] or name,
        company=values["company"],
        role=values["role"],
        phone=values["phone"],
        email=values["email"],
        source=source[:16] if source else None,
        industry=values["industry"],
        location=values["location"],
        note=note,
        # Google's labels, " ::: " apart, without its own ("* myContacts", "* starred").
        tags=tuple(
            tag for tag in parse_tags(cell("tags").replace(GOOGLE_SEPARATOR, ",")) if not tag.startswith("*")
        ),
        value_minor=value,
        currency=deal_currency,
        close_month=_close_month(cell("close_month")),
    ), kept


def _deal_value(value: str, currency: str, default: str | None) -> tuple[int | None, str | None, bool]:
    """A row's deal value with its currency ("90000.00", "EUR"; "12 000 €"), read as a typed one is, in
    the row's currency or else `default` (the rep's), and whether it was readable: an empty or zero value
    (some CRMs write 0 for no deal) is no deal; one in no currency the bot knows, or unreadable, is not."""
    code = currency.strip().upper() or (default or "")
    if not value:
        return None, None, True
    if not known_currency(code):
        return None, None, False
    try:
        return parse_amount(value, code), code, True
    except AmountRefused as refused:
        zero = refused.problem is AmountProblem.NOT_POSITIVE and re.search("[1-9]", value) is None
        return None, None, zero


def _close_month(text: str) -> str | None:
    """ "2027-03" (as the export writes it) or a date in that month: the month's first day, ISO 8601."""
    match = re.match(r"^\s*(\d{4})-(\d{2})(?:-\d{2})?", text)
    if match is None:
        return None
    month = read_month_code(match.group(1) + match.group(2))
    return month.isoformat() if month else None
