"""Logging: plain text or JSON lines, with nothing secret or personal in any record, at any level.

Every record reaches the one handler on the root logger, whichever logger made it: the bot's own,
python-telegram-bot's, httpx's, aiohttp's, APScheduler's, asyncio's exception handler; an uncaught error
is logged there too (`sys.excepthook`, `threading.excepthook`), so LOG_FORMAT=json covers it. The handler's
filter (`Redaction`) rewrites each record before it is formatted:

- the bot token (whole, URL-encoded, and its secret half), the webhook secret and the database password
  are replaced by "[redacted]" in the message, its arguments, the traceback and the stack: PTB logs the Bot
  API URL and the file URL, which hold the token, at DEBUG, and an InvalidToken error quotes the token;
- a traceback shows each exception's type, and the message only of exceptions that cannot quote stored
  values: a database error's text does ("DETAIL: Key (name_key)=(anna virtanen)", "[parameters: ...]"),
  so it is replaced by its SQLSTATE and statement (SQLite's own messages, which never quote values, stay);
- PTB's DEBUG lines about Bot API calls keep the method and the names of its parameters, not their
  values (the texts sent, the chat's names);
- the token in a calendar feed's path (`/calendar/<token>.ics`) is replaced too, wherever a library
  prints a request's path or URL.

httpx logs every request URL at INFO; it and APScheduler's per-run lines stay at WARNING.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import IO
from urllib.parse import quote, quote_plus, unquote, urlsplit

from bot.config import DeploymentSettings, Settings

# alembic.runtime.plugins: seven "setup plugin" lines at INFO on every start, before anything else is said.
QUIET_LIBRARIES = ("httpx", "httpcore", "apscheduler", "alembic.runtime.plugins")
REDACTED = "[redacted]"
# Exceptions from these packages may quote the values of a statement or of a validated input.
WITHHELD_MESSAGE_PACKAGES = frozenset({"sqlalchemy", "psycopg", "psycopg2", "pydantic", "pydantic_core"})
# A secret shorter than this is replaced only where it stands alone, not inside a longer word: a short
# WEBHOOK_SECRET must not blank out every line that happens to contain its letters.
_WHOLE_WORD_BELOW = 8
_WORD = "A-Za-z0-9_-"
_SCALARS = (str, int, float, bool, type(None))
_STATEMENT_SHOWN = 300
# A calendar feed's path holds its token: wherever a library prints a request's path, the token goes.
_FEED_PATH = re.compile(r"(/calendar/)[^\s/?#\"']+")

log = logging.getLogger(__name__)


class Redaction(logging.Filter):
    """Rewrites every record so that no secret and no stored value reaches the output (module docstring)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            forms |= {secret, quote(secret, safe=""), quote_plus(secret)}
            _bot_id, colon, half = secret.partition(":")
            if colon and half:
                forms.add(half)  # what follows "/bot<id>:" wherever a URL is cut or re-encoded
        patterns = [
            re.escape(form)
            if len(form) >= _WHOLE_WORD_BELOW
            else rf"(?<![{_WORD}]){re.escape(form)}(?![{_WORD}])"
            for form in sorted(forms, key=len, reverse=True)
        ]
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def redact(self, text: str) -> str:
        text = _FEED_PATH.sub(rf"\g<1>{REDACTED}", text)
        return self._pattern.sub(REDACTED, text) if self._pattern is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and record.levelno < logging.INFO:
            record.args = _shapes_only(record.args)
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: logging would print them raw
            message = f"{record.msg} (its arguments did not fit and are not shown)"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(describe_exception(record.exc_info[1]))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _shapes_only(
    args: tuple[object, ...] | Mapping[str, object] | None,
) -> tuple[object, ...] | Mapping[str, object] | None:
    """PTB's DEBUG arguments with every container replaced by its shape: a dict by its keys (a Bot API
    call's parameter names), anything else but a plain value by its type."""

    def shape(value: object) -> object:
        if isinstance(value, _SCALARS):
            return value
        if isinstance(value, Mapping):
            return "{" + ", ".join(str(key) for key in value) + "}"
        if isinstance(value, Sequence) and all(isinstance(item, int) for item in value):
            return list(value)  # update ids
        if isinstance(value, Sequence):
            return f"[{len(value)} items]"
        return f"<{type(value).__name__}>"

    if isinstance(args, tuple):
        return tuple(shape(arg) for arg in args)
    if isinstance(args, Mapping):
        return {key: shape(value) for key, value in args.items()}
    return args


