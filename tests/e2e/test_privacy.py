"""/mydata and /deleteme, retention of lost contacts, and logs that carry nothing personal."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from runtime.logs import quiet_libraries
from tests.factories import TOKEN, FakeClock, RepChat, storage_of
from tests.fake_bot_api import FakeBotAPI

NAME, PHONE, NOTE = "Aino Hämäläinen", "+358 40 765 4321", "Secret plan: =SUM(A1) and a discount"


async def capture_everything(rep: RepChat) -> None:
    await rep.send_contact(PHONE, "Aino", "Hämäläinen")
    await rep.send("=cmd|' /C calc'!A0")  # a company a spreadsheet would run as a formula
    await rep.press("Yes")
    await rep.press("⏩ Finish")
    await rep.press("◀ Back")
    await rep.send(NOTE)
    await rep.press("Tomorrow")
    await rep.press("✅ Save")


async def test_mydata_sends_everything_as_json_and_a_safe_csv(rep: RepChat, fake: FakeBotAPI) -> None:
    await capture_everything(rep)
    await rep.send("/mydata")
    documents = [call.params["document"] for call in fake.calls("sendDocument")]
    assert [document.filename for document in documents] == ["prospect-bot-data.json", "contacts.csv"]
    data = json.loads(documents[0].content)
    assert data["rep"]["telegram_id"] == rep.user_id
    [contact] = data["contact"]
    assert (contact["name"], contact["phone"]) == (NAME, PHONE)
    assert [i["note"] for i in data["interaction"]] == [NOTE]
    assert len(data["followup"]) == 1
    rows = list(csv.DictReader(io.StringIO(documents[1].content.decode("utf-8-sig"))))
    assert rows[0]["name"] == NAME and rows[0]["company"] == "'=cmd|' /C calc'!A0"


async def test_deleteme_erases_every_row_of_the_rep(rep: RepChat, other_rep: RepChat, app: Any) -> None:
    await capture_everything(rep)
    await other_rep.send("Ola Nordmann, Fjord AS")
    await rep.send("/deleteme")
    await rep.press("✖ Cancel")
    assert "Nothing was erased" in rep.last_text
    await rep.send("/deleteme")
    await rep.press("🗑 Yes, erase all")
    assert "Everything about you is erased" in rep.last_text
    engine = storage_of(app).engine
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            if table == "alembic_version":
                continue
            text = " ".join(str(row) for row in connection.exec_driver_sql(f"SELECT * FROM {table}").all())
            assert NAME not in text and PHONE not in text and NOTE not in text, table
        assert connection.exec_driver_sql("SELECT count(*) FROM rep").scalar() == 1  # the other rep stays
        assert connection.exec_driver_sql("SELECT count(*) FROM capturedraft").scalar() == 1


async def test_lost_contacts_are_erased_after_the_retention_period(
    start_app: Callable[..., Awaitable[Any]], fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await start_app(retention_lost_months=6)
    rep = RepChat(app, fake, user_id=5001, clock=clock)
    await capture_everything(rep)
    await rep.send("/find aino")
    await rep.press("1.")
    await rep.press("🏷 Status")
    await rep.press("→ Lost")
    await rep.press("Budget")
    privacy = storage_of(app).privacy
    clock.advance(timedelta(days=170))
    assert privacy.erase_lost(months=6) == 0
    clock.advance(timedelta(days=20))
    assert privacy.erase_lost(months=6) == 1
    await rep.send("/lost")
    assert "No lost contacts" in rep.last_text


async def test_logs_carry_no_names_phones_notes_or_token(
    rep: RepChat, app: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_libraries()  # as configure_logging sets them in production
    caplog.set_level(logging.DEBUG)
    await capture_everything(rep)
    await rep.send("/find hämäläinen")
    await rep.press("1.")
    await rep.press("📝 Note")
    await rep.send(NOTE)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await app.bot_data.dispatcher.run_once()
    await rep.press("💤 Snooze")
    await rep.press("1 hour")
    await rep.send("/today")
    informative = [record for record in caplog.records if record.levelno >= logging.INFO]
    assert informative, "the run logged nothing at INFO: the scan would prove nothing"
    for record in informative:
        text = record.getMessage() + (record.exc_text or "")
        for secret in (NAME, "Hämäläinen", PHONE, NOTE, TOKEN, "TEST-token"):
            assert secret not in text, f"{secret!r} in log: {text!r}"
