"""The data-scale benchmark: /find, a list page, the card, its history and the digest query on big books.

The goal: a p99 under 50 ms, server-side, for /find, a list page and a card (and the digest query), with one
rep owning 100,000 contacts and with 1,000 reps owning 1,000 each, on SQLite and on PostgreSQL.

Scenarios, each on SQLite (a fresh temporary file, as `create_engine_for` configures it: WAL, busy timeout,
no ANALYZE, since the bot never runs one) and on PostgreSQL (a fresh schema, created and dropped here, after
VACUUM ANALYZE of the seeded tables, which autovacuum would do within a minute of such a load), both
migrated to the latest revision:

- A: one rep with 100,000 contacts;
- B: 1,000 reps with 1,000 contacts each (1,000,000 contacts); `--quick` seeds 200 reps x 1,000 instead.

The rows are generated once, chunk by chunk, in time order with the owners interleaved (as contacts arrive
in production), and each chunk is loaded into every database: SQLite in one transaction of executemany on
the driver's connection with `synchronous=OFF` (the file is thrown away afterwards), PostgreSQL with COPY
in one transaction, in a thread of its own, with foreign keys unchecked during the load where the role
allows it (`session_replication_role = replica`; the rows are consistent by construction). The migrated
schema's secondary indexes on the three big tables are dropped before the load and created again after it
from the definitions the database itself holds (SQLite's sqlite_master, PostgreSQL's pg_get_indexdef), in
the same order; the script checks that the indexes are then exactly those the migration made, before
anything is timed. (Built in one go, they are denser than indexes grown row by row.)

Names, companies and notes come from Finnish, Hungarian, French, Norwegian and English parts, so
`search_key` folding matters (`hamalainen` must find Hämäläinen); `search_text`, `name_key` and `phone_key`
are filled as `storage.contacts.search_text` and `storage.drafts` fill them, and `next_due_at` as the
repository keeps it (the soonest open follow-up, else NO_FOLLOW_UP), in the same stored form; both are
checked against the repository on a sample after seeding. Statuses are lead/prospect/customer/lost
45/30/15/10 %, scores by status, `created_at` spread over three years, a pending follow-up on ~30 % of
contacts (due from two weeks ago to three months ahead), a done one on another ~25 %, one interaction with
a note per contact, a birthday on ~10 %.

Timed (wall time of the repository call in process: SQLAlchemy plus the database, what the handler waits
for), for a random rep (and contact) each time, after one warm-up run, up to N times (`--iterations`, 200)
or until the per-query time budget is spent (`--budget`, then at least 10 runs; the table gives n):

- find common / find rare: `find_contacts` with a fragment in ~28 % of contacts ("nen") and with a first
  and last name typed without accents (a handful of rows);
- list NEWEST / SCORE / NEXT, first page and last page: `list_contacts(status="lead")`, the largest list,
  eight to a page as the handlers show it;
- card: `get_contact`; history: `ContactBook.history` (first five); digest: `digest_data`.

The SQL statements of every operation over the goal (at most `--plans` of them; the slowest one when none
is over) are captured and explained (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)),
each with its own time when run alone with its rows fetched.

    python -m benchmarks.data_scale [--postgres-url URL] [--skip-postgres] [--skip-sqlite] [--quick]
    python -m benchmarks.data_scale --scenarios A --skip-postgres --iterations 100
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from benchmarks.databases import postgres_schema
from bot.qualification import Authority, Budget, Fit, Need, Source, Timeline
from bot.schedule import OPEN_STATES
from bot.text_keys import phone_key, search_key
from storage.contacts import ContactBook, ContactOrder, search_text
from storage.database import Database, refresh_next_due
from storage.engine import create_engine_for
from storage.followups import FollowUpRepository
from storage.migrate import upgrade_to_latest
from storage.models import NO_FOLLOW_UP, Contact, FollowUp

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GOAL_MS = 50.0
PAGE = 8
HISTORY_PAGE = 5
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
CHUNK = 10_000
PEOPLE = 50_000  # distinct people the contacts are drawn from
COMMON_FRAGMENT = "nen"
# The tables the load fills in bulk: their secondary indexes are built after it.
BIG_TABLES = ("contact", "interaction", "followup")


@dataclass(frozen=True)
class Scenario:
    key: str
    reps: int
    per_rep: int

    @property
    def contacts(self) -> int:
        return self.reps * self.per_rep

    @property
    def label(self) -> str:
        return f"{self.key}: {self.reps:,} rep{'s' if self.reps > 1 else ''} x {self.per_rep:,}"


# The people, companies and notes: parts from the five languages the bot speaks.

FIRST_NAMES = (
    "Anna", "Mikko", "Päivi", "Jyrki", "Sirpa", "Tuomas", "Eevi", "Väinö", "Aino", "Jääskeli",
    "Zsófia", "Gábor", "Ádám", "Réka", "Ildikó", "Lőrinc", "Katalin", "Bence", "Dóra", "Ödön",
    "Hélène", "François", "Agnès", "Jérôme", "Gaëlle", "Benoît", "Céline", "Noël", "Loïc", "Zoé",
    "Øystein", "Bjørn", "Åse", "Siri", "Håkon", "Ingrid", "Sarah", "John", "Emily", "Oliver",
)  # fmt: skip
SURNAME_PARTS = (
    # Finnish
    (
        ("Hämä", "Virta", "Kor", "Lehti", "Mäki", "Järvi", "Nie", "Kos", "Heik", "Lai", "Saa", "Pöy"),
        ("", "lä", "ki", "ri", "vuo", "mi"),
        ("inen", "nen", "la", "salo", "aho", "järvi"),
    ),
    # Hungarian
    (
        ("Sza", "Ko", "Hor", "Tó", "Nagy", "Ki", "Fe", "Ba"),
        ("bó", "vács", "váth", "th", "lő", "ré"),
        ("", "né", "falvi", "házi", "i"),
    ),
    # French
    (
        ("Le", "Du", "Mo", "Ber", "Gi", "Fa"),
        ("fè", "bois", "rel", "tran", "ço", "ré"),
        ("vre", "", "et", "and", "is", "mont"),
    ),
    # Norwegian and English
    (
        ("Sø", "Ha", "Bjør", "Ås", "Hau", "Smi", "Ro"),
        ("ren", "l", "ge", "n", "th"),
        ("sen", "stad", "dal", "berg", "heim", "son"),
    ),
)
COMPANY_STEMS = (
    "Kalevala", "Pohjola", "Tisza", "Duna", "Lumière", "Rivière", "Fjord", "Nordic", "Acme", "Sörnäinen",
    "Épület", "Château", "Bølge", "Kő", "Vesi", "Helmi", "Ár", "Soleil", "Skog", "Oak",
)  # fmt: skip
COMPANY_TAILS = ("", " Tekniikka", " Logistiikka", " Építő", " Kereskedelem", " Conseil", " Bygg", " Systems")
COMPANY_FORMS = ("Oy", "Oyj", "Kft.", "Zrt.", "SA", "SARL", "AS", "Ltd")
ROLES = (
    "Toimitusjohtaja", "Myyntipäällikkö", "Ügyvezető", "Beszerzési vezető", "Directrice achats",
    "Responsable informatique", "Innkjøpssjef", "Daglig leder", "Head of Operations", "CFO",
)  # fmt: skip
INDUSTRIES = (
    "Logistiikka", "Rakentaminen", "Építőipar", "Gyártás", "Agroalimentaire", "Santé", "Havbruk",
    "Energi", "Software", "Retail",
)  # fmt: skip
LOCATIONS = (
    "Helsinki", "Tampere", "Jyväskylä", "Budapest", "Pécs", "Győr", "Paris", "Lyon", "Besançon", "Oslo",
    "Bergen", "Tromsø", "London", "Espoo",
)  # fmt: skip
NOTE_PHRASES = (
    "Kysyi hinnoittelusta ja SLA:sta.",
    "Tarvitsee tarjouksen ennen joulua.",
    "Päätös tehdään hallituksen kokouksessa.",
    "Érdeklődött az árakról és a szállításról.",
    "Döntés a következő negyedévben várható.",
    "Intéressé par la démo, budget à valider.",
    "Rappeler après le salon, décision en équipe.",
    "Ønsker tilbud på 50 lisenser før påske.",
    "Bekymret for integrasjon med økonomisystemet.",
    "Asked about pricing for 50 seats and the SLA.",
    "Met at the trade fair, wants a demo next month.",
    "Budget approved for Q2, competitor already in.",
)
PHONE_PREFIXES = ("+358 40 ", "+358 50 ", "+36 30 ", "+36 20 ", "+33 6 ", "+47 9", "+44 7700 ", "040-")
STATUS_MIX = (("lead", 45), ("prospect", 30), ("customer", 15), ("lost", 10))
LOST_REASONS = ("budget", "changed_needs", "competitor", "priorities", "no_decision_maker", "unresponsive")
STAGES = (None, "awareness", "interest", "decision", "action")
REP_LANGUAGES = (
    ("fi", "Europe/Helsinki"),
    ("hu", "Europe/Budapest"),
    ("fr", "Europe/Paris"),
    ("nb", "Europe/Oslo"),
    ("en", "Europe/London"),
)
SCORE_REASONS = [["need.yes", 25], ["budget.yes", 20]]
SCORE_RANGES = {"lead": (0, 60), "prospect": (50, 100), "customer": (40, 100), "lost": (0, 50)}
ANSWER_VALUES = {
    "need": [member.value for member in Need],
    "budget": [member.value for member in Budget],
    "authority": [member.value for member in Authority],
    "timeline": [member.value for member in Timeline],
    "fit": [member.value for member in Fit],
    "source": [member.value for member in Source],
}


@functools.cache
def fold(text: str) -> str:
    """search_key of one piece, cached: search_key of the joined pieces is the pieces' keys joined by a
    space (it works character by character and collapses whitespace), which seeding checks on a sample."""
    return search_key(text)


def surname(pick: Callable[[Sequence[Any]], Any]) -> str:
    starts, mids, ends = pick(SURNAME_PARTS)
    return str(pick(starts) + pick(mids) + pick(ends))


def stamp(instant: datetime) -> str:
    """An instant as the bot stores it: UTCDateTime makes it naive UTC, and SQLAlchemy's DateTime writes
    that on SQLite as this text (microseconds included); PostgreSQL reads the same text into the same
    timestamp. Seeding checks it against the repository's own writes."""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


