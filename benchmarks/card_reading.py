"""Benchmark: reading business cards. A corpus of generated cards in the five languages' conventions, each
clean and degraded like a phone photo, read by the bot's own reader; field accuracy and time per card.

    .venv/bin/python -m benchmarks.card_reading                      # the bot's reader, 100 cards
    .venv/bin/python -m benchmarks.card_reading --compare            # bindings and preprocessing too
    .venv/bin/python -m benchmarks.card_reading --save /tmp/cards    # also write the images, to look at

Needs the apt packages the README lists (tesseract-ocr and its language packs) and, for the card faces,
fonts-dejavu-core fonts-liberation2 fonts-noto-core; and the bench extra (segno draws the QR codes).
"""

from __future__ import annotations

import argparse
import io
import math
import random
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import phonenumbers
import segno
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bot.card_fields import CardFields, fields_from_text, merged
from bot.card_reading import CardReader, for_reading, open_image, qr_payloads

FONT_DIRS = (Path("/usr/share/fonts/truetype"),)
FONT_FAMILIES = (
    ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Bold.ttf"),
    ("liberation2/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Bold.ttf"),
    ("liberation2/LiberationSerif-Regular.ttf", "liberation2/LiberationSerif-Bold.ttf"),
    ("noto/NotoSans-Regular.ttf", "noto/NotoSans-Bold.ttf"),
    ("noto/NotoSerif-Regular.ttf", "noto/NotoSerif-Bold.ttf"),
)
FIELD_NAMES = ("name", "company", "role", "phones", "email", "website", "address")

