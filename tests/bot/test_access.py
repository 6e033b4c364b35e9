"""Who may invite whom; the gate's memory; how many wrong invite codes are looked up."""

from __future__ import annotations

import pytest

from bot.access import AccessGate, InviteThrottle, invite_code, may_invite
from bot.config import Settings


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


def test_a_few_wrong_codes_are_looked_up_then_none_for_an_hour() -> None:
    throttle = InviteThrottle(limit=3, window=600.0, block_for=3600.0)
    for at in (0.0, 60.0):
        assert throttle.may_try(7, at)
        throttle.failed(7, at)
    assert throttle.may_try(7, 120.0)
    throttle.failed(7, 120.0)  # the third wrong code within ten minutes
    assert not throttle.may_try(7, 121.0)
    assert not throttle.may_try(7, 120.0 + 3599.0)
    assert throttle.may_try(7, 120.0 + 3600.0)
    assert throttle.may_try(8, 121.0)  # one user's guessing costs nobody else their tries


def test_wrong_codes_far_apart_are_forgiven() -> None:
    throttle = InviteThrottle(limit=3, window=600.0, block_for=3600.0)
    for at in (0.0, 601.0, 1202.0, 1803.0):
        assert throttle.may_try(7, at)
        throttle.failed(7, at)
    assert throttle.may_try(7, 1804.0)


def test_getting_in_clears_the_wrong_codes() -> None:
    throttle = InviteThrottle(limit=2)
    throttle.failed(7, 0.0)
    throttle.forget(7)
    throttle.failed(7, 1.0)
    assert throttle.may_try(7, 2.0)


def test_the_throttle_remembers_a_bounded_number_of_users() -> None:
    throttle = InviteThrottle(limit=1, max_entries=100)
    for user_id in range(1000):
        throttle.failed(user_id, 0.0)
    assert len(throttle.users) == 100
    assert not throttle.may_try(999, 1.0)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("/start madeUpCode_12345", "madeUpCode_12345"),
        ("/start@prospect_bot abcdefghABCDEF-_", "abcdefghABCDEF-_"),
        ("/start", None),
        ("/start short", None),
        ("/start madeUpCode_123456", None),  # 17 characters: no code is that long
        ("/start x' OR 1=1 --aaaaaaaa", None),
        ("hello madeUpCode_12345", None),
        (None, None),
    ],
)
def test_only_a_well_formed_deep_link_carries_a_code(text: str | None, code: str | None) -> None:
    assert invite_code(text) == code


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def gate_of(clock: Clock, **settings: object) -> AccessGate:
    values: dict[str, object] = {"bot_token": "1:x", "allowed_users": ["4242"], **settings}
    return AccessGate(Settings(_env_file=None, **values), monotonic=clock)  # type: ignore[arg-type]


def test_a_stranger_is_answered_once_an_hour() -> None:
    clock = Clock()
    gate = gate_of(clock)
    assert gate.allows(4242, None) and not gate.allows(777, None)
    assert gate.answer_due(777)
    clock.now = 3599.0
    assert not gate.answer_due(777)
    clock.now = 3600.0
    assert gate.answer_due(777)


def test_the_invited_are_let_in_from_memory_and_the_erased_are_not() -> None:
    clock = Clock()
    gate = gate_of(clock)
    gate.know_invited({555})
    assert gate.allows(555, None)
    gate.admit(556)
    gate.know_invited({555})  # a refresh that began before 556 joined
    assert gate.allows(556, None)
    gate.forget(555)
    assert not gate.allows(555, None)


def test_an_open_bot_lets_everyone_in() -> None:
    assert gate_of(Clock(), allowed_users=[]).allows(777, None)
