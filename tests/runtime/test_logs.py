"""Log records as the operator sees them: JSON lines, secrets redacted, database errors without values."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from runtime.logs import JsonFormatter, Redaction, describe_exception
from tests.factories import Storage


def test_json_log_lines() -> None:
    record = logging.LogRecord("runtime.dispatcher", logging.WARNING, __file__, 1, "waited %d s", (3,), None)
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "runtime.dispatcher", "waited 3 s")


def redacted(secrets: list[str], message: str, *args: object) -> str:
    record = logging.LogRecord("telegram.ext.ExtBot", logging.INFO, __file__, 1, message, args, None)
    Redaction(secrets).filter(record)
    return record.getMessage()


def test_the_token_is_redacted_whole_url_encoded_and_by_its_secret_half() -> None:
    token = "123456789:AAH-secret_half0123456789"
    line = redacted([token], "%s %s %s", f"/bot{token}/getMe", quote(token, safe=""), "half0123456789")
    assert "AAH-secret" not in line and "123456789%3A" not in line
    assert line == "/bot[redacted]/getMe [redacted] half0123456789"


def test_a_short_secret_is_redacted_only_where_it_stands_alone() -> None:
    assert redacted(["abc"], "secret abc in abcdef and xabc") == "secret [redacted] in abcdef and xabc"


def test_a_calendar_feed_s_token_is_redacted_from_any_path_or_url() -> None:
    token = "Qx7-_abcdefghijklmnopqrstuvwxyz0123456789AB"
    line = redacted(
        [],
        '%s "GET /calendar/%s.ics HTTP/1.1" 200 and %s',
        "127.0.0.1",
        token,
        f"https://bot.example.com/calendar/{token}.ics?x=1",
    )
    assert token not in line
    assert line == (
        '127.0.0.1 "GET /calendar/[redacted] HTTP/1.1" 200 and https://bot.example.com/calendar/[redacted]?x=1'
    )


def test_ptb_debug_lines_keep_parameter_names_not_values() -> None:
    record = logging.LogRecord(
        "telegram.ext.ExtBot",
        logging.DEBUG,
        __file__,
        1,
        "Calling Bot API endpoint `%s` with parameters `%s`",
        ("sendMessage", {"chat_id": 5, "text": "Anna Virtanen, +358 40 123"}),
        None,
    )
    Redaction([]).filter(record)
    assert record.getMessage() == "Calling Bot API endpoint `sendMessage` with parameters `{chat_id, text}`"


def test_a_database_error_shows_its_kind_and_statement_not_its_values(repo: Storage) -> None:
    with pytest.raises(sa_exc.DBAPIError) as caught, repo.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO contact (owner_id, name) VALUES (:owner, :name)"),
            {"owner": 1, "name": "Annukka Virtanen"},
        )
    try:
        raise RuntimeError("saving failed") from caught.value
    except RuntimeError as error:
        text = describe_exception(error)
    assert "Annukka" not in text
    assert "sqlalchemy.exc.IntegrityError (from " in text
    assert "SQL: INSERT INTO contact (owner_id, name) VALUES" in text
    assert "The above exception was the direct cause" in text and text.endswith("RuntimeError: saving failed")