# People, companies and titles as each country prints them.
PEOPLE = {
    "fi": {
        "region": "FI",
        "timezone": "Europe/Helsinki",
        "given": ["Anna", "Mikko", "Päivi", "Jussi", "Sari", "Timo", "Leena", "Jyrki", "Hanna", "Ville"],
        "family": ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen", "Koskinen"],
        "company": ["{f} Kone Oy", "Nordic Solutions Oyj", "Pohjolan Puu Oy", "Savon Sähkö Oy", "Tmi {g} {f}",
                    "Lapin Matkat Oy", "Kiinteistö Karhu Oy"],
        "title": ["Toimitusjohtaja", "Myyntipäällikkö", "Asiakkuuspäällikkö", "Tuotepäällikkö",
                  "Myyntijohtaja", "Projektipäällikkö", "Myyntiasiantuntija"],
        "mobile": ["040 {3} {4}", "+358 50 {3} {4}", "044 {3}{4}", "+358 40 {7}"],
        "office": ["(09) {4} {4}", "+358 9 {4} {3}", "020 {3} {4}"],
        "street": ["Mannerheimintie {n}", "Hämeenkatu {n} B", "Kauppakatu {n}", "Teollisuustie {n}"],
        "town": ["00100 Helsinki", "33100 Tampere", "20100 Turku", "90100 Oulu", "70100 Kuopio"],
        "tld": "fi",
        "labels": {"mobile": ["Puh.", "GSM", "Mob.", ""], "office": ["Vaihde", "Puh.", "Tel."]},
    },
    "nb": {
        "region": "NO",
        "timezone": "Europe/Oslo",
        "given": ["Ola", "Kari", "Bjørn", "Ingrid", "Lars", "Sigrid", "Håkon", "Åse", "Erik", "Marit"],
        "family": ["Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Østby", "Bakke", "Dahl", "Haugen"],
        "company": ["Fjord Data AS", "Nordlys Energi ASA", "{f} Bygg AS", "Bergen Marine AS",
                    "Vestland Fisk AS", "Trondheim Teknikk AS"],
        "title": ["Daglig leder", "Salgssjef", "Prosjektleder", "Markedssjef", "Key Account Manager",
                  "Avdelingsleder", "Salgskonsulent"],
        "mobile": ["+47 {3} {2} {3}", "{3} {2} {3}", "+47 {2} {2} {2} {2}"],
        "office": ["22 {2} {2} {2}", "+47 55 {2} {2} {2}"],
        "street": ["Karl Johans gate {n}", "Storgata {n}", "Bryggen {n}", "Havnegata {n}", "Sjøveien {n}"],
        "town": ["0154 Oslo", "5003 Bergen", "7011 Trondheim", "4006 Stavanger"],
        "tld": "no",
        "labels": {"mobile": ["Mobil:", "Mob.", "Tlf.", ""], "office": ["Tlf.", "Sentralbord:"]},
    },
    "hu": {
        "region": "HU",
        "timezone": "Europe/Budapest",
        "given": ["Anna", "Péter", "Éva", "Gábor", "Zsófia", "László", "Katalin", "Balázs", "Ildikó"],
        "family": ["Kovács", "Nagy", "Szabó", "Tóth", "Horváth", "Varga", "Kiss", "Molnár", "Németh"],
        "company": ["Duna Informatika Kft.", "Pannon Logisztika Zrt.", "Magyar Gépgyár Nyrt.",
                    "{f} és Társa Bt.", "Balaton Szoftver Kft.", "Tisza Energia Zrt."],
        "title": ["Ügyvezető", "Értékesítési vezető", "Ügyfélmenedzser", "Kereskedelmi igazgató",
                  "Projektvezető", "Értékesítési tanácsadó"],
        "mobile": ["+36 30 {3} {4}", "+36 20 {3} {4}", "06 70 {3} {4}"],
        "office": ["+36 1 {3} {4}", "06 1 {3} {4}"],
        "street": ["Váci utca {n}.", "Andrássy út {n}.", "Király utca {n}.", "Petőfi Sándor utca {n}."],
        "town": ["1052 Budapest", "6720 Szeged", "4024 Debrecen", "7621 Pécs"],
        "tld": "hu",
        "labels": {"mobile": ["Mobil:", "Tel.:", "M:", ""], "office": ["Tel.:", "Iroda:"]},
        "family_first": True,
    },
    "fr": {
        "region": "FR",
        "timezone": "Europe/Paris",
        "given": ["Camille", "Jean-Pierre", "Élodie", "François", "Amélie", "Nicolas", "Hélène", "Sébastien"],
        "family": ["Dubois", "Martin", "Lefèvre", "Moreau", "Laurent", "Girard", "Rousseau", "Fontaine"],
        "company": ["Lumière Conseil SAS", "Boulangerie {f} SARL", "Atelier Fontaine SARL",
                    "Groupe Rhône Industrie SA", "Provence Logistique SAS", "Bretagne Numérique SAS"],
        "title": ["Directeur commercial", "Gérante", "Responsable des ventes", "Chargée d'affaires",
                  "Directrice générale", "Ingénieur commercial", "Chef de projet"],
        "mobile": ["06 {2} {2} {2} {2}", "+33 6 {2} {2} {2} {2}", "07 {2} {2} {2} {2}"],
        "office": ["01 {2} {2} {2} {2}", "+33 4 {2} {2} {2} {2}"],
        "street": ["{n} rue de la Paix", "{n} avenue Victor Hugo", "{n} boulevard Haussmann", "{n} place Bellecour"],
        "town": ["75002 Paris", "69002 Lyon", "13001 Marseille", "33000 Bordeaux", "44000 Nantes"],
        "tld": "fr",
        "labels": {"mobile": ["Port.", "Mob.", "Tél.", ""], "office": ["Tél.", "Standard"]},
    },
    "en": {
        "region": "GB",
        "timezone": "Europe/London",
        "given": ["James", "Sarah", "Emily", "Oliver", "Charlotte", "Daniel", "Sophie", "Michael"],
        "family": ["Smith", "O'Connor", "Clarke", "Taylor", "Walker", "Harris", "Bennett", "Wright"],
        "company": ["Brightwave Ltd", "Acme Robotics Inc.", "Northwind Traders LLC", "{f} & Sons Ltd",
                    "Greenfield Analytics Ltd", "Harbour Systems PLC"],
        "title": ["Sales Manager", "Chief Executive Officer", "Head of Procurement", "Account Executive",
                  "Business Development Director", "Managing Director", "Regional Sales Lead"],
        "mobile": ["07700 {3}{3}", "+44 7700 {3}{3}", "+44 7911 {6}"],
        "office": ["+44 20 7946 {4}", "020 7946 {4}", "0161 {3} {4}"],
        "street": ["{n} Baker Street", "{n} High Street", "{n} King's Road", "{n} Station Road"],
        "town": ["London NW1 6XE", "Manchester M1 1AE", "Bristol BS1 4DJ", "Leeds LS1 4AP"],
        "tld": "co.uk",
        "labels": {"mobile": ["Mobile:", "M:", "Mob.", ""], "office": ["Tel:", "T:", "Office:"]},
    },
}  # fmt: skip


