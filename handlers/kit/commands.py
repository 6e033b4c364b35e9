"""Which updates the flows take: a rep's own new messages in their private chat with the bot.

An edited message or a group chat carries no rep for the preamble to load, and a command edited after
the fact must not run a second time: neither reaches a flow.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler
from telegram.ext import filters as F

from handlers.kit.context import BotContext

PRIVATE_MESSAGE = F.ChatType.PRIVATE & F.UpdateType.MESSAGE


def command(
    names: str | Collection[str], callback: Callable[[Update, BotContext], Coroutine[Any, Any, None]]
) -> CommandHandler[BotContext, None]:
    """The handler of a command a rep sends in their private chat."""
    return CommandHandler(names, callback, filters=PRIVATE_MESSAGE)
