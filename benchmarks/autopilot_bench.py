"""The staffing autopilot at scale: 1,000 understaffed shifts and 100,000 volunteers.

Seeds, in bulk, 50 teams of 2,000 volunteers (all with autopilot on), 1,000 upcoming
understaffed shifts in the next 48 hours (capacity 5, a fifth of them needing a skill
that a third of the volunteers have), 100,000 upcoming signups (the "busy" check) and
200,000 judged past signups (reliability).  Then, per run:

* plan: `autopilot.plan_wave` (the read side: candidates, ranking, nothing written);
* sweep: `autopilot.sweep` (plan + asks + outbox invitations + lead reports, one
  transaction), after the previous run's asks, state and outbox rows were deleted, so
  every run plans the same first wave.

Planner statistics as a running bot has them: on SQLite the bot's own refresh
(`bot.ops.statistics`, a minute after start), on PostgreSQL an ANALYZE standing in for
autovacuum's; `--no-statistics` skips both (SQLite before the bot refreshed them).

    .venv/bin/python -m benchmarks.autopilot_bench [--volunteers 100000] [--shifts 1000]
        [--runs 3] [--no-postgres] [--no-statistics]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.ops.statistics import refresh_statistics
from bot.services.reach import autopilot
from models import (
    AutopilotAsk,
    AutopilotShift,
    AutopilotTeam,
    Membership,
    OutboxMessage,
    Person,
    PersonSkill,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Skill,
    Team,
)
from tests.support.databases import create_schema

PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 10:00 in Jakarta
TEAMS = 50
BATCH = 10_000


async def _bulk(engine: AsyncEngine, model: type, rows: Sequence[Mapping[str, object]]) -> None:
    db = create_sessionmaker(engine)
    for start in range(0, len(rows), BATCH):
        async with db.begin() as session:
            await session.execute(insert(model), list(rows[start : start + BATCH]))


async def seed(engine: AsyncEngine, volunteers: int, shifts: int) -> None:
    rng = random.Random(15)
    await create_schema(engine)
    db = create_sessionmaker(engine)
    async with db.begin() as session:
        session.add_all([Team(name=f"Tim {i}", name_key=f"tim {i}") for i in range(TEAMS)])
        session.add(Skill(name="driver", name_key="driver"))
    async with db() as session:
        team_ids = list(await session.scalars(select(Team.id).order_by(Team.id)))
        skill_id = await session.scalar(select(Skill.id))
    await _bulk(engine, Person, [
        {"telegram_id": 10_000 + i, "first_name": f"V{i}", "role": Role.VOLUNTEER,
         "language": "id"} for i in range(volunteers)])
    async with db() as session:
        person_ids = list(await session.scalars(select(Person.id).order_by(Person.id)))
    await _bulk(engine, Membership, [
        {"person_id": pid, "team_id": team_ids[i % TEAMS], "is_lead": i < TEAMS}
        for i, pid in enumerate(person_ids)])
    await _bulk(engine, PersonSkill, [
        {"person_id": pid, "skill_id": skill_id} for i, pid in enumerate(person_ids) if i % 3 == 0])
    await _bulk(engine, AutopilotTeam, [
        {"team_id": t, "enabled": True, "changed_at": NOW} for t in team_ids])
    shift_rows = []
    for i in range(shifts):
        start = NOW + timedelta(hours=2 + rng.random() * 44)
        shift_rows.append({
            "title": f"Shift {i}", "team_id": team_ids[i % TEAMS], "place": "", "notes": "",
            "starts_at": start, "ends_at": start + timedelta(hours=3), "capacity": 5,
            "taken": rng.randint(0, 3), "status": ShiftStatus.OPEN,
            "skill_id": skill_id if i % 5 == 0 else None})
    # Busy and past (judged) shifts: the signups the checks read.
    for i in range(2_000):
        start = NOW + timedelta(hours=rng.random() * 160)
        shift_rows.append({
            "title": f"Busy {i}", "team_id": team_ids[i % TEAMS], "place": "", "notes": "",
            "starts_at": start, "ends_at": start + timedelta(hours=4), "capacity": 60,
            "taken": 50, "status": ShiftStatus.OPEN, "skill_id": None})
    for i in range(4_000):
        start = NOW - timedelta(days=1 + rng.random() * 60)
        shift_rows.append({
            "title": f"Past {i}", "team_id": team_ids[i % TEAMS], "place": "", "notes": "",
            "starts_at": start, "ends_at": start + timedelta(hours=3), "capacity": 60,
            "taken": 50, "status": ShiftStatus.OPEN, "skill_id": None})
    await _bulk(engine, Shift, shift_rows)
    async with db() as session:
        busy = list(await session.scalars(select(Shift.id).where(Shift.title.like("Busy %"))))
        past = list(await session.scalars(select(Shift.id).where(Shift.title.like("Past %"))))
    signups = []
    seen: set[tuple[int, int]] = set()
    for kind, ids, count in (("busy", busy, volunteers), ("past", past, 2 * volunteers)):
        for _ in range(count):
            key = (rng.choice(ids), rng.choice(person_ids))
            if key in seen:
                continue
            seen.add(key)
            judged = kind == "past"
            came = judged and rng.random() < 0.8
            signups.append({"shift_id": key[0], "person_id": key[1],
                            "checked_in_at": NOW - timedelta(days=1) if came else None,
                            "no_show": judged and not came})
    await _bulk(engine, ShiftSignup, signups)


async def run(
    url: str, volunteers: int, shifts: int, runs: int, with_statistics: bool
) -> dict[str, list[float]]:
    engine = create_engine(url)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    started = time.perf_counter()
    await seed(engine, volunteers, shifts)
    print(f"  seeded in {time.perf_counter() - started:.0f} s")
    if with_statistics:
        started = time.perf_counter()
        if not await refresh_statistics(engine):
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        print(f"  planner statistics in {time.perf_counter() - started:.2f} s")
    db = create_sessionmaker(engine)
    out: dict[str, list[float]] = {"plan": [], "sweep": [], "invites": [], "reports": []}
    for _ in range(runs):
        async with db.begin() as session:
            await session.execute(delete(AutopilotAsk))
            await session.execute(delete(AutopilotShift))
            await session.execute(delete(OutboxMessage))
        t0 = time.perf_counter()
        async with db() as session:
            plans = await autopilot.plan_wave(session, settings, now=NOW)
        out["plan"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        report = await autopilot.sweep(db, settings, now=NOW)
        out["sweep"].append(time.perf_counter() - t0)
        out["invites"].append(report.asked)
        out["reports"].append(report.reports)
        async with db() as session:
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        assert queued == report.asked + report.reports, (queued, report)
        print(f"  run: {len(plans)} shifts planned, {report.asked} invitations, "
              f"{report.reports} lead reports")
    await engine.dispose()
    return out


async def _pg_database() -> str:
    name = f"gotong_autopilot_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_pg(url: str) -> None:
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


def spread(values: list[float]) -> str:
    return (f"{statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f}, "
            f"n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--shifts", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-statistics", action="store_true")
    args = parser.parse_args()
    shape = (args.volunteers, args.shifts, args.runs, not args.no_statistics)
    for backend in ["sqlite"] + ([] if args.no_postgres else ["postgres"]):
        print(f"{backend}: {args.volunteers} volunteers, {args.shifts} understaffed shifts")
        with tempfile.TemporaryDirectory() as tmp:
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'autopilot.sqlite3'}"
                out = asyncio.run(run(url, *shape))
            else:
                url = asyncio.run(_pg_database())
                try:
                    out = asyncio.run(run(url, *shape))
                finally:
                    asyncio.run(_drop_pg(url))
        print(f"  plan one wave s : {spread(out['plan'])}")
        print(f"  sweep (plan + write) s: {spread(out['sweep'])}")
        print(f"  invitations enqueued: {spread(out['invites'])}, lead reports: "
              f"{spread(out['reports'])}")


if __name__ == "__main__":
    main()