@dataclass
class Card:
    """One generated card: what it says, and its images."""

    index: int
    language: str
    region: str
    expected: dict[str, object]
    qr: bool
    layout: str
    font: str
    clean: bytes = b""
    degraded: bytes = b""
    lines: list[tuple[str, str]] = field(default_factory=list)  # (text, style)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


def _number(rng: random.Random, pattern: str) -> str:
    text = re.sub(r"\{(\d)\}", lambda m: _digits(rng, int(m.group(1))), pattern)
    # A leading zero group must not become an unassigned range (e.g. "0 " after the area code).
    return text


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]", "", "".join(char for char in folded if not unicodedata.combining(char)))


def _valid_number(rng: random.Random, patterns: list[str], region: str) -> tuple[str, str]:
    for _ in range(200):
        printed = _number(rng, rng.choice(patterns))
        parsed = phonenumbers.parse(printed, region)
        if phonenumbers.is_valid_number(parsed):
            return printed, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    raise RuntimeError("no valid number drawn")


def make_card(index: int, rng: random.Random) -> Card:
    language = ("fi", "nb", "hu", "fr", "en")[index % 5]
    data = PEOPLE[language]
    region = str(data["region"])
    given, family = rng.choice(data["given"]), rng.choice(data["family"])  # type: ignore[arg-type]
    name = f"{family} {given}" if data.get("family_first") else f"{given} {family}"
    company = rng.choice(data["company"]).format(f=family, g=given)  # type: ignore[attr-defined]
    title = rng.choice(data["title"])  # type: ignore[arg-type]
    domain = _ascii(
        re.sub(r"\b(Oy|Oyj|AS|ASA|Kft|Zrt|Nyrt|Bt|SAS|SARL|SA|Ltd|Inc|LLC|PLC|Tmi)\b\.?", "", company)
    )
    domain = f"{domain[:18]}.{data['tld']}"
    email = f"{_ascii(given)}.{_ascii(family)}@{domain}"
    website = f"www.{domain}"
    mobile, mobile_e164 = _valid_number(rng, data["mobile"], region)  # type: ignore[arg-type]
    phones = [(mobile, mobile_e164, "mobile")]
    if rng.random() < 0.6:
        office, office_e164 = _valid_number(rng, data["office"], region)  # type: ignore[arg-type]
        phones.append((office, office_e164, "office"))
    street = rng.choice(data["street"]).format(n=rng.randint(1, 120))  # type: ignore[attr-defined]
    town = rng.choice(data["town"])  # type: ignore[arg-type]
    has_web = rng.random() < 0.7
    has_address = rng.random() < 0.7
    expected: dict[str, object] = {
        "name": name,
        "company": company,
        "role": title,
        "phones": [e164 for _, e164, _ in phones],
        "email": email,
        "website": website if has_web else None,
        "address": f"{street}, {town}" if has_address else None,
    }
    layout = rng.choice(["left", "company_top", "two_column", "centered"])
    font = rng.randrange(len(FONT_FAMILIES))
    card = Card(index, language, region, expected, rng.random() < 0.25, layout, FONT_FAMILIES[font][0])
    labels = data["labels"]  # type: ignore[assignment]
    phone_lines = []
    for printed, _, kind in phones:
        label = rng.choice(labels[kind])  # type: ignore[index]
        phone_lines.append(f"{label} {printed}".strip())
    contact = [*phone_lines, email]
    if has_web:
        contact.append(website)
    address = [street, town] if has_address else []
    card.lines = [(name, "name"), (title, "title"), (company, "company")]
    card.lines += [(line, "small") for line in contact + address]
    card.clean = _draw(card, rng, font, name, title, company, contact, address)
    card.degraded = _degrade(card.clean, rng)
    return card


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIRS[0] / path), size)


