"""Alembic: an empty database upgrades to head, matches the models, and downgrades to base."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from models import Base


async def _inspect(url: str) -> tuple[set[str], list[object]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def work(sync_conn):
                tables = set(inspect(sync_conn).get_table_names())
                context = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "render_as_batch": True}
                )
                return tables, compare_metadata(context, Base.metadata)

            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def test_upgrade_matches_models_and_downgrade_empties(db_url: str) -> None:
    migrate.upgrade(db_url)
    tables, diff = asyncio.run(_inspect(db_url))
    assert set(Base.metadata.tables) <= tables
    assert diff == [], f"models and migrations differ: {diff}"
    assert asyncio.run(migrate.current_revision(db_url)) == migrate.head_revision()
    migrate.downgrade(db_url, "base")
    tables, _ = asyncio.run(_inspect(db_url))
    assert tables <= {"alembic_version"}
