"""Health: whether the parts of a running bot that must keep running have run lately.

Two loops keep a bot useful: the dispatcher's job (reminders and digests), every DISPATCH_INTERVAL_SECONDS,
and in polling mode the fetcher, whose getUpdates Telegram answers at the latest after its long-poll
timeout. Each says when it last ran well (`Health.beat`); a loop silent for longer than it may be
(`expect`) makes the bot unhealthy. Webhook mode's /healthz asks this object (and the database); in
polling mode there is no server, so the beats are also written to a small file (HEALTH_FILE) that
`python main.py healthcheck`, another process, reads. This module imports nothing heavy: the health check
runs every 30 seconds in every container.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# The file is rewritten at most this often, however often the loops beat.
WRITE_EVERY_SECONDS = 1.0


@dataclass
class _Check:
    within: float
    since: float  # when it was expected from, or when it last beat


class Health:
    """The loops' last beats, in this process, and written to `path` when one is given."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.path: Path | None = None
        self._checks: dict[str, _Check] = {}
        self._written = 0.0
        self._write_failed = False

    def expect(self, name: str, *, within: float) -> None:
        """From now on, `name` must beat at least every `within` seconds."""
        self._checks[name] = _Check(within, self.clock())
        self._write(force=True)

    def beat(self, name: str) -> None:
        check = self._checks.get(name)
        if check is not None:
            check.since = self.clock()
            self._write()

    def problems(self, now: float | None = None) -> list[str]:
        """What has been silent too long; empty when healthy."""
        return _problems(
            {name: (check.since, check.within) for name, check in self._checks.items()},
            self.clock() if now is None else now,
        )

    def write_to(self, path: Path) -> None:
        self.path = path
        self._write(force=True)

    def stop(self) -> None:
        """A clean stop: the file goes, so a health check finds the bot stopped rather than stale."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

    def _write(self, *, force: bool = False) -> None:
        now = self.clock()
        if not self._checks or self.path is None or (not force and now - self._written < WRITE_EVERY_SECONDS):
            return
        state = {
            "pid": os.getpid(),
            "checks": {name: {"at": c.since, "within": c.within} for name, c in self._checks.items()},
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(self.path.name + ".tmp")
            partial.write_text(json.dumps(state), encoding="utf-8")
            partial.replace(self.path)  # a reader sees the old file or the new one, never half of one
        except OSError as error:
            if not self._write_failed:
                log.warning(
                    "the health file %s cannot be written (%s): `healthcheck` will find the bot unhealthy",
                    self.path,
                    type(error).__name__,
                )
            self._write_failed = True
            return
        self._written, self._write_failed = now, False


def problems_in_file(path: Path, now: float | None = None) -> list[str]:
    """What `healthcheck` finds in the file a polling bot writes; empty when healthy."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        pid = int(state["pid"])
        checks = {name: (float(c["at"]), float(c["within"])) for name, c in state["checks"].items()}
    except FileNotFoundError:
        return [f"no {path}: the bot is not running, or is still starting"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return [f"{path} cannot be read ({type(error).__name__})"]
    if not _running(pid):
        return [f"the bot that wrote {path} (pid {pid}) is not running"]
    if not checks:
        return ["the bot is still starting"]
    return _problems(checks, time.time() if now is None else now)


def _problems(checks: dict[str, tuple[float, float]], now: float) -> list[str]:
    return [
        f"{name} has not run for {now - since:.0f} s (it runs at least every {within:.0f} s)"
        for name, (since, within) in checks.items()
        if now - since > within
    ]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: running
    return True
