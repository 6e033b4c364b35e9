"""Reading a photo of a business card: the image checked and opened, its QR code decoded, its text read
with Tesseract (through tesserocr), and the fields found by the rules in `bot.card_fields`.

A read is CPU work of about a second: the caller runs `CardReader.read` on a thread, never on the event
loop. The image lives only in memory for the read; nothing of it is kept.
"""

from __future__ import annotations

import io
import logging
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from bot.card_fields import QR_PAYLOAD_MAX, CardFields, fields_from_qr, fields_from_text, merged

log = logging.getLogger(__name__)

# A phone photo is a few MB; Telegram lets a bot download files of up to 20 MB.
MAX_BYTES = 12 * 1024 * 1024
# Pixels, checked from the header before anything is decoded (a small file can unpack to gigabytes).
MAX_PIXELS = 40_000_000
MAX_SIDE = 12_000
# Under this, no card text is legible.
MIN_SIDE = 200
# The text is read at this size (the longer side): a card's small print then has the letter height
# Tesseract reads best, and a 12-megapixel photo is not read at full size (benchmarks/card_reading.py).
READ_SIDE = 1600
# Tesseract's language packs: the five the bot speaks (Norwegian Bokmål is Tesseract's "nor").
TESSERACT_LANGUAGES = {"en": "eng", "fi": "fin", "nb": "nor", "hu": "hun", "fr": "fra"}
# Where Debian's tesseract-ocr-* packages put the language data (tesseract 5, then 4).
TESSDATA_DIRS = (
    Path("/usr/share/tesseract-ocr/5/tessdata"),
    Path("/usr/share/tesseract-ocr/4.00/tessdata"),
    Path("/usr/share/tessdata"),
)


class Refusal(StrEnum):
    """Why an image was not read; the message id suffix of what the rep is told."""

    TOO_BIG = "too_big"
    BROKEN = "broken"
    TOO_SMALL = "too_small"


class ImageRefused(ValueError):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


class CardReadingUnavailable(RuntimeError):
    """Tesseract or its language data is not installed on this server."""


@dataclass(frozen=True)
class CardReading:
    fields: CardFields
    seconds: float


def open_image(data: bytes) -> Image.Image:
    """The image in these bytes, upright and in grayscale, or ImageRefused: too big (bytes, pixels),
    too small, or not an image Pillow can decode."""
    if len(data) > MAX_BYTES:
        raise ImageRefused(Refusal.TOO_BIG)
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, above its own decompression-bomb limit; ours is lower anyway.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise ImageRefused(Refusal.TOO_BIG)
            if min(width, height) < MIN_SIDE:
                raise ImageRefused(Refusal.TOO_SMALL)
            image.load()
            # A phone stores the camera's orientation in EXIF; the pixels are sideways without it.
            upright = ImageOps.exif_transpose(image)
            return upright.convert("L")
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRefused(Refusal.TOO_BIG) from error
    except (OSError, ValueError, SyntaxError) as error:
        log.info("card image not decoded: %s", type(error).__name__)
        raise ImageRefused(Refusal.BROKEN) from error


def for_reading(image: Image.Image, side: int = READ_SIDE) -> Image.Image:
    """Light preprocessing: the size text is read best at, and uneven light flattened (the image divided
    by its own blurred background), which keeps a shadowed corner's text from thresholding to black."""
    scale = side / max(image.size)
    if abs(scale - 1) > 0.1:
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.LANCZOS)
    upright = flattened(image)
    angle = skew_angle(upright)
    if angle:
        upright = upright.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return upright


def flattened(image: Image.Image) -> Image.Image:
    """The image divided by its background (the paper's brightness: text filtered out by a max filter
    over letters, smoothed), contrast stretched: white paper wherever the light falls."""
    small = image.reduce(8).filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(3))
    background = np.asarray(small.resize(image.size, Image.Resampling.BILINEAR), dtype=np.float32)
    pixels = np.asarray(image, dtype=np.float32)
    flat = np.clip(pixels / np.maximum(background, 1.0) * 255.0, 0, 255).astype(np.uint8)
    return ImageOps.autocontrast(Image.fromarray(flat), cutoff=1)


# Under this share of dark pixels, an image holds no text (a card's print covers a few percent of it).
INK_MIN = 0.002


def has_ink(image: Image.Image) -> bool:
    """Whether an image has anything dark enough to be print on it (looked at in half size)."""
    pixels = np.asarray(flattened(image.reduce(2)))
    return bool((pixels < 128).mean() >= INK_MIN)


# A photo taken by hand is tilted by a few degrees; Tesseract reads lines tilted over about 2 degrees in
# pieces. The tilt is the angle at which the rows of ink line up best (rows' ink sums vary most).
SKEW_MAX = 12.0


