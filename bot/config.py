"""Settings: the only module that reads the environment (or a .env file)."""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

SUPPORTED_LANGUAGES = ("en", "fi", "nb", "hu", "fr")
Language = Literal["en", "fi", "nb", "hu", "fr"]

# A Bot API token is "<bot id>:<secret>"; checking the shape early turns a typo into a clear start-up error
# instead of a 401 from Telegram after the bot has already opened its database.
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Words of the example tokens in .env.example and README.md; a real token's secret is random letters.
_PLACEHOLDER_WORDS = ("replace-with", "your-token", "from-botfather")
# Where Docker and compose mount secrets (`secrets:`): one file per setting, named like it (bot_token,
# webhook_secret, database_password). SECRETS_DIR names another folder.
DEFAULT_SECRETS_DIR = Path("/run/secrets")


class SecretsFolderError(ValueError):
    """SECRETS_DIR names no folder: a deployment whose secrets would silently not be read."""


def secrets_folder() -> Path | None:
    """The folder settings are also read from, one file per setting: SECRETS_DIR, or /run/secrets when it
    exists (Docker's), or none."""
    configured = os.environ.get("SECRETS_DIR", "").strip()
    if configured:
        if not Path(configured).is_dir():
            raise SecretsFolderError(f"SECRETS_DIR {configured!r} is not a folder")
        return Path(configured)
    return DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None


