"""requirements.lock, which the image installs, against pyproject.toml: every dependency of the bot (and of
PostgreSQL's extra) is pinned there to a version its range allows, with hashes, so a change of a range
without a new lock fails here instead of shipping an image that installs something else."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)")


def pins() -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


def needed() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [
        Requirement(text)
        for text in [*project["dependencies"], *project["optional-dependencies"]["postgres"]]
    ]


def test_every_dependency_is_locked_within_its_range() -> None:
    locked = pins()
    for requirement in needed():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock: regenerate it (README.md)"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock pins {name} {locked[name]}, outside pyproject.toml's {requirement.specifier}"
        )


def test_every_pin_has_its_hashes() -> None:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    assert len(blocks) == len(pins()) >= len(needed())
    assert all("--hash=sha256:" in block for block in blocks if PIN.match(block))
