"""JSON log lines: level, logger and the formatted message."""

from __future__ import annotations

import json
import logging

from runtime.logs import JsonFormatter


def test_json_log_lines() -> None:
    record = logging.LogRecord("runtime.dispatcher", logging.WARNING, __file__, 1, "waited %d s", (3,), None)
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "runtime.dispatcher", "waited 3 s")