class DeploymentSettings(BaseSettings):
    """Everything the deployer can set but the token, with the defaults the README documents: what
    `python main.py migrate` and `healthcheck` read, so they run where no BOT_TOKEN is set."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///data/prospect.db"
    # PostgreSQL's password, kept out of DATABASE_URL (a secret file, compose's `secrets:`): put into the
    # URL, which must then have none.
    database_password: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    # Where files sent to the bot are downloaded from (a self-hosted Bot API server serves them too).
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    default_language: Language = "en"
    default_timezone: str = "UTC"
    digest_time: time = time(8, 30)
    allowed_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Admins may always use the bot, create teams and invite links.
    admin_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    invite_days: int = Field(default=7, ge=1, le=90)
    # Lost contacts untouched for this many months are erased (0: kept for ever).
    retention_lost_months: int = Field(default=0, ge=0)
    log_format: Literal["text", "json"] = "text"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "0.0.0.0"
    port: int = 8443
    # The address the bot's web server is reached at from outside (scheme, host, an optional path a proxy
    # strips), for the reps' calendar subscriptions; unset in webhook mode: the origin of WEBHOOK_URL.
    public_url: str | None = None
    # Long polling has no web server; with this port it serves the calendar feeds on LISTEN:CALENDAR_PORT.
    calendar_port: int | None = Field(default=None, ge=0, le=65535)
    log_level: str = "INFO"
    # Where Tesseract's language data is, for reading business cards; unset: where Debian's tesseract-ocr
    # packages put it. Without it (or them) the bot says card reading is not set up.
    card_reading_data: Path | None = None
    # Long polling: where the bot writes when its loops last ran, for `python main.py healthcheck`.
    health_file: Path = Path("data/health.json")
    # Updates handled at once by one process (those of one chat always one after another).
    concurrent_updates: int = Field(default=16, ge=1, le=256)
    # Threads that run database calls off the event loop; unset: one per connection the pool lends (15),
    # 0: on the event loop itself (one process, one rep at a time, as a benchmark baseline).
    database_threads: int | None = Field(default=None, ge=0, le=256)
    # How often the dispatcher looks for due follow-ups and digests.
    dispatch_interval_seconds: float = Field(default=20.0, gt=0)
    # Reminders and digests sent per second by one process: under Telegram's ~30/s, leaving room for
    # replies; with several replicas, divide by their number.
    broadcast_rate_per_second: float = Field(default=28.0, gt=0, le=30)

    @field_validator("default_timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not an IANA time zone") from error
        return value

    @field_validator("allowed_users", "admin_users", mode="before")
    @classmethod
    def _split_allowed_users(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_for_sqlalchemy(cls, value: str) -> str:
        # Deployers write the URL their PostgreSQL host gives them; SQLAlchemy needs the driver named.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # pydantic-settings' own order (an environment variable wins over a secret file), with the secrets'
        # folder found when the settings are read rather than fixed in the class.
        folder = secrets_folder()
        secrets = SecretsSettingsSource(settings_cls, secrets_dir=folder) if folder else file_secret_settings
        return init_settings, env_settings, dotenv_settings, secrets

    @model_validator(mode="after")
    def _database_password_into_url(self) -> DeploymentSettings:
        if self.database_password is None:
            return self
        parts = urlsplit(self.database_url)
        if not parts.scheme.startswith("postgresql"):
            raise ValueError("DATABASE_PASSWORD is set but DATABASE_URL is not a PostgreSQL one")
        user, at, host = parts.netloc.rpartition("@")
        if ":" in user:
            raise ValueError("DATABASE_URL has a password and DATABASE_PASSWORD is set too: keep one")
        password = quote(self.database_password.get_secret_value(), safe="")
        netloc = f"{user}:{password}@{host}" if at else f":{password}@{host}"
        self.database_url = parts._replace(netloc=netloc).geturl()
        return self

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> DeploymentSettings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError(
                "WEBHOOK_URL is set but WEBHOOK_SECRET is not: Telegram's requests must be checked"
            )
        return self

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                "PUBLIC_URL must be an http:// or https:// address, such as https://bot.example.com"
            )
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _calendar_port_needs_public_url(self) -> DeploymentSettings:
        if self.calendar_port is not None and not self.webhook_url and not self.public_url:
            raise ValueError(
                "CALENDAR_PORT is set but PUBLIC_URL is not: the calendar's address must be known to give it"
            )
        return self

    @property
    def calendar_base_url(self) -> str | None:
        """Where the reps' calendar feeds are reached from outside, when a web server serves them: the
        webhook's server (PUBLIC_URL, or WEBHOOK_URL's origin), or in long polling CALENDAR_PORT's."""
        if self.webhook_url:
            if self.public_url:
                return self.public_url
            parts = urlsplit(self.webhook_url)
            return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        return self.public_url if self.calendar_port is not None else None

    def sqlite_path(self) -> Path | None:
        """The database file when running on SQLite, so its folder can be created on start."""
        if not self.database_url.startswith("sqlite:///"):
            return None
        path = self.database_url.removeprefix("sqlite:///")
        return None if path in ("", ":memory:") else Path(path)

    @property
    def open_to_all(self) -> bool:
        """An empty ALLOWED_USERS lets anyone register."""
        return not self.allowed_users

    def is_listed(self, user_id: int, username: str | None) -> bool:
        """On ALLOWED_USERS or ADMIN_USERS, by id or @username."""
        return _listed(self.allowed_users + self.admin_users, user_id, username)

    def is_admin(self, user_id: int, username: str | None) -> bool:
        return _listed(self.admin_users, user_id, username)


class Settings(DeploymentSettings):
    """The settings of the running bot: the deployment's, and the token from @BotFather."""

    bot_token: SecretStr

    @field_validator("bot_token")
    @classmethod
    def _token_has_bot_api_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if not _TOKEN_SHAPE.match(token):
            # The value itself is never echoed: a mistyped token is still mostly a secret.
            raise ValueError("BOT_TOKEN does not look like a token from @BotFather (<digits>:<letters>)")
        if is_placeholder_token(token):
            raise ValueError(
                "BOT_TOKEN is still the example from .env.example or the README: "
                "put the token @BotFather gave you there (/mybots, API Token)"
            )
        return value


def is_placeholder_token(token: str) -> bool:
    """The examples the documentation shows (`123456789:replace-with-your-token`), which have the shape
    of a token and would only be refused by Telegram, after the bot had opened its database."""
    _bot_id, _, secret = token.partition(":")
    return any(word in secret.lower() for word in _PLACEHOLDER_WORDS)


def _listed(entries: list[str], user_id: int, username: str | None) -> bool:
    names = {f"@{username.lower()}"} if username else set()
    return any(entry == str(user_id) or entry.lower() in names for entry in entries)
