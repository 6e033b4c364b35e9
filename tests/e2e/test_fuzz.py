"""Random sessions of several reps against the real Application: whatever they type, tap, share or forward,
no handler raises, the fake Bot API refuses nothing, and the invariants hold.

Each example is a list of actions (messages, commands, shared contacts, forwards, files, taps on the newest
buttons, on stale ones and on crafted callback_data naming other reps' real ids, moving the clock and running
the dispatcher), played against a fresh application on a fresh SQLite file. Afterwards:

- no handler error, no request the fake Bot API refused, every button press answered;
- every row that belongs to a rep has an existing owner, and every row pointing at a contact has that
  contact's owner;
- no rep ever sees another rep's data: each rep's names carry a marker of their own, and no other rep's
  marker appears in anything the bot showed them (texts, captions, buttons, alerts, files);
- at most one open capture per rep;
- after a dispatcher run, every follow-up and digest that is due has been dealt with: a follow-up is sent,
  done, lost or closed (storage/followups.py; with no faults injected, nothing is pending with backoff,
  claimed or failed), a digest is sent or skipped;
- every contact's next_due_at is its soonest open follow-up (the lists' order by next follow-up).

Hypothesis drives a synchronous test that runs each example in its own event loop: function-scoped async
fixtures and hypothesis do not mix, so the application is built per example as tests/conftest.py's
start_app does. In CI the examples are derandomized, so that a red build is reproducible and a green one
stays green; locally each run explores new ones.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot import capture as flow
from bot.config import Settings
from bot.i18n import language_for
from bot.qualification import CHOICES, QualificationAnswers, Step
from tests.factories import FakeClock, RepChat, next_due_mismatches, running_app, storage_of
from tests.fake_bot_api import FakeBotAPI

MARK = "§"  # appears only in the markers: the random text never contains it
REPS = ((7101, "Maija"), (7102, "Ola"), (7103, "Kata"))


def marker(index: int) -> str:
    return f"{MARK}R{index}{MARK}"


# Strategies: what a rep may send


_chars = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Co", "Cn"),
    exclude_characters=MARK,
    include_characters="\n",
)
_random_text = st.text(_chars, min_size=1, max_size=40)
_long_text = st.builds(
    lambda unit, size: (unit * size)[:size], st.text(_chars, min_size=1, max_size=6), st.integers(300, 5000)
)
_tricky = st.sampled_from(
    [
        "<b>&",
        "<b>Bold</b> & Co, <i>Acme</i>",
        "&lt;script&gt; &amp; &#33;",
        "Zoë Ñúñez, Łódź Sp. z o.o.",
        "محمد عبد الله, شركة",
        "שלום עליכם",
        "a\u200fb\u202etxt",
        "😀🎉👩‍👩‍👧‍👦 Emoji, 🏢",
        "Anna Virtanen, Acme Oy",
        "hamalainen",
        '"quoted" \\ back',
        "   spaced   ",
        ",",
        "x" * 300,
    ]
)
_text_body = st.one_of(_tricky, _random_text, _long_text)
_dates = st.sampled_from(
    [
        "tomorrow 10",
        "next friday 14:00",
        "in 2 hours",
        "25.12. 9:30",
        "yesterday",
        "31.02.",
        "99:99",
        "ensi tiistaina",
        "jeudi prochain",
        "someday maybe",
        "12.3.1980",
        "vip, hot lead",
        "a@b.example",
        "Helsinki",
        "new york",
    ]
)
_commands = st.one_of(
    st.sampled_from(
        [
            "/new",
            "/leads",
            "/prospects",
            "/customers",
            "/lost",
            "/today",
            "/settings",
            "/help",
            "/start",
            "/find",
            "/mydata",
            "/export",
            "/undoimport",
            "/team",
            "/invite",
            "/newteam Sales",
            "/deleteme",
            "/frobnicate",
            "/new@prospect_test_bot",
            "/start abcdefgh12345678",
        ]
    ),
    st.builds(lambda text: f"/find {text}", st.one_of(_dates, _random_text, st.just("a"))),
)
_phones = st.one_of(
    st.sampled_from(["+358 40 123 4567", "040-1234567", "+47 912 34 567", "+36 (30) 123-4567", "12", ""]),
    st.from_regex(r"\+?[0-9 ()-]{1,20}", fullmatch=True),
)

# Crafted callback_data: every prefix the bot uses, with ids that are the rep's own, another rep's, or none.
_ID_KINDS = {
    "q": "capturedraft",
    "s": "capturedraft",
    "e": "capturedraft",
    "d": "capturedraft",
    "n": "capturedraft",
    "c": "contact",
    "ct": "contact",
    "fu": "followup",
    "tm": "rep",
    "im": "importbatch",
}
_STEPS = [step.value for step in Step]
_OPTIONS = [
    *sorted({option.value for options in CHOICES.values() for option in options}),
    *("_back", "_skip", "_fin", "zz"),
]
_TAILS: dict[str, list[str]] = {
    "q": [f"{step}:{option}" for step in _STEPS for option in _OPTIONS[::3]] + ["need", "need:yes:extra"],
    "s": ["save", "edit", "cancel", "show", "zz", ""],
    "e": [*_STEPS, "zz"],
    "d": ["new", "{other}", "{own}", "zz"],
    "n": ["resume", "restart", "zz"],
    "c": [""],
    "ct": [
        *("v", "lm", "lc", "nt", "fu", "st", "ed", "tg", "bd", "mg", "h", "del", "dy", "bx", "bc"),
        "fn:tomorrow",
        "fn:none",
        "fn:date",
        "fd:29999999",
        "fd:1",
        "sm:prospect",
        "sm:customer",
        "sm:lost",
        "sl:budget",
        "ef:email",
        "ef:source",
        "ec:source:event",
        "ec:source:-",
        "tr:vip",
        "mw:{other}",
        "mw:{own}",
        "my:{other}",
        "my:{own}",
        "h:6",
        "zz",
    ],
    "fu": [
        *("back", "done", "snz", "rsc", "lost"),
        "o:met",
        "o:zz",
        "n:tomorrow",
        "n:date",
        "n:none",
        "s:1h",
        "s:1w",
        "lr:budget",
        "wb:3",
        "wb:0",
        "cd:r:29999999",
        "cd:n:1",
        "zz",
    ],
    "tm": ["from", "to:{other}", "do:{other}", "do:{own}"],
    "im": ["merge", "skip", "cancel", "stop"],
    "l": [
        "lead:new:0",
        "prospect:score:8",
        "lost:next:0:s=event",
        "lead:new:0:t=vip",
        "zz:new:0",
        "lead:zz:x",
    ],
    "lf": ["lead:new", "customer:score", "zz:zz"],
    "cp": ["name", "zz", ""],
    "f": ["0:anna", "8:x", "zz:y", "0:"],
    "tz": ["Europe/Helsinki", "UTC", "Mars/Base", "_type", "_skip"],
    "dt": ["0730", "0900", "2500", "_skip"],
    "st": ["timezone", "digest", "days", "wd:3", "wd:9", "languages", "lang:fi", "lang:xx", "empty", "show"],
    "iv": ["rep", "manager", "zz"],
    "er": ["no", "zz", "yes"],
    "ex": ["leads", "prospects", "all", "zz"],
}
_NO_ID = {"l", "lf", "f", "tz", "dt", "st", "iv", "er", "ex", "cp"}


@st.composite
def _crafted(draw: st.DrawFn) -> tuple[Any, ...]:
    prefix = draw(st.sampled_from(sorted(_TAILS)))
    tail = draw(st.sampled_from(_TAILS[prefix]))
    whose = draw(st.sampled_from(["own", "other", "random"]))
    pick = draw(st.integers(0, 50))
    return ("craft", prefix, tail, whose, pick)


_junk_data = st.text(_chars, min_size=1, max_size=64).map(lambda text: ("junk", text))


_NEXT_CHOICES = ["tomorrow", "in3days", "nextweek", "date", "none"]


@st.composite
def _action(draw: st.DrawFn) -> tuple[Any, ...]:
    rep = draw(st.integers(0, len(REPS) - 1))
    kind = draw(
        st.sampled_from(
            ["name"] * 3
            + ["quick"] * 3
            + ["text"] * 2
            + ["command"] * 3
            + ["contact", "forward", "media", "document", "card"]
            + ["tick"] * 2
            + ["press"] * 6
            + ["stale"] * 2
            + ["craft"] * 4
            + ["junk"]
        )
    )
    if kind == "name":
        return (rep, "name", draw(_text_body))
    if kind == "quick":
        # A whole capture as a rep in a hurry does it: the name, Finish, a next step, then Save (or not).
        save = draw(st.sampled_from(["save", "save", "edit", "cancel"]))
        return (rep, "quick", draw(_text_body), draw(st.sampled_from(_NEXT_CHOICES)), save)
    if kind == "text":
        return (rep, "text", draw(st.one_of(_dates, _random_text)))
    if kind == "command":
        return (rep, "command", draw(_commands))
    if kind == "contact":
        return (rep, "contact", draw(_phones), draw(_text_body), draw(st.none() | _random_text))
    if kind == "forward":
        return (rep, "forward", draw(_text_body), draw(_text_body), draw(st.booleans()))
    if kind == "media":
        return (rep, "media", draw(st.sampled_from(["photo", "sticker", "voice"])))
    if kind == "document":
        return (rep, "document", draw(st.sampled_from(["csv", "junk", "empty-csv"])), draw(_text_body))
    if kind == "card":
        # A list, a contact from it, then a few of the card's buttons.
        command = draw(st.sampled_from(["/leads", "/prospects", "/lost", "/customers", "/today"]))
        return (rep, "card", command, draw(st.lists(st.integers(0, 1000), min_size=1, max_size=4)))
    if kind == "tick":
        return (rep, "tick", draw(st.sampled_from([1, 16, 60, 60 * 20, 60 * 24, 60 * 24 * 3])))
    if kind == "press":
        return (rep, "press", draw(st.lists(st.integers(0, 1000), min_size=1, max_size=4)))
    if kind == "stale":
        return (rep, "stale", draw(st.integers(0, 1000)))
    if kind == "junk":
        return (rep, *draw(_junk_data))
    return (rep, *draw(_crafted()))


# Playing an example


@dataclass
class Play:
    app: Any
    fake: FakeBotAPI
    clock: FakeClock
    chats: list[RepChat]
    errors: list[BaseException]
    alerts: dict[int, list[str]] = field(default_factory=dict)
    seen_buttons: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    @property
    def engine(self) -> sa.Engine:
        engine: sa.Engine = self.app.bot_data.engine
        return engine


def _fit_64(data: str) -> str:
    return data.encode()[:64].decode(errors="ignore") or "x"


def _ids(play: Play, table: str, rep_index: int, whose: str) -> list[int]:
    """Real ids of a table's rows belonging to this rep ("own") or to the others ("other")."""
    operator = "=" if whose == "own" else "!="
    owner = "id" if table == "rep" else "owner_id"
    query = f"SELECT t.id FROM {table} t JOIN rep r ON r.id = t.{owner} WHERE r.telegram_id {operator} :t"
    with play.engine.connect() as connection:
        return [int(row[0]) for row in connection.execute(sa.text(query), {"t": REPS[rep_index][0]})]


