"""Who may invite whom."""

from __future__ import annotations

import pytest

from bot.access import may_invite


@pytest.mark.parametrize(
    ("role", "admin", "inviter_role", "allowed"),
    [
        ("rep", True, "rep", True),
        ("manager", True, "rep", True),
        ("rep", False, "manager", True),
        ("manager", False, "manager", False),
        ("rep", False, "rep", False),
        ("manager", False, "rep", False),
        ("admin", True, "manager", False),
    ],
)
def test_admins_invite_anyone_managers_only_reps(
    role: str, admin: bool, inviter_role: str, allowed: bool
) -> None:
    assert may_invite(role, admin=admin, inviter_role=inviter_role) is allowed