def _fitting(path: str, size: int, text: str, room: float) -> ImageFont.FreeTypeFont:
    """The font at this size, or smaller until the line fits on the card, as a designer would set it."""
    font = _font(path, size)
    while size > 14 and font.getlength(text) > room:
        size -= 1
        font = _font(path, size)
    return font


def _vcard(card: Card) -> str:
    e = card.expected
    family, _, given = str(e["name"]).partition(" ")
    if card.language != "hu":
        given, _, family = str(e["name"]).rpartition(" ")
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{family};{given};;;", f"FN:{e['name']}", f"ORG:{e['company']}",
             f"TITLE:{e['role']}"]  # fmt: skip
    lines += [f"TEL;TYPE=WORK:{phone}" for phone in e["phones"]]  # type: ignore[attr-defined]
    lines.append(f"EMAIL:{e['email']}")
    if e["website"]:
        lines.append(f"URL:https://{e['website']}/")
    if e["address"]:
        # The whole town line as the locality: its postal code stays where the country puts it.
        street, _, town = str(e["address"]).partition(", ")
        lines.append(f"ADR;TYPE=WORK:;;{street};{town};;;")
    lines.append("END:VCARD")
    return "\r\n".join(lines)


def _draw(
    card: Card,
    rng: random.Random,
    font: int,
    name: str,
    title: str,
    company: str,
    contact: list[str],
    address: list[str],
) -> bytes:
    width, height = 1050, 600  # 3.5 x 2 inches at 300 dpi
    paper = rng.choice([(255, 255, 255), (250, 247, 240), (244, 244, 246), (255, 252, 245)])
    ink = rng.choice([(20, 20, 20), (30, 40, 70), (40, 40, 40), (10, 60, 50)])
    accent = rng.choice([(0, 90, 160), (170, 30, 40), (20, 120, 80), (200, 120, 0)])
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    regular, bold = FONT_FAMILIES[font]
    big, mid, small = rng.randint(50, 60), rng.randint(32, 38), rng.randint(25, 29)
    f_name, f_title, f_company = _font(bold, big), _font(regular, mid), _font(bold, mid + 4)
    margin = 60
    qr_size = 230 if card.qr else 0
    if card.qr:
        qr = segno.make(_vcard(card), error="m")
        buffer = io.BytesIO()
        qr.save(buffer, kind="png", scale=4, border=2)
        qr_image = (
            Image.open(io.BytesIO(buffer.getvalue()))
            .convert("RGB")
            .resize((qr_size, qr_size), Image.Resampling.NEAREST)
        )
        image.paste(qr_image, (width - qr_size - 40, height - qr_size - 40))
    # A logo mark: a coloured block with the company's initial.
    if rng.random() < 0.5:
        draw.rectangle((width - 130, 40, width - 50, 120), fill=accent)
        draw.text((width - 90, 80), company[0], font=_font(bold, 56), fill=paper, anchor="mm")
    if card.layout == "company_top":
        y = margin - 10
        draw.text((margin, y), company, font=f_company, fill=accent)
        y += mid + 40
        draw.line((margin, y - 15, margin + 300, y - 15), fill=accent, width=4)
        draw.text((margin, y), name, font=f_name, fill=ink)
        y += big + 12
        draw.text((margin, y), title, font=f_title, fill=ink)
        y += mid + 30
        for line in contact + address:
            draw.text(
                (margin, y), line, font=_fitting(regular, small, line, width - 2 * margin - qr_size), fill=ink
            )
            y += small + 9
    elif card.layout == "two_column":
        y = margin
        draw.text((margin, y), name, font=f_name, fill=ink)
        draw.text((margin, y + big + 10), title, font=f_title, fill=ink)
        draw.text((margin, height - margin - mid - 6), company, font=f_company, fill=accent)
        # The contact lines in a column on the right, or under the name when a QR code takes the right.
        x, y = (margin, margin + big + mid + 40) if card.qr else (width // 2 + 20, margin + big + mid + 40)
        for line in contact + address:
            draw.text(
                (x, y),
                line,
                font=_fitting(regular, small, line, width - x - 30 - (qr_size if x == margin else 0)),
                fill=ink,
            )
            y += small + 8
    elif card.layout == "centered" and not card.qr:
        y = margin
        for text, fnt, colour in ((company, f_company, accent), (name, f_name, ink), (title, f_title, ink)):
            draw.text((width // 2, y), text, font=fnt, fill=colour, anchor="ma")
            y += fnt.size + 18
        y += 10
        for line in contact + address:
            draw.text(
                (width // 2, y),
                line,
                font=_fitting(regular, small, line, width - 2 * margin),
                fill=ink,
                anchor="ma",
            )
            y += small + 7
    else:
        y = margin
        draw.text((margin, y), name, font=f_name, fill=ink)
        y += big + 10
        draw.text((margin, y), title, font=f_title, fill=ink)
        y += mid + 12
        draw.text((margin, y), company, font=f_company, fill=accent)
        y += mid + 34
        for line in contact + address:
            draw.text(
                (margin, y), line, font=_fitting(regular, small, line, width - 2 * margin - qr_size), fill=ink
            )
            y += small + 8
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _perspective_coefficients(
    source: list[tuple[float, float]], target: list[tuple[float, float]]
) -> list[float]:
    matrix = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(matrix, dtype=float)
    b = np.array(source, dtype=float).reshape(8)
    return list(np.linalg.solve(a, b))


def _degrade(clean: bytes, rng: random.Random) -> bytes:
    """The card as a phone photographs it on a table: tilted, in perspective, a little out of focus, with
    sensor noise and a lamp's uneven light, saved as a JPEG at Telegram's 1280 pixels."""
    card = Image.open(io.BytesIO(clean)).convert("RGB")
    canvas_w, canvas_h = 1500, 1000
    table = rng.choice([(120, 95, 70), (90, 90, 95), (160, 150, 135), (60, 70, 80)])
    canvas = Image.new("RGB", (canvas_w, canvas_h), table)
    # Perspective: the card's corners moved by up to 6 % of its size.
    w, h = card.size
    jitter = [(rng.uniform(-0.06, 0.06) * w, rng.uniform(-0.06, 0.06) * h) for _ in range(4)]
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    target = [(cx + dx + 60, cy + dy + 60) for (cx, cy), (dx, dy) in zip(corners, jitter, strict=True)]
    size = (w + 120, h + 120)
    coefficients = _perspective_coefficients(corners, target)
    warped = card.transform(size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC)
    mask = Image.new("L", card.size, 255).transform(size, Image.Transform.PERSPECTIVE, coefficients)
    angle = rng.uniform(-10, 10)
    warped = warped.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    mask = mask.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    scale = rng.uniform(1.0, 1.25)
    warped = warped.resize((int(warped.width * scale), int(warped.height * scale)), Image.Resampling.BICUBIC)
    mask = mask.resize(warped.size)
    x = (canvas_w - warped.width) // 2 + rng.randint(-40, 40)
    y = (canvas_h - warped.height) // 2 + rng.randint(-30, 30)
    canvas.paste(warped, (max(x, 0), max(y, 0)), mask)
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.6)))
    pixels = np.asarray(canvas, dtype=np.float32)
    # Uneven light: a lamp on one side, a shadow on the other.
    yy, xx = np.mgrid[0:canvas_h, 0:canvas_w]
    direction = rng.uniform(0, 2 * math.pi)
    ramp = np.cos(direction) * xx / canvas_w + np.sin(direction) * yy / canvas_h
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    light = 1.0 - rng.uniform(0.25, 0.45) * ramp
    pixels = pixels * light[..., None]
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(4, 9), pixels.shape)
    pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    photo = Image.fromarray(pixels).resize((1280, int(1280 * canvas_h / canvas_w)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=rng.randint(55, 80))
    return buffer.getvalue()


# Scoring


def _norm(value: object) -> str:
    text = unicodedata.normalize("NFC", str(value or "")).casefold()
    text = re.sub(r"[\s,.;:]+", " ", text).strip()
    return text


def _e164(phone: str, region: str) -> str:
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(phone, region), phonenumbers.PhoneNumberFormat.E164
        )
    except phonenumbers.NumberParseException:
        return phone


