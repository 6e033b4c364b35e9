"""The data-scale benchmark: /find, a list page, the card, its history and the digest query on big books.

Issues 4 and 8: "one rep with 100,000 contacts and 1,000 reps with 1,000 each (SQLite and PostgreSQL): /find,
a list page and a card, p50 and p99 server-side. Our goal: p99 under 50 ms for each", and the digest query.

Scenarios, each on SQLite (a fresh temporary file, as `create_engine_for` configures it: WAL, busy timeout,
no ANALYZE, since the bot never runs one) and on PostgreSQL (a fresh schema, created and dropped here, after
VACUUM ANALYZE of the seeded tables, which autovacuum would do within a minute of such a load):

- A: one rep with 100,000 contacts;
- B: 1,000 reps with 1,000 contacts each (1,000,000 contacts); `--quick` seeds 200 reps x 1,000 instead.

Seeding uses SQLAlchemy Core `insert(...)` with lists of dicts, in chunks, in time order with the owners
interleaved (as contacts arrive in production). Names, companies and notes come from Finnish, Hungarian,
French, Norwegian and English parts, so `search_key` folding matters (`hamalainen` must find Hämäläinen);
`search_text`, `name_key` and `phone_key` are filled exactly as `Repository._search_text` and
`_apply_answers` fill them (checked against the repository on a sample after seeding). Statuses are
lead/prospect/customer/lost 45/30/15/10 %, scores by status, `created_at` spread over three years, a
pending follow-up on ~30 % of contacts (due from two weeks ago to three months ahead), a done one on
another ~25 %, one interaction with a note per contact, a birthday on ~10 %.

Timed (wall time of the repository call in process: SQLAlchemy plus the database, what the handler waits
for), for a random rep (and contact) each time, after one warm-up run, up to N times (`--iterations`, 200)
or until the per-query time budget is spent (`--budget`, then at least 10 runs; the table gives n):

- find common / find rare: `find_contacts` with a fragment in ~28 % of contacts ("nen") and with a first
  and last name typed without accents (a handful of rows);
- list NEWEST / SCORE / NEXT, first page and last page: `list_contacts(status="lead")`, the largest list,
  eight to a page as the handlers show it;
- card: `get_contact`; history: `ContactBook.history` (first five); digest: `digest_data`.

The SQL statements of the slowest operations are captured and explained (SQLite: EXPLAIN QUERY PLAN;
PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)), each with its own time when run alone with its rows fetched.

`--experiments` adds, on the same seeded data (clearly labelled EXPERIMENT; the bot's schema and code are
not changed, everything is created ad hoc in the benchmark's throw-away database):

- E0 (SQLite): ANALYZE, then the repository's code as is;
- E1: dialect-neutral indexes (see `experiment_indexes`), then the repository's code as is;
- E2: E1 plus rewritten queries written here (`list_items_rewritten`, `digest_rewritten`);
- E3 (scenario A): a trigram index for /find: pg_trgm GIN on PostgreSQL, an FTS5 trigram table on SQLite;
- E4 (scenario A): a denormalized, indexed next follow-up column for the NEXT order.

    python -m benchmarks.data_scale [--postgres-url URL] [--skip-postgres] [--quick] [--experiments]
    python -m benchmarks.data_scale --scenarios A --skip-postgres --iterations 100
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func

from benchmarks.databases import postgres_schema
from bot import schedule
from bot.qualification import Authority, Budget, Fit, Need, Source, Timeline
from bot.text_keys import phone_key, search_key
from storage.contacts import ContactBook
from storage.engine import create_engine_for
from storage.followups import OPEN_STATES, FollowUpRepository
from storage.migrate import upgrade_to_latest
from storage.models import Contact, FollowUp, Interaction, Rep, UTCDateTime
from storage.repository import ContactOrder, Repository

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GOAL_MS = 50.0
PAGE = 8
HISTORY_PAGE = 5
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
CHUNK = 10_000
PEOPLE = 50_000  # distinct people the contacts are drawn from
COMMON_FRAGMENT = "nen"


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


def surname(pick: Callable[[Sequence[str]], str]) -> str:
    starts, mids, ends = pick(SURNAME_PARTS)
    return pick(starts) + pick(mids) + pick(ends)


def bulk_table(model: Any) -> sa.Table:
    """The model's table with plain DateTime columns, for seeding: instants are passed as naive UTC, which
    is what UTCDateTime converts them to before deferring to DateTime, without its per-row processing."""
    columns = []
    for column in model.__table__.columns:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            kind = sa.DateTime()
        columns.append(sa.Column(column.name, kind))
    return sa.Table(model.__table__.name, sa.MetaData(), *columns)


def naive(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None)


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
    insert_seconds: dict[str, float] = field(default_factory=dict)
    checked: int = 0


Chunk = dict[str, list[dict[str, Any]]]  # table name -> rows


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
    pieces: tuple[str, ...]  # the words search_text starts with, in Repository._search_text's order
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
    production), each with one interaction and maybe follow-ups. Each rep gets exactly per_rep contacts."""
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
    interaction_id = followup_id = 0
    for chunk_start in range(0, total, CHUNK):
        started = time.perf_counter()
        contacts: list[dict[str, Any]] = []
        interactions: list[dict[str, Any]] = []
        followups: list[dict[str, Any]] = []
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
            # What Repository._search_text stores: the words and the notes folded, then the phone's digits
            # (the reference is ASCII lower case and digits, which search_key leaves as they are).
            words = [person.words, *(folded_phrases[phrase] for phrase in phrases)]
            if reference:
                words.append(reference)
            digits = "".join(char for char in phone or "" if char.isdigit())
            search_text = " | ".join([" ".join(words), digits])
            if contact_id % 997 == 0:
                whole = search_key(" ".join([*person.pieces, *phrases, reference]))
                assert search_text == f"{whole} | {digits}", (search_text, whole)
            answers = {key: pick(values) for key, values in answer_items}
            contacts.append(
                {
                    "id": contact_id,
                    "owner_id": owner,
                    "name": person.name,
                    "name_key": fold(person.name),
                    "company": person.company,
                    "role": person.role,
                    "phone": phone,
                    "phone_key": phone_key(phone) if phone else None,
                    "email": person.email,
                    **answers,
                    "status": status,
                    "status_rule": "rep" if status in {"customer", "lost"} else "default",
                    "status_reasons": [f"need.{answers['need']}", f"budget.{answers['budget']}"],
                    "score": low + int(uniform() * (high - low + 1)),
                    "score_reasons": SCORE_REASONS,
                    "touches": 1 + int(uniform() * 6),
                    "lost_reason": pick(LOST_REASONS) if status == "lost" else None,
                    "birthday": (
                        date(1955 + int(uniform() * 45), 1 + int(uniform() * 12), 1 + int(uniform() * 28))
                        if uniform() < 0.1
                        else None
                    ),
                    "stage": pick(STAGES),
                    "industry": person.industry,
                    "location": person.location,
                    "search_text": search_text,
                    "last_touch_at": naive(last_touch),
                    "created_at": naive(created),
                    "updated_at": naive(last_touch),
                }
            )
            interaction_id += 1
            interactions.append(
                {
                    "id": interaction_id,
                    "owner_id": owner,
                    "contact_id": contact_id,
                    "kind": "meeting" if uniform() < 0.6 else "call",
                    "note": note,
                    "answers": answers,
                    "changes": {},
                    "actor_id": owner,
                    "occurred_at": naive(created),
                }
            )
            draw = uniform()
            if draw < 0.55:
                followup_id += 1
                pending = draw < 0.30
                due = (
                    NOW + timedelta(days=uniform() * 104 - 14)
                    if pending
                    else created + timedelta(days=1 + uniform() * 29)
                )
                followups.append(
                    {
                        "id": followup_id,
                        "owner_id": owner,
                        "contact_id": contact_id,
                        "due_at": naive(due),
                        "kind": "next",
                        "state": "pending" if pending else "done",
                        "attempts": 0 if pending else 1,
                        "sent_at": None if pending else naive(due),
                        "created_at": naive(created),
                    }
                )
        seeded.rows["contact"] = seeded.rows.get("contact", 0) + len(contacts)
        seeded.rows["interaction"] = seeded.rows.get("interaction", 0) + len(interactions)
        seeded.rows["followup"] = seeded.rows.get("followup", 0) + len(followups)
        pending_count = sum(1 for row in followups if row["state"] == "pending")
        seeded.rows["of which pending"] = seeded.rows.get("of which pending", 0) + pending_count
        seeded.generate_seconds += time.perf_counter() - started
        yield {"contact": contacts, "interaction": interactions, "followup": followups}


