"""A restart in the middle of a capture: the next Application continues at the same question."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from runtime.application import build_application, start_services, stop_services
from tests.factories import FakeClock, RepChat
from tests.fake_bot_api import FakeBotAPI


async def started(settings: Settings, fake: FakeBotAPI, clock: FakeClock) -> Any:
    application = build_application(settings, request=fake.request(), clock=clock)
    await application.initialize()
    await start_services(application)
    return application


async def stopped(application: Any) -> None:
    await stop_services(application)
    await application.shutdown()


async def test_a_fresh_application_continues_the_capture(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    first = await started(settings, fake, clock)
    rep = RepChat(first, fake, user_id=7001, clock=clock)
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("Yes")
    await rep.press("No")
    assert "Decision-maker?" in rep.last_text
    await stopped(first)

    # A new process over the same database file; the rep taps the button that was on screen.
    second = await started(settings, fake, clock)
    rep.app = second
    await rep.press("Decision-maker")
    assert "Timeline?" in rep.last_text
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    assert "Need: Yes" in rep.last_text and "Budget: No" in rep.last_text
    assert "Authority: Decision-maker" in rep.last_text
    await rep.press("✅ Save")
    assert "Saved Anna Virtanen" in rep.last_text
    await stopped(second)
