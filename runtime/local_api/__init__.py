"""A local Telegram Bot API: the server in memory that `python main.py try` runs the real bot against
(server.py), Telegram's rules for formatted text (formatting.py) and for keyboards, commands and webhooks
(validation.py), and reading a request as Telegram does (wire.py). The test suite's fake Bot API is built
on it, so the bot a newcomer tries is held to the same rules as the one the tests check.

It knows only Telegram's side of the wire: nothing here imports the bot's layers (pyproject's
import-linter contracts check it)."""

from runtime.local_api.formatting import FormattedText, HtmlParseError, TextEntity, format_text, parse_html
from runtime.local_api.refusals import BotApiRefusal
from runtime.local_api.server import LocalBotAPI, Rejection, SentMessage
from runtime.local_api.wire import UploadedFile

__all__ = [
    "BotApiRefusal",
    "FormattedText",
    "HtmlParseError",
    "LocalBotAPI",
    "Rejection",
    "SentMessage",
    "TextEntity",
    "UploadedFile",
    "format_text",
    "parse_html",
]
