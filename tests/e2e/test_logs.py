"""What the operator's log holds while a rep works, at DEBUG, through the real server and Application in
webhook mode over the fake Bot API: the log handler `python main.py` installs (runtime/logs.py), writing to
a buffer. A rep shares a person's contact (name and phone), adds the company and a note, then an email that
the database refuses (a failing statement carrying the values); the log shows what happened by ids, types
and references, and none of the token, the webhook secret, the rep's or the contact's name, the phone, the
email or the note. Then a schema fault: the rep is not told to try again in a moment."""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import UTC, datetime
from typing import Any

import aiohttp
import sqlalchemy as sa
from pydantic import SecretStr

from bot.config import Settings
from bot.i18n import Translator
from runtime.application import build_application
from runtime.logs import configure_logging, secrets_of
from runtime.webhook import start_webhook
from storage.engine import create_engine_for
from tests.factories import (
    TOKEN,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    FakeClock,
    RepOverWebhook,
    Storage,
)
from tests.fake_bot_api import FakeBotAPI, parse_html

REP_NAME = "Maija"
PHONE = "+358 45 712 3394"
FIRST, LAST = "Annukka", "Virtanen-Kivelä"
COMPANY = "Kivelä Logistiikka"
NOTE = "Wants the SLA terms before Easter"
EMAIL = "annukka.kivela@logistiikka.example"
PERSONAL = (REP_NAME, FIRST, LAST, "Kivelä", PHONE, "712 3394", "7123394", EMAIL, "annukka.kivela", NOTE)
SECRETS = (TOKEN, TOKEN.partition(":")[2], "123456%3ATEST-token", WEBHOOK_SECRET)


def refuse_emails(database_url: str) -> None:
    """A trigger that fails every UPDATE setting a contact's email: on PostgreSQL its message even
    quotes the email, as a constraint's DETAIL quotes a value."""
    engine = create_engine_for(database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_email BEFORE UPDATE OF email ON contact "
                "WHEN NEW.email IS NOT NULL BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse_email() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused: %%', NEW.email "
                "USING DETAIL = 'Key (email)=(' || NEW.email || ')'; "
                "END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_email BEFORE UPDATE OF email ON contact "
                "FOR EACH ROW WHEN (NEW.email IS NOT NULL) EXECUTE FUNCTION refuse_email()"
            )
    engine.dispose()


def rename_contacts_away(database_url: str) -> None:
    """A schema the code does not match: what a half-done migration or a wrong database leaves."""
    engine = create_engine_for(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE contact RENAME TO contact_elsewhere"))
    engine.dispose()


async def test_a_debug_log_holds_no_secret_and_nothing_personal(
    settings: Settings, database_url: str, fake: FakeBotAPI, operator_log: io.StringIO
) -> None:
    settings = settings.model_copy(
        update={
            "database_url": database_url,
            "webhook_url": WEBHOOK_URL,
            "webhook_secret": SecretStr(WEBHOOK_SECRET),
            "listen": "127.0.0.1",
            "port": 0,
        }
    )
    configure_logging("DEBUG", "text", secrets=secrets_of(settings), stream=operator_log)
    clock = FakeClock(datetime.now(UTC))
    application = build_application(settings, request=fake.request(), clock=clock)
    server = await start_webhook(application, settings)
    try:
        async with aiohttp.ClientSession() as http:
            rep = RepOverWebhook(fake, http, [f"http://127.0.0.1:{server.port}"], 7301, first_name=REP_NAME)
            await rep.send_contact(PHONE, FIRST, LAST)
            await rep.send(COMPANY)
            await rep.press("⏩ Finish")
            await rep.press("◀ Back")
            await rep.send(NOTE)
            await rep.press("No next step")
            await rep.press("✅ Save")
            stored = Storage.on(create_engine_for(database_url), clock)
            owner = stored.reps.get_rep(telegram_id=rep.user_id)
            found = stored.contacts.find_contacts(owner_id=owner.id, text="annukka", offset=0, limit=5)
            [found_contact] = found.items
            contact = stored.contacts.get_contact(owner_id=owner.id, contact_id=found_contact.id)
            assert contact is not None and contact.company == COMPANY
            stored.engine.dispose()

            refuse_emails(database_url)
            await rep.send("/find annukka")
            await rep.press("1.")
            await rep.press("✏️ Edit")
            await rep.press("Email")
            await rep.send(EMAIL)
            apology = parse_html(Translator("en")("errors.internal", reference="§")).text.split("§")[0]
            assert rep.last_text.startswith(apology)
            assert "try again in a moment" in rep.last_text

            rename_contacts_away(database_url)
            await rep.send("/leads")
            lasting = parse_html(Translator("en")("errors.lasting", reference="§")).text.split("§")[0]
            assert rep.last_text.startswith(lasting), rep.last_text
            assert "try again in a moment" not in rep.last_text
    finally:
        await server.stop()

    output = operator_log.getvalue()
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} is in the log"
    for value in PERSONAL:
        assert value not in output, f"{value!r} is in the log"
    # The log is there, at DEBUG, from the libraries as from the bot: it is what was searched.
    assert "DEBUG telegram.ext.ExtBot: Set Bot API URL: https://bot-api.test/bot[redacted]" in output
    assert "Calling Bot API endpoint `setWebhook` with parameters `{" in output
    assert "Calling Bot API endpoint `sendMessage` with parameters `{chat_id, text" in output
    assert "capture saved: contact" in output
    failures = [line for line in output.splitlines() if " failed (ref " in line]
    assert len(failures) == 2, failures
    # By type and reference: SQLite's trigger makes an IntegrityError, PostgreSQL's a ProgrammingError.
    assert all(re.search(r"update \d+ failed \(ref [0-9a-f]{8}\): \w+Error$", line) for line in failures)
    assert "message withheld" in output and "SQL: UPDATE contact SET" in output


def test_redaction_reaches_the_uncaught_error_hook(operator_log: io.StringIO) -> None:
    """An error nobody caught is logged through the same handler: redacted, and as JSON when asked."""
    configure_logging("INFO", "json", secrets=[TOKEN], stream=operator_log)
    try:
        raise RuntimeError(f"https://bot-api.test/bot{TOKEN}/getMe failed")
    except RuntimeError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    [line] = operator_log.getvalue().splitlines()
    entry: dict[str, Any] = json.loads(line)
    assert entry["level"] == "CRITICAL"
    assert "RuntimeError: https://bot-api.test/bot[redacted]/getMe failed" in entry["exception"]
    assert "TEST-token" not in line