def _crafted_data(play: Play, rep_index: int, prefix: str, tail: str, whose: str, pick: int) -> str:
    def an_id(table: str, owner: str) -> str:
        ids = _ids(play, table, rep_index, owner) if owner != "random" else []
        if ids:
            return str(ids[pick % len(ids)])
        return str([0, 1, 2, 7, 99999999999, pick][pick % 6])

    named = "rep" if prefix == "tm" else "contact"  # what the ids in the tail name
    tail = tail.replace("{own}", an_id(named, "own")).replace("{other}", an_id(named, "other"))
    if prefix in _NO_ID:
        return _fit_64(f"{prefix}:{tail}")
    data = f"{prefix}:{an_id(_ID_KINDS[prefix], whose)}"
    return _fit_64(f"{data}:{tail}" if tail else data)


def _csv(rep_index: int, body: str, variant: str) -> bytes:
    if variant == "junk":
        return body.encode()[:300] or b"\x00"
    if variant == "empty-csv":
        return b"name,phone\n"
    name = (marker(rep_index) + body.replace(",", " ").replace("\n", " "))[:150]
    return f"name,company,phone\n{name},Acme,+358401234567\n{marker(rep_index)} Two,,\n".encode()


async def _play(play: Play, rep_index: int, action: tuple[Any, ...]) -> None:
    chat = play.chats[rep_index]
    kind, args = action[1], action[2:]
    own = marker(rep_index)
    if kind == "name":
        await chat.send((own + args[0]).strip())
    elif kind == "text":
        await chat.send(args[0].strip() or "x")
    elif kind == "command":
        await chat.send(args[0])
    elif kind == "contact":
        phone, first, last = args
        await chat.send_contact(phone, (own + first).strip(), last.strip() or None if last else None)
    elif kind == "forward":
        text, sender, hidden = args
        name = (own + sender).strip()
        await chat.forward(text.strip() or "x", sender=None if hidden else name, hidden_sender=name)
    elif kind == "media":
        await {"photo": chat.send_photo, "sticker": chat.send_sticker, "voice": chat.send_voice}[args[0]]()
    elif kind == "document":
        variant, body = args
        filename = "contacts.csv" if variant != "junk" else "notes.bin"
        await chat.send_document(_csv(rep_index, body, variant), filename)
    elif kind == "tick":
        play.clock.advance(timedelta(minutes=args[0]))
        await play.app.bot_data.dispatcher.run_once()
    elif kind == "quick":
        body, next_choice, save = args
        await chat.send((own + body).strip())
        for suffix in (":_fin", f":next:{next_choice}", f":{save}"):
            await _press_ending(play, rep_index, suffix)
    elif kind == "card":
        command, presses = args
        await chat.send(command)
        await _press_starting(play, rep_index, "c:")
        for pick in presses:
            await _press_newest(play, rep_index, pick)
    elif kind == "press":
        for pick in args[0]:
            await _press_newest(play, rep_index, pick)
    elif kind == "stale":
        seen = play.seen_buttons.get(rep_index, [])
        if seen:
            message_id, data = seen[args[0] % len(seen)]
            message = chat.fake.message(chat.user_id, message_id)
            if not message.deleted:
                await _press(play, rep_index, data, message)
    elif kind == "craft":
        await _press(play, rep_index, _crafted_data(play, rep_index, *args), None)
    elif kind == "junk":
        await _press(play, rep_index, _fit_64(args[0]), None)
    _remember_buttons(play, rep_index)


