"""What a business card says: its fields from the text read off it (OCR) or from its QR code (vCard,
MeCard), by rules kept here as data. Pure functions: text in, fields out; nothing is fetched or stored.

Everything read off a card is hostile text (anyone can print a QR code): each value is stripped of control
characters and capped to the contact field it fills, a QR payload is capped before it is parsed, and a web
address is only text, never opened.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import phonenumbers
from babel.core import get_global

from bot.contact_fields import FIELDS, Invalid, clean_field
from bot.qualification import NOTE_MAX, QualificationAnswers, Step

# Caps on what one card may fill (the contact's own limits where it has a column).
NAME_MAX = FIELDS["name"].max_length
COMPANY_MAX = FIELDS["company"].max_length
ROLE_MAX = FIELDS["role"].max_length
PHONE_MAX = FIELDS["phone"].max_length
EMAIL_MAX = FIELDS["email"].max_length
WEBSITE_MAX = 200
ADDRESS_MAX = 300
PHONES_MAX = 4
# A QR code holds at most 2953 bytes; anything longer did not come from one.
QR_PAYLOAD_MAX = 4096
# OCR lines looked at: a card has a dozen; a page of text is not a card.
LINES_MAX = 60

# Company forms, written as companies write them; matched as whole words, case as listed (upper-case
# forms like AS or SA are words in other languages when lower-case: "as", "sa").
COMPANY_SUFFIXES: tuple[str, ...] = (
    # Finland
    "Oy", "Oyj", "Ab", "Ky", "Tmi", "Osk",
    # Norway
    "AS", "ASA", "ANS", "DA", "SA", "BA", "NUF",
    # Sweden, Denmark, Germany, the Netherlands
    "AB", "ApS", "A/S", "GmbH", "AG", "KG", "BV", "NV",
    # Hungary
    "Kft.", "Kft", "Zrt.", "Zrt", "Nyrt.", "Nyrt", "Bt.", "Bt", "Kkt.", "Kht.", "Nonprofit",
    # France
    "SAS", "SASU", "SARL", "EURL", "SNC", "SCOP", "SCI", "SE",
    # English-speaking
    "Ltd", "Ltd.", "Limited", "Inc", "Inc.", "LLC", "LLP", "PLC", "plc", "Corp", "Corp.", "Corporation",
    "Co.", "Group", "Oy Ab",
)  # fmt: skip

# As listed, and mixed-case forms in capitals too ("OY", "GMBH", "KFT."): cards print company names so.
_SUFFIXES = frozenset(COMPANY_SUFFIXES) | {
    suffix.upper() for suffix in COMPANY_SUFFIXES if not suffix.isupper()
}

# Words that make a line a job title, by language, lower-case. A word ending in "*" matches any word that
# starts with it; a Finnish or Hungarian compound ("myyntipäällikkö", "osztályvezető") is matched by the
# word it ends in, listed with a leading "*".
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "manager", "director", "ceo", "cto", "cfo", "coo", "cmo", "cio", "founder", "co-founder",
        "president", "vice", "vp", "head", "chief", "officer", "executive", "engineer", "consultant",
        "partner", "owner", "specialist", "developer", "designer", "architect", "analyst", "coordinator",
        "representative", "advisor", "adviser", "sales", "account", "lead", "buyer", "procurement",
        "chairman", "chairwoman", "secretary", "assistant", "technician", "controller", "agent",
    ),
    "fi": (
        "toimitusjohtaja", "*johtaja", "*päällikkö", "*asiantuntija", "*myyjä", "*neuvoja", "konsultti",
        "*insinööri", "yrittäjä", "omistaja", "*suunnittelija", "puheenjohtaja", "hallituksen", "*vastaava",
        "*koordinaattori", "*sihteeri", "*edustaja", "*kehittäjä", "*ostaja", "*esimies", "*vetäjä",
    ),
    "nb": (
        "daglig", "leder", "*leder", "*sjef", "direktør", "*direktør", "administrerende", "konsulent",
        "*konsulent", "rådgiver", "*rådgiver", "selger", "*selger", "ingeniør", "*ingeniør", "innehaver",
        "gründer", "styreleder", "partner", "*ansvarlig", "*koordinator", "*utvikler",
    ),
    "hu": (
        "ügyvezető", "*vezető", "igazgató", "*igazgató", "vezérigazgató", "üzletkötő", "tanácsadó",
        "*tanácsadó", "mérnök", "*mérnök", "menedzser", "*menedzser", "tulajdonos", "elnök", "referens",
        "*referens", "munkatárs", "*munkatárs", "kereskedelmi", "értékesítési", "*felelős", "*szakértő",
        "*koordinátor", "asszisztens",
    ),
    "fr": (
        "directeur", "directrice", "gérant", "gérante", "commercial", "commerciale", "responsable",
        "chef", "ingénieur", "ingénieure", "consultant", "consultante", "président", "présidente",
        "fondateur", "fondatrice", "chargé", "chargée", "attaché", "attachée", "pdg", "dg", "conseiller",
        "conseillère", "associé", "associée", "technicien", "technicienne", "acheteur", "acheteuse",
        "assistant", "assistante", "délégué", "déléguée",
    ),
}  # fmt: skip

# Words that begin a street or postal line, or end a street name, in the five languages.
STREET_WORDS: tuple[str, ...] = (
    "katu", "tie", "kuja", "polku", "väylä", "ranta", "aukio", "tori",
    "gate", "gata", "veien", "vei", "vegen", "veg", "plass", "allé", "alle", "torget", "brygge", "bryggen",
    "utca", "út", "útja", "tér", "körút", "köz", "sor", "rakpart",
    "rue", "avenue", "boulevard", "bd", "allée", "place", "chemin", "impasse", "quai", "cours", "route",
    "street", "st", "road", "rd", "lane", "avenue", "ave", "way", "drive", "square", "place", "court",
    "postboks", "pl", "pb", "bp", "cedex", "box", "suite", "floor",
)  # fmt: skip
# "00100 Helsinki", "0154 Oslo", "1052 Budapest", "75002 Paris", "London NW1 6XE", "NY 10001".
_POSTAL = re.compile(
    r"(?:\b\d{4,5}\s+\p{L}|\b(?:FI|N|NO|H|F)-\d{4,5}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b[A-Z]{2}\s+\d{5}\b)".replace(
        r"\p{L}", r"[^\W\d_]"
    )
)

# Labels in front of a value ("Puh.", "Mob:", "Tél.", "E-mail:"), removed before the value is read.
PHONE_LABELS: tuple[str, ...] = (
    "tel", "tél", "telefon", "telephone", "téléphone", "phone", "puh", "puhelin", "mob", "mobile",
    "mobil", "gsm", "cell", "matkapuhelin", "portable", "port", "direct", "dir", "vaihde", "sentralbord",
    "switchboard", "office", "standard", "m", "t", "p", "d", "o",
)  # fmt: skip
FAX_LABELS: tuple[str, ...] = ("fax", "faksi", "telefax", "télécopie", "f")
_LABEL = re.compile(r"^\s*([^\W\d_][\w.\-]{0,14})\s*[.:]?\s+(?=[+(\d])", re.UNICODE)
_EMAIL = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
_WEB = re.compile(
    r"(?<![@\w.])(?:https?://)?(?:www\.)?[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.[a-z]{2,12}(?:/[\w\-./?=&%#]*)?",
    re.IGNORECASE,
)
# Endings of the web addresses a card in these markets carries; another ending needs "www." to count.
_TLDS = frozenset((
    "fi", "no", "hu", "fr", "com", "net", "org", "eu", "io", "co", "uk", "de", "se", "dk", "ee", "info",
    "biz", "be", "ch", "ca", "us", "app", "tech", "ai", "dev", "fm", "me",
))  # fmt: skip
# Characters OCR puts at a line's ends that are not part of the text (bullets, rules, stray marks).
_EDGE_JUNK = " \t|•·*_—–-=~'\"`,;:«»()[]{}<>"
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’\-.]*(?:[\-'’][^\W\d_]+)*\.?$", re.UNICODE)
# Words a name may hold lower-case (de Gaulle, van der Berg, af Forselles).
_NAME_PARTICLES = frozenset(
    {"de", "du", "des", "la", "le", "van", "von", "der", "den", "af", "di", "da", "dr."}
)

# A rep's region when their time zone names no country (UTC): their language's.
_LANGUAGE_REGIONS = {"en": "GB", "fi": "FI", "nb": "NO", "hu": "HU", "fr": "FR"}


@dataclass(frozen=True)
class CardFields:
    """What was found on a card; empty strings are never stored, a missing field is None."""

    name: str | None = None
    company: str | None = None
    role: str | None = None
    phones: tuple[str, ...] = ()
    email: str | None = None
    website: str | None = None
    address: str | None = None
    from_qr: bool = False

    @property
    def empty(self) -> bool:
        return not (self.name or self.company or self.phones or self.email or self.website)


def region_for(timezone: str, language: str) -> str:
    """The country whose phone numbers a rep writes without a country code: their time zone's, else their
    language's."""
    territory = get_global("zone_territories").get(timezone)
    if isinstance(territory, str) and territory != "001":
        return territory
    return _LANGUAGE_REGIONS.get(language, "GB")


