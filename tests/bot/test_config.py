"""The settings of the calendar's web server: where its feeds are reached from, and what cannot work."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import DeploymentSettings


def deployment(**values: Any) -> DeploymentSettings:
    return DeploymentSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_calendar_is_reached_at_public_url_or_the_webhook_s_origin() -> None:
    assert deployment().calendar_base_url is None, "long polling without CALENDAR_PORT serves no feed"
    hooked = {"webhook_url": "https://bot.example.com:8443/telegram/hook", "webhook_secret": "s"}
    assert deployment(**hooked).calendar_base_url == "https://bot.example.com:8443"
    assert (
        deployment(**hooked, public_url="https://cal.example.com/prospect/").calendar_base_url
        == "https://cal.example.com/prospect"
    )
    polling = deployment(calendar_port=8080, public_url="http://10.0.0.5:8080")
    assert polling.calendar_base_url == "http://10.0.0.5:8080"
    # PUBLIC_URL alone, in long polling, starts no server: no feed to offer.
    assert deployment(public_url="https://cal.example.com").calendar_base_url is None


def test_calendar_settings_that_cannot_work_are_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="CALENDAR_PORT is set but PUBLIC_URL is not"):
        deployment(calendar_port=8080)
    for wrong in ("cal.example.com", "ftp://cal.example.com", "https://", "https://x.org/?a=1"):
        with pytest.raises(ValidationError, match="PUBLIC_URL must be an http"):
            deployment(public_url=wrong)