async def _press(play: Play, rep_index: int, data: str, message: Any) -> None:
    """Deliver a press; crafted data (message None) comes on the newest text message without buttons: a
    tampered client can attach any data to any message, but these tests look for what it can read or
    change, not for a live question or card (or a file) it can overwrite (see the forged-button test)."""
    chat = play.chats[rep_index]
    if message is None:
        message = next((m for m in reversed(chat.messages) if m.text and not chat.fake.buttons(m)), None)
        if message is None:
            await chat.send("/help")
            message = chat.messages[-1]
    alert = await chat.press_data(data, message=message)
    if alert:
        play.alerts.setdefault(rep_index, []).append(alert)


def _newest_buttons(play: Play, rep_index: int) -> tuple[Any, list[str]]:
    chat = play.chats[rep_index]
    newest = next((m for m in reversed(chat.messages) if chat.fake.buttons(m)), None)
    datas = [data for row in chat.fake.buttons(newest) for _, data in row if data] if newest else []
    return newest, datas


async def _press_newest(play: Play, rep_index: int, pick: int) -> None:
    message, datas = _newest_buttons(play, rep_index)
    if datas:
        await _press(play, rep_index, datas[pick % len(datas)], message)


async def _press_ending(play: Play, rep_index: int, suffix: str) -> None:
    message, datas = _newest_buttons(play, rep_index)
    for data in datas:
        if data.endswith(suffix):
            await _press(play, rep_index, data, message)
            return