def clean_text(text: str, limit: int) -> str | None:
    """One value as it may be stored: control and format characters gone, whitespace collapsed, capped."""
    kept = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char
        for char in text
        if unicodedata.category(char) not in ("Cf", "Co", "Cs", "Cn")
    )
    value = " ".join(kept.split())[:limit].strip()
    return value or None


def normal_phone(text: str, region: str) -> str | None:
    """A phone number as '+358 40 123 4567' (international format), or None when it is not one."""
    digits = sum(char.isdigit() for char in text)
    if digits < 6 or digits > 17:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return formatted[:PHONE_MAX]


def _phones_in(line: str, region: str) -> list[str]:
    found: list[str] = []
    if sum(char.isdigit() for char in line) < 7:  # a postal code, a street number
        return found
    for match in phonenumbers.PhoneNumberMatcher(line, region, leniency=phonenumbers.Leniency.POSSIBLE):
        formatted = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        found.append(formatted[:PHONE_MAX])
    return found


def _label(line: str) -> str | None:
    match = _LABEL.match(line)
    return match.group(1).lower().rstrip(".:") if match else None


def _words(line: str) -> list[str]:
    return re.findall(r"[^\W\d_][\w'’\-./]*", line, re.UNICODE)


def _has_company_suffix(line: str) -> bool:
    words = re.findall(r"[\w./]+", line, re.UNICODE)
    stripped = {word.rstrip(",") for word in words}
    return bool(stripped & _SUFFIXES) or any(f" {suffix}" in f" {line} " for suffix in ("Oy Ab", "A/S"))