def seed(engines: dict[str, Engine], scenario: Scenario, rng: random.Random) -> Seeded:
    """Reps, contacts, their interactions and follow-ups, into every engine, with bulk inserts in chunks:
    each chunk is generated once and inserted into each database (the same data on both)."""
    seeded = Seeded(
        rep_ids=list(range(1, scenario.reps + 1)),
        zones={},
        contacts_of={rep: [] for rep in range(1, scenario.reps + 1)},
        typed_name={},
        leads_of=Counter(),
        rows={},
        insert_seconds=dict.fromkeys(engines, 0.0),
    )
    reps = []
    for number in seeded.rep_ids:
        language, zone = REP_LANGUAGES[number % len(REP_LANGUAGES)]
        seeded.zones[number] = zone
        reps.append(
            {
                "id": number,
                "telegram_id": 10_000_000 + number,
                "chat_id": 10_000_000 + number,
                "language": language,
                "timezone": zone,
                "digest_time": "08:30",
                "onboarded": True,
                "working_days": "12345",
                "digest_when_empty": False,
                "active": True,
                "access": "open",
                "role": "rep",
                "display_name": f"Rep {number}",
                "created_at": naive(NOW - timedelta(days=1200)),
                "updated_at": naive(NOW - timedelta(days=1200)),
            }
        )
    tables = {model.__table__.name: bulk_table(model) for model in (Rep, Contact, Interaction, FollowUp)}
    for engine in engines.values():
        insert_chunk(engine, tables, {"rep": reps})
    # The first database is filled by this thread, each other one by a thread of its own, so that
    # PostgreSQL's server-side work overlaps with generating rows and filling SQLite.
    names = list(engines)
    inline, threaded = names[0], names[1:]
    pending: dict[str, deque[Future[float]]] = {name: deque() for name in threaded}
    started = time.perf_counter()
    with ExitStack() as stack:
        executors = {
            name: stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"seed-{name}"))
            for name in threaded
        }
        for chunk in generate(scenario, rng, seeded):
            for name in threaded:
                while len(pending[name]) >= 2:  # at most two chunks waiting: memory stays bounded
                    seeded.insert_seconds[name] += pending[name].popleft().result()
                pending[name].append(executors[name].submit(insert_chunk, engines[name], tables, chunk))
            seeded.insert_seconds[inline] += insert_chunk(engines[inline], tables, chunk)
            done = seeded.rows["contact"]
            if done % 100_000 == 0 or done == scenario.contacts:
                elapsed = time.perf_counter() - started
                progress(f"  generated {done:,} / {scenario.contacts:,} contacts ({elapsed:.0f} s)")
        for name in threaded:
            while pending[name]:
                seeded.insert_seconds[name] += pending[name].popleft().result()
    seeded.seed_seconds = time.perf_counter() - started
    for name, engine in engines.items():
        begin = time.perf_counter()
        after_seeding(engine)
        seeded.insert_seconds[name] += time.perf_counter() - begin
    return seeded


