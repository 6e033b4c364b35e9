"""SQLite under twenty concurrent writers: "database is locked" never reaches a rep, and every write lands.

storage/engine.py starts every writing transaction with BEGIN IMMEDIATE under a busy timeout, so writers
queue for the write lock instead of failing, and reads begin deferred, which in WAL mode takes no lock. These
tests put twenty threads, each with an engine and repository of its own (as twenty processes would have), on
one SQLite file at once, for seconds; then two whole applications, each in a thread with its own event loop
(two replicas on one host), process reps' captures at the same time; and a read-only command is answered
while another process holds the write lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, time, timedelta
from time import monotonic
from typing import Any

import pytest
import sqlalchemy as sa

import storage.engine as engine_module
from bot import capture as flow
from bot.config import Settings
from bot.qualification import Authority, Budget, Need, QualificationAnswers, Step
from storage.engine import create_engine_for
from tests.factories import FakeClock, RepChat, Storage, running_app, storage_of
from tests.fake_bot_api import FakeBotAPI

WRITERS = 20
ROUNDS = 10
BURST_ROUNDS = 2
# Longer than storage.engine's 5 s busy timeout: what a writer meets under load that lasts.
SUSTAINED_SECONDS = 8.0
SHARED_TELEGRAM_ID = 999_000
DUE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def run_writers(count: int, work: Any) -> list[BaseException]:
    """Run `work(number)` in `count` threads started at the same moment; the exceptions they raised."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(number)
        except BaseException as error:  # everything a writer hit is the finding, not only OperationalError
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return failures


def counts(url: str) -> dict[str, int]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("rep", "contact", "interaction", "followup", "capturedraft")
            }
    finally:
        engine.dispose()


def capture_one(repo: Storage, clock: FakeClock, telegram_id: int, name: str) -> None:
    """What the capture flow writes for one contact: the rep, the draft and its answers, the saved capture."""
    rep = repo.reps.register_rep(
        telegram_id=telegram_id,
        chat_id=telegram_id,
        language="en",
        timezone="Europe/Helsinki",
        digest_time=time(8, 30),
    )
    repo.reps.set_awaiting(rep_id=rep.id, awaiting=None)
    answers = QualificationAnswers(name=name)
    draft = repo.drafts.open_draft(owner_id=rep.id, chat_id=rep.chat_id, answers=answers, step=Step.NEED)
    for step, value in ((Step.NEED, Need.YES), (Step.BUDGET, Budget.YES)):
        answers = answers.with_answer(step, value)
        updated = repo.drafts.update_draft(draft=draft, answers=answers, step=step)
        assert updated is not None, "nobody else writes this draft: the update must apply"
        draft = updated
    answers = answers.model_copy(update={"authority": Authority.DECISION_MAKER, "next_due": DUE})
    evaluation = flow.evaluate(answers, now=clock())
    saved = repo.drafts.save_capture(
        draft=draft,
        answers=evaluation.answers,
        classification=evaluation.classification,
        score=evaluation.score,
    )
    assert saved is not None
    assert repo.contacts.get_contact(owner_id=rep.id, contact_id=saved.id) is not None


def test_twenty_writers_saving_at_the_same_moment_all_land(sqlite_url: str) -> None:
    """Twenty reps tapping Save at once (each a writer of its own, as twenty processes would be): nobody
    gets "database is locked", and every capture is stored whole."""
    clock = FakeClock()

    def writer(number: int) -> None:
        engine = create_engine_for(sqlite_url)
        try:
            for round_ in range(BURST_ROUNDS):
                telegram_id = 100_000 + number * 100 + round_
                capture_one(
                    Storage.on(engine, clock), clock, telegram_id, f"Writer {number} contact {round_}"
                )
        finally:
            engine.dispose()

    failures = run_writers(WRITERS, writer)
    assert not failures, f"{len(failures)} writers failed, e.g. {failures[0]!r}"
    total = WRITERS * BURST_ROUNDS
    assert counts(sqlite_url) == {
        "rep": total,
        "contact": total,
        "interaction": total,
        "followup": total,
        "capturedraft": total,
    }


def test_twenty_writers_capturing_for_seconds_never_see_database_is_locked(sqlite_url: str) -> None:
    clock = FakeClock()
    captured = [0] * WRITERS

    def writer(number: int) -> None:
        engine = create_engine_for(sqlite_url)
        repo = Storage.on(engine, clock)
        deadline = monotonic() + SUSTAINED_SECONDS
        try:
            while monotonic() < deadline:
                telegram_id = 200_000 + number * 10_000 + captured[number]
                capture_one(repo, clock, telegram_id, f"Writer {number} contact {captured[number]}")
                captured[number] += 1
        finally:
            engine.dispose()

    failures = run_writers(WRITERS, writer)
    locked = [error for error in failures if "database is locked" in str(error)]
    assert not failures, f"{len(failures)} writers failed ({len(locked)} database is locked): {failures[0]!r}"
    total = sum(captured)
    assert counts(sqlite_url) == {
        "rep": total,
        "contact": total,
        "interaction": total,
        "followup": total,
        "capturedraft": total,
    }


