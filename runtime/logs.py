"""Logging: plain text or JSON lines, and nothing personal or secret at INFO and above.

The bot's own log lines carry ids and counts, never names, phones or notes. Libraries are tuned here:
httpx logs every request URL at INFO, and a Bot API URL contains the token.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

QUIET_LIBRARIES = ("httpx", "httpcore", "apscheduler")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    quiet_libraries()


def quiet_libraries() -> None:
    """Libraries log at WARNING and above only (httpx's INFO lines hold the token in the URL)."""
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
