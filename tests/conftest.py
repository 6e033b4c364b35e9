"""Fixtures: databases (SQLite files and PostgreSQL schemas), the fake Bot API, the application, reps."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.config import Settings
from storage.engine import create_engine_for
from storage.migrate import upgrade_to_latest
from tests.factories import PAGE_WAIT_MS, TOKEN, FakeClock, FakeMonotonic, RepChat, Storage, running_app
from tests.fake_bot_api import FakeBotAPI

# PTB 22 warns that RetryAfter.retry_after becomes a timedelta; with warnings as errors the warning would
# replace the exception, so the tests opt in to the new behaviour the bot's code already handles.
os.environ.setdefault("PTB_TIMEDELTA", "true")

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_unreachable_reason() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # any failure to connect means the same: no server to test against
        return f"PostgreSQL not reachable at TEST_DATABASE_URL ({type(error).__name__})"
    return None


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = _postgres_unreachable_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the PostgreSQL tests")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated once; each test gets a copy, which is much faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade_to_latest(engine)
    # Closing the last connection checkpoints the WAL into the main file, so the file alone is the copy.
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite_template: Path) -> str:
    path = tmp_path / "prospect.db"
    shutil.copy(migrated_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A fresh schema of its own in the test database, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


# Debian's chromium (apt-get install chromium), driven by playwright from PyPI; playwright's own browser
# downloads are never used.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A phone's window: the page must work at this width.
PHONE_VIEWPORT = {"width": 390, "height": 844}


def _browser_missing_reason() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return 'playwright is not installed (pip install -e ".[dev]")'
    if not CHROMIUM.exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture
async def browser_page(tmp_path: Path) -> AsyncIterator[Any]:
    """A page in a real headless chromium at a phone's width, with a fresh profile; errors the page's
    JavaScript raised fail the test."""
    reason = _browser_missing_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser tests")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    errors: list[object] = []
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=PHONE_VIEWPORT,
            accept_downloads=True,
        )
        page = context.pages[0] if context.pages else await context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        page.set_default_timeout(PAGE_WAIT_MS)
        try:
            yield page
        finally:
            await context.close()
    assert not errors, f"the page's JavaScript failed: {errors!r}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def repo(database_url: str, clock: FakeClock) -> Iterator[Storage]:
    engine = create_engine_for(database_url)
    upgrade_to_latest(engine)
    yield Storage.on(engine, clock)
    engine.dispose()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(
        bot_token=TOKEN,
        database_url=sqlite_url,
        telegram_base_url="https://bot-api.test/bot",
        telegram_base_file_url="https://bot-api.test/file/bot",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI(token=TOKEN)
    yield api
    # Any request Telegram would have refused fails the test that made it.
    api.assert_no_rejections()


@pytest.fixture
def pacing() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
async def start_app(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock, pacing: FakeMonotonic
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Start the real Application, as run_polling would, over the fake Bot API; setting overrides may be
    given (e.g. allowed_users). Handler errors fail the test."""
    async with AsyncExitStack() as stack:
        started: list[list[BaseException]] = []

        async def start(**overrides: Any) -> Any:
            application, errors = await stack.enter_async_context(
                running_app(settings.model_copy(update=overrides), fake, clock, pacing)
            )
            started.append(errors)
            return application

        yield start
    for errors in started:
        assert not errors, f"handlers raised: {errors!r}"


@pytest.fixture
async def app(start_app: Callable[..., Awaitable[Any]]) -> Any:
    """The application with the default settings (open to anyone)."""
    return await start_app()


@pytest.fixture
def rep(app: Any, fake: FakeBotAPI, clock: FakeClock) -> RepChat:
    return RepChat(app, fake, user_id=5001, first_name="Maija", clock=clock)


@pytest.fixture
def other_rep(app: Any, fake: FakeBotAPI, clock: FakeClock) -> RepChat:
    return RepChat(app, fake, user_id=5002, first_name="Ola", clock=clock)
