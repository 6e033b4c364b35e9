"""The entry point: `python main.py` runs the bot; `python main.py migrate` only migrates the database."""

from __future__ import annotations

import argparse
import logging
import sys

from pydantic import ValidationError

from bot.app import build_application
from bot.config import Settings
from storage.engine import create_engine_for
from storage.migrate import upgrade_to_latest


def configure_logging(level: str) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level.upper())
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Alembic announces each migration at INFO: useful, harmless.


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Prospect bot: capture, qualify and follow up on leads in Telegram."
    )
    parser.add_argument(
        "command", nargs="?", default="run", choices=["run", "migrate"], help="run (default) or migrate"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_level)
    if args.command == "migrate":
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine_for(settings.database_url)
        upgrade_to_latest(engine)
        engine.dispose()
        logging.getLogger(__name__).info("database is at the newest schema")
        return
    application = build_application(settings)
    if settings.webhook_url:
        assert settings.webhook_secret is not None
        application.run_webhook(
            listen=settings.listen,
            port=settings.port,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
        )
    else:
        application.run_polling()


if __name__ == "__main__":
    main()