def insert_chunk(
    engine: Engine, tables: dict[str, sa.Table], chunk: dict[str, list[dict[str, Any]]]
) -> float:
    """One transaction of Core executemany INSERTs; its wall time."""
    begin = time.perf_counter()
    with engine.begin() as connection:
        for table, rows in chunk.items():
            if rows:
                connection.execute(sa.insert(tables[table]), rows)
    return time.perf_counter() - begin


def check_seeded(repository: Repository, seeded: Seeded, rng: random.Random) -> int:
    """The seeded search_text equals what the repository computes for the same contact, and the card
    reads the seeded rows back through the models."""
    sample = []
    for _ in range(20):
        owner = rng.choice(seeded.rep_ids)
        sample.append((owner, rng.choice(seeded.contacts_of[owner])))
    with Session(repository.engine) as session:
        for _owner, contact_id in sample:
            contact = session.get_one(Contact, contact_id)
            computed = Repository._search_text(session, contact)
            assert computed == contact.search_text, (contact_id, computed, contact.search_text)
        session.rollback()
    for owner, contact_id in sample:
        card = repository.get_contact(owner_id=owner, contact_id=contact_id)
        assert card is not None and card.latest_note and card.created_at.tzinfo is not None
    return len(sample)


def after_seeding(engine: Engine) -> None:
    """PostgreSQL: VACUUM ANALYZE the seeded tables (autovacuum does it shortly after such a load).
    SQLite: nothing; the bot never runs ANALYZE, so the planner works without statistics, as in use."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE rep, contact, interaction, followup")


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


def operations(repository: Repository, seeded: Seeded) -> dict[str, Operation]:
    """What the handlers call for /find, a list page, the card, its history and the digest."""
    book = ContactBook(repository)
    followups = FollowUpRepository(repository)

    def any_rep(rng: random.Random) -> int:
        return rng.choice(seeded.rep_ids)

    def any_contact(rng: random.Random, rep: int) -> int:
        return rng.choice(seeded.contacts_of[rep])

    def find_common(rng: random.Random) -> int:
        return repository.find_contacts(
            owner_id=any_rep(rng), text=COMMON_FRAGMENT, offset=0, limit=PAGE
        ).total

    def find_rare(rng: random.Random) -> int:
        rep = any_rep(rng)
        text = seeded.typed_name[any_contact(rng, rep)]
        return repository.find_contacts(owner_id=rep, text=text, offset=0, limit=PAGE).total

    def list_page(order: ContactOrder, last: bool) -> Operation:
        def run(rng: random.Random) -> int:
            rep = any_rep(rng)
            offset = (seeded.leads_of[rep] - 1) // PAGE * PAGE if last else 0
            page = repository.list_contacts(
                owner_id=rep, status="lead", order=order, offset=offset, limit=PAGE
            )
            assert page.items, "an empty page measures nothing"
            return page.total

        return run

    def card(rng: random.Random) -> int:
        rep = any_rep(rng)
        assert repository.get_contact(owner_id=rep, contact_id=any_contact(rng, rep)) is not None
        return 1

    def history(rng: random.Random) -> int:
        rep = any_rep(rng)
        page = book.history(owner_id=rep, contact_id=any_contact(rng, rep), offset=0, limit=HISTORY_PAGE)
        assert page is not None
        return page.total

    def digest(rng: random.Random) -> int:
        rep = any_rep(rng)
        data = followups.digest_data(rep_id=rep, zone=ZoneInfo(seeded.zones[rep]))
        return len(data.today) + len(data.overdue) + len(data.quiet) + len(data.birthdays)

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


# Experiments: ad hoc indexes and rewritten queries on the seeded data. Nothing here changes the bot's
# schema or code; each is what a migration or a repository change could do, measured before proposing it.

FIND_COUNT_CAP = 1_000  # "1000+ found" instead of an exact count past this
DIGEST_LINES = 24  # handlers.digest.MAX_LINES: what one message shows


def experiment_indexes() -> list[sa.Index]:
    """Dialect-neutral indexes (plain columns and EXTRACT), on detached tables so that creating them
    leaves the models' metadata as it is."""
    metadata = sa.MetaData()
    contact = sa.Table(
        "contact",
        metadata,
        *(sa.Column(name, sa.Integer) for name in ("id", "owner_id", "score")),
        *(sa.Column(name, sa.String) for name in ("status",)),
        *(sa.Column(name, sa.DateTime) for name in ("created_at", "last_touch_at")),
        sa.Column("birthday", sa.Date),
    )
    followup = sa.Table(
        "followup",
        metadata,
        *(sa.Column(name, sa.Integer) for name in ("owner_id", "contact_id")),
        sa.Column("state", sa.String),
        sa.Column("due_at", sa.DateTime),
    )
    interaction = sa.Table("interaction", metadata, sa.Column("contact_id"), sa.Column("occurred_at"))
    c, f = contact.c, followup.c
    return [
        # The card's next follow-up and a correlated next_due: one contact's pending ones, soonest first.
        sa.Index("ix_exp_followup_contact_state_due", f.contact_id, f.state, f.due_at),
        # The digest's open follow-ups of one rep by due time; next_due grouped over one rep's follow-ups.
        sa.Index("ix_exp_followup_owner_state_due", f.owner_id, f.state, f.due_at),
        # The history page and the card's latest note: one contact's interactions, newest first.
        sa.Index("ix_exp_interaction_contact_occurred", interaction.c.contact_id, interaction.c.occurred_at),
        # List pages best score first, and newest first with the id in the index (PostgreSQL's indexes do
        # not carry the row id as SQLite's carry the rowid: without it a deep page visits every row).
        sa.Index("ix_exp_contact_owner_status_score", c.owner_id, c.status, c.score, c.id),
        sa.Index("ix_exp_contact_owner_status_created", c.owner_id, c.status, c.created_at, c.id),
        # /find's order (best score first) over all of a rep's contacts.
        sa.Index("ix_exp_contact_owner_score", c.owner_id, c.score, c.id),
        # The digest: quiet prospects by last touch; today's birthdays by month and day.
        sa.Index("ix_exp_contact_owner_status_touch", c.owner_id, c.status, c.last_touch_at),
        sa.Index(
            "ix_exp_contact_owner_birthday",
            c.owner_id,
            sa.extract("month", c.birthday),
            sa.extract("day", c.birthday),
        ),
    ]


