"""Keyboards: buttons from typed data, rows of a width, short labels."""

from __future__ import annotations

from handlers.kit.buttons import ContactButton
from handlers.kit.keyboards import LABEL_MAX, button, keyboard, rows, short


def test_a_button_carries_its_packed_data() -> None:
    made = button("Anna", ContactButton(7))
    assert made.text == "Anna" and made.callback_data == "c:7"


def test_rows_lay_buttons_out_in_order_with_a_short_last_row() -> None:
    made = [button(str(index), ContactButton(index)) for index in range(5)]
    laid = rows(made, 2)
    assert [[item.text for item in line] for line in laid] == [["0", "1"], ["2", "3"], ["4"]]
    assert rows(made, 3)[1] == made[3:]
    assert rows([], 2) == []


def test_keyboard_leaves_out_empty_rows() -> None:
    one = button("Anna", ContactButton(7))
    markup = keyboard([one], [], [one, one])
    assert [len(line) for line in markup.inline_keyboard] == [1, 2]


def test_short_cuts_with_an_ellipsis_only_when_too_long() -> None:
    assert short("Anna", 4) == "Anna"
    assert short("Annabel", 4) == "Ann…"
    assert len(short("x" * 100)) == LABEL_MAX
    assert short("x" * LABEL_MAX) == "x" * LABEL_MAX