NO_FOLLOW_UP_STAMP = stamp(NO_FOLLOW_UP)

Row = tuple[Any, ...]
Chunk = dict[str, list[Row]]  # table name -> rows, in COLUMNS order, loaded in this order

# The columns each load writes (the others take their defaults, as with an INSERT naming these only).
# Values are what the database stores: int, str (instants as stamp(), JSON as json.dumps text, dates in ISO
# form), bool or None, so that one generated row suits both drivers as it is.
COLUMNS: dict[str, tuple[str, ...]] = {
    "rep": (
        "id", "telegram_id", "chat_id", "language", "timezone", "digest_time", "onboarded",
        "working_days", "digest_when_empty", "active", "access", "role", "display_name", "created_at",
        "updated_at",
    ),
    "contact": (
        "id", "owner_id", "name", "name_key", "company", "role", "phone", "phone_key", "email",
        "need", "budget", "authority", "timeline", "fit", "source",
        "status", "status_rule", "status_reasons", "score", "score_reasons", "touches", "lost_reason",
        "birthday", "stage", "industry", "location", "search_text", "next_due_at", "last_touch_at",
        "created_at", "updated_at",
    ),
    "interaction": (
        "id", "owner_id", "contact_id", "kind", "note", "answers", "changes", "actor_id", "occurred_at",
    ),
    "followup": (
        "id", "owner_id", "contact_id", "due_at", "kind", "state", "attempts", "sent_at", "created_at",
    ),
}  # fmt: skip