def create_experiment_indexes(engine: Engine) -> list[str]:
    indexes = experiment_indexes()
    with engine.begin() as connection:
        for index in indexes:
            index.create(connection)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE contact, interaction, followup")
    return [str(index.name) for index in indexes]


def escape_like(text: str) -> str:
    """As storage.repository escapes a fragment for LIKE."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_condition(owner_id: int, text: str, fts: bool = False) -> Any:
    """Repository.find_contacts' condition (each folded word, or the digits of a phone number); with
    `fts`, the same LIKE patterns answered by an FTS5 trigram table (SQLite experiment)."""
    words = search_key(text).split()
    digits = "".join(char for char in text if char.isdigit())
    patterns = [f"%{escape_like(word)}%" for word in words]
    if len(digits) >= 4 and len(digits) == len(text.replace(" ", "").lstrip("+")):
        patterns = [f"%{digits}%"]
    if fts:
        index = sa.table("contact_fts", sa.column("rowid"), sa.column("search_text"))
        matching = sa.select(index.c.rowid).where(
            *(index.c.search_text.like(pattern) for pattern in patterns)
        )
        return sa.and_(col(Contact.owner_id) == owner_id, col(Contact.id).in_(matching))
    return sa.and_(
        col(Contact.owner_id) == owner_id,
        *(col(Contact.search_text).like(pattern, escape="\\") for pattern in patterns),
    )


def next_due_correlated() -> Any:
    """The contact's soonest pending follow-up, evaluated for the rows of the page only."""
    return (
        sa.select(func.min(FollowUp.due_at, type_=UTCDateTime()))
        .where(col(FollowUp.contact_id) == col(Contact.id), col(FollowUp.state) == "pending")
        .correlate(Contact.__table__)
        .scalar_subquery()
    )


