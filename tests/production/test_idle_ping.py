"""PostgreSQL's pooled connections are pinged after a rest, not on every checkout
(bot.db.ping_when_idle), and a connection cut while it rested never reaches a handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.db
from bot.db import create_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(postgres_url)
    yield eng
    await eng.dispose()


def count_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    pings: list[bool] = []
    original = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        try:
            alive = bool(original(dbapi_connection))
        except Exception:
            pings.append(False)  # a dead connection's ping raises
            raise
        pings.append(alive)
        return alive

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_busy_pool_is_not_pinged(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = count_pings(engine, monkeypatch)
    pids = {await backend_pid(engine) for _ in range(5)}
    assert len(pids) == 1  # the same pooled connection each time...
    assert pings == []  # ...and it was in use a moment ago: no round trip to ping it


async def test_a_connection_cut_while_resting_is_replaced_before_use(
    engine: AsyncEngine, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_pid(engine)
    other = create_engine(postgres_url)
    try:
        async with other.connect() as conn:  # a database restart, as far as it can tell
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    finally:
        await other.dispose()
    monkeypatch.setattr(bot.db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has rested long enough
    pings = count_pings(engine, monkeypatch)
    second = await backend_pid(engine)  # no error: the dead one was pinged and replaced
    assert second != first
    assert pings[0] is False  # the cut one failed its ping, the new one answered
    assert pings[-1] is True
