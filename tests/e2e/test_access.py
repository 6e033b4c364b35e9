"""Access and teams: strangers refused once, invites (valid, reused, expired), a manager's view of the
team, reassignment, and isolation by crafted button data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tests.factories import FakeClock, RepChat, storage_of
from tests.fake_bot_api import FakeBotAPI

ADMIN = 9001
StartApp = Callable[..., Awaitable[Any]]


async def private_bot(start_app: StartApp) -> Any:
    return await start_app(allowed_users=["4242"], admin_users=[str(ADMIN)])


def chat(app: Any, fake: FakeBotAPI, clock: FakeClock, user_id: int, name: str) -> RepChat:
    return RepChat(app, fake, user_id=user_id, first_name=name, clock=clock)


async def invite_link(admin: RepChat, role: str = "👤 A rep") -> str:
    await admin.send("/invite")
    await admin.press(role)
    link = next(word for word in admin.last_text.split() if word.startswith("https://t.me/"))
    assert link.startswith("https://t.me/prospect_test_bot?start=")
    return link.split("=", 1)[1]


async def test_a_stranger_gets_one_polite_refusal_and_nothing_is_stored(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await private_bot(start_app)
    stranger = chat(app, fake, clock, 777, "Eve")
    for _ in range(50):
        await stranger.send("Anna Virtanen, Acme Oy")
    await stranger.press_data("q:1:need:yes", message=stranger.last)
    assert [m.text for m in stranger.messages] == [
        "Sorry, this bot is private. Ask the person who runs it for an invite link."
    ]
    with storage_of(app).engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM rep").scalar() == 0
        assert connection.exec_driver_sql("SELECT count(*) FROM capturedraft").scalar() == 0
    # A listed user is served as usual meanwhile.
    listed = chat(app, fake, clock, 4242, "Lea")
    await listed.send("/help")
    assert "/new" in listed.last_text


async def test_an_invite_works_once_and_expires(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await private_bot(start_app)
    admin = chat(app, fake, clock, ADMIN, "Ada")
    code = await invite_link(admin)
    newcomer = chat(app, fake, clock, 555, "Nina")
    await newcomer.send(f"/start {code}")
    assert "Hi Nina" in newcomer.last_text
    await newcomer.send("Anna Virtanen, Acme Oy")
    assert "Need?" in newcomer.last_text
    second = chat(app, fake, clock, 556, "Otto")
    await second.send(f"/start {code}")
    assert second.last_text == "This invite link was already used. Ask for a new one."
    await second.send("hello")
    assert len(second.messages) == 1  # refused once: the invite answer was the refusal
    late_code = await invite_link(admin)
    clock.advance(timedelta(days=8))
    third = chat(app, fake, clock, 557, "Pia")
    await third.send(f"/start {late_code}")
    assert third.last_text == "This invite link has expired. Ask for a new one."
    await third.send("/start notavalidcode123")
    assert "that invite link is not valid" in third.last_text


async def test_only_admins_create_teams_and_manager_invites(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await private_bot(start_app)
    listed = chat(app, fake, clock, 4242, "Lea")
    await listed.send("/newteam Pirates")
    assert "Only an admin" in listed.last_text
    await listed.send("/invite")
    assert "Only an admin" in listed.last_text
    await listed.send("/team")
    assert "Only a team's manager" in listed.last_text


async def team_with_two_reps(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> tuple[RepChat, RepChat, RepChat]:
    admin = chat(app, fake, clock, ADMIN, "Ada")
    await admin.send("/newteam Sales North")
    assert "Team Sales North created" in admin.last_text
    reps = []
    for user_id, name in ((601, "Mikko"), (602, "Sara")):
        code = await invite_link(admin)
        rep = chat(app, fake, clock, user_id, name)
        await rep.send(f"/start {code}")
        assert "You joined the team Sales North" in rep.messages[-2].text  # type: ignore[operator]
        reps.append(rep)
    return admin, reps[0], reps[1]


async def capture(rep: RepChat, name: str) -> None:
    await rep.send(name)
    await rep.press("Yes")
    await rep.press("⏩ Finish")
    await rep.press("Tomorrow")
    await rep.press("✅ Save")


async def test_a_manager_sees_the_team_and_reassigns_a_reps_contacts(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await private_bot(start_app)
    manager, mikko, sara = await team_with_two_reps(app, fake, clock)
    await capture(mikko, "Anna Virtanen, Acme Oy")
    await capture(mikko, "Pekka Salo, Nokia")
    await capture(sara, "Jean Dupont, Renault")
    await manager.send("/team")
    view = manager.last_text
    assert "Sales North" in view and "Funnel: Lead 3 · Prospect 0" in view
    assert "Mikko : Lead 2" in view and "Sara : Lead 1" in view
    # Reps see only their own records.
    await sara.send("/find anna")
    assert "Nothing found" in sara.last_text
    await mikko.send("/team")
    assert "Only a team's manager" in mikko.last_text
    await manager.press("↪ Reassign Mikko")
    await manager.press("→ Sara")
    await manager.press("↪ Yes, move them")
    assert "Moved 2 contacts from Mikko to Sara" in manager.last_text
    await sara.send("/find anna")
    assert "Anna Virtanen" in sara.last_text
    await mikko.send("/leads")
    assert "No leads yet" in mikko.last_text


async def test_crafted_team_buttons_from_a_rep_change_nothing(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await private_bot(start_app)
    _, mikko, sara = await team_with_two_reps(app, fake, clock)
    await capture(sara, "Jean Dupont, Renault")
    repo = storage_of(app)
    sara_id = repo.reps.get_rep(telegram_id=602).id
    mikko_id = repo.reps.get_rep(telegram_id=601).id
    await mikko.send("/help")
    answer = await mikko.press_data(f"tm:{sara_id}:do:{mikko_id}", message=mikko.last)
    assert answer == "Only a team's manager sees the team."
    await mikko.send("/find jean")
    assert "Nothing found" in mikko.last_text


async def test_a_manager_cannot_reassign_to_someone_outside_the_team(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await private_bot(start_app)
    manager, mikko, _ = await team_with_two_reps(app, fake, clock)
    await capture(mikko, "Anna Virtanen, Acme Oy")
    mikko_id = storage_of(app).reps.get_rep(telegram_id=601).id
    await manager.send("/team")
    refused = "Only a team's manager sees the team."
    for data in (f"tm:{mikko_id}:to:99999", f"tm:{mikko_id}:do:99999", f"tm:{mikko_id}:do"):
        assert await manager.press_data(data, message=manager.last) == refused
    await mikko.send("/leads")
    assert "Anna Virtanen" in mikko.last_text
