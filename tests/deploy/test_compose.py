"""compose.yaml as a deployer relies on it, checked without Docker: valid against the Compose
Specification's schema (tests/deploy/compose-spec.json, compose-spec/compose-spec's schema/compose-spec.json,
vendored so the test needs no network), every image pinned by digest, every service's logs rotated, and the
secrets read from files, never from .env."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
DIGEST_PINNED = re.compile(r"^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$")
SECRET_SETTINGS = ("BOT_TOKEN", "WEBHOOK_SECRET", "DATABASE_PASSWORD", "POSTGRES_PASSWORD")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads((ROOT / "tests" / "deploy" / "compose-spec.json").read_text(encoding="utf-8"))
    jsonschema.validate(compose(), schema, cls=jsonschema.Draft7Validator)


def test_a_broken_compose_file_is_caught_by_the_schema() -> None:
    """The check can fail: a misspelt key is refused, as `docker compose config` would refuse it."""
    schema = json.loads((ROOT / "tests" / "deploy" / "compose-spec.json").read_text(encoding="utf-8"))
    broken = compose()
    broken["services"]["bot"]["restarts"] = broken["services"]["bot"].pop("restart")
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(broken))
    assert any("restarts" in error.message for error in errors)


def test_every_image_is_pinned_by_digest_and_built_images_come_from_this_dockerfile() -> None:
    for name, service in compose()["services"].items():
        if "build" in service:
            continue  # the bot's own image, from the Dockerfile (pinned there; test_dockerfile.py)
        assert DIGEST_PINNED.match(service["image"]), f"{name}: {service['image']} is not pinned by digest"


def test_every_service_rotates_its_logs() -> None:
    for name, service in compose()["services"].items():
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) >= 2, name


def test_secrets_come_from_files_and_never_from_the_environment() -> None:
    spec = compose()
    assert set(spec["secrets"]) == {"bot_token", "webhook_secret", "database_password"}
    assert all(set(secret) == {"file"} for secret in spec["secrets"].values())
    services = spec["services"]
    assert set(services["bot"]["secrets"]) == {"bot_token", "webhook_secret", "database_password"}
    assert services["migrate"]["secrets"] == ["database_password"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/database_password"
    for name, service in services.items():
        environment = service.get("environment", {})
        assert not set(SECRET_SETTINGS) & set(environment), f"{name} takes a secret from the environment"
        assert ":" not in str(environment.get("DATABASE_URL", "")).split("@")[0].removeprefix(
            "postgresql://"
        ), f"{name}: DATABASE_URL carries a password"
    assert "secrets/" in (ROOT / ".gitignore").read_text(encoding="utf-8")
