"""The entry point: `python main.py` runs the bot (long polling, or webhook mode with WEBHOOK_URL);
`python main.py migrate` only migrates the database; `python main.py healthcheck` is Docker's HEALTHCHECK;
`python main.py try` runs the bot against a local Bot API with a chat page in the browser;
`python main.py backup PATH` copies the database consistently while the bot runs. None of those four
needs BOT_TOKEN."""

from __future__ import annotations

import argparse
import logging
import sys
import urllib.error
import urllib.request
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.config import DeploymentSettings, SecretsFolderError, Settings
from runtime.logs import configure_logging, secrets_of

# Served by runtime/webhook.py; tests/e2e/test_webhook.py runs `healthcheck` against that server.
HEALTH_PATH = "/healthz"

log = logging.getLogger("main")

SettingsKind = TypeVar("SettingsKind", bound=DeploymentSettings)


def load_settings(kind: type[SettingsKind], **overrides: Any) -> SettingsKind:
    try:
        return kind(**overrides)
    except SecretsFolderError as error:
        sys.exit(f"Configuration error: {error}.")
    except ValidationError as error:
        problems = "; ".join(
            f"{'_'.join(str(part) for part in problem['loc']).upper() or 'settings'}: {problem['msg']}"
            for problem in error.errors()
        )
        missing_token = any(
            problem["loc"] == ("bot_token",) and problem["type"] == "missing" for problem in error.errors()
        )
        hint = (
            " Set BOT_TOKEN (from @BotFather) in the environment or in a .env file." if missing_token else ""
        )
        sys.exit(f"Configuration error: {problems}.{hint}")


def healthcheck(settings: DeploymentSettings) -> int:
    """0 when this container's bot works. Webhook mode: its /healthz answers 200 (the database answers and
    the dispatcher runs). Long polling has no server: the bot writes when its dispatcher and its
    getUpdates loop last ran to HEALTH_FILE, and both must have run lately (runtime/health.py)."""
    if not settings.webhook_url:
        from runtime.health import problems_in_file

        problems = problems_in_file(settings.health_file)
        print("; ".join(problems) if problems else "ok")
        return 1 if problems else 0
    host = "127.0.0.1" if settings.listen in ("", "0.0.0.0", "::") else settings.listen
    host = f"[{host}]" if ":" in host else host
    try:
        with urllib.request.urlopen(f"http://{host}:{settings.port}{HEALTH_PATH}", timeout=8) as answer:
            print(answer.status, answer.read().decode("utf-8", "replace"))
            return 0 if answer.status == 200 else 1
    except urllib.error.HTTPError as error:  # 503: the database does not answer, or a loop stalled
        print(error.code, error.read().decode("utf-8", "replace"))
    except OSError as error:
        print(f"no answer: {type(error).__name__}")
    return 1


def run(settings: Settings) -> int:
    """Run the bot until it is stopped; the exit code. A start Telegram refuses, or a Bot API that cannot be
    reached, is one line saying which host and what to check, not a traceback."""
    import asyncio
    import gc

    from telegram.error import InvalidToken, NetworkError, TelegramError

    from runtime.application import build_application
    from runtime.polling import run_polling
    from runtime.webhook import WebhookConfigError, run_webhook

    application = build_application(settings)
    # What is alive now (the modules, the catalogs, the application) lives as long as the process. Left
    # to the collector, each full collection walks all of it, about 150,000 objects and 95 ms here, a
    # pause that lands in some rep's reply; frozen, a full collection walks only what came after.
    gc.collect()
    gc.freeze()
    bot_api = _host_of(settings.telegram_base_url)
    try:
        if settings.webhook_url:
            # Our own small server instead of PTB's run_webhook: an update is confirmed to Telegram only
            # after it was processed, and /healthz checks the database (runtime/webhook.py says more).
            asyncio.run(run_webhook(application, settings))
        else:
            # Our own loop instead of PTB's run_polling: a fetched update is stored before Telegram is
            # told it arrived, so a process killed mid-batch loses nothing (runtime/polling.py says more).
            asyncio.run(run_polling(application, health_file=settings.health_file))
    except WebhookConfigError as error:
        sys.exit(f"Configuration error: {error}.")
    except InvalidToken:
        log.critical(
            "the Bot API at %s rejected BOT_TOKEN: check the token with @BotFather (/mybots, API Token); "
            "it may have been revoked or replaced",
            bot_api,
        )
        return 1
    except NetworkError as error:  # TimedOut included; PTB names httpx's error in the message
        log.critical(
            "cannot reach the Bot API at %s (%s): check TELEGRAM_BASE_URL and this machine's network "
            "(DNS, firewall, proxy)",
            bot_api,
            error.message,
        )
        return 1
    except TelegramError as error:
        # Anything else escaping is a start-up call Telegram refused (setWebhook, deleteWebhook, ...).
        log.critical(
            "the Bot API at %s refused a start-up call (%s: %s): check %sTELEGRAM_BASE_URL",
            bot_api,
            type(error).__name__,
            error.message,
            "WEBHOOK_URL and " if settings.webhook_url else "",
        )
        return 1
    return 0


def try_it(port: int | None) -> int:
    """`python main.py try`: the bot and its chat page until Ctrl+C; the exit code."""
    import asyncio

    from runtime.try_locally import DEFAULT_PORT, run_try, try_overrides

    deployment = load_settings(DeploymentSettings)
    settings = load_settings(Settings, **try_overrides(deployment.admin_users))
    configure_logging(settings.log_level, settings.log_format, secrets=secrets_of(settings))
    try:
        asyncio.run(run_try(settings, port=DEFAULT_PORT if port is None else port))
    except OSError as error:
        log.critical(
            "the chat page cannot listen on 127.0.0.1:%s (%s): is it running already? --port picks another",
            DEFAULT_PORT if port is None else port,
            error.strerror,
        )
        return 1
    return 0


def _host_of(url: str) -> str:
    """The scheme, host and port of a URL: never its path, which a Bot API URL follows with the token, nor
    any user name and password in it."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}" if parts.hostname else "the configured URL"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Prospect bot: capture, qualify and follow up on leads in Telegram."
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "migrate", "healthcheck", "try", "backup"],
        help="run (default), migrate, healthcheck (for Docker's HEALTHCHECK), try (the bot with a chat "
        "page in the browser, no token needed), or backup PATH",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="try: the chat page's port on 127.0.0.1 (default 8765)",
    )
    parser.add_argument("path", nargs="?", help="backup: the file to write the copy to")
    args = parser.parse_args(argv)
    if args.command == "try":
        sys.exit(try_it(args.port))
    if args.command == "backup":
        from runtime.backup import backup

        sys.exit(backup(load_settings(DeploymentSettings), args.path))
    if args.command == "healthcheck":
        # Docker runs this every 30 seconds in every replica: it imports only the settings and the health
        # file's reader, not the bot; it needs no BOT_TOKEN, nor does migrate.
        sys.exit(healthcheck(load_settings(DeploymentSettings)))
    if args.command == "migrate":
        from runtime.application import migrate_database

        deployment = load_settings(DeploymentSettings)
        configure_logging(deployment.log_level, deployment.log_format, secrets=secrets_of(deployment))
        migrate_database(deployment)
        return
    settings = load_settings(Settings)
    configure_logging(settings.log_level, settings.log_format, secrets=secrets_of(settings))
    sys.exit(run(settings))


if __name__ == "__main__":
    main()
