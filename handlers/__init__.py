"""Telegram-facing code: one module per user flow, registered in one order by `register_handlers`."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import (
    access,
    calendar,
    capture,
    card,
    card_photo,
    contacts,
    digest,
    errors,
    exchange,
    onboarding,
    outreach,
    privacy,
    reminders,
    router,
    stats,
    team,
)
from handlers.kit.preamble import preamble


def register_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every flow. PTB tries handler groups in ascending order and, within a group, stops at the
    first handler that matches; a handler may end the update early with ApplicationHandlerStop."""
    # -10: the allow-list runs before anything else, so a stranger's update reaches no flow.
    application.add_handler(access.gate(), group=-10)
    # -9: the preamble loads (or registers) the rep once; every flow reads it as ctx.rep.
    application.add_handler(preamble(), group=-9)
    # -1: a command drops the question waiting for typed text (the rep moved on), then runs in group 0.
    application.add_handler(router.command_hook(), group=-1)
    # 0: commands and buttons of each flow; then every other message through the router, which sends it
    # to exactly one flow; last, whatever no flow took (unknown commands, tampered buttons). They share
    # one group so that exactly one of them answers each update.
    application.add_handlers(onboarding.handlers())
    application.add_handlers(outreach.handlers())
    application.add_handlers(calendar.handlers())
    application.add_handlers(contacts.handlers())
    application.add_handlers(card.handlers())
    application.add_handlers(reminders.handlers())
    application.add_handlers(digest.handlers())
    application.add_handlers(team.handlers())
    application.add_handlers(privacy.handlers())
    application.add_handlers(stats.handlers())
    application.add_handlers(exchange.handlers())
    application.add_handlers(capture.handlers())
    application.add_handlers(card_photo.handlers())
    application.add_handlers(router.handlers())
    application.add_handlers(errors.fallback_handlers())
    application.add_error_handler(errors.on_error)