@dataclass
class Seeded:
    """What the timing needs to know about the seeded data."""

    rep_ids: list[int]
    zones: dict[int, str]
    contacts_of: dict[int, list[int]]
    typed_name: dict[int, str]  # contact id -> its first and last name as a rep types them, unaccented
    leads_of: Counter[int]
    rows: dict[str, int]
    generate_seconds: float = 0.0
    seed_seconds: float = 0.0
    # backend -> step ("load", "indexes", "vacuum analyze") -> seconds
    load_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    checked: int = 0


@dataclass(frozen=True)
class Person:
    """Who a contact is: drawn from a pool, so that a million contacts cost a million picks, not a
    million foldings; several reps meeting the same person is realistic anyway."""

    name: str
    typed: str  # first and last name as a rep types them, without accents
    company: str | None
    email: str | None
    role: str | None
    industry: str | None
    location: str | None
    pieces: tuple[str, ...]  # the words search_text starts with, in storage.contacts.search_text's order
    words: str  # those pieces folded


def people(count: int, pick: Callable[[Sequence[Any]], Any], uniform: Callable[[], float]) -> list[Person]:
    pool = []
    for _ in range(count):
        first, last = pick(FIRST_NAMES), surname(pick)
        company = (
            f"{pick(COMPANY_STEMS)}{pick(COMPANY_TAILS)} {pick(COMPANY_FORMS)}" if uniform() < 0.85 else None
        )
        email = (
            f"{fold(first)}.{fold(last)}@{fold(company or 'gmail').split()[0]}.example"
            if uniform() < 0.6
            else None
        )
        role = pick(ROLES) if uniform() < 0.5 else None
        industry = pick(INDUSTRIES) if uniform() < 0.7 else None
        location = pick(LOCATIONS) if uniform() < 0.7 else None
        name = f"{first} {last}"
        pieces = tuple(piece for piece in (name, company, email, role, industry, location) if piece)
        pool.append(
            Person(
                name=name,
                typed=f"{fold(first)} {fold(last)}",
                company=company,
                email=email,
                role=role,
                industry=industry,
                location=location,
                pieces=pieces,
                words=" ".join(fold(piece) for piece in pieces),
            )
        )
    return pool