def skew_angle(image: Image.Image) -> float:
    """The rotation (degrees, counter-clockwise) that levels the text lines of a light image with dark ink."""
    scale = 500 / max(image.size)
    small = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    ink = small.point(lambda value: 255 if value < 140 else 0)

    def sharpness(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, Image.Resampling.BILINEAR), dtype=np.float32).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    coarse = max(np.arange(-SKEW_MAX, SKEW_MAX + 0.1, 1.0), key=sharpness)
    fine = max(np.arange(coarse - 0.75, coarse + 0.8, 0.25), key=sharpness)
    return round(float(fine), 2) if abs(fine) >= 0.5 else 0.0


def qr_payloads(image: Image.Image) -> list[str]:
    """The text of every QR code in the image (zxing-cpp), at most a few: decoded in the code's own
    character set (UTF-8, or the standard's Latin-1), control characters as they are (the library's
    default would spell them out, "<CR><LF>"), for the card rules to strip."""
    import zxingcpp

    formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    results = zxingcpp.read_barcodes(image, formats=formats, text_mode=zxingcpp.TextMode.Plain)
    return [result.text[:QR_PAYLOAD_MAX] for result in results[:4] if result.valid and result.text]


def find_tessdata(configured: Path | None = None) -> Path | None:
    """The folder with Tesseract's language data: the configured one, or Debian's."""
    for folder in (configured,) if configured is not None else TESSDATA_DIRS:
        if folder is not None and (folder / "eng.traineddata").is_file():
            return folder
    return None


class CardReader:
    """Reads cards with Tesseract; one engine per thread and language set, made on first use (about
    0.2 s each), since a Tesseract engine must not be shared between threads."""

    def __init__(self, tessdata: Path | None = None) -> None:
        self.tessdata = find_tessdata(tessdata)
        self._local = threading.local()

    @property
    def available(self) -> bool:
        """True when Tesseract and its English data are here (the bot then reads cards)."""
        if self.tessdata is None:
            return False
        try:
            import tesserocr  # noqa: F401
        except ImportError:
            return False
        return True

    def languages(self, language: str) -> str:
        """The rep's language first, then English (most cards carry some), of those installed."""
        wanted = [TESSERACT_LANGUAGES.get(language, "eng"), "eng"]
        assert self.tessdata is not None
        present = [
            code for code in dict.fromkeys(wanted) if (self.tessdata / f"{code}.traineddata").is_file()
        ]
        return "+".join(present or ["eng"])

    def read(self, data: bytes, *, region: str, language: str) -> CardReading:
        """The card's fields from an image's bytes: a vCard or MeCard QR code wins, the printed text fills
        in what it left out. Raises ImageRefused or CardReadingUnavailable."""
        if not self.available:
            raise CardReadingUnavailable
        started = time.perf_counter()
        image = open_image(data)
        qr = next(
            (found for payload in qr_payloads(image) if (found := fields_from_qr(payload, region=region))),
            None,
        )
        if qr is not None and qr.name and (qr.phones or qr.email):
            # A complete vCard: the printed text would only repeat it.
            fields = qr
        else:
            # A photo of a wall or a pocket has no ink to read: it is not even prepared for Tesseract.
            inked = has_ink(image)
            text, heights = self.ocr(for_reading(image), self.languages(language)) if inked else ("", [])
            printed = fields_from_text(text, region=region, heights=heights)
            fields = merged(qr, printed) if qr is not None else printed
        return CardReading(fields, time.perf_counter() - started)

    def ocr(self, image: Image.Image, languages: str) -> tuple[str, list[float]]:
        """The text lines Tesseract reads, in reading order, and each line's height in pixels."""
        import tesserocr

        lines: list[str] = []
        heights: list[float] = []
        with self._engine(languages) as api:
            api.SetImage(image)
            api.Recognize()
            level = tesserocr.RIL.TEXTLINE
            try:
                for line in tesserocr.iterate_level(api.GetIterator(), level):
                    text, box = line.GetUTF8Text(level), line.BoundingBox(level)
                    if text and box:
                        for part in text.splitlines():
                            if part.strip():
                                lines.append(part)
                                heights.append(float(box[3] - box[1]))
            except RuntimeError:
                # tesserocr's way of saying the page holds no text at all.
                pass
            finally:
                api.Clear()
        return "\n".join(lines), heights

    @contextmanager
    def _engine(self, languages: str) -> Iterator[Any]:
        import tesserocr

        engines: dict[str, tesserocr.PyTessBaseAPI] = getattr(self._local, "engines", None) or {}
        self._local.engines = engines
        api = engines.get(languages)
        if api is None:
            # Sparse text: a card is words scattered over a page, not paragraphs.
            api = tesserocr.PyTessBaseAPI(
                path=str(self.tessdata), lang=languages, psm=tesserocr.PSM.SPARSE_TEXT
            )
            engines[languages] = api
        yield api