async def _press_starting(play: Play, rep_index: int, prefix: str) -> None:
    message, datas = _newest_buttons(play, rep_index)
    for data in datas:
        if data.startswith(prefix):
            await _press(play, rep_index, data, message)
            return


def _remember_buttons(play: Play, rep_index: int) -> None:
    chat = play.chats[rep_index]
    seen = play.seen_buttons.setdefault(rep_index, [])
    for message in chat.messages:
        for row in chat.fake.buttons(message):
            for _, data in row:
                if data is not None and (message.message_id, data) not in seen:
                    seen.append((message.message_id, data))


# The invariants


def _owner_columns(engine: sa.Engine) -> list[tuple[str, str, bool]]:
    """(table, owner column, has contact_id) for every table whose rows belong to a rep."""
    inspector = sa.inspect(engine)
    found = []
    for table in inspector.get_table_names():
        columns = {column["name"] for column in inspector.get_columns(table)}
        for owner in ("owner_id", "rep_id"):
            if owner in columns:
                found.append((table, owner, "contact_id" in columns))
    return found


def check_ownership(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        for table, owner, has_contact in _owner_columns(engine):
            orphans = connection.execute(
                sa.text(
                    f"SELECT count(*) FROM {table} t LEFT JOIN rep r ON r.id = t.{owner} WHERE r.id IS NULL"
                )
            ).scalar_one()
            assert orphans == 0, f"{orphans} {table} rows without an existing owner"
            if has_contact:
                foreign = connection.execute(
                    sa.text(
                        f"SELECT count(*) FROM {table} t JOIN contact c ON c.id = t.contact_id "
                        f"WHERE c.owner_id != t.{owner}"
                    )
                ).scalar_one()
                assert foreign == 0, f"{foreign} {table} rows point at another rep's contact"
        for column in ("duplicate_of", "contact_id"):
            foreign = connection.execute(
                sa.text(
                    f"SELECT count(*) FROM capturedraft d JOIN contact c ON c.id = d.{column} "
                    "WHERE c.owner_id != d.owner_id"
                )
            ).scalar_one()
            assert foreign == 0, f"a draft's {column} names another rep's contact"
        open_drafts = connection.execute(
            sa.text(
                "SELECT owner_id, count(*) FROM capturedraft WHERE state = 'open' "
                "GROUP BY owner_id HAVING count(*) > 1"
            )
        ).all()
        assert not open_drafts, f"more than one open capture: {open_drafts}"
        # A name carries its rep's marker: it must be stored under that rep.
        rows = connection.execute(
            sa.text("SELECT r.telegram_id, c.name FROM contact c JOIN rep r ON r.id = c.owner_id")
        ).all()
    for telegram_id, name in rows:
        for index, (other_id, _) in enumerate(REPS):
            if other_id != telegram_id:
                assert marker(index) not in name, f"rep {telegram_id} owns {name[:40]!r}"


def check_isolation(play: Play) -> None:
    for index, chat in enumerate(play.chats):
        others = [marker(other) for other in range(len(REPS)) if other != index]
        shown: list[str] = list(play.alerts.get(index, []))
        for message in chat.fake.messages(chat.user_id):
            shown += [message.text or "", message.caption or ""]
            shown += [label for row in chat.fake.buttons(message) for label, _ in row]
            if message.document is not None:
                shown.append(message.document[1].decode("utf-8", errors="replace"))
        for text in shown:
            for other in others:
                assert other not in text, f"rep {chat.user_id} was shown another rep's data: {text[:200]!r}"


def check_due_rows(play: Play) -> None:
    now = play.clock()
    with play.engine.connect() as connection:
        followups = connection.execute(
            sa.text(
                "SELECT f.id, f.state FROM followup f JOIN rep r ON r.id = f.owner_id "
                "WHERE f.due_at <= :now AND r.active AND f.state NOT IN ('sent', 'done', 'lost', 'closed')"
            ),
            {"now": now.replace(tzinfo=None)},
        ).all()
        digests = connection.execute(
            sa.text(
                "SELECT d.id, d.state FROM digest d JOIN rep r ON r.id = d.rep_id "
                "WHERE d.due_at <= :now AND r.active AND d.state NOT IN ('sent', 'skipped')"
            ),
            {"now": now.replace(tzinfo=None)},
        ).all()
    assert not followups, f"due follow-ups not dealt with after a dispatcher run: {followups}"
    assert not digests, f"due digests not dealt with after a dispatcher run: {digests}"


async def seed_world(play: Play) -> None:
    """Each rep starts with a contact whose reminder has just arrived, and a digest: so that every example
    has real ids of every kind, of every rep, for its stale and crafted buttons to name. The contacts are
    written through the repository (the capture flow itself is what the examples' actions drive)."""
    repo, settings = storage_of(play.app), play.app.bot_data.settings
    due = play.clock() + timedelta(hours=20)  # Thursday 09:00
    for index, chat in enumerate(play.chats):
        rep = repo.reps.register_rep(
            telegram_id=chat.user_id,
            chat_id=chat.user_id,
            language=language_for(chat.language_code, settings.default_language),
            timezone=settings.default_timezone,
            digest_time=settings.digest_time,
            display_name=chat.first_name,
        )
        answers = QualificationAnswers(name=f"{marker(index)} Seed", company="Oy", next_due=due)
        draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=rep.chat_id, answers=answers, step=None)
        evaluation = flow.evaluate(answers, now=play.clock())
        repo.drafts.save_capture(
            draft=draft,
            answers=evaluation.answers,
            classification=evaluation.classification,
            score=evaluation.score,
        )
    dispatcher = play.app.bot_data.dispatcher
    await dispatcher.run_once()  # plans Thursday's 08:30 digests
    play.clock.advance(timedelta(hours=20))  # Thursday 09:00: the reminders and the digests are due
    await dispatcher.run_once()
    for index in range(len(play.chats)):
        _remember_buttons(play, index)