def describe_exception(error: BaseException) -> str:
    """The traceback as Python prints it, the chain of causes included, with each exception's message
    replaced by what it safely says when it may quote stored values (`headline`)."""
    parts: list[str] = []
    seen: set[int] = set()

    def add(exception: BaseException) -> None:
        seen.add(id(exception))
        cause = exception.__cause__
        context = None if exception.__suppress_context__ else exception.__context__
        if cause is not None and id(cause) not in seen:
            add(cause)
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif context is not None and id(context) not in seen:
            add(context)
            parts.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        if exception.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(exception.__traceback__))
        parts.append(headline(exception) + "\n")

    add(error)
    return "".join(parts).rstrip("\n")


def headline(error: BaseException) -> str:
    """`module.Type: message`, or for an error that may quote stored values, its type with what identifies
    the failure without them: SQLSTATE, SQLAlchemy's error code (sqlalche.me/e/<version>/<code>), the
    statement (its values are bound
    parameters, never in its text)."""
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    if kind.__module__.split(".")[0] not in WITHHELD_MESSAGE_PACKAGES:
        if isinstance(error, sqlite3.Error) and not error.args:
            return name
        return "".join(traceback.format_exception_only(kind, error)).rstrip("\n")
    details = []
    orig = getattr(error, "orig", None)
    if isinstance(orig, BaseException):
        details.append(f"from {type(orig).__module__}.{type(orig).__qualname__}")
        if isinstance(orig, sqlite3.Error):
            details.append(f"SQLite says: {orig}")  # SQLite's own messages name tables, never values
    for source in (orig, error):
        sqlstate = getattr(source, "sqlstate", None) or getattr(source, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate:
            details.append(f"SQLSTATE {sqlstate}")
            break
    code = getattr(error, "code", None)
    if isinstance(code, str) and kind.__module__.startswith("sqlalchemy"):
        details.append(f"SQLAlchemy code {code}")
    statement = getattr(error, "statement", None)
    if isinstance(statement, str) and statement:
        text = " ".join(statement.split())
        details.append("SQL: " + (text[:_STATEMENT_SHOWN] + " ..." if len(text) > _STATEMENT_SHOWN else text))
    details.append("message withheld: it may quote stored values")
    return f"{name} ({'; '.join(details)})"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            # Redaction put the safe traceback in exc_text; without it (a handler of its own), the usual one.
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def secrets_of(settings: DeploymentSettings) -> list[str]:
    """What must never be logged: the token, the webhook secret, the database password."""
    secrets = [unquote(urlsplit(settings.database_url).password or "")]
    if settings.database_password is not None:
        secrets.append(settings.database_password.get_secret_value())
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    if isinstance(settings, Settings):
        secrets.append(settings.bot_token.get_secret_value())
    return [secret for secret in secrets if secret]


def configure_logging(
    level: str,
    log_format: str = "text",
    *,
    secrets: Iterable[str | None] = (),
    stream: IO[str] | None = None,
) -> None:
    """The root handler (to stderr, or `stream`) with the redaction of these secrets, the libraries
    quietened, and uncaught errors logged through it."""
    handler = logging.StreamHandler(stream)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redaction(secrets))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    quiet_libraries()
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def quiet_libraries() -> None:
    """Libraries log at WARNING and above only (httpx's INFO lines hold the token in the URL)."""
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    log.critical("the bot stopped on an unexpected error", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    thread = args.thread.name if args.thread is not None else "a thread"
    log.critical(
        "unexpected error in %s", thread, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
    )
