"""/report pdf at scale: generation time, peak memory, file size, and /help while it runs.

The campaign is `benchmarks.seed`'s (100,000 volunteers: 10,000 shifts, 500,000 signups,
50,000 tasks, 200 events, 50,000 RSVPs, a budget, goals) plus 10,000 feedback answers
(1,000 with a comment) over the past shifts and events, written here in bulk.  Per
backend (a SQLite file; a throwaway PostgreSQL database created and dropped):

1. generation: `report_pdf.gather` + `build_pdf` (what `/report pdf` runs) in a fresh
   child process per run, so its peak RSS (VmHWM) is the report's, not the seeding's;
   printed with the child's RSS right after imports, to tell the report's own share;
2. `/help` while a coordinator asks for the PDF (`--probe-reports` times, one after the
   other): the real bot (`build_application`, polling the in-process sandbox) answers ten
   people, one `/help` every 0.12 s in turn, until each document arrives; p50/p95 of the
   round trips, against the same probe with nothing else running (after 20 warm-ups).

    .venv/bin/python -m benchmarks.report_pdf_bench [--volunteers 100000] [--feedback 10000]
        [--runs 3] [--probe-reports 3] [--no-sqlite] [--no-postgres] [--no-help-probe]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from benchmarks.seed import SeedSize, seed_campaign
from bot.db import create_engine, create_sessionmaker
from models import Base, Event, FeedbackResponse, FeedbackRound, Role, Shift, ShiftSignup

PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TZ = "Asia/Jakarta"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 10:00 in Jakarta
PERIOD = "30d"  # the report's period: the last 30 days (buckets per day)
PROBE_USERS = 10
PROBE_EVERY = 0.12  # seconds between /help probes (10 chats in turn: ~1.2 s per chat)


async def seed_feedback(engine: AsyncEngine, answers: int, *, rng_seed: int = 7) -> int:
    """Rounds for past shifts (and events) with `answers` responses, a tenth with comments."""
    rng = random.Random(rng_seed)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        past = list(
            (
                await session.execute(
                    select(Shift.id, Shift.team_id, Shift.title, Shift.starts_at)
                    .where(Shift.ends_at <= NOW, Shift.ends_at > NOW - timedelta(days=60))
                    .order_by(Shift.ends_at.desc())
                    .limit(max(answers // 5, 1))
                )
            ).all()
        )
        events = list(
            (
                await session.execute(
                    select(Event.id, Event.team_id, Event.title, Event.starts_at).where(
                        Event.ends_at <= NOW
                    )
                )
            ).all()
        )
        rounds = [
            {"shift_id": sid, "event_id": None, "team_id": team, "title": title,
             "subject_starts_at": starts, "asked_at": starts + timedelta(hours=5),
             "closes_at": starts + timedelta(days=7)}
            for sid, team, title, starts in past
        ] + [
            {"shift_id": None, "event_id": eid, "team_id": team, "title": title,
             "subject_starts_at": starts, "asked_at": starts + timedelta(hours=5),
             "closes_at": starts + timedelta(days=7)}
            for eid, team, title, starts in events
        ]  # fmt: skip
        await session.execute(insert(FeedbackRound), rounds)
        round_ids = {
            sid: rid
            for rid, sid in await session.execute(
                select(FeedbackRound.id, FeedbackRound.shift_id).where(
                    FeedbackRound.shift_id.is_not(None)
                )
            )
        }
        signups = list(
            (
                await session.execute(
                    select(ShiftSignup.shift_id, ShiftSignup.person_id).where(
                        ShiftSignup.shift_id.in_(list(round_ids)),
                        ShiftSignup.checked_in_at.is_not(None),
                    )
                )
            ).all()
        )
        rng.shuffle(signups)
        rows = []
        for shift_id, person_id in signups[:answers]:
            rating = min(5, max(1, round(rng.gauss(4.0, 0.9))))
            comment = None
            if rng.random() < 0.1:
                comment = rng.choice(
                    [
                        "Posko rapi, konsumsi kurang.",
                        "Great team, start earlier next time 🙏",
                        "Terlalu panas siang hari, butuh air minum.",
                        "Koordinasi lewat bot lancar!",
                    ]
                ) * rng.randint(1, 6)
            rows.append(
                {
                    "round_id": round_ids[shift_id],
                    "person_id": person_id,
                    "as_lead": False,
                    "rating": rating,
                    "rated_at": NOW,
                    "comment": comment,
                    "commented_at": NOW if comment else None,
                }
            )
        for i in range(0, len(rows), 5000):
            await session.execute(insert(FeedbackResponse), rows[i : i + 5000])
        return len(rows)


# ---- one generation, in a child process (so its peak memory is the report's own) ----------
def high_water_mb() -> float:
    """This process's peak RSS (VmHWM): unlike ru_maxrss it does not carry the parent's peak
    across fork + exec, so the seeding's memory does not leak into the figure."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _generate(url: str, lang: str) -> dict[str, Any]:
    from bot.services.people.members import Actor
    from bot.services.progress import report_pdf
    from bot.views.i18n import I18n
    from bot.views.render import Reader
    from bot.views.report_pdf import build_pdf

    base_rss = high_water_mb()
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    admin = Actor(1, 1, "Bench", None, Role.ADMIN, lang, True, None, True, ())
    started = time.perf_counter()
    report = await report_pdf.gather(
        sessionmaker, admin, PERIOD, now=NOW, tz=TZ, campaign="Kampanye Bench"
    )
    gathered = time.perf_counter()
    content = await build_pdf(report, Reader(I18n(), lang, TZ, "IDR", NOW))
    done = time.perf_counter()
    await engine.dispose()
    return {
        "gather_s": gathered - started,
        "render_s": done - gathered,
        "total_s": done - started,
        "bytes": len(content),
        "peak_rss_mb": high_water_mb(),
        "base_rss_mb": base_rss,
        "ratings": report.main.scores.ratings,
    }