def score(card: Card, fields: CardFields) -> dict[str, tuple[int, int]]:
    """Per field (right, counted): exact after normalisation; each expected phone counts once."""
    result: dict[str, tuple[int, int]] = {}
    for name in FIELD_NAMES:
        expected = card.expected[name]
        if name == "phones":
            wanted = list(expected)  # type: ignore[call-overload]
            got = {_e164(phone, card.region) for phone in fields.phones}
            result[name] = (sum(phone in got for phone in wanted), len(wanted))
            continue
        if expected is None:
            continue
        result[name] = (int(_norm(getattr(fields, name)) == _norm(expected)), 1)
    return result


Reader = Callable[[bytes, Card], CardFields]


def bot_reader(reader: CardReader) -> Reader:
    language = {"fi": "fi", "nb": "nb", "hu": "hu", "fr": "fr", "en": "en"}

    def read(data: bytes, card: Card) -> CardFields:
        return reader.read(data, region=card.region, language=language[card.language]).fields

    return read


def variant(
    reader: CardReader, *, engine: str, prep: str, languages: str | None = None, psm: int = 11
) -> Reader:
    """The same pipeline with another binding (pytesseract runs the tesseract program), another
    preprocessing or other language packs, for the comparison."""
    import pytesseract
    import tesserocr

    apis: dict[str, tesserocr.PyTessBaseAPI] = {}

    def ocr(image: Image.Image, langs: str) -> tuple[str, list[float]]:
        if engine == "pytesseract":
            data = pytesseract.image_to_data(
                image, lang=langs, config=f"--psm {psm}", output_type=pytesseract.Output.DICT
            )
            lines: dict[tuple[int, int, int], list[tuple[str, int]]] = {}
            for i, word in enumerate(data["text"]):
                if word.strip():
                    key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
                    lines.setdefault(key, []).append((word, data["height"][i]))
            texts = [" ".join(word for word, _ in words) for words in lines.values()]
            return "\n".join(texts), [float(max(h for _, h in words)) for words in lines.values()]
        key = f"{langs}:{psm}"
        if key not in apis:
            apis[key] = tesserocr.PyTessBaseAPI(path=str(reader.tessdata), lang=langs, psm=psm)
        api = apis[key]
        api.SetImage(image)
        api.Recognize()
        out, heights = [], []
        level = tesserocr.RIL.TEXTLINE
        for line in tesserocr.iterate_level(api.GetIterator(), level):
            text, box = line.GetUTF8Text(level), line.BoundingBox(level)
            if text and box:
                for part in text.splitlines():
                    if part.strip():
                        out.append(part)
                        heights.append(float(box[3] - box[1]))
        return "\n".join(out), heights

    def read(data: bytes, card: Card) -> CardFields:
        image = open_image(data)
        from bot.card_fields import fields_from_qr

        qr = next((f for p in qr_payloads(image) if (f := fields_from_qr(p, region=card.region))), None)
        if qr is not None and qr.name and (qr.phones or qr.email):
            return qr
        if prep == "none":
            prepared = image
        elif prep == "resize":
            scale = 1600 / max(image.size)
            prepared = image.resize(
                (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
            )
        else:
            prepared = for_reading(image)
        langs = languages or reader.languages(card.language)
        text, heights = ocr(prepared, langs)
        printed = fields_from_text(text, region=card.region, heights=heights)
        return merged(qr, printed) if qr is not None else printed

    return read


def run(cards: list[Card], reader: Reader, which: str) -> tuple[dict[str, float], list[float], list[float]]:
    totals: dict[str, list[int]] = {name: [0, 0] for name in FIELD_NAMES}
    qr_totals: list[int] = [0, 0]
    times = []
    for card in cards:
        data = card.clean if which == "clean" else card.degraded
        started = time.perf_counter()
        fields = reader(data, card)
        times.append(time.perf_counter() - started)
        for name, (right, counted) in score(card, fields).items():
            totals[name][0] += right
            totals[name][1] += counted
        if card.qr:
            qr_totals[0] += int(fields.from_qr)
            qr_totals[1] += 1
    accuracy = {name: right / counted if counted else 0.0 for name, (right, counted) in totals.items()}
    accuracy["qr decoded"] = qr_totals[0] / qr_totals[1] if qr_totals[1] else 0.0
    return accuracy, times, []


def _row(label: str, accuracy: dict[str, float], times: list[float]) -> str:
    cells = [f"{accuracy[name] * 100:.0f} %" for name in (*FIELD_NAMES, "qr decoded")]
    p50 = statistics.median(times)
    p95 = sorted(times)[int(len(times) * 0.95) - 1]
    return f"| {label} | " + " | ".join(cells) + f" | {p50:.2f} / {p95:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=100)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--compare", action="store_true", help="also the other bindings and preprocessings")
    parser.add_argument("--save", type=Path, help="write the clean and degraded images here")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    reader = CardReader()
    if not reader.available:
        sys.exit("Tesseract's language data is not installed (see README.md, 'Reading business cards').")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    cards = [make_card(index, rng) for index in range(args.cards)]
    print(f"{len(cards)} cards generated in {time.perf_counter() - started:.1f} s, "
          f"{sum(card.qr for card in cards)} with a QR code")  # fmt: skip
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for card in cards:
            (args.save / f"{card.index:03d}-{card.language}-clean.png").write_bytes(card.clean)
            (args.save / f"{card.index:03d}-{card.language}-photo.jpg").write_bytes(card.degraded)
    header = "| reader | " + " | ".join((*FIELD_NAMES, "qr decoded")) + " | s per card p50 / p95 |"
    print(header)
    print("|" + "---|" * (len(FIELD_NAMES) + 3))
    readers: list[tuple[str, Reader]] = [("the bot (tesserocr, light preprocessing)", bot_reader(reader))]
    if args.compare:
        readers += [
            ("pytesseract, light preprocessing", variant(reader, engine="pytesseract", prep="light")),
            ("tesserocr, resized only", variant(reader, engine="tesserocr", prep="resize")),
            ("tesserocr, no preprocessing", variant(reader, engine="tesserocr", prep="none")),
            ("tesserocr, light, psm 3 (auto)", variant(reader, engine="tesserocr", prep="light", psm=3)),
            ("tesserocr, light, all five languages", variant(reader, engine="tesserocr", prep="light", languages="eng+fin+nor+hun+fra")),
        ]  # fmt: skip
    for label, read in readers:
        for which in ("clean", "degraded"):
            accuracy, times, _ = run(cards, read, which)
            print(_row(f"{label}, {which}", accuracy, times), flush=True)
    if args.show_misses:
        read = bot_reader(reader)
        for card in cards:
            for which in ("clean", "degraded"):
                fields = read(card.clean if which == "clean" else card.degraded, card)
                for name, (right, counted) in score(card, fields).items():
                    if right < counted:
                        print(f"{card.index:03d} {card.language} {which} {card.layout} {name}: "
                              f"expected {card.expected[name]!r}, read {getattr(fields, name)!r}")  # fmt: skip


if __name__ == "__main__":
    main()
