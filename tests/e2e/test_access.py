"""Access and teams: strangers refused once an hour whatever they send, at no database cost and with nothing
stored; invites (valid, reused, expired, guessed), a manager's view of the team, reassignment, and
isolation by crafted button data."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from tests.factories import FakeClock, RepChat, Statements, storage_of, traces_of
from tests.fake_bot_api import FakeBotAPI, SentMessage

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


STRANGER = 777
# The stranger writes in Finnish: the refusal is in their language.
REFUSED = "Valitettavasti tämä botti on yksityinen. Pyydä botin ylläpitäjältä kutsulinkki."
REFUSED_SHORT = "Valitettavasti tämä botti on yksityinen."
USED = "Tämä kutsulinkki on jo käytetty. Pyydä uusi."
EXPIRED = "Tämä kutsulinkki on vanhentunut. Pyydä uusi."
UNKNOWN = (
    "Valitettavasti tämä botti on yksityinen, eikä kutsulinkki ole voimassa. Pyydä botin ylläpitäjältä uusi."
)
MADE_UP = "madeUpCode_12345"  # well formed: it takes the one read a code may cost
# A code is looked up at most this many times before the user's further codes are refused unread.
CODE_READS = 3


def rows(app: Any) -> dict[str, int]:
    """How many rows each table holds (and how many invites are unused): whatever a stranger could leave
    anywhere shows here."""
    with storage_of(app).engine.connect() as connection:
        counts = {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }
        invite = SQLModel.metadata.tables["invite"]
        unused = sa.select(sa.func.count()).select_from(invite).where(invite.c.used_at.is_(None))
        counts["invite unused"] = connection.execute(unused).scalar_one()
    return counts


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.upper().startswith(("SELECT", "BEGIN", "COMMIT", "ROLLBACK"))]


async def used_code(app: Any, fake: FakeBotAPI, clock: FakeClock) -> str:
    code = await invite_link(chat(app, fake, clock, ADMIN, "Ada"))
    await chat(app, fake, clock, 556, "Otto").send(f"/start {code}")
    return code


async def expired_code(app: Any, fake: FakeBotAPI, clock: FakeClock) -> str:
    code = await invite_link(chat(app, fake, clock, ADMIN, "Ada"))
    clock.advance(timedelta(days=8))
    return code


async def no_code(app: Any, fake: FakeBotAPI, clock: FakeClock) -> str:
    return MADE_UP


A_FORGED_MESSAGE = SentMessage(message_id=1, chat_id=STRANGER, text="", parse_mode=None, reply_markup=None)
Act = Callable[[RepChat], Awaitable[Any]]
# What a stranger may send: (what it is, the message it first gets, if any, and sending it).
KINDS: list[tuple[str, str | None, Act]] = [
    ("text", REFUSED, lambda eve: eve.send("Anna Virtanen, Acme Oy")),
    ("/start", REFUSED, lambda eve: eve.send("/start")),
    ("/start with a code that is not one", REFUSED, lambda eve: eve.send("/start x' OR 1=1 --")),
    ("another command with a parameter", REFUSED, lambda eve: eve.send("/find Anna")),
    ("a forged button", None, lambda eve: eve.press_data("q:1:need:yes", message=A_FORGED_MESSAGE)),
    ("a document", REFUSED, lambda eve: eve.send_document(b"name\nAnna\n", "contacts.csv")),
    ("a contact", REFUSED, lambda eve: eve.send_contact("+358401234567", "Anna", "Virtanen")),
    ("a photo", REFUSED, lambda eve: eve.send_photo()),
    ("a sticker", REFUSED, lambda eve: eve.send_sticker()),
    ("a voice message", REFUSED, lambda eve: eve.send_voice()),
    ("an edited message", REFUSED, lambda eve: eve.edit("Anna Virtanen, Acme Oy")),
]
CODES: list[tuple[str, str, Callable[[Any, FakeBotAPI, FakeClock], Awaitable[str]]]] = [
    ("a made-up code", UNKNOWN, no_code),
    ("a used code", USED, used_code),
    ("an expired code", EXPIRED, expired_code),
]


@pytest.mark.parametrize(("kind", "answer", "act"), KINDS, ids=[kind for kind, _, _ in KINDS])
async def test_a_stranger_costs_no_query_gets_one_answer_an_hour_and_nothing_is_stored(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock, kind: str, answer: str | None, act: Act
) -> None:
    app = await private_bot(start_app)
    listed = chat(app, fake, clock, 4242, "Lea")
    await listed.send("/help")
    statements, before = Statements(app), rows(app)
    stranger = RepChat(app, fake, user_id=STRANGER, first_name="Eve", language_code="fi", clock=clock)
    for _ in range(20):
        with statements.recording() as ran:
            toast = await act(stranger)
        assert ran == [], f"{kind}: a stranger's update ran SQL"
        # An allowed rep is answered meanwhile, as ever.
        await listed.send("/help")
        assert "/new" in listed.last_text
    statements.close()
    if answer is None:  # a button press: the first answer says why, the others only stop the spinner
        assert [m.text for m in stranger.messages] == []
        assert toast is None
        assert list(fake.answered_callbacks.values())[-20]["text"] == REFUSED_SHORT
        assert all("text" not in a for a in list(fake.answered_callbacks.values())[-19:])
    else:
        assert [m.text for m in stranger.messages] == [answer]
    assert rows(app) == before


@pytest.mark.parametrize(("kind", "answer", "code_of"), CODES, ids=[kind for kind, _, _ in CODES])
async def test_a_strangers_wrong_codes_store_nothing_and_soon_cost_no_query(
    start_app: StartApp,
    fake: FakeBotAPI,
    clock: FakeClock,
    kind: str,
    answer: str,
    code_of: Callable[[Any, FakeBotAPI, FakeClock], Awaitable[str]],
) -> None:
    app = await private_bot(start_app)
    code = await code_of(app, fake, clock)
    statements, before = Statements(app), rows(app)
    stranger = RepChat(app, fake, user_id=STRANGER, first_name="Eve", language_code="fi", clock=clock)
    costs = []
    for _ in range(20):
        with statements.recording() as ran:
            await stranger.send(f"/start {code}")
        costs.append(ran[:])
    statements.close()
    # Each of the first few is looked up, once and writing nothing; then none is.
    assert all(
        writes(cost) == [] and sum(s.startswith("SELECT") for s in cost) == 1 for cost in costs[:CODE_READS]
    )
    assert costs[CODE_READS:] == [[]] * (20 - CODE_READS)
    assert [m.text for m in stranger.messages] == [answer]
    assert rows(app) == before
    assert storage_of(app).reps.get_rep(telegram_id=STRANGER) is None


async def test_a_flood_of_codes_from_a_stranger_leaves_a_rep_served(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await private_bot(start_app)
    listed = chat(app, fake, clock, 4242, "Lea")
    await listed.send("/help")
    statements, before = Statements(app), rows(app)
    stranger = RepChat(app, fake, user_id=STRANGER, first_name="Eve", language_code="fi", clock=clock)
    with statements.recording() as ran:
        await asyncio.gather(*(stranger.send(f"/start madeUpCode_{n:05d}") for n in range(100)))
    await asyncio.gather(stranger.send(f"/start {MADE_UP}"), listed.send("/leads"))
    statements.close()
    assert "No leads yet" in listed.last_text
    assert sum(s.startswith("SELECT") for s in ran) <= CODE_READS and writes(ran) == []
    assert [m.text for m in stranger.messages] == [UNKNOWN]
    assert rows(app) == before


async def test_a_mistyped_code_then_the_right_one_lets_a_newcomer_in(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await private_bot(start_app)
    code = await invite_link(chat(app, fake, clock, ADMIN, "Ada"))
    newcomer = chat(app, fake, clock, 555, "Nina")
    await newcomer.send("Hello?")
    await newcomer.send(f"/start {code[:-1]}{'B' if code.endswith('A') else 'A'}")
    assert storage_of(app).reps.get_rep(telegram_id=555) is None
    await newcomer.send(f"/start {code}")
    assert "Hi Nina" in newcomer.last_text
    await newcomer.send("Anna Virtanen, Acme Oy")
    assert "Need?" in newcomer.last_text
    assert storage_of(app).reps.get_rep(telegram_id=555) is not None


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
    fourth = chat(app, fake, clock, 558, "Ulla")
    await fourth.send("/start notavalidcode123")
    assert "that invite link is not valid" in fourth.last_text


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
        # Before the share-location hint and the greeting.
        assert "You joined the team Sales North" in rep.messages[-3].text  # type: ignore[operator]
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
    # The next day the manager sees who is due, not only how many.
    clock.now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    await capture(sara, "Liisa Koski, Fiskars")  # due the next day, at 09:00
    clock.now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    await manager.send("/team")
    view = manager.last_text
    assert "⏰ today 0 · overdue 2: Anna Virtanen, Pekka Salo" in view
    assert "⏰ today 1: Liisa Koski · overdue 1: Jean Dupont" in view
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


async def test_someone_the_gate_remembers_wrongly_is_not_registered(
    start_app: StartApp, fake: FakeBotAPI, clock: FakeClock
) -> None:
    # They erased their data through another replica; this one's memory of the invited is a refresh behind.
    app = await private_bot(start_app)
    app.bot_data.gate.know_invited({STRANGER})
    before = rows(app)
    stranger = RepChat(app, fake, user_id=STRANGER, first_name="Eve", language_code="fi", clock=clock)
    await stranger.send("Anna Virtanen, Acme Oy")
    assert rows(app) == before
    statements = Statements(app)
    with statements.recording() as ran:
        assert await stranger.press_data("q:1:need:yes", message=A_FORGED_MESSAGE) == REFUSED_SHORT
        await stranger.send("Anna Virtanen, Acme Oy")
    statements.close()
    assert ran == []  # forgotten at once: the gate refuses them from memory again
    assert rows(app) == before


# A refused user, distinctive enough that any cell holding their id (their private chat's id too), as a
# number or inside text or JSON, or their first name, is a trace of them.
ZED = 7_770_001_234
ZED_NAME = "Zephyrine"


async def start_private_bot(start_app: StartApp, database_url: str) -> Any:
    return await start_app(database_url=database_url, allowed_users=["4242"], admin_users=[str(ADMIN)])


Send = Callable[[RepChat, str], Awaitable[Any]]
CodeOf = Callable[[Any, FakeBotAPI, FakeClock], Awaitable[str]]


async def no_code_at_all(app: Any, fake: FakeBotAPI, clock: FakeClock) -> str:
    return ""


# What a refused user may send: (what it is, the code they hold, sending it).
PATHS: list[tuple[str, CodeOf, Send]] = [
    ("a made-up code", no_code, lambda zed, code: zed.send(f"/start {code}")),
    ("a used code", used_code, lambda zed, code: zed.send(f"/start {code}")),
    ("an expired code", expired_code, lambda zed, code: zed.send(f"/start {code}")),
    ("text", no_code_at_all, lambda zed, _: zed.send("Anna Virtanen, Acme Oy")),
    ("a button press", no_code_at_all, lambda zed, _: zed.press_data("im:1:skip", message=A_FORGED_MESSAGE)),
    ("a contact", no_code_at_all, lambda zed, _: zed.send_contact("+358401234567", "Anna", "Virtanen")),
    ("a file", no_code_at_all, lambda zed, _: zed.send_document(b"name\nAnna\n", "contacts.csv")),
]


@pytest.mark.parametrize(("kind", "code_of", "send"), PATHS, ids=[kind for kind, _, _ in PATHS])
async def test_a_refused_user_leaves_no_trace_in_any_table(
    start_app: StartApp,
    database_url: str,
    fake: FakeBotAPI,
    clock: FakeClock,
    kind: str,
    code_of: CodeOf,
    send: Send,
) -> None:
    app = await start_private_bot(start_app, database_url)
    code = await code_of(app, fake, clock)
    zed = RepChat(app, fake, user_id=ZED, first_name=ZED_NAME, language_code="fr", clock=clock)
    await send(zed, code)
    assert len(zed.messages) == (0 if kind == "a button press" else 1)  # refused, once
    # Then everything else a refused user may send.
    for _, _, other in PATHS[3:]:
        await other(zed, "")
    assert traces_of(app, ZED, ZED_NAME) == [], kind
    assert storage_of(app).reps.get_rep(telegram_id=ZED) is None


async def test_of_two_strangers_racing_for_one_invite_the_loser_leaves_no_trace(
    start_app: StartApp, database_url: str, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await start_private_bot(start_app, database_url)
    code = await invite_link(chat(app, fake, clock, ADMIN, "Ada"))
    zed = RepChat(app, fake, user_id=ZED, first_name=ZED_NAME, clock=clock)
    other = RepChat(app, fake, user_id=ZED + 1, first_name="Quirinus", clock=clock)
    await asyncio.gather(zed.send(f"/start {code}"), other.send(f"/start {code}"))
    joined = [user for user in (zed, other) if storage_of(app).reps.get_rep(telegram_id=user.user_id)]
    assert len(joined) == 1
    loser = other if joined == [zed] else zed
    assert loser.last_text == "This invite link was already used. Ask for a new one."
    assert traces_of(app, loser.user_id, loser.first_name) == []


async def test_a_refused_user_whose_refusal_cannot_be_delivered_leaves_no_trace(
    start_app: StartApp, database_url: str, fake: FakeBotAPI, clock: FakeClock
) -> None:
    # They blocked the bot right after writing: the refusal fails with a 403, and the error goes nowhere.
    app = await start_private_bot(start_app, database_url)
    zed = RepChat(app, fake, user_id=ZED, first_name=ZED_NAME, clock=clock)
    fake.inject("sendMessage", "403")
    await zed.send(f"/start {MADE_UP}")
    await zed.send("Anna Virtanen")
    assert traces_of(app, ZED, ZED_NAME) == []
