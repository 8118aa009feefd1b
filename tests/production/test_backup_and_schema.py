"""Backups (SQLite online backup while the bot writes, PostgreSQL via pg_dump) and the
schema check that keeps a replica off a database of another version.

The commands run as an operator types them: `python -m bot backup|restore|run` in a
subprocess with DATABASE_URL in the environment.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db import create_engine
from tests.support.databases import create_schema

TOKEN = "1000000001:TESTtestTESTtestTESTtestTESTtest12345"


def cli(*args: str, database_url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_"))}
    environ.update(DATABASE_URL=database_url, **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=environ, cwd=cwd,
        capture_output=True, text=True, timeout=60, check=False,
    )


async def add_rows(url: str, first: int, n: int) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for i in range(first, first + n):
                await conn.execute(
                    text("insert into ops_state (key, value, updated_at) values (:k, :v, :t)"),
                    {"k": f"row{i}", "v": f"P{i}", "t": datetime(2026, 11, 26, tzinfo=UTC)},
                )
    finally:
        await engine.dispose()


async def count_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("select count(*) from ops_state")) or 0)
    finally:
        await engine.dispose()


async def test_sqlite_backup_is_consistent_while_the_bot_writes_and_restores(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = create_engine(sqlite_url)
    await create_schema(engine)
    await engine.dispose()
    await add_rows(sqlite_url, 1, 50)
    db_file = Path(sqlite_url.split("///", 1)[1])

    # A writer keeps committing (WAL mode, like the running bot) during the backup.
    stop = threading.Event()
    written = [50]

    def writer() -> None:
        conn = sqlite3.connect(db_file, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        i = 1000
        while not stop.is_set():
            conn.execute(
                "insert into ops_state (key, value, updated_at) values (?, 'W', '2026-11-26')",
                (f"row{i}",),
            )
            conn.commit()
            written[0] += 1
            i += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    backup_file = tmp_path / "copy.sqlite3"
    try:
        done = await asyncio.to_thread(
            cli, "backup", str(backup_file), database_url=sqlite_url, cwd=tmp_path
        )
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 0, done.stderr
    copy = sqlite3.connect(backup_file)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copied = copy.execute("select count(*) from ops_state").fetchone()[0]
    copy.close()
    assert 50 <= copied <= written[0]  # a committed prefix, never a torn page

    # Restore into a fresh location: the data comes back as it was in the copy.
    restored_url = f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
    done = await asyncio.to_thread(
        cli, "restore", str(backup_file), database_url=restored_url, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert await count_rows(restored_url) == copied

    # A file that is not a Gotong backup is refused with one clear line; nothing changes.
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    done = await asyncio.to_thread(
        cli, "restore", str(junk), database_url=restored_url, cwd=tmp_path
    )
    assert done.returncode == 1 and "restore failed" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert await count_rows(restored_url) == copied


@pytest.mark.postgres
async def test_postgres_backup_and_restore_with_pg_dump(postgres_url: str, tmp_path: Path) -> None:
    engine = create_engine(postgres_url)
    await create_schema(engine)
    await engine.dispose()
    await add_rows(postgres_url, 1, 30)
    dump = tmp_path / "gotong.dump"
    done = await asyncio.to_thread(
        cli, "backup", str(dump), database_url=postgres_url, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    # Disaster: people deleted after the backup; restore brings exactly the backup back.
    await add_rows(postgres_url, 100, 5)
    engine = create_engine(postgres_url)
    async with engine.begin() as conn:
        await conn.execute(text("delete from ops_state where value < 'P5'"))
    await engine.dispose()
    done = await asyncio.to_thread(
        cli, "restore", str(dump), database_url=postgres_url, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert await count_rows(postgres_url) == 30


async def test_a_replica_refuses_a_database_of_another_schema_version(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = create_engine(sqlite_url)
    await create_schema(engine)
    async with engine.begin() as conn:
        await conn.execute(text("create table alembic_version (version_num varchar(32))"))
        await conn.execute(text("insert into alembic_version values ('0000_older')"))
    await engine.dispose()
    done = await asyncio.to_thread(
        cli, "run", database_url=sqlite_url, cwd=tmp_path, BOT_TOKEN=TOKEN,
        AUTO_MIGRATE="false", TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
    )
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "refusing to start" in lines[0] and "0000_older" in lines[0]
    assert "python -m bot migrate" in lines[0]
