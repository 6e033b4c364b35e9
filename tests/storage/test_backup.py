"""`python main.py backup PATH` while the bot writes: the copy holds every row committed before it
started (a copy of the file alone does not: those rows are still in the WAL), passes SQLite's integrity
check, and, restored as the README says, opens with the bot's migrations. On PostgreSQL, pg_dump."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.qualification import Need, QualificationAnswers
from storage.backup import postgres_commands
from storage.engine import create_engine_for
from storage.migrate import upgrade_to_latest
from tests.factories import MAIN, FakeClock, Storage, make_rep, save

WRITERS = 4


def main_py(folder: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name not in ("BOT_TOKEN", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, str(MAIN), *args],
        cwd=folder,
        env=env | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=40,
        check=False,
    )


def contact_ids(path: Path) -> set[int]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM contact")}


def test_a_backup_taken_while_the_bot_writes_restores_with_every_committed_row(
    tmp_path: Path, sqlite_url: str
) -> None:
    live = Path(sqlite_url.removeprefix("sqlite:///"))
    engine = create_engine_for(sqlite_url)
    # No automatic checkpoint: every commit of the test stays in the WAL, where the bot's latest commits
    # always are (SQLite moves them into the file only every thousand pages or so).
    sa.event.listen(
        engine, "connect", lambda connection, _record: connection.execute("PRAGMA wal_autocheckpoint = 0")
    )
    clock = FakeClock()
    repo = Storage.on(engine, clock)
    rep = make_rep(repo)
    committed: list[int] = []
    # Held around each save, so that the list and the database agree whenever the test holds it.
    turn = threading.Lock()
    stop = threading.Event()
    enough = threading.Event()

    def write(writer: int) -> None:
        number = 0
        while not stop.is_set():
            answers = QualificationAnswers(name=f"Writer {writer} contact {number}", need=Need.YES)
            with turn:
                committed.append(save(repo, rep, answers, clock.now))
                if len(committed) >= 12:
                    enough.set()
            number += 1
            stop.wait(0.005)  # a busy bot, not a benchmark: the backup's process gets the CPU too

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    try:
        assert enough.wait(30)
        with turn:
            before = set(committed)
            file_alone = tmp_path / "file-alone.db"
            shutil.copy(live, file_alone)
        # The writers go on while the backup runs.
        done = main_py(tmp_path, sqlite_url, "backup", "backups/prospect-copy.db")
        assert done.returncode != 0
        assert "the folder backups does not exist" in done.stderr
        (tmp_path / "backups").mkdir()
        done = main_py(tmp_path, sqlite_url, "backup", "backups/prospect-copy.db")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    engine.dispose()

    assert done.returncode == 0, done.stderr
    copy = tmp_path / "backups" / "prospect-copy.db"
    assert f"backed up {live} to backups/prospect-copy.db" in done.stdout
    assert "SQLite's integrity check: ok" in done.stdout
    # What the issue saw: the file alone lacks what is still in the WAL.
    assert before - contact_ids(file_alone)
    # One self-contained file: no WAL beside it, and nothing left half-written.
    assert sorted(path.name for path in copy.parent.iterdir()) == ["prospect-copy.db"]
    assert before <= contact_ids(copy)

    # A second backup to the same name is refused: a backup is never overwritten.
    again = main_py(tmp_path, sqlite_url, "backup", "backups/prospect-copy.db")
    assert again.returncode == 1
    assert "exists already" in again.stderr

    # Restored as the README says: the copy in place of the database, and the bot's migrations run on it.
    restored = tmp_path / "restored" / "prospect.db"
    restored.parent.mkdir()
    shutil.copy(copy, restored)
    assert main_py(tmp_path, f"sqlite:///{restored}", "migrate").returncode == 0
    engine = create_engine_for(f"sqlite:///{restored}")
    upgrade_to_latest(engine)
    reopened = Storage.on(engine, clock)
    for contact_id in before:
        contact = reopened.contacts.get_contact(owner_id=rep.id, contact_id=contact_id)
        assert contact is not None
        assert contact.name.startswith("Writer ")
    engine.dispose()


def test_a_damaged_database_is_not_taken_for_a_backup(tmp_path: Path) -> None:
    damaged = tmp_path / "prospect.db"
    with closing(sqlite3.connect(damaged)) as connection:
        connection.execute("CREATE TABLE contact (id INTEGER PRIMARY KEY, name TEXT, company TEXT)")
        connection.executemany(
            "INSERT INTO contact (name, company) VALUES (?, ?)", [(f"n{i}", f"c{i % 7}") for i in range(50)]
        )
        connection.execute("CREATE INDEX ix_name ON contact (name)")
        # The index's definition changed behind SQLite's back: its entries no longer match the table,
        # as after a disk error.
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX ix_name ON contact (company)' "
            "WHERE name = 'ix_name'"
        )
        connection.commit()

    done = main_py(tmp_path, f"sqlite:///{damaged}", "backup", "copy.db")

    assert done.returncode == 1
    assert "integrity check" in done.stderr
    assert "keep the earlier backups" in done.stderr
    assert not (tmp_path / "copy.db").exists()
    assert not (tmp_path / "copy.db.partial").exists()


def test_no_database_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    done = main_py(tmp_path, f"sqlite:///{tmp_path / 'missing.db'}", "backup", "copy.db")
    assert done.returncode == 1
    assert "there is no database at" in done.stderr
    assert "check DATABASE_URL" in done.stderr
    assert not (tmp_path / "copy.db").exists()
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.postgres
def test_postgresql_is_dumped_with_pg_dump_and_restores(
    tmp_path: Path, postgres_url: str, clock: FakeClock
) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    engine = create_engine_for(postgres_url)
    upgrade_to_latest(engine)
    repo = Storage.on(engine, clock)
    rep = make_rep(repo)
    contact_id = save(repo, rep, QualificationAnswers(name="Dumped Contact", need=Need.YES), clock.now)
    engine.dispose()

    done = main_py(tmp_path, postgres_url, "backup", "prospect.dump")

    assert done.returncode == 0, done.stderr
    assert "backed up the PostgreSQL database with pg_dump to prospect.dump" in done.stdout
    assert "pg_restore --clean --if-exists --no-owner" in done.stdout
    # Restored as the README says, over the damage: the contact deleted since comes back.
    engine = create_engine_for(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM contact"))
    commands = postgres_commands(postgres_url, tmp_path / "prospect.dump")
    subprocess.run(commands.restore, env=os.environ | commands.environment, capture_output=True, check=True)
    upgrade_to_latest(engine)
    contact = Storage.on(engine, clock).contacts.get_contact(owner_id=rep.id, contact_id=contact_id)
    engine.dispose()
    assert contact is not None and contact.name == "Dumped Contact"