def generate(scenario: Scenario, rng: random.Random, seeded: Seeded) -> Iterator[Chunk]:
    """The rows, chunk by chunk: contacts in time order with their owners interleaved (as they arrive in
    production), each with one interaction and maybe a follow-up. Each rep gets exactly per_rep contacts.
    The random draws come in a fixed order, so a seed always gives the same rows."""
    uniform = rng.random

    def pick(options: Sequence[Any]) -> Any:
        return options[int(uniform() * len(options))]

    pool = people(PEOPLE, pick, uniform)
    folded_phrases = {phrase: fold(phrase) for phrase in NOTE_PHRASES}
    owners = [rep for rep in range(1, scenario.reps + 1) for _ in range(scenario.per_rep)]
    rng.shuffle(owners)
    total = scenario.contacts
    span = timedelta(days=3 * 365)
    first_created = NOW - span
    statuses = [name for name, weight in STATUS_MIX for _ in range(weight)]
    answer_items = list(ANSWER_VALUES.items())
    score_reasons = json.dumps(SCORE_REASONS)
    no_changes = json.dumps({})
    interaction_id = followup_id = 0
    for chunk_start in range(0, total, CHUNK):
        started = time.perf_counter()
        contacts: list[Row] = []
        interactions: list[Row] = []
        followups: list[Row] = []
        for contact_id in range(chunk_start + 1, min(chunk_start + CHUNK, total) + 1):
            owner = owners[contact_id - 1]
            seeded.contacts_of[owner].append(contact_id)
            person: Person = pick(pool)
            seeded.typed_name[contact_id] = person.typed
            phone = (
                f"{pick(PHONE_PREFIXES)}{1_000_000 + int(uniform() * 8_999_999)}" if uniform() < 0.7 else None
            )
            phrases = [pick(NOTE_PHRASES)]
            if uniform() < 0.5:
                phrases.append(pick(NOTE_PHRASES))
            reference = f"(ref {10_000 + int(uniform() * 89_999)})" if uniform() < 0.3 else ""
            note = " ".join([*phrases, reference]).strip()
            status = pick(statuses)
            if status == "lead":
                seeded.leads_of[owner] += 1
            low, high = SCORE_RANGES[status]
            created = first_created + span * (contact_id / total) + timedelta(minutes=uniform() * 60 - 30)
            last_touch = created + (NOW - created) * uniform() ** 2
            # What storage.contacts.search_text stores: the words and the notes folded, then the phone's
            # digits (the reference is ASCII lower case and digits, which search_key leaves as they are).
            words = [person.words, *(folded_phrases[phrase] for phrase in phrases)]
            if reference:
                words.append(reference)
            digits = "".join(char for char in phone or "" if char.isdigit())
            search_text = " | ".join([" ".join(words), digits])
            if contact_id % 997 == 0:
                whole = search_key(" ".join([*person.pieces, *phrases, reference]))
                assert search_text == f"{whole} | {digits}", (search_text, whole)
            answers = {key: pick(values) for key, values in answer_items}
            answers_json = json.dumps(answers)
            status_reasons = json.dumps([f"need.{answers['need']}", f"budget.{answers['budget']}"])
            score = low + int(uniform() * (high - low + 1))
            touches = 1 + int(uniform() * 6)
            lost_reason = pick(LOST_REASONS) if status == "lost" else None
            birthday = (
                date(1955 + int(uniform() * 45), 1 + int(uniform() * 12), 1 + int(uniform() * 28))
                if uniform() < 0.1
                else None
            )
            stage = pick(STAGES)
            created_at, last_touch_at = stamp(created), stamp(last_touch)
            interaction_id += 1
            interactions.append(
                (
                    interaction_id, owner, contact_id, "meeting" if uniform() < 0.6 else "call", note,
                    answers_json, no_changes, owner, created_at,
                )
            )  # fmt: skip
            next_due_at = NO_FOLLOW_UP_STAMP
            draw = uniform()
            if draw < 0.55:
                followup_id += 1
                pending = draw < 0.30
                due = stamp(
                    NOW + timedelta(days=uniform() * 104 - 14)
                    if pending
                    else created + timedelta(days=1 + uniform() * 29)
                )
                state = "pending" if pending else "done"
                followups.append(
                    (
                        followup_id, owner, contact_id, due, "next", state, 0 if pending else 1,
                        None if pending else due, created_at,
                    )
                )  # fmt: skip
                # What the repository keeps (refresh_next_due): the soonest open follow-up. A contact has
                # at most one here, and stamps of the same form compare as the instants do.
                if state in OPEN_STATES:
                    next_due_at = min(next_due_at, due)
            contacts.append(
                (
                    contact_id, owner, person.name, fold(person.name), person.company, person.role, phone,
                    phone_key(phone) if phone else None, person.email,
                    *(answers[key] for key in ("need", "budget", "authority", "timeline", "fit", "source")),
                    status, "rep" if status in {"customer", "lost"} else "default", status_reasons, score,
                    score_reasons, touches, lost_reason, birthday.isoformat() if birthday else None, stage,
                    person.industry, person.location, search_text, next_due_at, last_touch_at, created_at,
                    last_touch_at,
                )
            )  # fmt: skip
        seeded.rows["contact"] = seeded.rows.get("contact", 0) + len(contacts)
        seeded.rows["interaction"] = seeded.rows.get("interaction", 0) + len(interactions)
        seeded.rows["followup"] = seeded.rows.get("followup", 0) + len(followups)
        pending_count = sum(1 for row in followups if row[5] == "pending")
        seeded.rows["of which pending"] = seeded.rows.get("of which pending", 0) + pending_count
        seeded.generate_seconds += time.perf_counter() - started
        yield {"contact": contacts, "interaction": interactions, "followup": followups}


# Loading


def quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


