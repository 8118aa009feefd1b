"""SQLite's planner gets table statistics (bot.ops.statistics): the refresh samples every
index into sqlite_stat1, the running bot schedules it on SQLite only, and PostgreSQL (whose
autovacuum keeps its own) is left alone."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.ops.statistics import refresh_statistics
from models import Person, Role
from tests.support.harness import BotHarness


async def test_refresh_fills_sqlite_statistics_and_leaves_postgres_alone(
    engine: AsyncEngine, sessionmaker: async_sessionmaker
) -> None:
    async with sessionmaker.begin() as session:
        session.add_all(Person(telegram_id=100 + n, first_name=f"P{n}", role=Role.VOLUNTEER)
                        for n in range(50))
    refreshed = await refresh_statistics(engine)
    if engine.dialect.name != "sqlite":
        assert refreshed is False
        return
    async with engine.connect() as connection:
        rows = (await connection.execute(
            text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'person'"))).all()
    indexes = {idx: stat for idx, stat in rows}
    assert refreshed is True
    assert indexes["ix_person_role_joined"].split()[0] == "50"  # rows counted per index
    async with sessionmaker() as session:  # the bot's sessions read on as before
        assert await session.scalar(text("SELECT count(*) FROM person")) == 50


async def test_the_bot_refreshes_statistics_on_sqlite_only(
    bot: BotHarness, pg_bot: BotHarness
) -> None:
    assert bot.app.job_queue is not None and pg_bot.app.job_queue is not None
    assert [j.name for j in bot.app.job_queue.get_jobs_by_name("ops.statistics")] == [
        "ops.statistics"]
    assert pg_bot.app.job_queue.get_jobs_by_name("ops.statistics") == ()
