"""Inline keyboards: one button from typed data, rows of a width, labels short enough for a phone."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData

# About what a phone shows on a half-width button before Telegram cuts the label itself.
LABEL_MAX = 24
# And on a third-width one (a row of a name and two one-symbol actions).
THIRD_LABEL_MAX = 16


def button(label: str, data: ButtonData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.pack())


# Sources and lost reasons read long in some languages ("Prospection téléphonique", "Ingen
# beslutningstaker"): such choices get a row each, so that no phone cuts their labels short.
ROW_EACH = 1


def rows(buttons: Sequence[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    """The buttons laid out `width` to a row, in order."""
    return [list(buttons[index : index + width]) for index in range(0, len(buttons), width)]


def keyboard(*lines: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """A markup from rows, leaving out empty ones."""
    return InlineKeyboardMarkup([list(line) for line in lines if line])


def short(text: str, limit: int = LABEL_MAX) -> str:
    """`text` cut to `limit` characters with an ellipsis: names in labels, previews in lines."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