def list_items_rewritten(
    repository: Repository,
    owner_id: int,
    condition: Any,
    order: ContactOrder,
    offset: int,
    limit: int,
    *,
    count: str = "full",
) -> tuple[int, int]:
    """Repository._list_items rewritten. NEWEST and SCORE: the page's ids first (an index-only walk where
    an index has the order), then its rows with next_due per row (a correlated subquery) instead of
    grouping every pending follow-up of every rep. NEXT: the grouping restricted to the owner's
    follow-ups. `count`: "full" count(*) as now, "window" count(*) OVER () in the page query (one scan),
    or "capped" at FIND_COUNT_CAP. Returns (rows on the page, total)."""
    columns = [
        col(Contact.id),
        col(Contact.name),
        col(Contact.company),
        col(Contact.status),
        col(Contact.score),
    ]
    total: int | None = None
    with repository._reading() as session:
        if order is ContactOrder.NEXT:
            grouped = (
                sa.select(
                    col(FollowUp.contact_id), func.min(FollowUp.due_at, type_=UTCDateTime()).label("next_due")
                )
                .where(col(FollowUp.owner_id) == owner_id, col(FollowUp.state) == "pending")
                .group_by(col(FollowUp.contact_id))
                .subquery()
            )
            statement = (
                sa.select(*columns, grouped.c.next_due)
                .outerjoin(grouped, grouped.c.contact_id == Contact.id)
                .where(condition)
                .order_by(grouped.c.next_due.is_(None), grouped.c.next_due, col(Contact.id).desc())
                .offset(offset)
                .limit(limit)
            )
            rows = session.execute(statement).all()
        else:
            ordering = {
                ContactOrder.SCORE: [col(Contact.score).desc(), col(Contact.id).desc()],
                ContactOrder.NEWEST: [col(Contact.created_at).desc(), col(Contact.id).desc()],
            }[order]
            page_columns = [col(Contact.id).label("page_id")]
            if count == "window":
                page_columns.append(func.count().over().label("total"))
            page = sa.select(*page_columns).where(condition).order_by(*ordering).offset(offset).limit(limit)
            ids = page.subquery()
            extra = [ids.c.total] if count == "window" else []
            statement = (
                sa.select(*columns, next_due_correlated().label("next_due"), *extra)
                .join(ids, ids.c.page_id == Contact.id)
                .order_by(*ordering)
            )
            rows = session.execute(statement).all()
            if count == "window" and rows:
                total = int(rows[0].total)
        if total is None:
            if count == "capped":
                matching = sa.select(col(Contact.id)).where(condition).limit(FIND_COUNT_CAP).subquery()
                counting = sa.select(func.count()).select_from(matching)
            else:
                counting = sa.select(func.count()).select_from(Contact).where(condition)
            total = int(session.execute(counting).scalar_one())
    return len(rows), total