class Loader(ABC):
    """Fills one database in one transaction: the secondary indexes of BIG_TABLES are dropped first and
    created again at the end from the definitions the database gave before, in the same order (SQLite
    without statistics picks among equal indexes by their order), then compared with those definitions.
    A loader is used by one thread at a time; `close` (also on failure) gives its connection up."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seconds = {"load": 0.0, "indexes": 0.0}
        self.indexes: list[tuple[str, str, str]] = []  # (table, index, definition)
        self._raw: Any = None

    def start(self) -> None:
        begin = time.perf_counter()
        with self.engine.connect() as connection:
            self.indexes = self.secondary_indexes(connection)
        self._raw = self.engine.raw_connection()
        self.begin_load()
        for _table, index, _definition in self.indexes:
            self.execute(f'DROP INDEX "{index}"')
        self.seconds["load"] += time.perf_counter() - begin

    def load(self, chunk: Chunk) -> None:
        begin = time.perf_counter()
        for table, rows in chunk.items():
            if rows:
                self.write(table, COLUMNS[table], rows)
        self.seconds["load"] += time.perf_counter() - begin

    def finish(self) -> None:
        begin = time.perf_counter()
        self.before_indexes()
        for _table, _index, definition in self.indexes:
            self.execute(definition)
        self._raw.driver_connection.commit()
        self.close()
        with self.engine.connect() as connection:
            recreated = self.secondary_indexes(connection)
        assert recreated == self.indexes, ("indexes differ from the migrated schema", recreated)
        self.seconds["indexes"] += time.perf_counter() - begin

    def close(self) -> None:
        """Closes the load's connection (its settings go with it; an open transaction is rolled back)."""
        if self._raw is not None:
            self._raw.invalidate()
            self._raw.close()
            self._raw = None

    @abstractmethod
    def secondary_indexes(self, connection: sa.Connection) -> list[tuple[str, str, str]]:
        """(table, index, definition) of every secondary index of BIG_TABLES, in creation order."""

    @abstractmethod
    def begin_load(self) -> None:
        """Session settings for the load, and its transaction."""

    def execute(self, sql: str) -> None:
        self._raw.driver_connection.execute(sql)

    @abstractmethod
    def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        """Append the rows to the table."""

    def before_indexes(self) -> None:  # noqa: B027 (a hook: only PostgreSQL has settings for it)
        """Session settings for building the indexes (speed only)."""


class SQLiteLoader(Loader):
    """executemany of plain tuples on the driver's connection, `synchronous=OFF` for this connection (the
    benchmark's file is thrown away; the connections that are timed keep the bot's settings)."""

    @property
    def driver(self) -> sqlite3.Connection:
        connection = self._raw.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        return connection

    def secondary_indexes(self, connection: sa.Connection) -> list[tuple[str, str, str]]:
        # In sqlite_master's order, which is the order SQLite loads the schema in; autoindexes (unique
        # constraints, no sql) stay.
        rows = connection.exec_driver_sql(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join('?' for _ in BIG_TABLES)}) ORDER BY rowid",
            BIG_TABLES,
        ).all()
        return [(str(table), str(index), str(sql)) for table, index, sql in rows]

    def begin_load(self) -> None:
        self.driver.execute("PRAGMA synchronous=OFF")
        self.driver.execute("PRAGMA cache_size=-262144")  # 256 MiB for the load and the index builds
        self.driver.execute("BEGIN IMMEDIATE")

    def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        places = ", ".join("?" for _ in columns)
        self.driver.executemany(f'INSERT INTO "{table}" ({quoted(columns)}) VALUES ({places})', rows)