def test_twenty_writers_racing_for_one_draft_apply_each_version_once(sqlite_url: str) -> None:
    """A double tap, or two replicas, writing the same draft: the version guard lets exactly one of the
    updates based on a version through, and nobody gets "database is locked"."""
    clock = FakeClock()
    setup = Storage.on(create_engine_for(sqlite_url), clock)
    rep = setup.reps.register_rep(
        telegram_id=SHARED_TELEGRAM_ID,
        chat_id=SHARED_TELEGRAM_ID,
        language="en",
        timezone="UTC",
        digest_time=time(8, 30),
    )
    setup.drafts.open_draft(
        owner_id=rep.id, chat_id=rep.chat_id, answers=QualificationAnswers(name="Shared"), step=None
    )
    setup.engine.dispose()
    applied = [0] * WRITERS

    def writer(number: int) -> None:
        engine = create_engine_for(sqlite_url)
        repo = Storage.on(engine, clock)
        try:
            for round_ in range(ROUNDS):
                draft = repo.drafts.get_open_draft(owner_id=rep.id)
                assert draft is not None
                answers = draft.answers.model_copy(update={"note": f"writer {number} round {round_}"})
                if repo.drafts.update_draft(draft=draft, answers=answers) is not None:
                    applied[number] += 1
        finally:
            engine.dispose()

    failures = run_writers(WRITERS, writer)
    assert not failures, f"{len(failures)} writers failed, e.g. {failures[0]!r}"
    check = Storage.on(create_engine_for(sqlite_url), clock)
    final = check.drafts.get_open_draft(owner_id=rep.id)
    check.engine.dispose()
    assert final is not None
    assert sum(applied) >= ROUNDS  # the writer that read last in each round wins at least
    assert final.version == 1 + sum(applied), "an update was lost or applied twice"


# Two replicas on one SQLite file

REPLICA_REPS = 10


def replica_user(replica_number: int, n: int) -> int:
    return 40_000 + replica_number * 100 + n


async def replica(
    number: int, settings: Settings, clock: FakeClock, phase: threading.Barrier
) -> tuple[list[BaseException], FakeBotAPI, list[RepChat]]:
    """One application: its reps all capture a contact at once; then, once both replicas are there and a
    night has passed, its dispatcher runs at the same time as the other's."""
    fake = FakeBotAPI(token=settings.bot_token.get_secret_value())
    async with running_app(settings, fake, clock) as (application, errors):
        chats = [
            RepChat(application, fake, user_id=replica_user(number, n), clock=clock)
            for n in range(REPLICA_REPS)
        ]
        for n in range(
            REPLICA_REPS
        ):  # the other replica's reps: its dispatcher may send them their reminders
            fake.register_chat(replica_user(1 - number, n))

        async def capture(chat: RepChat) -> None:
            await chat.send(f"Replica contact {chat.user_id}, Oy")
            for label in ("Yes", "Yes", "Decision-maker", "⏩ Finish", "Tomorrow", "✅ Save"):
                await chat.press(label)

        await asyncio.gather(*(capture(chat) for chat in chats))
        # Both dispatchers plan the reps' digests for Thursday 08:30 at once: one row per rep and day.
        await application.bot_data.dispatcher.run_once()
        await asyncio.to_thread(phase.wait, 60)
        if number == 0:
            clock.advance(timedelta(hours=20))  # Thursday 09:00: the reminders and the digests are due
        await asyncio.to_thread(phase.wait, 60)
        await application.bot_data.dispatcher.run_once()
    return errors, fake, chats


def test_two_applications_on_one_sqlite_file_capture_and_dispatch_at_the_same_time(
    settings: Settings,
) -> None:
    clock = FakeClock()
    phase = threading.Barrier(2)
    results: dict[int, tuple[list[BaseException], FakeBotAPI, list[RepChat]]] = {}

    def run(number: int) -> None:
        results[number] = asyncio.run(replica(number, settings, clock, phase))

    failures = run_writers(2, run)
    assert not failures, failures
    for errors, fake, chats in results.values():
        assert not errors, f"handlers raised: {errors!r}"
        fake.assert_no_rejections()
        for chat in chats:
            assert any(f"Saved Replica contact {chat.user_id}: Lead" in (m.text or "") for m in chat.messages)
    assert counts(settings.database_url)["contact"] == 2 * REPLICA_REPS
    # Between the two dispatchers, each reminder and each digest went out exactly once.
    for number in (0, 1):
        for n in range(REPLICA_REPS):
            user = replica_user(number, n)
            texts = [m.text or "" for _, fake, _ in results.values() for m in fake.messages(user)]
            assert len([t for t in texts if f"Follow up: Replica contact {user}" in t]) == 1, texts
            assert len([t for t in texts if "Your day:" in t]) == 1, texts


async def test_a_read_only_command_is_answered_while_another_process_writes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short busy timeout keeps the test fast; the other writer holds the lock for longer than it.
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    clock = FakeClock()
    fake = FakeBotAPI(token=settings.bot_token.get_secret_value())
    async with running_app(settings, fake, clock) as (application, errors):
        rep = RepChat(application, fake, user_id=5301, clock=clock)
        capture_one(storage_of(application), clock, rep.user_id, "Anna Virtanen")
        holding, release = threading.Event(), threading.Event()

        def other_process_writes() -> None:
            path = settings.sqlite_path()
            assert path is not None
            connection = sqlite3.connect(path, isolation_level=None, timeout=5)
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("UPDATE rep SET display_name = display_name")
                holding.set()
                release.wait(timeout=10)
                connection.execute("COMMIT")
            finally:
                connection.close()

        writer = threading.Thread(target=other_process_writes)
        writer.start()
        try:
            assert holding.wait(timeout=10)
            await rep.send("/leads")
        finally:
            release.set()
            writer.join(timeout=10)
        fake.assert_no_rejections()
        assert "Leads (1)" in rep.last_text, f"the rep sees: {rep.last_text!r}"
    assert not errors, f"handlers raised: {errors!r}"
