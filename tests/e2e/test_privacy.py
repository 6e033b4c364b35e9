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
from sqlmodel import SQLModel

from bot.calendar import new_token, token_hash
from bot.exports import safe_cell
from runtime.logs import quiet_libraries
from tests.factories import TOKEN, FakeClock, RepChat, eventually, storage_of
from tests.fake_bot_api import FakeBotAPI

NAME, PHONE, NOTE = "Aino Hämäläinen", "+358 40 765 4321", "Secret plan: =SUM(A1) and a discount"
PHONE_STORED = "+358407654321"  # as every phone is kept (E.164)


async def capture_everything(rep: RepChat) -> None:
    await rep.send_contact(PHONE, "Aino", "Hämäläinen")
    await rep.send("=cmd|' /C calc'!A0")  # a company a spreadsheet would run as a formula
    await rep.press("Yes")
    await rep.press("⏩ Finish")
    await rep.press("◀ Back")
    await rep.send(NOTE)
    await rep.press("Tomorrow")
    await rep.press("✅ Save")


async def test_mydata_sends_every_table_of_the_rep_and_the_contacts_as_export_writes_them(
    start_app: Callable[..., Awaitable[Any]], fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await start_app(admin_users=["5001"])
    rep = RepChat(app, fake, user_id=5001, clock=clock)
    await rep.send("/start")
    await rep.press("⌨️ Type a city")
    await rep.send("Helsinki")
    await rep.press("Skip")
    await rep.send("/newteam Sales North")
    await rep.send("/invite")
    await rep.press("👤 A rep")
    await capture_everything(rep)
    await rep.send("/find aino")
    await rep.press("1.")
    await rep.press("🔖 Tags")
    await rep.send("VIP, trade fair")
    await rep.send_document(b"Name,Company,Notes\nPekka Salo,Nokia,Met at Slush\n", "people.csv")
    await rep.press("📥 Import")
    await eventually(lambda: not app.bot_data.running_imports, "the import finished")
    await app.bot_data.dispatcher.run_once()  # plans tomorrow's digest
    other = RepChat(app, fake, user_id=5002, first_name="Ola", clock=clock)
    await other.send("Ola Nordmann, Fjord AS")
    storage = storage_of(app)
    me_stored = storage.reps.get_rep(telegram_id=rep.user_id)
    assert me_stored is not None
    calendar_hash = token_hash(new_token())
    assert storage.calendar.turn_on(rep_id=me_stored.id, token_hash=calendar_hash) is not None

    await rep.send("/mydata")
    await rep.send("/export")
    await rep.press("All")
    files = {
        call.params["document"].filename: call.params["document"].content
        for call in fake.calls("sendDocument")
    }
    document = files["prospect-bot-data.json"].decode()
    data = json.loads(document)
    stored = data["stored"]
    # Every table with rows of the rep, each with the rep's rows: none left out, the import's rows included.
    assert list(stored) == [
        "rep", "team", "invite", "importbatch", "contact", "contacttag", "interaction", "followup",
        "calendar_feed", "digest", "capturedraft",
    ]  # fmt: skip
    assert [feed["token_hash"] for feed in stored["calendar_feed"]] == [calendar_hash]
    assert all(stored[table] for table in stored), [table for table in stored if not stored[table]]
    [me] = stored["rep"]
    assert (me["telegram_id"], me["timezone"], me["created_at"]) == (
        rep.user_id,
        "Europe/Helsinki",
        "2026-11-25T15:00:00+02:00",
    )
    assert [team["name"] for team in stored["team"]] == ["Sales North"]
    [batch] = stored["importbatch"]
    assert [(row["name"], row["note"]) for row in batch["rows"]] == [("Pekka Salo", "Met at Slush")]
    assert sorted(i["note"] for i in stored["interaction"] if i["note"]) == ["Met at Slush", NOTE]
    assert [f["due_at"] for f in stored["followup"]] == ["2026-11-26T09:00:00+02:00"]
    # Whatever points at a rep or a contact points at this rep or one of theirs: nothing of the other rep.
    contact_ids = {contact["id"] for contact in stored["contact"]}
    for table, rows in stored.items():
        for key in SQLModel.metadata.tables[table].foreign_keys:
            mine = {"rep": {me["id"]}, "contact": contact_ids}.get(key.column.table.name)
            if mine is None:
                continue
            for row in rows:
                assert row[key.parent.name] in mine | {None}, (table, key.parent.name)
    assert "Ola Nordmann" not in document and "Fjord" not in document
    assert data["time_zone"] == "Europe/Helsinki"

    # The contacts, as /export writes them: tags, notes and the next follow-up filled in, in words.
    aino = next(contact for contact in data["contacts"] if contact["Name"] == NAME)
    assert (aino["Phone"], aino["Company"], aino["Need"], aino["Status"]) == (
        PHONE_STORED,
        "=cmd|' /C calc'!A0",
        "Yes",
        "Lead",
    )
    assert aino["Tags"] == "trade fair, VIP"
    assert aino["Notes"] == f"2026-11-25 15:00 Meeting: {NOTE}"
    assert aino["Next follow-up"] == "2026-11-26T09:00:00+02:00"
    pekka = next(contact for contact in data["contacts"] if contact["Name"] == "Pekka Salo")
    assert pekka["Notes"] == "2026-11-25 15:00 Imported: Met at Slush"
    rows = list(csv.DictReader(io.StringIO(files["contacts.csv"].decode("utf-8-sig"))))
    assert rows == [
        {header: safe_cell(value) for header, value in contact.items()} for contact in data["contacts"]
    ]
    assert next(row for row in rows if row["Name"] == NAME)["Company"] == "'=cmd|' /C calc'!A0"
    assert files["contacts.csv"] == files["all.csv"]


async def test_deleteme_erases_every_row_of_the_rep(rep: RepChat, other_rep: RepChat, app: Any) -> None:
    await capture_everything(rep)
    await other_rep.send("Ola Nordmann, Fjord AS")
    storage = storage_of(app)
    for who in (rep, other_rep):
        stored = storage.reps.get_rep(telegram_id=who.user_id)
        assert stored is not None
        storage.calendar.turn_on(rep_id=stored.id, token_hash=token_hash(new_token()))
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
            assert NAME not in text and NOTE not in text, table
            assert PHONE not in text and PHONE_STORED not in text, table
        assert connection.exec_driver_sql("SELECT count(*) FROM rep").scalar() == 1  # the other rep stays
        assert connection.exec_driver_sql("SELECT count(*) FROM capturedraft").scalar() == 1
        assert connection.exec_driver_sql("SELECT count(*) FROM calendar_feed").scalar() == 1  # the other's


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
        for secret in (NAME, "Hämäläinen", PHONE, PHONE_STORED, NOTE, TOKEN, "TEST-token"):
            assert secret not in text, f"{secret!r} in log: {text!r}"