def generate_in_child(url: str, lang: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.report_pdf_bench", "--child", url, "--lang", lang],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ---- /help while the PDF is made --------------------------------------------------------
async def help_probe(url: str, reports: int) -> dict[str, list[float]]:
    """The real bot on the seeded database (not the test harness: it recreates the schema)."""
    from pydantic import SecretStr

    from bot.app import build_application, running
    from bot.clock import FrozenClock
    from bot.config import Settings
    from sandbox import SandboxClient, SandboxServer

    latencies: dict[str, list[float]] = {"idle": [], "during": []}
    sandbox = SandboxServer()
    await sandbox.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=SecretStr("123456:" + "A" * 35),
        database_url=url,
        telegram_api_base_url=sandbox.base_url,
        telegram_file_base_url=sandbox.base_file_url,
        admin_ids=[1],
        default_language="id",
        auto_migrate=False,
    )
    app = build_application(settings, clock=FrozenClock(NOW))
    client = SandboxClient(sandbox)
    try:
        async with running(app):
            await _probe(client, reports, latencies)
    finally:
        await client.aclose()
        await sandbox.stop()
    return latencies


async def _probe(client: Any, reports: int, latencies: dict[str, list[float]]) -> None:
    users = [
        client.user(900 + i, first_name=f"Probe{i}", language_code="en") for i in range(PROBE_USERS)
    ]
    for user in users:
        await user.send_and_wait("/help")
    admin = client.user(1, first_name="Admin", language_code="id")
    await admin.send_and_wait("/help")

    async def one(i: int, into: list[float]) -> None:
        started = time.perf_counter()
        await users[i % PROBE_USERS].send_and_wait("/help", timeout=60)
        into.append((time.perf_counter() - started) * 1000)
        # Load pacing, not synchronisation: each chat gets a /help every ~1.2 s, so the
        # per-chat limit (1 message/s, which the pacer keeps) is not what is measured.
        await asyncio.sleep(max(PROBE_EVERY - (time.perf_counter() - started), 0))

    for i in range(60):
        await one(i, latencies["idle"])
    latencies["idle"] = latencies["idle"][20:]  # the first round trips warm caches up
    i = 0
    for _ in range(reports):
        await admin.send("/report pdf " + PERIOD)
        while True:
            await one(i, latencies["during"])
            i += 1
            last = admin.last_bot_message()
            if last is not None and last.document is not None:
                break
            if i > 20000:
                raise RuntimeError("the PDF never arrived")
        await admin.send_and_wait("/help")  # the document is the last message no more


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def prepare(url: str, volunteers: int, answers: int) -> int:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        started = time.perf_counter()
        await seed_campaign(engine, SeedSize.for_volunteers(volunteers), now=NOW, teams=12)
        made = await seed_feedback(engine, answers)
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                for table in ("feedback_round", "feedback_response"):
                    await conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    ))  # fmt: skip
                await conn.execute(text("ANALYZE"))
        async with engine.connect() as conn:
            signups = await conn.scalar(select(func.count()).select_from(ShiftSignup))
        print(
            f"  seeded {volunteers:,} volunteers, {signups:,} signups, {made:,} feedback "
            f"answers in {time.perf_counter() - started:.0f} s"
        )
        return made
    finally:
        await engine.dispose()


