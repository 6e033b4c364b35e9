"""The entry point: `python main.py` runs the bot (long polling, or webhook mode with WEBHOOK_URL);
`python main.py migrate` only migrates the database; `python main.py healthcheck` is Docker's HEALTHCHECK."""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

from pydantic import ValidationError

from bot.config import Settings
from runtime.logs import configure_logging

# Served by runtime/webhook.py; tests/e2e/test_webhook.py runs `healthcheck` against that server.
HEALTH_PATH = "/healthz"


def load_settings() -> Settings:
    try:
        return Settings()
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


def healthcheck(settings: Settings) -> int:
    """0 when this container's /healthz answers 200. In polling mode there is no server to ask, and a bot
    that stopped working exits (and is restarted) instead, so there is nothing to check: 0 as well."""
    if not settings.webhook_url:
        print("polling mode: no health endpoint")
        return 0
    host = "127.0.0.1" if settings.listen in ("", "0.0.0.0", "::") else settings.listen
    host = f"[{host}]" if ":" in host else host
    try:
        with urllib.request.urlopen(f"http://{host}:{settings.port}{HEALTH_PATH}", timeout=8) as answer:
            print(answer.status, answer.read().decode("utf-8", "replace"))
            return 0 if answer.status == 200 else 1
    except urllib.error.HTTPError as error:  # 503: the database does not answer
        print(error.code, error.read().decode("utf-8", "replace"))
    except OSError as error:
        print(f"no answer: {type(error).__name__}")
    return 1


def run(settings: Settings) -> None:
    import asyncio

    from runtime.application import build_application
    from runtime.polling import run_polling
    from runtime.webhook import WebhookConfigError, run_webhook

    application = build_application(settings)
    if settings.webhook_url:
        # Our own small server instead of PTB's run_webhook: an update is confirmed to Telegram only after
        # it was processed, and /healthz checks the database (runtime/webhook.py says more).
        try:
            asyncio.run(run_webhook(application, settings))
        except WebhookConfigError as error:
            sys.exit(f"Configuration error: {error}.")
    else:
        # Our own loop instead of PTB's run_polling: a fetched update is stored before Telegram is told
        # it arrived, so a process killed mid-batch loses nothing (runtime/polling.py says more).
        asyncio.run(run_polling(application))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Prospect bot: capture, qualify and follow up on leads in Telegram."
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "migrate", "healthcheck"],
        help="run (default), migrate, or healthcheck (for Docker's HEALTHCHECK)",
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "healthcheck":
        # Docker runs this every 30 seconds in every replica: it imports only the settings, not the bot
        # (migrate and run import theirs when called).
        sys.exit(healthcheck(settings))
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "migrate":
        from runtime.application import migrate_database

        migrate_database(settings)
    else:
        run(settings)


if __name__ == "__main__":
    main()
