"""Shared fixtures: real databases (SQLite file, PostgreSQL) and the real bot on the sandbox.

`db_url` runs a test on both databases; `sqlite_url` / `postgres_url` on one.
`bot` starts the real Application (long polling over HTTP) against an
in-process sandbox Bot API and yields a `BotHarness` to drive it as people would.

Hermetic: before any test runs, every variable `bot.config.Settings` would read is taken
out of the environment (`settings_env_names`), so a developer's QUIET_HOURS_START,
TIMEZONE or DATABASE_URL never changes an outcome; the tests' own TEST_DATABASE_URL and CI
stay.  Harness clocks are frozen at `T0` (tests/support/harness.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db import create_sessionmaker
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
    schema_engine,
)
from tests.support.harness import T0, BotHarness, start_harness

__all__ = ["T0"]  # tests import the common start moment from here


def pytest_sessionstart(session: pytest.Session) -> None:
    """Matplotlib builds its font cache the first time it loads on a machine (~10 s or
    more on a fresh one): done here, in a child process (this one must not load it, see
    tests/services/test_lazy_imports.py), so the first `/report` test waits for the chart,
    not for the cache, within its usual timeout."""
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], check=False)


def settings_env_names() -> set[str]:
    """The environment variables `Settings` reads (lower case: it is case-insensitive)."""
    config = Settings.model_config
    prefix = str(config.get("env_prefix") or "")
    names = {f"{prefix}{name}" for name in Settings.model_fields}
    for info in Settings.model_fields.values():
        for alias in (info.alias, info.validation_alias):
            if isinstance(alias, str):
                names.add(alias)
    if config.get("case_sensitive"):
        return names
    return {name.lower() for name in names}


def settings_env_in(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    names, case_sensitive = settings_env_names(), bool(Settings.model_config.get("case_sensitive"))
    return [k for k in environ if (k if case_sensitive else k.lower()) in names]


@pytest.fixture(autouse=True, scope="session")
def isolated_environment() -> Iterator[None]:
    """No test sees the shell's settings (their names come from the Settings model)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in settings_env_in(os.environ):
            patch.delenv(name)
        yield


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test module, dropped afterwards."""
    admin = require_postgres()
    url = create_postgres_database(admin)
    yield url
    drop_postgres_database(admin, url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'gotong.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gotong.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a freshly created schema (create_all; migrations have their own test)."""
    async with schema_engine(db_url) as eng:
        yield eng


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[BotHarness]:
    """The real bot on SQLite, polling the in-process sandbox; admin is user 1."""
    async with start_harness(sqlite_url) as harness:
        yield harness


@pytest.fixture
async def pg_bot(postgres_url: str) -> AsyncIterator[BotHarness]:
    async with start_harness(postgres_url) as harness:
        yield harness