def report(backend: str, runs: list[dict[str, Any]], probe: dict[str, list[float]] | None) -> None:
    def spread(key: str, fmt: str = "{:.2f}") -> str:
        values = [r[key] for r in runs]
        return (
            f"median {fmt.format(statistics.median(values))} "
            f"(min {fmt.format(min(values))}, max {fmt.format(max(values))})"
        )

    print(f"{backend}: {len(runs)} runs")
    print(
        f"  total        {spread('total_s')} s  = gather {spread('gather_s')} s "
        f"+ layout {spread('render_s')} s"
    )
    print(
        f"  peak RSS     {spread('peak_rss_mb', '{:.0f}')} MB "
        f"(after imports: {spread('base_rss_mb', '{:.0f}')} MB)"
    )
    print(
        f"  file size    {spread('bytes', '{:,.0f}')} bytes; {runs[0]['ratings']:,} ratings "
        "in the period"
    )
    if probe:
        for name, values in probe.items():
            print(
                f"  /help {name:<6} n={len(values)} p50={statistics.median(values):.0f} ms "
                f"p95={pct(values, 0.95):.0f} ms max={max(values):.0f} ms"
            )


async def run_backend(
    backend: str, url: str, volunteers: int, answers: int, runs: int, probe: bool, reports: int
) -> None:
    await prepare(url, volunteers, answers)
    results = [generate_in_child(url, "id" if i % 2 == 0 else "en") for i in range(runs)]
    latencies = await help_probe(url, reports) if probe else None
    report(backend, results, latencies)


async def run_sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        await run_backend(
            f"SQLite, {args.volunteers:,} volunteers",
            url,
            args.volunteers,
            args.feedback,
            args.runs,
            not args.no_help_probe,
            args.probe_reports,
        )


async def run_postgres(args: argparse.Namespace) -> None:
    name = f"gotong_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        await run_backend(
            f"PostgreSQL, {args.volunteers:,} volunteers",
            url,
            args.volunteers,
            args.feedback,
            args.runs,
            not args.no_help_probe,
            args.probe_reports,
        )
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--feedback", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-help-probe", action="store_true")
    parser.add_argument(
        "--probe-reports",
        type=int,
        default=3,
        help="PDFs asked for one after the other while /help is probed",
    )
    parser.add_argument("--postgres-url", default=PG_ADMIN_URL)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--lang", default="id", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_generate(args.child, args.lang))))
        return
    if not args.no_sqlite:
        asyncio.run(run_sqlite(args))
    if not args.no_postgres:
        asyncio.run(run_postgres(args))


if __name__ == "__main__":
    main()
