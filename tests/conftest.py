"""Shared fixtures: real databases (SQLite file, PostgreSQL) and the real bot on the sandbox.

`db_url` runs a test on both databases; `sqlite_url` / `postgres_url` on one.
`bot` starts the real Application (long polling over HTTP) against an
in-process sandbox Bot API and yields a `BotHarness` to drive it as people would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import create_sessionmaker
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
    schema_engine,
)
from tests.support.harness import BotHarness, start_harness

# Thursday 26 Nov 2026, 10:00 in Jakarta: tests that move the clock start here.
T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


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