def _is_role(line: str) -> bool:
    for word in (word.lower().strip(".,/&") for word in _words(line)):
        for words in ROLE_WORDS.values():
            for role in words:
                if role.startswith("*"):
                    if word.endswith(role[1:]):
                        return True
                elif word == role:
                    return True
    return False


def _is_address(line: str) -> bool:
    if _POSTAL.search(line):
        return True
    if not any(char.isdigit() for char in line):
        return False
    for word in (word.lower().strip(".,") for word in _words(line)):
        for street in STREET_WORDS:
            if word == street or (len(street) >= 3 and len(word) > len(street) + 2 and word.endswith(street)):
                return True
    return False


def _looks_like_name(line: str) -> bool:
    words = line.split()
    if not 2 <= len(words) <= 4 or any(char.isdigit() for char in line):
        return False
    capitalised = 0
    for word in words:
        if word.lower() in _NAME_PARTICLES:
            continue
        if not _NAME_WORD.match(word):
            return False
        if word[0].isupper():
            capitalised += 1
        else:
            return False
    return capitalised >= 2


def _web_in(line: str, emails: Iterable[str]) -> str | None:
    domains = {email.rsplit("@", 1)[-1].lower() for email in emails}
    for match in _WEB.finditer(line):
        value = match.group(0).rstrip("./")
        host = re.sub(r"^https?://", "", value, flags=re.IGNORECASE).split("/")[0].lower()
        tld = host.rsplit(".", 1)[-1]
        if tld not in _TLDS and not value.lower().startswith(("www.", "http")):
            continue
        if "@" in line and host in domains and not value.lower().startswith(("www.", "http")):
            continue
        return normal_website(value)
    return None


