"""callback_data: packed under 64 bytes, parsed as untrusted input."""

from __future__ import annotations

import pytest

from bot import callbacks


def test_pack_and_parse_round_trip() -> None:
    data = callbacks.pack(callbacks.QUESTION, 123, "need", "yes")
    assert data == "q:123:need:yes"
    parsed = callbacks.parse(data)
    assert parsed is not None and parsed.id == 123 and parsed.args == ("need", "yes")


def test_pack_refuses_more_than_64_bytes() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.pack(callbacks.FIND, 0, "é" * 40)


@pytest.mark.parametrize(
    "data",
    [None, "", "q", "q:", "q:abc:need:yes", "q:1:ne ed:yes", "q:1:<b>:x", "q:" + "9" * 70, "q:-1:need:yes"],
)
def test_malformed_data_is_refused(data: str | None) -> None:
    assert callbacks.parse(data) is None


def test_a_text_tail_may_hold_any_characters() -> None:
    parsed = callbacks.parse("f:8:Szabó Ákos: <&>", with_id=False, text_tail=True)
    assert parsed is not None and parsed.args == ("8", "Szabó Ákos: <&>")
    assert callbacks.fit_text("f:8:", "x" * 61) is None