async def run_session(
    base: Settings, template: Path, actions: list[tuple[Any, ...]], languages: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prospect.db"
        shutil.copy(template, path)
        fake, clock = FakeBotAPI(token=base.bot_token.get_secret_value()), FakeClock()
        settings = base.model_copy(update={"database_url": f"sqlite:///{path}"})
        async with running_app(settings, fake, clock) as (application, errors):
            chats = [
                RepChat(
                    application,
                    fake,
                    user_id=user_id,
                    first_name=name,
                    language_code=language or None,
                    clock=clock,
                )
                for (user_id, name), language in zip(REPS, languages, strict=True)
            ]
            play = Play(application, fake, clock, chats, errors)
            await seed_world(play)
            for action in actions:
                await _play(play, action[0], action)
                # An import runs as a task beside update processing (handlers/exchange.py): let it finish.
                await asyncio.gather(*list(application.bot_data.background))
                assert not errors, f"a handler raised on {action!r}: {errors!r}"
            await application.bot_data.dispatcher.run_once()
            assert not errors, f"handlers raised: {errors!r}"
            fake.assert_no_rejections()
            check_ownership(play.engine)
            check_isolation(play)
            check_due_rows(play)
            assert next_due_mismatches(play.engine) == [], "a contact's next follow-up was not kept in step"


# Thirty whole sessions: a few seconds each when the machine is quiet, more on a busy one.
@pytest.mark.timeout(180)
@hypothesis_settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    actions=st.lists(_action(), min_size=3, max_size=30),
    languages=st.lists(st.sampled_from(["en", "fi", "nb", "hu", "fr", "de", ""]), min_size=3, max_size=3),
)
def test_random_sessions_of_three_reps_keep_the_invariants(
    settings: Settings, migrated_sqlite_template: Path, actions: list[tuple[Any, ...]], languages: list[str]
) -> None:
    # `settings` is only read (each example has a database file of its own): sharing it is safe.
    asyncio.run(run_session(settings, migrated_sqlite_template, actions, languages))