def normal_website(value: str) -> str | None:
    """'https://www.Acme.fi/' → 'www.acme.fi': how the card prints it, without the scheme."""
    text = re.sub(r"^https?://", "", value.strip(), flags=re.IGNORECASE).rstrip("/")
    host, _, path = text.partition("/")
    cleaned = clean_text(host.lower() + (f"/{path}" if path else ""), WEBSITE_MAX)
    return cleaned if cleaned and "." in cleaned and " " not in cleaned else None


def _trim(line: str) -> str:
    return _mended(" ".join(line.split()).strip(_EDGE_JUNK))


_TLD_GROUP = "|".join(sorted(_TLDS, key=len, reverse=True))


def _mended(line: str) -> str:
    """What OCR does to the one-word lines of a card, undone: spaces around '@' and the dots of an
    address ("anna. virtanen @acme. fi"), a lost dot before the domain's ending ("acme fi"), '@' read as
    'Q' or '©', and 'www.' read as 'wwnw.' or 'ww.'."""
    if (
        "@" in line
        or re.search(r"\bw{2,4}[nv]?w?\s*\.", line, re.IGNORECASE)
        or re.search(rf"[\w-]\s*\.\s+(?:{_TLD_GROUP})\b", line)
    ):
        line = re.sub(r"\s*@\s*", "@", line)
        line = re.sub(r"(?<=[\w-])\s*\.\s*(?=[\w-])", ".", line)
        line = re.sub(rf"(@[\w-]+(?:\.[\w-]+)*) ({_TLD_GROUP})\b", r"\1.\2", line)
    if "@" not in line:
        line = re.sub(
            rf"^([\w.+-]+)(?:[Q©®&]|\(Ø|\(@|\(Q)((?:[\w-]+\.)+(?:{_TLD_GROUP}))$",
            r"\1@\2",
            line,
            flags=re.IGNORECASE,
        )
    return re.sub(r"^(?:w{2,4}[nv]?w?|vvww|wvw)\.(?=[a-z0-9])", "www.", line, flags=re.IGNORECASE)


def _company_from_domain(lines: Sequence[str], email: str | None, website: str | None) -> str | None:
    """With no company form on the card, the line that spells the email's or web address's domain."""
    host = (email.rsplit("@", 1)[-1] if email else None) or (website.split("/")[0] if website else None)
    if not host:
        return None
    stem = host.removeprefix("www.").split(".")[0].replace("-", "")
    if len(stem) < 3:
        return None
    for line in lines:
        folded = re.sub(r"[^a-z0-9]", "", _fold(line))
        if folded and (stem in folded or folded in stem) and len(folded) >= 3:
            return line
    return None


def _domain_as_on_the_web(email: str, website: str) -> str:
    """An email whose domain OCR misread at its end ("acme.co.ul") where the web address printed beside
    it reads "www.acme.co.uk": the web address's spelling of the same domain."""
    local, _, domain = email.partition("@")
    host = website.split("/")[0].removeprefix("www.")
    if domain == host or domain.split(".")[0] != host.split(".")[0]:
        return email
    if abs(len(domain) - len(host)) <= 2 and (host.startswith(domain[:-2]) or domain.startswith(host)):
        return f"{local}@{host}"
    return email


def _fold(text: str) -> str:
    return "".join(
        char for char in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(char)
    )