def digest_rewritten(repository: Repository, rep_id: int, zone: ZoneInfo) -> int:
    """digest_data rewritten for big books: each section's first DIGEST_LINES rows (what the message can
    show) with only the columns a line needs, and its count capped at FIND_COUNT_CAP (for "and N more");
    birthdays matched in SQL with EXTRACT, which SQLAlchemy renders for SQLite and PostgreSQL. Returns
    the number of items counted."""
    now = repository.clock()
    window = schedule.local_day(now, zone)
    today = now.astimezone(zone).date()
    open_followup = sa.and_(col(FollowUp.owner_id) == rep_id, col(FollowUp.state).in_(OPEN_STATES))
    with_open_followup = sa.select(col(FollowUp.id)).where(
        col(FollowUp.contact_id) == col(Contact.id), col(FollowUp.state).in_(OPEN_STATES)
    )
    due = col(FollowUp.due_at)
    sections = [
        (sa.and_(open_followup, due >= window.start, due < window.end), due, True),
        (sa.and_(open_followup, due < window.start), due, True),
        (
            sa.and_(
                col(Contact.owner_id) == rep_id,
                col(Contact.status) == "prospect",
                col(Contact.last_touch_at) < now - schedule.QUIET_AFTER,
                ~with_open_followup.exists(),
            ),
            col(Contact.last_touch_at),
            False,
        ),
        (
            sa.and_(
                col(Contact.owner_id) == rep_id,
                sa.extract("month", col(Contact.birthday)) == today.month,
                sa.extract("day", col(Contact.birthday)) == today.day,
            ),
            col(Contact.id),
            False,
        ),
    ]
    counted = 0
    with repository._reading() as session:
        for condition, ordering, joined in sections:
            statement = sa.select(col(Contact.id), col(Contact.name), col(Contact.company), ordering)
            capped = sa.select(col(Contact.id))
            if joined:
                statement = statement.select_from(FollowUp).join(
                    Contact, col(Contact.id) == FollowUp.contact_id
                )
                capped = sa.select(col(FollowUp.id))
            rows = session.execute(statement.where(condition).order_by(ordering).limit(DIGEST_LINES)).all()
            total = len(rows)
            if total == DIGEST_LINES:
                matching = capped.where(condition).limit(FIND_COUNT_CAP).subquery()
                total = session.execute(sa.select(func.count()).select_from(matching)).scalar_one()
            counted += total
    return counted


def rewritten_operations(repository: Repository, seeded: Seeded, fts: bool = False) -> dict[str, Operation]:
    """The same calls as `operations`, through the rewritten queries (same random reps and contacts)."""

    def any_rep(rng: random.Random) -> int:
        return rng.choice(seeded.rep_ids)

    def find(rare: bool, count: str) -> Operation:
        def run(rng: random.Random) -> int:
            rep = any_rep(rng)
            text = seeded.typed_name[rng.choice(seeded.contacts_of[rep])] if rare else COMMON_FRAGMENT
            condition = find_condition(rep, text, fts=fts)
            return list_items_rewritten(repository, rep, condition, ContactOrder.SCORE, 0, PAGE, count=count)[
                1
            ]

        return run

    def list_page(order: ContactOrder, last: bool) -> Operation:
        def run(rng: random.Random) -> int:
            rep = any_rep(rng)
            offset = (seeded.leads_of[rep] - 1) // PAGE * PAGE if last else 0
            condition = sa.and_(col(Contact.owner_id) == rep, col(Contact.status) == "lead")
            shown, total = list_items_rewritten(repository, rep, condition, order, offset, PAGE)
            assert shown, "an empty page measures nothing"
            return total

        return run

    def digest(rng: random.Random) -> int:
        rep = any_rep(rng)
        return digest_rewritten(repository, rep, ZoneInfo(seeded.zones[rep]))

    found = {
        f"find {kind}{label}": find(rare=kind == "rare", count=count)
        for count, label in (("full", ""), ("window", ", one scan"), ("capped", ", count capped"))
        for kind in ("common", "rare")
    }
    if fts:
        return found
    return {
        **found,
        "list newest p1": list_page(ContactOrder.NEWEST, last=False),
        "list newest last": list_page(ContactOrder.NEWEST, last=True),
        "list score p1": list_page(ContactOrder.SCORE, last=False),
        "list score last": list_page(ContactOrder.SCORE, last=True),
        "list next p1": list_page(ContactOrder.NEXT, last=False),
        "list next last": list_page(ContactOrder.NEXT, last=True),
        "digest": digest,
    }


