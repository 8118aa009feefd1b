"""Real databases for tests: a SQLite file per test, a fresh PostgreSQL database per module.

PostgreSQL comes from TEST_DATABASE_URL (default: the local server this kind
of machine runs).  Unreachable: under CI=true the test fails, elsewhere it
skips with the reason, so a laptop without PostgreSQL still runs the rest.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.db import create_engine
from models import Base

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def require_postgres() -> str:
    """The admin URL, or skip/fail (CI) with a clear reason when the server is unreachable."""
    url = postgres_admin_url()
    try:
        asyncio.run(_ping(url))
    except Exception as exc:  # any connection failure means "no PostgreSQL here"
        reason = f"PostgreSQL unreachable at {make_url(url).render_as_string()}: {exc!r}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(f"{reason}; set TEST_DATABASE_URL to run the PostgreSQL tests")
    return url


async def _ping(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("select 1"))
    finally:
        await engine.dispose()


async def _admin_execute(admin_url: str, statement: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def create_postgres_database(admin_url: str) -> str:
    name = f"gotong_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    asyncio.run(_admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)


@asynccontextmanager
async def schema_engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    await create_schema(engine)
    try:
        yield engine
    finally:
        await engine.dispose()
