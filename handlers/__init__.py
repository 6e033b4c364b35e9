"""Telegram-facing code: one module per user flow, registered in one order by `register_handlers`."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import (
    access,
    capture,
    card,
    contacts,
    digest,
    errors,
    exchange,
    onboarding,
    privacy,
    reminders,
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
    # -3 to -1: text that answers a question asked outside a capture (a card's note or field, a typed time
    # zone, a reminder's note or date) is taken before it could start a capture. Each checks
    # rep.awaiting and lets other text by.
    application.add_handlers(card.typed_answer_handlers(), group=-3)
    application.add_handlers(onboarding.typed_answer_handlers(), group=-2)
    application.add_handlers(reminders.typed_answer_handlers(), group=-1)
    # 0: commands and buttons of each flow; then plain text, contacts and forwards, which start or
    # continue a capture; last, whatever no flow took (unknown commands, tampered buttons). They share one
    # group so that exactly one of them answers each update.
    application.add_handlers(onboarding.handlers())
    application.add_handlers(contacts.handlers())
    application.add_handlers(card.handlers())
    application.add_handlers(reminders.handlers())
    application.add_handlers(digest.handlers())
    application.add_handlers(team.handlers())
    application.add_handlers(privacy.handlers())
    application.add_handlers(stats.handlers())
    # A file sent at any time is an import; before capture's catch-all for non-text messages.
    application.add_handlers(exchange.handlers())
    application.add_handlers(capture.handlers())
    application.add_handlers(errors.fallback_handlers())
    application.add_error_handler(errors.on_error)
