"""The settings: the calendar's web server (where its feeds are reached from, and what cannot work), and the
secrets read from files (SECRETS_DIR, Docker's /run/secrets), the database password put into DATABASE_URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot import config
from bot.config import DeploymentSettings, SecretsFolderError, Settings
from runtime.logs import Redaction, secrets_of


def deployment(**values: Any) -> DeploymentSettings:
    return DeploymentSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_calendar_is_reached_at_public_url_or_the_webhook_s_origin() -> None:
    assert deployment().calendar_base_url is None, "long polling without CALENDAR_PORT serves no feed"
    hooked = {"webhook_url": "https://bot.example.com:8443/telegram/hook", "webhook_secret": "s"}
    assert deployment(**hooked).calendar_base_url == "https://bot.example.com:8443"
    assert (
        deployment(**hooked, public_url="https://cal.example.com/prospect/").calendar_base_url
        == "https://cal.example.com/prospect"
    )
    polling = deployment(calendar_port=8080, public_url="http://10.0.0.5:8080")
    assert polling.calendar_base_url == "http://10.0.0.5:8080"
    # PUBLIC_URL alone, in long polling, starts no server: no feed to offer.
    assert deployment(public_url="https://cal.example.com").calendar_base_url is None


def test_calendar_settings_that_cannot_work_are_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="CALENDAR_PORT is set but PUBLIC_URL is not"):
        deployment(calendar_port=8080)
    for wrong in ("cal.example.com", "ftp://cal.example.com", "https://", "https://x.org/?a=1"):
        with pytest.raises(ValidationError, match="PUBLIC_URL must be an http"):
            deployment(public_url=wrong)


def write_secrets(folder: Path, **secrets: str) -> Path:
    """Files as compose's `secrets:` mounts them: one per setting, named like it, ending in a newline."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in secrets.items():
        (folder / name).write_text(value + "\n", encoding="utf-8")
    return folder


TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_secrets_are_read_from_the_files_in_secrets_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_secrets(
        tmp_path / "secrets", bot_token=TOKEN, webhook_secret="hook-secret_1", database_password="p@ss:w/rd"
    )
    for name in ("BOT_TOKEN", "WEBHOOK_SECRET", "DATABASE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRETS_DIR", str(folder))
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/telegram")
    monkeypatch.setenv("DATABASE_URL", "postgresql://prospect@db:5432/prospect")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == "hook-secret_1"
    # The password goes into the URL, encoded: '@', ':' and '/' would otherwise change its meaning.
    assert settings.database_url == "postgresql+psycopg://prospect:p%40ss%3Aw%2Frd@db:5432/prospect"
    # Neither the settings' text nor the log's redaction lets the password through.
    assert "p@ss" not in repr(settings) and "p%40ss" not in str(settings.database_password)
    assert "p@ss:w/rd" in secrets_of(settings) and TOKEN in secrets_of(settings)
    redaction = Redaction(secrets_of(settings))
    assert redaction.redact(f"connecting to {settings.database_url}") == (
        "connecting to postgresql+psycopg://prospect:[redacted]@db:5432/prospect"
    )


def test_an_environment_variable_wins_over_a_secret_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_secrets(tmp_path / "secrets", bot_token=TOKEN)
    monkeypatch.setenv("SECRETS_DIR", str(folder))
    monkeypatch.setenv("BOT_TOKEN", "42:AAHanotherTokenFromTheEnvironment")
    assert Settings(_env_file=None).bot_token.get_secret_value() == "42:AAHanotherTokenFromTheEnvironment"  # type: ignore[call-arg]


def test_a_secrets_dir_that_is_no_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path / "missing"))
    with pytest.raises(SecretsFolderError, match="is not a folder"):
        deployment()


def test_without_secrets_dir_docker_s_folder_is_used_only_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRETS_DIR", raising=False)
    monkeypatch.setattr(config, "DEFAULT_SECRETS_DIR", tmp_path / "run-secrets")
    assert config.secrets_folder() is None
    write_secrets(tmp_path / "run-secrets", database_password="from-docker")
    assert config.secrets_folder() == tmp_path / "run-secrets"
    settings = deployment(database_url="postgresql://prospect@db/prospect")
    assert settings.database_url == "postgresql+psycopg://prospect:from-docker@db/prospect"


def test_a_database_password_that_cannot_go_into_the_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL has a password and DATABASE_PASSWORD"):
        deployment(database_url="postgresql://prospect:old@db/prospect", database_password="new")
    with pytest.raises(ValidationError, match="DATABASE_URL is not a PostgreSQL one"):
        deployment(database_url="sqlite:///data/prospect.db", database_password="pw")
