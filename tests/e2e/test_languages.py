"""The capture, a reminder and the digest in each of the five languages, end to end: every text the rep
reads comes from their language's catalog, and dates are formatted for their locale."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from bot.i18n import Translator
from tests.factories import FakeClock, RepChat
from tests.fake_bot_api import FakeBotAPI, parse_html

# Telegram's language_code as a rep's app sends it -> the bot language it must speak.
LANGUAGES = [("en", "en"), ("fi", "fi"), ("no", "nb"), ("hu", "hu"), ("fr", "fr")]


def visible(html: str) -> str:
    """What the rep sees of a message sent as HTML."""
    return parse_html(html).text


@pytest.mark.parametrize(("code", "language"), LANGUAGES)
async def test_capture_reminder_and_digest_in_the_reps_language(
    app: Any, fake: FakeBotAPI, clock: FakeClock, code: str, language: str
) -> None:
    t = Translator(language)
    english = Translator("en")
    rep = RepChat(
        app,
        fake,
        user_id=6000 + len(code) + ord(language[0]),
        first_name="Kim",
        language_code=code,
        clock=clock,
    )

    await rep.send("/start")
    assert rep.last_text.startswith(visible(t("onboarding.greeting", name="Kim")))
    await rep.press(t.plain("common.skip"))
    await rep.press(t.plain("common.skip"))
    assert rep.last_text == visible(t("onboarding.done", zone="UTC", digest=t.wall_time(time(8, 30))))

    await rep.send("Anna Virtanen, Acme Oy")
    assert rep.last_text == visible(
        t("capture.header_company", name="Anna Virtanen", company="Acme Oy") + "\n\n" + t("capture.ask_need")
    )
    if language != "en":
        assert visible(english("capture.ask_need")) not in rep.last_text
    for step, option in (("need", "yes"), ("budget", "yes"), ("authority", "decider"), ("timeline", "lt1m")):
        await rep.press(t.plain(f"option.{step}.{option}"))
    await rep.press(t.plain("capture.finish"))
    await rep.press(t.plain("option.next.tomorrow"))
    due = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert visible(t("card.next_step", when=t.when(due, app_zone()))) in rep.last_text
    assert t.plain("status.prospect") in rep.last_text
    await rep.press(t.plain("capture.save"))
    assert rep.last_text.startswith(
        visible(
            t(
                "capture.saved",
                name="Anna Virtanen",
                status=t.plain("status.prospect"),
                score=87,
                when=t.when(due, app_zone()),
            )
        )
    )

    clock.now = due - timedelta(minutes=30)  # the 08:30 digest
    await app.bot_data.dispatcher.run_once()
    assert rep.last_text.startswith(visible(t("digest.title", day=t.day(clock.now, app_zone()))))
    assert t.clock_time(due, app_zone()) in rep.last_text

    clock.now = due
    await app.bot_data.dispatcher.run_once()
    who = t("reminder.who_company", name="Anna Virtanen", company="Acme Oy")
    assert rep.last_text.startswith(visible(t("reminder.title", who=who)))
    assert rep.button_labels[:4] == [
        t.plain(f"reminder.{action}") for action in ("done", "snooze", "reschedule", "lost")
    ]
    await rep.press(t.plain("reminder.snooze"))
    await rep.press(t.plain("snooze.1h"))
    echoed = Translator(language, now=clock.now).echo(due + timedelta(hours=1), app_zone())
    assert visible(t("reminder.snoozed", when=echoed)) in rep.last_text


def app_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("UTC")


@pytest.mark.parametrize(("code", "language"), LANGUAGES)
async def test_settings_switch_the_language_at_once(
    app: Any, fake: FakeBotAPI, clock: FakeClock, code: str, language: str
) -> None:
    rep = RepChat(
        app, fake, user_id=7100 + ord(language[0]), first_name="Kim", language_code=code, clock=clock
    )
    await rep.send("/settings")
    await rep.press(Translator(language).plain("settings.language_button"))
    target = "fi" if language != "fi" else "hu"
    names = {"fi": "Suomi", "hu": "Magyar"}
    await rep.press(names[target])
    assert rep.last_text.startswith(
        visible(
            Translator(target)(
                "settings.summary",
                language=names[target],
                zone="UTC",
                digest=Translator(target).wall_time(time(8, 30)),
                days="",
                empty="",
                weekly="",
            )
        ).split("\n")[0]
    )
    await rep.send("/help")
    assert rep.last_text == visible(Translator(target)("help.text"))


async def test_the_command_menu_is_published_in_every_language(app: Any, fake: FakeBotAPI) -> None:
    published = {
        call.params.get("language_code", ""): call.params["commands"] for call in fake.calls("setMyCommands")
    }
    assert set(published) == {"", "en", "fi", "nb", "hu", "fr", "no", "nn"}
    assert published["no"] == published["nb"]
    for code, commands in published.items():
        language = {"": "en", "no": "nb", "nn": "nb"}.get(code, code)
        descriptions = [command["description"] for command in commands]
        assert descriptions == [
            Translator(language).plain(f"menu.{command['command']}") for command in commands
        ]
        assert all(1 <= len(description) <= 256 for description in descriptions)