def _split_names(lines: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """A name that OCR read as two lines, one word each ("Päivi" / "Korhonen"): adjacent, alike in size."""
    joined = []
    for (first, height), (second, other) in itertools.pairwise(lines):
        alike = not height or not other or abs(height - other) <= 0.2 * max(height, other)
        candidate = f"{first} {second}"
        if " " not in first and " " not in second and alike and _looks_like_name(candidate):
            joined.append((candidate, max(height, other)))
    return joined


def fields_from_text(text: str, *, region: str, heights: Sequence[float] | None = None) -> CardFields:
    """The fields on a card from its text, one line per printed line (OCR's order); `heights`, the lines'
    letter heights where known, let the biggest of several name-like lines win."""
    raw_lines = text.splitlines()[:LINES_MAX]
    lines: list[tuple[str, float]] = []
    for index, raw in enumerate(raw_lines):
        line = _trim(clean_text(raw, 500) or "")
        if len(line) >= 2 and any(char.isalnum() for char in line):
            lines.append((line, heights[index] if heights and index < len(heights) else 0.0))
    phones: list[str] = []
    emails: list[str] = []
    website = address = company = role = None
    address_parts: list[str] = []
    rest: list[tuple[str, float]] = []
    for line, height in lines:
        found_emails = [email.strip(".'") for email in _EMAIL.findall(line)]
        emails.extend(found_emails)
        label = _label(line)
        line_phones = [] if label in FAX_LABELS else _phones_in(line, region)
        line_web = _web_in(_EMAIL.sub(" ", line), found_emails)
        if line_phones:
            phones.extend(phone for phone in line_phones if phone not in phones)
        if line_web and website is None:
            website = line_web
        if found_emails or line_phones or line_web or label in FAX_LABELS:
            continue
        if _is_address(line):
            address_parts.append(line)
            continue
        rest.append((line, height))
    email = clean_text(emails[0].lower(), EMAIL_MAX) if emails else None
    if email and website:
        email = _domain_as_on_the_web(email, website)
    names: list[tuple[str, float]] = []
    others: list[str] = []
    for line, height in rest:
        if company is None and _has_company_suffix(line):
            company = line
        elif role is None and _is_role(line):
            role = line
        elif _looks_like_name(line):
            names.append((line, height))
        else:
            others.append(line)
    if company is None:
        company = _company_from_domain(others + [line for line, _ in names], email, website)
        names = [(line, height) for line, height in names if line != company]
    if not names:
        names = _split_names(rest)
    name = max(names, key=lambda item: item[1])[0] if names else None
    if address_parts:
        address = ", ".join(address_parts[:3])
    return CardFields(
        name=clean_text(name, NAME_MAX) if name else None,
        company=clean_text(company, COMPANY_MAX) if company else None,
        role=clean_text(role, ROLE_MAX) if role else None,
        phones=tuple(phones[:PHONES_MAX]),
        email=email if email and "@" in email else None,
        website=website,
        address=clean_text(address, ADDRESS_MAX) if address else None,
    )


# QR codes: vCard (BEGIN:VCARD … END:VCARD) and MeCard (MECARD:N:…;TEL:…;;)


def fields_from_qr(payload: str, *, region: str) -> CardFields | None:
    """The fields of a vCard or MeCard QR code; None for any other code (a bare URL is never opened)."""
    text = payload[:QR_PAYLOAD_MAX].lstrip("\ufeff").strip()
    upper = text[:12].upper()
    if upper.startswith("BEGIN:VCARD"):
        values = _vcard_values(text)
    elif upper.startswith("MECARD:"):
        values = _mecard_values(text[len("MECARD:") :])
    else:
        return None
    return _fields_from_values(values, region)


def _vcard_values(text: str) -> list[tuple[str, str]]:
    # Folded lines (a continuation starts with a space or tab) are joined first (RFC 6350 §3.2).
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    values = []
    for line in unfolded.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        name = key.split(";")[0].split(".")[-1].upper()
        values.append((name, value))
    return values


def _mecard_values(text: str) -> list[tuple[str, str]]:
    values = []
    for part in re.split(r"(?<!\\);", text):
        key, sep, value = part.partition(":")
        if sep:
            values.append((key.strip().upper(), value))
    return values


def _unescape(value: str) -> str:
    return re.sub(r"\\([nN,;:\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _structured(value: str) -> list[str]:
    """A structured value's parts (N, ADR, ORG), split on unescaped semicolons (MeCard: commas in N)."""
    return [_unescape(part).strip() for part in re.split(r"(?<!\\);", value)]


def _fields_from_values(values: list[tuple[str, str]], region: str) -> CardFields:
    found: dict[str, str] = {}
    phones: list[str] = []
    for name, value in values:
        if name == "TEL" and len(phones) < PHONES_MAX:
            phone = normal_phone(_unescape(value), region)
            if phone and phone not in phones:
                phones.append(phone)
        elif name == "N" and "N" not in found:
            # MeCard writes "family,given"; vCard "family;given;…".
            parts = _structured(value if ";" in value else value.replace(",", ";", 1))
            family, given = [*parts, "", ""][:2]
            found["N"] = f"{given} {family}".strip()
        elif name == "ADR" and "ADR" not in found:
            # PO box; extended; street; locality; region; postal code; country
            parts = (_structured(value) + [""] * 7)[:7]
            street = ", ".join(part for part in parts[:3] if part)
            town = " ".join(part for part in (parts[5], parts[3]) if part)
            found["ADR"] = ", ".join(part for part in (street, town, parts[6]) if part)
        elif name == "ORG" and "ORG" not in found:
            found["ORG"] = " ".join(part for part in _structured(value) if part)
        elif name in ("FN", "TITLE", "EMAIL", "URL", "NOTE", "ROLE") and name not in found:
            found[name] = _unescape(value)
    who = clean_text(found.get("FN") or found.get("N", ""), NAME_MAX)
    email = clean_text(found.get("EMAIL", "").lower(), EMAIL_MAX)
    return CardFields(
        name=who,
        company=clean_text(found.get("ORG", ""), COMPANY_MAX),
        role=clean_text(found.get("TITLE") or found.get("ROLE", ""), ROLE_MAX),
        phones=tuple(phones),
        email=email if email and _EMAIL.fullmatch(email) else None,
        website=normal_website(found["URL"]) if found.get("URL") else None,
        address=clean_text(found.get("ADR", ""), ADDRESS_MAX),
        from_qr=True,
    )


def merged(qr: CardFields, printed: CardFields) -> CardFields:
    """The QR code's fields win; the printed text fills only what the code left out."""
    return replace(
        qr,
        name=qr.name or printed.name,
        company=qr.company or printed.company,
        role=qr.role or printed.role,
        phones=qr.phones or printed.phones,
        email=qr.email or printed.email,
        website=qr.website or printed.website,
        address=qr.address or printed.address,
    )


# From the card to the capture, and back out of it on Save


def answers_from_card(fields: CardFields, *, note: str | None) -> QualificationAnswers:
    """A capture's first answers: what the card says; the photo's caption as the note."""
    first, *others = fields.phones or (None,)
    return QualificationAnswers(
        name=fields.name,
        company=fields.company,
        role=fields.role,
        phone=first,
        other_phones=tuple(phone for phone in others if phone) or None,
        email=fields.email,
        website=fields.website,
        address=fields.address,
        note=clean_note(note) if note else None,
    )


def clean_note(text: str) -> str | None:
    """A caption as a note: control characters gone (line breaks kept), capped."""
    lines = [clean_text(line, NOTE_MAX) or "" for line in text.splitlines()]
    return "\n".join(lines).strip()[:NOTE_MAX] or None


def clean_detail(step: Step, text: str) -> str | None:
    """A detail typed through the summary's Edit, as it is stored; '-' clears it; Invalid when it cannot
    be one (an email without '@', a phone without digits, too long)."""
    if step in (Step.ROLE, Step.PHONE, Step.EMAIL):
        return clean_field(step.value, text)
    value = " ".join(text.split())
    if value in ("", "-"):
        return None
    limit = WEBSITE_MAX if step is Step.WEBSITE else ADDRESS_MAX
    if len(value) > limit:
        raise Invalid("too_long")
    if step is Step.WEBSITE:
        website = normal_website(value)
        if website is None:
            raise Invalid("website")
        return website
    return clean_text(value, limit)


def detail_limit(step: Step) -> int:
    """How long a typed detail may be."""
    return {Step.WEBSITE: WEBSITE_MAX, Step.ADDRESS: ADDRESS_MAX}.get(step) or FIELDS[step.value].max_length


def details_in_note(answers: QualificationAnswers, labels: Mapping[str, str]) -> QualificationAnswers:
    """The details a contact has no field for (web address, street address, more phones) written into
    the meeting's note on Save, one labelled line each, so that they are kept, found by /find and shown
    in the history; `labels` are the words for 'website', 'address' and 'phone' in the rep's language."""
    lines = []
    if answers.other_phones:
        lines.append(f"{labels['phone']}: {', '.join(answers.other_phones)}")
    if answers.website:
        lines.append(f"{labels['website']}: {answers.website}")
    if answers.address:
        lines.append(f"{labels['address']}: {answers.address}")
    if not lines:
        return answers
    note = "\n".join([*lines, answers.note] if answers.note else lines)[:NOTE_MAX]
    return answers.model_copy(update={"note": note})
