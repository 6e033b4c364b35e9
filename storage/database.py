"""The database every storage part shares: its engines and transactions, the base class of the parts, and
the row-level helpers that writes of more than one aggregate need (contact locks, next_due, LIKE escaping,
optimistic-write checks)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from bot.schedule import OPEN_STATES, FollowUpKind, FollowUpState
from storage.engine import READ_ONLY, SQLITE_BUSY_TIMEOUT_MS, is_sqlite
from storage.models import NO_FOLLOW_UP, Contact, FollowUp, UTCDateTime

Clock = Callable[[], datetime]

P = ParamSpec("P")
T = TypeVar("T")


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool hands out at once (its size and overflow)."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if callable(size):
        return max(1, int(size()) + max(0, int(overflow)))
    return 1


class WriterTurn:
    """One writer of this process at a time, the others waiting in line; one that waits longer than
    `timeout` seconds (a long import holds the turn) fails as SQLite's busy timeout would have failed it."""

    def __init__(self, timeout: float) -> None:
        self._lock = threading.RLock()
        self._timeout = timeout

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=self._timeout):
            raise TimeoutError(f"another writer of this process held the database for {self._timeout:g} s")

    def __exit__(self, *_exc: object) -> None:
        self._lock.release()


class Database:
    """The engines and the clock, with the two kinds of transaction. One instance per process, shared by
    every storage part."""

    def __init__(self, engine: Engine, clock: Clock, *, threads: int | None = None) -> None:
        self.engine = engine
        self.clock = clock
        # The event loop never waits on the database: every call from a coroutine goes through run(), on a
        # thread of this pool, one thread per connection the pool can lend (so no thread waits for one).
        # threads=0 runs the calls on the loop itself (benchmarks/README.md measures both).
        workers = pool_capacity(engine) if threads is None else threads
        # SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps in its busy
        # handler (up to 100 ms a nap) however soon the lock is free. This process's writers queue here
        # instead and go in the moment the one before has committed; other processes still meet the busy
        # handler. PostgreSQL locks rows, not the database: nothing to queue for.
        self._writers: AbstractContextManager[object] = (
            WriterTurn(SQLITE_BUSY_TIMEOUT_MS / 1000) if is_sqlite(engine) else contextlib.nullcontext()
        )
        self._threads = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="database") if workers > 0 else None
        )
        self.read_engine = engine.execution_options(**{READ_ONLY: True})
        # A statement that stands alone (one read, or one conditional write) needs no transaction around it:
        # on PostgreSQL autocommit saves the round trips of BEGIN and COMMIT. SQLite begins as
        # storage.engine decides (its round trips cost nothing).
        self.statement_engine: Engine
        self.statement_read_engine: Engine
        if is_sqlite(engine):
            self.statement_engine, self.statement_read_engine = engine, self.read_engine
        else:
            self.statement_engine = self.statement_read_engine = engine.execution_options(
                isolation_level="AUTOCOMMIT"
            )

    async def run(self, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(*args, **kwargs)` on a database thread, awaited without blocking the event loop (the
        caller's context variables, such as the log's correlation id, go with it)."""
        call = functools.partial(work, *args, **kwargs)
        if self._threads is None:
            return call()
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._threads, context.run, call)

    def close(self) -> None:
        """Wait for the calls under way, then close the connections."""
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        self.engine.dispose()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that writes."""
        with self._writers, Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def writing_connection(self) -> Iterator[sa.Connection]:
        """A transaction that writes, on a plain connection: for statements built on the tables, which
        skip the ORM's work on each statement (see storage.drafts)."""
        with self._writers, self.engine.begin() as connection:
            yield connection

    @contextmanager
    def writing_statement(self) -> Iterator[sa.Connection]:
        """A connection for one write that stands alone (see statement_engine), in its turn on SQLite."""
        with self._writers, self.statement_engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (on SQLite it takes no lock; see storage.engine)."""
        with Session(self.read_engine, expire_on_commit=False) as session, session.begin():
            yield session


class RepositoryPart:
    """The reads and writes of one aggregate (reps, drafts, contacts, follow-ups...), sharing the database's
    engines, clock and transactions."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.engine = database.engine
        self.clock: Clock = database.clock

    def _session(self) -> AbstractContextManager[Session]:
        return self.database.writing()

    def _reading(self) -> AbstractContextManager[Session]:
        return self.database.reading()


def insert_values(row: SQLModel) -> dict[str, Any]:
    """A new row object's values for an INSERT on its table: the database gives the id, and a value left
    None is left out, so that it is stored as SQL NULL (a JSON column's too), as the ORM stores it."""
    return row.model_dump(exclude={"id"}, exclude_none=True)


def changed_one(result: object) -> bool:
    """Whether a conditional UPDATE hit its row: the rowcount is how an optimistic write learns it lost."""
    return getattr(result, "rowcount", 0) == 1


def escape_like(text: str) -> str:
    """The text as a literal inside a LIKE pattern that uses backslash as its escape."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lock_contacts(session: Session, contact_ids: Iterable[int]) -> None:
    """Take the contacts' row locks, in id order, before changing their follow-ups.

    On PostgreSQL this puts concurrent writers of one contact in a queue in the same order as deleting a
    contact does (contact, then its follow-ups), and it makes refresh_next_due read the follow-ups that the
    writer before it committed. SQLite needs none of it (BEGIN IMMEDIATE runs one writer at a time), and
    SQLAlchemy leaves FOR UPDATE out there.
    """
    ids = sorted(set(contact_ids))
    if ids:
        session.execute(
            select(Contact.id).where(col(Contact.id).in_(ids)).order_by(col(Contact.id)).with_for_update()
        )


def end_silence(session: Session, contact_id: int) -> None:
    """The contact was touched (a meeting, a note, a card sent): its open going-cold follow-up, if it has
    one, is closed, since the silence it was about is over. Called where last_touch_at moves, in the same
    transaction; a follow-up logged as done is not open any more and is left as it is."""
    closed = session.execute(
        sa.update(FollowUp)
        .where(
            col(FollowUp.contact_id) == contact_id,
            col(FollowUp.kind) == FollowUpKind.COLD,
            col(FollowUp.state).in_(OPEN_STATES),
        )
        .values(state=FollowUpState.CLOSED, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if getattr(closed, "rowcount", 0):
        refresh_next_due(session, [contact_id])
        # The contact loaded in this session reads its next follow-up again, as the statement left it.
        contact = session.get(Contact, contact_id)
        if contact is not None:
            session.expire(contact, ["next_due_at"])


def refresh_next_due(session: Session, contact_ids: Iterable[int]) -> None:
    """Set contact.next_due_at to the soonest open follow-up of each contact (NO_FOLLOW_UP for none).

    Every write that adds a follow-up, moves its due time, closes it or moves it to another contact calls
    this in the same transaction, so the lists' order by next follow-up never needs the follow-ups. The
    caller took the contacts' locks (lock_contacts) before it changed their follow-ups; taking them here again
    costs a statement and, on PostgreSQL, makes sure the follow-ups are read as committed.
    """
    ids = sorted(set(contact_ids))
    if not ids:
        return
    session.flush()
    lock_contacts(session, ids)
    soonest = (
        select(func.min(FollowUp.due_at))
        .where(col(FollowUp.contact_id) == col(Contact.id), col(FollowUp.state).in_(OPEN_STATES))
        .correlate(Contact)
        .scalar_subquery()
    )
    session.execute(
        sa.update(Contact)
        .where(col(Contact.id).in_(ids))
        .values(next_due_at=func.coalesce(soonest, sa.literal(NO_FOLLOW_UP, UTCDateTime())))
        .execution_options(synchronize_session=False)
    )