class PostgresLoader(Loader):
    """COPY through psycopg on the driver's connection, then VACUUM ANALYZE (which autovacuum would do
    within a minute of such a load)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.seconds["vacuum analyze"] = 0.0

    @property
    def driver(self) -> psycopg.Connection[Any]:
        connection = self._raw.driver_connection
        assert isinstance(connection, psycopg.Connection)
        return connection

    def secondary_indexes(self, connection: sa.Connection) -> list[tuple[str, str, str]]:
        # Every index of the schema's big tables but those of constraints (primary keys), in creation order.
        rows = connection.exec_driver_sql(
            "SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND t.relname = ANY(%(tables)s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
            "ORDER BY x.indexrelid",
            {"tables": list(BIG_TABLES)},
        ).all()
        return [(str(table), str(index), str(definition)) for table, index, definition in rows]

    def begin_load(self) -> None:
        """The driver's connection begins the transaction on its first statement. Foreign keys are not
        checked row by row during the load where the role may say so (a superuser's; the rows reference
        each other by construction): the constraints stay as they are, and so do the rows."""
        try:
            self.execute("SET LOCAL session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            self.driver.rollback()

    def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        with (
            self.driver.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({quoted(columns)}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def before_indexes(self) -> None:
        self.execute("SET LOCAL maintenance_work_mem = '256MB'")

    def finish(self) -> None:
        super().finish()
        begin = time.perf_counter()
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE rep, contact, interaction, followup")
        self.seconds["vacuum analyze"] += time.perf_counter() - begin


def rep_rows(seeded: Seeded) -> list[Row]:
    rows = []
    for number in seeded.rep_ids:
        language, zone = REP_LANGUAGES[number % len(REP_LANGUAGES)]
        seeded.zones[number] = zone
        joined = stamp(NOW - timedelta(days=1200))
        rows.append(
            (
                number, 10_000_000 + number, 10_000_000 + number, language, zone, "08:30", True, "12345",
                False, True, "open", "rep", f"Rep {number}", joined, joined,
            )
        )  # fmt: skip
    return rows


def seed(engines: dict[str, Engine], scenario: Scenario, rng: random.Random) -> Seeded:
    """Reps, contacts, their interactions and follow-ups, into every engine: each chunk is generated once
    and loaded into each database (the same rows on both). The first database is loaded by this thread,
    each other one by a thread of its own (at most two chunks waiting for it), so that PostgreSQL's work
    overlaps with generating the rows and loading SQLite."""
    seeded = Seeded(
        rep_ids=list(range(1, scenario.reps + 1)),
        zones={},
        contacts_of={rep: [] for rep in range(1, scenario.reps + 1)},
        typed_name={},
        leads_of=Counter(),
        rows={},
    )
    loaders: dict[str, Loader] = {
        name: SQLiteLoader(engine) if engine.dialect.name == "sqlite" else PostgresLoader(engine)
        for name, engine in engines.items()
    }
    names = list(loaders)
    inline = names[0]
    pending: dict[str, deque[Future[None]]] = {name: deque() for name in names[1:]}
    started = time.perf_counter()
    with ExitStack() as stack:
        for loader in loaders.values():
            stack.callback(loader.close)  # runs after the threads below have stopped
        executors = {
            name: stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"seed-{name}"))
            for name in pending
        }

        def run(name: str, step: Callable[[], None]) -> None:
            if name == inline:
                step()
                return
            while len(pending[name]) >= 2:
                pending[name].popleft().result()
            pending[name].append(executors[name].submit(step))

        reps = {"rep": rep_rows(seeded)}
        for name, loader in loaders.items():
            run(name, loader.start)
            run(name, functools.partial(loader.load, reps))
        for chunk in generate(scenario, rng, seeded):
            for name, loader in reversed(loaders.items()):  # the threads first, then this one
                run(name, functools.partial(loader.load, chunk))
            done = seeded.rows["contact"]
            if done % 100_000 == 0 or done == scenario.contacts:
                elapsed = time.perf_counter() - started
                progress(f"  generated {done:,} / {scenario.contacts:,} contacts ({elapsed:.0f} s)")
        for name, loader in reversed(loaders.items()):
            run(name, loader.finish)
        for futures in pending.values():
            while futures:
                futures.popleft().result()
    seeded.seed_seconds = time.perf_counter() - started
    seeded.load_seconds = {name: loader.seconds for name, loader in loaders.items()}
    return seeded


def check_seeded(database: Database, seeded: Seeded, rng: random.Random) -> int:
    """On a sample: the seeded search_text equals what the repository computes for the contact; the seeded
    next_due_at is the soonest open follow-up (else NO_FOLLOW_UP) and is stored exactly as the repository
    stores it (refresh_next_due, run and rolled back, changes nothing); the card reads the rows back."""
    sample: set[tuple[int, int]] = set()
    while len(sample) < min(200, len(seeded.typed_name)):
        owner = rng.choice(seeded.rep_ids)
        sample.add((owner, rng.choice(seeded.contacts_of[owner])))
    ids = sorted(contact_id for _owner, contact_id in sample)
    stored = sa.text("SELECT id, next_due_at FROM contact WHERE id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    with Session(database.engine) as session:
        with_follow_up = 0
        for contact_id in ids:
            contact = session.get_one(Contact, contact_id)
            computed = search_text(session, contact)
            assert computed == contact.search_text, (contact_id, computed, contact.search_text)
            soonest = session.exec(
                select(func.min(FollowUp.due_at)).where(
                    FollowUp.contact_id == contact_id, col(FollowUp.state).in_(OPEN_STATES)
                )
            ).one()
            expected = NO_FOLLOW_UP if soonest is None else soonest
            assert contact.next_due_at == expected, (contact_id, contact.next_due_at, expected)
            with_follow_up += soonest is not None
        assert 0 < with_follow_up < len(ids), "the sample has contacts with and without a follow-up"
        seeded_values = session.execute(stored, {"ids": ids}).all()
        refresh_next_due(session, ids)
        refreshed = session.execute(stored, {"ids": ids}).all()
        assert refreshed == seeded_values, "next_due_at is not stored as the repository stores it"
        session.rollback()
    for owner, contact_id in sample:
        card = ContactBook(database).get_contact(owner_id=owner, contact_id=contact_id)
        assert card is not None and card.latest_note and card.created_at.tzinfo is not None
    return len(sample)


# Timing


@dataclass
class Timing:
    name: str
    samples: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p99(self) -> float:
        if len(self.samples) < 2:
            return self.samples[0] * 1000
        return statistics.quantiles(self.samples, n=100, method="inclusive")[98] * 1000

    @property
    def typical_rows(self) -> int:
        return int(statistics.median(self.rows)) if self.rows else 0


Operation = Callable[[random.Random], int]


def measure(name: str, operation: Operation, iterations: int, budget: float, seed_value: int) -> Timing:
    """Run the operation N times after one warm-up run; fewer when N would exceed the time budget (then
    at least 10 runs, or 3 for an operation slower than a second)."""
    rng = random.Random(seed_value)
    operation(rng)
    timing = Timing(name)
    rng = random.Random(seed_value)
    started = time.perf_counter()
    while len(timing.samples) < iterations:
        begin = time.perf_counter()
        rows = operation(rng)
        timing.samples.append(time.perf_counter() - begin)
        timing.rows.append(rows)
        elapsed = time.perf_counter() - started
        if elapsed > budget and (len(timing.samples) >= 10 or elapsed > 3 * budget):
            break
    return timing


def operations(database: Database, seeded: Seeded) -> dict[str, Operation]:
    """What the handlers call for /find, a list page, the card, its history and the digest."""
    book = ContactBook(database)
    followups = FollowUpRepository(database)

    def any_rep(rng: random.Random) -> int:
        return rng.choice(seeded.rep_ids)

    def any_contact(rng: random.Random, rep: int) -> int:
        return rng.choice(seeded.contacts_of[rep])

    def find_common(rng: random.Random) -> int:
        return book.find_contacts(owner_id=any_rep(rng), text=COMMON_FRAGMENT, offset=0, limit=PAGE).total

    def find_rare(rng: random.Random) -> int:
        rep = any_rep(rng)
        text = seeded.typed_name[any_contact(rng, rep)]
        return book.find_contacts(owner_id=rep, text=text, offset=0, limit=PAGE).total

    def list_page(order: ContactOrder, last: bool) -> Operation:
        def run(rng: random.Random) -> int:
            rep = any_rep(rng)
            offset = (seeded.leads_of[rep] - 1) // PAGE * PAGE if last else 0
            page = book.list_contacts(owner_id=rep, status="lead", order=order, offset=offset, limit=PAGE)
            assert page.items, "an empty page measures nothing"
            return page.total

        return run

    def card(rng: random.Random) -> int:
        rep = any_rep(rng)
        assert book.get_contact(owner_id=rep, contact_id=any_contact(rng, rep)) is not None
        return 1

    def history(rng: random.Random) -> int:
        rep = any_rep(rng)
        page = book.history(owner_id=rep, contact_id=any_contact(rng, rep), offset=0, limit=HISTORY_PAGE)
        assert page is not None
        return page.total

    def digest(rng: random.Random) -> int:
        rep = any_rep(rng)
        data = followups.digest_data(rep_id=rep, zone=ZoneInfo(seeded.zones[rep]))
        return sum(section.total for section in (data.today, data.overdue, data.cold, data.birthdays))

    return {
        "find common": find_common,
        "find rare": find_rare,
        "list newest p1": list_page(ContactOrder.NEWEST, last=False),
        "list newest last": list_page(ContactOrder.NEWEST, last=True),
        "list score p1": list_page(ContactOrder.SCORE, last=False),
        "list score last": list_page(ContactOrder.SCORE, last=True),
        "list next p1": list_page(ContactOrder.NEXT, last=False),
        "list next last": list_page(ContactOrder.NEXT, last=True),
        "card": card,
        "history": history,
        "digest": digest,
    }


# Query plans


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any
    seconds: float


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[Statement]]:
    """The SELECT statements the engine runs meanwhile, with their parameters and wall times."""
    statements: list[Statement] = []

    def before(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        connection.info["data_scale_started"] = time.perf_counter()

    def after(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        started = connection.info.pop("data_scale_started", None)
        if started is not None and statement.lstrip().upper().startswith("SELECT"):
            statements.append(Statement(statement, parameters, time.perf_counter() - started))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def explain(engine: Engine, statement: Statement) -> list[str]:
    """SQLite: EXPLAIN QUERY PLAN as a tree; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters
            ).all()
            depth: dict[int, int] = {0: -1}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + str(detail))
        else:
            sql = f"EXPLAIN (ANALYZE, BUFFERS) {statement.sql}"
            lines = [str(row[0]) for row in connection.exec_driver_sql(sql, statement.parameters).all()]
        connection.rollback()
    return lines


