"""Spreadsheet-safe cells: a value a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import pytest

from bot.exports import safe_cell


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_prefix_is_neutralised(prefix: str) -> None:
    assert safe_cell(f"{prefix}1+1") == f"'{prefix}1+1"
    assert safe_cell("Acme") == "Acme"
