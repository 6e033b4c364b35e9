"""/start, /settings and /help as a new rep meets them."""

from __future__ import annotations

from datetime import time
from typing import Any

from tests.factories import RepChat, storage_of
from tests.fake_bot_api import FakeBotAPI


def stored_rep(app: Any, rep: RepChat) -> Any:
    return storage_of(app).reps.get_rep(telegram_id=rep.user_id)


async def test_onboarding_takes_two_taps(rep: RepChat, app: Any) -> None:
    await rep.send("/start")
    assert "Hi Maija" in rep.last_text
    assert "time zone" in rep.last_text
    assert "London (13:00)" in rep.button_labels
    await rep.press("London")
    assert "Time zone: London." in rep.last_text and "digest" in rep.last_text
    await rep.press("08:00")
    assert "All set" in rep.last_text and "08:00" in rep.last_text
    saved = stored_rep(app, rep)
    assert (saved.timezone, saved.digest_time, saved.onboarded) == ("Europe/London", time(8, 0), True)


async def test_a_typed_city_sets_the_zone_and_nonsense_asks_again(rep: RepChat, app: Any) -> None:
    await rep.send("/start")
    await rep.press("⌨️ Type a city")
    await rep.send("Narnia")
    assert "I don't know a time zone for “Narnia”" in rep.last_text
    await rep.send("helsinki")
    assert "Time zone: Helsinki." in rep.last_text
    assert stored_rep(app, rep).timezone == "Europe/Helsinki"
    # The typed city was an answer, not a contact to capture.
    assert storage_of(app).drafts.get_open_draft(owner_id=stored_rep(app, rep).id) is None


async def test_several_matching_cities_are_offered_as_buttons(rep: RepChat, app: Any) -> None:
    await rep.send("/start")
    await rep.press("⌨️ Type a city")
    await rep.send("san")
    assert "Which one?" in rep.last_text
    await rep.press("Santiago")
    assert stored_rep(app, rep).timezone == "America/Santiago"


async def test_every_onboarding_step_can_be_skipped(rep: RepChat, app: Any) -> None:
    await rep.send("/start")
    await rep.press("Skip")
    await rep.press("Skip")
    assert "All set" in rep.last_text and "UTC" in rep.last_text and "08:30" in rep.last_text
    assert stored_rep(app, rep).onboarded


async def test_settings_change_the_digest_time_later(rep: RepChat, app: Any) -> None:
    await rep.send("/start")
    await rep.press("Skip")
    await rep.press("Skip")
    await rep.send("/settings")
    assert "Daily digest: 08:30" in rep.last_text
    await rep.press("⏰ Digest time")
    assert "✓ 08:30" in rep.button_labels
    await rep.press("07:30")
    assert "Daily digest: 07:30" in rep.last_text
    assert stored_rep(app, rep).digest_time == time(7, 30)


async def test_from_settings_the_zone_and_digest_screens_go_back_rather_than_skip(
    rep: RepChat, app: Any
) -> None:
    await rep.send("/start")
    await rep.press("London")
    await rep.press("08:00")
    await rep.send("/settings")
    await rep.press("🌍 Time zone")
    assert "✓ London (13:00)" in rep.button_labels  # the zone the rep has now, ticked as the digest's is
    assert "◀ Back" in rep.button_labels and "Skip" not in rep.button_labels
    await rep.press("◀ Back")
    assert "Time zone: London" in rep.last_text and "Daily digest: 08:00" in rep.last_text
    await rep.press("⏰ Digest time")
    assert "◀ Back" in rep.button_labels and "Skip" not in rep.button_labels
    await rep.press("◀ Back")
    assert "Daily digest: 08:00" in rep.last_text
    saved = stored_rep(app, rep)
    assert (saved.timezone, saved.digest_time) == ("Europe/London", time(8, 0))


async def test_start_again_is_a_short_welcome_back(rep: RepChat) -> None:
    await rep.send("/start")
    await rep.press("Skip")
    await rep.press("Skip")
    await rep.send("/start")
    assert "Welcome back" in rep.last_text and "/leads" in rep.last_text


async def test_help_lists_the_commands(rep: RepChat) -> None:
    await rep.send("/help")
    for command in ("/new", "/leads", "/prospects", "/find", "/settings"):
        assert command in rep.last_text


async def test_the_bot_talks_to_the_configured_bot_api_url_and_publishes_its_menu(
    app: Any, fake: FakeBotAPI
) -> None:
    assert fake.requests, "the application made no request"
    assert all(call.url.startswith("https://bot-api.test/bot123456:TEST-token/") for call in fake.requests)
    commands = fake.calls("setMyCommands")[0].params["commands"]
    assert [command["command"] for command in commands] == [
        "new",
        "cancel",
        "today",
        "leads",
        "prospects",
        "customers",
        "lost",
        "find",
        "stats",
        "export",
        "team",
        "settings",
        "mydata",
        "help",
    ]