def statement_times(engine: Engine, operation: Operation, seed_value: int) -> list[Statement]:
    """The operation's SELECT statements, each run again on its own with its rows fetched (median of
    three): the database's share of the operation, without the ORM's."""
    with recorded_statements(engine) as statements:
        operation(random.Random(seed_value))
    timed = []
    for statement in statements:
        samples = []
        for _ in range(3):
            with engine.connect() as connection:
                begin = time.perf_counter()
                connection.exec_driver_sql(statement.sql, statement.parameters).all()
                samples.append(time.perf_counter() - begin)
                connection.rollback()
        timed.append(Statement(statement.sql, statement.parameters, statistics.median(samples)))
    return timed


def print_plans(engine: Engine, title: str, name: str, operation: Operation, seed_value: int) -> None:
    print(f"\n#### Plan: {title}: {name}\n")
    print("```")
    for number, statement in enumerate(statement_times(engine, operation, seed_value), 1):
        sql = " ".join(statement.sql.split())
        print(f"statement {number} ({statement.seconds * 1000:.1f} ms alone, rows fetched): {sql}")
        print(f"  parameters: {statement.parameters!r}")
        for line in explain(engine, statement):
            print(f"    {line}")
    print("```")
    sys.stdout.flush()


# Running


@dataclass
class Run:
    backend: str
    scenario: Scenario
    seeded: Seeded
    timings: dict[str, Timing]
    load: tuple[float, float]


