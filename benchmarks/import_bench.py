"""/import at 10,000 rows: preview and commit seconds, peak RSS increase, /help while importing.

1. services, in a fresh child process per run (so its peak RSS, VmHWM, is the import's):
   `imports.preview_import` then `imports.commit_import` of a 10,000-row CSV (names, phones in
   the three usual forms, @usernames, three teams, skills, languages) into an empty SQLite
   file (and, unless --no-postgres, a throwaway PostgreSQL database); printed with the RSS
   right after imports, so the import's own share shows;
2. `/help` during an import through the real bot (the test harness: the Application polling
   the in-process sandbox, SQLite): ten people send `/help` in turn, one every 0.12 s, while
   the admin uploads the file, gets the preview and presses Import until the links file
   arrives; p50/p95 against the same probe with nothing else running.

    .venv/bin/python -m benchmarks.import_bench [--rows 10000] [--runs 3] [--no-postgres]
        [--no-help-probe]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.report_pdf_bench import PROBE_EVERY, PROBE_USERS, high_water_mb, pct
from bot.db import create_engine, create_sessionmaker
from tests.reach.factories import csv_bytes, make_coordinator, make_teams, volunteer_rows
from tests.support.databases import create_schema

PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def _child(url: str, rows: int) -> dict[str, Any]:
    from bot.services.reach import imports
    from tests.conftest import T0

    content = csv_bytes(volunteer_rows(rows))
    engine = create_engine(url)
    await create_schema(engine)
    db = create_sessionmaker(engine)
    await make_teams(db)
    admin = await make_coordinator(db)
    base = high_water_mb()
    started = time.perf_counter()
    preview = await imports.preview_import(db, admin, content, "bench.csv")
    previewed = time.perf_counter()
    done = await imports.commit_import(db, admin, content, "bench.csv", bot_username="bench_bot",
                                       now=T0)
    committed = time.perf_counter()
    again = await imports.commit_import(db, admin, content, "bench.csv",
                                        bot_username="bench_bot", now=T0)
    await engine.dispose()
    return {
        "preview_s": previewed - started,
        "commit_s": committed - previewed,
        "reimport_s": time.perf_counter() - committed,
        "new": preview.new,
        "created": done.created,
        "recreated": again.created,
        "csv_kb": len(done.csv) // 1024,
        "base_rss_mb": base,
        "peak_rss_mb": high_water_mb(),
    }


def in_child(url: str, rows: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.import_bench", "--child", url, "--rows", str(rows)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


async def _pg_database() -> str:
    name = f"gotong_import_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_pg(url: str) -> None:
    name = make_url(url).database
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def help_probe(rows: int, imports_run: int) -> dict[str, list[float]]:
    from bot.clock import FrozenClock
    from tests.conftest import T0
    from tests.reach.factories import TEAMS
    from tests.support.harness import start_harness

    latencies: dict[str, list[float]] = {"idle": [], "during": []}
    content = csv_bytes(volunteer_rows(rows))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'probe.sqlite3'}"
        async with start_harness(url, clock=FrozenClock(T0)) as bot:
            from models import Team

            async with bot.db.begin() as session:
                session.add_all([Team(name=n, name_key=n.casefold()) for n in TEAMS])
            users = [bot.user(900 + i, f"Probe{i}", "en") for i in range(PROBE_USERS)]
            for user in users:
                await user.send_and_wait("/help")

            async def one(i: int, into: list[float]) -> None:
                started = time.perf_counter()
                await users[i % PROBE_USERS].send_and_wait("/help", timeout=60)
                into.append((time.perf_counter() - started) * 1000)
                # Load pacing, not synchronisation: each chat gets a /help every ~1.2 s.
                await asyncio.sleep(max(PROBE_EVERY - (time.perf_counter() - started), 0))

            for i in range(60):
                await one(i, latencies["idle"])
            latencies["idle"] = latencies["idle"][20:]
            admin = bot.admin
            i = 0
            for run in range(imports_run):
                await admin.send_and_wait("/import")
                # Each run a file of new people: the commit really writes `rows` rows.
                content = csv_bytes(volunteer_rows(rows, first=run * rows))
                await admin.upload_document(content, f"bench{run}.csv")
                task = asyncio.ensure_future(_import(admin))
                while not task.done():
                    await one(i, latencies["during"])
                    i += 1
                await task
    return latencies


async def _import(admin: Any) -> None:
    preview = await admin.next_message(timeout=120)
    await admin.press(preview, 0, expect="edit", timeout=120)  # Import
    await admin.next_message(timeout=120)  # the links file


def spread(values: list[float]) -> str:
    return (f"{statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f}, "
            f"n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-help-probe", action="store_true")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child, args.rows))))
        return
    backends = ["sqlite"] + ([] if args.no_postgres else ["postgres"])
    for backend in backends:
        results = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                if backend == "sqlite":
                    url = f"sqlite+aiosqlite:///{Path(tmp) / 'import.sqlite3'}"
                    results.append(in_child(url, args.rows))
                else:
                    url = asyncio.run(_pg_database())
                    try:
                        results.append(in_child(url, args.rows))
                    finally:
                        asyncio.run(_drop_pg(url))
        first = results[0]
        print(f"{backend}: {args.rows} rows, new {first['new']}, created {first['created']}, "
              f"re-import created {first['recreated']}, links CSV {first['csv_kb']} KB")
        print(f"  preview s : {spread([r['preview_s'] for r in results])}")
        print(f"  commit s  : {spread([r['commit_s'] for r in results])}")
        print(f"  re-import s: {spread([r['reimport_s'] for r in results])}")
        print("  peak RSS increase MB: "
              f"{spread([r['peak_rss_mb'] - r['base_rss_mb'] for r in results])}")
    if not args.no_help_probe:
        latencies = asyncio.run(help_probe(args.rows, args.runs))
        for key in ("idle", "during"):
            values = latencies[key]
            print(f"/help {key:6}: p50 {pct(values, 0.5):.0f} ms, p95 {pct(values, 0.95):.0f} ms,"
                  f" max {max(values):.0f} ms (n={len(values)})")


if __name__ == "__main__":
    main()