def create_text_index(engine: Engine) -> str:
    """A trigram index for LIKE '%fragment%': pg_trgm's GIN on PostgreSQL, an FTS5 trigram table (external
    content, filled once; in production triggers or the repository would keep it current) on SQLite."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE VIRTUAL TABLE contact_fts USING fts5(search_text, content='contact', "
                "content_rowid='id', tokenize='trigram')"
            )
            connection.exec_driver_sql("INSERT INTO contact_fts(contact_fts) VALUES ('rebuild')")
            return "FTS5 trigram table"
        installed = connection.exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        ).scalar()
        if installed is None:
            # Into the benchmark's own schema, so that dropping the schema removes it again.
            installed = connection.exec_driver_sql("SELECT current_schema()").scalar()
            connection.exec_driver_sql(f'CREATE EXTENSION pg_trgm SCHEMA "{installed}"')
        operators = f'"{installed}".gin_trgm_ops'
        connection.exec_driver_sql(
            f"CREATE INDEX ix_exp_contact_search_trgm ON contact USING gin (search_text {operators})"
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE contact")
    return "pg_trgm GIN index"


# A denormalized next follow-up: a contact column kept equal to min(due_at) of its pending follow-ups,
# or a far-future instant for none, so that one index gives the NEXT order on both databases (NULLs sort
# first in SQLite and last in PostgreSQL, and an IS NULL range does not keep the index's order).
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
EXPERIMENT_CONTACT = sa.Table(
    "contact",
    sa.MetaData(),
    *(sa.Column(name, sa.Integer) for name in ("id", "owner_id", "score")),
    *(sa.Column(name, sa.String) for name in ("status", "name", "company")),
    sa.Column("exp_next_due", UTCDateTime()),
)


def create_next_due_column(engine: Engine) -> None:
    """Adds contact.exp_next_due, fills it from the pending follow-ups, indexes it after the owner and the
    status (then id descending, the list's tie-break). In production every change of a follow-up's due
    time or state would update it in the same transaction."""
    contact = EXPERIMENT_CONTACT
    followup = sa.table("followup", sa.column("contact_id"), sa.column("state"), sa.column("due_at"))
    kind = sa.DateTime().compile(dialect=engine.dialect)
    soonest = (
        sa.select(func.min(followup.c.due_at))
        .where(followup.c.contact_id == contact.c.id, followup.c.state == "pending")
        .scalar_subquery()
    )
    never = sa.literal(FAR_FUTURE, UTCDateTime())
    with engine.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE contact ADD COLUMN exp_next_due {kind}")
        connection.execute(sa.update(contact).values(exp_next_due=func.coalesce(soonest, never)))
        c = contact.c
        sa.Index(
            "ix_exp_contact_owner_status_next", c.owner_id, c.status, c.exp_next_due, c.id.desc()
        ).create(connection)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE contact")


def list_next_denormalized(
    repository: Repository, owner_id: int, status: str, offset: int, limit: int
) -> tuple[int, int]:
    """A NEXT page from the denormalized column: the page's ids walked on ix_exp_contact_owner_status_next
    (index only), then their rows."""
    c = EXPERIMENT_CONTACT.c
    base = sa.and_(c.owner_id == owner_id, c.status == status)
    ordering = [c.exp_next_due, c.id.desc()]
    ids = (
        sa.select(c.id.label("page_id"))
        .where(base)
        .order_by(*ordering)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    statement = (
        sa.select(c.id, c.name, c.company, c.status, c.score, c.exp_next_due)
        .join(ids, ids.c.page_id == c.id)
        .order_by(*ordering)
    )
    with repository._reading() as session:
        total = session.execute(sa.select(func.count()).where(base)).scalar_one()
        rows = session.execute(statement).all()
    return len(rows), int(total)


def denormalized_operations(repository: Repository, seeded: Seeded) -> dict[str, Operation]:
    def list_page(last: bool) -> Operation:
        def run(rng: random.Random) -> int:
            rep = rng.choice(seeded.rep_ids)
            offset = (seeded.leads_of[rep] - 1) // PAGE * PAGE if last else 0
            shown, total = list_next_denormalized(repository, rep, "lead", offset, PAGE)
            assert shown, "an empty page measures nothing"
            return total

        return run

    return {"list next p1": list_page(last=False), "list next last": list_page(last=True)}


def run_experiments(
    engine: Engine, repository: Repository, seeded: Seeded, options: Options, scenario: Scenario
) -> dict[str, dict[str, Timing]]:
    results: dict[str, dict[str, Timing]] = {}
    budget = options.budget / 2
    names = list(operations(repository, seeded))
    label = f"{backend_name(engine)}, {scenario.label}"

    def seed_of(name: str) -> int:
        """The seed of the operation it replaces, so that both see the same reps and contacts."""
        base = next(known for known in sorted(names, key=len, reverse=True) if name.startswith(known))
        return options.seed + names.index(base)

    def timed(title: str, run_ops: dict[str, Operation]) -> None:
        progress(f"  experiment: {title}")
        timings = {
            name: measure(name, operation, options.iterations, budget, seed_of(name))
            for name, operation in run_ops.items()
        }
        results[title] = timings
        print_run_table(f"EXPERIMENT {label}: {title}", timings)

    def plans(title: str, run_ops: dict[str, Operation], *wanted: str) -> None:
        for name in wanted:
            print_plans(engine, f"EXPERIMENT {label}, {title}", name, run_ops[name], seed_of(name))

    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        engine.dispose()
        timed("E0 SQLite ANALYZE (statistics only), code as is", operations(repository, seeded))
        with engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM sqlite_stat1")
        engine.dispose()  # new connections load the (now empty) statistics
    created = create_experiment_indexes(engine)
    timed(f"E1 indexes {', '.join(created)}; code as is", operations(repository, seeded))
    rewritten = rewritten_operations(repository, seeded)
    timed("E2 E1 + rewritten queries", rewritten)
    plans("E2", rewritten, "list newest last", "find common, count capped", "digest")
    if scenario.reps == 1:
        kind = create_text_index(engine)
        text_ops: dict[str, Operation]
        if engine.dialect.name == "sqlite":
            text_ops = rewritten_operations(repository, seeded, fts=True)
        else:
            base = operations(repository, seeded)
            text_ops = {"find common": base["find common"], "find rare": base["find rare"]} | {
                f"{name} (rewritten)": rewritten[name] for name in rewritten if name.startswith("find")
            }
        timed(f"E3 E2 + {kind}", text_ops)
        plans(
            f"E3 {kind}", text_ops, *(name for name in text_ops if name.startswith("find rare, count capped"))
        )
        create_next_due_column(engine)
        denormalized = denormalized_operations(repository, seeded)
        timed("E4 E1 + a denormalized contact.next_due column, indexed, for the NEXT order", denormalized)
        plans("E4", denormalized, "list next last")
    return results


# Running


@dataclass
class Run:
    backend: str
    scenario: Scenario
    seeded: Seeded
    timings: dict[str, Timing]
    load: tuple[float, float]
    experiments: dict[str, dict[str, Timing]] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    postgres_url: str
    skip_postgres: bool
    skip_sqlite: bool
    scenarios: tuple[Scenario, ...]
    iterations: int
    budget: float
    experiments: bool
    plans: int
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
    repository = Repository(engine, lambda: NOW)
    seeded.checked = check_seeded(repository, seeded, random.Random(options.seed))
    progress(f"{backend}, scenario {scenario.label}: timing")
    run_ops = operations(repository, seeded)
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
    if options.experiments:
        run.experiments = run_experiments(engine, repository, seeded, options, scenario)
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
        inserts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in seeded.insert_seconds.items())
        print(
            f"\nScenario {scenario.label}: {rows}. Seeded in {seeded.seed_seconds:.0f} s wall: generating "
            f"{seeded.generate_seconds:.0f} s; inserting, overlapped, {inserts} (PostgreSQL's including "
            "VACUUM ANALYZE)"
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
    for run in runs:
        for experiment, timings in run.experiments.items():
            print(f"\n{run.backend}, {run.scenario.label}, EXPERIMENT {experiment}: p50 / p99 ms")
            for name, timing in timings.items():
                before = run.timings.get(name)
                was = f" (as is: {before.p50:.1f} / {before.p99:.1f})" if before else ""
                print(f"  {name}: {timing.p50:.1f} / {timing.p99:.1f}{was}")


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
        "--experiments", action="store_true", help="also time ad hoc indexes and rewritten queries"
    )
    parser.add_argument("--plans", type=int, default=4, help="queries explained per run (4)")
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
        experiments=args.experiments,
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