# What the fuzzing found, pinned down


async def _double_tap(chat: RepChat, label: str) -> None:
    """Two taps on one button before the first edit reaches the phone: both carry the same data."""
    message = chat.last_with_buttons
    [data] = [data for row in chat.fake.buttons(message) for text, data in row if text == label and data]
    await chat.press_data(data, message=message)
    await chat.press_data(data, message=message)


@pytest.mark.parametrize("flow", ["reminder", "card", "settings"])
async def test_a_double_tap_on_a_menu_button_is_harmless(settings: Settings, flow: str) -> None:
    fake, clock = FakeBotAPI(token=settings.bot_token.get_secret_value()), FakeClock()
    async with running_app(settings, fake, clock) as (app, errors):
        rep = RepChat(app, fake, user_id=7201, clock=clock)
        if flow == "settings":
            await rep.send("/settings")
            await _double_tap(rep, "🌍 Time zone")
        else:
            await rep.send("Anna Virtanen, Acme Oy")
            for label in ("⏩ Finish", "Tomorrow", "✅ Save"):
                await rep.press(label)
            if flow == "reminder":
                clock.advance(timedelta(hours=20))
                await app.bot_data.dispatcher.run_once()
                await _double_tap(rep, "✖ Lost")
            else:
                await rep.press("Open card")
                await _double_tap(rep, "🏷 Status")
        try:
            assert not errors, f"handlers raised: {errors!r}"
            fake.assert_no_rejections()
        finally:
            fake.rejections.clear()


async def test_a_forged_button_on_a_question_does_not_break_the_capture(
    rep: RepChat, app: Any, fake: FakeBotAPI
) -> None:
    await rep.send("<b>&")
    assert "Company?" in rep.last_text
    await rep.press_data("dt:0730")  # data no button of that message carries
    await rep.send("Acme Oy")
    try:
        assert "Need?" in rep.last_text
        fake.assert_no_rejections()
    finally:
        fake.rejections.clear()  # reported by the assertion above, not by the fixture's teardown
