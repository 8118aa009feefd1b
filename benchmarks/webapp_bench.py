"""The Mini App at campaign scale: API p95 for the planner and the dashboard, page weight.

`benchmarks.seed` at 100,000 volunteers (10,000 shifts, ~500,000 signups, tasks, events,
RSVPs, budget) on a SQLite file and on a throwaway PostgreSQL database (created and dropped
by the script; after seeding, the planner statistics a live database has: VACUUM ANALYZE as
autovacuum keeps PostgreSQL, the bot's own sampled ANALYZE on SQLite, `bot.ops.statistics`);
the Mini App's aiohttp sub-app (`bot.web`) served on loopback over the seeded database,
with a coordinator's initData signed as Telegram signs it.  Per run: the week
planner (this week, all teams) and the dashboard, each called `--calls` times in a row
after a warm-up, timed at the client (HTTP on loopback included, so an upper bound of the
server's time), and the bench process's CPU per call (server, SQLite's work and client;
PostgreSQL's own CPU is in its server process).  Several runs show the spread.  Also the
page set's weight (HTML + JS + CSS, raw and gzipped, as served) and, where Debian's
chromium is installed, the planner's
first render in headless Chromium (navigation start to the week drawn), per run (SQLite).

    .venv/bin/python -m benchmarks.webapp_bench [--volunteers 100000] [--runs 3] [--calls 40]
        [--databases sqlite,postgres] [--no-browser]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import text

from benchmarks.seed import SeedSize, seed_campaign
from bot.clock import SystemClock
from bot.config import Settings
from bot.context import AppState
from bot.db import create_engine, create_sessionmaker
from bot.ops.statistics import refresh_statistics
from bot.views.i18n import I18n
from bot.web import mount
from bot.web.assets import page_weight
from bot.web.initdata import sandbox_init_data
from models import Base
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
)

TOKEN = "1000000001:BENCHbenchBENCHbenchBENCHbench12345"
ADMIN_TELEGRAM_ID = 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed_calls(http: aiohttp.ClientSession, url: str, headers: dict[str, str],
                      calls: int) -> tuple[list[float], int, float]:
    """Client-timed ms per call, the body's size, and this process's CPU ms per call (the
    server, its SQLite and the client: a figure the machine's other load hardly moves)."""
    async with http.get(url, headers=headers) as response:  # warm-up
        body = await response.read()
        assert response.status == 200, body[:300]
    times = []
    cpu_started = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        async with http.get(url, headers=headers) as response:
            body = await response.read()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200
    return times, len(body), (time.process_time() - cpu_started) * 1000 / calls


def first_render_ms(app_url: str, profile: Path) -> float | None:
    """Navigation start → the planner's week drawn, in headless Chromium (None: no browser)."""
    from tests.web.browser import CHROMEDRIVER, CHROMIUM, chromium, wait_for

    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return None
    from selenium.webdriver.common.by import By

    with chromium(profile) as driver:
        driver.get(app_url)
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#week .item"), "week")
        drawn = driver.execute_script("return performance.now()")
        return float(drawn)


async def serve_and_measure(url: str, volunteers: int, runs: int, calls: int,
                            folder: Path, browser: bool) -> None:
    """Seed the database at `url`, serve the Mini App over it and time `runs` runs."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    now = datetime.now(UTC)
    started = time.perf_counter()
    size = SeedSize.for_volunteers(volunteers)
    await seed_campaign(engine, size, now=now)
    if not await refresh_statistics(engine):  # PostgreSQL: what autovacuum would do
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    print(f"seeded {size.volunteers:,} volunteers, {size.shifts:,} shifts, "
          f"{size.signups:,} signups in {time.perf_counter() - started:.0f} s")
    settings = Settings(_env_file=None, bot_token=SecretStr(TOKEN),  # type: ignore[call-arg]
                        database_url=url, admin_ids=[ADMIN_TELEGRAM_ID])
    state = AppState(settings=settings, engine=engine,
                     sessionmaker=create_sessionmaker(engine), i18n=I18n("id"),
                     clock=SystemClock())
    app = web.Application()
    mount(app, SimpleNamespace(bot_data=state))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/app"
    try:
        async with aiohttp.ClientSession() as http:
            p95s: dict[str, list[float]] = {"planner": [], "dashboard": []}
            renders: list[float] = []
            for run in range(1, runs + 1):
                init_data = sandbox_init_data(
                    {"id": ADMIN_TELEGRAM_ID, "first_name": "Bench", "language_code": "id"},
                    TOKEN, now=datetime.now(UTC))
                headers = {"Authorization": f"tma {init_data}"}
                line = [f"run {run}:"]
                for name, path in (("planner", "/api/planner"), ("dashboard", "/api/dashboard")):
                    times, size_bytes, cpu = await timed_calls(http, base + path, headers,
                                                               calls)
                    p95 = percentile(times, 0.95)
                    p95s[name].append(p95)
                    line.append(f"{name} p50 {statistics.median(times):6.1f} ms "
                                f"p95 {p95:6.1f} ms cpu {cpu:5.1f} ms "
                                f"({size_bytes / 1024:.0f} KB JSON) |")
                render = None
                if browser:
                    render = await asyncio.to_thread(
                        first_render_ms, f"{base}/#tgWebAppData={quote(init_data, safe='')}",
                        folder / f"profile{run}")
                if render is not None:
                    renders.append(render)
                    line.append(f"first render {render:6.0f} ms")
                print(" ".join(line))
            for name, values in p95s.items():
                print(f"{name} p95 over {runs} runs: {min(values):.1f}–{max(values):.1f} ms")
            if renders:
                print(f"planner first render: {min(renders):.0f}–{max(renders):.0f} ms")
    finally:
        await runner.cleanup()
        await engine.dispose()


async def main(volunteers: int, runs: int, calls: int, databases: list[str],
               browser: bool) -> None:
    raw, gzipped = page_weight()
    print(f"page weight (index.html, app.css and the scripts): {raw / 1024:.1f} KB raw, "
          f"{gzipped / 1024:.1f} KB gzipped")
    with tempfile.TemporaryDirectory() as folder:
        for database in databases:
            print(f"== {'SQLite' if database == 'sqlite' else 'PostgreSQL'} ==")
            if database == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(folder) / 'webapp.sqlite3'}"
                await serve_and_measure(url, volunteers, runs, calls, Path(folder), browser)
                continue
            admin = postgres_admin_url()
            url = await asyncio.to_thread(create_postgres_database, admin)
            try:  # the browser's first render is the page's, timed once (on SQLite)
                await serve_and_measure(url, volunteers, runs, calls, Path(folder), False)
            finally:
                await asyncio.to_thread(drop_postgres_database, admin, url)


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    databases = [d for d in args.databases.split(",") if d]
    unknown = set(databases) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    asyncio.run(main(args.volunteers, args.runs, args.calls, databases, not args.no_browser))


if __name__ == "__main__":
    cli()