@dataclass(frozen=True)
class Options:
    postgres_url: str
    skip_postgres: bool
    skip_sqlite: bool
    scenarios: tuple[Scenario, ...]
    iterations: int
    budget: float
    plans: int | None
    seed: int


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def backend_name(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return "SQLite " + str(connection.exec_driver_sql("select sqlite_version()").scalar())
        version = str(connection.exec_driver_sql("show server_version").scalar())
        return "PostgreSQL " + version.split()[0]


def print_run_table(title: str, timings: dict[str, Timing]) -> None:
    print(f"\n### {title}\n")
    print("| query | rows | n | p50 ms | p99 ms | p99 < 50 ms |")
    print("|---|---:|---:|---:|---:|:---:|")
    for name, timing in timings.items():
        goal = "yes" if timing.p99 < GOAL_MS else "**no**"
        print(
            f"| {name} | {timing.typical_rows:,} | {len(timing.samples)} | {timing.p50:.1f} | "
            f"{timing.p99:.1f} | {goal} |"
        )
    sys.stdout.flush()


def time_backend(engine: Engine, scenario: Scenario, seeded: Seeded, options: Options) -> Run:
    backend = backend_name(engine)
    database = Database(engine, lambda: NOW)
    seeded.checked = check_seeded(database, seeded, random.Random(options.seed))
    progress(f"{backend}, scenario {scenario.label}: timing")
    run_ops = operations(database, seeded)
    load_before = os.getloadavg()[0]
    timings = {
        name: measure(name, operation, options.iterations, options.budget, options.seed + number)
        for number, (name, operation) in enumerate(run_ops.items())
    }
    run = Run(backend, scenario, seeded, timings, (load_before, os.getloadavg()[0]))
    print_run_table(
        f"{backend}, scenario {scenario.label} (load average {run.load[0]:.1f} -> {run.load[1]:.1f})", timings
    )
    slowest = sorted(timings, key=lambda name: timings[name].p99, reverse=True)
    explained = [name for name in slowest if timings[name].p99 >= GOAL_MS][: options.plans] or slowest[:1]
    for name in explained:
        number = list(run_ops).index(name)
        print_plans(engine, f"{backend}, {scenario.label}", name, run_ops[name], options.seed + number)
    return run


def run_scenario(scenario: Scenario, options: Options) -> list[Run]:
    """Both databases seeded with the same rows (each chunk generated once), then timed one after the
    other, so that neither competes with the other's seeding or timing."""
    with ExitStack() as stack:
        engines: dict[str, Engine] = {}
        if not options.skip_sqlite:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="data-scale-"))
            engines["sqlite"] = create_engine_for(f"sqlite:///{Path(folder) / 'prospect.db'}")
        if not options.skip_postgres:
            url = stack.enter_context(postgres_schema(options.postgres_url))
            if url is not None:
                engines["postgres"] = create_engine_for(url)
        if not engines:
            return []
        for engine in engines.values():
            stack.callback(engine.dispose)
            upgrade_to_latest(engine)
        progress(f"scenario {scenario.label}: seeding {', '.join(engines)}")
        seeded = seed(engines, scenario, random.Random(options.seed))
        rows = ", ".join(f"{count:,} {table}" for table, count in seeded.rows.items())
        loads = "; ".join(
            f"{name} " + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in steps.items())
            for name, steps in seeded.load_seconds.items()
        )
        print(
            f"\nScenario {scenario.label}: {rows}. Seeded in {seeded.seed_seconds:.0f} s wall: generating "
            f"{seeded.generate_seconds:.0f} s; overlapped with it, {loads}"
        )
        return [time_backend(engine, scenario, seeded, options) for engine in engines.values()]
    return []


def print_summary(runs: list[Run]) -> None:
    """One table: a row per query, a column per backend and scenario, p50 / p99 in ms."""
    if not runs:
        return
    print("\n### Summary: p50 / p99 in ms (goal: p99 under 50 ms; **bold** misses it)\n")
    headers = [f"{run.backend} {run.scenario.label}" for run in runs]
    print("| query | " + " | ".join(headers) + " |")
    print("|---|" + "---:|" * len(runs))
    for name in runs[0].timings:
        cells = []
        for run in runs:
            timing = run.timings[name]
            p99 = f"{timing.p99:.1f}" if timing.p99 < GOAL_MS else f"**{timing.p99:.0f}**"
            cells.append(f"{timing.p50:.1f} / {p99}")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help=f"({DEFAULT_POSTGRES_URL})")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--quick", action="store_true", help="scenario B with 200 reps instead of 1,000")
    parser.add_argument("--scenarios", nargs="+", choices=["A", "B"], default=["A", "B"])
    parser.add_argument("--iterations", type=int, default=200, help="timed runs of each query (200)")
    parser.add_argument(
        "--budget", type=float, default=4.0, help="seconds per query before stopping early (4)"
    )
    parser.add_argument(
        "--plans",
        type=int,
        default=None,
        help="at most this many queries explained per run (default: every one over the goal)",
    )
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args(argv)
    # A SIGTERM unwinds like Ctrl-C, so that the PostgreSQL schema and the SQLite folder are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scenarios = {
        "A": Scenario("A", 1, 100_000),
        "B": Scenario("B", 200 if args.quick else 1_000, 1_000),
    }
    postgres_url = args.postgres_url
    # A deployer's postgresql:// URL gets SQLAlchemy's driver name, as Settings does for DATABASE_URL.
    if postgres_url.startswith(("postgresql://", "postgres://")):
        postgres_url = "postgresql+psycopg://" + postgres_url.split("://", 1)[1]
    options = Options(
        postgres_url=postgres_url,
        skip_postgres=args.skip_postgres,
        skip_sqlite=args.skip_sqlite,
        scenarios=tuple(scenarios[key] for key in args.scenarios),
        iterations=args.iterations,
        budget=args.budget,
        plans=args.plans,
        seed=args.seed,
    )
    print(f"data_scale on {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{options}")
    started = time.perf_counter()
    runs = [run for scenario in options.scenarios for run in run_scenario(scenario, options)]
    print_summary(runs)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
